/* fuzz.c -- a Guest that throws random things at the Host.
 *
 * The command line says seed=N (and optionally steps=N, verbose=1).  A
 * xorshift32 generator seeded from it chooses everything: how LGUEST_INIT
 * goes (now and then it is deliberately late or wrong), then a long run of
 * random actions: hypercalls, synchronous and through the asynchronous
 * ring; IDT, GDT and TLS entries; our own page tables and the calls that
 * tell the Host about them; touching addresses; instructions that trap;
 * port I/O; the timer, interrupts and HALT; trips to ring 3; the x87
 * (its state across trips to the Host, TS, #NM and #MF).
 *
 * The values are mostly plausible (our own page tables, handlers,
 * selectors, frames inside memory) with some junk mixed in, so that a run
 * goes deep before something kills it.  Any trap the Guest gets comes back
 * to the loop (fuzz_setjmp, entry.S), which goes on with the next action.
 *
 * The Guest may die at any point, and that is fine: the test checks that
 * the Host never throws, never hangs, and kills only with lguest's reasons.
 * After `steps` actions the Guest powers off with "fuzz: done".
 *
 * Physical memory: this image at 1 MiB (it must end below 2 MiB), and the
 * "arena" from 2 MiB to the end of memory, whose frames the random page
 * table entries point at and which the fuzzer scribbles over freely.  Our
 * page directories map the first 4 MiB one to one (so the code keeps
 * running), plus two windows of random entries: one per directory at
 * 0x40000000 and one shared by all at 0xc0000000. */
#include "fuzz.h"
#include "guestlib.h"

#define MIB             0x100000u
#define ARENA           (2 * MIB)
#define IDENT_END       (4 * MIB)
#define USER_WIN        0x40000000u
#define KERN_WIN        0xc0000000u
#define NPGDIRS         3

__attribute__((section(".data.lguest"), aligned(4096)))
struct lguest_data lguest_data = {
        LGUEST_DATA_INIT,
        .kernel_address = KERN_WIN,
};

static uint32_t pgdirs[NPGDIRS][1024] __attribute__((aligned(4096)));
static uint32_t ident_pt[1024] __attribute__((aligned(4096)));
static uint32_t user_pt[NPGDIRS][1024] __attribute__((aligned(4096)));
static uint32_t kern_pt[1024] __attribute__((aligned(4096)));
static uint32_t tls_desc[6];

extern char stack_top[], kstack_top[], ustack_top[], _end[];

static uint32_t mem;            /* bytes of Guest memory (boot_params' e820) */
static uint32_t rng;            /* the xorshift32 state */
static uint32_t cur;            /* the directory we last loaded */
static int paging;              /* 1 once we left linear mode */
static int verbose;
static unsigned async_next;     /* our cursor in the asynchronous ring */
static volatile uint32_t step, steps, traps, action;

static const char done_msg[] = "fuzz: done";
static const char crash_msg[] = "fuzz: crash on purpose";

/* ---------------------------------------------------------------- basics */

static uint32_t rnd32(void)
{
        uint32_t x = rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        return rng = x;
}

/* 0 .. n-1 */
static uint32_t rnd(uint32_t n)
{
        return n ? rnd32() % n : 0;
}

/* True per_1000 times in 1000. */
static int chance(uint32_t per_1000)
{
        return rnd(1000) < per_1000;
}


static uint32_t rdtsc_low(void)
{
        uint32_t lo, hi;
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        return lo ^ hi;
}

/* ------------------------------------------------------- random values */

/* Values that are wrong in every way we could think of. */
static uint32_t junk(void)
{
        switch (rnd(7)) {
        case 0: return rnd32();
        case 1: return 0xffffffffu - rnd(16);
        case 2: return 0x80000000u + rnd(16);
        case 3: return mem + rnd(0x10000);              /* just past memory */
        case 4: return mem - rnd(64);                   /* the last bytes of memory */
        case 5: return 0xffc00000u + rnd(0x400000);     /* the Switcher */
        default: return rnd32() & 0xfffff000u;
        }
}

static uint32_t arena_page(void)
{
        return ARENA + rnd((mem - ARENA) >> 12) * 4096;
}

static uint32_t selector(void)
{
        static const uint16_t sels[] = { 0, LGUEST_KERNEL_CS, LGUEST_KERNEL_DS, USER_CS, USER_DS,
                                         0x60, 0x68, 0x33, 0x3b, 0x43, 0x31, 0x50, 0x51, 0x58,
                                         0x59, 0x81, 0x89 };
        return chance(900) ? sels[rnd(sizeof(sels) / sizeof(sels[0]))] : rnd(0x10000);
}

/* Page-table entry flags: mostly sensible, sometimes not. */
static uint32_t pte_flags(void)
{
        uint32_t f = 0;

        if (chance(900)) f |= PG_P;
        if (chance(700)) f |= PG_RW;
        if (chance(600)) f |= PG_US;
        if (chance(400)) f |= PG_A;
        if (chance(300)) f |= PG_D;
        if (chance(50)) f |= PG_PWT;
        if (chance(50)) f |= PG_PCD;
        if (chance(100)) f |= PG_G;
        if (chance(10)) f |= PG_PSE;
        if (chance(100)) f |= rnd(8) << 9;              /* the bits left to software */
        return f;
}

