/* entry.S -- _start for every faults Guest, and survived.
 *
 * The Host starts us at ring 1, in linear mode, with no stack.  _start
 * clears .bss, takes the stack below and calls main().  It does NOT make
 * LGUEST_INIT: some of these Guests exist to get that wrong, so each main()
 * makes it itself.  A main() that returns has survived whatever it did. */
#include "lguest.h"

        /* Call frame information in .debug_frame, as for C: _start has no caller. */
        .cfi_sections .debug_frame

        .section .text.entry, "ax"
        .globl  _start
        .type   _start, @function
_start:
        .cfi_startproc
        .cfi_undefined %eip
        cld
        movl    $__bss_start, %edi
        movl    $__bss_end, %ecx
        subl    %edi, %ecx
        xorl    %eax, %eax
        rep stosb
        movl    $stack_top, %esp
        xorl    %ebp, %ebp
        call    main
        jmp     survived
        .cfi_endproc
        .size   _start, . - _start

/* survived: power off with the message "survived".  The Guest got past the
 * point where the Host should have killed it (or the test gave it a legal
 * value on purpose).  It needs no stack, so it also serves as the handler
 * of gates that must never be entered. */
        .globl  survived
        .type   survived, @function
survived:
        LGUEST_HCALL_ARGS LHCALL_SHUTDOWN, $survived_msg, $LGUEST_SHUTDOWN_POWEROFF
        ud2
        .size   survived, . - survived

        .section .rodata
survived_msg:
        .asciz  "survived"

        .section .bss.stack, "aw", @nobits
        .p2align 12
        .globl  stack_top
stack:
        .skip   8192
stack_top:
