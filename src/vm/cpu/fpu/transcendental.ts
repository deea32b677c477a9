/**
 * The x87 transcendental instructions: FSIN, FCOS, FSINCOS, FPTAN, FPATAN,
 * F2XM1, FYL2X, FYL2XP1 (SDM Vol. 2, each instruction's page and table;
 * SDM Vol. 1 §8.3.10 and §8.1.3.2 for C2).
 *
 * Every result is the true value correctly rounded to the register format
 * by RC: 64-bit significand, the extended exponent range, PE (these results
 * are irrational except in the cases handled exactly below), C1 when rounded
 * up (SDM Vol. 1 §8.1.3.1), UE when tiny and inexact and OE on overflow (the
 * masked responses, SDM Vol. 1 §8.5.4, §8.5.5). PC does not apply: SDM Vol. 1
 * §8.1.5.2 lists the instructions it affects and these are not among them
 * (Bochs and QEMU round them to 64 bits whatever PC says).
 *
 * How: each function is computed in ball arithmetic (ball.ts), a proof of an
 * interval holding the true value, at 128 bits; if the interval's ends round
 * to different register values, again at 256, 512, ... bits (Ziv's
 * strategy). So every result is the correctly rounded true value: within
 * half an ulp to nearest, under one ulp in the directed modes.
 *
 * The hardware differs. SDM Vol. 1 §8.3.10 promises under 1 ulp (1.5 ulps
 * directed) only "when applied to the reduced argument", and FSIN, FCOS,
 * FSINCOS and FPTAN reduce by the x87's internal π, a 66-bit value (SDM Vol.
 * 1 §8.3.8: 0.C90FDAA2 2168C234 C × 2^2): they compute sin(x·π/p), p that
 * approximation (W. Ferguson, M. Cornea et al., Intel, "The Difference
 * Between x87 Instructions FSIN, FCOS, FSINCOS, and FPTAN and Mathematical
 * Functions sin, cos, sincos, and tan", 2014). Near multiples of π/2 and for
 * large arguments the real P6's results are off by many ulps, even in
 * their leading bits. Here the reduction uses π to 200 bits more than the
 * working precision, computed by Machin's formula (ball.ts), so such
 * results are the true ones, not the P6's.
 *
 * Arguments so small that the result lies within 2^-70 of the argument (or
 * of 1 for the cosine) take a short path: the result's rounding is decided
 * by which side of the argument it lies on (see tinySide).
 */
import {
  type F80, type RC, type Result,
  ZE, EXP_BIAS, J_BIT,
  bitLength, exactOf, infinity, isInfinity, isZero,
  makeF80, zero, trueExponent,
} from './float80';
import { type Rounded, EXT64, packExt, roundExact } from './round';
import { screen, denormalFlag, invalid } from './operands';
import * as B from './ball';

const ONE = makeF80(0, EXP_BIAS, J_BIT);

function finish(r: Rounded, flags: number): Result {
  return { value: packExt(r), flags: r.flags | flags };
}

/** Working precisions, in bits, tried in turn until the result's rounding is decided. */
const PRECISIONS = [128, 256, 512, 1024, 2048, 4096];

/**
 * The correctly rounded value of the real that f(bits) encloses in a ball
 * whose width shrinks as bits grow. The hardest cases known for the
 * elementary functions need about 2·64 + 10 bits (V. Lefèvre and J.-M.
 * Muller's worst cases), so 4096 is never reached in practice; should it be,
 * the midpoint of the last ball is rounded (within an ulp).
 */
function correctlyRounded(f: (bits: number) => B.Ball, rc: RC): Rounded {
  let last: B.Ball | null = null;
  for (const bits of PRECISIONS) {
    let b: B.Ball;
    try {
      b = f(bits);
    } catch (err) {
      if (err instanceof B.Imprecise) continue;
      throw err;
    }
    last = b;
    const r = B.decide(b, rc);
    if (r) return r;
  }
  if (last === null || !B.excludesZero(last)) throw new Error('fpu: a transcendental result could not be bounded');
  const mid = B.midpoint(last);
  return roundExact(mid.sign, mid.m, mid.e, EXT64, rc);
}

