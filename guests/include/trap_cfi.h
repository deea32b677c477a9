/* trap_cfi.h -- DWARF call frame information for trap and interrupt entry
 * code, so that a debugger unwinds from a handler into the code the trap
 * interrupted (ours does, and so does gdb).  Assembler only; the file using
 * it says `.cfi_sections .debug_frame` first (these Guests keep no
 * .eh_frame).
 *
 * A trap's CFA here is the end of the EIP, CS and EFLAGS the CPU pushed (or
 * lguest's Host, reflecting a trap as the CPU would).  From another ring
 * the CPU also pushed the interrupted ESP and SS, right above them, and the
 * interrupted stack pointer is that ESP; from the handler's own ring it
 * pushed nothing more, and the interrupted stack went on right at the CFA.
 * The saved CS's RPL tells which, so ESP's rule is a DWARF expression that
 * reads it.  .cfi_signal_frame says the frame found is at its EIP itself,
 * the instruction to run next, not at a return address. */
#ifndef TRAP_CFI_H
#define TRAP_CFI_H

#define DW_CFA_val_expression   0x16
#define DW_OP_deref             0x06
#define DW_OP_dup               0x12
#define DW_OP_and               0x1a
#define DW_OP_minus             0x1c
#define DW_OP_bra               0x28
#define DW_OP_eq                0x29
#define DW_OP_lit0              0x30
#define DW_REG_ESP              4

/* TRAP_FRAME_CFI cfa, ring: opens the CFI of code entered by a trap, with
 * %esp + cfa the CFA (12 at the handler's first byte; 16 where the CPU
 * pushed an error code), for a handler running at ring `ring`.  Every
 * general register still holds the interrupted code's value; the code
 * says where it saves them as it goes (.cfi_offset). */
.macro TRAP_FRAME_CFI cfa:req, ring:req
        .cfi_startproc simple
        .cfi_signal_frame
        .cfi_def_cfa %esp, \cfa
        .cfi_offset %eip, -12
        .cfi_offset %cs, -8
        .cfi_offset %eflags, -4
        .cfi_same_value %eax
        .cfi_same_value %ecx
        .cfi_same_value %edx
        .cfi_same_value %ebx
        .cfi_same_value %ebp
        .cfi_same_value %esi
        .cfi_same_value %edi
        /* ESP = ([CFA - 8] & 3) == ring ? CFA : [CFA].  Last: GAS moves the
         * rules before it into the CIE, where .cfi_restore goes back to. */
        .cfi_escape DW_CFA_val_expression, DW_REG_ESP, 12, DW_OP_dup, DW_OP_lit0 + 8, DW_OP_minus, DW_OP_deref, \
                DW_OP_lit0 + 3, DW_OP_and, DW_OP_lit0 + (\ring), DW_OP_eq, DW_OP_bra, 1, 0, DW_OP_deref
.endm

/* PUSHAL_CFI off: after `pushal`, which saved the registers with its
 * lowest word (EDI) at CFA + off (its ESP word is not the one to restore). */
.macro PUSHAL_CFI off:req
        .cfi_adjust_cfa_offset 32
        .cfi_offset %edi, \off
        .cfi_offset %esi, \off + 4
        .cfi_offset %ebp, \off + 8
        .cfi_offset %ebx, \off + 16
        .cfi_offset %edx, \off + 20
        .cfi_offset %ecx, \off + 24
        .cfi_offset %eax, \off + 28
.endm

/* After `popal`: the interrupted code's values are back in the registers. */
.macro POPAL_CFI
        .cfi_adjust_cfa_offset -32
        .cfi_restore %edi
        .cfi_restore %esi
        .cfi_restore %ebp
        .cfi_restore %ebx
        .cfi_restore %edx
        .cfi_restore %ecx
        .cfi_restore %eax
.endm

#endif
