/* sched.c -- processes and the scheduler.
 *
 * Round robin, preemptive: the Host's one-shot timer (SET_CLOCKEVENT),
 * re-armed on every tick, interrupts whatever runs, and a process that was
 * interrupted in user mode gives way to the next one.  Switching process
 * is switching kernel stacks (switch_to) and telling the Host three
 * things: the new kernel stack for traps from ring 3 (SET_STACK), the new
 * TLS entries (LOAD_TLS), and the new page directory (NEW_PGTABLE).  The
 * first two go through the asynchronous ring, so the three cost one trip
 * to the Host.  With nothing to run, the idle loop halts until the next
 * interrupt (HALT), and the Host skips the idle time at once. */
#include "tour.h"

struct proc procs[MAX_PROCS];
struct proc *current = &procs[0];
int need_resched;
uint32_t tick_ns = 100000;              /* 100 us of virtual time */
uint32_t stat_ticks, stat_switches, stat_idle_halts;
static int last_pid;
static uint8_t kstacks[MAX_PROCS][KSTACK_SIZE] __attribute__((aligned(4096)));

/* The user address space of every process. */
#define USER_TLS_PAGE   0xbffff000u     /* what %gs points at: struct user_info */
#define USER_STACK_TOP  USER_TLS_PAGE   /* two pages of stack below it */

uint64_t now_ns(void)
{
        uint32_t lo, hi;
        /* The TSC runs at tsc_khz; this Host's is 1 GHz, one tick per ns. */
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t)hi << 32) | lo;
}

/* Process 0 is the idle loop, on the boot stack, in the kernel's page tables. */
void sched_init(void)
{
        procs[0].pid = 0;
        procs[0].name = "idle";
        procs[0].state = P_RUNNABLE;
        procs[0].pgdir = kernel_pgdir;
}

/* A TLS descriptor: data, read-write, DPL 3, byte-granular, 32-bit. */
static void tls_descriptor(uint32_t *d, uint32_t base, uint32_t limit)
{
        d[0] = (base << 16) | (limit & 0xffff);
        d[1] = (base & 0xff000000) | ((base >> 16) & 0xff) | (limit & 0xf0000) | 0x40f200;
}

static void map_range(struct proc *p, uint32_t va, uint32_t end, uint32_t pa, uint32_t flags)
{
        for (va &= ~0xfffu, pa &= ~0xfffu; va < end; va += PAGE_SIZE, pa += PAGE_SIZE)
                map_page(p, va, pa, flags, 0);
}

/* A new process running the program whose text and data the Launcher put
 * at text_pa and data_pa: the shared library, its text (read-only) and
 * data, a stack, its TLS page, and a kernel stack set up to "return" to
 * user mode at its entry point the first time it is switched to. */