/** A value as an exact ball, signed. */
function ballOf(x: F80): B.Ball {
  const { sig, e } = exactOf(x);
  return B.exact(x.sign ? -sig : sig, e);
}

const FACTORIALS: bigint[] = [1n];
function factorial(n: number): bigint {
  for (let i = FACTORIALS.length; i <= n; i++) FACTORIALS.push(FACTORIALS[i - 1] * BigInt(i));
  return FACTORIALS[n];
}

/**
 * The short path for an argument x so small that the result lies strictly
 * between x and x·(1 ∓ 2^-70) (side -1: below |x| in magnitude, +1: above).
 * Nearest rounding boundaries to a register value |x| are at least 2^-65·|x|
 * away (half its ulp, the ulp below a power of two being the smaller), so
 * every real in that open interval rounds alike: decideInterval() rounds a
 * point of it. Null if that fails to decide (not expected).
 */
function tinySide(sign: number, sig: bigint, e: number, side: -1 | 1, rc: RC): Rounded | null {
  const a = sig << 70n;
  return side < 0
    ? B.decideInterval(sign, a - sig, a, e - 70, rc, false, true)
    : B.decideInterval(sign, a, a + sig, e - 70, rc, true, false);
}

// ---------------------------------------------------------------------------
// FSIN, FCOS, FSINCOS, FPTAN

/** FSIN, FCOS: the result, and C2 (1: operand out of range, left unchanged). */
export interface TrigResult extends Result {
  readonly c2: 0 | 1;
}

/**
 * x = k·π/2 + r for |x| = sig·2^e < 2^63: r as a ball and k mod 4. Below 1/2
 * there is nothing to reduce. Otherwise k = round(|x| / (π/2)) from a ball of
 * π/2 to `bits` + 200 bits; r's radius is k < 2^62 times π/2's (a few
 * thousand units of its last bit at most), so r is known to `bits` + 70 bits
 * whenever |r| >= 2^-70, and to fewer only for arguments still closer to a
 * multiple of π/2, where the next precision helps. A ball for r that may be
 * zero throws Imprecise and the next precision is tried.
 */
function reduce(sig: bigint, e: number, bits: number): { r: B.Ball; q: number } {
  if (e + bitLength(sig) - 1 < -1) return { r: B.exact(sig, e), q: 0 };
  const halfPi = B.scale2(B.pi(bits + 200), -1);
  // e >= -64 here (|x| >= 1/2, 64-bit significand) and halfPi.e < -200: an exact shift.
  const x = sig << BigInt(e - halfPi.e);
  const k = (2n * x + halfPi.m) / (2n * halfPi.m);
  const r: B.Ball = { m: x - k * halfPi.m, r: k * halfPi.r, e: halfPi.e };
  if (!B.excludesZero(r)) throw new B.Imprecise();
  return { r: B.trim(r, bits + 16), q: Number(k & 3n) };
}

/**
 * sin r = r·Σ (-r²)^i/(2i+1)!, cos r = Σ (-r²)^i/(2i)!, for |r| <= π/4 (a
 * hair more from k's rounding): the ratios of successive terms are below
 * r²/6 < 1/2 as series() requires.
 */
function sinReduced(r: B.Ball, bits: number): B.Ball {
  const w = bits + 16;
  return B.mul(r, B.series(B.mul(r, r, w), (i) => factorial(2 * i + 1), true, w), w);
}
function cosReduced(r: B.Ball, bits: number): B.Ball {
  const w = bits + 16;
  return B.series(B.mul(r, r, w), (i) => factorial(2 * i), true, w);
}

type Trig = 'sin' | 'cos' | 'tan';

/** sin, cos or tan of ±sig·2^e, by quadrant: sin(kπ/2 + r) is sin r, cos r, -sin r, -cos r for k mod 4 = 0..3. */
function trigBall(kind: Trig, sign: number, sig: bigint, e: number, bits: number): B.Ball {
  const w = bits + 16;
  const { r, q } = reduce(sig, e, bits);
  let v: B.Ball;
  if (kind === 'tan') {
    // tan(kπ/2 + r) = tan r for k even, -cot r for k odd.
    const s = sinReduced(r, bits), c = cosReduced(r, bits);
    v = q & 1 ? B.neg(B.div(c, s, w)) : B.div(s, c, w);
  } else {
    const phase = kind === 'sin' ? q : (q + 1) & 3;   // cos x = sin(x + π/2)
    v = phase & 1 ? cosReduced(r, bits) : sinReduced(r, bits);
    if (phase >= 2) v = B.neg(v);
  }
  // sin and tan are odd, cos even.
  return sign && kind !== 'cos' ? B.neg(v) : v;
}

/**
 * One of sin, cos, tan of a finite non-zero operand below 2^63 in magnitude.
 * For |x| < 2^-40: x - sin x and tan x - x lie in (0, |x|³/2] and 1 - cos x
 * in (0, x²/2], all below 2^-80 relative, so tinySide() rounds them.
 */
function trigValue(kind: Trig, a: F80, rc: RC): Result {
  const flags = denormalFlag(a);
  const { sig, e } = exactOf(a);
  if (trueExponent(a) < -40) {
    const r = kind === 'cos' ? tinySide(0, 1n, 0, -1, rc) : tinySide(a.sign, sig, e, kind === 'sin' ? -1 : 1, rc);
    if (r) return finish(r, flags);
  }
  return finish(correctlyRounded((bits) => trigBall(kind, a.sign, sig, e, bits), rc), flags);
}

/**
 * The cases every one of FSIN, FCOS, FSINCOS, FPTAN settles first (their SDM
 * Vol. 2 tables and "FPU Flags Affected"): an unsupported encoding or ±∞ is
 * invalid (IE, the indefinite); a NaN propagates; a finite operand with
 * |x| >= 2^63 is out of range: C2 = 1 and the operand stays, with no
 * exception. Otherwise C2 = 0.
 */
function trigScreen(a: F80): TrigResult | null {
  const s = screen(a);
  if (s) return { ...s, c2: 0 };
  if (isInfinity(a)) return { ...invalid, c2: 0 };
  if (!isZero(a) && trueExponent(a) >= 63) return { value: a, flags: 0, c2: 1 };
  return null;
}

/** FSIN (SDM Vol. 2 FSIN and its table of results): ±0 gives ±0; a finite x gives a value in [-1, 1]. */
export function fsin(a: F80, rc: RC): TrigResult {
  const s = trigScreen(a);
  if (s) return s;
  if (isZero(a)) return { value: a, flags: 0, c2: 0 };
  return { ...trigValue('sin', a, rc), c2: 0 };
}

/** FCOS (SDM Vol. 2 FCOS and its table of results): ±0 gives +1. */
export function fcos(a: F80, rc: RC): TrigResult {
  const s = trigScreen(a);
  if (s) return s;
  if (isZero(a)) return { value: ONE, flags: 0, c2: 0 };
  return { ...trigValue('cos', a, rc), c2: 0 };
}

/**
 * FSINCOS (SDM Vol. 2 FSINCOS): ST(0) := sin, then push cos, so afterwards
 * ST(1) holds `sin` and ST(0) `cos`. With C2 = 1 nothing is pushed: `cos` is
 * null and `sin` the operand, unchanged. An invalid operand or a NaN gives
 * the NaN in both (as Bochs). `flags` is both results' flags ORed (C1 thus
 * says either was rounded up; the SDM does not say which C1 the hardware
 * reports); each one's own flags are kept too.
 */
export interface SinCosResult {
  readonly sin: F80;
  readonly cos: F80 | null;
  readonly flags: number;
  readonly sinFlags: number;
  readonly cosFlags: number;
  readonly c2: 0 | 1;
}

