/* syscalls.h -- the system call numbers (Linux's, for Linux's calls), shared
 * by the kernel that serves them and libtour that makes them. */
#ifndef SYSCALLS_H
#define SYSCALLS_H

#define SYS_exit        1
#define SYS_write       4
#define SYS_getpid      20
#define SYS_brk         45
#define SYS_sched_yield 158
#define SYS_nanosleep   162

#endif