static uint32_t plausible_pte(void)
{
        uint32_t r = rnd(1000), frame;

        if (r < 900) frame = arena_page();
        else if (r < 965) frame = rnd(ARENA - MIB) & ~0xfffu;   /* below this image */
        else if (r < 975) frame = rnd(mem) & ~0xfffu;   /* anywhere, even our own pages */
        else if (r < 995) frame = (mem + rnd(64 * MIB)) & ~0xfffu;      /* past memory */
        else frame = rnd32() & ~0xfffu;
        return frame | pte_flags();
}

/* A page-directory entry: one of our page tables, or something worse.
 * Entries without RW or US are rare: lguest checks a write or a user
 * access against the page-table entry only, and copies the directory
 * entry's flags into its shadow, so a write through a read-only directory
 * entry to a writable page faults, is "fixed", and faults again, forever
 * (the run ends at its instruction limit). */
static uint32_t plausible_pde(uint32_t proper)
{
        static uint32_t *const tables[] = { ident_pt, kern_pt, user_pt[0], user_pt[1], user_pt[2] };
        uint32_t r = rnd(1000);

        if (r < 500) return proper;
        if (r < 780) return lguest_pa(tables[rnd(5)]) | 0x67;
        if (r < 800) return lguest_pa(tables[rnd(5)]) | PG_P | (rnd(0x80) & 0x66);
        if (r < 900) return arena_page() | PG_P | PG_RW | PG_US | PG_A;
        if (r < 950) return 0;
        if (r < 975) return lguest_pa(kern_pt) | PG_P | (chance(500) ? PG_PSE : PG_PWT | PG_G);
        return junk();
}

static uint32_t window_vaddr(void)
{
        return (chance(500) ? USER_WIN : KERN_WIN) + rnd(4 * MIB);
}

/* Something at least one hypercall could accept as an argument. */
static uint32_t plausible(void)
{
        switch (rnd(10)) {
        case 0: return 0;
        case 1: return rnd(4);
        case 2: return rnd(256);
        case 3: return rnd(mem);
        case 4: return rnd(mem) & ~0xfffu;
        case 5: return selector();
        case 6: return plausible_pte();
        case 7: return lguest_pa(pgdirs[rnd(NPGDIRS)]);
        case 8: return window_vaddr();
        default: return 1 + rnd(100000);
        }
}

static uint32_t any_arg(void)
{
        return chance(800) ? plausible() : junk();
}

/* Keep a good value most of the time, replace it now and then. */
static uint32_t mutate(uint32_t good, uint32_t per_1000)
{
        return chance(per_1000) ? any_arg() : good;
}

/* ------------------------------------------------------------ the IDT */

static uint32_t handler_for(uint32_t vector)
{
        if (vector == LGUEST_TIMER_VECTOR)
                return (uint32_t)(uintptr_t)timer_entry;
        return (uint32_t)(uintptr_t)vector_stubs + (vector & 0xff) * VECTOR_STUB_SIZE;
}

/* Our gate for a vector: our handler, interrupt or trap gate, DPL 0 to 3. */
static void gate(uint32_t vector, uint32_t type, uint32_t dpl, uint32_t *lo, uint32_t *hi)
{
        uint32_t h = handler_for(vector);
        *lo = LGUEST_GATE_LO(h);
        *hi = LGUEST_GATE_HI(h, type, dpl);
}

/* A random LOAD_IDT_ENTRY: mostly our own handlers on our own vectors. */
static void idt_args(uint32_t *vec, uint32_t *lo, uint32_t *hi)
{
        uint32_t r = rnd(1000), v, h, type, dpl = rnd(4);

        if (r < 600) v = rnd(32);
        else if (r < 700) v = LGUEST_TIMER_VECTOR;
        else if (r < 800) v = LGUEST_SYSCALL_VECTOR;
        else if (r < 995) v = rnd(256);
        else v = junk();
        r = rnd(1000);
        h = r < 850 ? handler_for(v) : r < 950 ? handler_for(rnd(256)) : junk();
        r = rnd(1000);
        type = r < 450 ? LGUEST_GATE_TRAP : r < 900 ? LGUEST_GATE_INTERRUPT : r < 995 ? 0 : rnd(16);
        *vec = v;
        *lo = LGUEST_GATE_LO(h);
        *hi = type == 0 ? LGUEST_GATE_HI(h, 0, dpl) & ~0x8000u    /* not present */
                        : LGUEST_GATE_HI(h, type, dpl);
        if (chance(5))
                *hi ^= 1u << rnd(16);                   /* flip a bit of the attributes */
}

/* Our handlers for everything we provoke. */
static void install_idt(int async)
{
        uint32_t v, lo, hi;

        for (v = 0; v < 34; v++) {
                uint32_t vec = v < 32 ? v : v == 32 ? LGUEST_TIMER_VECTOR : LGUEST_SYSCALL_VECTOR;
                uint32_t type = vec == LGUEST_TIMER_VECTOR ? LGUEST_GATE_INTERRUPT
                              : chance(700) ? LGUEST_GATE_TRAP : LGUEST_GATE_INTERRUPT;
                gate(vec, type, vec == 3 || vec == 4 || vec == LGUEST_SYSCALL_VECTOR ? 3 : rnd(4), &lo, &hi);
                if (async)
                        lguest_hcall_async(&lguest_data, &async_next, LHCALL_LOAD_IDT_ENTRY, vec, lo, hi, 0);
                else
                        lguest_load_idt_entry(vec, lo, hi);
        }
        if (async)
                hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
}