export function fsincos(a: F80, rc: RC): SinCosResult {
  const s = trigScreen(a);
  if (s) {
    if (s.c2) return { sin: a, cos: null, flags: 0, sinFlags: 0, cosFlags: 0, c2: 1 };
    return { sin: s.value, cos: s.value, flags: s.flags, sinFlags: s.flags, cosFlags: s.flags, c2: 0 };
  }
  if (isZero(a)) return { sin: a, cos: ONE, flags: 0, sinFlags: 0, cosFlags: 0, c2: 0 };
  const sn = trigValue('sin', a, rc), cs = trigValue('cos', a, rc);
  return { sin: sn.value, cos: cs.value, flags: sn.flags | cs.flags, sinFlags: sn.flags, cosFlags: cs.flags, c2: 0 };
}

/**
 * FPTAN (SDM Vol. 2 FPTAN): ST(0) := tan ST(0), then push 1.0, so afterwards
 * ST(1) holds `value` and ST(0) `pushed`. ±0 gives ±0. With C2 = 1 nothing is
 * pushed (`pushed` null, `value` the operand unchanged). For an invalid
 * operand or a NaN the pushed value is that NaN as well (as Bochs).
 */
export interface TanResult extends TrigResult {
  readonly pushed: F80 | null;
}

export function fptan(a: F80, rc: RC): TanResult {
  const s = trigScreen(a);
  if (s) return { ...s, pushed: s.c2 ? null : s.value };
  if (isZero(a)) return { value: a, flags: 0, c2: 0, pushed: ONE };
  return { ...trigValue('tan', a, rc), c2: 0, pushed: ONE };
}

// ---------------------------------------------------------------------------
// FPATAN

/**
 * atan z for a ball 0 < z <= 1: halved by atan z = 2·atan(z / (1 + sqrt(1 +
 * z²))) until z < 1/16 (four times at most), then z·Σ (-z²)^i/(2i+1), whose
 * ratios are below z² < 2^-8.
 */
function atanUnit(z: B.Ball, bits: number): B.Ball {
  const w = bits + 16;
  const one = B.exact(1n);
  let halvings = 0;
  while (B.top(z) > -4) {
    const root = B.sqrt(B.add(one, B.mul(z, z, w), w), w);
    z = B.div(z, B.add(one, root, w), w);
    halvings++;
  }
  const s = B.series(B.mul(z, z, w), (i) => BigInt(2 * i + 1), true, w);
  return B.scale2(B.mul(z, s, w), halvings);
}

/** ±(num/2^k)·π correctly rounded: the FPATAN results of its infinite and zero operands. */
function piMultiple(sign: number, num: bigint, k: number, rc: RC, flags: number): Result {
  const r = correctlyRounded((bits) => {
    const v = B.scale2(B.mul(B.pi(bits + 8), B.exact(num), bits + 16), -k);
    return sign ? B.neg(v) : v;
  }, rc);
  return finish(r, flags);
}

/** Compare |a| with |b|, both finite non-zero: -1, 0, 1. */
function cmpMagnitude(a: F80, b: F80): number {
  const ea = trueExponent(a), eb = trueExponent(b);
  if (ea !== eb) return ea < eb ? -1 : 1;
  const x = exactOf(a), y = exactOf(b);
  // Same leading exponent: align the significands on it.
  const xs = x.sig << BigInt(64 - bitLength(x.sig)), ys = y.sig << BigInt(64 - bitLength(y.sig));
  return xs === ys ? 0 : xs < ys ? -1 : 1;
}

