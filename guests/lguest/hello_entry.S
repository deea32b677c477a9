/* hello_entry.S -- where the Host starts hello: _start, at ring 1, in linear
 * mode (virtual addresses are physical), with ESI = boot_params (0) and no
 * stack (ESP = 0).  Before any C can run the Guest needs a stack; before
 * any other hypercall it must introduce itself with LGUEST_INIT.  Then C
 * takes over with main(boot_params) and never comes back. */
#include "lguest.h"

        /* Call frame information in .debug_frame, as for C: _start has no caller. */
        .cfi_sections .debug_frame

        .section .text.entry, "ax"
        .globl  _start
        .type   _start, @function
_start:
        .cfi_startproc
        .cfi_undefined %eip
        /* .bss first: fresh Guest memory is zero, but nothing promises
         * that a restarted Guest finds it so.  The flat data segments the
         * Host set up are all rep stos needs. */
        cld
        movl    $__bss_start, %edi
        movl    $__bss_end, %ecx
        subl    %edi, %ecx
        xorl    %eax, %eax
        rep stosb

        movl    $stack_top, %esp
        xorl    %ebp, %ebp              /* the end of the frame chain, for debuggers */
        pushl   %esi                    /* main's argument: boot_params */

        /* The Host fills in reserve_mem, tsc_khz and the time, and reads
         * kernel_address, noirq_iret and syscall_vec, all in lguest_data.
         * In linear mode its link address is its physical address. */
        LGUEST_HCALL_ARGS LHCALL_LGUEST_INIT, $lguest_data

        call    main
        ud2                             /* main powers off; it cannot get here */
        .cfi_endproc
        .size   _start, . - _start

        /* Two pages, the most SET_STACK would accept, should hello grow
         * into taking traps from ring 3. */
        .section .bss.stack, "aw", @nobits
        .p2align 12
stack:
        .skip   8192
stack_top:
