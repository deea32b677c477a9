/* gp_not_io -- executes sti (or hlt, with hlt=1) at ring 1, with no IDT
 * entry for #GP (13).  Both raise #GP(0), and the Host emulates only in,
 * out and cli; the rest is the Guest's #GP.
 * lguest: "unhandled trap 13 at EIP (0)", EIP = fault_sti or fault_hlt. */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        if (cmdline_value("hlt", 0))
                __asm__ __volatile__(".globl fault_hlt\nfault_hlt:\thlt");
        else
                __asm__ __volatile__(".globl fault_sti\nfault_sti:\tsti");
}
