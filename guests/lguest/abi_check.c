/* abi_check.c -- built by `make`, never run: every number in lguest.h,
 * written out again here from the ABI (lguest's last version, non-PAE
 * i386, as docs/guest-abi.md gives it), so a slip in the header fails the
 * build.  Keep the two apart: this file says what the numbers must be,
 * the header says how they are spelt. */
#include "lguest.h"

#define PIN(expr, value) _Static_assert((expr) == (value), #expr " is not " #value)

/* Vectors. */
PIN(LGUEST_TRAP_ENTRY, 31);
PIN(LGUEST_SYSCALL_VECTOR, 128);
PIN(LGUEST_FIRST_IRQ_VECTOR, 32);
PIN(LGUEST_IRQS, 32);
PIN(LGUEST_TIMER_IRQ, 0);
PIN(LGUEST_TIMER_VECTOR, 32);

/* Hypercall numbers. */
PIN(LHCALL_FLUSH_ASYNC, 0);
PIN(LHCALL_LGUEST_INIT, 1);
PIN(LHCALL_SHUTDOWN, 2);
PIN(LHCALL_NEW_PGTABLE, 4);
PIN(LHCALL_FLUSH_TLB, 5);
PIN(LHCALL_LOAD_IDT_ENTRY, 6);
PIN(LHCALL_SET_STACK, 7);
PIN(LHCALL_TS, 8);
PIN(LHCALL_SET_CLOCKEVENT, 9);
PIN(LHCALL_HALT, 10);
PIN(LHCALL_SET_PTE, 14);
PIN(LHCALL_SET_PGD, 15);
PIN(LHCALL_LOAD_TLS, 16);
PIN(LHCALL_LOAD_GDT_ENTRY, 18);
PIN(LHCALL_SEND_INTERRUPTS, 19);
PIN(LGUEST_SHUTDOWN_POWEROFF, 1);
PIN(LGUEST_SHUTDOWN_RESTART, 2);
PIN(LGUEST_SHUTDOWN_MSG_MAX, 128);

/* The asynchronous ring. */
PIN(LHCALL_RING_SIZE, 64);
PIN(LGUEST_HCALL_READY, 0);
PIN(LGUEST_HCALL_DONE, 0xff);
PIN(sizeof(struct lguest_hcall_args), 20);
PIN(offsetof(struct lguest_hcall_args, arg0), 0);
PIN(offsetof(struct lguest_hcall_args, arg1), 4);
PIN(offsetof(struct lguest_hcall_args, arg2), 8);
PIN(offsetof(struct lguest_hcall_args, arg3), 12);
PIN(offsetof(struct lguest_hcall_args, arg4), 16);

/* struct lguest_data, field by field, and the assembly offsets. */
PIN(offsetof(struct lguest_data, irq_enabled), 0);
PIN(offsetof(struct lguest_data, blocked_interrupts), 4);
PIN(offsetof(struct lguest_data, cr2), 8);
PIN(offsetof(struct lguest_data, time.tv_sec), 12);
PIN(offsetof(struct lguest_data, time.tv_nsec), 16);
PIN(offsetof(struct lguest_data, irq_pending), 20);
PIN(offsetof(struct lguest_data, hcall_status), 24);
PIN(offsetof(struct lguest_data, hcalls), 88);
PIN(offsetof(struct lguest_data, hcalls[63].arg4), 88 + 63 * 20 + 16);
PIN(offsetof(struct lguest_data, reserve_mem), 1368);
PIN(offsetof(struct lguest_data, tsc_khz), 1372);
PIN(offsetof(struct lguest_data, noirq_iret), 1376);
PIN(offsetof(struct lguest_data, kernel_address), 1380);
PIN(offsetof(struct lguest_data, syscall_vec), 1384);
PIN(sizeof(struct lguest_data), 1388);
PIN(sizeof(((struct lguest_data *)0)->irq_enabled), 4);
PIN(sizeof(((struct lguest_data *)0)->blocked_interrupts), 4);
PIN(sizeof(((struct lguest_data *)0)->cr2), 4);
PIN(sizeof(((struct lguest_data *)0)->time), 8);
PIN(sizeof(((struct lguest_data *)0)->irq_pending), 4);
PIN(sizeof(((struct lguest_data *)0)->hcall_status), 64);
PIN(sizeof(((struct lguest_data *)0)->hcalls), 1280);
PIN(LGUEST_DATA_IRQ_ENABLED, 0);
PIN(LGUEST_DATA_BLOCKED_INTERRUPTS, 4);
PIN(LGUEST_DATA_CR2, 8);
PIN(LGUEST_DATA_TIME, 12);
PIN(LGUEST_DATA_IRQ_PENDING, 20);
PIN(LGUEST_DATA_HCALL_STATUS, 24);
PIN(LGUEST_DATA_HCALLS, 88);
PIN(LGUEST_DATA_RESERVE_MEM, 1368);
PIN(LGUEST_DATA_TSC_KHZ, 1372);
PIN(LGUEST_DATA_NOIRQ_IRET, 1376);
PIN(LGUEST_DATA_KERNEL_ADDRESS, 1380);
PIN(LGUEST_DATA_SYSCALL_VEC, 1384);
PIN(LGUEST_DATA_SIZE, 1388);
PIN(LGUEST_HCALL_ARGS_SIZE, 20);
PIN(LGUEST_EFLAGS_IF, 0x200);

