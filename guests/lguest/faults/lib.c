/* lib.c -- lguest_data and the little else the faults Guests have in common (printing and the
 * command line are in ../lib/guestlib.c, shared with fuzz). */
#include "faults.h"

/* As hello's: interrupts off and all masked, the ring empty, syscall_vec
 * 0x80, kernel_address below the Switcher.  Guests that break one of those
 * rules change the field before LGUEST_INIT. */
__attribute__((section(".data.lguest"), aligned(4096)))
struct lguest_data lguest_data = {
        LGUEST_DATA_INIT,
        .kernel_address = 0xc0000000,
};

uint32_t pgdir[1024] __attribute__((aligned(4096)));
uint32_t spare_pt[1024] __attribute__((aligned(4096)));
static uint32_t low_pt[1024] __attribute__((aligned(4096)));

uint32_t mem_size(void)
{
        return lguest_bp_u32(lguest_phys(LGUEST_BOOT_PARAMS), LGUEST_BP_E820_TABLE + 8);
}

void paging_on(void)
{
        uint32_t i;

        for (i = 0; i < 1024; i++)
                low_pt[i] = (i << 12) | PG_RW | PG_P;
        pgdir[0] = lguest_pa(low_pt) | PG_RW | PG_P;
        lguest_new_pgtable(lguest_pa(pgdir));
}
