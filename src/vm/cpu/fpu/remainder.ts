/**
 * The x87's exact instructions beside the arithmetic: FPREM, FPREM1, FSCALE
 * and FXTRACT. Their results are exact except where FSCALE overflows or
 * underflows, so no rounding enters but that one.
 *
 * PC does not apply to any of them: SDM Vol. 1 §8.1.5.2 lists the
 * instructions it affects (FADD, FSUB, FMUL, FDIV and their forms, FSQRT)
 * and these are not among them. RC matters only to FSCALE (FPREM and FPREM1:
 * "the rounding control has no effect", SDM Vol. 2).
 *
 * Operands are screened as in arith.ts (SDM Vol. 1 §4.9.2): an unsupported
 * encoding (§8.2.2) is an invalid operation, then NaNs propagate by Table
 * 4-7, then DE for a denormal operand alongside the remaining cases.
 */
import {
  type F80, type RC, type Result,
  IE, ZE, PC_64, RC_NEAREST, EXP_BIAS, J_BIT,
  INDEFINITE, exactOf, infinity, isInfinity, isNaN80, isUnsupported, isZero,
  bitLength, makeF80, normalFromExact, quiet, zero, isSNaN, trueExponent,
} from './float80';
import { screen, denormalFlag, invalid } from './operands';
import { roundToExt } from './round';


/** An exact finite value into a register: normalized (or denormal), no flags. */
function exactValue(sign: number, mag: bigint, e: number): F80 {
  // Exact by construction (see the callers), so RC is irrelevant and no flag comes back.
  return roundToExt(sign, mag, e, PC_64, RC_NEAREST).value;
}

/**
 * FPREM and FPREM1 results. c0, c3, c1 are the quotient's bits 2, 1, 0 when
 * the reduction is complete (C2 = 0); C2 = 1 says it is partial (SDM Vol. 1
 * §8.1.3.2, Vol. 2 FPREM "FPU Flags Affected"). `flags` holds IE DE only:
 * the remainder is exact, so no PE, and its C1 is the quotient's bit 0, not
 * a rounding direction.
 */
export interface RemainderResult extends Result {
  readonly c0: 0 | 1;
  readonly c1: 0 | 1;
  readonly c2: 0 | 1;
  readonly c3: 0 | 1;
}

const noQuotient = (r: Result): RemainderResult => ({ ...r, c0: 0, c1: 0, c2: 0, c3: 0 });

/**
 * FPREM (truncate = true) and FPREM1 (false), SDM Vol. 2 FPREM and FPREM1
 * ("Operation" and Tables 3-31, 3-32):
 *
 *   D := exponent(ST(0)) - exponent(ST(1));
 *   IF D < 64: Q := ST(0)/ST(1) as an integer, truncated (FPREM) or to the
 *              nearest, ties to even (FPREM1); ST(0) := ST(0) - ST(1)·Q;
 *              C2 := 0; C0, C3, C1 := Q2, Q1, Q0
 *   ELSE:      C2 := 1; N := "an implementation-dependent number between 32
 *              and 63"; QQ := truncate((ST(0)/ST(1)) / 2^(D-N));
 *              ST(0) := ST(0) - ST(1)·QQ·2^(D-N)
 *
 * The choice of N: N = 32 + (D mod 32), the rule AMD's manuals state and,
 * per QEMU's target/i386 helper_fprem_common (which follows it, noting that
 * Intel processors were observed to do the same), the P6's. Each partial
 * step thus takes the exponent difference down to a multiple of 32 that is
 * at most D - 32, so a loop of FPREMs ends with one complete step whose
 * quotient bits are those of the whole quotient (the partial quotients are
 * multiples of 2^32). The partial step truncates in FPREM1 as well (its
 * pseudocode says TruncateTowardZero there too), and C0, C3, C1 are cleared
 * (AMD documents this; QEMU reports Intel parts do the same).
 *
 * The exponents are those of the normalized values, so a denormal's is its
 * leading bit's. Special operands (Tables 3-31, 3-32 and the exceptions
 * list): an infinite dividend or a zero divisor is invalid (the older
 * tables' "**", a zero divide, for F/0 is gone from the current ones, whose
 * exceptions list says "#IA ... modulus is 0"); a zero dividend with a
 * non-zero divisor, or a finite dividend with an infinite divisor, is
 * returned as it is. A zero remainder has the dividend's sign.
 *
 * The remainder is always exact: it lies on the grid of the finer of the two
 * operands' last bits (the divisor's scaled by 2^(D-N) in a partial step) and
 * is below both the dividend and the (scaled) divisor in magnitude, or half
 * the divisor for FPREM1, so it has at most 64 significant bits above that
 * grid, and the denormal grid holds it when tiny. "#U Result is too small"
 * is therefore never a masked flag here (UE is set only when a tiny result
 * is also inexact, SDM Vol. 1 §8.5.5).
 */
function partialRemainder(a: F80, b: F80, truncate: boolean): RemainderResult {
  const s = screen(a, b);
  if (s) return noQuotient(s);
  if (isInfinity(a) || isZero(b)) return noQuotient(invalid);
  const flags = denormalFlag(a, b);
  if (isZero(a) || isInfinity(b)) return noQuotient({ value: a, flags });

  const d = trueExponent(a) - trueExponent(b);
  const x = exactOf(a), y = exactOf(b);
  let partial = false;
  let ye = y.e;
  if (d >= 64) {
    // Reduce by ST(1)·2^(D-N): exponent difference N after scaling.
    const n = 32 + (d % 32);
    ye += d - n;
    partial = true;
  } else if (d < -1) {
    // |ST(0)| < |ST(1)|/2: the quotient is 0 either way and ST(0) stays.
    return { value: exactValue(a.sign, x.sig, x.e), flags, c0: 0, c1: 0, c2: 0, c3: 0 };
  }
  // Both on the grid of the finer last bit: the exponent gap is under 64 + 64.
  const g = Math.min(x.e, ye);
  const num = x.sig << BigInt(x.e - g), den = y.sig << BigInt(ye - g);
  let q = num / den;
  let r = num - q * den;
  let sign = a.sign;
  if (!truncate && !partial) {
    // Round the quotient to nearest, ties to the even integer (IEEE remainder).
    const twice = 2n * r;
    if (twice > den || (twice === den && (q & 1n) === 1n)) {
      q += 1n;
      r = den - r;
      sign ^= 1;
    }
  }
  const value = r === 0n ? zero(a.sign) : exactValue(sign, r, g);
  if (partial) return { value, flags, c0: 0, c1: 0, c2: 1, c3: 0 };
  const bit = (k: bigint): 0 | 1 => (((q >> k) & 1n) === 1n ? 1 : 0);
  return { value, flags, c0: bit(2n), c3: bit(1n), c1: bit(0n), c2: 0 };
}

/** FPREM: ST(0) := the partial remainder of ST(0)/ST(1), quotient truncated. */
export function fprem(st0: F80, st1: F80): RemainderResult { return partialRemainder(st0, st1, true); }

/** FPREM1: the IEEE remainder of ST(0)/ST(1) (quotient to nearest), partial when the exponents are 64 or more apart. */
export function fprem1(st0: F80, st1: F80): RemainderResult { return partialRemainder(st0, st1, false); }

/**
 * FSCALE (SDM Vol. 2 FSCALE, its table of results): ST(0) := ST(0) ·
 * 2^RoundTowardZero(ST(1)). The product is exact unless it overflows or
 * underflows; then it is rounded by RC with the masked responses of SDM
 * Vol. 1 §8.5.4 and §8.5.5 (OE, or UE when tiny and inexact, PE, C1). A
 * denormal ST(0) comes out normalized when it can.
 *
 * The table: 0 · 2^+∞ and ∞ · 2^-∞ are invalid; F · 2^-∞ = ±0 and
 * F · 2^+∞ = ±∞ (the sign of ST(0)); ±0 and ±∞ scale to themselves by any
 * finite ST(1). A scale whose magnitude exceeds 2^20 gives the same result as
 * 2^20 (any non-zero register value times 2^±2^20 overflows or underflows
 * completely), so huge ST(1) need no huge shifts.
 */
export function fscale(st0: F80, st1: F80, rc: RC): Result {
  const s = screen(st0, st1);
  if (s) return s;
  const flags = denormalFlag(st0, st1);
  if (isInfinity(st1)) {
    if (st1.sign === 1) return isInfinity(st0) ? invalid : { value: zero(st0.sign), flags };
    return isZero(st0) ? invalid : { value: infinity(st0.sign), flags };
  }
  if (isZero(st0) || isInfinity(st0)) return { value: st0, flags };
  const LIMIT = 1 << 20;
  let n = 0;
  if (!isZero(st1)) {
    const { sig, e } = exactOf(st1);
    let mag: number;
    if (e >= 0) mag = bitLength(sig) + e > 21 ? LIMIT : Number(sig << BigInt(e));
    else mag = -e >= 64 ? 0 : Math.min(LIMIT, Number(sig >> BigInt(-e)));
    n = st1.sign ? -Math.min(mag, LIMIT) : Math.min(mag, LIMIT);
  }
  const x = exactOf(st0);
  return roundToExt(st0.sign, x.sig, x.e + n, PC_64, rc, flags);
}

/** FXTRACT's two results: ST(1) gets the exponent, the pushed ST(0) the significand. */
export interface ExtractResult {
  readonly exponent: F80;
  readonly significand: F80;
  readonly flags: number;
}

/**
 * FXTRACT (SDM Vol. 2 FXTRACT): the significand keeps the operand's sign and
 * significand with exponent 3FFFH (a value in [1, 2)); the exponent is the
 * true (unbiased) exponent as a value. A denormal (or pseudo-denormal)
 * operand is normalized first and raises DE: its exponent is that of its
 * leading bit. A zero is a zero divide: with ZE masked, the exponent is -∞
 * and the significand the zero itself (SDM Vol. 2; Vol. 1 §8.5.3 lists
 * FXTRACT among the instructions that divide internally).
 *
 * The SDM gives no table for the rest; these follow the 387 as Bochs and QEMU
 * model it: ±∞ gives exponent +∞ and significand ±∞; a NaN gives the NaN
 * (quieted, IE for an SNaN) in both; an unsupported encoding gives the
 * indefinite in both, with IE.
 */
export function fxtract(a: F80): ExtractResult {
  if (isUnsupported(a)) return { exponent: INDEFINITE, significand: INDEFINITE, flags: IE };
  if (isNaN80(a)) {
    const q = quiet(a);
    return { exponent: q, significand: q, flags: isSNaN(a) ? IE : 0 };
  }
  if (isInfinity(a)) return { exponent: infinity(0), significand: a, flags: 0 };
  if (isZero(a)) return { exponent: infinity(1), significand: a, flags: ZE };
  const flags = denormalFlag(a);
  const { sig, e } = exactOf(a);
  const n = bitLength(sig);
  const exp = e + n - 1;
  const significand = makeF80(a.sign, EXP_BIAS, (sig << BigInt(64 - n)) | J_BIT);
  const exponent = normalFromExact(exp < 0 ? 1 : 0, BigInt(Math.abs(exp)), 0);
  return { exponent, significand, flags };
}
