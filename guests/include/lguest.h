/* lguest.h -- what a Guest needs to know to run under our lguest Host.
 *
 * A Guest here is a small 32-bit kernel that has accepted a demotion: it
 * runs at ring 1, not ring 0, so every privileged instruction it tries
 * faults into the Host.  Instead of those instructions it talks to the Host
 * in two ways.  It traps in with a hypercall (int $0x1f, the call number in
 * EAX and up to four arguments in EBX, ECX, EDX and ESI), and it shares a
 * block of its own memory with the Host, struct lguest_data, where each side
 * leaves the other notes: "my interrupts are off", "an interrupt is
 * waiting", "the page fault was at this address", "here is the time".
 *
 * The numbers are those of Linux's lguest as it was when it was removed
 * (v4.1 to v4.13), on a non-PAE i386: same hypercall numbers, same
 * registers, same lguest_data layout byte for byte.  docs/guest-abi.md tells
 * the whole story; the Host (src/vm/lguest/) is being written against it.
 *
 * One header for C and for assembly: the constants are plain #defines, the
 * C types and inline functions sit under !__ASSEMBLER__, and the GNU as
 * macros under __ASSEMBLER__.  guests/lguest/abi_check.c pins every number
 * here at build time, so a typo breaks the build instead of a Guest. */
#ifndef LGUEST_H
#define LGUEST_H

/* ------------------------------------------------------------ trap vectors
 * 0x1f is the last vector the CPU reserves for its own exceptions, so no
 * hardware interrupt can ever arrive there: the Host keeps it for
 * hypercalls, with DPL 1 so Guest user code (ring 3) cannot use it.
 * Virtual interrupt n arrives on vector 32 + n; the timer is interrupt 0.
 * Linux's int $0x80 is the only system-call vector the Host accepts. */
#define LGUEST_TRAP_ENTRY       0x1f
#define LGUEST_SYSCALL_VECTOR   0x80
#define LGUEST_FIRST_IRQ_VECTOR 32
#define LGUEST_IRQS             32
#define LGUEST_TIMER_IRQ        0
#define LGUEST_TIMER_VECTOR     (LGUEST_FIRST_IRQ_VECTOR + LGUEST_TIMER_IRQ)

/* The exceptions for which the CPU (and the Host, when it reflects one)
 * puts an error code on the stack after EIP. */
#define LGUEST_TRAP_HAS_ERRCODE(v) \
        ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17)

/* --------------------------------------------------------------- hypercalls
 * The gaps are history: 3 was the old whole-GDT load, 11 and 12 carried the
 * wall clock and DMA in 2007, 13 sets a middle-level entry and exists only
 * for PAE, 17 was the virtio "notify" of the lguest bus.  Our Host is
 * non-PAE, so every number not listed here kills the Guest ("Bad hypercall
 * N").  No hypercall returns a value: every register comes back as it went
 * in. */
#define LHCALL_FLUSH_ASYNC      0   /* nothing; the trap itself drains the ring */
#define LHCALL_LGUEST_INIT      1   /* (phys of struct lguest_data): must be the first call */
#define LHCALL_SHUTDOWN         2   /* (phys of message, LGUEST_SHUTDOWN_*) */
#define LHCALL_NEW_PGTABLE      4   /* (phys of page directory): "mov to %cr3" */
#define LHCALL_FLUSH_TLB        5   /* (0: user part of current tables, else all) */
#define LHCALL_LOAD_IDT_ENTRY   6   /* (vector, low word, high word) */
#define LHCALL_SET_STACK        7   /* (SS with RPL 1, ESP, pages <= 2) */
#define LHCALL_TS               8   /* (0 or 8: the CR0.TS the Guest wants) */
#define LHCALL_SET_CLOCKEVENT   9   /* (ns until the timer interrupt; 0 stops it) */
#define LHCALL_HALT             10  /* sleep until an interrupt: "sti; hlt" */
#define LHCALL_SET_PTE          14  /* (phys of page directory, virtual address, PTE) */
#define LHCALL_SET_PGD          15  /* (phys of page directory, index) */
#define LHCALL_LOAD_TLS         16  /* (phys of 3 descriptors for GDT slots 6-8) */
#define LHCALL_LOAD_GDT_ENTRY   18  /* (slot, low word, high word) */
#define LHCALL_SEND_INTERRUPTS  19  /* nothing; the trap lets pending interrupts in */

