/* bad_pgdir -- NEW_PGTABLE with the page directory at=ADDR (default: the
 * end of Guest memory).  The Host reads the Guest's page directory on the
 * very next page fault (fetching the next instruction), from Guest memory.
 * lguest: "bad read address 0x4000000 len 4" (with 64 MiB). */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        lguest_new_pgtable(cmdline_value("at", mem_size()));
}
