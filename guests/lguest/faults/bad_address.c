/* bad_address -- leaves linear mode, installs an interrupt gate for #UD
 * (6), points ESP at esp=ADDR (default 0x40000000, which its page tables
 * do not map) and executes ud2.  The Host reflects the trap by pushing a
 * frame at ESP, through the Guest's page tables, and cannot translate it.
 * (With type=15, a trap gate, #UD goes straight to the Guest instead, and
 * it is the CPU that faults on the stack: a #PF the Guest has no gate for.)
 * lguest: "Bad address 0x40000000". */
#include "faults.h"

void main(void)
{
        uint32_t esp = cmdline_value("esp", 0x40000000);

        lguest_init(&lguest_data);
        paging_on();
        lguest_set_gate(6, survived, cmdline_value("type", LGUEST_GATE_INTERRUPT), 0);
        __asm__ __volatile__("movl %0, %%esp\n.globl fault\nfault:\tud2" : : "r"(esp));
}