/* --------------------------------------------------- the GDT and TLS */

static void descriptor(uint32_t *lo, uint32_t *hi)
{
        uint32_t r = rnd(1000), dpl = rnd(4) << 13;

        if (r < 400) {                  /* flat data */
                *lo = 0x0000ffff;
                *hi = 0x00cf9200 | dpl;
        } else if (r < 600) {           /* flat code */
                *lo = 0x0000ffff;
                *hi = 0x00cf9a00 | dpl;
        } else if (r < 700) {           /* absent */
                *lo = 0;
                *hi = 0;
        } else if (r < 800) {           /* a small data segment somewhere */
                *lo = (rnd(0x10000) << 16) | rnd(0x10000);
                *hi = 0x00409200 | dpl | (rnd(256) << 24) | rnd(256);
        } else {
                *lo = rnd32();
                *hi = rnd32();
        }
}

static void gdt_args(uint32_t *slot, uint32_t *lo, uint32_t *hi)
{
        uint32_t r = rnd(1000), s;

        descriptor(lo, hi);
        if (r < 400) {
                do s = rnd(32); while (s == 12 || s == 13);
        } else if (r < 600) {           /* the user segments ring 3 needs */
                s = 14 + rnd(2);
                *lo = 0x0000ffff;
                *hi = s == 14 ? 0x00cffa00 : 0x00cff200;
        } else if (r < 750) {
                s = 6 + rnd(3);         /* TLS */
        } else if (r < 850) {
                static const uint8_t host_slots[] = { 10, 11, 16, 31 };
                s = host_slots[rnd(4)]; /* the Host's: ignored */
        } else if (r < 985) {           /* our own code and data, rewritten as they are */
                s = 12 + rnd(2);
                *lo = 0x0000ffff;
                *hi = s == 12 ? 0x00cf9a00 : 0x00cf9200;
        } else if (r < 990) {
                s = 12 + rnd(2);        /* our own code and data, broken: fatal */
        } else if (r < 995) {
                s = 32 + rnd(1000);     /* past the table: fatal */
        } else {
                s = any_arg();
        }
        *slot = s;
}

static void fill_tls(void)
{
        for (int i = 0; i < 3; i++) {
                if (chance(500)) {
                        tls_desc[i * 2] = 0x0000ffff;
                        tls_desc[i * 2 + 1] = 0x00cff200;
                } else {
                        descriptor(&tls_desc[i * 2], &tls_desc[i * 2 + 1]);
                }
        }
}

/* ------------------------------------------------------ page tables */

/* Every directory: 0-4 MiB one to one, its own window at USER_WIN, the
 * shared one at KERN_WIN.  The windows start out mapping the arena. */
static void build_page_tables(void)
{
        uint32_t i, k, arena_pages = (mem - ARENA) >> 12;

        for (i = 0; i < 1024; i++) {
                ident_pt[i] = (i << 12) | PG_P | PG_RW | PG_US | PG_A | PG_D;
                kern_pt[i] = (ARENA + (i % arena_pages) * 4096) | PG_P | PG_RW | PG_A;
                for (k = 0; k < NPGDIRS; k++)
                        user_pt[k][i] = (ARENA + ((i + k * 1024 + 512) % arena_pages) * 4096) | PG_P | PG_RW | PG_US;
        }
        for (k = 0; k < NPGDIRS; k++) {
                for (i = 0; i < 1024; i++)
                        pgdirs[k][i] = 0;
                pgdirs[k][0] = lguest_pa(ident_pt) | 0x67;
                pgdirs[k][USER_WIN >> 22] = lguest_pa(user_pt[k]) | 0x67;
                pgdirs[k][KERN_WIN >> 22] = lguest_pa(kern_pt) | 0x67;
        }
}

static uint32_t proper_pde(uint32_t k, uint32_t idx)
{
        if (idx == 0) return lguest_pa(ident_pt) | 0x67;
        if (idx == USER_WIN >> 22) return lguest_pa(user_pt[k]) | 0x67;
        if (idx == KERN_WIN >> 22) return lguest_pa(kern_pt) | 0x67;
        return 0;
}

static void new_pgtable(uint32_t k)
{
        cur = k;
        paging = 1;
        lguest_new_pgtable(lguest_pa(pgdirs[k]));
}

/* ------------------------------------------------------ hypercalls */

/* A hypercall number: nearly always one the Host has. */
static uint32_t hcall_nr(void)
{
        static const uint8_t good[] = {
                LHCALL_FLUSH_ASYNC, LHCALL_NEW_PGTABLE, LHCALL_FLUSH_TLB, LHCALL_LOAD_IDT_ENTRY,
                LHCALL_SET_STACK, LHCALL_TS, LHCALL_SET_CLOCKEVENT, LHCALL_SET_PTE, LHCALL_SET_PGD,
                LHCALL_LOAD_TLS, LHCALL_LOAD_GDT_ENTRY, LHCALL_SEND_INTERRUPTS,
        };
        uint32_t r = rnd(1000);

        if (r < 993) return good[rnd(sizeof(good))];
        if (r < 998) return rnd(20);
        return junk();
}

