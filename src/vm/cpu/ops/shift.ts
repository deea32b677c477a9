/**
 * Shifts and rotates (SHL SHR SAR ROL ROR RCL RCR, SHLD SHRD), bit tests
 * (BT BTS BTR BTC), bit scans (BSF BSR) and BSWAP.
 *
 * Where the manual leaves a flag undefined (OF for counts above one, AF
 * after a shift, SF/PF after BSF...) we produce what QEMU produces, so the
 * lockstep comparison only needs to mask what it has to.
 */
import type { Cpu } from '../state';
import { ECX } from '../state';
import { ea, Op, type Instr } from '../instr';
import { def } from '../optable';
import { Lazy, setLazy, getCF, setArith, materialize, parity, CF, ZF, SF, OF } from '../flags';
import { getReg, setReg, getRm, rmwRead, rmwWrite, mask, sext } from './operands';

function szp(r: number, size: number): number {
  const bits = size * 8;
  return ((r & mask(size)) === 0 ? ZF : 0) | (((r >>> (bits - 1)) & 1) !== 0 ? SF : 0) | parity(r);
}

/** Shift/rotate `a` (size bytes, masked) by n (already masked to 0..31, non-zero) with ModRM.reg's operation. */
function shiftOp(c: Cpu, op: number, size: number, a: number, n: number): number {
  const bits = size * 8, m = mask(size);
  switch (op) {
    case 0: { // ROL
      const k = n & (bits - 1);
      const r = k === 0 ? a : ((a << k) | (a >>> (bits - k))) & m;
      materialize(c);
      const cf = r & 1, of = ((r >>> (bits - 1)) & 1) ^ cf;
      c.flagsRaw = (c.flagsRaw & ~(CF | OF)) | cf | (of ? OF : 0);
      return r;
    }
    case 1: { // ROR
      const k = n & (bits - 1);
      const r = k === 0 ? a : ((a >>> k) | (a << (bits - k))) & m;
      materialize(c);
      const cf = (r >>> (bits - 1)) & 1, of = cf ^ ((r >>> (bits - 2)) & 1);
      c.flagsRaw = (c.flagsRaw & ~(CF | OF)) | cf | (of ? OF : 0);
      return r;
    }
    case 2: case 3: { // RCL, RCR: rotate through carry, one bit at a time
      const k = size === 4 ? n : n % (bits + 1);
      if (k === 0) return a;
      let r = a >>> 0, cf = getCF(c);
      const top = bits === 32 ? 0x80000000 : 1 << (bits - 1);
      for (let t = 0; t < k; t++) {
        if (op === 2) {
          const out = (r & top) !== 0 ? 1 : 0;
          r = ((r * 2) % (top * 2)) + cf;
          cf = out;
        } else {
          const out = r & 1;
          r = Math.floor(r / 2) + (cf ? top : 0);
          cf = out;
        }
      }
      r = r & m;
      materialize(c);
      const of = (((a ^ r) >>> (bits - 1)) & 1) !== 0;
      c.flagsRaw = (c.flagsRaw & ~(CF | OF)) | cf | (of ? OF : 0);
      return r;
    }
    case 4: case 6: { // SHL, SAL
      const t = a << (n - 1);
      const r = (t << 1) & m;
      const cf = (t >>> (bits - 1)) & 1;
      setArith(c, szp(r, size) | cf | ((((t ^ r) >>> (bits - 1)) & 1) !== 0 ? OF : 0));
      return r;
    }
    case 5: { // SHR
      const t = n - 1 >= bits ? 0 : a >>> (n - 1);
      const r = (t >>> 1) & m;
      setArith(c, szp(r, size) | (t & 1) | ((((t ^ r) >>> (bits - 1)) & 1) !== 0 ? OF : 0));
      return r;
    }
    default: { // SAR
      const t = sext(a, size) >> (n - 1);
      const r = (t >> 1) & m;
      setArith(c, szp(r, size) | (t & 1) | ((((t ^ r) >>> (bits - 1)) & 1) !== 0 ? OF : 0));
      return r;
    }
  }
}

function shift(c: Cpu, i: Instr, count: number): void {
  const n = count & 0x1f, s = i.size;
  const a = rmwRead(c, i, s);
  if (n === 0) return;
  rmwWrite(c, i, s, shiftOp(c, i.reg, s, a, n));
}
const shiftImm = (c: Cpu, i: Instr) => shift(c, i, i.imm);
const shiftOne = (c: Cpu, i: Instr) => shift(c, i, 1);
const shiftCL = (c: Cpu, i: Instr) => shift(c, i, c.r32[ECX] & 0xff);

// ---- Double-precision shifts ---------------------------------------------------

function shiftDouble(c: Cpu, i: Instr, count: number, left: boolean): void {
  const n = count & 0x1f, s = i.size;
  const dst = rmwRead(c, i, s);
  if (n === 0) return;
  const src = getReg(c, i.reg, s);
  let r: number, t: number;
  if (s === 4) {
    if (left) { t = dst << (n - 1); r = (t << 1) | (src >>> (32 - n)); }
    else { t = dst >>> (n - 1); r = (t >>> 1) | (src << (32 - n)); }
    r |= 0;
  } else {
    // 16-bit with counts above 16: Intel (and QEMU) shift the 48-bit value dst:src:dst.
    const v = (BigInt(dst) << 32n) | (BigInt(src) << 16n) | BigInt(dst);
    if (left) {
      t = Number((v << BigInt(n - 1)) >> 32n) & 0xffff;
      r = Number((v << BigInt(n)) >> 32n) & 0xffff;
    } else {
      const lowPair = (BigInt(src) << 16n) | BigInt(dst) | (BigInt(dst) << 32n);
      t = Number(lowPair >> BigInt(n - 1)) & 0xffff;
      r = Number(lowPair >> BigInt(n)) & 0xffff;
    }
  }
  const bits = s * 8;
  const cf = left ? (t >>> (bits - 1)) & 1 : t & 1;
  rmwWrite(c, i, s, r);
  setArith(c, szp(r, s) | cf | ((((t ^ r) >>> (bits - 1)) & 1) !== 0 ? OF : 0));
}

