/* entry.S -- pagerules' assembly: _start, the accesses that may fault,
 * the trip to ring 3 and back, and the page-fault gate's entry. */
#include "pagerules.h"

        .section .text.entry, "ax"
        .globl  _start
        .type   _start, @function
_start:
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
/* kernel_read(va), kernel_write(va): one access each, of ACCESS_LEN bytes. */
        .globl  kernel_read, kernel_read_insn
        .type   kernel_read, @function
kernel_read:
        movl    4(%esp), %edx
kernel_read_insn:
        movl    (%edx), %eax
        ret
        .size   kernel_read, . - kernel_read

        .globl  kernel_write, kernel_write_insn
        .type   kernel_write, @function
kernel_write:
        movl    4(%esp), %edx
kernel_write_insn:
        movl    %edx, (%edx)
        ret
        .size   kernel_write, . - kernel_write

/* user_access(write, va): iret down to ring 3, which makes the access and
 * comes back through the system call gate, to our caller.  Ring 3 pushes
 * nothing, so it needs no stack of its own. */
        .globl  user_access
        .type   user_access, @function
user_access:
        pushl   %ebp
        pushl   %ebx
        pushl   %esi
        pushl   %edi
        movl    %esp, kernel_sp
        movl    20(%esp), %eax
        movl    24(%esp), %edx
        pushl   $USER_DS
        pushl   $0
        pushl   $LGUEST_BOOT_EFLAGS
        pushl   $USER_CS
        testl   %eax, %eax
        jnz     1f
        pushl   $user_read
        iret
1:      pushl   $user_write
        iret
        .size   user_access, . - user_access

/* int $0x80 from ring 3: the kernel's segments and stack, and back to
 * user_access's caller. */
        .globl  syscall_entry
        .type   syscall_entry, @function
syscall_entry:
        movl    $LGUEST_KERNEL_DS, %eax
        movl    %eax, %ds
        movl    %eax, %es
        movl    kernel_sp, %esp
        popl    %edi
        popl    %esi
        popl    %ebx
        popl    %ebp
        ret
        .size   syscall_entry, . - syscall_entry

/* #PF, from ring 1 or ring 3: page_fault(frame) looks at it and steps
 * over the access, then back to where it faulted. */
        .globl  pf_entry
        .type   pf_entry, @function
pf_entry:
        cld
        pushal
        pushl   %esp
        call    page_fault
        addl    $4, %esp
        popal
        addl    $4, %esp                /* the error code */
        iret
        .size   pf_entry, . - pf_entry

/* Ring 3's code, on pages of its own that the page tables open to it.
 * The iret cleared %ds (its DPL 1 is below CPL 3): load the user's. */
        .section .text.user, "ax"
        .p2align 12
        .globl  user_text, user_read_insn, user_write_insn, user_text_end
user_text:
user_read:
        movl    $USER_DS, %eax
        movl    %eax, %ds
user_read_insn:
        movl    (%edx), %eax
        int     $0x80
user_write:
        movl    $USER_DS, %eax
        movl    %eax, %ds
user_write_insn:
        movl    %edx, (%edx)
        int     $0x80
user_text_end:

        .bss
        .p2align 2
kernel_sp:
        .skip   4

        .section .bss.stack, "aw", @nobits
        .p2align 12
stack:
        .skip   8192
stack_top:
        .globl  kstack_top
kstack:
        .skip   4096
kstack_top:
