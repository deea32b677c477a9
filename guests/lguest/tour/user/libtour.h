/* libtour.h -- what tour's programs get: Linux's system calls, printf, and
 * their own TLS block through %gs.  libtour is mapped read-only into every
 * process at the same address, one copy of its code for all. */
#ifndef LIBTOUR_H
#define LIBTOUR_H

#include <stdint.h>
#include "syscalls.h"

struct timespec32 {
        int32_t tv_sec, tv_nsec;
};

/* The kernel's struct user_info, at %gs:0. */
struct user_info {
        uint32_t pid;
        char name[16];
        uint32_t bench_kind, bench_count;
};

static inline int32_t syscall3(uint32_t nr, uint32_t a, uint32_t b, uint32_t c)
{
        int32_t ret;
        __asm__ __volatile__("int $0x80" : "=a"(ret) : "0"(nr), "b"(a), "c"(b), "d"(c) : "memory");
        return ret;
}

__attribute__((noreturn)) void exit(int code);
int32_t write(int fd, const void *buf, uint32_t len);
int getpid(void);
void *brk(void *end);
void sched_yield(void);
void sleep_ns(uint32_t ns);
int printf(const char *fmt, ...);
uint32_t tls_pid(void);
uint32_t tls_word(uint32_t offset);
const char *tls_name(char buf[16]);
uint64_t rdtsc(void);

/* Each program's entry point is NAME_start (one symbol table describes
 * every program, so their names must differ): it calls NAME_main and exits
 * with what it returns.  It is where a process's stack begins, so its call
 * frame information says there is no caller (.cfi_undefined %eip): a
 * debugger's backtrace ends there instead of reading past the stack's top.
 * The kernel starts it with ESP at the top of the stack, 16-byte aligned.
 * In .text.start, after the program's .text: its functions keep their
 * places at the start of its text. */
#define PROGRAM(name)                                                   \
        int name##_main(void);                                          \
        __attribute__((naked, noreturn, used, section(".text.start")))  \
        void name##_start(void)                                         \
        {                                                               \
                __asm__(".cfi_undefined %eip\n\t"                       \
                        "xorl %ebp, %ebp\n\t"                           \
                        "call " #name "_main\n\t"                       \
                        "subl $12, %esp\n\t"                            \
                        "pushl %eax\n\t"                                \
                        "call exit");                                   \
        }

#endif
