/**
 * Inline multiplication and division (IMUL in its three forms and F7 /5,
 * MUL, DIV and IDIV of doublewords, MUL and IMUL of bytes) and the sign
 * extensions CWDE and CDQ. MUL and
 * IMUL set CF = OF = "the high half matters", SF ZF PF from the low half and
 * clear AF, as ops/alu.ts does (QEMU's choice where the manual leaves them
 * undefined); DIV and IDIV leave the flags and raise #DE before writing anything.
 */
import type { Instr } from '../instr';
import { ARITH, CF, OF, ZF } from '../flags';
import { Known, type Ctx, rm8, rm32 } from './common';

/** The flags of a multiply whose low half is in fr, given whether the product overflowed. */
function mulFlags(overflow: string): string {
  return `c.flagsRaw = (c.flagsRaw & ${~ARITH}) | (${overflow} ? ${CF | OF} : 0) | (fr === 0 ? ${ZF} : 0) | ((fr >>> 24) & 128) | parity(fr); c.lazyMask = 0;`;
}

/** IMUL, MUL, DIV, IDIV, CWDE, CDQ, byte MUL and IMUL, or null. */
export function mulDiv(i: Instr, ctx: Ctx): string | null {
  const op = i.opcode;
  if (op === 0x1af || op === 0x69 || op === 0x6b) {
    // The product truncated to 32 bits: it overflowed when the exact double differs (products above
    // 2^53 are inexact, but then far outside the int32 range anyway).
    const [a, b] = op === 0x1af ? [`R[${i.reg}]`, rm32(i)] : [rm32(i), String(i.imm | 0)];
    ctx.known = Known.INCDEC; // ZF and SF follow the low half, in fr
    return `{ const a = ${a}, b = ${b}; fr = Math.imul(a, b); R[${i.reg}] = fr; ${mulFlags('a * b !== fr')} }`;
  }
  if (op === 0xf7 && (i.reg === 4 || i.reg === 5)) {
    const signed = i.reg === 5;
    ctx.known = Known.INCDEC;
    return `{ const b = ${rm32(i)}, a = R[0]; fr = Math.imul(a, b); const hi = ${signed ? 'mulHighS' : 'mulHighU'}(a, b); R[0] = fr; R[2] = hi; `
      + `${mulFlags(signed ? 'hi !== fr >> 31' : 'hi !== 0')} }`;
  }
  if (op === 0xf7 && i.reg === 6) {
    // Flags untouched: what the Jcc fast paths know still holds.
    return `{ const d = ${rm32(i)} >>> 0; if (d === 0) raise(c, 0); const hi = R[2] >>> 0; if (hi >= d) raise(c, 0); `
      + 'if (hi === 0) { const lo = R[0] >>> 0, q = Math.floor(lo / d); R[0] = q; R[2] = lo - q * d; } else div64(R, hi, d); }';
  }
  if (op === 0xf7 && i.reg === 7) {
    // A dividend that fits in 32 bits divides in doubles (exactly); -2^31 / -1 does not fit: #DE.
    return `{ const d = ${rm32(i)}; if (d === 0) raise(c, 0); const n = R[0]; `
      + 'if (R[2] === n >> 31) { const q = Math.trunc(n / d); if (q === 2147483648) raise(c, 0); R[0] = q; R[2] = n % d; } else idiv64(c, d); }';
  }
  if (op === 0xf6 && (i.reg === 4 || i.reg === 5)) {
    // AX = AL * r/m8; CF = OF when AH matters; SF ZF PF from AL.
    const [a, b] = i.reg === 4 ? ['R[0] & 255', rm8(i)] : ['(R[0] << 24) >> 24', `(${rm8(i)} << 24) >> 24`];
    const ov = i.reg === 4 ? 'r > 255' : 'r !== (r << 24) >> 24';
    ctx.known = Known.NONE;
    return `{ const b = ${b}, r = (${a}) * b; c.r16[0] = r; `
      + `c.flagsRaw = (c.flagsRaw & ${~ARITH}) | (${ov} ? ${CF | OF} : 0) | ((r & 255) === 0 ? ${ZF} : 0) | (r & 128) | parity(r); c.lazyMask = 0; }`;
  }
  if (op === 0x98) return 'R[0] = (R[0] << 16) >> 16;';
  if (op === 0x99) return 'R[2] = R[0] >> 31;';
  return null;
}
