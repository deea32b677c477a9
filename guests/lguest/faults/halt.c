/* halt -- HALTs with nothing that could wake it: no timer, or (timer=NS)
 * a timer whose interrupt stays blocked.  Not a kill: the run ends as
 * "halted", and says nothing can wake the Guest.  EIP = halted, after the
 * int $0x1f. */
#include "faults.h"

void main(void)
{
        uint32_t ns = cmdline_value("timer", 0);

        lguest_init(&lguest_data);
        if (ns)
                lguest_set_clockevent(ns);
        __asm__ __volatile__("int $0x1f\n.globl halted\nhalted:" : : "a"(LHCALL_HALT) : "memory");
}
