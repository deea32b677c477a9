/* pagerules.c -- lguest's page-fault rules, seen from the Guest.
 *
 * The Host fills its shadow page tables from ours on demand (demand_page),
 * and the rules it follows show from in here: a page we mapped is there
 * when we touch it, with the accessed bit set in our entry, and the dirty
 * bit once we write; what we did not allow (not present, read-only, kernel
 * only from ring 3, the Switcher's addresses) comes to our own #PF handler
 * with the CPU's error code and cr2, as on a real machine; an entry that
 * SET_PTE gives already accessed goes in at once.  One line per access:
 * what happened, and our entry's A and D bits after it.  Counting what the
 * Host did about each (fixed in the shadow, or reflected to us) is left to
 * test/lguest/pagerules.test.ts, which watches the Host.
 *
 * Last, SET_PTE of the entry frame=F (default: the page's own) with
 * flags=X more: an entry past memory or with PSE kills us there, with
 * "bad page table entry".
 *
 * With lost_handler=1, instead of all that: our #PF gate points where
 * nothing is mapped, on a stack with 2 KiB below it mapped.  The fault is
 * reflected, the handler's first fetch faults, is reflected too, and so
 * on, a frame more on the stack each time, until it runs out and the Host
 * kills us ("Bad address"): a Guest stuck, not a Host that hangs.
 *
 * Each page under test is one of ours in 4-8 MiB, mapped at its own
 * address; 0-4 MiB is mapped one to one for the kernel, and for ring 3
 * its code's pages only. */
#include "pagerules.h"
#include "guestlib.h"

#define TEST_BASE       0x400000u
#define TEST_VA(page)   (TEST_BASE + (page) * 4096u)
/* The next 4 MiB, behind a directory entry that is not present; and the Switcher's, where ours maps a page too. */
#define HIDDEN_VA       (TEST_BASE + 0x400000u)
#define SWITCHER_VA     0xffc00000u

/* The pages under test, numbered from TEST_BASE: their entries in test_pt, then the frames that hidden_pt and
 * switcher_pt map. */
enum { FRESH, DIRTY, READ_ONLY, NOT_PRESENT, KERNEL_ONLY, USER, USER_READ_ONLY, SET_BY_PTE, HIDDEN, SWITCHERS };

__attribute__((section(".data.lguest"), aligned(4096)))
struct lguest_data lguest_data = {
        LGUEST_DATA_INIT,
        .kernel_address = 0xc0000000,
};

static uint32_t pgdir[1024] __attribute__((aligned(4096)));
static uint32_t low_pt[1024] __attribute__((aligned(4096)));
static uint32_t test_pt[1024] __attribute__((aligned(4096)));
static uint32_t hidden_pt[1024] __attribute__((aligned(4096)));
static uint32_t switcher_pt[1024] __attribute__((aligned(4096)));

/* What page_fault saw last, and how many it took. */
static volatile uint32_t faults, fault_cr2, fault_errcode;

void page_fault(struct pf_frame *f)
{
        char *at = (char *)(uintptr_t)f->eip;

        if (at != kernel_read_insn && at != kernel_write_insn && at != user_read_insn && at != user_write_insn) {
                print("page fault at ");
                puthex(f->eip);
                print(", cr2 ");
                puthex(((volatile struct lguest_data *)&lguest_data)->cr2);
                print("\n");
                lguest_shutdown(LGUEST_SHUTDOWN_POWEROFF, "pagerules: a page fault we did not ask for");
        }
        fault_cr2 = ((volatile struct lguest_data *)&lguest_data)->cr2;
        fault_errcode = f->errcode;
        faults = faults + 1;
        f->eip += ACCESS_LEN;
}

static void map_pages(void)
{
        uint32_t i, va;

        for (i = 0; i < 1024; i++)
                low_pt[i] = (i << 12) | PG_RW | PG_P;
        for (va = (uint32_t)(uintptr_t)user_text & ~0xfffu; va < (uint32_t)(uintptr_t)user_text_end; va += 4096)
                low_pt[va >> 12] |= PG_US;
        test_pt[FRESH] = TEST_VA(FRESH) | PG_RW | PG_P;
        test_pt[DIRTY] = TEST_VA(DIRTY) | PG_D | PG_RW | PG_P;
        test_pt[READ_ONLY] = TEST_VA(READ_ONLY) | PG_P;
        test_pt[NOT_PRESENT] = TEST_VA(NOT_PRESENT) | PG_RW;
        test_pt[KERNEL_ONLY] = TEST_VA(KERNEL_ONLY) | PG_RW | PG_P;
        test_pt[USER] = TEST_VA(USER) | PG_US | PG_RW | PG_P;
        test_pt[USER_READ_ONLY] = TEST_VA(USER_READ_ONLY) | PG_US | PG_P;
        hidden_pt[0] = TEST_VA(HIDDEN) | PG_RW | PG_P;
        switcher_pt[0] = TEST_VA(SWITCHERS) | PG_RW | PG_P;
        /* The directory entries let ring 3 through: the page table entries decide. */
        pgdir[0] = lguest_pa(low_pt) | PG_US | PG_RW | PG_P;
        pgdir[TEST_BASE >> 22] = lguest_pa(test_pt) | PG_US | PG_RW | PG_P;
        pgdir[HIDDEN_VA >> 22] = lguest_pa(hidden_pt) | PG_US | PG_RW;
        pgdir[SWITCHER_VA >> 22] = lguest_pa(switcher_pt) | PG_US | PG_RW | PG_P;
        lguest_new_pgtable(lguest_pa(pgdir));
}

