/* rt_entry.S -- Multiboot header, entry point, exception stubs and ring-3
 * calls shared by the bare-metal test kernels. */
#include "rt.h"
#include "trap_cfi.h"

        /* Call frame information (see trap_cfi.h) in .debug_frame, as for C. */
        .cfi_sections .debug_frame

        .section .multiboot, "a"
        .p2align 2
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

/* ------------------------------------------------------------------ entry */
        .section .text.entry, "ax"
        .globl _start
        .type   _start, @function
_start:
        .cfi_startproc
        .cfi_undefined %eip
        cli
        movl    %eax, mb_magic
        movl    %ebx, mb_info
        lgdt    gdt_desc                /* our own GDT before any segment load */
        ljmp    $KCODE, $1f
1:      movl    $KDATA, %eax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        movw    %ax, %ss
        movl    $stack_top, %esp
        xorl    %ebp, %ebp
        pushl   $2                      /* EFLAGS: only the reserved bit */
        popfl
        call    rt_init                 /* IDT, TSS, PIC */
        pushl   mb_info
        pushl   mb_magic
        call    kmain
        pushl   %eax
        call    exit
        .cfi_endproc
        .size   _start, . - _start

/* ------------------------------------------------- exception/interrupt stubs
 * One stub per vector: push a dummy error code where the CPU pushes none,
 * push the vector, join isr_common.  The handlers run at ring 0; a trap
 * from ring 3 (user_call) has the user's ESP and SS above its frame. */
        .altmacro
        .macro ISR vec
isr_\vec:
        .if (\vec <> 8) && ((\vec < 10) || (\vec > 14)) && (\vec <> 17)
        TRAP_FRAME_CFI 12, 0
        pushl   $0
        .cfi_adjust_cfa_offset 4
        .else
        TRAP_FRAME_CFI 16, 0
        .endif
        pushl   $\vec
        .cfi_adjust_cfa_offset 4
        jmp     isr_common
        .cfi_endproc
        .endm
        .macro ISRADDR vec
        .long   isr_\vec
        .endm

        .text
        .set    vec, 0
        .rept   256
        ISR     %vec
        .set    vec, vec + 1
        .endr

isr_common:
        TRAP_FRAME_CFI 20, 0
        pushal
        PUSHAL_CFI -52
        pushl   %ds
        .cfi_adjust_cfa_offset 4
        .cfi_offset %ds, -56
        pushl   %es
        .cfi_adjust_cfa_offset 4
        .cfi_offset %es, -60
        pushl   %fs
        .cfi_adjust_cfa_offset 4
        .cfi_offset %fs, -64
        pushl   %gs
        .cfi_adjust_cfa_offset 4
        .cfi_offset %gs, -68
        movl    $KDATA, %eax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        cld
        pushl   %esp                    /* struct trapframe * */
        .cfi_adjust_cfa_offset 4
        call    trap_dispatch
        addl    $4, %esp
        .cfi_adjust_cfa_offset -4
        popl    %gs
        .cfi_adjust_cfa_offset -4
        .cfi_restore %gs
        popl    %fs
        .cfi_adjust_cfa_offset -4
        .cfi_restore %fs
        popl    %es
        .cfi_adjust_cfa_offset -4
        .cfi_restore %es
        popl    %ds
        .cfi_adjust_cfa_offset -4
        .cfi_restore %ds
        popal
        POPAL_CFI
        addl    $8, %esp                /* vector, error code */
        .cfi_adjust_cfa_offset -8
        iretl
        .cfi_endproc

        .section .rodata
        .p2align 2
        .globl  isr_stubs
isr_stubs:
        .set    vec, 0
        .rept   256
        ISRADDR %vec
        .set    vec, vec + 1
        .endr
        .noaltmacro

/* ---------------------------------------------------------------- ring 3
 * void user_call(void (*fn)(void), u32 eflags): IRET to ring 3 at user_tramp,
 * which calls fn and then does int $0x81; that handler calls user_return,
 * which drops the ring-0 frame and returns from user_call. */
        .text
        .globl  user_call
user_call:
        pushl   %ebp
        pushl   %ebx
        pushl   %esi
        pushl   %edi
        movl    %esp, uc_kesp
        movl    20(%esp), %ebx          /* fn */
        movl    24(%esp), %ecx          /* eflags */
        pushl   $UDATA                  /* SS */
        pushl   $ustack_top             /* ESP */
        pushl   %ecx                    /* EFLAGS */
        pushl   $UCODE                  /* CS */
        pushl   $user_tramp             /* EIP */
        movw    user_fs, %fs            /* UDATA unless a test changes them */
        movw    user_gs, %gs
        movl    $UDATA, %eax
        movw    %ax, %ds
        movw    %ax, %es
        iretl

user_tramp:                             /* ring 3 */
        /* The first frame of the ring-3 stack: no caller. */
        .cfi_startproc
        .cfi_undefined %eip
        call    *%ebx
        int     $USER_RETURN_VEC
        .cfi_endproc

        .globl  user_return
user_return:                            /* ring 0, called by the 0x81 handler */
        movl    $KDATA, %eax
        movw    %ax, %ss
        movl    uc_kesp, %esp
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        popl    %edi
        popl    %esi
        popl    %ebx
        popl    %ebp
        ret

/* ------------------------------------------------------------------ data */
        .data
        .p2align 2
        .globl  mb_magic, mb_info
mb_magic:       .long 0
mb_info:        .long 0
uc_kesp:        .long 0

        .bss
        .p2align 4
        .globl  stack_top, istack_top, ustack_top
        .space  16384
stack_top:                              /* kernel stack (ring 0 main) */
        .space  8192
istack_top:                             /* TSS.esp0: ring 3 -> ring 0 */
        .space  8192
ustack_top:                             /* user_call() stack */