/* SHUTDOWN's second argument.  Power-off ends the run with status 0 and
 * the message on stderr; restart boots the image again; any other value
 * kills the Guest with "CRASH: " and the message.  The Host always reads
 * 128 bytes at the message address and stops at byte 127 at the latest. */
#define LGUEST_SHUTDOWN_POWEROFF 1
#define LGUEST_SHUTDOWN_RESTART  2
#define LGUEST_SHUTDOWN_MSG_MAX  128

/* ------------------------------------------------- the asynchronous ring
 * Trapping into the Host costs a round trip, and a Guest remapping many
 * pages in a row would pay it for each one.  So it may instead write calls
 * into a 64-slot ring inside lguest_data and carry on; the Host runs the
 * queued calls, in order, at the start of the next synchronous hypercall.
 * A slot's status byte says whose turn it is: the Guest writes 0 once the
 * arguments are in place, the Host writes 0xff when it has run the call.
 * A Guest must start with every status byte at 0xff. */
#define LHCALL_RING_SIZE        64
#define LGUEST_HCALL_READY      0x00
#define LGUEST_HCALL_DONE       0xff

/* ------------------------------------------------------- struct lguest_data
 * The byte offsets, for assembly and for anyone reading a memory dump.
 * The C structure below is checked against them. */
#define LGUEST_DATA_IRQ_ENABLED         0
#define LGUEST_DATA_BLOCKED_INTERRUPTS  4
#define LGUEST_DATA_CR2                 8
#define LGUEST_DATA_TIME                12  /* tv_sec at 12, tv_nsec at 16 */
#define LGUEST_DATA_IRQ_PENDING         20
#define LGUEST_DATA_HCALL_STATUS        24
#define LGUEST_DATA_HCALLS              88  /* 64 entries of 20 bytes */
#define LGUEST_DATA_RESERVE_MEM         1368
#define LGUEST_DATA_TSC_KHZ             1372
#define LGUEST_DATA_NOIRQ_IRET          1376
#define LGUEST_DATA_KERNEL_ADDRESS      1380
#define LGUEST_DATA_SYSCALL_VEC         1384
#define LGUEST_DATA_SIZE                1388
#define LGUEST_HCALL_ARGS_SIZE          20

/* irq_enabled and irq_pending use the value the IF bit has in EFLAGS, so
 * a saved EFLAGS masked with it can be stored straight into irq_enabled. */
#define LGUEST_EFLAGS_IF        0x200

/* ------------------------------------------------------------- boot state
 * The Host starts a Guest at its ELF entry point at ring 1 with the same
 * selectors Linux's kernel uses, plus RPL 1: GDT slot 12 (code) and 13
 * (data), both flat 4 GiB with DPL 1.  FS and GS are 0, EFLAGS is 0x202,
 * ESI holds the physical address of boot_params (0) and every other
 * general register, ESP included, is 0: the Guest brings its own stack.
 * Until the first NEW_PGTABLE, virtual addresses are physical ones
 * (lguest's "linear mode"). */
#define LGUEST_KERNEL_CS        0x61
#define LGUEST_KERNEL_DS        0x69
#define LGUEST_GDT_KERNEL_CS    12
#define LGUEST_GDT_KERNEL_DS    13
#define LGUEST_BOOT_EFLAGS      0x202
#define LGUEST_GUEST_PL         1

/* boot_params is Linux's "zero page" at physical 0, and only these fields
 * of it are promised; the command line is a NUL-terminated string at
 * 0x1000.  The single e820 entry covers all of Guest memory. */
#define LGUEST_BOOT_PARAMS          0x0000
#define LGUEST_CMDLINE              0x1000
#define LGUEST_BP_E820_ENTRIES      0x1e8   /* u8 */
#define LGUEST_BP_E820_TABLE        0x2d0   /* struct lguest_e820_entry[] */
#define LGUEST_BP_VERSION           0x206   /* u16: 0x0207 */
#define LGUEST_BP_LOADFLAGS         0x211   /* u8: LGUEST_KEEP_SEGMENTS set */
#define LGUEST_BP_CMD_LINE_PTR      0x228   /* u32: 0x1000 */
#define LGUEST_BP_HARDWARE_SUBARCH  0x23c   /* u32: 1 */
#define LGUEST_BOOT_VERSION         0x0207
#define LGUEST_KEEP_SEGMENTS        0x40
#define LGUEST_SUBARCH_LGUEST       1
#define LGUEST_E820_ENTRY_SIZE      20
#define LGUEST_E820_RAM             1

