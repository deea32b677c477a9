/* too_many_gdt -- LOAD_GDT_ENTRY for slot=N (default 32) with a flat data
 * segment.  The GDT has 32 entries.
 * lguest: "too many gdt entries 32". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        lguest_load_gdt_entry(cmdline_value("slot", 32), 0x0000ffff, 0x00cfb300);
}
