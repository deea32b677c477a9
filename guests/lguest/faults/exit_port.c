/* exit_port -- writes v=V (default 42) to port 0xf4: a byte, or a long if
 * it does not fit.  Not a kill: the run ends with status (V << 1) | 1. */
#include "faults.h"

void main(void)
{
        uint32_t v = cmdline_value("v", 42);

        lguest_init(&lguest_data);
        if (v > 0xff)
                __asm__ __volatile__("outl %0, %1" : : "a"(v), "N"(LGUEST_EXIT_PORT));
        else
                lguest_outb(LGUEST_EXIT_PORT, (uint8_t)v);
}