/* -------------------------------------------------------------- the GDT
 * The Host keeps a 32-entry copy of the Guest's GDT.  Slots 10 and 11 hold
 * the Host's own ring-0 segments and 16 and 31 its task-state segments, so
 * LOAD_GDT_ENTRY leaves those alone; a DPL of 0 becomes 1 (ring 0 is not
 * the Guest's to have).  LOAD_TLS fills slots 6 to 8. */
#define LGUEST_GDT_ENTRIES      32
#define LGUEST_GDT_TLS_FIRST    6
#define LGUEST_GDT_TLS_ENTRIES  3

/* -------------------------------------------------------------- the IDT
 * LOAD_IDT_ENTRY takes the two 32-bit words of an ordinary i386 gate.  Only
 * interrupt gates (type 0xe) and trap gates (0xf) are allowed, the selector
 * is always replaced by LGUEST_KERNEL_CS, and vectors 2 (NMI), 8 (double
 * fault), 15 and 0x1f are quietly ignored: those belong to the Host.  An
 * interrupt gate is a promise that the handler starts with interrupts off,
 * which the Host keeps by clearing irq_enabled as it enters the handler. */
#define LGUEST_GATE_INTERRUPT   0xe
#define LGUEST_GATE_TRAP        0xf
#define LGUEST_GATE_LO(handler) \
        ((LGUEST_KERNEL_CS << 16) | ((handler) & 0xffff))
#define LGUEST_GATE_HI(handler, type, dpl) \
        (((handler) & 0xffff0000) | 0x8000 | ((dpl) << 13) | ((type) << 8))
#define LGUEST_IDT_IGNORED(v) \
        ((v) == 2 || (v) == 8 || (v) == 15 || (v) == LGUEST_TRAP_ENTRY)

/* Direct traps.  Bouncing every exception through the Host costs two world
 * switches, so the Host lets some of them go straight from the CPU to the
 * Guest's handler at ring 1: exceptions below 32 and the system call, as
 * long as the Guest's gate is a trap gate.  The Host must see #NM (7),
 * #GP (13: port I/O is emulated there), #PF (14: shadow page tables and
 * CR2) and the hypercall (0x1f) itself; 2, 8 and 15 are never the Guest's.
 * Interrupt gates never go direct, because the CPU would clear the real IF,
 * which the Guest is not allowed to touch.  Everything else exits to the
 * Host, which deals with it itself (port I/O, shadow page faults,
 * hypercalls) or builds the same frame the CPU would have and enters the
 * Guest's handler: only the cost differs. */
#define LGUEST_DIRECT_TRAP_VECTOR(v) \
        (((v) < 32 && (v) != 2 && (v) != 7 && (v) != 8 && (v) != 13 && \
          (v) != 14 && (v) != 15 && (v) != LGUEST_TRAP_ENTRY) || \
         (v) == LGUEST_SYSCALL_VECTOR)
#define LGUEST_DIRECT_TRAP(v, type) \
        (LGUEST_DIRECT_TRAP_VECTOR(v) && (type) == LGUEST_GATE_TRAP)

/* ----------------------------------------------------------- page tables
 * Plain two-level i386 paging, 4 KiB pages only.  A page-directory entry
 * may carry no flags beyond present, writable, user, accessed and dirty,
 * and no entry may use 4 MiB pages or point past the end of Guest memory:
 * the Host kills a Guest that tries.  The top reserve_mem bytes of the
 * virtual address space are the Host's (0x400000 today: the Switcher
 * lives at 0xffc00000). */
#define LGUEST_PDE_ALLOWED_FLAGS 0x67
#define LGUEST_PTE_PSE           0x80
#define LGUEST_PGDIR_ENTRIES     1024
#define LGUEST_PAGE_SIZE         4096

/* SET_STACK: the kernel stack used when a trap arrives from ring 3 may
 * span at most two pages, and the Host maps them up front. */
#define LGUEST_STACK_PAGES_MAX  2

/* --------------------------------------------------------------- I/O ports
 * IN and OUT at ring 1 fault, and the Host carries them out.  Bytes
 * written to 0xe9 are the console; a value v written to 0xf4 ends the run
 * with exit status (v << 1) | 1.  Every other port reads as all ones and
 * ignores writes. */
