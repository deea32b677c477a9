/* bad_guest_page -- makes LGUEST_INIT with struct lguest_data at=ADDR
 * (default: the end of Guest memory).  All 1388 bytes of it must be in
 * Guest memory: at mem-1000 it straddles the end, at 0xfffffc00 it wraps.
 * lguest: "bad guest page 0x4000000" (with 64 MiB). */
#include "faults.h"

void main(void)
{
        hcall(LHCALL_LGUEST_INIT, cmdline_value("at", mem_size()), 0, 0, 0);
}