/**
 * FPATAN (SDM Vol. 2 FPATAN, Table 3-30): the angle of the point (X, Y) =
 * (ST(0), ST(1)), in (-π, π], with the sign of ST(1); the x87 stores it in
 * ST(1) and pops. The table's infinite and zero cases, computed "from a
 * standard mathematical formulation generalized to complex numbers" rather
 * than by division, so 0/0 and ∞/∞ are not invalid here:
 *
 *   Y = ±∞:  X = -∞: ±3π/4; X = +∞: ±π/4; X finite: ±π/2
 *   X = -∞ (Y finite): ±π;   X = +∞: ±0
 *   Y = ±0:  X = -0 or -F: ±π;   X = +0 or +F: ±0
 *   X = ±0 (Y finite non-zero): ±π/2
 *
 * Finite non-zero operands: with z = |Y|/|X|, the result is atan z (X > 0)
 * or π - atan z (X < 0) when |Y| <= |X|, and π/2 ∓ atan(|X|/|Y|) otherwise.
 * When X > 0 and z < 2^-100, atan z lies in (z·(1 - 2^-200), z), and z, a
 * quotient of two 64-bit significands, is either a register value or a
 * rational at least 2^-130·z from every rounding boundary: the quotient
 * taken to 320 bits decides the rounding (tiny results, and underflow).
 */
export function fpatan(st0: F80, st1: F80, rc: RC): Result {
  const s = screen(st0, st1);
  if (s) return s;
  const flags = denormalFlag(st0, st1);
  const ys = st1.sign;
  if (isInfinity(st1)) {
    if (isInfinity(st0)) return st0.sign ? piMultiple(ys, 3n, 2, rc, flags) : piMultiple(ys, 1n, 2, rc, flags);
    return piMultiple(ys, 1n, 1, rc, flags);
  }
  if (isInfinity(st0)) return st0.sign ? piMultiple(ys, 1n, 0, rc, flags) : { value: zero(ys), flags };
  if (isZero(st1)) return st0.sign ? piMultiple(ys, 1n, 0, rc, flags) : { value: zero(ys), flags };
  if (isZero(st0)) return piMultiple(ys, 1n, 1, rc, flags);

  const c = cmpMagnitude(st1, st0);
  if (!st0.sign && trueExponent(st1) - trueExponent(st0) < -101) {
    const x = exactOf(st0), y = exactOf(st1);
    const xs = x.sig << BigInt(64 - bitLength(x.sig)), xe = x.e - (64 - bitLength(x.sig));
    const yn = y.sig << 320n;
    const q = yn / xs;
    const exactQ = q * xs === yn;
    const lo = q - (q >> 200n) - 1n;
    const r = B.decideInterval(ys, lo, exactQ ? q : q + 1n, y.e - 320 - xe, rc, false, exactQ);
    if (r) return finish(r, flags);
  }
  const X = ballOf(makeF80(0, st0.exp, st0.sig)), Y = ballOf(makeF80(0, st1.exp, st1.sig));
  const r = correctlyRounded((bits) => {
    const w = bits + 16;
    let v: B.Ball;
    if (c <= 0) {
      const a = atanUnit(B.div(Y, X, w), bits);
      v = st0.sign ? B.sub(B.pi(w), a, w) : a;
    } else {
      const a = atanUnit(B.div(X, Y, w), bits);
      const halfPi = B.scale2(B.pi(w), -1);
      v = st0.sign ? B.add(halfPi, a, w) : B.sub(halfPi, a, w);
    }
    return ys ? B.neg(v) : v;
  }, rc);
  return finish(r, flags);
}

// ---------------------------------------------------------------------------
// F2XM1

/**
 * F2XM1 (SDM Vol. 2 F2XM1, Table 3-16): 2^x - 1 for -1 <= x <= +1; ±0 give
 * ±0; x = +1 gives +1 and x = -1 gives -0.5, exactly.
 *
 * "If the source value is outside this range, the result is undefined."
 * Here, as in QEMU (target/i386 helper_f2xm1: "Out of range for the
 * instruction, treat as invalid"), an operand outside [-1, +1], infinities
 * included, is an invalid operation: IE and the indefinite. This project
 * checks its CPU against QEMU in lockstep, and a program that strays out of
 * range is better told so than handed a plausible number.
 *
 * Otherwise 2^x - 1 = expm1(y), y = x·ln 2, |y| <= ln 2, as y·Σ y^i/(i+1)!
 * (ratios |y|/(i+2) < 1/4): relative accuracy for tiny x too, whose results
 * (≈ x·ln 2) may be denormal, with UE.
 */
