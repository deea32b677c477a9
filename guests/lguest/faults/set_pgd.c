/* set_pgd -- SET_PGD for entry idx=N (default 1025) of a page directory.
 * There are 1024 (lguest's check lets 1024 itself through).
 * lguest: "Attempt to set pgd 1025/1024". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        lguest_set_pgd(0, cmdline_value("idx", 1025));
}
