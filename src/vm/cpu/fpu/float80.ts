/**
 * The x87's register format, double extended precision, as a value
 * (Intel SDM Vol. 1 §4.2.2 and Table 4-3; §8.2.2 and Table 8-3).
 *
 *   bit 79     sign
 *   bits 78-64 exponent, biased by 16383
 *   bits 63-0  significand: bit 63 is the integer bit J, explicit in this
 *              format alone; bits 62-0 the fraction
 *
 * The significand is a BigInt. Every operation needs 64x64->128-bit
 * products, 128/64-bit quotients with a remainder, and shifts by thousands of
 * bits when a result is denormalized; BigInt does them exactly and plainly,
 * where two 32-bit numbers would have every carry written by hand. Speed can
 * come later: outside src/vm/cpu/fpu/ only the functions of this file touch
 * the fields (makeF80, f80FromWords, sigHi32, sigLo32, encodeF80,
 * decodeF80), so the representation can change behind them.
 *
 * Nothing here computes with JavaScript doubles: a double would round.
 */

export interface F80 {
  /** 0 or 1. */
  readonly sign: number;
  /** The biased exponent, 0..0x7fff. */
  readonly exp: number;
  /** The 64-bit significand, J at bit 63. */
  readonly sig: bigint;
}

export const EXP_BIAS = 16383;
export const EXP_MAX = 0x7fff;
/** J, the explicit integer bit. */
export const J_BIT = 1n << 63n;
/** The fraction's top bit: set in a QNaN, clear in an SNaN (SDM Vol. 1 §4.8.3.4). */
export const QUIET_BIT = 1n << 62n;
export const SIG_MASK = (1n << 64n) - 1n;
const FRACTION_MASK = J_BIT - 1n;

/**
 * Exception flags, at their bit positions in the x87 status word (SDM Vol. 1
 * §8.1.3), so the x87 can OR them straight in. C1 is the
 * "round-up" bit: set when the significand was rounded away from zero
 * (SDM Vol. 1 §8.1.3.1, Table 8-1; §8.5.4). Every result here is the
 * masked response; the unmasked ones are the x87's business.
 */
export const IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20, C1 = 0x200;

/** Rounding control, control word bits 11-10 (SDM Vol. 1 §4.8.4, Table 4-8). */
export type RC = 0 | 1 | 2 | 3;
export const RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;

/** Precision control, control word bits 9-8 (SDM Vol. 1 §8.1.5.2, Table 8-2). */
export type PC = 0 | 1 | 2 | 3;
export const PC_24 = 0, PC_53 = 2, PC_64 = 3;

/**
 * Significand bits kept under a PC setting. 01 is reserved; Bochs, from
 * observation, treats it as 11 (64 bits), and so does this.
 */
export function pcBits(pc: PC): number {
  return pc === PC_24 ? 24 : pc === PC_53 ? 53 : 64;
}

/** A result with its exception flags (IE DE ZE OE UE PE C1). */
export interface Result {
  readonly value: F80;
  readonly flags: number;
  /**
   * For a result that overflowed or is tiny: what a register gets instead
   * when OE or UE is unmasked (round.ts, roundToExt). Absent otherwise.
   */
  readonly wrapped?: Result;
}

export function makeF80(sign: number, exp: number, sig: bigint): F80 {
  return { sign: sign & 1, exp: exp & EXP_MAX, sig: sig & SIG_MASK };
}

/** From the three words a register or memory holds: sign+exponent, significand high and low. */
export function f80FromWords(signExp: number, sigHi: number, sigLo: number): F80 {
  return makeF80(signExp >>> 15, signExp & EXP_MAX, (BigInt(sigHi >>> 0) << 32n) | BigInt(sigLo >>> 0));
}
export function signExpWord(x: F80): number { return (x.sign << 15) | x.exp; }
export function sigHi32(x: F80): number { return Number(x.sig >> 32n); }
export function sigLo32(x: F80): number { return Number(x.sig & 0xffffffffn); }

export function zero(sign: number): F80 { return makeF80(sign, 0, 0n); }
export function infinity(sign: number): F80 { return makeF80(sign, EXP_MAX, J_BIT); }
/**
 * The real indefinite: the QNaN the x87 returns for a masked invalid
 * operation with no NaN operand (SDM Vol. 1 §4.8.3.7, Table 4-3).
 */
export const INDEFINITE: F80 = makeF80(1, EXP_MAX, 0xc000000000000000n);
export const POS_ZERO = zero(0), NEG_ZERO = zero(1);
export const POS_INF = infinity(0), NEG_INF = infinity(1);

/**
 * The classes of SDM Vol. 1 Table 4-3 (supported) and Table 8-3 (not
 * supported since the 387), by exponent and J:
 *
 *   exp 0:            J=0: zero (fraction 0) or denormal; J=1: pseudo-denormal
 *   exp 1..0x7ffe:    J=1: normal; J=0: unnormal
 *   exp 0x7fff, J=1:  fraction 0: infinity; else QNaN (bit 62) or SNaN
 *   exp 0x7fff, J=0:  fraction 0: pseudo-infinity; else pseudo-NaN
 *
 * §8.2.2: unnormals, pseudo-NaNs and pseudo-infinities raise the invalid
 * operation exception as operands; pseudo-denormals are never produced but
 * are accepted as denormals (with the denormal exception).
 */
export type F80Class =
  | 'zero' | 'denormal' | 'pseudoDenormal' | 'normal' | 'unnormal'
  | 'infinity' | 'pseudoInfinity' | 'pseudoNaN' | 'qnan' | 'snan';

export function classify(x: F80): F80Class {
  const j = (x.sig & J_BIT) !== 0n;
  const frac = x.sig & FRACTION_MASK;
  if (x.exp === 0) return j ? 'pseudoDenormal' : frac === 0n ? 'zero' : 'denormal';
  if (x.exp === EXP_MAX) {
    if (!j) return frac === 0n ? 'pseudoInfinity' : 'pseudoNaN';
    if (frac === 0n) return 'infinity';
    return (x.sig & QUIET_BIT) !== 0n ? 'qnan' : 'snan';
  }
  return j ? 'normal' : 'unnormal';
}

/** Encodings the 387 and later reject as operands (SDM Vol. 1 §8.2.2). */
export function isUnsupported(x: F80): boolean {
  const j = (x.sig & J_BIT) !== 0n;
  return x.exp !== 0 && !j;
}
export function isNaN80(x: F80): boolean {
  return x.exp === EXP_MAX && (x.sig & J_BIT) !== 0n && (x.sig & FRACTION_MASK) !== 0n;
}
export function isSNaN(x: F80): boolean { return isNaN80(x) && (x.sig & QUIET_BIT) === 0n; }
export function isQNaN(x: F80): boolean { return isNaN80(x) && (x.sig & QUIET_BIT) !== 0n; }
export function isInfinity(x: F80): boolean { return x.exp === EXP_MAX && x.sig === J_BIT; }
export function isZero(x: F80): boolean { return x.exp === 0 && x.sig === 0n; }
/** Denormals and pseudo-denormals: both raise DE as operands (SDM Vol. 1 §8.2.2, §8.5.2). */
export function isDenormalOperand(x: F80): boolean { return x.exp === 0 && x.sig !== 0n; }
export function isIndefinite(x: F80): boolean {
  return x.sign === INDEFINITE.sign && x.exp === INDEFINITE.exp && x.sig === INDEFINITE.sig;
}
export function sameF80(a: F80, b: F80): boolean {
  return a.sign === b.sign && a.exp === b.exp && a.sig === b.sig;
}

/** The SNaN made quiet by setting the fraction's top bit (SDM Vol. 1 §4.8.3.5). */
export function quiet(x: F80): F80 { return makeF80(x.sign, x.exp, x.sig | QUIET_BIT); }
export function negate(x: F80): F80 { return makeF80(x.sign ^ 1, x.exp, x.sig); }

/** Exponent of the significand's last bit for a finite value: value = sig * 2^ulpExp. */
export const DENORMAL_ULP_EXP = 1 - EXP_BIAS - 63;

/**
 * A zero, denormal, pseudo-denormal or normal value exactly, as sig * 2^e.
 * Exponent 0 scales like exponent 1 (SDM Vol. 1 §4.8.3.2): that is what
 * makes a pseudo-denormal equal to the normal with exponent 1.
 */
export function exactOf(x: F80): { sig: bigint; e: number } {
  return { sig: x.sig, e: x.exp === 0 ? DENORMAL_ULP_EXP : x.exp - EXP_BIAS - 63 };
}

const B32 = 1n << 32n, B64 = 1n << 64n, B96 = 1n << 96n, B128 = 1n << 128n;

/**
 * Bits in a non-negative BigInt (0 for 0). The x87's values have at most 128
 * bits but in the transcendentals: up to there the top word is found by a
 * comparison and one shift (a Number below 2^32 is exact, so clz32 is safe);
 * beyond, from the hexadecimal digits. The hottest function of the x87.
 */
export function bitLength(v: bigint): number {
  if (v < B32) return 32 - Math.clz32(Number(v));
  if (v < B64) return 64 - Math.clz32(Number(v >> 32n));
  if (v < B96) return 96 - Math.clz32(Number(v >> 64n));
  if (v < B128) return 128 - Math.clz32(Number(v >> 96n));
  const hex = v.toString(16);
  return (hex.length - 1) * 4 + 32 - Math.clz32(parseInt(hex[0], 16));
}

/** floor(sqrt(n)) for n >= 0, by Newton's iteration from above. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** floor(log2|x|) of a finite non-zero value: the exponent it has once normalized. */
export function trueExponent(x: F80): number {
  const { sig, e } = exactOf(x);
  return e + bitLength(sig) - 1;
}

/**
 * The value an exactly representable integer magnitude times 2^e has in the
 * register format, normalized. The caller guarantees it fits: at most 64
 * significant bits and an exponent in the normal range.
 */
export function normalFromExact(sign: number, sig: bigint, e: number): F80 {
  if (sig === 0n) return zero(sign);
  const n = bitLength(sig);
  return makeF80(sign, e + n - 1 + EXP_BIAS, sig << BigInt(64 - n));
}

/** FSTP m80 stores the ten bytes little-endian: significand, then sign and exponent (SDM Vol. 1 §4.2.2). */
export function encodeF80(x: F80, out: Uint8Array = new Uint8Array(10), off = 0): Uint8Array {
  let s = x.sig;
  for (let i = 0; i < 8; i++) { out[off + i] = Number(s & 0xffn); s >>= 8n; }
  const se = signExpWord(x);
  out[off + 8] = se & 0xff;
  out[off + 9] = se >>> 8;
  return out;
}

/** FLD m80 loads the ten bytes as they are: no class is rejected on load (SDM Vol. 2 FLD). */
export function decodeF80(bytes: Uint8Array, off = 0): F80 {
  let s = 0n;
  for (let i = 7; i >= 0; i--) s = (s << 8n) | BigInt(bytes[off + i]);
  const se = bytes[off + 8] | (bytes[off + 9] << 8);
  return makeF80(se >>> 15, se & EXP_MAX, s);
}
