/**
 * Conversions between the register format and the memory formats (SDM Vol. 1
 * §4.2.2, §4.7, §8.2; SDM Vol. 2 FLD, FST/FSTP, FILD, FIST/FISTP, FBLD,
 * FBSTP). All of it is bit manipulation and BigInt integer arithmetic: an
 * m64fp is taken apart by its bits, never through a JavaScript double.
 *
 * Loads: m32fp and m64fp convert exactly (every single and double is a
 * register value); a denormal raises DE and comes in normalized; an SNaN
 * raises IE and comes in quieted (SDM Vol. 2 FLD, "#IA source operand is an
 * SNaN", "#D source operand is a denormal value", neither for m80fp).
 * Integers and BCD convert exactly.
 *
 * Stores round by RC only: PC does not apply to them (SDM Vol. 1 §8.1.5.2).
 */
import {
  type F80, type RC,
  IE, DE, PE, C1, EXP_MAX, EXP_BIAS, J_BIT,
  exactOf, infinity, isNaN80, isSNaN, isUnsupported, isInfinity, isZero,
  makeF80, normalFromExact, quiet, zero, bitLength,
} from './float80';
import { type Format, SINGLE, DOUBLE, roundExact, shiftRound } from './round';

/** An IEEE 754 binary interchange format as the x87 stores it. */
interface Ieee {
  readonly expBits: number;
  readonly fracBits: number;
  readonly format: Format;
}
const M32: Ieee = { expBits: 8, fracBits: 23, format: SINGLE };
const M64: Ieee = { expBits: 11, fracBits: 52, format: DOUBLE };

function fromIeee(bits: bigint, f: Ieee, keepSignaling = false): { value: F80; flags: number } {
  const expMax = (1 << f.expBits) - 1, bias = expMax >> 1;
  const frac = bits & ((1n << BigInt(f.fracBits)) - 1n);
  const exp = Number((bits >> BigInt(f.fracBits)) & BigInt(expMax));
  const sign = Number((bits >> BigInt(f.fracBits + f.expBits)) & 1n);
  const up = BigInt(63 - f.fracBits);
  if (exp === expMax) {
    if (frac === 0n) return { value: infinity(sign), flags: 0 };
    // The fraction goes under J unchanged, so the quiet bit lands on bit 62.
    const nan = makeF80(sign, EXP_MAX, J_BIT | (frac << up));
    if (keepSignaling) return { value: nan, flags: 0 };
    return isSNaN(nan) ? { value: quiet(nan), flags: IE } : { value: nan, flags: 0 };
  }
  if (exp === 0) {
    if (frac === 0n) return { value: zero(sign), flags: 0 };
    return { value: normalFromExact(sign, frac, 1 - bias - f.fracBits), flags: DE };
  }
  return { value: makeF80(sign, exp - bias + EXP_BIAS, J_BIT | (frac << up)), flags: 0 };
}

/**
 * FST/FSTP to m32fp or m64fp (SDM Vol. 2 FST/FSTP): a finite value is rounded
 * by RC to the format, with OE (masked: ∞ or the largest finite by RC and
 * sign), UE (tiny and inexact; a denormal source raises no DE, "simply
 * signaled as a numeric underflow"), PE and C1. Zeros, infinities and QNaNs
 * are truncated to fit; an SNaN is IE and stored quieted; an unsupported
 * encoding is IE and stores the format's indefinite (SDM Vol. 1 Table 4-3).
 */
function toIeee(x: F80, f: Ieee, rc: RC): Stored {
  const expMax = (1 << f.expBits) - 1, bias = expMax >> 1;
  const fb = BigInt(f.fracBits);
  const pack = (s: number, e: number, frac: bigint) => (BigInt(s) << (fb + BigInt(f.expBits))) | (BigInt(e) << fb) | frac;
  if (isUnsupported(x)) return { bits: pack(1, expMax, 1n << (fb - 1n)), flags: IE };
  if (isNaN80(x)) {
    const frac = (quiet(x).sig & (J_BIT - 1n)) >> BigInt(63 - f.fracBits);
    return { bits: pack(x.sign, expMax, frac), flags: isSNaN(x) ? IE : 0 };
  }
  if (isInfinity(x)) return { bits: pack(x.sign, expMax, 0n), flags: 0 };
  if (isZero(x)) return { bits: pack(x.sign, 0, 0n), flags: 0 };
  const { sig, e } = exactOf(x);
  const r = roundExact(x.sign, sig, e, f.format, rc);
  if (r.inf) return { bits: pack(r.sign, expMax, 0n), flags: r.flags };
  const tiny = r.tiny ? { tiny: true } : {};
  if (r.m === 0n) return { bits: pack(r.sign, 0, 0n), flags: r.flags, ...tiny };
  const p = f.format.p, n = bitLength(r.m), bigE = r.q + n - 1;
  if (bigE >= f.format.emin) {
    const frac = (r.m << BigInt(p - n)) - (1n << BigInt(p - 1));
    return { bits: pack(r.sign, bigE + bias, frac), flags: r.flags, ...tiny };
  }
  return { bits: pack(r.sign, 0, r.m << BigInt(r.q - (f.format.emin - p + 1))), flags: r.flags, ...tiny };
}

/**
 * A stored single or double, its flags, and whether it was tiny: with UE
 * unmasked a tiny result is an underflow even when exact, and is not stored
 * (SDM Vol. 1 §4.9.1.5, §8.5.5).
 */
