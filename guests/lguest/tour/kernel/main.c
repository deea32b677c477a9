/* main.c -- the tour kernel's life: boot, start the programs, and when the
 * last one is gone, say how it went and power off.
 *
 * entry.S brought us here at our linked address, on page tables that map
 * RAM at 0 and at PAGE_OFFSET, with lguest_data registered.  What is left
 * of booting is what Linux's lguest_init and start_kernel do for a Guest:
 * a GDT and an IDT through hypercalls, the clock, and the first processes. */
#include "tour.h"

/* Shared with the Host.  Interrupts start off and masked: the timer is
 * unmasked once there is something for it to schedule. */
__attribute__((section(".data.lguest"), aligned(4096)))
struct lguest_data lguest_data = {
        LGUEST_DATA_INIT,
        .kernel_address = PAGE_OFFSET,
};

extern uint32_t mem_mapped;
extern char __alloc_start[];

/* The programs, placed by tour.ld at their own user addresses. */
#define PROGRAM(name) { #name, name##_start, __user_##name##_text, __user_##name##_text_end, __user_##name##_text_pa, \
                        __user_##name##_data, __user_##name##_data_end, __user_##name##_data_pa }
#define DECLARE(name) extern void name##_start(void); \
        extern char __user_##name##_text[], __user_##name##_text_end[], __user_##name##_text_pa[], \
                    __user_##name##_data[], __user_##name##_data_end[], __user_##name##_data_pa[]
DECLARE(hello); DECLARE(primes); DECLARE(collatz); DECLARE(sleeper); DECLARE(heap); DECLARE(crasher); DECLARE(bench);

static const struct program {
        const char *name;
        void (*entry)(void);
        char *text, *text_end, *text_pa, *data, *data_end, *data_pa;
} programs[] = {
        PROGRAM(hello), PROGRAM(primes), PROGRAM(collatz), PROGRAM(sleeper), PROGRAM(heap), PROGRAM(crasher),
};
/* With bench=KIND:COUNT on the command line, only this one runs (npm run bench). */
static const struct program bench_program = PROGRAM(bench);
uint32_t bench_kind, bench_count;

static uint32_t parse_uint(const char *s)
{
        uint32_t v = 0;
        while (*s >= '0' && *s <= '9')
                v = v * 10 + (uint32_t)(*s++ - '0');
        return v;
}

/* Does the word at s start with prefix? */
static int starts(const char *s, const char *prefix)
{
        while (*prefix)
                if (*s++ != *prefix++)
                        return 0;
        return 1;
}

/* "tick_us=N" sets the timer tick; "bench=getpid:N" or "bench=fault:N"
 * runs the bench program instead of the tour; the rest is ignored. */
static void parse_cmdline(const char *cmdline)
{
        for (const char *s = cmdline; *s; s++) {
                if (s != cmdline && s[-1] != ' ')
                        continue;
                if (starts(s, "tick_us=")) {
                        uint32_t us = parse_uint(s + 8);
                        if (us >= 1 && us <= 1000000)
                                tick_ns = us * 1000;
                } else if (starts(s, "bench=getpid:")) {
                        bench_kind = 1;
                        bench_count = parse_uint(s + 13);
                } else if (starts(s, "bench=fault:")) {
                        bench_kind = 2;
                        bench_count = parse_uint(s + 12);
                }
        }
}

/* Linux's GDT, as switch_to_new_gdt loads it: its kernel segments at DPL 0
 * (the Host makes them ring 1: ring 0 is the Host's), user code and data. */
static void load_gdt(void)
{
        lguest_load_gdt_entry(12, 0x0000ffff, 0x00cf9a00);   /* kernel code */
        lguest_load_gdt_entry(13, 0x0000ffff, 0x00cf9200);   /* kernel data */
        lguest_load_gdt_entry(14, 0x0000ffff, 0x00cffa00);   /* user code, DPL 3 */
        lguest_load_gdt_entry(15, 0x0000ffff, 0x00cff200);   /* user data, DPL 3 */
}

/* What answers on a few PC ports?  The console, and the keyboard status
 * (1, as lguest's Launcher): each IN is a #GP the Host emulates. */
static void probe_ports(void)
{
        static const uint16_t ports[] = { 0x60, 0x64, 0x3f8 + 5, 0x71, LGUEST_CONSOLE_PORT };
        printk("tour: probing ports:");
        for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
                printk(" 0x%x=0x%x", ports[i], lguest_inb(ports[i]));
        printk(" (0xff: nothing there)\n");
}

void kernel_main(void)
{
        const void *bp = __va(0);
        const char *cmdline = __va(lguest_bp_u32(bp, LGUEST_BP_CMD_LINE_PTR));

        printk("tour: a small paravirtual kernel, at ring %u under the lguest Host\n", (unsigned)(KERNEL_CS & 3));
        parse_cmdline(cmdline);
        printk("tour: %u MiB of RAM, command line \"%s\"\n", mem_mapped >> 20, cmdline);
        printk("tour: lguest_data at 0x%x: tsc_khz %u, reserve_mem 0x%x, time %d s\n", __pa(&lguest_data),
               lguest_data.tsc_khz, lguest_data.reserve_mem, lguest_data.time.tv_sec);

        /* The identity mapping at 0 was only for the jump up here. */
        for (unsigned i = 0; i < (mem_mapped + 0x3fffff) >> 22; i++)
                kernel_pgdir[i] = 0;
        lguest_flush_tlb(0);

        load_gdt();
        traps_init();
        probe_ports();
        mm_init(mem_mapped, __pa(__alloc_start));
        printk("tour: %u pages free, timer tick %u ns\n", pages_free(), tick_ns);

        sched_init();
        for (unsigned i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
                const struct program *pg = bench_kind ? &bench_program : &programs[i];
                spawn(pg->name, (uint32_t)pg->entry, (uint32_t)pg->text, (uint32_t)pg->text_end, (uint32_t)pg->text_pa,
                      (uint32_t)pg->data, (uint32_t)pg->data_end, (uint32_t)pg->data_pa);
                if (bench_kind)
                        break;
        }
        hcall_flush();

        /* Unmask the timer, start it, and let interrupts in. */
        lguest_data.blocked_interrupts[0] &= ~(1u << LGUEST_TIMER_IRQ);
        lguest_set_clockevent(tick_ns);
        irq_enable();
        idle_loop();
}

static const char *syscall_names[400] = {
        [1] = "exit", [4] = "write", [20] = "getpid", [45] = "brk", [158] = "sched_yield", [162] = "nanosleep",
};

void summary_and_power_off(void)
{
        printk("tour: every process has finished after %llu ns\n", now_ns());
        printk("tour: %u timer ticks, %u context switches, %u idle halts\n", stat_ticks, stat_switches, stat_idle_halts);
        printk("tour: system calls:");
        for (unsigned i = 0; i < 400; i++)
                if (stat_syscalls[i])
                        printk(" %s %u", syscall_names[i] ? syscall_names[i] : "?", stat_syscalls[i]);
        printk("\ntour: %u heap pages faulted in, %u processes killed, %u pages free\n", stat_heap_faults, stat_kills,
               pages_free());
        printk("  pid name      ticks syscalls faults  end\n");
        for (int i = 1; i < MAX_PROCS; i++) {
                struct proc *p = &procs[i];
                if (p->state == P_FREE)
                        continue;
                printk("  %3d %-8s %6u %8u %6u  ", p->pid, p->name, p->ticks, p->syscalls, p->page_faults);
                if (p->killed_by)
                        printk("killed: %s\n", p->killed_by);
                else
                        printk("exit %d\n", p->exit_code);
        }
        /* The Host takes physical addresses, and we are not in linear mode. */
        static const char bye[] = "tour: power off";
        hcall(LHCALL_SHUTDOWN, __pa(bye), LGUEST_SHUTDOWN_POWEROFF, 0, 0);
        __builtin_trap();
}
