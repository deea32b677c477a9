/* triplefault -- deliberately triple-faults: after one line of output it
 * loads an IDT with limit 0 and executes UD2.  #UD finds no gate (#GP), the
 * #GP finds none (#DF), the #DF finds none: shutdown.  With -no-reboot QEMU
 * then exits with status 0 and writes nothing to the exit port.  If the CPU
 * carries on instead, the kernel exits with 0x7d. */
#include "rt.h"

        .text
        .globl  kmain
kmain:
        pushl   $msg
        call    puts
        addl    $4, %esp
        lidt    empty_idt
        ud2
        pushl   $0x7d                   /* not reached */
        call    exit

        .section .rodata
msg:    .asciz  "triplefault: empty IDT, then UD2\n"
        .p2align 2
empty_idt:
        .word   0
        .long   0
