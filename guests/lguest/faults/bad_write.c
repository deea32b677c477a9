/* bad_write -- in linear mode, installs an interrupt gate for #UD (6),
 * points ESP at esp=ADDR (default 4 bytes past the end of Guest memory)
 * and executes ud2.  The Host pushes the frame's first word just below
 * ESP, at the end of Guest memory: not the Guest's.
 * lguest: "bad write address 0x4000000 len 4" (with 64 MiB). */
#include "faults.h"

void main(void)
{
        uint32_t esp = cmdline_value("esp", mem_size() + 4);

        lguest_init(&lguest_data);
        lguest_set_gate(6, survived, LGUEST_GATE_INTERRUPT, 0);
        __asm__ __volatile__("movl %0, %%esp\n.globl fault\nfault:\tud2" : : "r"(esp));
}
