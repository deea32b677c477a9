/* lib.c -- libtour: system call wrappers and printf for tour's programs. */
#include "libtour.h"
#include "format.h"

void exit(int code)
{
        syscall3(SYS_exit, (uint32_t)code, 0, 0);
        __builtin_unreachable();
}

int32_t write(int fd, const void *buf, uint32_t len)
{
        return syscall3(SYS_write, (uint32_t)fd, (uint32_t)(uintptr_t)buf, len);
}

int getpid(void)
{
        return syscall3(SYS_getpid, 0, 0, 0);
}

void *brk(void *end)
{
        return (void *)(uintptr_t)syscall3(SYS_brk, (uint32_t)(uintptr_t)end, 0, 0);
}

void sched_yield(void)
{
        syscall3(SYS_sched_yield, 0, 0, 0);
}

void sleep_ns(uint32_t ns)
{
        struct timespec32 ts = { (int32_t)(ns / 1000000000u), (int32_t)(ns % 1000000000u) };
        syscall3(SYS_nanosleep, (uint32_t)(uintptr_t)&ts, 0, 0);
}

int printf(const char *fmt, ...)
{
        char buf[256];
        __builtin_va_list ap;

        __builtin_va_start(ap, fmt);
        int n = vformat(buf, sizeof(buf), fmt, ap);
        __builtin_va_end(ap);
        if (n > (int)sizeof(buf) - 1)
                n = sizeof(buf) - 1;
        return write(1, buf, (uint32_t)n);
}

/* The process's own block, through the TLS segment the kernel loaded. */
uint32_t tls_pid(void)
{
        uint32_t pid;
        __asm__("movl %%gs:0, %0" : "=r"(pid));
        return pid;
}

uint32_t tls_word(uint32_t offset)
{
        uint32_t v;
        __asm__("movl %%gs:(%1), %0" : "=r"(v) : "r"(offset));
        return v;
}

const char *tls_name(char buf[16])
{
        for (int i = 0; i < 16; i++)
                __asm__("movb %%gs:(%1), %0" : "=q"(buf[i]) : "r"(4 + i));
        buf[15] = 0;
        return buf;
}

/* The virtual clock: the TSC may be read at ring 3 here (CR4.TSD is clear). */
uint64_t rdtsc(void)
{
        uint32_t lo, hi;
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t)hi << 32) | lo;
}
