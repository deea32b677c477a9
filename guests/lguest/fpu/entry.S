/* entry.S -- fpu's assembly: _start, the x87 code, the instructions that
 * trap on purpose, and the gates' entries. */
#include "fpu.h"
#include "trap_cfi.h"

        /* Call frame information (see trap_cfi.h) in .debug_frame, as for C. */
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
        ud2
        .cfi_endproc
        .size   _start, . - _start

        .text
/* x87_load: ST(0)..ST(6) = 0, +inf, 1/3, -123456789, log2(10), pi, 1. */
        .globl  x87_load
        .type   x87_load, @function
x87_load:
        fninit
        fld1
        fldpi
        fldl2t
        fildl   minus
        fld1
        fidivl  three                   /* 1/3: inexact (PE), rounded up (C1) */
        fld1
        fidivl  zero                    /* +inf: a zero divide, masked (ZE) */
        fldz
        fcom    %st(1)                  /* 0 < +inf: C0 */
        fldcw   control
        ret
        .size   x87_load, . - x87_load

        .globl  x87_save
        .type   x87_save, @function
x87_save:
        movl    4(%esp), %eax
        fnsave  (%eax)
        frstor  (%eax)
        ret
        .size   x87_save, . - x87_save

        .globl  x87_wait, x87_nop, host_ts_probe
        .type   x87_wait, @function
x87_wait:
        fwait
        ret
        .size   x87_wait, . - x87_wait
        .type   x87_nop, @function
x87_nop:
        fnop
        ret
        .size   x87_nop, . - x87_nop
        .type   host_ts_probe, @function
host_ts_probe:
        fnop
        ret
        .size   host_ts_probe, . - host_ts_probe

        .globl  pf_probe, ud_probe
        .type   pf_probe, @function
pf_probe:
        movl    4(%esp), %edx
        movl    (%edx), %eax            /* two bytes */
        ret
        .size   pf_probe, . - pf_probe
        .type   ud_probe, @function
ud_probe:
        ud2
        ret
        .size   ud_probe, . - ud_probe

/* The gates.  None touches the x87.  #NM gives TS back as Linux 2.6's
 * math_state_restore did (clts, which is LHCALL_TS 0 under lguest), and
 * returns to the instruction, which runs again. */
        .globl  nm_entry, ud_entry, bp_entry, pf_entry, timer_entry
        .type   nm_entry, @function
nm_entry:
        TRAP_FRAME_CFI 12, LGUEST_GUEST_PL
        incl    nm_count
        pushl   %eax
        .cfi_adjust_cfa_offset 4
        .cfi_offset %eax, -16
        pushl   %ebx
        .cfi_adjust_cfa_offset 4
        .cfi_offset %ebx, -20
        LGUEST_HCALL_ARGS LHCALL_TS, $0
        popl    %ebx
        .cfi_adjust_cfa_offset -4
        .cfi_restore %ebx
        popl    %eax
        .cfi_adjust_cfa_offset -4
        .cfi_restore %eax
        jmp     irq_iret
        .cfi_endproc
        .size   nm_entry, . - nm_entry

        /* From its addl on, the frame's EIP is past the ud2. */
        .type   ud_entry, @function
ud_entry:
        TRAP_FRAME_CFI 12, LGUEST_GUEST_PL
        incl    ud_count
        addl    $2, (%esp)              /* over the ud2 */
        jmp     irq_iret
        .cfi_endproc
        .size   ud_entry, . - ud_entry

/* A direct trap: the CPU's own frame, whose IF is the real one, so a plain iret. */
        .type   bp_entry, @function
bp_entry:
        TRAP_FRAME_CFI 12, LGUEST_GUEST_PL
        incl    bp_count
        iret
        .cfi_endproc
        .size   bp_entry, . - bp_entry

        .type   pf_entry, @function
pf_entry:
        TRAP_FRAME_CFI 16, LGUEST_GUEST_PL
        pushl   %eax
        .cfi_adjust_cfa_offset 4
        .cfi_offset %eax, -20
        movl    lguest_data + LGUEST_DATA_CR2, %eax
        movl    %eax, pf_cr2
        popl    %eax
        .cfi_adjust_cfa_offset -4
        .cfi_restore %eax
        incl    pf_count
        addl    $4, %esp                /* the error code */
        .cfi_adjust_cfa_offset -4
        addl    $2, (%esp)              /* over the read */
        jmp     irq_iret
        .cfi_endproc
        .size   pf_entry, . - pf_entry

        .type   timer_entry, @function
timer_entry:
        TRAP_FRAME_CFI 12, LGUEST_GUEST_PL
        incl    ticks
        jmp     irq_iret
        .cfi_endproc
        .size   timer_entry, . - timer_entry

        .globl  noirq_iret
        .type   irq_iret, @function
irq_iret:
        TRAP_FRAME_CFI 12, LGUEST_GUEST_PL
        LGUEST_IRET lguest_data, noirq_iret, cfi=1
        .cfi_endproc
        .size   irq_iret, . - irq_iret

        .section .rodata
        .p2align 2
minus:  .long   -123456789
three:  .long   3
zero:   .long   0
control:
        .word   0x0a7f                  /* every exception masked; 53-bit precision, round up */

        .bss
        .p2align 2
        .globl  nm_count, ud_count, bp_count, pf_count, pf_cr2, ticks
nm_count:       .skip 4
ud_count:       .skip 4
bp_count:       .skip 4
pf_count:       .skip 4
pf_cr2:         .skip 4
ticks:          .skip 4

        .section .bss.stack, "aw", @nobits
        .p2align 12
stack:
        .skip   8192
stack_top:
