/**
 * EFLAGS, with the arithmetic flags computed lazily.
 *
 * Most instructions that set flags are followed by one that reads one flag
 * at most (a Jcc) or none (another ALU op overwrites them). So an ALU op only
 * records its operands, result and kind; a flag is computed when asked for.
 * `lazyMask` says which of CF PF AF ZF SF OF are still to be computed; the
 * others live in `flagsRaw` with the non-arithmetic bits.
 */
import type { Cpu } from './state';

export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, TF = 0x100, IF = 0x200, DF = 0x400, OF = 0x800;
export const IOPL = 0x3000, NT = 0x4000, RF = 0x10000, VM = 0x20000, AC = 0x40000, VIF = 0x80000, VIP = 0x100000, ID = 0x200000;
export const ARITH = CF | PF | AF | ZF | SF | OF;

/** Kinds of lazily recorded results. */
export const enum Lazy { ADD = 0, ADC = 1, SUB = 2, SBB = 3, LOGIC = 4 }

const PARITY = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let b = i, p = 1;
  while (b) { p ^= b & 1; b >>= 1; }
  PARITY[i] = p ? PF : 0;
}
export function parity(v: number): number {
  return PARITY[v & 0xff];
}

/** Sign bit by operand size in bytes (1, 2, 4). */
export function signBit(size: number): number {
  return size === 4 ? 0x80000000 | 0 : size === 2 ? 0x8000 : 0x80;
}

/** Record an ALU result: all six arithmetic flags become lazy. */
export function setLazy(c: Cpu, op: Lazy, size: number, a: number, b: number, res: number): void {
  c.lazyOp = op; c.lazySize = size; c.lazyA = a; c.lazyB = b; c.lazyRes = res;
  c.lazyMask = ARITH;
}

/** Like setLazy but CF keeps its value (INC, DEC). */
export function setLazyKeepCF(c: Cpu, op: Lazy, size: number, a: number, b: number, res: number): void {
  const cf = getCF(c);
  c.flagsRaw = (c.flagsRaw & ~CF) | cf;
  c.lazyOp = op; c.lazySize = size; c.lazyA = a; c.lazyB = b; c.lazyRes = res;
  c.lazyMask = ARITH & ~CF;
}

export function getCF(c: Cpu): number {
  if ((c.lazyMask & CF) === 0) return c.flagsRaw & CF;
  const a = c.lazyA >>> 0, b = c.lazyB >>> 0, r = c.lazyRes >>> 0;
  switch (c.lazyOp) {
    case Lazy.ADD: return r < a ? 1 : 0;
    case Lazy.ADC: return (c.lazyCarry !== 0 ? r <= a : r < a) ? 1 : 0;
    case Lazy.SUB: return a < b ? 1 : 0;
    case Lazy.SBB: return (c.lazyCarry !== 0 ? a <= b : a < b) ? 1 : 0;
    default: return 0;
  }
}

export function getZF(c: Cpu): number {
  if ((c.lazyMask & ZF) === 0) return c.flagsRaw & ZF;
  return c.lazyRes === 0 ? ZF : 0;
}

export function getSF(c: Cpu): number {
  if ((c.lazyMask & SF) === 0) return c.flagsRaw & SF;
  return (c.lazyRes & signBit(c.lazySize)) !== 0 ? SF : 0;
}

export function getPF(c: Cpu): number {
  if ((c.lazyMask & PF) === 0) return c.flagsRaw & PF;
  return PARITY[c.lazyRes & 0xff];
}

export function getAF(c: Cpu): number {
  if ((c.lazyMask & AF) === 0) return c.flagsRaw & AF;
  if (c.lazyOp === Lazy.LOGIC) return 0;
  return (c.lazyA ^ c.lazyB ^ c.lazyRes) & AF;
}

export function getOF(c: Cpu): number {
  if ((c.lazyMask & OF) === 0) return c.flagsRaw & OF;
  const s = signBit(c.lazySize);
  const a = c.lazyA, b = c.lazyB, r = c.lazyRes;
  switch (c.lazyOp) {
    case Lazy.ADD: case Lazy.ADC: return ((a ^ r) & (b ^ r) & s) !== 0 ? OF : 0;
    case Lazy.SUB: case Lazy.SBB: return ((a ^ b) & (a ^ r) & s) !== 0 ? OF : 0;
    default: return 0;
  }
}

/** The whole EFLAGS register as software sees it. */
export function getFlags(c: Cpu): number {
  if (c.lazyMask === 0) return c.flagsRaw;
  return (c.flagsRaw & ~ARITH) | getCF(c) | getPF(c) | getAF(c) | getZF(c) | getSF(c) | getOF(c);
}

/** Make every flag concrete (before code that edits flagsRaw bit by bit). */
export function materialize(c: Cpu): void {
  if (c.lazyMask !== 0) {
    c.flagsRaw = getFlags(c);
    c.lazyMask = 0;
  }
}

/** Set arithmetic flags from a mask of bits (e.g. after a shift). */
export function setArith(c: Cpu, bits: number): void {
  c.flagsRaw = (c.flagsRaw & ~ARITH) | (bits & ARITH);
  c.lazyMask = 0;
}

/** Evaluate condition code 0..15 (as in Jcc / SETcc / CMOVcc). */
export function condition(c: Cpu, cc: number): boolean {
  let r: boolean;
  switch (cc >> 1) {
    case 0: r = getOF(c) !== 0; break;
    case 1: r = getCF(c) !== 0; break;
    case 2: r = getZF(c) !== 0; break;
    case 3: r = getCF(c) !== 0 || getZF(c) !== 0; break;
    case 4: r = getSF(c) !== 0; break;
    case 5: r = getPF(c) !== 0; break;
    case 6: r = (getSF(c) !== 0) !== (getOF(c) !== 0); break;
    default: r = getZF(c) !== 0 || (getSF(c) !== 0) !== (getOF(c) !== 0); break;
  }
  return (cc & 1) !== 0 ? !r : r;
}
