/* unhandled_pf -- leaves linear mode, then reads at=ADDR (default
 * 0x40000000, which its page tables do not map), with no IDT entry for #PF
 * (14).  The Host cannot fix the fault, writes lguest_data.cr2 and cannot
 * reflect it.
 * lguest: "unhandled trap 14 at EIP (0x40000000)", EIP = the symbol fault. */
#include "faults.h"

void main(void)
{
        uint32_t at = cmdline_value("at", 0x40000000);

        lguest_init(&lguest_data);
        paging_on();
        __asm__ __volatile__(".globl fault\nfault:\tmovl (%0), %0" : "+r"(at) : : "memory");
}
