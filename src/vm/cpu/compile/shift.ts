/**
 * Inline shifts and rotates (C0 C1 D0 D1 D2 D3: by an immediate, by 1, by
 * CL) on registers and memory, bytes and doublewords, and SHLD/SHRD. Flags as ops/shift.ts
 * makes them, undefined ones included (QEMU's choices): a shift sets all six
 * (AF cleared), a rotate only CF and OF; a count of zero changes nothing,
 * though a memory operand is still read checked for writing.
 */
import type { Instr } from '../instr';
import { ARITH, CF, OF, ZF } from '../flags';
import { Known, type Ctx, eaExpr, reg8, setReg8 } from './common';

/** After a shift: the six flags from fr, the carry `cf` and the overflow `of` (0 or 1), all concrete. */
function shiftFlags(bits: number, cf: string, of: string): string {
  const sf = bits === 8 ? '(fr & 128)' : '((fr >>> 24) & 128)';
  return `c.flagsRaw = (c.flagsRaw & ${~ARITH}) | (fr === 0 ? ${ZF} : 0) | ${sf} | parity(fr) | ${cf} | (${of} << 11); c.lazyMask = 0;`;
}
/** After a rotate: CF and OF only, the others made concrete first. */
function rotateFlags(cf: string, of: string): string {
  return `materialize(c); c.flagsRaw = (c.flagsRaw & ${~(CF | OF)}) | ${cf} | (${of} << 11);`;
}

/**
 * fr = fa shifted by `n` (a constant or the local n, 1..31) with operation `op`
 * (ModRM.reg) on `bits`-bit values, and its flags; null when not inline.
 */
function body(op: number, bits: number, n: string): string | null {
  const top = bits - 1, m = bits === 32 ? '| 0' : '& 255';
  const msb = (v: string) => `((${v} >>> ${top}) & 1)`;
  switch (op) {
    case 0: case 1: { // ROL, ROR: by n mod bits; the flags even when that is 0
      const k = /^\d+$/.test(n) ? String(Number(n) & top) : `(n & ${top})`;
      const r = op === 0 ? `(fa << ${k}) | (fa >>> (${bits} - ${k}))` : `(fa >>> ${k}) | (fa << (${bits} - ${k}))`;
      return op === 0
        ? `fr = (${r}) ${m}; ${rotateFlags('(fr & 1)', `(${msb('fr')} ^ (fr & 1))`)}`
        : `fr = (${r}) ${m}; ${rotateFlags(msb('fr'), `(${msb('fr')} ^ ((fr >>> ${top - 1}) & 1))`)}`;
    }
    case 2: case 3: { // RCL, RCR: only by 1 (a loop through CF otherwise)
      if (n !== '1') return null;
      return op === 2
        ? `{ const ci = getCF(c); fr = ((fa << 1) | ci) ${m}; ${rotateFlags(msb('fa'), msb('(fa ^ fr)'))} }`
        : `{ const ci = getCF(c); fr = ((fa >>> 1) | (ci << ${top})) ${m}; ${rotateFlags('(fa & 1)', msb('(fa ^ fr)'))} }`;
    }
    case 4: case 6: // SHL
      return `{ const t = fa << (${n} - 1); fr = (t << 1) ${m}; ${shiftFlags(bits, msb('t'), msb('(t ^ fr)'))} }`;
    case 5: // SHR (a byte shifted by 8 or more is 0: JavaScript shifts by count mod 32, and counts are below 32)
      return `{ const t = fa >>> (${n} - 1); fr = (t >>> 1) ${m}; ${shiftFlags(bits, '(t & 1)', msb('(t ^ fr)'))} }`;
    default: { // SAR
      const a = bits === 32 ? 'fa' : '((fa << 24) >> 24)';
      return `{ const t = ${a} >> (${n} - 1); fr = (t >> 1) ${m}; ${shiftFlags(bits, '(t & 1)', msb('(t ^ fr)'))} }`;
    }
  }
}

/** A shift or rotate, or null. */
export function shiftRotate(i: Instr, ctx: Ctx): string | null {
  const op = i.opcode;
  if (op !== 0xc0 && op !== 0xc1 && (op < 0xd0 || op > 0xd3)) return null;
  const bits = (op & 1) !== 0 ? 32 : 8, mem = i.mod === 3 ? null : eaExpr(i);
  const w = bits, seg = i.seg;
  const read = mem !== null ? `c.rdW${w}(${seg}, o)` : bits === 32 ? `R[${i.rm}]` : reg8(i.rm);
  const write = mem !== null ? `c.wr${w}(${seg}, o, fr);` : bits === 32 ? `R[${i.rm}] = fr;` : setReg8(i.rm, 'fr');
  const at = mem !== null ? `const o = ${mem}; ` : '';
  if (op >= 0xd2) {
    // By CL: the count is known only at run time.
    const b = body(i.reg, bits, 'n');
    if (b === null) return null;
    ctx.known = Known.NONE;
    return mem !== null
      ? `{ ${at}fa = ${read}; const n = R[1] & 31; if (n !== 0) { ${b} ${write} } }`
      : `{ const n = R[1] & 31; if (n !== 0) { fa = ${read}; ${b} ${write} } }`;
  }
  const n = op >= 0xd0 ? 1 : i.imm & 31;
  if (n === 0) {
    // Nothing changes, yet memory is read as the handler reads it (it may fault); fa/fr stay.
    return mem !== null ? `c.rdW${w}(${seg}, ${mem});` : '';
  }
  const b = body(i.reg, bits, String(n));
  if (b === null) return null;
  // A doubleword shift leaves ZF and SF as fr says (a rotate does not touch them).
  ctx.known = bits === 32 && i.reg >= 4 ? Known.INCDEC : Known.NONE;
  return `{ ${at}fa = ${read}; ${b} ${write} }`;
}

/** SHLD and SHRD of doublewords (0F A4 A5 AC AD), by imm8 or CL; or null. */
export function shiftDouble(i: Instr, ctx: Ctx): string | null {
  const op = i.opcode;
  if (op !== 0x1a4 && op !== 0x1a5 && op !== 0x1ac && op !== 0x1ad) return null;
  const left = op < 0x1ac, byCl = (op & 1) !== 0, mem = i.mod === 3 ? null : eaExpr(i), seg = i.seg;
  const read = mem !== null ? `c.rdW32(${seg}, o)` : `R[${i.rm}]`;
  const write = mem !== null ? `c.wr32(${seg}, o, fr);` : `R[${i.rm}] = fr;`;
  const at = mem !== null ? `const o = ${mem}; ` : '';
  const n = byCl ? 'n' : String(i.imm & 31);
  // The bits shifted in come from the register operand; CF is the last bit shifted out.
  const b = left
    ? `{ const t = fa << (${n} - 1); fr = (t << 1) | (R[${i.reg}] >>> (32 - ${n})); ${shiftFlags(32, '((t >>> 31) & 1)', '(((t ^ fr) >>> 31) & 1)')} }`
    : `{ const t = fa >>> (${n} - 1); fr = (t >>> 1) | (R[${i.reg}] << (32 - ${n})); ${shiftFlags(32, '(t & 1)', '(((t ^ fr) >>> 31) & 1)')} }`;
  if (byCl) {
    ctx.known = Known.NONE;
    return `{ ${at}fa = ${read}; const n = R[1] & 31; if (n !== 0) { ${b} ${write} } }`;
  }
  if (n === '0') return mem !== null ? `c.rdW32(${seg}, ${mem});` : '';
  ctx.known = Known.INCDEC;
  return `{ ${at}fa = ${read}; ${b} ${write} }`;
}
