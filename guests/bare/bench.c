/* bench -- a CPU-bound benchmark with paging on (16 MiB identity-mapped with
 * 4 KiB pages): each iteration runs a sieve, a quicksort, block copies
 * (REP MOVSD and a byte loop), a table-driven CRC-32, a small bytecode
 * interpreter and some multiply/divide work, all folded into one checksum.
 * The default is 100 iterations: about 2.7 million instructions each (a REP
 * iteration counted as one), 270 million in all;
 * "iterations=N" on the Multiboot command line overrides it, so tests can
 * run a short version. */
#include "rt.h"

#define DEFAULT_ITERATIONS 100

static u32 pd[1024] __attribute__((aligned(4096)));
static u32 pts[4][1024] __attribute__((aligned(4096)));

static void paging_on(void)
{
    for (int t = 0; t < 4; t++) {
        for (int i = 0; i < 1024; i++)
            pts[t][i] = (t * 1024 + i) * 0x1000 | 3;
        pd[t] = (u32)pts[t] | 3;
    }
    pts[0][0] = 0;                      /* page 0 unmapped */
    write_cr3((u32)pd);
    write_cr0(read_cr0() | 0x80000000);
}

static u32 rng_state;
static u32 rng(void)
{
    u32 x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static inline u32 mix(u32 h, u32 v) { return (h ^ v) * 0x01000193u + (h >> 27); }

/* ---- sieve */
#define SIEVE_N 65536
static u8 composite[SIEVE_N];
static u32 sieve(void)
{
    memset(composite, 0, sizeof(composite));
    u32 count = 0, sum = 0;
    for (u32 i = 2; i < SIEVE_N; i++) {
        if (composite[i])
            continue;
        count++;
        sum += i;
        for (u32 j = i * i; j < SIEVE_N && i < 256; j += i)
            composite[j] = 1;
    }
    return mix(count, sum);
}

/* ---- quicksort */
#define SORT_N 2048
static u32 sortbuf[SORT_N];
static void qsort_u32(u32 *a, int lo, int hi)
{
    while (lo < hi) {
        u32 p = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                u32 t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (j - lo < hi - i) {
            qsort_u32(a, lo, j);
            lo = i;
        } else {
            qsort_u32(a, i, hi);
            hi = j;
        }
    }
}

static u32 sort(void)
{
    for (int i = 0; i < SORT_N; i++)
        sortbuf[i] = rng();
    qsort_u32(sortbuf, 0, SORT_N - 1);
    u32 h = 0;
    for (int i = 0; i < SORT_N; i += 7)
        h = mix(h, sortbuf[i]);
    for (int i = 1; i < SORT_N; i++)
        if (sortbuf[i - 1] > sortbuf[i])
            fail("sort");
    return h;
}

/* ---- copies */
#define COPY_N 65536
static u8 src[COPY_N] __attribute__((aligned(16))), dst[COPY_N] __attribute__((aligned(16)));
static u32 copies(u32 iter)
{
    for (u32 i = 0; i < COPY_N; i += 4)
        *(u32 *)&src[i] = i * 0x9E3779B9u + iter;
    u32 n = COPY_N / 4;
    void *d = dst, *s = src;
    asm volatile("rep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    for (u32 i = 0; i < 8192; i++)              /* overlapping byte moves */
        dst[i + 3] = dst[i] ^ src[i + 1];
    u32 h = 0;
    for (u32 i = 0; i < COPY_N; i += 64)
        h = mix(h, *(u32 *)&dst[i]);
    return h;
}

/* ---- CRC-32 */
static u32 crc_table[256];
static void crc_init(void)
{
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static u32 crc32(const u8 *p, u32 n)
{
    u32 c = 0xFFFFFFFFu;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

/* ---- a small stack-machine interpreter */
enum { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DUP, OP_SWAP, OP_JNZ, OP_DEC, OP_XOR, OP_SHL, OP_HALT, OP_LOAD, OP_STORE };
static const s32 program[] = {
    OP_PUSH, 1, OP_STORE, 0,            /* acc = 1 */
    OP_PUSH, 3000,                      /* counter */
    /* loop: */
    OP_LOAD, 0, OP_PUSH, 5, OP_MUL, OP_PUSH, 0x1234567, OP_XOR, OP_PUSH, 3, OP_SHL, OP_LOAD, 0, OP_ADD,
    OP_STORE, 0,
    OP_DEC, OP_DUP, OP_JNZ, 6,
    OP_HALT,
};

static u32 interp(u32 seed)
{
    s32 stack[16], vars[4] = { 0 };
    int sp = 0, pc = 0;
    for (;;) {
        s32 op = program[pc++];
        switch (op) {
        case OP_PUSH: stack[sp++] = program[pc++]; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_SWAP: { s32 t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case OP_JNZ: if (stack[--sp]) pc = program[pc]; else pc++; break;
        case OP_DEC: stack[sp - 1]--; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp] + seed; break;
        case OP_SHL: sp--; stack[sp - 1] <<= stack[sp] & 31; break;
        case OP_LOAD: stack[sp++] = vars[program[pc++]]; break;
        case OP_STORE: vars[program[pc++]] = stack[--sp]; break;
        case OP_HALT: return (u32)vars[0] ^ (u32)sp;
        default: fail("bad opcode");
        }
    }
}

/* ---- multiply/divide */
static u32 gcd(u32 a, u32 b)
{
    while (b) {
        u32 t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static u32 powmod(u32 b, u32 e, u32 m)
{
    u32 r = 1;
    b %= m;
    while (e) {
        if (e & 1) {
            u32 lo, hi;
            asm("mull %3" : "=a"(lo), "=d"(hi) : "a"(r), "rm"(b));
            asm("divl %2" : "=d"(r), "=a"(lo) : "rm"(m), "a"(lo), "d"(hi));
        }
        u32 lo, hi;
        asm("mull %3" : "=a"(lo), "=d"(hi) : "a"(b), "rm"(b));
        asm("divl %2" : "=d"(b), "=a"(lo) : "rm"(m), "a"(lo), "d"(hi));
        e >>= 1;
    }
    return r;
}

static u32 arith(void)
{
    u32 h = 0;
    for (int i = 0; i < 400; i++) {
        u32 a = rng(), b = rng() | 1;
        h = mix(h, gcd(a, b));
        h = mix(h, powmod(a, b, 0xFFFFFFFBu));
        h = mix(h, (u32)((s32)a / (s32)(b | 0x100)));
    }
    return h;
}

static u32 parse_iterations(struct multiboot_info *mbi)
{
    if (!(mbi->flags & 4) || !mbi->cmdline)
        return DEFAULT_ITERATIONS;
    for (const char *p = (const char *)mbi->cmdline; *p; p++)
        if (!strncmp(p, "iterations=", 11)) {
            u32 n = 0;
            for (p += 11; *p >= '0' && *p <= '9'; p++)
                n = n * 10 + *p - '0';
            return n;
        }
    return DEFAULT_ITERATIONS;
}

int kmain(u32 magic, struct multiboot_info *mbi)
{
    u32 iterations = magic == MB_BOOT_MAGIC ? parse_iterations(mbi) : DEFAULT_ITERATIONS;
    printf("bench: %u iterations\n", iterations);
    paging_on();
    crc_init();
    rng_state = 0x2545F491;
    u32 h = 0;
    for (u32 it = 0; it < iterations; it++) {
        h = mix(h, sieve());
        h = mix(h, sort());
        h = mix(h, copies(it));
        h = mix(h, crc32(dst, COPY_N));
        h = mix(h, interp(it));
        h = mix(h, arith());
        if ((it + 1) % 25 == 0)
            printf("  after %u: %08x\n", it + 1, h);
    }
    printf("bench checksum: %08x\n", h);
    return 0;
}
