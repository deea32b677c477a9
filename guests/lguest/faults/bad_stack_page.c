/* bad_stack_page -- leaves linear mode, then SET_STACK with esp=ADDR
 * (default 0x40000000, which its page tables do not map).  The Host maps
 * the stack pages at once, and they must be mapped writable: with
 * esp=0x800000 the page below is mapped, but read-only.
 * lguest: "bad stack page 0x3fffffff" (the byte below ESP). */
#include "faults.h"

void main(void)
{
        uint32_t i;

        lguest_init(&lguest_data);
        for (i = 0; i < 1024; i++)              /* 4-8 MiB: read-only */
                spare_pt[i] = (0x400000 + (i << 12)) | PG_P;
        pgdir[1] = lguest_pa(spare_pt) | PG_RW | PG_P;
        paging_on();
        lguest_set_stack(LGUEST_KERNEL_DS, cmdline_value("esp", 0x40000000), 1);
}
