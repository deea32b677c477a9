/* restart -- prints its generation, then SHUTDOWN with RESTART.  Not a
 * kill: the Host boots the image again (the generation, in .data, is 1
 * again each time), or ends the run as "restart" if told not to. */
#include "faults.h"

static volatile uint32_t generation = 1;

void main(void)
{
        lguest_init(&lguest_data);
        print("boot, generation ");
        puthex(generation++);
        print("\n");
        lguest_shutdown(LGUEST_SHUTDOWN_RESTART, "restart");
}