#define LGUEST_CONSOLE_PORT     0xe9
#define LGUEST_EXIT_PORT        0xf4

/* The clock: one nanosecond per instruction, so the TSC ticks at 1 GHz. */
#define LGUEST_TSC_KHZ          1000000


#ifndef __ASSEMBLER__
/* ===================================================================== C */

#include <stddef.h>
#include <stdint.h>

/* One hypercall's registers, in the order the Host saves them: EAX, EBX,
 * ECX, EDX, ESI.  The asynchronous ring holds 64 of these. */
struct lguest_hcall_args {
        uint32_t arg0;          /* the call number */
        uint32_t arg1, arg2, arg3, arg4;
};

/* i386 Linux's struct timespec: two 32-bit words. */
struct lguest_timespec {
        int32_t tv_sec;
        int32_t tv_nsec;
};

/* The page of notes the Guest and the Host share.  It lives in the Guest's
 * memory wherever the Guest likes; LGUEST_INIT tells the Host its physical
 * address, and the whole of it must be inside Guest memory.  The comment on
 * each field says who writes it.  Fields the Host writes change while the
 * Guest is not looking (at any trap, or when an interrupt is delivered), so
 * read them after a hypercall or through a volatile pointer. */
struct lguest_data {
        /* Guest: LGUEST_EFLAGS_IF when it is willing to take interrupts, 0
         * when not.  This is the Guest's cli and sti: the real IF stays on
         * while the Guest runs, and a hypercall per cli would be far too
         * slow.  The Host writes it too: 0 when it enters an interrupt-gate
         * handler, LGUEST_EFLAGS_IF when it wakes the Guest from HALT. */
        uint32_t irq_enabled;
        /* Guest: bit n masks virtual interrupt n without turning off the
         * others; this is the Guest's interrupt controller. */
        uint32_t blocked_interrupts[1];
        /* Host: where the last page fault it passed to the Guest happened.
         * The Guest cannot read %cr2 at ring 1. */
        uint32_t cr2;
        /* Host: the wall clock, written at LGUEST_INIT and whenever it
         * delivers an interrupt. */
        struct lguest_timespec time;
        /* Host: LGUEST_EFLAGS_IF when an interrupt is waiting for the Guest
         * to turn interrupts back on, 0 when nothing is waiting.  A Guest
         * that re-enables interrupts and finds it set should make the
         * SEND_INTERRUPTS hypercall, or the interrupt waits for the next
         * trap. */
        int32_t irq_pending;
        /* Both: the asynchronous ring described above. */
        uint8_t hcall_status[LHCALL_RING_SIZE];
        /* Guest: the queued calls. */
        struct lguest_hcall_args hcalls[LHCALL_RING_SIZE];
        /* Host: the bytes at the top of the virtual address space the Guest
         * must leave unmapped, because the Host's Switcher lives there. */
        uint32_t reserve_mem;
        /* Host: the TSC frequency in kHz (0 would mean "don't use it"). */
        uint32_t tsc_khz;
        /* Guest: the address of its one iret that must not be interrupted
         * (see LGUEST_IRET below); read by the Host at LGUEST_INIT. */
        uint32_t noirq_iret;
        /* Guest: the virtual address above which every one of its page
         * tables maps the same thing (Linux's PAGE_OFFSET), so the Host can
         * keep those shadow mappings across address-space switches.  Read
         * at LGUEST_INIT; it must be below the Switcher. */
        uint32_t kernel_address;
        /* Guest: its system-call vector, LGUEST_SYSCALL_VECTOR; any other
         * value gets the Guest killed at LGUEST_INIT. */
        uint32_t syscall_vec;
};

