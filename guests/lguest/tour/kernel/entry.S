/* entry.S -- where the tour kernel starts, and where every trap comes in.
 *
 * _start runs in lguest's linear boot mode: virtual addresses are
 * physical, and we are linked at PAGE_OFFSET (0xC0000000) above where we
 * were loaded.  So until paging is ours, every address is written
 * "symbol - PAGE_OFFSET".  We build page tables mapping RAM twice, at 0
 * (so this code keeps running) and at PAGE_OFFSET, introduce ourselves to
 * the Host, switch to those tables and jump up into C at our real address. */
#include "lguest.h"
#include "trap_cfi.h"

        /* Call frame information (see trap_cfi.h) in .debug_frame, as for C. */
        .cfi_sections .debug_frame

#define PAGE_OFFSET     0xc0000000
#define KERNEL_DS       0x69
/* At most this much RAM is mapped (the kernel's page tables live in .bss). */
#define MAX_MAPPED      (256 << 20)
#define PA(sym)         ((sym) - PAGE_OFFSET)

        .section .text.entry, "ax"
        .globl  _start
        .type   _start, @function
_start:
        /* The first frame there is: no caller to unwind to. */
        .cfi_startproc
        .cfi_undefined %eip
        cld
        movl    $PA(boot_stack_top), %esp
        /* .bss: a restarted Guest must not find last time's. */
        movl    $PA(__bss_start), %edi
        movl    $PA(__bss_end), %ecx
        subl    %edi, %ecx
        xorl    %eax, %eax
        rep stosb

        /* RAM is boot_params' first e820 entry (its size, low word). */
        movl    LGUEST_BP_E820_TABLE + 8, %eax
        cmpl    $MAX_MAPPED, %eax
        jbe     1f
        movl    $MAX_MAPPED, %eax
1:      movl    %eax, PA(mem_mapped)

        /* One PTE per page of RAM: present, writable, accessed, dirty,
         * global (the Host drops G in its shadows: the Switcher's address
         * space change must flush everything). */
        movl    %eax, %ecx
        shrl    $12, %ecx
        movl    $PA(boot_ptes), %edi
        movl    $0x163, %eax
2:      stosl
        addl    $0x1000, %eax
        loop    2b

        /* The directory: each page of PTEs at 0 and at PAGE_OFFSET. */
        movl    PA(mem_mapped), %ecx
        addl    $0x3fffff, %ecx
        shrl    $22, %ecx
        movl    $PA(boot_ptes) + 0x63, %eax
        movl    $PA(kernel_pgdir), %edi
3:      movl    %eax, (%edi)
        movl    %eax, (PAGE_OFFSET >> 20)(%edi)
        addl    $0x1000, %eax
        addl    $4, %edi
        loop    3b

        /* Hello, Host: here is our lguest_data (with the address of our
         * one iret it must not interrupt).  Then our page tables. */
        movl    $lguest_noirq_iret, PA(lguest_data) + LGUEST_DATA_NOIRQ_IRET
        LGUEST_HCALL_ARGS LHCALL_LGUEST_INIT, $PA(lguest_data)
        LGUEST_HCALL_ARGS LHCALL_NEW_PGTABLE, $PA(kernel_pgdir)

        /* Up to where we were linked, on the virtual stack. */
        movl    $4f, %eax
        jmp     *%eax
4:      movl    $boot_stack_top, %esp
        xorl    %ebp, %ebp
        call    kernel_main
        ud2
        .cfi_endproc
        .size   _start, . - _start

/* ------------------------------------------------------------------ traps
 * One stub per vector: a dummy error code where the CPU pushes none, then
 * the vector, so every trapframe has the same shape.  The kernel runs at
 * ring 1 (LGUEST_GUEST_PL): a trap from ring 3 has the user's ESP and SS
 * above its frame, one from the kernel not. */
.macro TRAP vec, name, errcode=0
        .globl  \name
        .type   \name, @function
\name:
        TRAP_FRAME_CFI 12+4*\errcode, LGUEST_GUEST_PL
        .if \errcode == 0
        pushl   $0
        .cfi_adjust_cfa_offset 4
        .endif
        pushl   $\vec
        .cfi_adjust_cfa_offset 4
        jmp     trap_common
        .cfi_endproc
        .size   \name, . - \name