/* Arguments that call `nr` accepts, give or take a mutation. */
static void sane_args(uint32_t nr, uint32_t a[4])
{
        uint32_t k = chance(800) ? cur : rnd(NPGDIRS);

        a[0] = a[1] = a[2] = a[3] = 0;
        switch (nr) {
        case LHCALL_NEW_PGTABLE:
                a[0] = lguest_pa(pgdirs[k]);
                break;
        case LHCALL_FLUSH_TLB:
                a[0] = chance(500) ? rnd(2) : rnd32();
                break;
        case LHCALL_LOAD_IDT_ENTRY:
                idt_args(&a[0], &a[1], &a[2]);
                break;
        case LHCALL_SET_STACK:
                a[0] = LGUEST_KERNEL_DS;
                a[1] = (uint32_t)(uintptr_t)kstack_top;
                a[2] = 1 + rnd(2);
                break;
        case LHCALL_TS:
                a[0] = chance(800) ? rnd(2) * 8 : rnd32();
                break;
        case LHCALL_SET_CLOCKEVENT:
                a[0] = chance(200) ? 0 : chance(900) ? 100 + rnd(20000) : rnd32();
                break;
        case LHCALL_SET_PTE:
                a[0] = lguest_pa(pgdirs[k]);
                a[1] = window_vaddr();
                a[2] = plausible_pte();
                break;
        case LHCALL_SET_PGD:
                a[0] = lguest_pa(pgdirs[k]);
                a[1] = chance(700) ? (chance(500) ? USER_WIN >> 22 : KERN_WIN >> 22) : rnd(1025);
                break;
        case LHCALL_LOAD_TLS:
                fill_tls();
                a[0] = lguest_pa(tls_desc);
                break;
        case LHCALL_LOAD_GDT_ENTRY:
                gdt_args(&a[0], &a[1], &a[2]);
                break;
        default:                        /* arguments the call ignores */
                a[0] = any_arg();
                a[1] = any_arg();
                break;
        }
        for (int i = 0; i < 4; i++)
                a[i] = mutate(a[i], 5);
}

/* A NEW_PGTABLE to one of our directories is about to be made: remember. */
static void note_call(uint32_t nr, uint32_t a0)
{
        for (uint32_t k = 0; k < NPGDIRS; k++) {
                if (nr == LHCALL_NEW_PGTABLE && a0 == lguest_pa(pgdirs[k])) {
                        cur = k;
                        paging = 1;
                }
        }
}

/* One hypercall, sane or (rarely) anything at all. */
static void act_hcall(void)
{
        uint32_t nr = hcall_nr(), a[4];

        if (chance(10)) {
                for (int i = 0; i < 4; i++)
                        a[i] = any_arg();
        } else {
                sane_args(nr, a);
        }
        note_call(nr, a[0]);
        hcall(nr, a[0], a[1], a[2], a[3]);
}

/* Queue a few calls in the ring, and usually run them at once. */
static void act_async(void)
{
        uint32_t n = 1 + rnd(8), nr, a[4];

        while (n--) {
                nr = hcall_nr();
                sane_args(nr, a);
                note_call(nr, a[0]);
                lguest_hcall_async(&lguest_data, &async_next, nr, a[0], a[1], a[2], a[3]);
        }
        if (chance(800))
                hcall(chance(900) ? LHCALL_FLUSH_ASYNC : LHCALL_SEND_INTERRUPTS, 0, 0, 0, 0);
}

/* ------------------------------------------------------------ actions */

static void act_idt(void)
{
        uint32_t v, lo, hi;

        idt_args(&v, &lo, &hi);
        lguest_load_idt_entry(v, lo, hi);
}

static void act_gdt(void)
{
        uint32_t s, lo, hi;

        gdt_args(&s, &lo, &hi);
        lguest_load_gdt_entry(s, lo, hi);
}

static void act_tls(void)
{
        fill_tls();
        lguest_load_tls(chance(980) ? lguest_pa(tls_desc) : any_arg());
}

/* Load a selector into %fs or %gs, and usually clear it again: a live
 * selector whose descriptor changes under it kills the Guest when the Host
 * reloads it. */
static void act_segment(void)
{
        uint32_t sel = selector();

        if (chance(500))
                __asm__ __volatile__("movl %0, %%fs" : : "r"(sel));
        else
                __asm__ __volatile__("movl %0, %%gs" : : "r"(sel));
        if (chance(700))
                __asm__ __volatile__("movl %0, %%fs; movl %0, %%gs" : : "r"(0));
}

/* Write a random entry into one of our page tables, then tell the Host
 * (or flush, or leave it stale). */
static void act_pte(void)
{
        uint32_t r = rnd(1000), *t, i, base, va, pte;
        uint32_t a[3];

        if (r < 450) {
                t = user_pt[cur], base = USER_WIN, i = rnd(1024);
        } else if (r < 800) {
                t = kern_pt, base = KERN_WIN, i = rnd(1024);
        } else if (r < 995) {
                t = ident_pt, base = 0, i = 512 + rnd(512);     /* the arena's identity map */
        } else {
                t = ident_pt, base = 0, i = rnd(512);           /* our own pages */
        }
        pte = plausible_pte();
        t[i] = pte;
        va = base + i * 4096;
        a[0] = mutate(lguest_pa(pgdirs[cur]), 30);
        a[1] = mutate(va, 20);
        a[2] = mutate(pte, 20);
        r = rnd(1000);
        if (r < 500)
                lguest_set_pte(a[0], a[1], a[2]);
        else if (r < 700)
                lguest_hcall_async(&lguest_data, &async_next, LHCALL_SET_PTE, a[0], a[1], a[2], 0);
        else if (r < 850)
                lguest_flush_tlb(rnd(2));
}

