/**
 * FADD, FSUB, FMUL, FDIV, FSQRT, FRNDINT and the compares on register
 * values: the masked responses of SDM Vol. 1 §4.9 and §8.5, the special
 * operands of the SDM Vol. 2 tables of each instruction, and the NaN rules of
 * SDM Vol. 1 Table 4-7.
 *
 * An operation screens its operands in the order of SDM Vol. 1 §4.9.2
 * (exception priority): an unsupported encoding or an SNaN is an invalid
 * operation first; a QNaN operand comes next and wins over the rest (a QNaN
 * divided by zero is a QNaN, no ZE); then the denormal operand flag (DE: the
 * P6 then uses the value as it is, §8.5.2) along with the invalid
 * combinations and zero divide; overflow, underflow and inexact last.
 */
import {
  type F80, type RC, type PC, type Result,
  IE, ZE, C1, PE, RC_DOWN,
  classify, exactOf, infinity, isNaN80, isSNaN, isInfinity,
  isUnsupported, isZero, zero, bitLength, normalFromExact, isqrt,
} from './float80';
import { roundToExt, shiftRound } from './round';
import { screen, denormalFlag, invalid } from './operands';

export { propagateNaN } from './operands';



/** Significand normalized to J at bit 63, with its exponent: value = sig * 2^e. */
function normalized(x: F80): { sig: bigint; e: number } {
  const { sig, e } = exactOf(x);
  const s = 64 - bitLength(sig);
  return { sig: sig << BigInt(s), e: e - s };
}

/**
 * FADD (SDM Vol. 2 FADD and its table "FADD/FADDP/FIADD Results"): ∞ + -∞
 * is invalid; when operands of opposite signs sum to 0 the result is +0,
 * except when rounding toward -∞, which gives -0; -0 + -0 = -0. A zero
 * operand leaves the other one, still rounded to PC.
 */
export function add(a: F80, b: F80, pc: PC, rc: RC): Result {
  return addSigned(a, b, b.sign, pc, rc);
}

/** FSUB: a - b, an FADD with b's sign flipped (but a NaN b keeps its own sign). */
export function sub(a: F80, b: F80, pc: PC, rc: RC): Result {
  return addSigned(a, b, b.sign ^ 1, pc, rc);
}

function addSigned(a: F80, b: F80, bSign: number, pc: PC, rc: RC): Result {
  const s = screen(a, b);
  if (s) return s;
  const flags = denormalFlag(a, b);
  const aInf = isInfinity(a), bInf = isInfinity(b);
  if (aInf || bInf) {
    if (aInf && bInf && a.sign !== bSign) return invalid;
    return { value: infinity(aInf ? a.sign : bSign), flags };
  }
  const aZ = isZero(a), bZ = isZero(b);
  if (aZ && bZ) return { value: zero(a.sign === bSign ? a.sign : rc === RC_DOWN ? 1 : 0), flags };
  if (bZ) return roundToExt(a.sign, exactOf(a).sig, exactOf(a).e, pc, rc, flags);
  if (aZ) return roundToExt(bSign, exactOf(b).sig, exactOf(b).e, pc, rc, flags);

  let x = normalized(a), y = normalized(b), xs = a.sign, ys = bSign;
  if (x.e < y.e) { [x, y] = [y, x]; [xs, ys] = [ys, xs]; }
  // x has the larger exponent. Both are 64-bit, so leading bits are e + 63.
  let xsig: bigint, ysig: bigint, e: number;
  if (x.e - y.e >= 70) {
    // y is below 2^-6 of x's last bit: it only decides which side of x the
    // sum lies. Three guard bits (x << 3 would do; 4 keep a margin) and a
    // sticky bit for y give the same rounding as the exact sum (round.ts).
    xsig = x.sig << 4n; ysig = 1n; e = x.e - 4;
  } else {
    xsig = x.sig << BigInt(x.e - y.e); ysig = y.sig; e = y.e;
  }
  let sign: number, mag: bigint;
  if (xs === ys) { sign = xs; mag = xsig + ysig; }
  else if (xsig >= ysig) { sign = xs; mag = xsig - ysig; }
  else { sign = ys; mag = ysig - xsig; }
  if (mag === 0n) return { value: zero(rc === RC_DOWN ? 1 : 0), flags };
  return roundToExt(sign, mag, e, pc, rc, flags);
}

/** FMUL (SDM Vol. 2 FMUL table): 0 * ∞ is invalid; the sign is always the XOR. */
export function mul(a: F80, b: F80, pc: PC, rc: RC): Result {
  const s = screen(a, b);
  if (s) return s;
  const flags = denormalFlag(a, b);
  const sign = a.sign ^ b.sign;
  const aInf = isInfinity(a), bInf = isInfinity(b), aZ = isZero(a), bZ = isZero(b);
  if ((aInf && bZ) || (aZ && bInf)) return invalid;
  if (aInf || bInf) return { value: infinity(sign), flags };
  if (aZ || bZ) return { value: zero(sign), flags };
  const x = exactOf(a), y = exactOf(b);
  return roundToExt(sign, x.sig * y.sig, x.e + y.e, pc, rc, flags);
}

/**
 * FDIV a / b (SDM Vol. 2 FDIV table): 0/0 and ∞/∞ are invalid; finite
 * non-zero / 0 is a zero divide (ZE, a signed ∞); ∞ / 0 is ∞ without ZE.
 */
