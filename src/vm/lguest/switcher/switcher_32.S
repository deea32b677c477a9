/* switcher_32.S -- the Switcher: the only code that runs in both worlds.
 *
 * The Host and the Guest each have their own GDT, IDT, TSS and page tables.
 * Changing all four at once is not something a CPU can do in one step, so
 * lguest keeps this one page of code mapped at the same virtual address
 * (SWITCHER_ADDR) in the Host's page tables and in every shadow page
 * directory of the Guest: it can switch the tables underneath itself and
 * keep running.
 *
 * Going in, the Host calls switch_to_guest: we save the Host's segment
 * registers and stack pointer, load the Guest's GDT, IDT, TSS and page
 * tables, pop the Guest's registers off the register page and IRET into it.
 *
 * Coming out is the CPU's doing: any interrupt or exception while the Guest
 * runs goes through the IDT we loaded, whose gates (unless the Host let a
 * trap go straight to the Guest) lead to the stubs at the bottom of this
 * file, at ring 0.  The CPU has already switched to the stack the TSS names:
 * the end of the register page.  So the frame it pushes, and the registers
 * we push after it, land exactly in struct lguest_regs, where the Host reads
 * them.  Then we put the Host's tables back and return to it.
 *
 * This code runs on the emulated CPU; a debugger can step through it. */
#include "layout.h"

        .code32
        .section .text.switcher, "ax"
        .globl  switcher_text_start
switcher_text_start:

/* switch_to_guest: entered by a far call from the Host's run_guest_once,
 * which pushed EFLAGS first, so the Host's stack now looks like an
 * interrupt frame (EFLAGS, CS, EIP) and an IRET will take us back.
 *   %eax = the per-CPU pages (SWITCHER_PAGES), %ebx = the shadow CR3. */
        .globl  switch_to_guest
        .type   switch_to_guest, @function
switch_to_guest:
        /* The Host's segment registers and frame pointer go on its stack. */
        pushl   %es
        pushl   %ds
        pushl   %gs
        pushl   %fs
        pushl   %ebp
        /* Remember the Host's stack, and move to the Guest's registers. */
        movl    %esp, PAGES_host_sp(%eax)
        leal    PAGES_regs(%eax), %esp

        /* The Guest's GDT and IDT.  They are in the read-only state page,
         * which the Host's page tables map writable, so loading the Guest's
         * TSS can mark its descriptor busy. */
        lgdt    PAGES_guest_gdt_desc(%eax)
        lidt    PAGES_guest_idt_desc(%eax)
        movl    $TSS_SEL, %edx
        ltr     %dx
        /* The Host's TSS descriptor stays busy until we clear it; the Host
         * loads its TSS again on the way back, which needs it available. */
        movl    (PAGES_host_gdt_desc + 2)(%eax), %edx
        andb    $0xfd, (TSS_SEL + 5)(%edx)

        /* The Guest's world: its shadow page tables.  We keep running,
         * because this page is mapped here there too. */
        movl    %ebx, %cr3

        /* The Guest's registers, in struct lguest_regs order.  A bad
         * segment here faults with the Guest's IDT loaded, so the fault
         * comes back through a stub; its frame will not line up with
         * trapnum, which keeps the Host's impossible 256 ("unhandled trap
         * 256"), and the Guest dies. */
        popl    %eax
        popl    %ebx
        popl    %ecx
        popl    %edx
        popl    %esi
        popl    %edi
        popl    %ebp
        popl    %gs
        popl    %fs
        popl    %ds
        popl    %es
        /* Step over trapnum and errcode: what is left is an IRET frame. */
        addl    $8, %esp
        iret
        .size   switch_to_guest, . - switch_to_guest

/* The way out, shared by both exits: save the Guest's registers below the
 * frame (completing struct lguest_regs), restore the Host's GDT, IDT, page
 * tables, stack and TSS, and leave the trap number in %ebx. */
.macro SWITCH_TO_HOST
        pushl   %es
        pushl   %ds
        pushl   %fs
        pushl   %gs
        pushl   %ebp
        pushl   %edi
        pushl   %esi
        pushl   %edx
        pushl   %ecx
        pushl   %ebx
        pushl   %eax
        /* Code and stack segments came from the IDT and TSS; the data
         * segment is still whatever the Guest had.  Use ours. */
        movl    $LGUEST_DS, %eax
        movl    %eax, %ds
        /* The register page starts struct lguest_pages; our stack is in it
         * (even after a fault half-way through switch_to_guest). */
        movl    %esp, %eax
        andl    $~0xfff, %eax
        /* The trap number: the Host's page tables do not map the Guest's
         * register page at this address in general, so keep it in %ebx. */
        movl    PAGES_regs_trapnum(%eax), %ebx
        /* The Host's page tables, then its GDT and IDT. */
        movl    PAGES_host_cr3(%eax), %edx
        movl    %edx, %cr3
        /* Leave the Guest's TSS available for the next entry. */
        andb    $0xfd, (PAGES_guest_gdt + TSS_SEL + 5)(%eax)
        lgdt    PAGES_host_gdt_desc(%eax)
        lidt    PAGES_host_idt_desc(%eax)
        /* The Host's stack, holding what switch_to_guest saved, then its TSS. */
        movl    PAGES_host_sp(%eax), %esp
        movl    $TSS_SEL, %edx
        ltr     %dx
        popl    %ebp
        popl    %fs
        popl    %gs
        popl    %ds
        popl    %es