/* Write a random page-directory entry, then SET_PGD (or flush, or not). */
static void act_pde(void)
{
        uint32_t k = chance(800) ? cur : rnd(NPGDIRS), r = rnd(1000), idx;

        if (r < 600) idx = chance(500) ? USER_WIN >> 22 : KERN_WIN >> 22;
        else if (r < 980) idx = 1 + rnd(1023);
        else idx = 0;                   /* the directory entry we run on */
        pgdirs[k][idx] = idx == 0 && chance(700) ? proper_pde(k, 0) : plausible_pde(proper_pde(k, idx));
        r = rnd(1000);
        if (r < 600) {
                uint32_t i = chance(20) ? (chance(500) ? 1024 : any_arg()) : idx;
                if (chance(700))
                        lguest_set_pgd(lguest_pa(pgdirs[k]), i);
                else
                        lguest_hcall_async(&lguest_data, &async_next, LHCALL_SET_PGD, lguest_pa(pgdirs[k]), i, 0, 0);
        } else if (r < 800) {
                lguest_flush_tlb(1);
        }
}

/* Put our page tables back as they started (the windows keep their junk). */
static void act_repair(void)
{
        uint32_t k;

        for (k = 0; k < NPGDIRS; k++) {
                pgdirs[k][0] = proper_pde(k, 0);
                pgdirs[k][USER_WIN >> 22] = proper_pde(k, USER_WIN >> 22);
                pgdirs[k][KERN_WIN >> 22] = proper_pde(k, KERN_WIN >> 22);
        }
        for (k = 0; k < 1024; k++)
                ident_pt[k] = (k << 12) | PG_P | PG_RW | PG_US | PG_A | PG_D;
        if (paging)
                lguest_flush_tlb(1);
        install_idt(chance(500));
        lguest_load_gdt_entry(14, 0x0000ffff, 0x00cffa00);
        lguest_load_gdt_entry(15, 0x0000ffff, 0x00cff200);
}

static void act_newpg(void)
{
        uint32_t r = rnd(1000);

        if (r < 980) new_pgtable(rnd(NPGDIRS));
        else if (r < 990) lguest_new_pgtable(arena_page());
        else if (r < 995) lguest_new_pgtable(lguest_pa(kern_pt));
        else lguest_new_pgtable(junk());
}

/* An address to touch: the windows, mostly.  In linear mode everything
 * past memory is fatal, so keep to memory there. */
static uint32_t touch_addr(int write)
{
        uint32_t r = rnd(1000);

        if (!paging) {
                if (r < 985) return write ? arena_page() + rnd(4096) : rnd(mem);
                return junk();
        }
        if (r < 450) return USER_WIN + rnd(4 * MIB);
        if (r < 750) return KERN_WIN + rnd(4 * MIB);
        if (r < 850) return write ? ARENA + rnd(IDENT_END - ARENA) : rnd(IDENT_END);
        if (r < 950) {
                uint32_t pde;
                do pde = rnd(1023); while (pde == 0 || pde == USER_WIN >> 22 || pde == KERN_WIN >> 22);
                return (pde << 22) + rnd(4 * MIB);
        }
        if (r < 990) return 0xffc00000u + rnd(0x4000);  /* the Switcher's own pages */
        return rnd32();
}

static void act_read(void)
{
        uint32_t v, addr = touch_addr(0);

        __asm__ __volatile__("movl (%1), %0" : "=r"(v) : "r"(addr) : "memory");
        (void)v;
}

static void act_write(void)
{
        uint32_t addr = touch_addr(1);

        if (chance(500))
                __asm__ __volatile__("movl %0, (%1)" : : "r"(rnd32()), "r"(addr) : "memory");
        else
                __asm__ __volatile__("movb %b0, (%1)" : : "q"(rnd32()), "r"(addr) : "memory");
}

static void act_trap(void)
{
        static void (*const stubs[])(void) = {
                t_ud2, t_int3, t_into, t_div0, t_hlt, t_sti, t_cli, t_movcr3, t_lidt, t_rdmsr, t_wbinvd,
                t_insb, t_outsb, t_icebp, t_sysenter, t_fpu, t_bound, t_badds, t_iret_junk,
                t_single_step, t_rdtsc, t_cpuid, t_invlpg, t_ljmp_junk,
        };

        if (chance(3))
                t_lost_stack();
        else
                stubs[rnd(sizeof(stubs) / sizeof(stubs[0]))]();
}

/* int $n for a random n; the hypercall vector gets sane registers. */
static void act_int(void)
{
        uint32_t n = rnd(256);

        if (n == LGUEST_TRAP_ENTRY) {
                act_hcall();
                return;
        }
        ((void (*)(void))(uintptr_t)(int_stubs + n * INT_STUB_SIZE))();
}

