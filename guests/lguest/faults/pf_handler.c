/* pf_handler -- not a kill: a page fault the Host hands to the Guest.  It
 * installs an interrupt gate for #PF (14), leaves linear mode (0-4 MiB
 * mapped one to one), and writes to 0x40000123, which is not mapped.  The
 * Host cannot fix that fault, so it writes lguest_data.cr2 and reflects
 * it; the handler prints cr2, the error code and EIP from its frame, and
 * powers off. */
#include "faults.h"

void pf_entry(void);
__attribute__((noreturn, used)) void page_fault(uint32_t errcode, uint32_t eip);

/* The frame: error code, EIP, CS, EFLAGS: page_fault's arguments. */
__asm__(".pushsection .text\n"
        ".globl pf_entry\n"
        "pf_entry:\n\t"
        "call page_fault\n\t"
        "ud2\n"
        ".popsection");

void page_fault(uint32_t errcode, uint32_t eip)
{
        print("page fault: cr2 ");
        puthex(((volatile struct lguest_data *)&lguest_data)->cr2);
        print(", error code ");
        puthex(errcode);
        print(", eip ");
        puthex(eip);
        print("\n");
        lguest_shutdown(LGUEST_SHUTDOWN_POWEROFF, "page fault handled");
}

void main(void)
{
        lguest_init(&lguest_data);
        lguest_set_gate(14, pf_entry, LGUEST_GATE_INTERRUPT, 0);
        paging_on();
        __asm__ __volatile__(".globl fault\nfault:\tmovl $1, 0x40000123" : : : "memory");
}
