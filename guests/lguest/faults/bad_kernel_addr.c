/* bad_kernel_addr -- makes LGUEST_INIT with lguest_data.kernel_address=ka
 * (default 0xffc00000).  It must be below the Switcher, 0xffc00000.
 * lguest: "bad kernel address 0xffc00000". */
#include "faults.h"

void main(void)
{
        lguest_data.kernel_address = cmdline_value("ka", 0xffc00000);
        lguest_init(&lguest_data);
}
