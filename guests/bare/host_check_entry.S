/* host_check_entry.S -- Linux (i386) process entry for host_check.c, and the
 * few runtime symbols rt.c refers to that only make sense in a kernel. */

        .text
        .globl  _start, sig_restorer, user_return
_start:
        call    host_main
        movl    %eax, %ebx
        movl    $1, %eax                /* exit */
        int     $0x80
sig_restorer:
        movl    $173, %eax              /* rt_sigreturn */
        int     $0x80
user_return:
        ret

        .data
        .globl  isr_stubs
isr_stubs:
        .fill   256, 4, 0
        .bss
        .globl  istack_top
        .space  16
istack_top:

        .section .note.GNU-stack, "", @progbits
