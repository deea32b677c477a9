/* crash -- makes SHUTDOWN with code=N (default 3): the Host knows only 1
 * (power off) and 2 (restart).  The message is the whole command line,
 * read as 128 bytes and cut at 127 characters.
 * lguest: "CRASH: " and the message. */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        hcall(LHCALL_SHUTDOWN, LGUEST_CMDLINE, cmdline_value("code", 3), 0, 0);
}
