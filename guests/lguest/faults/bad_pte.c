/* bad_pte -- leaves linear mode with a page-table entry for 0x400000 that
 * has flags=F set (default PSE, 0x80) or points at frame=ADDR, then reads
 * 0x400000.  There are no 4 MiB pages, and a PTE must point into Guest
 * memory or the devices' registers: with 64 MiB, 0x4000000 up to the
 * device limit 0x4101000 is MMIO (the devices start 1 MiB above memory),
 * and frame=0x4101000 is past it.
 * lguest: "bad page table entry". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        spare_pt[0] = (cmdline_value("frame", 0x400000) & ~0xfffu) | PG_RW | PG_P | cmdline_value("flags", PG_PSE);
        pgdir[1] = lguest_pa(spare_pt) | PG_RW | PG_P;
        paging_on();
        (void)*(volatile uint32_t *)lguest_phys(0x400000);
}