.endm

/* A trap the Host must look at: back to run_guest_once, which reads
 * trapnum from the register page. */
        .globl  return_to_host
        .type   return_to_host, @function
return_to_host:
        SWITCH_TO_HOST
        iret
        .size   return_to_host, . - return_to_host

/* A real interrupt, meant for the Host: back in the Host's world, jump to
 * the Host's own handler for that vector.  Its IRET returns through the
 * frame run_guest_once built, as if the interrupt had hit the Host there. */
        .globl  deliver_to_host
        .type   deliver_to_host, @function
deliver_to_host:
        SWITCH_TO_HOST
        movl    (PAGES_host_idt_desc + 2)(%eax), %edx
        leal    (%edx,%ebx,8), %eax
        movzwl  (%eax), %edx            /* handler offset, low half */
        movl    4(%eax), %eax
        xorw    %ax, %ax                /* handler offset, high half */
        orl     %eax, %edx
        jmp     *%edx
        .size   deliver_to_host, . - deliver_to_host

/* An NMI is swallowed: drop the vector and the dummy error code, and go
 * back to whatever was running. */
        .type   handle_nmi, @function
handle_nmi:
        addl    $8, %esp
        iret
        .size   handle_nmi, . - handle_nmi

/* The 256 stubs the Guest's IDT points at (unless a trap goes straight to
 * the Guest).  Each makes every frame the same shape: a dummy error code
 * where the CPU pushes none, then the vector.  Their addresses go into
 * default_idt_entries, which the Host copies into the Guest's IDT. */
.macro IRQ_STUB n, target
        .section .switcher_stubs, "a"
        .long   trap_stub_\n
        .section .text.switcher, "ax"
        /* A sized symbol each, so a debugger names a stub by its vector, not as the function before it. */
        .type   trap_stub_\n, @function
trap_stub_\n:
        .if (\n != 8) && (\n < 10 || \n > 14) && (\n != 17)
        pushl   $0
        .endif
        pushl   $\n
        jmp     \target
        .size   trap_stub_\n, . - trap_stub_\n
.endm

/* The stubs from `first` to `last`; altmacro mode turns %vector into its
 * number before IRQ_STUB sees it. */
.macro IRQ_STUBS first, last, target
        .set    vector, \first
        .rept   \last - \first + 1
        .altmacro
        IRQ_STUB %vector, \target
        .noaltmacro
        .set    vector, vector + 1
        .endr
.endm

        .section .switcher_stubs, "a"
        .globl  default_idt_entries
default_idt_entries:
        .section .text.switcher, "ax"
        IRQ_STUBS 0, 1, return_to_host
        IRQ_STUB  2, handle_nmi
        IRQ_STUBS 3, 31, return_to_host         /* 7, 13, 14 and the hypercall, 31 */
        IRQ_STUBS 32, 127, deliver_to_host      /* interrupts */
        IRQ_STUB  128, return_to_host           /* a system call the Host reflects */
        IRQ_STUBS 129, 255, deliver_to_host

        .globl  switcher_text_end
switcher_text_end:

/* The layout, as absolute symbols, for the test that compares it with
 * layout.ts. */
        .globl  LAYOUT_SWITCHER_ADDR, LAYOUT_PAGES_regs, LAYOUT_PAGES_host_cr3
        .globl  LAYOUT_PAGES_host_sp, LAYOUT_PAGES_guest_tss, LAYOUT_PAGES_guest_idt
        .globl  LAYOUT_PAGES_guest_gdt, LAYOUT_HOST_RETURN_PORT, LAYOUT_TSS_SEL
        .set    LAYOUT_SWITCHER_ADDR, SWITCHER_ADDR
        .set    LAYOUT_PAGES_regs, PAGES_regs
        .set    LAYOUT_PAGES_host_cr3, PAGES_host_cr3
        .set    LAYOUT_PAGES_host_sp, PAGES_host_sp
        .set    LAYOUT_PAGES_guest_tss, PAGES_guest_tss
        .set    LAYOUT_PAGES_guest_idt, PAGES_guest_idt
        .set    LAYOUT_PAGES_guest_gdt, PAGES_guest_gdt
        .set    LAYOUT_HOST_RETURN_PORT, HOST_RETURN_PORT
        .set    LAYOUT_TSS_SEL, TSS_SEL
