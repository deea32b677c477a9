/* bad_stack_segment -- SET_STACK with ss=SEL (default 0x68, the kernel
 * data segment with RPL 0).  The stack segment must have RPL 1.
 * lguest: "bad stack segment 104". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        lguest_set_stack(cmdline_value("ss", 0x68), (uint32_t)(uintptr_t)stack_top, 1);
}