static uint32_t io_port(void)
{
        uint32_t r = rnd(1000);

        if (r < 300) return rnd(0x10000);
        if (r < 600) return rnd(0x400);
        if (r < 800) return LGUEST_CONSOLE_PORT;        /* reads only: see act_io */
        if (r < 900) return 0xcf8 + rnd(8);
        return 0x80;
}

/* IN and OUT at ring 1: the Host emulates them.  Nothing is written to the
 * console, and only very rarely to the exit port. */
static void act_io(void)
{
        uint32_t port = io_port(), v = rnd32(), r = rnd(1000);

        if (r < 5) {
                __asm__ __volatile__("outb %b0, %w1" : : "a"(v), "Nd"((uint16_t)LGUEST_EXIT_PORT));
                return;
        }
        if (port == LGUEST_CONSOLE_PORT || port == LGUEST_EXIT_PORT || r < 500) {
                switch (rnd(5)) {
                case 0: __asm__ __volatile__("inb %w1, %b0" : "+a"(v) : "d"((uint16_t)port)); break;
                case 1: __asm__ __volatile__("inw %w1, %w0" : "+a"(v) : "d"((uint16_t)port)); break;
                case 2: __asm__ __volatile__("inl %w1, %0" : "+a"(v) : "d"((uint16_t)port)); break;
                case 3: __asm__ __volatile__("inb $0x61, %b0" : "+a"(v)); break;
                default: __asm__ __volatile__("inw $0xe9, %w0" : "+a"(v)); break;
                }
        } else {
                switch (rnd(4)) {
                case 0: __asm__ __volatile__("outb %b0, %w1" : : "a"(v), "d"((uint16_t)port)); break;
                case 1: __asm__ __volatile__("outw %w0, %w1" : : "a"(v), "d"((uint16_t)port)); break;
                case 2: __asm__ __volatile__("outl %0, %w1" : : "a"(v), "d"((uint16_t)port)); break;
                default: __asm__ __volatile__("outb %b0, $0x80" : : "a"(v)); break;
                }
        }
}

/* Arm the timer, let interrupt 0 in and turn interrupts on.  The handler
 * may arm it again: with a very short delay the next tick can come due
 * just at the handler's iret, which the Host must not interrupt (it
 * reuses the iret's frame instead: lguest's noirq_iret). */
static void act_timer(void)
{
        timer_rearm_left = chance(400) ? rnd(20) : 0;
        timer_rearm_ns = chance(500) ? 1 + rnd(64) : 100 + rnd(5000);
        if (chance(800))
                lguest_data.blocked_interrupts[0] &= ~1u;
        lguest_set_clockevent(chance(950) ? 100 + rnd(5000) : any_arg());
        if (chance(800)) {
                lguest_data.irq_enabled = LGUEST_EFLAGS_IF;
                if (lguest_data.irq_pending)
                        lguest_send_interrupts();
        }
}

/* Scribble over the fields of lguest_data the Guest owns, or the ring. */
static void act_irq_state(void)
{
        switch (rnd(6)) {
        case 0:
                lguest_data.irq_enabled = chance(800) ? rnd(2) * LGUEST_EFLAGS_IF : rnd32();
                break;
        case 1:
                lguest_data.blocked_interrupts[0] = chance(700) ? rnd(2) : rnd32();
                break;
        case 2:
                lguest_data.irq_pending = (int32_t)rnd32();
                break;
        case 3:                         /* mark a slot ready: it runs again, whatever it holds */
                lguest_data.hcall_status[rnd(LHCALL_RING_SIZE)] = chance(500) ? 0 : (uint8_t)rnd32();
                break;
        case 4: {                       /* a slot with anything in it */
                uint32_t n = rnd(LHCALL_RING_SIZE), nr = hcall_nr(), a[4];
                sane_args(nr, a);
                lguest_data.hcalls[n].arg0 = nr;
                lguest_data.hcalls[n].arg1 = a[0];
                lguest_data.hcalls[n].arg2 = a[1];
                lguest_data.hcalls[n].arg3 = a[2];
                lguest_data.hcalls[n].arg4 = a[3];
                lguest_data.hcall_status[n] = 0;
                break;
        }
        default:
                lguest_data.cr2 = rnd32();      /* the Host's field: it overwrites it */
                break;
        }
}

/* HALT, usually with something to wake us. */
static void act_halt(void)
{
        if (chance(970)) {
                lguest_data.blocked_interrupts[0] &= ~1u;
                lguest_set_clockevent(100 + rnd(3000));
        }
        lguest_halt();
}

/* A trip to ring 3, which ends in a trap back to ring 1. */
static void act_user(void)
{
        if (chance(800)) {
                lguest_load_gdt_entry(14, 0x0000ffff, 0x00cffa00);
                lguest_load_gdt_entry(15, 0x0000ffff, 0x00cff200);
        }
        if (chance(800))
                lguest_set_stack(LGUEST_KERNEL_DS, (uint32_t)(uintptr_t)kstack_top, 1 + rnd(2));
        user_action = rnd(U_ACTIONS);
        user_arg = user_action == U_INTN ? rnd(256) : touch_addr(user_action == U_WRITE);
        enter_user((uint32_t)(uintptr_t)user_code, chance(980) ? (uint32_t)(uintptr_t)ustack_top : any_arg());
}

