/* fpu.c -- the x87 is the Guest's: its state comes through every trip to
 * the Host untouched.
 *
 * We load the x87 with values of every kind (x87_load), take an FSAVE
 * image of it and leave it loaded, then make the Host work: hypercalls,
 * one from the asynchronous ring, a flush of every shadow page table (so
 * page faults the Host fixes), a page fault and a #UD it reflects to us, a
 * direct trap, timer interrupts (one while we run, one while we halt),
 * port I/O (every character printed), and TS asked for by hypercall, as
 * older Linux did for lazy FPU switching: our next x87 instruction or WAIT
 * faults, our #NM handler gives TS back, and the instruction runs again.
 * Then a second image.  test/lguest/fpu.test.ts compares the two lines and
 * watches what the Host did in between.  The first and last FLUSH_ASYNC
 * mark where the x87 must not change.
 *
 * With nm_gate=0 we have no #NM gate, and the Host kills us at the first
 * WAIT under our own TS ("unhandled trap 7"). */
#include "fpu.h"
#include "guestlib.h"

/* One page of the first 4 MiB that our page table leaves out. */
#define HOLE_VA         0x3ff000u

__attribute__((section(".data.lguest"), aligned(4096)))
struct lguest_data lguest_data = {
        LGUEST_DATA_INIT,
        .kernel_address = 0xc0000000,
};
static volatile struct lguest_data *const data = &lguest_data;

static uint32_t pgdir[1024] __attribute__((aligned(4096)));
static uint32_t low_pt[1024] __attribute__((aligned(4096)));

static uint8_t before[X87_IMAGE_BYTES], after[X87_IMAGE_BYTES];

static void map_pages(void)
{
        uint32_t i;

        for (i = 0; i < 1024; i++)
                low_pt[i] = (i << 12) | PG_RW | PG_P;
        low_pt[HOLE_VA >> 12] = 0;
        pgdir[0] = lguest_pa(low_pt) | PG_RW | PG_P;
        lguest_new_pgtable(lguest_pa(pgdir));
}

static void irq_enable(void)
{
        data->irq_enabled = LGUEST_EFLAGS_IF;
        if (data->irq_pending)
                lguest_send_interrupts();
}

/* name, then the image's bytes in hex, in memory order. */
static void print_image(const char *name, const uint8_t *image)
{
        char hex[2 * X87_IMAGE_BYTES + 2];
        int i;

        for (i = 0; i < X87_IMAGE_BYTES; i++) {
                hex[2 * i] = "0123456789abcdef"[image[i] >> 4];
                hex[2 * i + 1] = "0123456789abcdef"[image[i] & 0xf];
        }
        hex[2 * X87_IMAGE_BYTES] = '\n';
        hex[2 * X87_IMAGE_BYTES + 1] = '\0';
        print(name);
        print(hex);
}

void main(void)
{
        unsigned next = 0;

        lguest_data.noirq_iret = (uint32_t)(uintptr_t)noirq_iret;
        lguest_init(&lguest_data);
        if (cmdline_value("nm_gate", 1))
                lguest_set_gate(7, nm_entry, LGUEST_GATE_INTERRUPT, 0);
        /* An interrupt gate for #UD: never direct, so it goes through the Host.  #BP's trap gate goes direct. */
        lguest_set_gate(6, ud_entry, LGUEST_GATE_INTERRUPT, 0);
        lguest_set_gate(3, bp_entry, LGUEST_GATE_TRAP, 1);
        lguest_set_gate(14, pf_entry, LGUEST_GATE_TRAP, 0);
        lguest_set_gate(LGUEST_TIMER_VECTOR, timer_entry, LGUEST_GATE_INTERRUPT, 0);
        map_pages();
        data->blocked_interrupts[0] &= ~(1u << LGUEST_TIMER_IRQ);

        x87_load();
        x87_save(before);
        hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
        print_image("before: ", before);

        /* Hypercalls, one of them from the ring, run before FLUSH_TLB, which drops every shadow page table. */
        lguest_hcall_async(&lguest_data, &next, LHCALL_LOAD_GDT_ENTRY, 14, 0x0000ffff, 0x00cffa00, 0);
        lguest_flush_tlb(1);
        pf_probe(HOLE_VA);
        ud_probe();
        __asm__ __volatile__("int3");
        /* The timer: once while we spin, which the Host's own timer interrupts, once while we halt. */
        lguest_set_clockevent(20000);
        irq_enable();
        while (ticks == 0)
                ;
        lguest_set_clockevent(20000);
        lguest_halt();
        data->irq_enabled = 0;
        /* TS, ours: WAIT and an x87 instruction fault, each once. */
        hcall(LHCALL_TS, 8, 0, 0, 0);
        x87_wait();
        hcall(LHCALL_TS, 8, 0, 0, 0);
        x87_nop();
        host_ts_probe();

        hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
        x87_save(after);
        print_image("after:  ", after);
        print("counts: nm ");
        putdec(nm_count);
        print(", ud ");
        putdec(ud_count);
        print(", bp ");
        putdec(bp_count);
        print(", pf ");
        putdec(pf_count);
        print(" at ");
        puthex(pf_cr2);
        print(", ticks ");
        putdec(ticks);
        print("\n");
        lguest_shutdown(LGUEST_SHUTDOWN_POWEROFF, "fpu: done");
}
