/* bad_idt_vector -- LOAD_IDT_ENTRY for vector vec (default 256) with a
 * good trap gate.  The IDT has 256 entries.
 * lguest: "Setting idt entry 256". */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        lguest_set_gate(cmdline_value("vec", 256), survived, LGUEST_GATE_TRAP, 0);
}
