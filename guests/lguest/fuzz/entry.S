/* entry.S -- the fuzz Guest's assembly: _start, the trap handlers, the
 * "longjmp" that brings every trap back to the fuzz loop, the timer
 * handler, and the instructions the fuzzer uses to provoke traps. */
#include "fuzz.h"

        .section .text.entry, "ax"
        .globl  _start
        .type   _start, @function
_start:
        /* Linear mode, no stack.  Clear .bss (a restarted Guest must not
         * find the last run's), take a stack, and let C do the rest. */
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
        .size   _start, . - _start

        .text
/* int fuzz_setjmp(void): remember where to come back to after a trap. */
        .globl  fuzz_setjmp
        .type   fuzz_setjmp, @function
fuzz_setjmp:
        movl    %ebx, fuzz_jb + 0
        movl    %esi, fuzz_jb + 4
        movl    %edi, fuzz_jb + 8
        movl    %ebp, fuzz_jb + 12
        leal    4(%esp), %eax           /* the stack as it is after our ret */
        movl    %eax, fuzz_jb + 16
        movl    (%esp), %eax
        movl    %eax, fuzz_jb + 20
        xorl    %eax, %eax
        ret
        .size   fuzz_setjmp, . - fuzz_setjmp

/* One handler per vector: push the vector number and go to trap_common.
 * Handler n is at vector_stubs + n * VECTOR_STUB_SIZE. */
        .p2align 4
        .globl  vector_stubs
vector_stubs:
        .set    vec, 0
        .rept   256
        .p2align 4
        pushl   $vec
        jmp     trap_common
        .set    vec, vec + 1
        .endr

/* Every trap we take ends here, from ring 1 or ring 3, on whatever stack
 * the CPU or the Host used, with or without an error code: none of that
 * matters, because we throw the frame away.  Put the kernel's segments
 * back, take the fuzz loop's stack and registers as fuzz_setjmp saved
 * them, and make fuzz_setjmp return 1 + the vector. */
        .type   trap_common, @function
trap_common:
        cld
        movl    (%esp), %eax            /* the vector */
        movl    $LGUEST_KERNEL_DS, %edx
        movl    %edx, %ds
        movl    %edx, %es
        movl    %edx, %ss
        movl    fuzz_jb + 16, %esp
        xorl    %edx, %edx
        movl    %edx, %fs
        movl    %edx, %gs
        movl    %eax, trap_vector
        movl    fuzz_jb + 0, %ebx
        movl    fuzz_jb + 4, %esi
        movl    fuzz_jb + 8, %edi
        movl    fuzz_jb + 12, %ebp
        incl    %eax
        jmp     *fuzz_jb + 20
        .size   trap_common, . - trap_common

/* The timer (an interrupt gate, so the Host turned our interrupts off):
 * count the tick, maybe ask for another one, and return.  The return is
 * lguest's protected iret (LGUEST_IRET), written with %ss overrides: a
 * tick can arrive at ring 3 before the user code has loaded %ds. */
        .globl  timer_entry
        .type   timer_entry, @function
timer_entry:
        pushl   %eax
        incl    %ss:timer_ticks
        cmpl    $0, %ss:timer_rearm_left
        je      1f
        decl    %ss:timer_rearm_left
        pushl   %ebx
        movl    %ss:timer_rearm_ns, %ebx
        movl    $LHCALL_SET_CLOCKEVENT, %eax
        int     $LGUEST_TRAP_ENTRY
        popl    %ebx
1:      popl    %eax
        pushl   8(%esp)
        andl    $LGUEST_EFLAGS_IF, (%esp)
        popl    %ss:lguest_data + LGUEST_DATA_IRQ_ENABLED
        .globl  timer_iret
timer_iret:
        iret
        .size   timer_entry, . - timer_entry

/* int $n for every n: stub n is at int_stubs + n * INT_STUB_SIZE. */
        .p2align 2
        .globl  int_stubs
int_stubs:
        .set    vec, 0
        .rept   256
        .p2align 2
        .byte   0xcd, vec               /* int $vec (gas would write int $3 as int3) */
        ret
        .set    vec, vec + 1
        .endr

/* Instructions that trap at ring 1 (or that the Host emulates), one per
 * function.  Those that do not trap return normally. */
.macro TSTUB name
        .globl  \name
        .type   \name, @function
\name:
.endm
TSTUB t_ud2
        ud2
        ret
TSTUB t_int3
        int3
        ret
TSTUB t_into                            /* #OF (4) */
        movl    $0x7fffffff, %eax
        addl    $1, %eax
        into
        ret
TSTUB t_div0                            /* #DE (0) */
        xorl    %ecx, %ecx
        movl    $1, %eax
        xorl    %edx, %edx
        divl    %ecx
        ret
