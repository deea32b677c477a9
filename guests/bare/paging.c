/* paging -- two-level 32-bit paging: 4 KiB pages and 4 MiB pages (CR4.PSE),
 * turning PG on; #PF error codes and CR2 for not-present reads, writes and
 * instruction fetches (one fetch straddling into a missing page), at ring 0
 * and ring 3, on supervisor and read-only pages (also where only the PDE
 * restricts); CR0.WP off/on for ring-0 writes to read-only pages; a #PF in
 * the middle of REP MOVSB that a handler fixes up and restarts; Accessed and
 * Dirty bits in PDEs and PTEs (and 4 MiB PDEs); INVLPG, CR3 reload, CR4.PSE
 * off (the PS bit is then ignored) and CR4.PGE global pages.
 *
 * Only architecturally defined results are printed: a stale TLB entry may or
 * may not be used after a PTE changes, so every change is followed by INVLPG,
 * a CR3 load (non-global entries) or a CR4 write before the result counts.
 * A bits are never printed after a faulting access. */
#include "rt.h"

#define P 0x001
#define RW 0x002
#define US 0x004
#define A 0x020
#define D 0x040
#define PS 0x080
#define G 0x100
#define CR0_WP 0x00010000
#define CR0_PG 0x80000000
#define CR4_PSE 0x10
#define CR4_PGE 0x80

#define TEST_BASE 0x40000000u   /* PDE 256: pt_test */
#define PAGE(n) (TEST_BASE + (n) * 0x1000)
#define SUPDIR 0x40400000u      /* PDE 257: PDE U=0, PTEs U=1 */
#define RODIR 0x40800000u       /* PDE 258: PDE RW=0, PTEs RW=1 */
#define NODIR 0x40c00000u       /* PDE 259: not present */
#define BIG 0x80000000u         /* PDE 512: 4 MiB page -> physical 4 MiB */
#define PHYS_4M 0x00400000u

static volatile u32 pd[1024] __attribute__((aligned(4096)));
static volatile u32 pt0[1024] __attribute__((aligned(4096)));
static volatile u32 pt_test[1024] __attribute__((aligned(4096)));
static volatile u32 pt_sup[1024] __attribute__((aligned(4096)));
static volatile u32 pt_ro[1024] __attribute__((aligned(4096)));
static u8 frames[8][4096] __attribute__((aligned(4096)));
/* The page tables are volatile: the CPU sets A/D bits behind the compiler's back. */

/* test pages: 0 rw user, 1 ro user, 2 supervisor rw, 3 not present,
 * 4 supervisor ro, 5 code (rw user), 6 not present, 7 not present, 8 global */
static void map(volatile u32 *pt, int n, const void *frame, u32 flags) { pt[n] = (u32)frame | flags; }

static void setup(void)
{
    for (int i = 1; i < 1024; i++)      /* page 0 stays unmapped */
        pt0[i] = i * 0x1000 | US | RW | P;
    pd[0] = (u32)pt0 | US | RW | P;
    pd[1] = PHYS_4M | PS | US | RW | P;
    pd[TEST_BASE >> 22] = (u32)pt_test | US | RW | P;
    pd[SUPDIR >> 22] = (u32)pt_sup | RW | P;
    pd[RODIR >> 22] = (u32)pt_ro | US | P;
    pd[BIG >> 22] = PHYS_4M | PS | US | RW | P;
    map(pt_test, 0, frames[0], US | RW | P);
    map(pt_test, 1, frames[1], US | P);
    map(pt_test, 2, frames[2], RW | P);
    map(pt_test, 4, frames[3], P);
    map(pt_test, 5, frames[4], US | RW | P);
    map(pt_sup, 0, frames[0], US | RW | P);
    map(pt_ro, 0, frames[0], US | RW | P);
    for (int f = 0; f < 8; f++)
        for (int i = 0; i < 4096; i += 4)
            *(u32 *)&frames[f][i] = 0xf0000000 | f << 24 | i;
    /* physical 4 MiB: its first page also serves as a page table (CR4.PSE=0 test) */
    u32 *phys4m = (u32 *)PHYS_4M;
    memset(phys4m, 0, 8192);
    phys4m[0] = (u32)frames[6] | US | RW | P;
    phys4m[1024] = 0x4d4d4d4d;          /* physical 4 MiB + 4 KiB */

    write_cr3((u32)pd);
    write_cr4(read_cr4() | CR4_PSE);
    write_cr0(read_cr0() | CR0_PG);
    printf("paging on: cr0 %08x cr4 %08x cr3 %s\n", read_cr0(), read_cr4(), read_cr3() == (u32)pd ? "=pd" : "wrong");
}