export function div(a: F80, b: F80, pc: PC, rc: RC): Result {
  const s = screen(a, b);
  if (s) return s;
  let flags = denormalFlag(a, b);
  const sign = a.sign ^ b.sign;
  const aInf = isInfinity(a), bInf = isInfinity(b), aZ = isZero(a), bZ = isZero(b);
  if ((aInf && bInf) || (aZ && bZ)) return invalid;
  if (aInf) return { value: infinity(sign), flags };
  if (bInf || aZ) return { value: zero(sign), flags };
  if (bZ) return { value: infinity(sign), flags: flags | ZE };
  const x = normalized(a), y = normalized(b);
  // x.sig / y.sig is in (1/2, 2): shifted by 68 the quotient has 68 or 69
  // bits, four or more below the 64th; the remainder becomes a sticky bit.
  const num = x.sig << 68n;
  let q = num / y.sig;
  if (q * y.sig !== num) q |= 1n;
  return roundToExt(sign, q, x.e - y.e - 68, pc, rc, flags);
}

/**
 * FSQRT (SDM Vol. 2 FSQRT table): sqrt(-0) = -0; any other negative operand,
 * -∞ included, is invalid. A denormal operand raises DE; the root of any
 * register value is normal, so neither OE nor UE can come of it.
 */
export function sqrt(a: F80, pc: PC, rc: RC): Result {
  const s = screen(a);
  if (s) return s;
  if (isZero(a)) return { value: a, flags: 0 };
  if (a.sign === 1) return invalid;
  if (isInfinity(a)) return { value: a, flags: 0 };
  const flags = denormalFlag(a);
  let { sig, e } = normalized(a);
  if (e & 1) { sig <<= 1n; e -= 1; }
  // sig has 64 or 65 bits; shifted by 72 its root has 68 or more.
  const n = sig << 72n;
  let r = isqrt(n);
  if (r * r !== n) r |= 1n;
  return roundToExt(0, r, (e - 72) / 2, pc, rc, flags);
}

/**
 * FRNDINT (SDM Vol. 2 FRNDINT): round to an integral value by RC. PC does not
 * apply (SDM Vol. 1 §8.1.5.2 lists the instructions it does). PE when the
 * value changed, C1 when its magnitude went up; a result rounded to zero
 * keeps the operand's sign.
 */
export function roundInt(a: F80, rc: RC): Result {
  const s = screen(a);
  if (s) return s;
  const c = classify(a);
  if (c === 'zero' || c === 'infinity') return { value: a, flags: 0 };
  const flags = denormalFlag(a);
  const { sig, e } = exactOf(a);
  if (e >= 0) return { value: a, flags };
  const r = shiftRound(sig, -e, a.sign, rc);
  // m <= 2^63: at most 64 bits, exact in the register format.
  const value = r.inexact ? normalFromExact(a.sign, r.m, 0) : a;
  return { value, flags: flags | (r.inexact ? PE : 0) | (r.up ? C1 : 0) };
}

export type Relation = 'lt' | 'eq' | 'gt' | 'un';

/**
 * FCOM (ordered, quiet = false) and FUCOM (unordered, quiet = true) of a
 * with b (SDM Vol. 2 FCOM/FCOMP/FCOMPP and FUCOM/FUCOMP/FUCOMPP and their
 * result tables; 'un' is C3 C2 C0 = 111). Any NaN makes them unordered:
 * FCOM raises IE for every NaN, FUCOM for an SNaN only; an unsupported
 * encoding is IE and unordered for both. -0 equals +0. DE for a denormal
 * operand.
 */
export function compare(a: F80, b: F80, quiet: boolean): { rel: Relation; flags: number } {
  if (isUnsupported(a) || isUnsupported(b)) return { rel: 'un', flags: IE };
  if (isNaN80(a) || isNaN80(b)) {
    const signal = !quiet || isSNaN(a) || isSNaN(b);
    return { rel: 'un', flags: signal ? IE : 0 };
  }
  const flags = denormalFlag(a, b);
  const c = cmpMagnitudeSigned(a, b);
  return { rel: c < 0 ? 'lt' : c > 0 ? 'gt' : 'eq', flags };
}

export function fcom(a: F80, b: F80): { rel: Relation; flags: number } { return compare(a, b, false); }
export function fucom(a: F80, b: F80): { rel: Relation; flags: number } { return compare(a, b, true); }

/** Order of two non-NaN supported values: -1, 0, 1. */
function cmpMagnitudeSigned(a: F80, b: F80): number {
  const az = isZero(a), bz = isZero(b);
  if (az && bz) return 0;
  if (az) return b.sign ? 1 : -1;
  if (bz) return a.sign ? -1 : 1;
  if (a.sign !== b.sign) return a.sign ? -1 : 1;
  const m = cmpMagnitude(a, b);
  return a.sign ? -m : m;
}

/** |a| against |b| for non-zero, non-NaN values (∞ included: its exponent is the largest). */
function cmpMagnitude(a: F80, b: F80): number {
  const x = normalized(a), y = normalized(b);
  if (x.e !== y.e) return x.e < y.e ? -1 : 1;
  return x.sig === y.sig ? 0 : x.sig < y.sig ? -1 : 1;
}