// ---- Bit tests -------------------------------------------------------------------

/** BT family: op 0 test, 1 set, 2 reset, 3 complement. */
function bitOp(c: Cpu, i: Instr, op: number, bitIndex: number, fromReg: boolean): void {
  const s = i.size, bits = s * 8;
  let bit: number, v: number;
  if (i.mod === 3) {
    bit = bitIndex & (bits - 1);
    v = getReg(c, i.rm, s);
  } else {
    // A register bit offset may reach any memory around the operand (signed).
    let addr = ea(c, i);
    if (fromReg) {
      const off = sext(bitIndex, s);
      addr = i.a32 ? (addr + (off >> (s === 4 ? 5 : 4)) * s) | 0 : (addr + (off >> (s === 4 ? 5 : 4)) * s) & 0xffff;
    }
    bit = bitIndex & (bits - 1);
    v = op === 0 ? (s === 4 ? c.rd32(i.seg, addr) : c.rd16(i.seg, addr)) : (s === 4 ? c.rdW32(i.seg, addr) : c.rdW16(i.seg, addr));
    if (op !== 0) {
      const nv = op === 1 ? v | (1 << bit) : op === 2 ? v & ~(1 << bit) : v ^ (1 << bit);
      if (s === 4) c.wr32(i.seg, addr, nv); else c.wr16(i.seg, addr, nv);
    }
    materialize(c);
    c.flagsRaw = (c.flagsRaw & ~CF) | ((v >>> bit) & 1);
    return;
  }
  if (op !== 0) setReg(c, i.rm, s, (op === 1 ? v | (1 << bit) : op === 2 ? v & ~(1 << bit) : v ^ (1 << bit)) & mask(s));
  materialize(c);
  c.flagsRaw = (c.flagsRaw & ~CF) | ((v >>> bit) & 1);
}
const BT_OPS = { 0x1a3: 0, 0x1ab: 1, 0x1b3: 2, 0x1bb: 3 } as Record<number, number>;
const btReg = (c: Cpu, i: Instr) => bitOp(c, i, BT_OPS[i.opcode], getReg(c, i.reg, i.size), true);
const btImm = (c: Cpu, i: Instr) => bitOp(c, i, i.reg - 4, i.imm, false);

function bsf(c: Cpu, i: Instr): void {
  const v = getRm(c, i, i.size);
  if (v !== 0) setReg(c, i.reg, i.size, 31 - Math.clz32(v & -v));
  setLazy(c, Lazy.LOGIC, i.size, 0, 0, v);
}
function bsr(c: Cpu, i: Instr): void {
  const v = getRm(c, i, i.size);
  if (v !== 0) setReg(c, i.reg, i.size, 31 - Math.clz32(v));
  setLazy(c, Lazy.LOGIC, i.size, 0, 0, v);
}

function bswap(c: Cpu, i: Instr): void {
  // With a 16-bit operand the result is undefined; we swap the whole register, as QEMU does.
  const r = i.opcode & 7, v = c.r32[r];
  c.r32[r] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

const NAMES = ['rol', 'ror', 'rcl', 'rcr', 'shl', 'shr', 'sal', 'sar'];
NAMES.forEach((name, op) => {
  def(`C0/${op}`, `${name} Eb,Ib`, shiftImm);
  def(`C1/${op}`, `${name} Ev,Ib`, shiftImm);
  def(`D0/${op}`, `${name} Eb,1`, shiftOne);
  def(`D1/${op}`, `${name} Ev,1`, shiftOne);
  def(`D2/${op}`, `${name} Eb,CL`, shiftCL);
  def(`D3/${op}`, `${name} Ev,CL`, shiftCL);
});
def('0F A4', 'shld Ev,Gv,Ib', (c, i) => shiftDouble(c, i, i.imm, true));
def('0F A5', 'shld Ev,Gv,CL', (c, i) => shiftDouble(c, i, c.r32[ECX], true));
def('0F AC', 'shrd Ev,Gv,Ib', (c, i) => shiftDouble(c, i, i.imm, false));
def('0F AD', 'shrd Ev,Gv,CL', (c, i) => shiftDouble(c, i, c.r32[ECX], false));
def('0F A3', 'bt Ev,Gv', btReg);
def('0F AB', 'bts Ev,Gv', btReg, btReg, Op.LOCKABLE);
def('0F B3', 'btr Ev,Gv', btReg, btReg, Op.LOCKABLE);
def('0F BB', 'btc Ev,Gv', btReg, btReg, Op.LOCKABLE);
def('0F BA/4', 'bt Ev,Ib', btImm);
def('0F BA/5', 'bts Ev,Ib', btImm, btImm, Op.LOCKABLE);
def('0F BA/6', 'btr Ev,Ib', btImm, btImm, Op.LOCKABLE);
def('0F BA/7', 'btc Ev,Ib', btImm, btImm, Op.LOCKABLE);
def('0F BC', 'bsf Gv,Ev', bsf);
def('0F BD', 'bsr Gv,Ev', bsr);
def('0F C8+', 'bswap Zv', bswap);