.endm

        .text
        TRAP 0, divide_error
        TRAP 1, debug
        TRAP 3, int3
        TRAP 4, overflow
        TRAP 5, bounds
        TRAP 6, invalid_op
        TRAP 7, device_not_available
        TRAP 10, invalid_tss, 1
        TRAP 11, segment_not_present, 1
        TRAP 12, stack_segment, 1
        TRAP 13, general_protection, 1
        TRAP 14, page_fault, 1
        TRAP 16, coprocessor_error
        TRAP 17, alignment_check, 1
        TRAP 19, simd_error
        TRAP 32, timer_interrupt
        TRAP 0x80, system_call

/* Save everything, switch to the kernel's data segments, and let C sort
 * it out.  A trap from ring 3 arrives with the user's segment registers
 * still loaded; %gs in particular names the user's TLS entry, which the
 * kernel leaves alone (and the Host would rather not see live when it
 * changes, see LOAD_TLS). */
        .type   trap_common, @function
trap_common:
        /* The frame as struct trapframe has it, from its EFLAGS down. */
        TRAP_FRAME_CFI 20, LGUEST_GUEST_PL
        pushl   %ds
        .cfi_adjust_cfa_offset 4
        .cfi_offset %ds, -24
        pushl   %es
        .cfi_adjust_cfa_offset 4
        .cfi_offset %es, -28
        pushl   %fs
        .cfi_adjust_cfa_offset 4
        .cfi_offset %fs, -32
        pushl   %gs
        .cfi_adjust_cfa_offset 4
        .cfi_offset %gs, -36
        pushal
        PUSHAL_CFI -68
        movl    $KERNEL_DS, %eax
        movl    %eax, %ds
        movl    %eax, %es
        xorl    %eax, %eax
        movl    %eax, %fs
        movl    %eax, %gs
        movl    %esp, %eax
        pushl   %eax
        .cfi_adjust_cfa_offset 4
        call    trap_dispatch
        addl    $4, %esp
        .cfi_adjust_cfa_offset -4
        /* A new process starts here too, from the trapframe it was given. */
        .globl  ret_to_user
ret_to_user:
        popal
        POPAL_CFI
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
        addl    $8, %esp                /* the vector and error code */
        .cfi_adjust_cfa_offset -8
        /* The Guest's iret: restore our interrupt flag from the frame, and
         * iret at the one place the Host never interrupts. */
        LGUEST_IRET lguest_data, lguest_noirq_iret, cfi=1
        .cfi_endproc
        .size   trap_common, . - trap_common

/* switch_to(&prev->ksp, next->ksp): save the callee-saved registers on
 * this kernel stack, take the other one, and return on it: into whatever
 * switch_to call it left from, or, the first time, into ret_to_user. */
        .globl  switch_to
        .type   switch_to, @function
switch_to:
        /* Both stacks hold the same four words and return address, so
         * one set of rules describes the frame before and after the switch. */
        .cfi_startproc
        movl    4(%esp), %eax
        movl    8(%esp), %edx
        pushl   %ebp
        .cfi_adjust_cfa_offset 4
        .cfi_offset %ebp, -8
        pushl   %ebx
        .cfi_adjust_cfa_offset 4
        .cfi_offset %ebx, -12
        pushl   %esi
        .cfi_adjust_cfa_offset 4
        .cfi_offset %esi, -16
        pushl   %edi
        .cfi_adjust_cfa_offset 4
        .cfi_offset %edi, -20
        movl    %esp, (%eax)
        movl    %edx, %esp
        popl    %edi
        .cfi_adjust_cfa_offset -4
        .cfi_restore %edi
        popl    %esi
        .cfi_adjust_cfa_offset -4
        .cfi_restore %esi
        popl    %ebx
        .cfi_adjust_cfa_offset -4
        .cfi_restore %ebx
        popl    %ebp
        .cfi_adjust_cfa_offset -4
        .cfi_restore %ebp
        ret
        .cfi_endproc
        .size   switch_to, . - switch_to

        .section .bss.boot, "aw", @nobits
        .p2align 12
        .globl  kernel_pgdir
kernel_pgdir:
        .skip   4096
boot_ptes:
        .skip   (MAX_MAPPED >> 12) * 4
        /* The boot stack, later the idle loop's. */
        .globl  boot_stack_top
boot_stack:
        .skip   8192
boot_stack_top:
        .globl  mem_mapped
mem_mapped:
        .skip   4