/* One access to va, and one line: "rule: who what went through" or "... reflected, cr2 C, error code E",
 * then the A and D bits of our entry for it. */
static void probe(const char *rule, int user, int write, uint32_t va, const volatile uint32_t *pte)
{
        uint32_t before = faults;

        if (user)
                user_access(write, va);
        else if (write)
                kernel_write(va);
        else
                kernel_read(va);
        print(rule);
        print(user ? ": user " : ": kernel ");
        print(write ? "write " : "read ");
        if (faults == before) {
                print("went through");
        } else {
                print("reflected, cr2 ");
                puthex(fault_cr2);
                print(", error code ");
                puthex(fault_errcode);
        }
        print("; A=");
        putdec((*pte & PG_A) != 0);
        print(" D=");
        putdec((*pte & PG_D) != 0);
        print("\n");
}

void main(void)
{
        uint32_t pte;

        lguest_init(&lguest_data);
        lguest_set_gate(14, pf_entry, LGUEST_GATE_TRAP, 0);
        lguest_set_gate(0x80, syscall_entry, LGUEST_GATE_TRAP, 3);
        lguest_load_gdt_entry(14, 0x0000ffff, 0x00cffa00);
        lguest_load_gdt_entry(15, 0x0000ffff, 0x00cff200);
        lguest_set_stack(LGUEST_KERNEL_DS, lguest_pa(kstack_top), 1);
        map_pages();
        if (cmdline_value("lost_handler", 0)) {
                lguest_set_gate(14, (void (*)(void))(uintptr_t)HIDDEN_VA, LGUEST_GATE_TRAP, 0);
                __asm__ __volatile__("movl %0, %%esp\n\tmovl (%1), %%eax"
                                     : : "r"(TEST_VA(KERNEL_ONLY) + 2048), "r"(HIDDEN_VA) : "eax", "memory");
        }
        /* One print: every character an exit to the Host for the same outb at the same place, with the loop
         * in between, more than the hang watch's 64 in a row (test/lguest/hangWatch.test.ts). */
        print("pagerules: lguest's page-fault rules, seen from the Guest: one access a line\n");

        /* Read-only until dirty: a read maps a clean page read-only, so that the first write comes back to the
         * Host, which marks our entry dirty.  An entry dirty already is mapped writable at once. */
        probe("fresh page", 0, 0, TEST_VA(FRESH), &test_pt[FRESH]);
        probe("fresh page", 0, 1, TEST_VA(FRESH), &test_pt[FRESH]);
        probe("dirty page", 0, 0, TEST_VA(DIRTY), &test_pt[DIRTY]);
        probe("dirty page", 0, 1, TEST_VA(DIRTY), &test_pt[DIRTY]);
        /* What our entries forbid is our fault, with the error code the CPU gave. */
        probe("read-only page", 0, 0, TEST_VA(READ_ONLY), &test_pt[READ_ONLY]);
        probe("read-only page", 0, 1, TEST_VA(READ_ONLY), &test_pt[READ_ONLY]);
        probe("not-present page", 0, 0, TEST_VA(NOT_PRESENT), &test_pt[NOT_PRESENT]);
        probe("not-present directory entry", 0, 0, HIDDEN_VA, &hidden_pt[0]);
        probe("kernel page", 1, 0, TEST_VA(KERNEL_ONLY), &test_pt[KERNEL_ONLY]);
        probe("user page", 1, 0, TEST_VA(USER), &test_pt[USER]);
        probe("user page", 1, 1, TEST_VA(USER), &test_pt[USER]);
        probe("read-only user page", 1, 1, TEST_VA(USER_READ_ONLY), &test_pt[USER_READ_ONLY]);
        /* The Switcher's pages are the Host's, whatever our directory says is there. */
        probe("the Switcher's page", 0, 1, SWITCHER_VA, &switcher_pt[0]);

        /* SET_PTE writes the shadow only where it has a page table: the fresh page's fault made this one. */
        pte = (cmdline_value("frame", TEST_VA(SET_BY_PTE)) & ~0xfffu) | cmdline_value("flags", 0) | PG_A | PG_RW | PG_P;
        test_pt[SET_BY_PTE] = pte;
        lguest_set_pte(lguest_pa(pgdir), TEST_VA(SET_BY_PTE), pte);
        probe("accessed entry from SET_PTE", 0, 0, TEST_VA(SET_BY_PTE), &test_pt[SET_BY_PTE]);
        lguest_shutdown(LGUEST_SHUTDOWN_POWEROFF, "pagerules: done");
}
