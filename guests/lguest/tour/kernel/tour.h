/* tour.h -- the tour kernel's declarations, shared by its C files.
 *
 * tour is a small paravirtual kernel for the lguest Host: it runs at ring 1,
 * at 0xC0000000 in every address space, and runs a handful of programs at
 * ring 3, each in an address space of its own, switching between them on
 * timer interrupts.  Everything a real kernel would do with a privileged
 * instruction it asks the Host for instead, with a hypercall. */
#ifndef TOUR_H
#define TOUR_H

#include "lguest.h"

#define PAGE_OFFSET     0xc0000000u
#define PAGE_SIZE       4096u
#define __pa(v)         ((uint32_t)(uintptr_t)(v) - PAGE_OFFSET)
#define __va(p)         ((void *)(uintptr_t)((uint32_t)(p) + PAGE_OFFSET))

/* Segment selectors, as Linux numbers its GDT (user code and data in slots
 * 14 and 15, TLS in 6). */
#define KERNEL_CS       0x61
#define KERNEL_DS       0x69
#define USER_CS         0x73
#define USER_DS         0x7b
#define USER_TLS        0x33

/* Page table entry bits. */
#define PTE_P   0x001
#define PTE_W   0x002
#define PTE_U   0x004
#define PTE_A   0x020
#define PTE_D   0x040
#define PTE_G   0x100

/* The frame an exception or interrupt leaves on the kernel stack: our
 * registers, then the vector and error code (entry.S pushes a dummy one
 * where the CPU does not), then what the CPU (or the Host, building the
 * same thing) pushed. */
struct trapframe {
        uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;
        uint32_t gs, fs, es, ds;
        uint32_t vector, error;
        uint32_t eip, cs, eflags;
        uint32_t user_esp, user_ss;     /* only when coming from ring 3 */
};

#define MAX_PROCS       8
#define KSTACK_SIZE     (2 * PAGE_SIZE)

enum proc_state { P_FREE, P_RUNNABLE, P_SLEEPING, P_ZOMBIE };

/* What a process sees through %gs: the TLS segment's page. */
struct user_info {
        uint32_t pid;
        char name[16];
        uint32_t bench_kind, bench_count;       /* bench=KIND:COUNT, for the bench program */
};

struct proc {
        int pid;
        const char *name;
        enum proc_state state;
        uint32_t *pgdir;                /* kernel virtual; __pa for the Host */
        uint32_t kstack;                /* lowest address of the kernel stack */
        uint32_t ksp;                   /* saved kernel ESP while switched out */
        uint32_t heap_start, brk;       /* brk: end of the heap, page-aligned or not */
        uint64_t wake_at;               /* sleeping until this many ns */
        uint32_t tls[6];                /* its three TLS descriptors (LOAD_TLS) */
        /* Accounting, for the summary. */
        uint32_t ticks, syscalls, page_faults;
        int exit_code;
        const char *killed_by;          /* why the kernel killed it, or 0 */
};

extern struct lguest_data lguest_data;
extern struct proc procs[MAX_PROCS];
extern struct proc *current;
extern uint32_t kernel_pgdir[1024];
extern unsigned hcall_cursor;

/* console.c */
void putc(char c);
void puts(const char *s);
void printk(const char *fmt, ...);
__attribute__((noreturn)) void panic(const char *fmt, ...);

/* irq.c: the Guest's own interrupt flag (lguest_data.irq_enabled) */
uint32_t irq_save(void);
void irq_restore(uint32_t flags);
void irq_enable(void);
static inline void irq_disable(void) { lguest_data.irq_enabled = 0; }

/* mm.c */
void mm_init(uint32_t mem_bytes, uint32_t first_free);
uint32_t alloc_page(void);                      /* physical address, zeroed */
void free_page(uint32_t pa);
uint32_t *new_pgdir(void);
void map_page(struct proc *p, uint32_t va, uint32_t pa, uint32_t flags, int now);
uint32_t unmap_page(struct proc *p, uint32_t va);
void free_address_space(struct proc *p);
uint32_t pages_free(void);
void hcall_async(uint32_t call, uint32_t a1, uint32_t a2, uint32_t a3);
void hcall_flush(void);

/* sched.c */
void sched_init(void);
extern uint32_t bench_kind, bench_count;
struct proc *spawn(const char *name, uint32_t entry, uint32_t text, uint32_t text_end, uint32_t text_pa,
                   uint32_t data, uint32_t data_end, uint32_t data_pa);
void schedule(void);
void timer_tick(struct trapframe *tf);
void proc_exit(int code);
void proc_kill(struct proc *p, const char *why, struct trapframe *tf);
void sleep_until(uint64_t ns);
uint64_t now_ns(void);
extern int need_resched;
extern uint32_t tick_ns;
extern uint32_t stat_ticks, stat_switches, stat_idle_halts;
int procs_alive(void);
__attribute__((noreturn)) void idle_loop(void);

/* traps.c */
void traps_init(void);
void trap_dispatch(struct trapframe *tf);
extern uint32_t stat_syscalls[400];
extern uint32_t stat_heap_faults, stat_kills;

/* entry.S */
void ret_to_user(void);
void switch_to(uint32_t *prev_ksp, uint32_t next_ksp);
extern void (*const trap_entries[])(void);

/* main.c */
void summary_and_power_off(void);

#endif