static void act_set_stack(void)
{
        uint32_t ss = LGUEST_KERNEL_DS, esp = (uint32_t)(uintptr_t)kstack_top, pages = 1 + rnd(2);

        switch (rnd(60)) {
        case 0: ss = selector(); break;
        case 1: pages = rnd(5); break;
        case 2: esp = touch_addr(1); break;
        case 3: esp = any_arg(); break;
        }
        lguest_set_stack(ss, esp, pages);
}

static void act_shutdown(void)
{
        uint32_t how = chance(400) ? LGUEST_SHUTDOWN_POWEROFF : chance(300) ? LGUEST_SHUTDOWN_RESTART : any_arg();
        uint32_t msg = chance(800) ? lguest_pa(crash_msg) : chance(500) ? rnd(mem) : junk();

        hcall(LHCALL_SHUTDOWN, msg, how, 0, 0);
}

/* Busy for a while, so that a timer can arrive in the middle of C code. */
static void act_spin(void)
{
        volatile uint32_t n = rnd(3000);

        while (n)
                n = n - 1;
}

/* popf with random flags (TF gives a #DB), then the flags back. */
static void act_popf(void)
{
        __asm__ __volatile__("pushfl; pushl %0; popfl; nop; popfl" : : "r"(rnd32()) : "memory", "cc");
}

/* A far call or jump through a GDT entry of ours: a call gate, a task gate,
 * a TSS or a code segment, aimed at far_landing (entry.S) through the Host's
 * own ring-0 code segment as often as not.  The Host sets the "accessed"
 * bit of every entry, which turns call gates into types that cannot be
 * used, so far_landing must never run at ring 0: the test reads landed_cs
 * (a Guest that has lost its way could write anything anywhere, so the
 * Guest itself does not judge). */
static void act_far(void)
{
        static const uint16_t targets[] = { 0x50, 0x50, 0x60, LGUEST_KERNEL_CS, USER_CS, 0x80 };
        uint32_t slot, lo, hi, t = (uint32_t)(uintptr_t)far_landing, dpl = rnd(4) << 13;
        uint32_t sel = chance(900) ? targets[rnd(sizeof(targets) / sizeof(targets[0]))] : selector();
        uint32_t ptr[2];

        do slot = rnd(32); while (slot == 12 || slot == 13);
        switch (rnd(6)) {
        case 0:                         /* 32-bit call gate */
        case 1:
                lo = (sel << 16) | (t & 0xffff);
                hi = (t & 0xffff0000u) | 0x8c00 | dpl;
                break;
        case 2:                         /* 16-bit call gate, which "accessed" makes a task gate */
                lo = (sel << 16) | (t & 0xffff);
                hi = 0x8400 | dpl;
                break;
        case 3:                         /* available 32-bit TSS (over our scratch descriptors) */
                lo = ((uint32_t)(uintptr_t)tls_desc << 16) | 0x67;
                hi = ((uint32_t)(uintptr_t)tls_desc & 0xff000000u) | (((uint32_t)(uintptr_t)tls_desc >> 16) & 0xff)
                     | 0x8900 | dpl;
                break;
        case 4:                         /* conforming code */
                lo = 0x0000ffff;
                hi = 0x00cf9e00 | dpl;
                break;
        default:                        /* a task gate, by type */
                lo = sel << 16;
                hi = 0x8500 | dpl;
                break;
        }
        lguest_load_gdt_entry(slot, lo, hi);
        ptr[0] = t;
        ptr[1] = slot * 8 | rnd(4);
        if (chance(500))
                __asm__ __volatile__("lcall *%0" : : "m"(ptr) : "memory");
        else
                __asm__ __volatile__("ljmp *%0" : : "m"(ptr) : "memory");
}

/* The x87 is ours, and the Host's CR0.TS rule (LHCALL_TS) says when it
 * faults: maybe ask for TS (8 or anything not 0) or give it back (0), load
 * the x87, make the Host do something (a hypercall, TS among them, an
 * emulated IN or OUT, a page fault, a halt until the timer, ring-3 work,
 * the asynchronous ring, a spin the timer may cut), then check that the
 * x87 holds what we loaded: fpu_check marks fpu_wrong if not, which the
 * test reports. While we have TS, the first x87 instruction of the load or
 * of the check is an #NM, which must reach our handler (and so ends the
 * action): the Host hands us an #NM only when we asked for TS, and when we
 * did not, it never lets one reach us. Now and then an unmasked exception
 * instead: #MF at the next waiting instruction. */
static void fpu_trip(void)
{
        switch (rnd(8)) {
        case 0: act_hcall(); break;
        case 1: hcall(LHCALL_TS, chance(700) ? 8 : rnd32(), 0, 0, 0); break;   /* the check faults */
        case 2: act_io(); break;
        case 3: act_read(); break;
        case 4:
                lguest_data.blocked_interrupts[0] &= ~1u;
                lguest_set_clockevent(100 + rnd(2000));
                lguest_halt();
                break;
        case 5: act_async(); break;
        case 6: t_cli(); break;
        default: act_spin(); break;
        }
}

static void act_fpu(void)
{
        uint32_t r = rnd(1000), cw = 0x037f | rnd(4) << 10;

        if (chance(300))
                cw &= ~0x100u;                  /* 53-bit precision */
        if (r < 250)
                hcall(LHCALL_TS, chance(800) ? 8 : rnd32(), 0, 0, 0);
        else if (r < 500)
                hcall(LHCALL_TS, 0, 0, 0, 0);
        if (chance(100)) {
                fpu_mf();
                return;
        }
        if (chance(50)) {
                t_fpu();
                return;
        }
        fpu_load(cw);
        fpu_trip();
        fpu_check(cw);
}