TSTUB t_hlt                             /* privileged: #GP */
        hlt
        ret
TSTUB t_sti                             /* IOPL 0: #GP, not emulated */
        sti
        ret
TSTUB t_cli                             /* #GP(0), which the Host emulates */
        cli
        ret
TSTUB t_movcr3
        movl    %cr3, %eax
        ret
TSTUB t_lidt
        lidt    idt_junk
        ret
TSTUB t_rdmsr
        xorl    %ecx, %ecx
        rdmsr
        ret
TSTUB t_wbinvd
        wbinvd
        ret
TSTUB t_insb                            /* string I/O: not emulated */
        pushl   %edi
        movl    $io_buf, %edi
        movl    $0x80, %edx
        insb
        popl    %edi
        ret
TSTUB t_outsb
        pushl   %esi
        movl    $io_buf, %esi
        movl    $0x80, %edx
        outsb
        popl    %esi
        ret
TSTUB t_icebp                           /* int1: #DB (1) */
        .byte   0xf1
        ret
TSTUB t_sysenter                        /* SYSENTER_CS is 0 in the Guest: #GP */
        sysenter
        ret
TSTUB t_fpu                             /* #NM (7) if we asked for TS */
        fninit
        ret

/* The x87 is ours: the Host never changes it (fuzz.c, act_fpu).
 * fpu_load(cw) leaves three values on the stack (pi, 1, log2 e under the
 * rounding mode of cw), a status word with PE set (sqrt(pi) is inexact) and
 * TOP = 5. fpu_check(cw) finds them all again after a trip to the Host, and
 * the control and tag words, and returns 0; at the first difference it
 * marks fpu_wrong with 0xf8700000 | what differed (the test reads it) and
 * returns that. Either faults at its first x87 instruction (#NM) while we
 * have TS. */
        .globl  fpu_load
        .type   fpu_load, @function
fpu_load:
        fninit
        fldcw   4(%esp)
        fldpi
        fld1
        fldl2e
        fld     %st(2)
        fsqrt
        fstp    %st(0)
        ret
        .size   fpu_load, . - fpu_load

        .globl  fpu_check
        .type   fpu_check, @function
fpu_check:
        subl    $32, %esp
        fnstcw  (%esp)                  /* the control word: cw's low 13 bits (bit 6 reads as 1) */
        movzwl  (%esp), %eax
        xorl    36(%esp), %eax
        andl    $0x1f3f, %eax
        movl    $1, %edx
        jnz     9f
        fnstsw  %ax                     /* TOP 5, PE, nothing else of the flags */
        andl    $0x38ff, %eax
        movl    $2, %edx
        cmpl    $0x2820, %eax
        jne     9f
        fldl2e                          /* ST(1) now: log2 e */
        fucomip %st(1), %st
        movl    $3, %edx
        jne     9f
        jp      9f
        fstp    %st(0)
        fld1
        fucomip %st(1), %st
        movl    $4, %edx
        jne     9f
        jp      9f
        fstp    %st(0)
        fldpi
        fucomip %st(1), %st
        movl    $5, %edx
        jne     9f
        jp      9f
        fnstenv 4(%esp)                 /* the tags: ST(0) valid, the seven others empty */
        movzwl  12(%esp), %eax
        movl    $6, %edx
        cmpl    $0x3fff, %eax
        jne     9f
        fninit
        incl    fpu_checked
        xorl    %eax, %eax
        addl    $32, %esp
        ret
9:      movl    %edx, %eax
        orl     $0xf8700000, %eax
        movl    %eax, fpu_wrong
        fninit
        addl    $32, %esp
        ret
        .size   fpu_check, . - fpu_check

/* An unmasked exception (1/0 with ZM clear) and then a waiting x87
 * instruction: #MF (16), as CR0.NE = 1 has it. */
        .globl  fpu_mf
        .type   fpu_mf, @function
fpu_mf:
        fninit
        pushl   $0x037b                 /* ZM clear */
        fldcw   (%esp)
        addl    $4, %esp
        fld1
        fldz
        .byte   0xde, 0xf9              /* FDIVP: ST(1) = 1 / 0, popped: the exception is pending */
        fld1                            /* #MF here, before it */
        fwait
        fninit
        ret
        .size   fpu_mf, . - fpu_mf
TSTUB t_bound                           /* 5 is not in [0, 1]: #BR (5) */
        pushl   $1
        pushl   $0
        movl    $5, %eax
        boundl  %eax, (%esp)
        addl    $8, %esp
        ret
TSTUB t_badds                           /* an LDT selector, and we have no LDT: #GP */
        movl    $0x1234, %eax
        movl    %eax, %ds
        ret
TSTUB t_iret_junk                       /* iret to a nonsense CS: #GP */
        pushl   $0x202
        pushl   $0x1234
        pushl   $1f
        iret
