/* format.c -- a small vsnprintf, built twice: into the kernel (printk)
 * and into libtour (printf), because user code cannot call the kernel's.
 * %s %c %d %u %x, a width (0-padded, or - for left-justified), ll for 64 bits. */
#include <stdint.h>
#include "format.h"

/* Divide *n by base, leaving the quotient in *n; returns the remainder.
 * Two 32-bit divisions, as Linux's do_div, so no 64-bit division helper
 * from libgcc is needed. */
static uint32_t do_div(unsigned long long *n, uint32_t base)
{
        uint32_t hi = (uint32_t)(*n >> 32), lo = (uint32_t)*n;
        uint32_t qhi = hi / base, rem = hi % base, qlo;

        __asm__("divl %4" : "=a"(qlo), "=d"(rem) : "0"(lo), "1"(rem), "rm"(base));
        *n = ((unsigned long long)qhi << 32) | qlo;
        return rem;
}

/* Format into buf (at most size bytes, always terminated); returns the length it wanted. */
int vformat(char *buf, int size, const char *fmt, __builtin_va_list ap)
{
        int n = 0;

#define EMIT(ch) do { if (n < size - 1) buf[n] = (ch); n++; } while (0)
        for (; *fmt; fmt++) {
                if (*fmt != '%') {
                        EMIT(*fmt);
                        continue;
                }
                fmt++;
                char pad = ' ';
                int width = 0, longlong = 0, left = 0;
                if (*fmt == '-') {
                        left = 1;
                        fmt++;
                }
                if (*fmt == '0') {
                        pad = '0';
                        fmt++;
                }
                while (*fmt >= '0' && *fmt <= '9')
                        width = width * 10 + (*fmt++ - '0');
                while (*fmt == 'l') {
                        longlong++;
                        fmt++;
                }
                char tmp[24];
                int len = 0;
                const char *s = tmp;
                switch (*fmt) {
                case 's':
                        s = __builtin_va_arg(ap, const char *);
                        if (!s)
                                s = "(null)";
                        while (s[len])
                                len++;
                        break;
                case 'c':
                        tmp[len++] = (char)__builtin_va_arg(ap, int);
                        break;
                case 'd':
                case 'u':
                case 'x': {
                        unsigned long long v;
                        int neg = 0, base = *fmt == 'x' ? 16 : 10;
                        if (longlong >= 2)
                                v = __builtin_va_arg(ap, unsigned long long);
                        else if (*fmt == 'd') {
                                int x = __builtin_va_arg(ap, int);
                                neg = x < 0;
                                v = neg ? -(unsigned long long)x : (unsigned long long)x;
                        } else
                                v = __builtin_va_arg(ap, unsigned int);
                        char rev[24];
                        int r = 0;
                        do
                                rev[r++] = "0123456789abcdef"[do_div(&v, base)];
                        while (v);
                        if (neg)
                                rev[r++] = '-';
                        while (r)
                                tmp[len++] = rev[--r];
                        break;
                }
                case '%':
                        tmp[len++] = '%';
                        break;
                default:
                        tmp[len++] = '%';
                        tmp[len++] = *fmt;
                }
                for (int i = len; i < width && !left; i++)
                        EMIT(pad);
                for (int i = 0; i < len; i++)
                        EMIT(s[i]);
                for (int i = len; i < width && left; i++)
                        EMIT(' ');
        }
        if (size > 0)
                buf[n < size ? n : size - 1] = '\0';
        return n;
#undef EMIT
}

