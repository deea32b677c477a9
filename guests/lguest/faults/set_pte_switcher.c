/* set_pte_switcher -- SET_PTE for the virtual address va=ADDR (default
 * 0xffc00000).  The top 4 MiB are the Switcher's.
 * lguest: "attempt to set pte into Switcher pages". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        lguest_set_pte(0, cmdline_value("va", 0xffc00000), 0);
}
