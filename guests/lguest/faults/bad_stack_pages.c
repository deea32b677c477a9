/* bad_stack_pages -- SET_STACK with pages=N (default 3).  A kernel stack
 * is at most 2 pages.
 * lguest: "bad stack pages 3". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        lguest_set_stack(LGUEST_KERNEL_DS, (uint32_t)(uintptr_t)stack_top, cmdline_value("pages", 3));
}
