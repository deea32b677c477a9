/* bad_pde -- leaves linear mode with a page-directory entry for 4-8 MiB
 * that has flags=F set (default PWT, 0x8) or points at frame=ADDR, then
 * reads 0x400000.  A PDE may only have P, RW, US, A and D (0x67), and must
 * point into Guest memory.
 * lguest: "bad page directory entry". */
#include "faults.h"

void main(void)
{
        uint32_t i;

        lguest_init(&lguest_data);
        for (i = 0; i < 1024; i++)
                spare_pt[i] = (0x400000 + (i << 12)) | PG_RW | PG_P;
        pgdir[1] = (cmdline_value("frame", lguest_pa(spare_pt)) & ~0xfffu) | PG_RW | PG_P | cmdline_value("flags", PG_PWT);
        paging_on();
        (void)*(volatile uint32_t *)lguest_phys(0x400000);
}
