/* traps.c -- the IDT, and what the kernel does with each trap.
 *
 * The Guest's IDT is a list of wishes the Host sanitizes (LOAD_IDT_ENTRY).
 * Trap gates for exceptions the Host has no interest in, and the system
 * call's (0x80), go straight into the real IDT: the CPU enters the kernel
 * without the Host.  The page fault and the timer are interrupt gates: the
 * Host delivers them, turning our interrupt flag off as it does. */
#include "tour.h"

uint32_t stat_heap_faults, stat_kills;

extern void divide_error(void), debug(void), int3(void), overflow(void), bounds(void), invalid_op(void),
        device_not_available(void), invalid_tss(void), segment_not_present(void), stack_segment(void),
        general_protection(void), page_fault(void), coprocessor_error(void), alignment_check(void),
        simd_error(void), timer_interrupt(void), system_call(void);

static const struct {
        uint8_t vector, type, dpl;
        void (*handler)(void);
        const char *name;
} gates[] = {
        { 0, LGUEST_GATE_TRAP, 0, divide_error, "divide error" },
        { 1, LGUEST_GATE_TRAP, 0, debug, "debug" },
        { 3, LGUEST_GATE_TRAP, 3, int3, "breakpoint" },
        { 4, LGUEST_GATE_TRAP, 3, overflow, "overflow" },
        { 5, LGUEST_GATE_TRAP, 0, bounds, "bounds" },
        { 6, LGUEST_GATE_TRAP, 0, invalid_op, "invalid opcode" },
        { 7, LGUEST_GATE_TRAP, 0, device_not_available, "device not available" },
        { 10, LGUEST_GATE_TRAP, 0, invalid_tss, "invalid TSS" },
        { 11, LGUEST_GATE_TRAP, 0, segment_not_present, "segment not present" },
        { 12, LGUEST_GATE_TRAP, 0, stack_segment, "stack segment" },
        { 13, LGUEST_GATE_TRAP, 0, general_protection, "general protection" },
        { 14, LGUEST_GATE_INTERRUPT, 0, page_fault, "page fault" },
        { 16, LGUEST_GATE_TRAP, 0, coprocessor_error, "x87 error" },
        { 17, LGUEST_GATE_TRAP, 0, alignment_check, "alignment check" },
        { 19, LGUEST_GATE_TRAP, 0, simd_error, "SIMD error" },
        { 32, LGUEST_GATE_INTERRUPT, 0, timer_interrupt, "timer" },
        { 0x80, LGUEST_GATE_TRAP, 3, system_call, "system call" },
};

void traps_init(void)
{
        for (unsigned i = 0; i < sizeof(gates) / sizeof(gates[0]); i++)
                lguest_set_gate(gates[i].vector, gates[i].handler, gates[i].type, gates[i].dpl);
}

static const char *trap_name(uint32_t vector)
{
        for (unsigned i = 0; i < sizeof(gates) / sizeof(gates[0]); i++)
                if (gates[i].vector == vector)
                        return gates[i].name;
        return "trap";
}

/* A page fault.  The Host has already tried to fix it from our page
 * tables; it comes to us when our tables do not allow the access.  A
 * process's heap is mapped lazily: the first touch of a heap page gets a
 * fresh zeroed page.  Anything else a process does wrong kills it. */
static void do_page_fault(struct trapframe *tf)
{
        uint32_t addr = lguest_data.cr2;
        int user = (tf->error & 4) != 0;

        if (!user)
                panic("kernel page fault at 0x%x (eip 0x%x, error %u)", addr, tf->eip, tf->error);
        current->page_faults++;
        if (!(tf->error & 1) && addr >= current->heap_start && addr < current->brk) {
                /* Accessed and, for a write, dirty already: the Host can map it
                 * at once, writable, and the retried access will not fault. */
                uint32_t flags = PTE_U | PTE_W | PTE_A | ((tf->error & 2) ? PTE_D : 0);
                map_page(current, addr & ~0xfffu, alloc_page(), flags, 1);
                stat_heap_faults++;
                return;
        }
        printk("tour: pid %d (%s): page fault at 0x%x (%s, %s) at eip 0x%x\n", current->pid, current->name, addr,
               (tf->error & 2) ? "write" : "read", (tf->error & 1) ? "protection" : "not present", tf->eip);
        proc_kill(current, "page fault it cannot fix", tf);
}

void syscall_dispatch(struct trapframe *tf);

void trap_dispatch(struct trapframe *tf)
{
        int from_user = (tf->cs & 3) == 3;

        switch (tf->vector) {
        case 14:
                do_page_fault(tf);
                break;
        case 32:
                timer_tick(tf);
                break;
        case 0x80:
                syscall_dispatch(tf);
                break;
        default:
                if (!from_user)
                        panic("%s in the kernel at 0x%x", trap_name(tf->vector), tf->eip);
                printk("tour: pid %d (%s): %s at eip 0x%x\n", current->pid, current->name, trap_name(tf->vector), tf->eip);
                proc_kill(current, trap_name(tf->vector), tf);
        }
        /* Preempt a process only on its way back to user mode. */
        if (from_user && need_resched)
                schedule();
}