_Static_assert(sizeof(struct lguest_hcall_args) == LGUEST_HCALL_ARGS_SIZE, "hcall_args");
_Static_assert(offsetof(struct lguest_data, irq_enabled) == LGUEST_DATA_IRQ_ENABLED, "irq_enabled");
_Static_assert(offsetof(struct lguest_data, blocked_interrupts) == LGUEST_DATA_BLOCKED_INTERRUPTS, "blocked_interrupts");
_Static_assert(offsetof(struct lguest_data, cr2) == LGUEST_DATA_CR2, "cr2");
_Static_assert(offsetof(struct lguest_data, time) == LGUEST_DATA_TIME, "time");
_Static_assert(offsetof(struct lguest_data, time.tv_nsec) == LGUEST_DATA_TIME + 4, "time.tv_nsec");
_Static_assert(offsetof(struct lguest_data, irq_pending) == LGUEST_DATA_IRQ_PENDING, "irq_pending");
_Static_assert(offsetof(struct lguest_data, hcall_status) == LGUEST_DATA_HCALL_STATUS, "hcall_status");
_Static_assert(offsetof(struct lguest_data, hcalls) == LGUEST_DATA_HCALLS, "hcalls");
_Static_assert(offsetof(struct lguest_data, reserve_mem) == LGUEST_DATA_RESERVE_MEM, "reserve_mem");
_Static_assert(offsetof(struct lguest_data, tsc_khz) == LGUEST_DATA_TSC_KHZ, "tsc_khz");
_Static_assert(offsetof(struct lguest_data, noirq_iret) == LGUEST_DATA_NOIRQ_IRET, "noirq_iret");
_Static_assert(offsetof(struct lguest_data, kernel_address) == LGUEST_DATA_KERNEL_ADDRESS, "kernel_address");
_Static_assert(offsetof(struct lguest_data, syscall_vec) == LGUEST_DATA_SYSCALL_VEC, "syscall_vec");
_Static_assert(sizeof(struct lguest_data) == LGUEST_DATA_SIZE, "sizeof lguest_data");

/* An initializer for the fields a Guest must get right before LGUEST_INIT:
 * the ring empty, interrupts off and all masked, no protected iret yet, the
 * system-call vector the Host accepts.  kernel_address is the Guest's own
 * choice and goes after it:
 *     struct lguest_data lguest_data = { LGUEST_DATA_INIT,
 *                                        .kernel_address = 0xc0000000 }; */
#define LGUEST_DATA_INIT                                                \
        .irq_enabled = 0,                                               \
        .blocked_interrupts = { 0xffffffff },                           \
        .hcall_status = { LGUEST_HCALL_DONE_X64 },                      \
        .noirq_iret = 0,                                                \
        .syscall_vec = LGUEST_SYSCALL_VECTOR
#define LGUEST_HCALL_DONE_X8 LGUEST_HCALL_DONE, LGUEST_HCALL_DONE,      \
        LGUEST_HCALL_DONE, LGUEST_HCALL_DONE, LGUEST_HCALL_DONE,        \
        LGUEST_HCALL_DONE, LGUEST_HCALL_DONE, LGUEST_HCALL_DONE
#define LGUEST_HCALL_DONE_X64 LGUEST_HCALL_DONE_X8, LGUEST_HCALL_DONE_X8, \
        LGUEST_HCALL_DONE_X8, LGUEST_HCALL_DONE_X8, LGUEST_HCALL_DONE_X8, \
        LGUEST_HCALL_DONE_X8, LGUEST_HCALL_DONE_X8, LGUEST_HCALL_DONE_X8

/* boot_params' e820 entries are packed: 20 bytes each. */
struct lguest_e820_entry {
        uint64_t addr;
        uint64_t size;
        uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct lguest_e820_entry) == LGUEST_E820_ENTRY_SIZE, "e820 entry");

/* ----------------------------------------------------------- hypercalls */

/* The one way into the Host.  The Host may read and write Guest memory
 * during the call (lguest_data, the message, the ring), hence "memory". */
static inline void hcall(uint32_t call, uint32_t arg1, uint32_t arg2,
                         uint32_t arg3, uint32_t arg4)
{
        __asm__ __volatile__("int $0x1f"
                             : /* no result: registers come back unchanged */
                             : "a"(call), "b"(arg1), "c"(arg2), "d"(arg3), "S"(arg4)
                             : "memory");
}

/* The Host takes physical addresses.  In linear mode, and in any mapping
 * the Guest keeps identical to physical memory, a pointer already is one. */
static inline uint32_t lguest_pa(const volatile void *p)
{
        return (uint32_t)(uintptr_t)p;
}

/* And the other way: a pointer to a physical address, for linear mode.
 * The empty asm hides the value from the compiler, which would otherwise
 * treat boot_params at address 0 as a null pointer and "optimise" reads
 * of it into a trap. */
static inline void *lguest_phys(uint32_t pa)
{
        void *p;
        __asm__("" : "=r"(p) : "0"(pa));
        return p;
}

static inline void lguest_init(struct lguest_data *data)
{
        hcall(LHCALL_LGUEST_INIT, lguest_pa(data), 0, 0, 0);
}

