/* console.c -- printk.  The console is port 0xE9: each character is an
 * outb, which at ring 1 faults into the Host, which prints it.  Slow, and
 * exactly what the Host's port I/O emulation is for. */
#include "tour.h"
#include "format.h"

void putc(char c)
{
        lguest_console_putc(c);
}

void puts(const char *s)
{
        while (*s)
                putc(*s++);
}

void printk(const char *fmt, ...)
{
        char buf[256];
        __builtin_va_list ap;

        __builtin_va_start(ap, fmt);
        vformat(buf, sizeof(buf), fmt, ap);
        __builtin_va_end(ap);
        puts(buf);
}

/* A kernel bug: tell the Host, which kills us with "CRASH: ..." (a
 * SHUTDOWN that is neither power-off nor restart). */
void panic(const char *fmt, ...)
{
        static char buf[LGUEST_SHUTDOWN_MSG_MAX];
        __builtin_va_list ap;

        irq_disable();
        __builtin_va_start(ap, fmt);
        int n = vformat(buf, sizeof(buf), fmt, ap);
        __builtin_va_end(ap);
        (void)n;
        printk("tour: panic: %s\n", buf);
        hcall(LHCALL_SHUTDOWN, __pa(buf), 0, 0, 0);
        __builtin_trap();
}
