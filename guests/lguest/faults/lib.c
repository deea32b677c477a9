/* lib.c -- lguest_data and the little the faults Guests have in common. */
#include "faults.h"

/* As hello's: interrupts off and all masked, the ring empty, syscall_vec
 * 0x80, kernel_address below the Switcher.  Guests that break one of those
 * rules change the field before LGUEST_INIT. */
__attribute__((section(".data.lguest"), aligned(4096)))
struct lguest_data lguest_data = {
        LGUEST_DATA_INIT,
        .kernel_address = 0xc0000000,
};

uint32_t pgdir[1024] __attribute__((aligned(4096)));
uint32_t spare_pt[1024] __attribute__((aligned(4096)));
static uint32_t low_pt[1024] __attribute__((aligned(4096)));

static int digit(char c, uint32_t base)
{
        int d = c >= '0' && c <= '9' ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
        return d < (int)base ? d : -1;
}

uint32_t arg(const char *name, uint32_t def)
{
        const char *p = lguest_phys(LGUEST_CMDLINE);

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

uint32_t mem_size(void)
{
        return lguest_bp_u32(lguest_phys(LGUEST_BOOT_PARAMS), LGUEST_BP_E820_TABLE + 8);
}

void print(const char *s)
{
        while (*s)
                lguest_console_putc(*s++);
}

void puthex(uint32_t v)
{
        int i;

        print("0x");
        for (i = 7; i >= 0; i--)
                lguest_console_putc("0123456789abcdef"[(v >> (i * 4)) & 0xf]);
}

void paging_on(void)
{
        uint32_t i;

        for (i = 0; i < 1024; i++)
                low_pt[i] = (i << 12) | PG_RW | PG_P;
        pgdir[0] = lguest_pa(low_pt) | PG_RW | PG_P;
        lguest_new_pgtable(lguest_pa(pgdir));
}
