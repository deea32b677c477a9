/* hello -- the smallest correct lguest Guest, and the template to start a
 * new one from (see docs/guest-abi.md).
 *
 * hello_entry.S has given us a stack and made LGUEST_INIT, so by now the
 * Host has filled in its half of lguest_data.  We print on the console what
 * the Launcher and the Host told us -- boot_params, the command line,
 * reserve_mem, tsc_khz, the time -- and power off.
 *
 * Printing is one outb per character: at ring 1 each one faults into the
 * Host, which does the write for us.  That is slow, and fine for a greeting.
 * hello never turns interrupts on, never installs a handler and never
 * leaves linear mode, so any trap it did not ask for kills it, with the
 * Host naming the trap and the address. */
#include "lguest.h"

/* Shared with the Host from LGUEST_INIT on.  Interrupts off and all masked,
 * the ring empty, the system-call vector the Host insists on.  hello never
 * builds page tables, so kernel_address is only a claim the Host checks:
 * Linux's 3 GiB, below the Host's Switcher. */
__attribute__((section(".data.lguest"), aligned(4096)))
struct lguest_data lguest_data = {
        LGUEST_DATA_INIT,
        .kernel_address = 0xc0000000,
};

static void print(const char *s)
{
        while (*s)
                lguest_console_putc(*s++);
}

static void puthex(uint32_t v, int digits)
{
        print("0x");
        while (digits--)
                lguest_console_putc("0123456789abcdef"[(v >> (digits * 4)) & 0xf]);
}

static void putdec(uint32_t v)
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

__attribute__((noreturn)) void main(uint32_t boot_params);

void main(uint32_t boot_params)
{
        const void *bp = lguest_phys(boot_params);
        const volatile struct lguest_data *ld = &lguest_data;
        uint32_t n, i;

        print("Hello from an lguest Guest!\n");

        print("boot_params: protocol ");
        puthex(lguest_bp_u16(bp, LGUEST_BP_VERSION), 4);
        print(", hardware_subarch ");
        putdec(lguest_bp_u32(bp, LGUEST_BP_HARDWARE_SUBARCH));
        print(lguest_bp_u32(bp, LGUEST_BP_HARDWARE_SUBARCH) == LGUEST_SUBARCH_LGUEST
             ? " (lguest)\n" : " (not lguest?)\n");

        n = lguest_bp_u8(bp, LGUEST_BP_E820_ENTRIES);
        for (i = 0; i < n && i < 4; i++) {
                uint32_t e = LGUEST_BP_E820_TABLE + i * LGUEST_E820_ENTRY_SIZE;
                print("memory: ");
                puthex(lguest_bp_u32(bp, e + 8), 8);            /* size, low word */
                print(" bytes at ");
                puthex(lguest_bp_u32(bp, e), 8);                /* address, low word */
                print(lguest_bp_u32(bp, e + 16) == LGUEST_E820_RAM ? ", RAM\n" : ", not RAM\n");
        }

        print("command line: \"");
        print(lguest_phys(lguest_bp_u32(bp, LGUEST_BP_CMD_LINE_PTR)));
        print("\"\n");

        print("lguest_data at ");
        puthex(lguest_pa(ld), 8);
        print(": reserve_mem ");
        puthex(ld->reserve_mem, 8);
        print(", tsc_khz ");
        puthex(ld->tsc_khz, 8);
        print("\ntime: ");
        putdec((uint32_t)ld->time.tv_sec);
        print(" s since 1970\n");

        lguest_shutdown(LGUEST_SHUTDOWN_POWEROFF, "hello: power off");
}
