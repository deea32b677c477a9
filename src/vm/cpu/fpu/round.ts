/**
 * Rounding an exact result to a destination format (SDM Vol. 1 §4.8.4,
 * §4.9.1.4-§4.9.1.6, §8.5.4-§8.5.6).
 *
 * The input is sign, sig * 2^e with sig an unbounded BigInt. It is either the
 * exact value, or (division, square root, a far-apart sum) an approximation
 * whose last bit is a sticky bit standing for a non-zero remainder: the
 * callers keep at least three bits below the 64th significant one, so every
 * rounding boundary lies on a multiple of 2^(e+1) and the sticky bit cannot
 * move the value across one.
 *
 * A format is a precision p (significand bits, J included) and the normal
 * exponent range [emin, emax]. The register format under PC keeps the
 * extended range with a p of 24, 53 or 64 (SDM Vol. 1 §8.1.5.2: PC shortens
 * only the significand); m32fp and m64fp have their own ranges.
 */
import {
  type F80, type RC, type PC, type Result, OE, UE, PE, C1, RC_NEAREST, RC_DOWN, RC_UP,
  EXP_BIAS, EXP_MAX, J_BIT, DENORMAL_ULP_EXP, bitLength, makeF80,
} from './float80';

export interface Format {
  /** Significand bits, the integer bit included. */
  readonly p: number;
  /** Exponent of the smallest normal number: below it results are tiny. */
  readonly emin: number;
  /** Exponent of the largest finite number: above it results overflow. */
  readonly emax: number;
}

const EXT_EMIN = 1 - EXP_BIAS, EXT_EMAX = EXP_MAX - 1 - EXP_BIAS;
const EXT_FORMATS: Format[] = [24, 64, 53, 64].map((p) => ({ p, emin: EXT_EMIN, emax: EXT_EMAX }));
/** The register format as PC rounds it (PC=01, reserved, as 64 bits: see pcBits). */
export function extFormat(pc: PC): Format { return EXT_FORMATS[pc]; }
export const EXT64: Format = EXT_FORMATS[3];
export const SINGLE: Format = { p: 24, emin: -126, emax: 127 };
export const DOUBLE: Format = { p: 53, emin: -1022, emax: 1023 };

/**
 * When a result is tiny. SDM Vol. 1 §4.9.1.5 and §8.5.5 define it on "the
 * rounded result with unbounded exponent (taking into account precision
 * control)": tininess AFTER rounding, at the destination's precision. So a
 * value just below 2^emin that rounds up to 2^emin is not tiny (Bochs's x87
 * does the same; its SSE path detects before rounding). 'before' (exact
 * value < 2^emin) is kept as an option; the x87 path uses 'after'.
 */
export type Tininess = 'after' | 'before';

/** A rounded finite result m * 2^q (m = 0 for a zero), or an infinity. */
export interface Rounded {
  readonly sign: number;
  readonly inf: boolean;
  readonly m: bigint;
  readonly q: number;
  /** OE UE PE C1. */
  readonly flags: number;
  /** The result overflowed the format (the masked response is in m, q or inf). */
  readonly overflowed?: boolean;
  /**
   * The result is tiny, inexact or not: with UE unmasked that alone is an
   * underflow (SDM Vol. 1 §4.9.1.5), where masked it takes inexactness too.
   */
  readonly tiny?: boolean;
}

/**
 * sig / 2^sh rounded to an integer by RC (sh may be <= 0: a left shift,
 * exact). `up` says the magnitude went up, which is the x87's C1.
 */
export function shiftRound(sig: bigint, sh: number, sign: number, rc: RC): { m: bigint; inexact: boolean; up: boolean } {
  if (sh <= 0) return { m: sig << BigInt(-sh), inexact: false, up: false };
  let m: bigint, rem: bigint, half: number;
  if (sh > bitLength(sig)) {
    // Every bit goes, and what goes is below a half: no need to build 2^(sh-1).
    m = 0n; rem = sig; half = -1;
  } else {
    m = sig >> BigInt(sh);
    rem = sig - (m << BigInt(sh));
    const h = 1n << BigInt(sh - 1);
    half = rem < h ? -1 : rem === h ? 0 : 1;
  }
  if (rem === 0n) return { m, inexact: false, up: false };
  let up: boolean;
  switch (rc) {
    // Ties go to the even neighbour (SDM Vol. 1 Table 4-8).
    case RC_NEAREST: up = half > 0 || (half === 0 && (m & 1n) === 1n); break;
    case RC_DOWN: up = sign === 1; break;
    case RC_UP: up = sign === 0; break;
    default: up = false;
  }
  return { m: up ? m + 1n : m, inexact: true, up };
}

/**
 * The masked response to overflow (SDM Vol. 1 §4.9.1.4, Table 4-10): an
 * infinity when RC rounds away from zero for this sign, else the largest
 * finite number. OE and PE are both set; C1 says whether it went up (to the
 * infinity).
 */