struct proc *spawn(const char *name, uint32_t entry, uint32_t text, uint32_t text_end, uint32_t text_pa,
                   uint32_t data, uint32_t data_end, uint32_t data_pa)
{
        extern char __libtour_start[], __libtour_end[], __libtour_pa[];
        struct proc *p = 0;
        for (int i = 1; i < MAX_PROCS; i++)
                if (procs[i].state == P_FREE) {
                        p = &procs[i];
                        break;
                }
        if (!p)
                panic("too many processes");
        int slot = (int)(p - procs);
        *p = (struct proc){ .pid = ++last_pid, .name = name, .state = P_RUNNABLE };
        p->pgdir = new_pgdir();
        map_range(p, (uint32_t)__libtour_start, (uint32_t)__libtour_end, (uint32_t)__libtour_pa, PTE_U);
        map_range(p, text, text_end, text_pa, PTE_U);
        map_range(p, data, data_end, data_pa, PTE_U | PTE_W);
        p->heap_start = p->brk = (data_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        for (uint32_t va = USER_STACK_TOP - 2 * PAGE_SIZE; va < USER_STACK_TOP; va += PAGE_SIZE)
                map_page(p, va, alloc_page(), PTE_U | PTE_W, 0);
        uint32_t tls = alloc_page();
        struct user_info *ui = __va(tls);
        ui->pid = (uint32_t)p->pid;
        ui->bench_kind = bench_kind;
        ui->bench_count = bench_count;
        for (int i = 0; name[i] && i < 15; i++)
                ui->name[i] = name[i];
        map_page(p, USER_TLS_PAGE, tls, PTE_U | PTE_W, 0);
        tls_descriptor(&p->tls[0], USER_TLS_PAGE, sizeof(struct user_info) - 1);

        /* The kernel stack: a trapframe for ret_to_user, and under it what
         * switch_to pops (four registers and the return address). */
        p->kstack = (uint32_t)kstacks[slot];
        struct trapframe *tf = (struct trapframe *)(p->kstack + KSTACK_SIZE - sizeof(*tf));
        *tf = (struct trapframe){
                .eip = entry, .cs = USER_CS, .eflags = 0x202, .user_esp = USER_STACK_TOP, .user_ss = USER_DS,
                .ds = USER_DS, .es = USER_DS, .gs = USER_TLS,
        };
        uint32_t *sp = (uint32_t *)tf;
        *--sp = (uint32_t)ret_to_user;
        sp -= 4;                        /* ebp, ebx, esi, edi: zero */
        for (int i = 0; i < 4; i++)
                sp[i] = 0;
        p->ksp = (uint32_t)sp;
        printk("tour: spawned pid %d (%s) at 0x%x, pgdir at 0x%x\n", p->pid, name, entry, __pa(p->pgdir));
        return p;
}

int procs_alive(void)
{
        int n = 0;
        for (int i = 1; i < MAX_PROCS; i++)
                if (procs[i].state == P_RUNNABLE || procs[i].state == P_SLEEPING)
                        n++;
        return n;
}

/* Free what dead processes held; never the one we run on. */
static void reap(void)
{
        for (int i = 1; i < MAX_PROCS; i++) {
                struct proc *p = &procs[i];
                if (p->state == P_ZOMBIE && p != current && p->pgdir) {
                        free_address_space(p);
                }
        }
}

/* The next process to run: round robin from the current one; idle if none. */
static struct proc *pick_next(void)
{
        int start = (int)(current - procs);
        for (int k = 1; k <= MAX_PROCS; k++) {
                struct proc *p = &procs[(start + k) % MAX_PROCS];
                if (p != &procs[0] && p->state == P_RUNNABLE)
                        return p;
        }
        return &procs[0];
}

void schedule(void)
{
        uint32_t flags = irq_save();
        need_resched = 0;
        struct proc *prev = current, *next = pick_next();
        if (next == prev && prev->state == P_RUNNABLE) {
                irq_restore(flags);
                return;
        }
        current = next;
        stat_switches++;
        if (next != &procs[0]) {
                hcall_async(LHCALL_SET_STACK, KERNEL_DS, next->kstack + KSTACK_SIZE, KSTACK_SIZE / PAGE_SIZE);
                hcall_async(LHCALL_LOAD_TLS, __pa(next->tls), 0, 0);
        }
        lguest_new_pgtable(__pa(next->pgdir));
        switch_to(&prev->ksp, next->ksp);
        reap();
        irq_restore(flags);
}

/* The timer interrupt: account the tick, wake sleepers, ask for a switch. */
void timer_tick(struct trapframe *tf)
{
        (void)tf;
        stat_ticks++;
        current->ticks++;
        lguest_set_clockevent(tick_ns);
        uint64_t now = now_ns();
        for (int i = 1; i < MAX_PROCS; i++)
                if (procs[i].state == P_SLEEPING && procs[i].wake_at <= now)
                        procs[i].state = P_RUNNABLE;
        need_resched = 1;
}

void sleep_until(uint64_t ns)
{
        irq_disable();
        current->wake_at = ns;
        current->state = P_SLEEPING;
        schedule();
        irq_enable();
}

void proc_exit(int code)
{
        irq_disable();
        current->exit_code = code;
        current->state = P_ZOMBIE;
        if (current->killed_by)
                printk("tour: pid %d (%s) killed: %s\n", current->pid, current->name, current->killed_by);
        else
                printk("tour: pid %d (%s) exited with status %d\n", current->pid, current->name, code);
        schedule();
        panic("a dead process ran again");
}

void proc_kill(struct proc *p, const char *why, struct trapframe *tf)
{
        (void)tf;
        stat_kills++;
        p->killed_by = why;
        proc_exit(-1);
}

/* Nothing to run: wait for an interrupt.  HALT is "sti; hlt": the Host
 * turns our interrupts on as it wakes us. */
void idle_loop(void)
{
        for (;;) {
                irq_disable();
                reap();
                if (!procs_alive())
                        summary_and_power_off();
                if (pick_next() != &procs[0]) {
                        schedule();
                        continue;
                }
                stat_idle_halts++;
                lguest_halt();
        }
}