1:      ret
TSTUB t_single_step                     /* TF on: #DB (1) after the next instruction */
        pushfl
        orl     $0x100, (%esp)
        popfl
        nop
        pushfl
        andl    $~0x100, (%esp)
        popfl
        ret
TSTUB t_lost_stack                      /* push with ESP 0: the Host has nowhere to put the frame */
        movl    %esp, %eax
        xorl    %esp, %esp
        pushl   $0
        movl    %eax, %esp
        ret
TSTUB t_rdtsc
        rdtsc
        ret
TSTUB t_cpuid
        pushl   %ebx
        xorl    %eax, %eax
        cpuid
        popl    %ebx
        ret
TSTUB t_invlpg
        invlpg  0x40000000
        ret
TSTUB t_ljmp_junk
        ljmp    $0x1234, $1f
1:      ret

/* Where far calls and jumps through our GDT entries land: note the CS we
 * run with (its RPL is our privilege level), then trap back to the loop. */
        .globl  far_landing
        .type   far_landing, @function
far_landing:
        movl    %cs, %eax
        orl     $0x1a9d0000, %eax       /* a mark: this was far_landing */
        movl    %eax, %ss:landed_cs
        ud2
        .size   far_landing, . - far_landing

/* enter_user(eip, esp): iret down to ring 3, on Linux's user segments. */
        .globl  enter_user
        .type   enter_user, @function
enter_user:
        movl    4(%esp), %ecx
        movl    8(%esp), %edx
        pushl   $USER_DS
        pushl   %edx
        pushl   $LGUEST_BOOT_EFLAGS
        pushl   $USER_CS
        pushl   %ecx
        iret
        .size   enter_user, . - enter_user

/* Ring 3.  The iret cleared %ds and %es (their DPL 1 is below CPL 3), so
 * load the user's data segment, then do user_action.  Every path ends in
 * a trap; ud2 catches any that do not. */
        .globl  user_code
user_code:
        movl    $USER_DS, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    user_action, %eax
        cmpl    $U_ACTIONS, %eax
        jae     u_ud2
        jmp     *user_table(, %eax, 4)
u_syscall:
        int     $0x80
        ud2
u_int3:
        int3
        ud2
u_ud2:
        ud2
u_hcall:
        int     $LGUEST_TRAP_ENTRY
        ud2
u_out:
        outb    %al, $0x80
        ud2
u_cli:
        cli
        ud2
u_read:
        movl    user_arg, %eax
        movl    (%eax), %eax
        int     $0x80
        ud2
u_write:
        movl    user_arg, %eax
        movl    %eax, (%eax)
        int     $0x80
        ud2
u_spin:
        movl    $3000, %ecx
1:      loop    1b
        int     $0x80
        ud2
u_intn:
        movzbl  user_arg, %eax
        leal    int_stubs(, %eax, INT_STUB_SIZE), %eax
        jmp     *%eax
u_fpu:                                  /* x87 at ring 3: #NM if we asked for TS */
        fninit
        fldpi
        fsqrt
        fstp    %st(0)
        int     $0x80
        ud2
u_fpu_mf:                               /* an unmasked 1/0 at ring 3, then FWAIT: #MF */
        fninit
        pushl   $0x037b
        fldcw   (%esp)
        fld1
        fldz
        .byte   0xde, 0xf9              /* FDIVP: 1 / 0 */
        fwait
        int     $0x80
        ud2

        .section .rodata
        .p2align 2
user_table:
        .long   u_syscall, u_int3, u_ud2, u_hcall, u_out, u_cli, u_read, u_write, u_spin, u_intn
        .long   u_fpu, u_fpu_mf

        .data
idt_junk:
        .word   0x7ff
        .long   0x12345678

        .bss
        .p2align 2
        .globl  fuzz_jb, trap_vector, timer_ticks, timer_rearm_left, timer_rearm_ns, user_action, user_arg
        .globl  landed_cs, fpu_wrong, fpu_checked
fuzz_jb:
        .skip   24
trap_vector:
        .skip   4
timer_ticks:
        .skip   4
timer_rearm_left:
        .skip   4
timer_rearm_ns:
        .skip   4
user_action:
        .skip   4
user_arg:
        .skip   4
landed_cs:
        .skip   4
fpu_wrong:
        .skip   4
fpu_checked:
        .skip   4
io_buf:
        .skip   16

/* Stacks: the fuzz loop's, the ring-1 stack for traps from ring 3
 * (SET_STACK), and ring 3's. */
        .section .bss.stack, "aw", @nobits
        .p2align 12
        .globl  stack_top, kstack_top, ustack_top
        .skip   16384
stack_top:
        .skip   8192
kstack_top:
        .skip   4096
ustack_top:
