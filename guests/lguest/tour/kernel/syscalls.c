/* syscalls.c -- the system calls, Linux's numbers for Linux's calls:
 * int $0x80 with the number in EAX and arguments in EBX, ECX, EDX; the
 * result in EAX.  The gate is a trap gate at DPL 3, so the Host puts it in
 * the real IDT and a system call never leaves the Guest. */
#include "tour.h"
#include "syscalls.h"

#define ENOSYS          38
#define EFAULT          14
#define EINVAL          22

uint32_t stat_syscalls[400];

/* A user range must be below the kernel. */
static int user_range_ok(uint32_t addr, uint32_t len)
{
        return addr + len >= addr && addr + len <= PAGE_OFFSET;
}

static int32_t sys_write(uint32_t fd, uint32_t buf, uint32_t len)
{
        if (fd != 1 && fd != 2)
                return -EINVAL;
        if (!user_range_ok(buf, len))
                return -EFAULT;
        /* The process's own pages are mapped while we run on its behalf. */
        const char *s = (const char *)(uintptr_t)buf;
        for (uint32_t i = 0; i < len; i++)
                putc(s[i]);
        return (int32_t)len;
}

/* brk(0) asks where the heap ends; brk(addr) moves the end.  Growing maps
 * nothing (the pages come on first touch, see do_page_fault); shrinking
 * unmaps and frees what was touched, in one batch of SET_PTEs. */
static uint32_t sys_brk(uint32_t addr)
{
        struct proc *p = current;
        if (addr == 0 || addr < p->heap_start || addr > p->heap_start + (64u << 20))
                return p->brk;
        uint32_t old_end = (p->brk + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        uint32_t new_end = (addr + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        for (uint32_t va = new_end; va < old_end; va += PAGE_SIZE) {
                uint32_t pa = unmap_page(p, va);
                if (pa)
                        free_page(pa);
        }
        if (new_end < old_end)
                hcall_flush();
        p->brk = addr;
        return addr;
}

struct timespec32 {
        int32_t tv_sec, tv_nsec;
};

static int32_t sys_nanosleep(uint32_t req)
{
        if (!user_range_ok(req, sizeof(struct timespec32)))
                return -EFAULT;
        const struct timespec32 *ts = (const struct timespec32 *)(uintptr_t)req;
        uint64_t ns = (uint64_t)(uint32_t)ts->tv_sec * 1000000000u + (uint32_t)ts->tv_nsec;
        sleep_until(now_ns() + ns);
        return 0;
}

void syscall_dispatch(struct trapframe *tf)
{
        uint32_t nr = tf->eax;
        current->syscalls++;
        if (nr < sizeof(stat_syscalls) / sizeof(stat_syscalls[0]))
                stat_syscalls[nr]++;
        int32_t ret;
        switch (nr) {
        case SYS_exit:
                proc_exit((int)tf->ebx);
                return;
        case SYS_write:
                ret = sys_write(tf->ebx, tf->ecx, tf->edx);
                break;
        case SYS_getpid:
                ret = current->pid;
                break;
        case SYS_brk:
                ret = (int32_t)sys_brk(tf->ebx);
                break;
        case SYS_sched_yield:
                schedule();
                ret = 0;
                break;
        case SYS_nanosleep:
                ret = sys_nanosleep(tf->ebx);
                break;
        default:
                ret = -ENOSYS;
        }
        tf->eax = (uint32_t)ret;
}