/* message: a NUL-terminated string at most 127 characters long, with 128
 * bytes of Guest memory behind its address.  SHUTDOWN does not return;
 * if a Host ever let it, ud2 makes that an "unhandled trap 6" at once. */
static inline __attribute__((noreturn)) void lguest_shutdown(uint32_t how, const char *message)
{
        hcall(LHCALL_SHUTDOWN, lguest_pa(message), how, 0, 0);
        __builtin_trap();
}

static inline void lguest_new_pgtable(uint32_t pgdir_pa)
{
        hcall(LHCALL_NEW_PGTABLE, pgdir_pa, 0, 0, 0);
}

static inline void lguest_flush_tlb(int all)
{
        hcall(LHCALL_FLUSH_TLB, all ? 1 : 0, 0, 0, 0);
}

static inline void lguest_load_idt_entry(uint32_t vector, uint32_t lo, uint32_t hi)
{
        hcall(LHCALL_LOAD_IDT_ENTRY, vector, lo, hi, 0);
}

/* Point vector at handler with the given gate type and DPL (3 for a gate
 * ring 3 may use with int, such as the system call). */
static inline void lguest_set_gate(uint32_t vector, void (*handler)(void), uint32_t type, uint32_t dpl)
{
        uint32_t h = (uint32_t)(uintptr_t)handler;
        lguest_load_idt_entry(vector, LGUEST_GATE_LO(h), LGUEST_GATE_HI(h, type, dpl));
}

static inline void lguest_set_stack(uint32_t ss, uint32_t esp, uint32_t pages)
{
        hcall(LHCALL_SET_STACK, ss, esp, pages, 0);
}

static inline void lguest_set_clockevent(uint32_t ns)
{
        hcall(LHCALL_SET_CLOCKEVENT, ns, 0, 0, 0);
}

static inline void lguest_halt(void)
{
        hcall(LHCALL_HALT, 0, 0, 0, 0);
}

/* The Host takes the new entry from pte rather than from the table, but
 * later page faults read the table: write the entry there as well. */
static inline void lguest_set_pte(uint32_t pgdir_pa, uint32_t vaddr, uint32_t pte)
{
        hcall(LHCALL_SET_PTE, pgdir_pa, vaddr, pte, 0);
}

static inline void lguest_set_pgd(uint32_t pgdir_pa, uint32_t index)
{
        hcall(LHCALL_SET_PGD, pgdir_pa, index, 0, 0);
}

static inline void lguest_load_tls(uint32_t descriptors_pa)
{
        hcall(LHCALL_LOAD_TLS, descriptors_pa, 0, 0, 0);
}

static inline void lguest_load_gdt_entry(uint32_t slot, uint32_t lo, uint32_t hi)
{
        hcall(LHCALL_LOAD_GDT_ENTRY, slot, lo, hi, 0);
}