/* ------------------------------------------------------ the fuzz loop */

static const struct {
        void (*fn)(void);
        uint16_t weight;
        char name[10];
} actions[] = {
        { act_hcall, 70, "hcall" },     { act_async, 60, "async" },     { act_idt, 60, "idt" },
        { act_gdt, 30, "gdt" },         { act_tls, 25, "tls" },         { act_segment, 15, "segment" },
        { act_pte, 120, "pte" },        { act_pde, 40, "pde" },         { act_newpg, 30, "newpg" },
        { act_read, 90, "read" },       { act_write, 70, "write" },     { act_trap, 80, "trap" },
        { act_int, 50, "int" },         { act_io, 40, "io" },           { act_timer, 30, "timer" },
        { act_irq_state, 25, "irqstate" }, { act_halt, 15, "halt" },    { act_user, 45, "user" },
        { act_set_stack, 15, "setstack" }, { act_shutdown, 1, "shutdown" }, { act_spin, 15, "spin" },
        { act_popf, 10, "popf" },       { act_fpu, 20, "fpu" },         { act_repair, 20, "repair" },
        { act_far, 15, "far" },
};
#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

static __attribute__((noinline)) unsigned pick_action(void)
{
        uint32_t total = 0, r;
        unsigned i;

        for (i = 0; i < NACTIONS; i++)
                total += actions[i].weight;
        r = rnd(total);
        for (i = 0; r >= actions[i].weight; i++)
                r -= actions[i].weight;
        return i;
}

/* LGUEST_INIT, usually as it should be; by the seed, sometimes late or
 * with a bad lguest_data. */
static void init_phase(void)
{
        uint32_t r = rnd(1000);

        lguest_data.noirq_iret = chance(950) ? (uint32_t)(uintptr_t)timer_iret : any_arg();
        r = rnd(1000);
        if (r < 600) lguest_data.kernel_address = KERN_WIN;
        else if (r < 750) lguest_data.kernel_address = USER_WIN;
        else if (r < 900) lguest_data.kernel_address = 0;
        else lguest_data.kernel_address = rnd(0xffc00000u);

        r = rnd(1000);
        if (r < 15) {
                uint32_t nr = hcall_nr();
                hcall(nr == LHCALL_LGUEST_INIT ? LHCALL_SET_PTE : nr, any_arg(), any_arg(), any_arg(), 0);
        } else if (r < 25) {
                t_ud2();
        } else if (r < 35) {
                hcall(LHCALL_LGUEST_INIT, chance(500) ? mem - rnd(LGUEST_DATA_SIZE) : junk(), 0, 0, 0);
        } else if (r < 45) {
                lguest_data.syscall_vec = any_arg();
        } else if (r < 55) {
                lguest_data.kernel_address = 0xffc00000u + rnd(0x400000);
        }
        lguest_init(&lguest_data);
}

__attribute__((noreturn)) void main(void);

void main(void)
{
        /* The time joins the seed: the same at every first boot, different
         * after a restart (which runs this image again from the start).
         * Read first, so that the rest of the command line does not matter. */
        uint32_t tsc = rdtsc_low(), seed;

        mem = lguest_bp_u32(lguest_phys(LGUEST_BOOT_PARAMS), LGUEST_BP_E820_TABLE + 8);
        seed = cmdline_value("seed", 1);
        steps = cmdline_value("steps", 0xffffffffu);
        verbose = (int)cmdline_value("verbose", 0);
        rng = (seed * 0x9e3779b9u) ^ tsc ^ 0x6a09e667u;
        if (rng == 0)
                rng = 1;
        for (int i = 0; i < 8; i++)
                rnd32();
        if ((uint32_t)(uintptr_t)_end > ARENA || mem < IDENT_END)
                lguest_shutdown(42, "fuzz: the image must end below 2 MiB, and memory be 4 MiB or more");
        if (verbose) {
                print("fuzz: seed ");
                putdec(seed);
                print("\n");
        }

        build_page_tables();
        if (fuzz_setjmp() == 0) {
                init_phase();
                install_idt(0);
                lguest_load_gdt_entry(14, 0x0000ffff, 0x00cffa00);
                lguest_load_gdt_entry(15, 0x0000ffff, 0x00cff200);
                lguest_set_stack(LGUEST_KERNEL_DS, (uint32_t)(uintptr_t)kstack_top, 2);
                if (chance(750))
                        new_pgtable(0);
        } else {
                traps++;
        }

        /* A trap in an action comes back here with fuzz_setjmp() != 0, so
         * nothing the loop needs may live in a register: the state is in
         * static variables. */
        for (;;) {
                if (step >= steps)
                        lguest_shutdown(LGUEST_SHUTDOWN_POWEROFF, done_msg);
                step = step + 1;
                action = pick_action();
                if (verbose) {
                        putdec(step);
                        print(" ");
                        print(actions[action].name);
                        print("\n");
                }
                if (fuzz_setjmp() == 0)
                        actions[action].fn();
                else
                        traps = traps + 1;
        }
}
