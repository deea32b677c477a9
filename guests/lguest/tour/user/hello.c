/* hello -- the first process: who am I, asked two ways.  getpid is a
 * system call (a trap gate the Host made direct: no trip to the Host);
 * %gs:0 is the TLS block the kernel set up with LOAD_TLS. */
#include "libtour.h"

PROGRAM(hello)

int hello_main(void)
{
        char name[16];
        printf("[hello] hello, world: pid %d by getpid, pid %u and name \"%s\" by %%gs\n", getpid(), tls_pid(),
               tls_name(name));
        return 0;
}
