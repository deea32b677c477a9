/* abi_check_asm.S -- the assembly half of abi_check.c: the header must
 * assemble, its numbers must reach GNU as intact, and every macro must
 * expand.  Built by `make`, never run. */
#include "lguest.h"

        .macro  PIN value:req, expect:req
        .if (\value) != (\expect)
        .error "lguest.h: \value is not \expect"
        .endif
        .endm

        PIN     LGUEST_TRAP_ENTRY, 31
        PIN     LGUEST_SYSCALL_VECTOR, 128
        PIN     LGUEST_TIMER_VECTOR, 32
        PIN     LHCALL_FLUSH_ASYNC, 0
        PIN     LHCALL_LGUEST_INIT, 1
        PIN     LHCALL_SHUTDOWN, 2
        PIN     LHCALL_NEW_PGTABLE, 4
        PIN     LHCALL_FLUSH_TLB, 5
        PIN     LHCALL_LOAD_IDT_ENTRY, 6
        PIN     LHCALL_SET_STACK, 7
        PIN     LHCALL_TS, 8
        PIN     LHCALL_SET_CLOCKEVENT, 9
        PIN     LHCALL_HALT, 10
        PIN     LHCALL_SET_PTE, 14
        PIN     LHCALL_SET_PGD, 15
        PIN     LHCALL_LOAD_TLS, 16
        PIN     LHCALL_LOAD_GDT_ENTRY, 18
        PIN     LHCALL_SEND_INTERRUPTS, 19
        PIN     LGUEST_SHUTDOWN_POWEROFF, 1
        PIN     LGUEST_SHUTDOWN_RESTART, 2
        PIN     LGUEST_DATA_IRQ_ENABLED, 0
        PIN     LGUEST_DATA_IRQ_PENDING, 20
        PIN     LGUEST_DATA_HCALL_STATUS, 24
        PIN     LGUEST_DATA_HCALLS, 88
        PIN     LGUEST_DATA_NOIRQ_IRET, 1376
        PIN     LGUEST_DATA_SIZE, 1388
        PIN     LGUEST_EFLAGS_IF, 0x200
        PIN     LGUEST_KERNEL_CS, 0x61
        PIN     LGUEST_KERNEL_DS, 0x69
        PIN     LGUEST_DIRECT_TRAP(3, LGUEST_GATE_TRAP), 1
        PIN     LGUEST_DIRECT_TRAP(14, LGUEST_GATE_TRAP), 0
        PIN     LGUEST_DIRECT_TRAP(0x80, LGUEST_GATE_TRAP), 1
        PIN     LGUEST_DIRECT_TRAP(0x80, LGUEST_GATE_INTERRUPT), 0
        PIN     LGUEST_GATE_HI(0x00123456, LGUEST_GATE_TRAP, 3), 0x0012ef00

        .text
abi_check_macros:
        LGUEST_HCALL LHCALL_FLUSH_ASYNC
        LGUEST_HCALL_ARGS LHCALL_LGUEST_INIT, $abi_data
        LGUEST_HCALL_ARGS LHCALL_SET_PTE, %edi, $0x400000, 4(%esp), $0
        LGUEST_IRQ_DISABLE abi_data
        LGUEST_IRQ_ENABLE abi_data
        LGUEST_IRQ_ENABLE abi_data      /* twice: its local label must not clash */
        LGUEST_IRET abi_data, abi_noirq_iret

        .data
abi_data:
        .skip   LGUEST_DATA_SIZE
