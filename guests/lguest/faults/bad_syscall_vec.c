/* bad_syscall_vec -- makes LGUEST_INIT with lguest_data.syscall_vec=vec
 * (default 0x81).  The Host takes only 0x80.
 * lguest: "bad syscall vector". */
#include "faults.h"

void main(void)
{
        lguest_data.syscall_vec = cmdline_value("vec", 0x81);
        lguest_init(&lguest_data);
}
