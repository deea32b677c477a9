/* rt_entry.S -- Multiboot header, entry point, exception stubs and ring-3
 * calls shared by the bare-metal test kernels. */
#include "rt.h"

        .section .multiboot, "a"
        .p2align 2
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

/* ------------------------------------------------------------------ entry */
        .section .text.entry, "ax"
        .globl _start
_start:
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

/* ------------------------------------------------- exception/interrupt stubs
 * One stub per vector: push a dummy error code where the CPU pushes none,
 * push the vector, join isr_common. */
        .altmacro
        .macro ISR vec
isr_\vec:
        .if (\vec <> 8) && ((\vec < 10) || (\vec > 14)) && (\vec <> 17)
        pushl   $0
        .endif
        pushl   $\vec
        jmp     isr_common
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
        pushal
        pushl   %ds
        pushl   %es
        pushl   %fs
        pushl   %gs
        movl    $KDATA, %eax
        movw    %ax, %ds
        movw    %ax, %es
        movw    %ax, %fs
        movw    %ax, %gs
        cld
        pushl   %esp                    /* struct trapframe * */
        call    trap_dispatch
        addl    $4, %esp
        popl    %gs
        popl    %fs
        popl    %es
        popl    %ds
        popal
        addl    $8, %esp                /* vector, error code */
        iretl

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
        call    *%ebx
        int     $USER_RETURN_VEC

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
