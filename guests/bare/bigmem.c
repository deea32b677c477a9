/* bigmem -- RAM at and above 2 GiB, which needs `-m 3072` (the machine's
 * largest memory): byte, word and dword accesses at the 2 GiB line, across
 * pages up there and at the last dword of RAM; string instructions; code
 * copied up there, run often (so it gets compiled) and then rewritten; and
 * with paging on, page tables up there (CR3 >= 2 GiB) mapping 4 KiB and
 * 4 MiB pages of high RAM at low and high linear addresses, with their
 * Accessed and Dirty bits.  Physical addresses at or above 2^31 are negative
 * as 32-bit signed numbers: every path that forms one must keep it unsigned.
 * With less memory it says so and fails. */
#include "rt.h"

#define P 0x001
#define RW 0x002
#define A 0x020
#define D 0x040
#define PS 0x080
#define CR0_PG 0x80000000
#define CR4_PSE 0x10

#define TWO_GIB 0x80000000u
#define RAM_END 0xc0000000u     /* 3 GiB */
#define CODE 0xb0000000u        /* where hicode is copied */
#define COUNTER 0xb0001800u     /* what hicode adds to, on a page of its own */
#define PGDIR 0xb0100000u
#define PGTAB 0xb0101000u

#define U32(a) (*(volatile u32 *)(a))
#define U16(a) (*(volatile u16 *)(a))
#define U8(a) (*(volatile u8 *)(a))

/* Position-independent: adds its immediate to the dword at COUNTER. */
extern const char hicode[], hicode_imm[], hicode_end[];
asm(".pushsection .text\n"
    "hicode:\n\t.byte 0xb8\nhicode_imm:\n\t.long 0x11111111\n\t"  /* movl $imm, %eax */
    "addl %eax, 0xb0001800\n\tret\n"
    "hicode_end:\n\t.popsection");

static void accesses(void)
{
    static const u32 at[] = { 0x7ffffffcu, TWO_GIB, 0x80000ffeu, 0x7ffffffeu, 0x9abcdef1u, RAM_END - 4 };
    for (u32 i = 0; i < ARRAY_SIZE(at); i++) {
        u32 before = U32(at[i]);
        U32(at[i]) = 0xa5000000u | i << 16 | (at[i] & 0xffff);
        printf("dword %08x: %08x -> %08x, bytes %02x %02x %02x %02x\n", at[i], before, U32(at[i]),
               U8(at[i]), U8(at[i] + 1), U8(at[i] + 2), U8(at[i] + 3));
    }
    U16(0xa0000fffu) = 0x1234;
    U8(0xa0001001u) = 0x56;
    printf("word across pages: %04x, then %08x\n", U16(0xa0000fffu), U32(0xa0000ffeu));
}

static void strings(void)
{
    static u32 pattern[16];
    for (u32 i = 0; i < 16; i++) pattern[i] = 0x01010101u * i ^ 0xc0ffee00u;
    u32 d = 0x90000ff0u, s = (u32)pattern, n = 16;
    asm volatile("rep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    u32 eq;
    d = 0x90000ff0u, s = (u32)pattern, n = 64;
    asm volatile("repe cmpsb; sete %b3" : "+D"(d), "+S"(s), "+c"(n), "=a"(eq) : : "memory", "cc");
    printf("movsl across pages: cmpsb left %u, equal %u, %08x %08x\n", n, eq & 1, U32(0x90000ffcu), U32(0x90001000u));
    d = 0xa0002000u, n = 1024;
    asm volatile("rep stosl" : "+D"(d), "+c"(n) : "a"(0x5a5a5a5au) : "memory");
    u32 sum = 0, v;
    s = 0xa0002000u;
    for (u32 i = 0; i < 1025; i++) {
        asm volatile("lodsl" : "+S"(s), "=a"(v) : : "memory");
        sum += v;
    }
    printf("stosl/lodsl: sum %08x, esi %08x\n", sum, s);
}

static u32 run_code(u32 at, int times)
{
    for (int i = 0; i < times; i++) ((void (*)(void))at)();
    return U32(COUNTER);
}

static void code(void)
{
    memcpy((void *)CODE, hicode, hicode_end - hicode);
    printf("code at %08x, run 100 times: %08x\n", CODE, run_code(CODE, 100));
    U32(CODE + (hicode_imm - hicode)) = 1;
    printf("rewritten, run 10 times more: %08x\n", run_code(CODE, 10));
}

static void paging(void)
{
    u32 *pd = (u32 *)PGDIR, *pt = (u32 *)PGTAB;
    memset(pd, 0, 8192);
    pd[0] = 0 | PS | RW | P;                     /* this kernel, identity-mapped */
    pd[1] = PGTAB | RW | P;                      /* 4 KiB pages at 4 MiB */
    pd[2] = (TWO_GIB + 0x400000) | PS | RW | P;  /* a 4 MiB page at 8 MiB */
    pd[0x300] = TWO_GIB | PS | RW | P;           /* 0xC0000000 -> 2 GiB */
    pd[CODE >> 22] = CODE | PS | RW | P;         /* the code, its counter and these tables, identity-mapped */
    pt[0] = TWO_GIB | RW | P;
    pt[1] = (RAM_END - 0x1000) | RW | P;
    pt[2] = CODE | RW | P;
    write_cr4(read_cr4() | CR4_PSE);
    write_cr3(PGDIR);
    write_cr0(read_cr0() | CR0_PG);
    printf("paging on, cr3 %08x\n", read_cr3());
    printf("linear 00400000 -> %08x, 00401ffc -> %08x, c0000000 -> %08x\n",
           U32(0x00400000u), U32(0x00401ffcu), U32(0xc0000000u));
    U32(0x00800010u) = 0xfeedf00du;
    U32(0xc0000ffcu) = 0x0badcafeu;
    printf("code through linear 00402000, run 100 times: %08x\n", run_code(0x00402000u, 100));
    printf("pde %08x %08x %08x %08x, pte %08x %08x %08x\n", pd[1], pd[2], pd[0x300], pd[CODE >> 22], pt[0], pt[1], pt[2]);
    write_cr0(read_cr0() & ~CR0_PG);
    printf("paging off: %08x %08x\n", U32(TWO_GIB + 0x400010), U32(TWO_GIB + 0xffc));
}

int kmain(u32 magic, struct multiboot_info *mbi)
{
    CHECK(magic == MB_BOOT_MAGIC && (mbi->flags & 1));
    printf("bigmem: upper memory %u KiB\n", mbi->mem_upper);
    if (mbi->mem_upper < (RAM_END >> 10) - 2048)
        fail("bigmem needs 3 GiB of memory");
    accesses();
    strings();
    code();
    paging();
    return 0;
}
