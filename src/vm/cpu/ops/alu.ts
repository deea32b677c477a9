/**
 * Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP in all their
 * forms, TEST, INC, DEC, NOT, NEG, MUL, IMUL, DIV, IDIV, the sign extensions
 * (CBW CWDE CWD CDQ), XADD, CMPXCHG, CMPXCHG8B and the decimal adjustments.
 */
import type { Cpu } from '../state';
import { EAX, EDX, EBX, ECX } from '../state';
import { ea, Op, type Instr } from '../instr';
import { def } from '../optable';
import { raise, Vec } from '../fault';
import { Lazy, setLazy, setLazyKeepCF, getCF, getAF, setArith, materialize, parity, CF, AF, ZF, SF, OF } from '../flags';
import { getReg, setReg, getRm, rmwRead, rmwWrite, mask, sext } from './operands';

/** The eight classic ALU operations, numbered as the opcode map numbers them. */
export const enum Alu { ADD = 0, OR = 1, ADC = 2, SBB = 3, AND = 4, SUB = 5, XOR = 6, CMP = 7 }

/** a OP b on `size`-byte operands (already masked); records the flags; returns the masked result. */
export function alu(c: Cpu, op: number, size: number, a: number, b: number): number {
  const m = mask(size);
  let r: number;
  switch (op) {
    case Alu.ADD: r = (a + b) & m; setLazy(c, Lazy.ADD, size, a, b, r); return r;
    case Alu.OR: r = (a | b) & m; setLazy(c, Lazy.LOGIC, size, a, b, r); return r;
    case Alu.ADC: {
      const cin = getCF(c);
      r = (a + b + cin) & m;
      c.lazyCarry = cin;
      setLazy(c, Lazy.ADC, size, a, b, r);
      return r;
    }
    case Alu.SBB: {
      const cin = getCF(c);
      r = (a - b - cin) & m;
      c.lazyCarry = cin;
      setLazy(c, Lazy.SBB, size, a, b, r);
      return r;
    }
    case Alu.AND: r = a & b & m; setLazy(c, Lazy.LOGIC, size, a, b, r); return r;
    case Alu.XOR: r = (a ^ b) & m; setLazy(c, Lazy.LOGIC, size, a, b, r); return r;
    default: r = (a - b) & m; setLazy(c, Lazy.SUB, size, a, b, r); return r; // SUB, CMP
  }
}

// op E, G (00 01 08 09 ...): the destination is the r/m operand.
function aluEG(c: Cpu, i: Instr): void {
  const op = (i.opcode >> 3) & 7, s = i.size;
  if (op === Alu.CMP) { alu(c, op, s, getRm(c, i, s), getReg(c, i.reg, s)); return; }
  if (i.mod === 3) { setReg(c, i.rm, s, alu(c, op, s, getReg(c, i.rm, s), getReg(c, i.reg, s))); return; }
  const a = rmwRead(c, i, s);
  rmwWrite(c, i, s, alu(c, op, s, a, getReg(c, i.reg, s)));
}
// op G, E (02 03 0A 0B ...)
function aluGE(c: Cpu, i: Instr): void {
  const op = (i.opcode >> 3) & 7, s = i.size;
  const r = alu(c, op, s, getReg(c, i.reg, s), getRm(c, i, s));
  if (op !== Alu.CMP) setReg(c, i.reg, s, r);
}
// op AL/eAX, imm (04 05 0C 0D ...)
function aluAI(c: Cpu, i: Instr): void {
  const op = (i.opcode >> 3) & 7, s = i.size;
  const r = alu(c, op, s, getReg(c, EAX, s), i.imm & mask(s));
  if (op !== Alu.CMP) setReg(c, EAX, s, r);
}
// group 1 (80 81 82 83): op E, imm, the operation in ModRM.reg
function aluEI(c: Cpu, i: Instr): void {
  const op = i.reg, s = i.size, b = i.imm & mask(s);
  if (op === Alu.CMP) { alu(c, op, s, getRm(c, i, s), b); return; }
  const a = rmwRead(c, i, s);
  rmwWrite(c, i, s, alu(c, op, s, a, b));
}

