/* guestlib.c -- see guestlib.h. */
#include "guestlib.h"

void print(const char *s)
{
        while (*s)
                lguest_console_putc(*s++);
}

void putdec(uint32_t v)
{
        char buf[11];
        int i = sizeof(buf);

        buf[--i] = '\0';
        do {
                buf[--i] = (char)('0' + v % 10);
                v /= 10;
        } while (v);
        print(&buf[i]);
}

void puthex(uint32_t v)
{
        int i;

        print("0x");
        for (i = 7; i >= 0; i--)
                lguest_console_putc("0123456789abcdef"[(v >> (i * 4)) & 0xf]);
}

static int digit(char c, uint32_t base)
{
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
        return d < (int)base ? d : -1;
}

uint32_t cmdline_value(const char *name, uint32_t def)
{
        const char *p = lguest_phys(lguest_bp_u32(lguest_phys(LGUEST_BOOT_PARAMS), LGUEST_BP_CMD_LINE_PTR));

        while (*p) {
                const char *n = name;
                while (*p == ' ')
                        p++;
                while (*n && *p == *n)
                        p++, n++;
                if (*n == '\0' && *p == '=') {
                        uint32_t v = 0, base = 10;
                        int d;
                        p++;
                        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
                                p += 2, base = 16;
                        while ((d = digit(*p, base)) >= 0)
                                v = v * base + (uint32_t)d, p++;
                        return v;
                }
                while (*p && *p != ' ')
                        p++;
        }
        return def;
}
