/**
 * What the block compiler's emitters share: the flags' origin they leave
 * behind for a following Jcc, and operands as JavaScript expressions over
 * the generated function's locals (`c` the CPU, `R` its 32-bit registers,
 * `fa fb fr` the last flag-setter's operands and result).
 */
import type { Instr } from '../instr';
import { ARITH, CF } from '../flags';

/**
 * What the last inline flag-setter left in the locals fa, fb, fr, so a
 * following Jcc can test them directly: a 32-bit SUB/CMP, a byte compare
 * (only unsigned and equality tests are direct: fa, fb are 0..255), a
 * 32-bit logic op, INC/DEC (ZF and SF from fr: also after a 32-bit shift by
 * a constant and a multiply, whose flags are concrete but follow fr).
 */
export const enum Known { NONE, SUB, SUB8, LOGIC, INCDEC }

export interface Ctx {
  known: Known;
}

/** The effective address of a 32-bit memory operand, as a JavaScript expression. */
export function eaExpr(i: Instr): string {
  const parts: string[] = [];
  if (i.base >= 0) parts.push(`R[${i.base}]`);
  if (i.index >= 0) parts.push(i.scale ? `(R[${i.index}] << ${i.scale})` : `R[${i.index}]`);
  if (i.disp !== 0 || parts.length === 0) parts.push(String(i.disp | 0));
  return parts.length === 1 && parts[0].startsWith('R[') ? parts[0] : `((${parts.join(' + ')}) | 0)`;
}

/** Record an ALU result for the lazy flags (flags.ts), from the locals fa, fb, fr. */
export function lazy(op: number, keepCF = false, size = 4): string {
  return `c.lazyOp = ${op}; c.lazySize = ${size}; c.lazyA = fa; c.lazyB = fb; c.lazyRes = fr; c.lazyMask = ${keepCF ? ARITH & ~CF : ARITH};`;
}

/** An 8-bit register (AL CL DL BL AH CH DH BH) as an expression. */
export function reg8(r: number): string {
  return r < 4 ? `(R[${r}] & 255)` : `((R[${r - 4}] >> 8) & 255)`;
}
/** A statement storing the byte `v` into 8-bit register r (c.r8 overlays c.r32, little-endian). */
export function setReg8(r: number, v: string): string {
  return `c.r8[${r < 4 ? r << 2 : ((r - 4) << 2) + 1}] = ${v};`;
}
/** The 8-bit r/m operand as an expression. */
export function rm8(i: Instr): string {
  return i.mod === 3 ? reg8(i.rm) : `c.rd8(${i.seg}, ${eaExpr(i)})`;
}
/** The 32-bit r/m operand as an expression (a plain read: not checked for writing). */
export function rm32(i: Instr): string {
  return i.mod === 3 ? `R[${i.rm}]` : `c.rd32(${i.seg}, ${eaExpr(i)})`;
}

/**
 * A read-modify-write of the r/m operand of `size` bytes (1 or 4): `body`
 * gets the old value in `fa` and leaves the new one in `fr`; memory is read
 * checked for writing (as the handlers' rmwRead), so the write cannot fault
 * after the flags changed.
 */
export function rmw(i: Instr, size: number, body: string): string {
  if (i.mod === 3) {
    if (size === 4) return `{ fa = R[${i.rm}]; ${body} R[${i.rm}] = fr; }`;
    return `{ fa = ${reg8(i.rm)}; ${body} ${setReg8(i.rm, 'fr')} }`;
  }
  const w = size === 4 ? 32 : 8;
  return `{ const o = ${eaExpr(i)}; fa = c.rdW${w}(${i.seg}, o); ${body} c.wr${w}(${i.seg}, o, fr); }`;
}

/** Is the decoded handler the opcode map's own (not #UD for a bad LOCK or a register where memory must be)? */
export function plain(i: Instr): boolean {
  return i.def !== null && i.fn === (i.o32 ? i.def.fn32 : i.def.fn16);
}
