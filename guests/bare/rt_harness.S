/* rt_harness.S -- the instruction harness behind cpu_run() (rt.c): load
 * every general register and EFLAGS from a struct cpu, call a test stub,
 * store them back.  Kept apart from rt_entry.S so that the host check
 * (host_check.c) can link it into a Linux program as well. */

        .text
/* void cpu_run_asm(struct cpu *c, const void *stub)
 * struct cpu: eax ecx edx ebx esi edi ebp efl (offsets 0..28) */
        .globl  cpu_run_asm, cpu_run_resume
cpu_run_asm:
        pushl   %ebp
        pushl   %ebx
        pushl   %esi
        pushl   %edi
        movl    20(%esp), %eax          /* c */
        pushl   %eax                    /* 4(%esp) after the next push: c */
        pushl   24+4(%esp)              /* (%esp): stub */
        movl    %esp, cr_esp
        pushl   28(%eax)
        popfl
        movl    4(%eax), %ecx
        movl    8(%eax), %edx
        movl    12(%eax), %ebx
        movl    16(%eax), %esi
        movl    20(%eax), %edi
        movl    24(%eax), %ebp
        movl    0(%eax), %eax
        call    *(%esp)
cpu_run_back:
        pushfl
        pushl   %eax
        movl    12(%esp), %eax          /* c */
        popl    0(%eax)
        popl    28(%eax)
        movl    %ecx, 4(%eax)
        movl    %edx, 8(%eax)
        movl    %ebx, 12(%eax)
        movl    %esi, 16(%eax)
        movl    %edi, 20(%eax)
        movl    %ebp, 24(%eax)
        addl    $8, %esp
        popl    %edi
        popl    %esi
        popl    %ebx
        popl    %ebp
        cld
        ret
cpu_run_resume:                         /* a fault in the stub resumes here */
        movl    cr_esp, %esp
        jmp     cpu_run_back

        .data
        .p2align 2
cr_esp: .long 0

        .section .note.GNU-stack, "", @progbits
