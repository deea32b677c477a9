/* host_check.c -- runs the arith and shifts kernels as ordinary 32-bit Linux
 * programs on the host CPU ("make hostcheck"), a third opinion next to QEMU
 * and our emulator: their tests only use instructions that user code may
 * execute, through cpu_run().  Output goes to stdout; a fault in a stub
 * (SIGFPE for #DE, SIGILL for #UD, SIGSEGV for anything else) is caught like
 * the kernel runtime does and resumes after the stub.  Linked with rt.c and
 * rt_harness.S; no C library. */
#include "rt.h"

static char obuf[1 << 16];
static u32 olen;

static void sys_write(const char *p, u32 n)
{
    int r;
    asm volatile("int $0x80" : "=a"(r) : "a"(4), "b"(1), "c"(p), "d"(n) : "memory");
}

static void host_putc(int c)
{
    obuf[olen++] = c;
    if (olen == sizeof(obuf)) {
        sys_write(obuf, olen);
        olen = 0;
    }
}

/* i386 ucontext: uc_flags, uc_link, uc_stack (3 words), then gregs[]:
 * GS FS ES DS EDI ESI EBP ESP EBX EDX ECX EAX TRAPNO ERR EIP ... */
#define UC_EIP (5 + 14)

static void on_signal(int sig, void *info, u32 *uc)
{
    (void)info;
    if (!rt_resume) {
        sys_write(obuf, olen);
        sys_write("\nhost_check: unexpected signal\n", 31);
        asm volatile("int $0x80" : : "a"(1), "b"(0x7f));
    }
    rt_caught.n++;
    rt_caught.vec = sig == 8 ? 0 : sig == 4 ? 6 : 13;
    rt_caught.err = 0;
    rt_caught.eip = uc[UC_EIP];
    uc[UC_EIP] = rt_resume;
    rt_resume = 0;
}

int kmain(u32 magic, void *mbi);

int host_main(void)
{
    extern void sig_restorer(void);
    struct { void *handler; u32 flags; void *restorer; u32 mask[2]; } sa = {
        on_signal, 0x04000000 | 0x40000000 | 4, sig_restorer, { 0, 0 },   /* SA_RESTORER|SA_NODEFER|SA_SIGINFO */
    };
    static const int sigs[] = { 4, 7, 8, 11 };                          /* ILL BUS FPE SEGV */
    for (u32 i = 0; i < ARRAY_SIZE(sigs); i++) {
        int r;
        asm volatile("int $0x80" : "=a"(r) : "a"(174), "b"(sigs[i]), "c"(&sa), "d"(0), "S"(8) : "memory");
    }
    rt_putc = host_putc;
    int r = kmain(0, NULL);
    sys_write(obuf, olen);
    return r;
}