static u32 rd(u32 addr)
{
    u32 v;
    asm volatile("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
    return v;
}

static void wr(u32 addr, u32 v) { asm volatile("movl %0, (%1)" : : "r"(v), "r"(addr) : "memory"); }

/* one access in a TRY block, report: "#PF(err) cr2=..." or the value read */
static void try_read(const char *what, u32 addr)
{
    u32 v = 0xdeadbeef;
    TRY("movl (%1), %0", "+r"(v) : "r"(addr) : "memory");
    if (rt_caught.n)
        report(what);
    else
        printf("%s: read %08x\n", what, v);
    caught_vec();
}

static void try_write(const char *what, u32 addr, u32 v)
{
    TRY("movl %0, (%1)", : "r"(v), "r"(addr) : "memory");
    report(what);
}

/* A jump to addr, which returns with RET if it runs: on a fetch fault the
 * pushed EIP is the target itself, so print it. */
static void try_fetch(const char *what, u32 addr)
{
    u32 eax = 0;
    TRYT("movl %%esp, %%esi\n\tcall *%1", "movl %%esi, %%esp", "+a"(eax) : "r"(addr) : "esi", "memory");
    if (rt_caught.n)
        printf("%s: %s(%04x) eip=%08x cr2=%08x\n", what, exc_name(rt_caught.vec), rt_caught.err, rt_caught.eip,
               rt_caught.cr2);
    else
        printf("%s: ran, eax %08x\n", what, eax);
    rt_caught.n = 0;
    rt_resume = 0;
}

static void test_kernel_faults(void)
{
    puts("-- ring 0\n");
    try_read("read page 0", PAGE(0) + 0x10);
    try_read("read ro page", PAGE(1) + 0x10);
    try_read("read supervisor page", PAGE(2) + 0x10);
    try_read("read not-present page", PAGE(3) + 0x10);
    try_write("write not-present page", PAGE(3) + 0x20, 1);
    try_read("read not-present pde", NODIR + 0x123);
    try_write("write not-present pde", NODIR + 0x124, 1);
    try_read("read null page", 0x8);
    try_fetch("fetch not-present", PAGE(3));
    /* mov $0x12345678, %eax; ret -- straddling pages 5 and 6 */
    static const u8 code[] = { 0xb8, 0x78, 0x56, 0x34, 0x12, 0xc3 };
    memcpy(frames[4] + 4093, code, 3);
    memcpy(frames[5], code + 3, 3);
    try_fetch("fetch straddling into missing page", PAGE(5) + 4093);
    map(pt_test, 6, frames[5], US | RW | P);
    invlpg(PAGE(6));
    try_fetch("fetch straddling, page mapped", PAGE(5) + 4093);
    /* CR2 = the first byte in the missing page (whether the bytes before the
     * boundary get written is not defined: not printed) */
    try_write("dword write straddling into missing page", PAGE(7) - 2, 0x11223344);

    /* CR0.WP */
    try_write("wp=0: write ro user page", PAGE(1) + 0x30, 0xaaaa0001);
    try_write("wp=0: write ro supervisor page", PAGE(4) + 0x30, 0xaaaa0002);
    try_write("wp=0: write via ro pde", RODIR + 0x34, 0xaaaa0003);
    write_cr0(read_cr0() | CR0_WP);
    try_write("wp=1: write ro user page", PAGE(1) + 0x38, 0xbbbb0001);
    try_write("wp=1: write ro supervisor page", PAGE(4) + 0x38, 0xbbbb0002);
    try_write("wp=1: write via ro pde", RODIR + 0x3c, 0xbbbb0003);
    write_cr0(read_cr0() & ~CR0_WP);
    printf("  frames: %08x %08x %08x | %08x %08x %08x\n", *(u32 *)&frames[1][0x30], *(u32 *)&frames[3][0x30],
           *(u32 *)&frames[0][0x34], *(u32 *)&frames[1][0x38], *(u32 *)&frames[3][0x38], *(u32 *)&frames[0][0x3c]);
}

/* #PF handler that maps the missing page and restarts the instruction */
static void demand_pf(struct trapframe *tf)
{
    u32 cr2 = read_cr2();
    printf("  demand #PF(%04x) cr2=%08x ecx %u esi +%u edi %08x\n", tf->err, cr2, tf->ecx,
           tf->esi - (u32)frames[0], tf->edi);
    map(pt_test, (cr2 - TEST_BASE) >> 12, frames[7], US | RW | P);
    invlpg(cr2);
}

static void test_restart(void)
{
    puts("-- rep movsb into a missing page, handler maps it, restart\n");
    set_trap(14, demand_pf);
    u32 ecx = 24, esi = (u32)frames[0], edi = PAGE(7) - 10;
    asm volatile("rep movsb" : "+c"(ecx), "+S"(esi), "+D"(edi) : : "memory");
    set_trap(14, NULL);
    printf("  done: ecx %u esi +%u edi %08x, page 7 starts %08x %08x %08x\n", ecx, esi - (u32)frames[0], edi,
           rd(PAGE(7)), rd(PAGE(7) + 4), rd(PAGE(7) + 8));
}

/* ---------------------------------------------------------------- ring 3 */
static void user_faults(void)
{
    try_read("user: read user page", PAGE(0) + 0x40);
    try_write("user: write user page", PAGE(0) + 0x40, 0xcccc0001);
    try_read("user: read ro page", PAGE(1) + 0x40);
    try_write("user: write ro page", PAGE(1) + 0x40, 0xcccc0002);
    try_read("user: read supervisor page", PAGE(2) + 0x40);
    try_write("user: write supervisor page", PAGE(2) + 0x40, 0xcccc0003);
    try_read("user: read not-present page", PAGE(3) + 0x40);
    try_write("user: write not-present page", PAGE(3) + 0x40, 0xcccc0004);
    try_read("user: read via supervisor pde", SUPDIR + 0x40);
    try_write("user: write via ro pde", RODIR + 0x40, 0xcccc0005);
    try_read("user: read via ro pde", RODIR + 0x44);
    try_read("user: read not-present pde", NODIR + 0x40);
    try_fetch("user: fetch supervisor page", PAGE(2));
    try_fetch("user: fetch not-present page", PAGE(3) + 0x100);
}

static void test_user(void)
{
    puts("-- ring 3\n");
    user_call(user_faults, 2);
    write_cr0(read_cr0() | CR0_WP);
    puts("   (cr0.wp=1, no change at ring 3)\n");
    user_call(user_faults, 2);
    write_cr0(read_cr0() & ~CR0_WP);
}

/* ----------------------------------------------------------- A/D bits */
static void show(const char *what, u32 pde_i, volatile u32 *pte)
{
    printf("%-28s pde %03x", what, pd[pde_i] & 0xfff);
    if (pte)
        printf(" pte %03x", *pte & 0xfff);
    putchar('\n');
}

static void test_ad(void)
{
    puts("-- accessed/dirty bits (entry flags)\n");
    u32 di = TEST_BASE >> 22;
    pd[di] &= ~(A | D);
    pt_test[0] &= ~(A | D);
    pt_test[8] = (u32)frames[0] | US | RW | P;
    write_cr3(read_cr3());
    show("cleared, cr3 reloaded", di, &pt_test[0]);
    rd(PAGE(0));
    show("after read", di, &pt_test[0]);
    wr(PAGE(0) + 0x80, 1);
    show("after write", di, &pt_test[0]);
    pt_test[0] &= ~(A | D);
    invlpg(PAGE(0));
    wr(PAGE(0) + 0x80, 2);
    show("cleared, invlpg, write", di, &pt_test[0]);
    show("untouched pte 8", di, &pt_test[8]);
    wr(PAGE(8), rd(PAGE(8)));
    show("pte 8 read+write", di, &pt_test[8]);

    u32 bi = BIG >> 22;
    pd[bi] &= ~(A | D);
    invlpg(BIG);
    show("4M page cleared", bi, NULL);
    rd(BIG + 0x1234);
    show("4M page after read", bi, NULL);
    wr(BIG + 0x1238, 0x5a5a0001);
    show("4M page after write", bi, NULL);
    printf("4M alias: phys %08x via identity %08x\n", *(u32 *)(PHYS_4M + 0x1238), rd(PHYS_4M + 0x1238));
    pt_sup[0] &= ~(A | D);
    pd[SUPDIR >> 22] &= ~(A | D);
    invlpg(SUPDIR);
    wr(SUPDIR + 4, 7);
    show("supervisor pde, ring-0 write", SUPDIR >> 22, &pt_sup[0]);
}

/* ------------------------------------------------------- TLB control */
static void test_tlb(void)
{
    puts("-- invlpg, cr3 reload, cr4.pse, cr4.pge\n");
    printf("page 0 -> frame 0: %08x\n", rd(PAGE(0) + 0x100));
    map(pt_test, 0, frames[6], US | RW | P);
    invlpg(PAGE(0));
    printf("remap to frame 6, invlpg: %08x\n", rd(PAGE(0) + 0x100));
    map(pt_test, 0, frames[0], US | RW | P);
    write_cr3(read_cr3());
    printf("remap to frame 0, cr3 reload: %08x\n", rd(PAGE(0) + 0x100));
    map(pt_test, 0, frames[2], US | RW | P);
    write_cr3((u32)pd);
    printf("remap to frame 2, cr3 load: %08x\n", rd(PAGE(0) + 0x100));

    printf("4M page at %08x: %08x\n", BIG + 0x1000, rd(BIG + 0x1000));
    write_cr4(read_cr4() & ~CR4_PSE);
    printf("cr4.pse=0 (ps ignored, pde -> page table): %08x cr4 %08x\n", rd(BIG + 0x10), read_cr4());
    try_read("cr4.pse=0: second page of the 4M region", BIG + 0x1000);
    write_cr4(read_cr4() | CR4_PSE);
    printf("cr4.pse=1 again: %08x\n", rd(BIG + 0x1000));

    map(pt_test, 9, frames[1], G | US | RW | P);
    write_cr4(read_cr4() | CR4_PGE);
    printf("global page (cr4 %08x): %08x\n", read_cr4(), rd(PAGE(9) + 0x200));
    map(pt_test, 9, frames[3], G | US | RW | P);
    invlpg(PAGE(9));
    printf("global remapped, invlpg: %08x\n", rd(PAGE(9) + 0x200));
    map(pt_test, 9, frames[4], G | US | RW | P);
    write_cr4(read_cr4() & ~CR4_PGE);
    write_cr4(read_cr4() | CR4_PGE);
    printf("global remapped, cr4.pge toggled: %08x\n", rd(PAGE(9) + 0x200));
    pt_test[9] = 0;
    invlpg(PAGE(9));
    try_read("global page unmapped, invlpg", PAGE(9));
    write_cr4(read_cr4() & ~CR4_PGE);
}

int kmain(void)
{
    puts("paging: 32-bit paging, #PF, A/D bits, TLB control\n");
    setup();
    test_kernel_faults();
    test_restart();
    test_user();
    test_ad();
    test_tlb();
    write_cr0(read_cr0() & ~CR0_PG);
    printf("paging off: cr0 %08x\n", read_cr0());
    puts("paging done\n");
    return 0;
}
