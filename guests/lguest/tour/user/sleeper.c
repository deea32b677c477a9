/* sleeper -- mostly asleep.  While everyone sleeps the kernel halts, and
 * the Host skips the idle time: virtual time, as read by rdtsc, jumps. */
#include "libtour.h"

PROGRAM(sleeper)

int sleeper_main(void)
{
        for (int i = 1; i <= 5; i++) {
                uint64_t before = rdtsc();
                sleep_ns(3000000);
                uint64_t slept = rdtsc() - before;
                printf("[sleeper] nap %d: asked for 3000000 ns, slept %u ns\n", i, (uint32_t)slept);
        }
        return 0;
}
