/* linear_beyond -- in linear mode, reads the word at=ADDR (default: the
 * end of Guest memory).  Linear mode maps Guest memory and nothing else.
 * lguest: "bad page table entry". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        (void)*(volatile uint32_t *)lguest_phys(cmdline_value("at", mem_size()));
}