function overflow(sign: number, f: Format, rc: RC): Rounded {
  const toInf = rc === RC_NEAREST || (rc === RC_UP && sign === 0) || (rc === RC_DOWN && sign === 1);
  if (toInf) return { sign, inf: true, m: 0n, q: 0, flags: OE | PE | C1, overflowed: true };
  return { sign, inf: false, m: (1n << BigInt(f.p)) - 1n, q: f.emax - f.p + 1, flags: OE | PE, overflowed: true };
}

/**
 * Round sign * sig * 2^e to the format by RC.
 *
 * The last kept bit is at 2^(max(E, emin) - p + 1), E being the exponent of
 * the value's leading bit: a normal keeps p bits; a denormal keeps the bits
 * of its fixed-point grid, p - (emin - E) of them, so it is rounded once, at
 * its own precision (gradual underflow, SDM Vol. 1 §4.8.3.2). Under PC=24 a
 * register denormal thus keeps the top 24 bits of its 64-bit field.
 *
 * Flags: PE when inexact; C1 when rounded up; UE when tiny AND inexact (the
 * masked response, SDM Vol. 1 §4.9.1.5); OE per overflow().
 */
export function roundExact(sign: number, sig: bigint, e: number, f: Format, rc: RC, tininess: Tininess = 'after'): Rounded {
  if (sig === 0n) return { sign, inf: false, m: 0n, q: 0, flags: 0 };
  const n = bitLength(sig);
  const bigE = e + n - 1;
  let q = Math.max(bigE, f.emin) - f.p + 1;
  const r = shiftRound(sig, q - e, sign, rc);
  let m = r.m;
  // A carry out of the top (all ones rounded up) makes one more bit.
  if (m === 1n << BigInt(f.p)) { m >>= 1n; q++; }
  if (m !== 0n && q + bitLength(m) - 1 > f.emax) return overflow(sign, f, rc);
  let flags = (r.inexact ? PE : 0) | (r.up ? C1 : 0);
  let tiny = false;
  if (bigE < f.emin) {
    tiny = true;
    if (r.inexact && tininess === 'after' && bigE === f.emin - 1) {
      // Rounded at p bits with no lower bound on the exponent, does it reach 2^emin?
      const u = shiftRound(sig, bigE - f.p + 1 - e, sign, rc);
      tiny = u.m !== 1n << BigInt(f.p);
    }
    if (tiny && r.inexact) flags |= UE;
  }
  return tiny ? { sign, inf: false, m, q, flags, tiny } : { sign, inf: false, m, q, flags };
}

/** A rounded result in the register format: normal, denormal (exponent 0, J clear), zero or infinity. */
export function packExt(r: Rounded): F80 {
  if (r.inf) return makeF80(r.sign, EXP_MAX, J_BIT);
  if (r.m === 0n) return makeF80(r.sign, 0, 0n);
  const n = bitLength(r.m);
  const bigE = r.q + n - 1;
  if (bigE >= EXT_EMIN) return makeF80(r.sign, bigE + EXP_BIAS, r.m << BigInt(64 - n));
  return makeF80(r.sign, 0, r.m << BigInt(r.q - DENORMAL_ULP_EXP));
}

/**
 * Round an exact result into a register under PC and RC: the common tail of
 * FADD, FMUL, FDIV, FSQRT, FSCALE. A result that overflowed or is tiny also
 * carries its `wrapped` form for an unmasked OE or UE.
 */
export function roundToExt(sign: number, sig: bigint, e: number, pc: PC, rc: RC, extraFlags = 0): Result {
  const f = extFormat(pc);
  const r = roundExact(sign, sig, e, f, rc);
  const value = packExt(r), flags = r.flags | extraFlags;
  if (!r.overflowed && !r.tiny) return { value, flags };
  const wrapped = wrap(sign, sig, e, f, rc, r.overflowed === true, extraFlags);
  return wrapped === null ? { value, flags } : { value, flags, wrapped };
}

/** The exponent adjustment of an unmasked overflow or underflow to a register (SDM Vol. 1 §8.5.4, §8.5.5). */
export const WRAP_BIAS = 24576;
const UNBOUNDED = 1 << 30;

/**
 * With OE (UE) unmasked, a register destination gets the result rounded at
 * its precision with an unbounded exponent, then divided (multiplied) by
 * 2^24576, which brings it back into range for the handler to see: flags OE
 * (UE), PE if that rounding was inexact, C1 if it went up (SDM Vol. 1 §8.5.4,
 * §8.5.5). Null where even that is out of range (only FSCALE gets so far):
 * the masked response stands.
 */
function wrap(sign: number, sig: bigint, e: number, f: Format, rc: RC, over: boolean, extraFlags: number): Result | null {
  const u = roundExact(sign, sig, e, { p: f.p, emin: -UNBOUNDED, emax: UNBOUNDED }, rc);
  const n = bitLength(u.m), bigE = u.q + n - 1 + (over ? -WRAP_BIAS : WRAP_BIAS);
  if (u.m === 0n || bigE < EXT_EMIN || bigE > EXT_EMAX) return null;
  const flags = (over ? OE : UE) | (u.flags & (PE | C1)) | extraFlags;
  return { value: makeF80(sign, bigE + EXP_BIAS, u.m << BigInt(64 - n)), flags };
}