export function f2xm1(a: F80, rc: RC): Result {
  const s = screen(a);
  if (s) return s;
  if (isInfinity(a)) return invalid;
  if (isZero(a)) return { value: a, flags: 0 };
  const ex = trueExponent(a);
  const unit = a.exp === EXP_BIAS && a.sig === J_BIT;
  if (ex > 0 || (ex === 0 && !unit)) return invalid;
  if (unit) return { value: a.sign ? makeF80(1, EXP_BIAS - 1, J_BIT) : a, flags: 0 };
  const flags = denormalFlag(a);
  const x = ballOf(a);
  const r = correctlyRounded((bits) => {
    const w = bits + 16;
    const y = B.mul(x, B.ln2(w), w);
    return B.mul(y, B.series(y, (i) => factorial(i + 1), false, w), w);
  }, rc);
  return finish(r, flags);
}

// ---------------------------------------------------------------------------
// FYL2X, FYL2XP1

/**
 * log2(n·2^e) for an integer n > 0 that is not a power of two. With n =
 * m·2^b, m in (√2/2, √2]: log2 = b + e + ln(m)/ln 2, and ln m = 2·atanh s,
 * s = (m - 1)/(m + 1) = (n - 2^b)/(n + 2^b), |s| <= 3 - 2√2 < 0.172, by
 * 2s·Σ s^(2i)/(2i+1) (ratios below s² < 0.03). s comes from exact integers,
 * so a logarithm near 0 keeps its relative accuracy.
 */
function log2Ball(n: bigint, e: number, bits: number): B.Ball {
  const w = bits + 16;
  let b = bitLength(n) - 1;
  if (n * n > 1n << BigInt(2 * b + 1)) b++;
  const d = 1n << BigInt(b);
  const s = B.div(B.exact(n - d), B.exact(n + d), w);
  const h = B.series(B.mul(s, s, w), (i) => BigInt(2 * i + 1), false, w);
  const l = B.div(B.scale2(B.mul(s, h, w), 1), B.ln2(w), w);
  const whole = b + e;
  return whole === 0 ? l : B.add(B.exact(BigInt(whole)), l, w);
}

/**
 * FYL2X (SDM Vol. 2 FYL2X, Table 3-48): ST(1) · log2 ST(0), stored in ST(1)
 * with a pop. The table:
 *
 *   ST(0) < 0 (-F, -∞): invalid
 *   ST(0) = ±0:  ST(1) = ±0 invalid; ST(1) = ±F: ∓∞ with ZE (a zero divide);
 *                ST(1) = ±∞: ∓∞
 *   0 < ST(0) < 1: the sign flips (∓F, ∓0, ∓∞)
 *   ST(0) = 1:   ST(1) = ±∞ invalid; else ±0 (the sign of ST(1))
 *   ST(0) > 1:   the sign stays (±F, ±0, ±∞)
 *   ST(0) = +∞:  ST(1) = ±0 invalid; else ±∞
 *
 * A power of two 2^k gives k·ST(1) exactly, then rounded (it may need more
 * than 64 bits, or overflow); any other ST(0) gives an irrational logarithm.
 */
