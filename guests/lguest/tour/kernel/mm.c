/* mm.c -- memory: a page allocator, and page tables for each process.
 *
 * The Guest's page tables are ordinary i386 ones, but the CPU never walks
 * them: it walks the Host's shadows.  So whenever we change an entry in a
 * table the Host may be shadowing, we tell it (SET_PTE); changes that can
 * wait go through the asynchronous ring, and reach the Host in one batch
 * at the next hypercall (hcall_flush makes one, FLUSH_ASYNC, if there is
 * nothing else to say). */
#include "tour.h"

/* The free pages: one bit per page of mapped RAM, set when free.  A
 * bitmap rather than a list threaded through the free pages themselves,
 * so that booting does not touch (and make the Host map) every page. */
#define MAX_PAGES       ((256u << 20) / PAGE_SIZE)
static uint32_t free_map[MAX_PAGES / 32];
static uint32_t nr_free, search_from;
unsigned hcall_cursor;

void free_page(uint32_t pa)
{
        uint32_t n = pa / PAGE_SIZE;
        free_map[n / 32] |= 1u << (n % 32);
        nr_free++;
        if (n / 32 < search_from)
                search_from = n / 32;
}

uint32_t alloc_page(void)
{
        uint32_t flags = irq_save();
        uint32_t i = search_from;
        while (i < MAX_PAGES / 32 && free_map[i] == 0)
                i++;
        if (i == MAX_PAGES / 32)
                panic("out of memory");
        uint32_t bit = (uint32_t)__builtin_ctz(free_map[i]);
        free_map[i] &= ~(1u << bit);
        nr_free--;
        search_from = i;
        irq_restore(flags);
        uint32_t pa = (i * 32 + bit) * PAGE_SIZE;
        uint32_t *p = __va(pa);
        for (unsigned k = 0; k < PAGE_SIZE / 4; k++)
                p[k] = 0;
        return pa;
}

uint32_t pages_free(void)
{
        return nr_free;
}

/* Every page from first_free to the end of mapped RAM is ours to hand
 * out, but the very last one: a kernel stack there would end at the top
 * of RAM, and the Host translates a stack's top address when it builds a
 * frame on it, which must be RAM too. */
void mm_init(uint32_t mem_bytes, uint32_t first_free)
{
        search_from = MAX_PAGES / 32;
        for (uint32_t pa = first_free; pa + PAGE_SIZE < mem_bytes; pa += PAGE_SIZE)
                free_page(pa);
}

void hcall_async(uint32_t call, uint32_t a1, uint32_t a2, uint32_t a3)
{
        uint32_t flags = irq_save();
        lguest_hcall_async(&lguest_data, &hcall_cursor, call, a1, a2, a3, 0);
        irq_restore(flags);
}

void hcall_flush(void)
{
        hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
}

/* A new address space: the kernel's half (from PAGE_OFFSET, shared by
 * every process: the same page tables), an empty user half. */
uint32_t *new_pgdir(void)
{
        uint32_t *pgdir = __va(alloc_page());
        for (unsigned i = PAGE_OFFSET >> 22; i < 1024; i++)
                pgdir[i] = kernel_pgdir[i];
        return pgdir;
}

static uint32_t *pte_slot(struct proc *p, uint32_t va, int create)
{
        uint32_t *pde = &p->pgdir[va >> 22];
        if (!(*pde & PTE_P)) {
                if (!create)
                        return 0;
                *pde = alloc_page() | PTE_P | PTE_W | PTE_U | PTE_A;
        }
        uint32_t *pt = __va(*pde & ~0xfffu);
        return &pt[(va >> 12) & 1023];
}

/* Map va to pa in p.  `now`: the process is waiting on this mapping (a
 * page fault), so tell the Host at once rather than through the ring. */
void map_page(struct proc *p, uint32_t va, uint32_t pa, uint32_t flags, int now)
{
        uint32_t pte = pa | flags | PTE_P;
        *pte_slot(p, va, 1) = pte;
        if (now)
                lguest_set_pte(__pa(p->pgdir), va, pte);
        else
                hcall_async(LHCALL_SET_PTE, __pa(p->pgdir), va, pte);
}

/* Unmap va in p; returns the frame that was there (0 if none). */
uint32_t unmap_page(struct proc *p, uint32_t va)
{
        uint32_t *slot = pte_slot(p, va, 0);
        if (!slot || !(*slot & PTE_P))
                return 0;
        uint32_t pa = *slot & ~0xfffu;
        *slot = 0;
        hcall_async(LHCALL_SET_PTE, __pa(p->pgdir), va, 0);
        return pa;
}

/* Tear down a dead process's user half: its private pages (not the
 * program's and the library's, which came with the kernel image: those
 * are below the allocator), its page tables, and its directory.  The Host
 * hears about every directory entry we drop, in one batch. */
void free_address_space(struct proc *p)
{
        extern char __alloc_start[];
        for (unsigned i = 0; i < PAGE_OFFSET >> 22; i++) {
                uint32_t pde = p->pgdir[i];
                if (!(pde & PTE_P))
                        continue;
                uint32_t *pt = __va(pde & ~0xfffu);
                for (unsigned j = 0; j < 1024; j++) {
                        uint32_t pa = pt[j] & ~0xfffu;
                        if ((pt[j] & PTE_P) && pa >= __pa(__alloc_start))
                                free_page(pa);
                }
                p->pgdir[i] = 0;
                hcall_async(LHCALL_SET_PGD, __pa(p->pgdir), i, 0);
                free_page(pde & ~0xfffu);
        }
        hcall_flush();
        free_page(__pa(p->pgdir));
        p->pgdir = 0;
}