export interface Stored { bits: bigint; flags: number; tiny?: boolean }

/** FLD m32fp. */
export function fromF32(bits: number): { value: F80; flags: number } { return fromIeee(BigInt(bits >>> 0), M32); }
/** FLD m64fp, the 64 bits as an unsigned BigInt. */
export function fromF64(bits: bigint): { value: F80; flags: number } { return fromIeee(BigInt.asUintN(64, bits), M64); }
/**
 * An m32fp or m64fp source of an arithmetic instruction (FADD m32fp, FCOM
 * m64fp...): exact, with an SNaN left signaling so the operation's own
 * screen sees it (SDM Vol. 1 Table 4-7 picks between an SNaN and a QNaN),
 * and DE when it was a denormal in its own format.
 */
export function operandF32(bits: number): { value: F80; flags: number } { return fromIeee(BigInt(bits >>> 0), M32, true); }
export function operandF64(bits: bigint): { value: F80; flags: number } { return fromIeee(BigInt.asUintN(64, bits), M64, true); }
/** FST m32fp: the 32 bits as an unsigned number. */
export function toF32(x: F80, rc: RC): { bits: number; flags: number; tiny?: boolean } {
  const r = toIeee(x, M32, rc);
  return r.tiny ? { bits: Number(r.bits), flags: r.flags, tiny: true } : { bits: Number(r.bits), flags: r.flags };
}
/** FST m64fp: the 64 bits as an unsigned BigInt. */
export function toF64(x: F80, rc: RC): Stored { return toIeee(x, M64, rc); }

/** FILD m16int/m32int/m64int: exact, and +0 for 0 (SDM Vol. 2 FILD). */
export function fromInt(v: bigint | number): F80 {
  const b = BigInt(v);
  return b < 0n ? normalFromExact(1, -b, 0) : normalFromExact(0, b, 0);
}

/**
 * A register value rounded by RC to an integer of at most `limit` in
 * magnitude: FIST's and FBSTP's common part. Null when it is not a number
 * (NaN, ∞, unsupported) or lands out of range (SDM Vol. 1 Table 8-10: both
 * invalid). `neg` and `pos` are the bounds on the magnitude by sign.
 */
function roundToInteger(x: F80, rc: RC, neg: bigint, pos: bigint): { mag: bigint; flags: number } | null {
  if (isUnsupported(x) || isNaN80(x) || isInfinity(x)) return null;
  const { sig, e } = exactOf(x);
  const limit = x.sign ? neg : pos;
  // Beyond 2^e >= 2^bits the value is out of range anyway; don't build it.
  if (e > bitLength(limit)) return sig === 0n ? { mag: 0n, flags: 0 } : null;
  const r = shiftRound(sig, -e, x.sign, rc);
  if (r.m > limit) return null;
  return { mag: r.m, flags: (r.inexact ? PE : 0) | (r.up ? C1 : 0) };
}

/**
 * FIST/FISTP to a 16-, 32- or 64-bit integer, rounded by RC (SDM Vol. 2
 * FIST/FISTP and its results table). Out of range, NaN, ∞ or unsupported:
 * IE and the integer indefinite, the most negative value (SDM Vol. 1
 * §8.5.1.2, Table 8-10). `value` is the signed integer to store.
 */
export function toInt(x: F80, bits: 16 | 32 | 64, rc: RC): { value: bigint; flags: number } {
  const min = 1n << BigInt(bits - 1);
  const r = roundToInteger(x, rc, min, min - 1n);
  if (!r) return { value: -min, flags: IE };
  return { value: x.sign ? -r.mag : r.mag, flags: r.flags };
}

/** The packed BCD indefinite as FBSTP stores it: 0xFFFF C000 0000 0000 0000 (SDM Vol. 1 §4.7, Table 4-4). */
export const BCD_INDEFINITE: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff];
const BCD_MAX = 10n ** 18n - 1n;

/**
 * FBLD: 18 digits, two a byte from the lowest (byte 0's low nibble is the
 * units), the sign in bit 7 of byte 9, bits 0-6 of byte 9 ignored (SDM Vol.
 * 1 §4.7). Exact; the sign is kept, -0 included (SDM Vol. 2
 * FBLD). Digits A-F are undefined there; here they count at their value.
 */
export function fromBCD(bytes: Uint8Array, off = 0): F80 {
  let v = 0n;
  for (let i = 8; i >= 0; i--) {
    const b = bytes[off + i];
    v = v * 100n + BigInt((b >>> 4) * 10 + (b & 15));
  }
  return normalFromExact(bytes[off + 9] >>> 7, v, 0);
}

/**
 * FBSTP: rounded by RC to an integer (SDM Vol. 2 FBSTP); more than 18 digits,
 * NaN, ∞ or unsupported is IE and the BCD indefinite. The sign is the
 * operand's, so -0.3 rounded to 0 is stored as -0 (the table's "**").
 */
export function toBCD(x: F80, rc: RC): { bytes: Uint8Array; flags: number } {
  const r = roundToInteger(x, rc, BCD_MAX, BCD_MAX);
  if (!r) return { bytes: Uint8Array.from(BCD_INDEFINITE), flags: IE };
  const out = new Uint8Array(10);
  let v = r.mag;
  for (let i = 0; i < 9; i++) {
    const two = Number(v % 100n);
    v /= 100n;
    out[i] = (Math.trunc(two / 10) << 4) | (two % 10);
  }
  out[9] = x.sign << 7;
  return { bytes: out, flags: r.flags };
}
