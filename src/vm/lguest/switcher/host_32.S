/* host_32.S -- the few instructions of the Host kernel that are not
 * TypeScript: the call into the Switcher and the Host's interrupt handler.
 *
 * The TypeScript Host plays the Host kernel's C code.  To run the Guest it
 * does what lguest's run_guest_once does: with interrupts off, point the CPU
 * (at ring 0, on the Host's stack, in the Host's page tables) at
 * run_guest_once below with %eax = the per-CPU pages and %ebx = the shadow
 * CR3, and let it run.  When the Switcher comes back, the write to
 * HOST_RETURN_PORT hands control back to the TypeScript Host, just as
 * returning from the asm block hands it back to lguest's C code. */
#include "layout.h"

        .code32
        .section .text.host, "ax"

        .globl  run_guest_once
        .type   run_guest_once, @function
run_guest_once:
        /* EFLAGS first, then a far call: an interrupt-shaped frame, so
         * the Switcher (or a Host interrupt handler) can IRET back here. */
        pushfl
        lcall   *switch_to_guest_ptr
        .globl  back_in_host
back_in_host:
        movw    $HOST_RETURN_PORT, %dx
        outb    %al, %dx
        /* The TypeScript Host always sets EIP again before the next entry. */
        ud2
        .size   run_guest_once, . - run_guest_once

/* Every vector of the Host's IDT comes here.  The only interrupt this Host
 * takes is its own timer, whose work (marking the Guest's timer interrupt
 * pending) is already done by the time the CPU delivers it: like lguest's
 * case of "a real interrupt the Host already handled", just return. */
        .globl  host_interrupt
        .type   host_interrupt, @function
host_interrupt:
        iret
        .size   host_interrupt, . - host_interrupt

        .p2align 2
switch_to_guest_ptr:
        .long   switch_to_guest
        .word   LGUEST_CS
