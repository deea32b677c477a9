/* before_init -- makes a hypercall other than LGUEST_INIT first: nr=N
 * (default 4, NEW_PGTABLE).  LGUEST_INIT must be the first call.
 * lguest: "hypercall 4 before INIT". */
#include "faults.h"

void main(void)
{
        hcall(cmdline_value("nr", LHCALL_NEW_PGTABLE), 0, 0, 0, 0);
}