function testEG(c: Cpu, i: Instr): void {
  alu(c, Alu.AND, i.size, getRm(c, i, i.size), getReg(c, i.reg, i.size));
}
function testAI(c: Cpu, i: Instr): void {
  alu(c, Alu.AND, i.size, getReg(c, EAX, i.size), i.imm & mask(i.size));
}
function testEI(c: Cpu, i: Instr): void {
  alu(c, Alu.AND, i.size, getRm(c, i, i.size), i.imm & mask(i.size));
}

function incReg(c: Cpu, i: Instr): void {
  const r = i.opcode & 7, s = i.size, a = getReg(c, r, s), v = (a + 1) & mask(s);
  setLazyKeepCF(c, Lazy.ADD, s, a, 1, v);
  setReg(c, r, s, v);
}
function decReg(c: Cpu, i: Instr): void {
  const r = i.opcode & 7, s = i.size, a = getReg(c, r, s), v = (a - 1) & mask(s);
  setLazyKeepCF(c, Lazy.SUB, s, a, 1, v);
  setReg(c, r, s, v);
}
function incE(c: Cpu, i: Instr): void {
  const s = i.size, a = rmwRead(c, i, s), v = (a + 1) & mask(s);
  rmwWrite(c, i, s, v);
  setLazyKeepCF(c, Lazy.ADD, s, a, 1, v);
}
function decE(c: Cpu, i: Instr): void {
  const s = i.size, a = rmwRead(c, i, s), v = (a - 1) & mask(s);
  rmwWrite(c, i, s, v);
  setLazyKeepCF(c, Lazy.SUB, s, a, 1, v);
}
function notE(c: Cpu, i: Instr): void {
  const s = i.size;
  rmwWrite(c, i, s, ~rmwRead(c, i, s) & mask(s));
}
function negE(c: Cpu, i: Instr): void {
  const s = i.size, a = rmwRead(c, i, s), v = -a & mask(s);
  rmwWrite(c, i, s, v);
  setLazy(c, Lazy.SUB, s, 0, a, v);
}

// ---- Multiplication ---------------------------------------------------------

/** High half of the last 32x32 multiply. */
let mulHi = 0;

