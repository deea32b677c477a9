/* trap256 -- loads DS with GDT slot 15, then makes that slot not present
 * with LOAD_GDT_ENTRY.  On the way back in after that hypercall the
 * Switcher reloads DS from the slot and faults (#NP) before the Guest runs
 * again; the fault's frame does not line up with the register page, so
 * the trap number stays the impossible 256 the Host put there.
 * lguest: "unhandled trap 256 at EIP (0)", EIP = back, after the int $0x1f,
 * and the error code the hypercall's exit saved. */
#include "lguest.h"

        .text
        .globl  main
        .type   main, @function
main:
        LGUEST_HCALL_ARGS LHCALL_LGUEST_INIT, $lguest_data
        /* Slot 15: flat 4 GiB data, DPL 1, present. */
        LGUEST_HCALL_ARGS LHCALL_LOAD_GDT_ENTRY, $15, $0x0000ffff, $0x00cfb300
        movl    $(15 * 8 + 1), %eax
        movl    %eax, %ds
        /* The same, not present, while DS still refers to it. */
        LGUEST_HCALL_ARGS LHCALL_LOAD_GDT_ENTRY, $15, $0x0000ffff, $0x00cf3300
        .globl  back
back:
        ret
        .size   main, . - main
