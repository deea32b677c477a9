/* linear_beyond -- in linear mode, reads the word at=ADDR (default: the
 * device limit, past the end of Guest memory and the 1 MiB gap and page of
 * device registers above it).  Linear mode maps Guest memory, and an address
 * among the devices' registers is MMIO; anything past them is no one's.
 * lguest: "bad page table entry". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        (void)*(volatile uint32_t *)lguest_phys(cmdline_value("at", mem_size() + DEVICE_REGION));
}
