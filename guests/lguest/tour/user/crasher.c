/* crasher -- writes through a null pointer.  Nothing is mapped at 0: the
 * Host reflects the page fault to the kernel, which cannot fix it and
 * kills the process. */
#include "libtour.h"

PROGRAM(crasher)

int crasher_main(void)
{
        /* Through a variable, so the compiler cannot see the null. */
        static volatile uintptr_t address = 0;
        printf("[crasher] about to write to address 0\n");
        *(volatile uint32_t *)address = 42;
        printf("[crasher] still alive?\n");
        return 0;
}
