/* bad_tls -- LOAD_TLS with its three descriptors at=ADDR (default 8 bytes
 * before the end of Guest memory).  The Host reads all 24 bytes from Guest
 * memory.
 * lguest: "bad read address 0x3fffff8 len 24" (with 64 MiB). */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        lguest_load_tls(cmdline_value("at", mem_size() - 8));
}