export function fyl2x(st0: F80, st1: F80, rc: RC): Result {
  const s = screen(st0, st1);
  if (s) return s;
  if (st0.sign === 1 && !isZero(st0)) return invalid;
  const flags = denormalFlag(st0, st1);
  const y = st1;
  if (isZero(st0)) {
    if (isZero(y)) return invalid;
    return { value: infinity(y.sign ^ 1), flags: isInfinity(y) ? flags : flags | ZE };
  }
  if (isInfinity(st0)) return isZero(y) ? invalid : { value: infinity(y.sign), flags };
  const x = exactOf(st0);
  const k = x.e + bitLength(x.sig) - 1;
  const powerOfTwo = (x.sig & (x.sig - 1n)) === 0n;
  if (powerOfTwo && k === 0) return isInfinity(y) ? invalid : { value: zero(y.sign), flags };
  const below1 = k < 0 ? 1 : 0;   // 0 < ST(0) < 1: the logarithm is negative
  if (isInfinity(y)) return { value: infinity(y.sign ^ below1), flags };
  if (isZero(y)) return { value: zero(y.sign ^ below1), flags };
  const yv = exactOf(y);
  if (powerOfTwo) {
    return finish(roundExact(y.sign ^ below1, yv.sig * BigInt(Math.abs(k)), yv.e, EXT64, rc), flags);
  }
  const yb = ballOf(y);
  return finish(correctlyRounded((bits) => B.mul(yb, log2Ball(x.sig, x.e, bits), bits + 16), rc), flags);
}

/**
 * Whether FYL2XP1's operand is in range. The SDM Vol. 2 FYL2XP1 range is
 * |x| < 1 - √2/2; outside it "the result is undefined and software should
 * not rely on an exception being generated. Under some circumstances
 * exceptions may be generated ... implementation specific". AMD's
 * manuals allow √2/2 - 1 <= x <= √2 - 1, and QEMU (target/i386
 * helper_fyl2xp1) takes AMD's range, treating anything outside, infinities
 * included, as invalid. So does this: in range means √2/2 <= 1 + x <= √2,
 * i.e. 1/2 <= (1 + x)² <= 2, checked exactly (it accepts exactly the
 * register values QEMU's bounds 0x3ffd:95f619980c4336f7 and
 * 0x3ffd:d413cccfe7799211 accept: those are the largest values inside).
 */
function inFyl2xp1Range(x: F80): boolean {
  if (isInfinity(x)) return false;
  if (isZero(x)) return true;
  const ex = trueExponent(x);
  if (ex <= -3) return true;    // |x| < 1/4
  if (ex >= -1) return false;   // |x| >= 1/2 > √2 - 1
  // 1/4 <= |x| < 1/2: a normal value, x = sig·2^-65 and 1 + x = n·2^-65.
  const n = (1n << 65n) + (x.sign ? -x.sig : x.sig);
  const sq = n * n;
  return sq >= 1n << 129n && sq <= 1n << 131n;
}

/**
 * FYL2XP1 (SDM Vol. 2 FYL2XP1, Table 3-49): ST(1) · log2(ST(0) + 1), stored
 * in ST(1) with a pop, for ST(0) in range (inFyl2xp1Range; out of range:
 * invalid). The table: the result's sign is the product of the operands'
 * signs; ST(0) = ±0 with ST(1) = ±∞ is invalid; otherwise a zero operand
 * gives a zero and an infinite ST(1) an infinity. 1 + ST(0) is formed
 * exactly, so tiny ST(0) keeps every bit (log2(1 + x) ≈ x/ln 2: tiny results,
 * UE).
 */
export function fyl2xp1(st0: F80, st1: F80, rc: RC): Result {
  const s = screen(st0, st1);
  if (s) return s;
  if (!inFyl2xp1Range(st0)) return invalid;
  const flags = denormalFlag(st0, st1);
  const sign = st0.sign ^ st1.sign;
  if (isZero(st0)) return isInfinity(st1) ? invalid : { value: zero(sign), flags };
  if (isInfinity(st1)) return { value: infinity(sign), flags };
  if (isZero(st1)) return { value: zero(sign), flags };
  const x = exactOf(st0);
  // |x| < 1/2, so x.e < 0: 1 + x = (2^-e ± sig)·2^e, never a power of two for x ≠ 0 in range.
  const n = (1n << BigInt(-x.e)) + (st0.sign ? -x.sig : x.sig);
  const yb = ballOf(st1);
  return finish(correctlyRounded((bits) => B.mul(yb, log2Ball(n, x.e, bits), bits + 16), rc), flags);
}
