/**
 * Inline forms of the ALU instructions the compiler's first cases leave out:
 * the byte forms of the eight operations (r/m8,r8; r8,r/m8; AL,imm8; 80/82),
 * INC/DEC on memory and on byte registers, NOT and NEG, CMPXCHG and XADD.
 * Same flags, same order of memory accesses as ops/alu.ts.
 */
import type { Instr } from '../instr';
import { CF } from '../flags';
import { Known, type Ctx, eaExpr, lazy, reg8, setReg8, rm8, rmw } from './common';

// Lazy kinds (flags.ts Lazy): ADD 0, ADC 1, SUB 2, SBB 3, LOGIC 4. ADC/SBB take CF before the record is replaced.
const BYTE_EXPR = ['(fa + fb) & 255', 'fa | fb', '(fa + fb + (c.lazyCarry = getCF(c))) & 255', '(fa - fb - (c.lazyCarry = getCF(c))) & 255',
  'fa & fb', '(fa - fb) & 255', 'fa ^ fb', '(fa - fb) & 255'];
const LAZY = [0, 4, 1, 3, 4, 2, 4, 2];

/** fr = fa OP fb on bytes, with its lazy record. */
function calc8(aop: number): string {
  return `fr = ${BYTE_EXPR[aop]}; ${lazy(LAZY[aop], false, 1)}`;
}

/** A byte ALU form, or null. */
export function aluByte(i: Instr, ctx: Ctx): string | null {
  const op = i.opcode;
  let aop: number, form: number;
  if (op < 0x40 && (op & 7) <= 4 && (op & 1) === 0) { aop = op >> 3; form = op & 7; }
  else if (op === 0x80 || op === 0x82) { aop = i.reg; form = 8; }
  else return null;
  const cmp = aop === 7;
  ctx.known = aop === 5 || cmp ? Known.SUB8 : Known.NONE;
  switch (form) {
    case 0: // op Eb,Gb
      return cmp ? `fa = ${rm8(i)}; fb = ${reg8(i.reg)}; ${calc8(aop)}` : rmw(i, 1, `fb = ${reg8(i.reg)}; ${calc8(aop)}`);
    case 2: // op Gb,Eb
      return `fa = ${reg8(i.reg)}; fb = ${rm8(i)}; ${calc8(aop)}${cmp ? '' : ` ${setReg8(i.reg, 'fr')}`}`;
    case 4: // op AL,Ib
      return `fa = R[0] & 255; fb = ${i.imm & 255}; ${calc8(aop)}${cmp ? '' : ` ${setReg8(0, 'fr')}`}`;
    default: // op Eb,Ib
      return cmp ? `fa = ${rm8(i)}; fb = ${i.imm & 255}; ${calc8(aop)}` : rmw(i, 1, `fb = ${i.imm & 255}; ${calc8(aop)}`);
  }
}

/** INC/DEC of a byte or of memory, NOT, NEG (FE, FF /0 /1, F6 F7 /2 /3), or null. */
export function unary(i: Instr, ctx: Ctx): string | null {
  const op = i.opcode, size = i.size;
  if ((op === 0xfe || op === 0xff) && i.reg <= 1) {
    // INC/DEC keep CF: make it concrete before the lazy record takes over the others.
    const dec = i.reg === 1, m = size === 4 ? '| 0' : '& 255';
    ctx.known = size === 4 ? Known.INCDEC : Known.NONE;
    return rmw(i, size, `{ const cf = getCF(c); c.flagsRaw = (c.flagsRaw & ${~CF}) | cf; } fb = 1; fr = (fa ${dec ? '-' : '+'} 1) ${m}; ${lazy(dec ? 2 : 0, true, size)}`);
  }
  if ((op === 0xf6 || op === 0xf7) && (i.reg === 2 || i.reg === 3)) {
    ctx.known = Known.NONE;
    if (i.reg === 2) return rmw(i, size, `fr = ${size === 4 ? '~fa' : '~fa & 255'};`); // NOT: no flags
    // NEG is 0 - a to the flags.
    ctx.known = size === 4 ? Known.SUB : Known.SUB8;
    return rmw(i, size, `fb = fa; fr = ${size === 4 ? '(0 - fb) | 0' : '(0 - fb) & 255'}; fa = 0; ${lazy(2, false, size)}`);
  }
  return null;
}

/** CMPXCHG and XADD of doublewords, or null. */
export function exchangeOp(i: Instr, ctx: Ctx): string | null {
  const op = i.opcode, mem = i.mod !== 3;
  const at = mem ? `const o = ${eaExpr(i)}; ` : '';
  const read = mem ? `c.rdW32(${i.seg}, o)` : `R[${i.rm}]`;
  const write = (v: string) => (mem ? `c.wr32(${i.seg}, o, ${v});` : `R[${i.rm}] = ${v};`);
  if (op === 0x1b1) {
    // Compare EAX with the destination; the destination is always written (the old value back on failure).
    ctx.known = Known.SUB;
    return `{ ${at}fb = ${read}; fa = R[0]; fr = (fa - fb) | 0; ${lazy(2)} if (fr === 0) ${write(`R[${i.reg}]`)} else { ${write('fb')} R[0] = fb; } }`;
  }
  if (op === 0x1c1) {
    ctx.known = Known.NONE;
    return `{ ${at}fa = ${read}; fb = R[${i.reg}]; fr = (fa + fb) | 0; ${lazy(0)} R[${i.reg}] = fa; ${write('fr')} }`;
  }
  return null;
}
