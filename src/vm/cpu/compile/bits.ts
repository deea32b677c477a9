/**
 * Inline bit tests (BT BTS BTR BTC by a register or an immediate), bit scans
 * (BSF BSR), BSWAP, SETcc and CMOVcc. BT* set CF to the bit and keep the other flags as they were (made
 * concrete first), as ops/shift.ts does; a register bit offset reaches any
 * doubleword around a memory operand (signed).
 */
import type { Instr } from '../instr';
import { CF } from '../flags';
import { Known, type Ctx, eaExpr, lazy, rm32, setReg8 } from './common';

const BT_OPS: Record<number, number> = { 0x1a3: 0, 0x1ab: 1, 0x1b3: 2, 0x1bb: 3 };
const CHANGE = ['', 'v | (1 << bit)', 'v & ~(1 << bit)', 'v ^ (1 << bit)'];

/** BT, BTS, BTR, BTC on doublewords, or null. */
export function bitTest(i: Instr, ctx: Ctx): string | null {
  const op = i.opcode;
  const bop = op === 0x1ba ? (i.reg >= 4 ? i.reg - 4 : -1) : BT_OPS[op] ?? -1;
  if (bop < 0) return null;
  ctx.known = Known.NONE;
  const fromReg = op !== 0x1ba, flags = `materialize(c); c.flagsRaw = (c.flagsRaw & ${~CF}) | ((v >>> bit) & 1);`;
  const bit = fromReg ? `R[${i.reg}] & 31` : String(i.imm & 31);
  if (i.mod === 3) {
    const change = bop === 0 ? '' : ` R[${i.rm}] = ${CHANGE[bop]};`;
    return `{ const bit = ${bit}, v = R[${i.rm}];${change} ${flags} }`;
  }
  const seg = i.seg;
  const addr = fromReg ? `(${eaExpr(i)} + (R[${i.reg}] >> 5) * 4) | 0` : eaExpr(i);
  if (bop === 0) return `{ const bit = ${bit}, v = c.rd32(${seg}, ${addr}); ${flags} }`;
  return `{ const bit = ${bit}, a = ${addr}, v = c.rdW32(${seg}, a); c.wr32(${seg}, a, ${CHANGE[bop]}); ${flags} }`;
}

/** BSF, BSR (ZF from the source, the destination kept when it is 0) and BSWAP, on doublewords; or null. */
export function bitScan(i: Instr, ctx: Ctx): string | null {
  const op = i.opcode;
  if (op === 0x1bc || op === 0x1bd) {
    // The flags as the handler records them: a logic result equal to the source.
    ctx.known = Known.LOGIC;
    const index = op === 0x1bc ? '31 - Math.clz32(fr & -fr)' : '31 - Math.clz32(fr)';
    return `fa = 0; fb = 0; fr = ${rm32(i)}; if (fr !== 0) R[${i.reg}] = ${index}; ${lazy(4)}`;
  }
  if (op >= 0x1c8 && op <= 0x1cf) {
    const r = `R[${op & 7}]`;
    return `{ const v = ${r}; ${r} = ((v & 255) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24); }`;
  }
  return null;
}

/** SETcc and CMOVcc (32-bit) given the condition as an expression; flags and fa fb fr untouched. */
export function condMove(i: Instr, cond: (cc: number) => string): string | null {
  const op = i.opcode;
  if (op >= 0x190 && op <= 0x19f) {
    const v = `(${cond(op & 15)} ? 1 : 0)`;
    return i.mod === 3 ? setReg8(i.rm, v) : `c.wr8(${i.seg}, ${eaExpr(i)}, ${v});`;
  }
  if (op >= 0x140 && op <= 0x14f) {
    // The source is read (and may fault) whether or not the condition holds.
    return i.mod === 3 ? `if (${cond(op & 15)}) R[${i.reg}] = R[${i.rm}];` : `{ const v = ${rm32(i)}; if (${cond(op & 15)}) R[${i.reg}] = v; }`;
  }
  return null;
}
