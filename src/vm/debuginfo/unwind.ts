/**
 * Finding the caller's registers from a frame's: the step a backtrace
 * repeats. With call frame information for the pc, its rules say where
 * the return address and the saved registers are (for a trap's frame too,
 * when its entry code says so with .cfi directives: see trap_cfi.h); without
 * (asm such as the Switcher's), the i386 frame-pointer convention stands in:
 * `push %ebp; mov %esp,%ebp` leaves the caller's %ebp at [%ebp] and the
 * return address at [%ebp+4] (with a special case for the first two
 * instructions of a function, before %ebp is set up).
 */
import type { CallFrameInfo, CfiRow, RegisterRule } from './cfi';
import { evaluate, type ExprContext } from './dwarfExpr';

/** The general registers of a frame; only eip, esp and ebp are always known. */
export interface FrameRegisters {
  eip: number;
  esp: number;
  ebp: number;
  eax?: number;
  ecx?: number;
  edx?: number;
  ebx?: number;
  esi?: number;
  edi?: number;
}

export type Read32 = (addr: number) => number | null;

export interface UnwoundFrame extends FrameRegisters {
  /** How the caller was found (pt-regs: through Linux's struct pt_regs, see linuxEntry.ts). */
  method: 'cfi' | 'frame-pointer' | 'entry' | 'pt-regs';
  /**
   * Found through a trap's frame (a CFI signal frame, Linux's pt_regs): the
   * frame was interrupted, so its eip is the instruction to run next, not a
   * return address, and its stack may be another one (a trap from ring 3).
   */
  trapped?: boolean;
}

/** DWARF register numbers of the i386 (System V psABI). */
const NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip'] as const;
const CALLEE_SAVED = new Set([3, 5, 6, 7]); // ebx, ebp, esi, edi keep their value across a call
const ESP = 4, EIP = 8;

function get(regs: FrameRegisters, n: number): number | undefined {
  const name = NAMES[n];
  return name === undefined ? undefined : regs[name];
}

/**
 * The caller's registers by the CFI row for pc, or null when a rule cannot
 * be followed (an unknown register, unreadable memory) or the return
 * address is undefined: `.cfi_undefined eip` marks the outermost frame
 * (a _start), as the DWARF standard has it.
 */
export function unwindWithCfi(row: CfiRow, regs: FrameRegisters, read32: Read32): UnwoundFrame | null {
  const ctx: ExprContext = { reg: (n) => get(regs, n), read32 };
  let cfa: number | null | undefined;
  if (row.cfa.type === 'register') {
    const base = get(regs, row.cfa.register);
    cfa = base === undefined ? null : (base + row.cfa.offset) >>> 0;
  } else {
    cfa = evaluate(row.cfa.expr, ctx);
  }
  if (cfa === null || cfa === undefined) return null;
  const at = cfa;
  const apply = (n: number, rule: RegisterRule | undefined): number | undefined => {
    if (!rule) return n === ESP ? at : CALLEE_SAVED.has(n) ? get(regs, n) : undefined;
    switch (rule.type) {
      case 'undefined': return undefined;
      case 'sameValue': return get(regs, n);
      case 'offset': return read32((at + rule.offset) >>> 0) ?? undefined;
      case 'valOffset': return (at + rule.offset) >>> 0;
      case 'register': return get(regs, rule.register);
      case 'expression': {
        const addr = evaluate(rule.expr, ctx, [at]);
        return addr === null ? undefined : read32(addr) ?? undefined;
      }
      case 'valExpression': return evaluate(rule.expr, ctx, [at]) ?? undefined;
    }
  };
  const eip = apply(EIP, row.registers.get(row.returnAddress));
  const esp = apply(ESP, row.registers.get(ESP));
  const ebp = apply(5, row.registers.get(5));
  if (eip === undefined || esp === undefined || ebp === undefined) return null;
  const out: UnwoundFrame = { eip, esp, ebp, method: 'cfi' };
  if (row.signalFrame) out.trapped = true;
  for (const [n, name] of [[0, 'eax'], [1, 'ecx'], [2, 'edx'], [3, 'ebx'], [6, 'esi'], [7, 'edi']] as const) {
    const v = apply(n, row.registers.get(n));
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/**
 * The caller by the frame-pointer convention. `entry` is the address of
 * the function pc is in, when known: at its first byte the return address
 * is at [%esp]; after a first `push %ebp` (0x55), at [%esp+4].
 */
export function unwindWithFramePointer(pc: number, regs: FrameRegisters, read32: Read32, entry?: number): UnwoundFrame | null {
  const { esp, ebp } = regs;
  if (entry !== undefined && pc === entry) {
    const eip = read32(esp);
    return eip === null ? null : { eip, esp: (esp + 4) >>> 0, ebp, method: 'entry' };
  }
  if (entry !== undefined && pc === entry + 1 && ((read32(entry) ?? 0) & 0xff) === 0x55) {
    const eip = read32((esp + 4) >>> 0), saved = read32(esp);
    return eip === null || saved === null ? null : { eip, esp: (esp + 8) >>> 0, ebp: saved, method: 'entry' };
  }
  // A frame pointer below the stack pointer (or 0, which ends the chain) is not one.
  if (ebp === 0 || ebp < esp) return null;
  const saved = read32(ebp), eip = read32((ebp + 4) >>> 0);
  if (saved === null || eip === null) return null;
  return { eip, esp: (ebp + 8) >>> 0, ebp: saved, method: 'frame-pointer' };
}

/** One step: CFI when an FDE covers pc, the frame-pointer convention otherwise. */
export function unwindStep(cfi: CallFrameInfo, pc: number, regs: FrameRegisters, read32: Read32, entry?: number): UnwoundFrame | null {
  const row = cfi.rowAt(pc);
  return row ? unwindWithCfi(row, regs, read32) : unwindWithFramePointer(pc, regs, read32, entry);
}