/** Unsigned 32 x 32 -> 64: returns the low half, leaves the high half in mulHi. */
function mulU32(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  mulHi = (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 0x10000)) | 0;
  return ((mid << 16) | (ll & 0xffff)) | 0;
}
/** Signed 32 x 32 -> 64, same convention. */
function mulS32(a: number, b: number): number {
  const lo = mulU32(a >>> 0, b >>> 0);
  mulHi = (mulHi - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
  return lo;
}

/** MUL/IMUL leave CF = OF = "the high half matters"; SF ZF PF follow the low half, AF is cleared (as QEMU does; the manual leaves them undefined). */
function mulFlags(c: Cpu, overflow: boolean, low: number, size: number): void {
  const sbit = size === 4 ? 0x80000000 : size === 2 ? 0x8000 : 0x80;
  setArith(c, (overflow ? CF | OF : 0) | ((low & mask(size)) === 0 ? ZF : 0) | ((low & sbit) !== 0 ? SF : 0) | parity(low));
}

function mulE(c: Cpu, i: Instr): void {
  const s = i.size, src = getRm(c, i, s);
  if (s === 1) {
    const r = c.getR8(EAX) * src;
    c.setR16(EAX, r);
    mulFlags(c, r > 0xff, r, 1);
  } else if (s === 2) {
    const r = c.getR16(EAX) * src;
    c.setR16(EAX, r);
    c.setR16(EDX, r >>> 16);
    mulFlags(c, r > 0xffff, r, 2);
  } else {
    const lo = mulU32(c.r32[EAX] >>> 0, src >>> 0);
    c.r32[EAX] = lo;
    c.r32[EDX] = mulHi;
    mulFlags(c, mulHi !== 0, lo, 4);
  }
}
function imulE(c: Cpu, i: Instr): void {
  const s = i.size, src = sext(getRm(c, i, s), s);
  if (s === 1) {
    const r = ((c.getR8(EAX) << 24) >> 24) * src;
    c.setR16(EAX, r);
    mulFlags(c, r !== (r << 24) >> 24, r, 1);
  } else if (s === 2) {
    const r = ((c.getR16(EAX) << 16) >> 16) * src;
    c.setR16(EAX, r);
    c.setR16(EDX, r >> 16);
    mulFlags(c, r !== (r << 16) >> 16, r, 2);
  } else {
    const lo = mulS32(c.r32[EAX], src);
    c.r32[EAX] = lo;
    c.r32[EDX] = mulHi;
    mulFlags(c, mulHi !== lo >> 31, lo, 4);
  }
}
/** IMUL with a truncated result: dest = a * b. */
function imulTrunc(c: Cpu, i: Instr, a: number, b: number): void {
  const s = i.size;
  if (s === 2) {
    const r = ((a << 16) >> 16) * ((b << 16) >> 16);
    setReg(c, i.reg, 2, r);
    mulFlags(c, r !== (r << 16) >> 16, r, 2);
  } else {
    const lo = mulS32(a | 0, b | 0);
    c.r32[i.reg] = lo;
    mulFlags(c, mulHi !== lo >> 31, lo, 4);
  }
}
function imulGE(c: Cpu, i: Instr): void {
  imulTrunc(c, i, getReg(c, i.reg, i.size), getRm(c, i, i.size));
}
function imulGEI(c: Cpu, i: Instr): void {
  imulTrunc(c, i, getRm(c, i, i.size), i.imm);
}

// ---- Division ---------------------------------------------------------------

/** Remainder of the last divU64. */
let divRem = 0;

/**
 * (hi:lo) / d for unsigned 32-bit hi, lo, d with hi < d (so the quotient
 * fits in 32 bits): long division in two 16-bit steps, each exact in double
 * arithmetic (numerators below 2^48, quotient digits below 2^16).
 */
function divU64(hi: number, lo: number, d: number): number {
  let t = hi * 0x10000 + (lo >>> 16);
  const q1 = Math.floor(t / d);
  t = (t - q1 * d) * 0x10000 + (lo & 0xffff);
  const q0 = Math.floor(t / d);
  divRem = t - q0 * d;
  return q1 * 0x10000 + q0;
}

function divE(c: Cpu, i: Instr): void {
  const s = i.size, d = getRm(c, i, s) >>> 0;
  if (d === 0) raise(c, Vec.DE);
  if (s === 1) {
    const n = c.getR16(EAX), q = Math.floor(n / d);
    if (q > 0xff) raise(c, Vec.DE);
    c.setR8(0, q); c.setR8(4, n % d);
  } else if (s === 2) {
    const n = (c.getR16(EDX) * 0x10000 + c.getR16(EAX)), q = Math.floor(n / d);
    if (q > 0xffff) raise(c, Vec.DE);
    c.setR16(EAX, q); c.setR16(EDX, n % d);
  } else {
    const hi = c.r32[EDX] >>> 0;
    if (hi >= d) raise(c, Vec.DE);
    c.r32[EAX] = divU64(hi, c.r32[EAX] >>> 0, d);
    c.r32[EDX] = divRem;
  }
}
function idivE(c: Cpu, i: Instr): void {
  const s = i.size, d = sext(getRm(c, i, s), s);
  if (d === 0) raise(c, Vec.DE);
  if (s === 1) {
    const n = (c.getR16(EAX) << 16) >> 16, q = Math.trunc(n / d);
    if (q > 0x7f || q < -0x80) raise(c, Vec.DE);
    c.setR8(0, q); c.setR8(4, n % d);
  } else if (s === 2) {
    const n = (c.getR16(EDX) << 16) | c.getR16(EAX), q = Math.trunc(n / d);
    if (q > 0x7fff || q < -0x8000) raise(c, Vec.DE);
    c.setR16(EAX, q); c.setR16(EDX, n % d);
  } else {
    // Divide the magnitudes, then give the quotient and remainder their signs.
    let hi = c.r32[EDX] >>> 0, lo = c.r32[EAX] >>> 0;
    const negN = hi >= 0x80000000;
    if (negN) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    const ad = Math.abs(d);
    if (hi >= ad) raise(c, Vec.DE);
    const q = divU64(hi, lo, ad);
    const negQ = negN !== d < 0;
    if (q > (negQ ? 0x80000000 : 0x7fffffff)) raise(c, Vec.DE);
    c.r32[EAX] = negQ ? -q : q;
    c.r32[EDX] = negN ? -divRem : divRem;
  }
}

// ---- Sign extension ---------------------------------------------------------

function cbw(c: Cpu, i: Instr): void {
  if (i.o32) c.r32[EAX] = (c.r32[EAX] << 16) >> 16;
  else c.setR16(EAX, (c.getR8(0) << 24) >> 24);
}
function cwd(c: Cpu, i: Instr): void {
  if (i.o32) c.r32[EDX] = c.r32[EAX] >> 31;
  else c.setR16(EDX, (c.getR16(EAX) & 0x8000) !== 0 ? 0xffff : 0);
}

// ---- Exchange-and-operate -----------------------------------------------------

function xadd(c: Cpu, i: Instr): void {
  const s = i.size, dst = rmwRead(c, i, s), src = getReg(c, i.reg, s);
  const sum = alu(c, Alu.ADD, s, dst, src);
  setReg(c, i.reg, s, dst);
  rmwWrite(c, i, s, sum);
}
function cmpxchg(c: Cpu, i: Instr): void {
  const s = i.size, dst = rmwRead(c, i, s), acc = getReg(c, EAX, s);
  alu(c, Alu.CMP, s, acc, dst);
  if (acc === dst) {
    rmwWrite(c, i, s, getReg(c, i.reg, s));
  } else {
    // The processor always writes the destination, even on failure.
    rmwWrite(c, i, s, dst);
    setReg(c, EAX, s, dst);
  }
}
function cmpxchg8b(c: Cpu, i: Instr): void {
  if (i.mod === 3) raise(c, Vec.UD);
  const a = ea(c, i);
  c.probeWrite(i.seg, a, 8);
  const lo = c.rd32(i.seg, a), hi = c.rd32(i.seg, (a + 4) | 0);
  materialize(c);
  if (lo === c.r32[EAX] && hi === c.r32[EDX]) {
    c.wr32(i.seg, a, c.r32[EBX]);
    c.wr32(i.seg, (a + 4) | 0, c.r32[ECX]);
    c.flagsRaw |= ZF;
  } else {
    c.wr32(i.seg, a, lo);
    c.wr32(i.seg, (a + 4) | 0, hi);
    c.r32[EAX] = lo;
    c.r32[EDX] = hi;
    c.flagsRaw &= ~ZF;
  }
}

// ---- Decimal adjustment -----------------------------------------------------

function szp(v: number): number {
  return ((v & 0xff) === 0 ? ZF : 0) | (v & 0x80 ? SF : 0) | parity(v);
}
function daa(c: Cpu): void {
  const cf = getCF(c), af = getAF(c);
  let al = c.getR8(0), flags = 0;
  const old = al;
  if ((al & 0x0f) > 9 || af) { al = (al + 6) & 0xff; flags |= AF; }
  if (old > 0x99 || cf) { al = (al + 0x60) & 0xff; flags |= CF; }
  c.setR8(0, al);
  setArith(c, flags | szp(al));
}
function das(c: Cpu): void {
  const cf = getCF(c), af = getAF(c);
  let al = c.getR8(0), flags = 0;
  const old = al;
  if ((al & 0x0f) > 9 || af) { flags |= AF; if (al < 6 || cf) flags |= CF; al = (al - 6) & 0xff; }
  if (old > 0x99 || cf) { al = (al - 0x60) & 0xff; flags |= CF; }
  c.setR8(0, al);
  setArith(c, flags | szp(al));
}
function aaa(c: Cpu): void {
  materialize(c);
  const al = c.getR8(0);
  if ((al & 0x0f) > 9 || (c.flagsRaw & AF) !== 0) {
    c.setR16(EAX, c.getR16(EAX) + 0x106);
    c.flagsRaw |= AF | CF;
  } else {
    c.flagsRaw &= ~(AF | CF);
  }
  c.setR8(0, c.getR8(0) & 0x0f);
}
function aas(c: Cpu): void {
  materialize(c);
  const al = c.getR8(0);
  if ((al & 0x0f) > 9 || (c.flagsRaw & AF) !== 0) {
    c.setR16(EAX, c.getR16(EAX) - 6);
    c.setR8(4, c.getR8(4) - 1);
    c.flagsRaw |= AF | CF;
  } else {
    c.flagsRaw &= ~(AF | CF);
  }
  c.setR8(0, c.getR8(0) & 0x0f);
}
function aam(c: Cpu, i: Instr): void {
  const base = i.imm & 0xff;
  if (base === 0) raise(c, Vec.DE);
  const al = c.getR8(0);
  c.setR8(4, Math.floor(al / base));
  c.setR8(0, al % base);
  setArith(c, szp(al % base));
}
function aad(c: Cpu, i: Instr): void {
  const al = (c.getR8(0) + c.getR8(4) * (i.imm & 0xff)) & 0xff;
  c.setR16(EAX, al);
  setArith(c, szp(al));
}

// ---- The opcode map -----------------------------------------------------------

const ALU_NAMES = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
ALU_NAMES.forEach((name, op) => {
  const base = op << 3, lockable = op === Alu.CMP ? 0 : Op.LOCKABLE;
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
  def(hex(base), `${name} Eb,Gb`, aluEG, aluEG, lockable);
  def(hex(base + 1), `${name} Ev,Gv`, aluEG, aluEG, lockable);
  def(hex(base + 2), `${name} Gb,Eb`, aluGE);
  def(hex(base + 3), `${name} Gv,Ev`, aluGE);
  def(hex(base + 4), `${name} AL,Ib`, aluAI);
  def(hex(base + 5), `${name} eAX,Iz`, aluAI);
  def(`80/${op}`, `${name} Eb,Ib`, aluEI, aluEI, lockable);
  def(`81/${op}`, `${name} Ev,Iz`, aluEI, aluEI, lockable);
  def(`82/${op}`, `${name} Eb,Ib`, aluEI, aluEI, lockable);
  def(`83/${op}`, `${name} Ev,Ibs`, aluEI, aluEI, lockable);
});
def('84', 'test Eb,Gb', testEG);
def('85', 'test Ev,Gv', testEG);
def('A8', 'test AL,Ib', testAI);
def('A9', 'test eAX,Iz', testAI);
def('40+', 'inc Zv', incReg);
def('48+', 'dec Zv', decReg);
def('FE/0', 'inc Eb', incE, incE, Op.LOCKABLE);
def('FE/1', 'dec Eb', decE, decE, Op.LOCKABLE);
def('FF/0', 'inc Ev', incE, incE, Op.LOCKABLE);
def('FF/1', 'dec Ev', decE, decE, Op.LOCKABLE);
for (const [g, e, imm] of [['F6', 'Eb', 'Ib'], ['F7', 'Ev', 'Iz']]) {
  def(`${g}/0`, `test ${e},${imm}`, testEI);
  def(`${g}/1`, `test ${e},${imm}`, testEI);
  def(`${g}/2`, `not ${e}`, notE, notE, Op.LOCKABLE);
  def(`${g}/3`, `neg ${e}`, negE, negE, Op.LOCKABLE);
  def(`${g}/4`, `mul ${e}`, mulE);
  def(`${g}/5`, `imul ${e}`, imulE);
  def(`${g}/6`, `div ${e}`, divE);
  def(`${g}/7`, `idiv ${e}`, idivE);
}
def('0F AF', 'imul Gv,Ev', imulGE);
def('69', 'imul Gv,Ev,Iz', imulGEI);
def('6B', 'imul Gv,Ev,Ibs', imulGEI);
def('98', 'cbw|cwde', cbw);
def('99', 'cwd|cdq', cwd);
def('0F C0', 'xadd Eb,Gb', xadd, xadd, Op.LOCKABLE);
def('0F C1', 'xadd Ev,Gv', xadd, xadd, Op.LOCKABLE);
def('0F B0', 'cmpxchg Eb,Gb', cmpxchg, cmpxchg, Op.LOCKABLE);
def('0F B1', 'cmpxchg Ev,Gv', cmpxchg, cmpxchg, Op.LOCKABLE);
def('0F C7/1', 'cmpxchg8b Mq', cmpxchg8b, cmpxchg8b, Op.LOCKABLE);
def('27', 'daa', daa);
def('2F', 'das', das);
def('37', 'aaa', aaa);
def('3F', 'aas', aas);
def('D4', 'aam Ib', aam);
def('D5', 'aad Ib', aad);