static inline void lguest_send_interrupts(void)
{
        hcall(LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
}

/* Queue a call in the ring, or make it at once when the ring is full (the
 * Host then runs the queued ones first, so the order holds).  *next is the
 * Guest's own cursor, starting at 0.  Call it with interrupts off if an
 * interrupt handler might queue calls too. */
static inline void lguest_hcall_async(struct lguest_data *data, unsigned *next,
                                      uint32_t call, uint32_t arg1, uint32_t arg2,
                                      uint32_t arg3, uint32_t arg4)
{
        volatile uint8_t *status = &data->hcall_status[*next];

        if (*status != LGUEST_HCALL_DONE) {
                hcall(call, arg1, arg2, arg3, arg4);
                return;
        }
        data->hcalls[*next].arg0 = call;
        data->hcalls[*next].arg1 = arg1;
        data->hcalls[*next].arg2 = arg2;
        data->hcalls[*next].arg3 = arg3;
        data->hcalls[*next].arg4 = arg4;
        /* The Host must never see the slot ready before its arguments. */
        __asm__ __volatile__("" ::: "memory");
        *status = LGUEST_HCALL_READY;
        *next = (*next + 1) % LHCALL_RING_SIZE;
}

/* --------------------------------------------------------------- I/O ports */

static inline void lguest_outb(uint16_t port, uint8_t value)
{
        __asm__ __volatile__("outb %0, %1" : : "a"(value), "Nd"(port));
}

static inline uint8_t lguest_inb(uint16_t port)
{
        uint8_t value;
        __asm__ __volatile__("inb %1, %0" : "=a"(value) : "Nd"(port));
        return value;
}

static inline void lguest_console_putc(char c)
{
        lguest_outb(LGUEST_CONSOLE_PORT, (uint8_t)c);
}

/* --------------------------------------------------------- boot_params */

/* Reads that do not care about alignment or about the type boot_params
 * was written as. */
typedef uint16_t __attribute__((may_alias, aligned(1))) lguest_u16_any;
typedef uint32_t __attribute__((may_alias, aligned(1))) lguest_u32_any;

static inline uint8_t lguest_bp_u8(const volatile void *bp, uint32_t offset)
{
        return ((const volatile uint8_t *)bp)[offset];
}

static inline uint16_t lguest_bp_u16(const volatile void *bp, uint32_t offset)
{
        return *(const volatile lguest_u16_any *)((const volatile uint8_t *)bp + offset);
}

static inline uint32_t lguest_bp_u32(const volatile void *bp, uint32_t offset)
{
        return *(const volatile lguest_u32_any *)((const volatile uint8_t *)bp + offset);
}

#else /* __ASSEMBLER__ */
/* ============================================================ assembly */

/* LGUEST_HCALL call: make hypercall `call` with whatever is already in
 * EBX, ECX, EDX and ESI. */
.macro LGUEST_HCALL call:req
        movl    $\call, %eax
        int     $LGUEST_TRAP_ENTRY
.endm

/* LGUEST_HCALL_ARGS call, a1, a2, a3, a4: load the arguments that are
 * given (any AT&T source operand: $imm, %reg, memory) into EBX, ECX, EDX
 * and ESI, then make the call.  EAX and the named registers change. */
.macro LGUEST_HCALL_ARGS call:req, a1, a2, a3, a4
        .ifnb \a1
        movl    \a1, %ebx
        .endif
        .ifnb \a2
        movl    \a2, %ecx
        .endif
        .ifnb \a3
        movl    \a3, %edx
        .endif
        .ifnb \a4
        movl    \a4, %esi
        .endif
        LGUEST_HCALL \call
.endm

/* LGUEST_IRQ_DISABLE data: the Guest's cli.  `data` is the symbol of its
 * struct lguest_data.  No register changes. */
.macro LGUEST_IRQ_DISABLE data:req
        movl    $0, \data + LGUEST_DATA_IRQ_ENABLED
.endm

/* LGUEST_IRQ_ENABLE data: the Guest's sti.  An interrupt that arrived
 * while interrupts were off is only noted in irq_pending; SEND_INTERRUPTS
 * lets it in now rather than at the next trap.  Changes the arithmetic
 * flags, no register. */
.macro LGUEST_IRQ_ENABLE data:req
        movl    $LGUEST_EFLAGS_IF, \data + LGUEST_DATA_IRQ_ENABLED
        cmpl    $0, \data + LGUEST_DATA_IRQ_PENDING
        je      .Llguest_irq_on_\@
        pushl   %eax
        LGUEST_HCALL LHCALL_SEND_INTERRUPTS
        popl    %eax
.Llguest_irq_on_\@:
.endm

/* LGUEST_IRET data, label: return from an interrupt or trap handler.
 * iret at ring 1 cannot change the real IF, so the Guest's own flag is
 * restored by hand from the EFLAGS in the frame (EIP, CS, EFLAGS from
 * ESP up).  Once irq_enabled is back on, the Host could deliver an
 * interrupt before the iret, pushing a fresh frame on top of this one;
 * under a stream of interrupts that nests without end.  So the copy is
 * done memory to memory, leaving the iret as the only instruction after
 * it, and `label` (which the macro defines there, and which the Guest
 * stores in lguest_data.noirq_iret) tells the Host never to interrupt that
 * iret but to reuse its frame for the new interrupt instead.  Expand it
 * once per Guest and jump to it from every handler.  With cfi=1 it says
 * its push and pop in the call frame information it is part of. */
.macro LGUEST_IRET data:req, label:req, cfi=0
        pushl   8(%esp)
        .if \cfi
        .cfi_adjust_cfa_offset 4
        .endif
        andl    $LGUEST_EFLAGS_IF, (%esp)
        popl    \data + LGUEST_DATA_IRQ_ENABLED
        .if \cfi
        .cfi_adjust_cfa_offset -4
        .endif
\label:
        iret
.endm

#endif /* __ASSEMBLER__ */
#endif /* LGUEST_H */