/* Boot state. */
PIN(LGUEST_KERNEL_CS, 0x61);
PIN(LGUEST_KERNEL_DS, 0x69);
PIN(LGUEST_KERNEL_CS, (12 << 3) | 1);
PIN(LGUEST_KERNEL_DS, (13 << 3) | 1);
PIN(LGUEST_GDT_KERNEL_CS, 12);
PIN(LGUEST_GDT_KERNEL_DS, 13);
PIN(LGUEST_BOOT_EFLAGS, 0x202);
PIN(LGUEST_GUEST_PL, 1);
PIN(LGUEST_BOOT_PARAMS, 0);
PIN(LGUEST_CMDLINE, 0x1000);
PIN(LGUEST_BP_E820_ENTRIES, 0x1e8);
PIN(LGUEST_BP_E820_TABLE, 0x2d0);
PIN(LGUEST_BP_VERSION, 0x206);
PIN(LGUEST_BP_LOADFLAGS, 0x211);
PIN(LGUEST_BP_CMD_LINE_PTR, 0x228);
PIN(LGUEST_BP_HARDWARE_SUBARCH, 0x23c);
PIN(LGUEST_BOOT_VERSION, 0x207);
PIN(LGUEST_KEEP_SEGMENTS, 0x40);
PIN(LGUEST_SUBARCH_LGUEST, 1);
PIN(LGUEST_E820_ENTRY_SIZE, 20);
PIN(LGUEST_E820_RAM, 1);
PIN(sizeof(struct lguest_e820_entry), 20);
PIN(offsetof(struct lguest_e820_entry, size), 8);
PIN(offsetof(struct lguest_e820_entry, type), 16);

/* Segments, gates, paging, ports, clock. */
PIN(LGUEST_GDT_ENTRIES, 32);
PIN(LGUEST_GDT_TLS_FIRST, 6);
PIN(LGUEST_GDT_TLS_ENTRIES, 3);
PIN(LGUEST_GATE_INTERRUPT, 0xe);
PIN(LGUEST_GATE_TRAP, 0xf);
PIN(LGUEST_GATE_LO(0x00123456u), 0x00613456u);
PIN(LGUEST_GATE_HI(0x00123456u, LGUEST_GATE_TRAP, 3), 0x0012ef00u);
PIN(LGUEST_GATE_HI(0xc0101234u, LGUEST_GATE_INTERRUPT, 1), 0xc010ae00u);
PIN(LGUEST_PDE_ALLOWED_FLAGS, 0x67);
PIN(LGUEST_PTE_PSE, 0x80);
PIN(LGUEST_PGDIR_ENTRIES, 1024);
PIN(LGUEST_PAGE_SIZE, 4096);
PIN(LGUEST_STACK_PAGES_MAX, 2);
PIN(LGUEST_CONSOLE_PORT, 0xe9);
PIN(LGUEST_EXIT_PORT, 0xf4);
PIN(LGUEST_TSC_KHZ, 1000000);

/* Vectors with an error code: 8, 10-14, 17. */
#define ERRCODE(v, yes) PIN(LGUEST_TRAP_HAS_ERRCODE(v), yes)
ERRCODE(0, 0); ERRCODE(1, 0); ERRCODE(2, 0); ERRCODE(3, 0); ERRCODE(4, 0);
ERRCODE(5, 0); ERRCODE(6, 0); ERRCODE(7, 0); ERRCODE(8, 1); ERRCODE(9, 0);
ERRCODE(10, 1); ERRCODE(11, 1); ERRCODE(12, 1); ERRCODE(13, 1); ERRCODE(14, 1);
ERRCODE(15, 0); ERRCODE(16, 0); ERRCODE(17, 1); ERRCODE(18, 0); ERRCODE(19, 0);
ERRCODE(31, 0); ERRCODE(32, 0); ERRCODE(128, 0);

