/* bad_idt_type -- LOAD_IDT_ENTRY for vector vec (default 6) with a present
 * gate of type=T (default 5, a task gate).  Only interrupt (0xe) and trap
 * (0xf) gates are allowed; a gate with p=0 is just cleared, and vectors 2,
 * 8, 15 and 31 are ignored whatever the gate.
 * lguest: "bad IDT type 5". */
#include "faults.h"

void main(void)
{
        uint32_t h = (uint32_t)(uintptr_t)survived;
        uint32_t hi = (h & 0xffff0000) | (cmdline_value("type", 5) << 8);

        if (cmdline_value("p", 1))
                hi |= 0x8000;
        lguest_init(&lguest_data);
        lguest_load_idt_entry(cmdline_value("vec", 6), LGUEST_GATE_LO(h), hi);
}
