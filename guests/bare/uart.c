/* uart -- all output goes through the 16550 UART at 0x3F8 (COM1) instead of
 * port 0xE9: LSR bit 5 (THR empty) is polled before each byte.  Also reads
 * back the registers whose values the 16550 defines after our programming
 * (LCR, divisor latch, scratch, IIR with FIFOs on, LSR) and sends a few bytes
 * through the internal loopback (MCR bit 4) to read them back from RBR. */
#include "rt.h"

#define COM1 0x3F8
enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static void uart_putc(int c)
{
    while (!(inb(COM1 + LSR) & 0x20))
        ;
    outb(COM1 + THR, c);
}

int kmain(u32 magic, struct multiboot_info *mbi)
{
    (void)magic, (void)mbi;
    outb(COM1 + IER, 0x00);             /* no interrupts */
    outb(COM1 + LCR, 0x80);             /* DLAB */
    outb(COM1 + DLL, 0x01);             /* 115200 baud */
    outb(COM1 + DLM, 0x00);
    u8 dll = inb(COM1 + DLL), dlm = inb(COM1 + DLM);
    outb(COM1 + LCR, 0x03);             /* 8N1, DLAB off */
    outb(COM1 + FCR, 0xC7);             /* FIFOs on and cleared, trigger 14 */
    outb(COM1 + MCR, 0x03);             /* DTR, RTS */
    rt_putc = uart_putc;

    puts("Hello from the 16550 UART at 0x3f8!\n");
    printf("divisor %02x%02x lcr %02x ier %02x iir %02x lsr %02x mcr %02x\n", dlm, dll,
           inb(COM1 + LCR), inb(COM1 + IER), inb(COM1 + IIR), inb(COM1 + LSR), inb(COM1 + MCR));
    outb(COM1 + SCR, 0x5A);
    u8 s1 = inb(COM1 + SCR);
    outb(COM1 + SCR, 0xA5);
    printf("scratch %02x %02x\n", s1, inb(COM1 + SCR));

    /* Loopback: transmitted bytes land in the receive FIFO, not on the wire. */
    outb(COM1 + MCR, 0x13);
    inb(COM1 + MSR);                    /* clear the delta bits */
    u8 msr = inb(COM1 + MSR);
    const char *msg = "loop";
    for (const char *p = msg; *p; p++) {
        while (!(inb(COM1 + LSR) & 0x20))
            ;
        outb(COM1 + THR, *p);
    }
    u8 got[8], lsr[8];
    int n = 0;
    while (n < 8 && ((lsr[n] = inb(COM1 + LSR)) & 0x01))
        got[n++] = inb(COM1 + RBR);
    outb(COM1 + MCR, 0x03);
    printf("loopback msr %02x, received %d:", msr, n);
    for (int i = 0; i < n; i++)
        printf(" %02x/%02x", got[i], lsr[i]);
    printf(" lsr %02x\n", inb(COM1 + LSR));

    for (int i = 0; i < 4; i++)
        printf("line %d: %08x\n", i, 0x9E3779B9u * (i + 1));
    puts("UART done.\n");
    return 0;
}