/* Vectors LOAD_IDT_ENTRY ignores: 2, 8, 15, 31. */
#define IGNORED(v, yes) PIN(LGUEST_IDT_IGNORED(v), yes)
IGNORED(0, 0); IGNORED(1, 0); IGNORED(2, 1); IGNORED(3, 0); IGNORED(7, 0);
IGNORED(8, 1); IGNORED(13, 0); IGNORED(14, 0); IGNORED(15, 1); IGNORED(16, 0);
IGNORED(31, 1); IGNORED(32, 0); IGNORED(128, 0);

/* The direct-trap rule, vector by vector: below 32 except 2, 7, 8, 13, 14,
 * 15 and 31, plus 0x80; and only for trap gates. */
#define DIRECT(v, yes) PIN(LGUEST_DIRECT_TRAP_VECTOR(v), yes); \
        PIN(LGUEST_DIRECT_TRAP(v, LGUEST_GATE_TRAP), yes); \
        PIN(LGUEST_DIRECT_TRAP(v, LGUEST_GATE_INTERRUPT), 0)
DIRECT(0, 1); DIRECT(1, 1); DIRECT(2, 0); DIRECT(3, 1); DIRECT(4, 1);
DIRECT(5, 1); DIRECT(6, 1); DIRECT(7, 0); DIRECT(8, 0); DIRECT(9, 1);
DIRECT(10, 1); DIRECT(11, 1); DIRECT(12, 1); DIRECT(13, 0); DIRECT(14, 0);
DIRECT(15, 0); DIRECT(16, 1); DIRECT(17, 1); DIRECT(18, 1); DIRECT(19, 1);
DIRECT(20, 1); DIRECT(21, 1); DIRECT(22, 1); DIRECT(23, 1); DIRECT(24, 1);
DIRECT(25, 1); DIRECT(26, 1); DIRECT(27, 1); DIRECT(28, 1); DIRECT(29, 1);
DIRECT(30, 1); DIRECT(31, 0); DIRECT(32, 0); DIRECT(33, 0); DIRECT(47, 0);
DIRECT(64, 0); DIRECT(127, 0); DIRECT(128, 1); DIRECT(129, 0); DIRECT(255, 0);

/* The C side must compile and expand, too: the initializer and every
 * wrapper, with the register convention checked in the listing by eye
 * (objdump -d obj/abi_check.o). */
struct lguest_data abi_check_data = { LGUEST_DATA_INIT, .kernel_address = 0xc0000000 };

void abi_check_calls(void);
void abi_check_calls(void)
{
        unsigned next = 0;

        hcall(LHCALL_FLUSH_ASYNC, 0x11, 0x22, 0x33, 0x44);
        lguest_init(&abi_check_data);
        lguest_new_pgtable(0x2000);
        lguest_flush_tlb(1);
        lguest_set_gate(LGUEST_TIMER_VECTOR, abi_check_calls, LGUEST_GATE_INTERRUPT, 1);
        lguest_set_stack(LGUEST_KERNEL_DS, 0x90000, 2);
        lguest_set_clockevent(1000);
        lguest_halt();
        lguest_set_pte(0x2000, 0x400000, 0x400067);
        lguest_set_pgd(0x2000, 1);
        lguest_load_tls(0x3000);
        lguest_load_gdt_entry(14, 0x0000ffff, 0x00cffa00);
        lguest_send_interrupts();
        lguest_hcall_async(&abi_check_data, &next, LHCALL_SET_PTE, 0x2000, 0x1000, 0, 0);
        lguest_outb(LGUEST_CONSOLE_PORT, lguest_inb(0x80));
        lguest_console_putc('!');
        lguest_outb(LGUEST_EXIT_PORT, lguest_bp_u8(lguest_phys(LGUEST_BOOT_PARAMS), LGUEST_BP_LOADFLAGS)
                    + lguest_bp_u16(lguest_phys(0), LGUEST_BP_VERSION)
                    + lguest_bp_u32(lguest_phys(0), LGUEST_BP_CMD_LINE_PTR));
        lguest_shutdown(LGUEST_SHUTDOWN_RESTART, "abi_check");
}
