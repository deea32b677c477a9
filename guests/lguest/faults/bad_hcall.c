/* bad_hcall -- makes a hypercall the Host does not have: nr=N (default 99;
 * 3, 11, 12, 13, 17 and 20 up are the gaps in the numbering).
 * lguest: "Bad hypercall 99". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        hcall(cmdline_value("nr", 99), 0, 0, 0, 0);
}
