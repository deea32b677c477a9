/* shutdown_bad_msg -- powers off with the message at=ADDR (default 64
 * bytes before the end of Guest memory).  The Host reads 128 bytes there,
 * and all of them must be Guest memory.
 * lguest: "bad read address 0x3ffffc0 len 128" (with 64 MiB). */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        hcall(LHCALL_SHUTDOWN, cmdline_value("at", mem_size() - 64), LGUEST_SHUTDOWN_POWEROFF, 0, 0);
}
