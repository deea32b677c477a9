/**
 * Ball arithmetic on BigInts, the engine of the transcendental instructions
 * (transcendental.ts).
 *
 * A Ball {m, r, e} stands for every real number in [(m - r)·2^e, (m + r)·2^e]:
 * a midpoint and a radius, the scheme of Arb (F. Johansson, "Arb: efficient
 * arbitrary-precision midpoint-radius interval arithmetic", IEEE Trans.
 * Computers 66(8), 2017). Every operation below returns a ball holding every
 * result of the operation on the reals of its operand balls, so a computed
 * ball is a proof of where the true value lies. When both ends of it round
 * to the same register value with the same flags, that value is the
 * correctly rounded result (decide()); when they do not, the caller computes
 * again with more bits (Ziv's strategy: A. Ziv, "Fast evaluation of
 * elementary mathematical functions with correctly rounded last bit", ACM
 * TOMS 17(3), 1991).
 *
 * `bits` arguments bound the size of a midpoint: what falls below goes into
 * the radius, so the cost stays that of `bits`-bit numbers.
 */
import { type RC, PE, bitLength, isqrt } from './float80';
import { type Rounded, EXT64, roundExact } from './round';

export interface Ball {
  readonly m: bigint;
  /** The radius, >= 0, in units of 2^e. */
  readonly r: bigint;
  readonly e: number;
}

/**
 * Thrown when a ball is too wide for an operation: a divisor that may be
 * zero, a square root of a ball that may reach zero. The caller computes
 * again at a higher precision, where the ball is narrower.
 */
export class Imprecise extends Error {
  constructor() { super('ball too wide at this precision'); }
}

export const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** The exact number m·2^e. */
export function exact(m: bigint, e = 0): Ball { return { m, r: 0n, e }; }

/** A strict bound on magnitudes: every |v| in the ball is below 2^top(b). */
export function top(b: Ball): number { return b.e + bitLength(abs(b.m) + b.r); }

/** True when every number in the ball has the midpoint's sign and none is zero. */
export function excludesZero(b: Ball): boolean { return abs(b.m) > b.r; }

/**
 * The ball rewritten at a coarser exponent E > b.e: the midpoint loses its
 * low bits (floor), the radius covers them. With m = M·2^s + f, 0 <= f < 2^s,
 * v/2^s lies within M - (r/2^s) and M + 1 + r/2^s, so r' = floor(r/2^s) + 2.
 */
function coarsen(b: Ball, e: number): Ball {
  const s = BigInt(e - b.e);
  const m = b.m >> s;
  if (b.r === 0n && m << s === b.m) return { m, r: 0n, e };   // nothing lost
  return { m, r: (b.r >> s) + 2n, e };
}

/** The ball at exponent e: exact when e <= b.e, coarsened when above. */
function at(b: Ball, e: number): Ball {
  if (e === b.e) return b;
  if (e > b.e) return coarsen(b, e);
  const s = BigInt(b.e - e);
  return { m: b.m << s, r: b.r << s, e };
}

/** At most `bits` bits in the midpoint (and the radius). */
export function trim(b: Ball, bits: number): Ball {
  const n = Math.max(bitLength(abs(b.m)), bitLength(b.r));
  return n > bits ? coarsen(b, b.e + n - bits) : b;
}

export function neg(b: Ball): Ball { return { m: -b.m, r: b.r, e: b.e }; }

/** b·2^k, exact. */
export function scale2(b: Ball, k: number): Ball { return { m: b.m, r: b.r, e: b.e + k }; }

/**
 * a + b, computed at the finer of the two exponents but never more than
 * `bits` + 4 bits below the larger operand's magnitude: a much smaller
 * operand then joins the radius instead of widening the midpoint.
 */
export function add(a: Ball, b: Ball, bits: number): Ball {
  const e = Math.max(Math.min(a.e, b.e), Math.max(top(a), top(b)) - bits - 4);
  const x = at(a, e), y = at(b, e);
  return { m: x.m + y.m, r: x.r + y.r, e };
}

export function sub(a: Ball, b: Ball, bits: number): Ball { return add(a, neg(b), bits); }

/** a·b: (x + δ)(y + ε) - xy = xε + yδ + δε, so r = |x|·rb + |y|·ra + ra·rb. */
export function mul(a: Ball, b: Ball, bits: number): Ball {
  const r = abs(a.m) * b.r + abs(b.m) * a.r + a.r * b.r;
  return trim({ m: a.m * b.m, r, e: a.e + b.e }, bits);
}

/**
 * a / b for a divisor ball away from zero. The midpoint quotient is
 * truncated (off by less than one unit); the operands' radii move it by at
 * most (|x|·rb + |y|·ra) / (|y|·(|y| - rb)), from
 * (x + δ)/(y + ε) - x/y = (δy - xε) / (y(y + ε)).
 */
export function div(a: Ball, b: Ball, bits: number): Ball {
  const bm = abs(b.m), am = abs(a.m);
  if (bm <= b.r) throw new Imprecise();
  const s = Math.max(0, bits + 2 + bitLength(bm) - bitLength(am));
  const S = BigInt(s);
  const q = (a.m << S) / b.m;
  const num = (am * b.r + bm * a.r) << S;
  const den = bm * (bm - b.r);
  return trim({ m: q, r: num / den + 2n, e: a.e - b.e - s }, bits);
}

/**
 * sqrt(a) for a ball of positive numbers. Scaled so the midpoint M has
 * 2·bits bits or more and an even exponent, the root's midpoint is
 * isqrt(M) (off by less than one unit) and the radius R moves the root by at
 * most R / (sqrt(M - R) + sqrt(M)) <= R / (2·isqrt(M - R)).
 */
export function sqrt(a: Ball, bits: number): Ball {
  if (a.m - a.r <= 0n) throw new Imprecise();
  let s = Math.max(0, 2 * bits + 4 - bitLength(a.m));
  if ((a.e - s) & 1) s++;
  const S = BigInt(s);
  const M = a.m << S, R = a.r << S;
  const r = R === 0n ? 1n : R / (2n * isqrt(M - R)) + 2n;
  return trim({ m: isqrt(M), r, e: (a.e - s) / 2 }, bits);
}

function sameRounded(x: Rounded, y: Rounded): boolean {
  return x.sign === y.sign && x.inf === y.inf && x.m === y.m && x.q === y.q && x.flags === y.flags;
}

/**
 * The correctly rounded register value (64-bit significand, the extended
 * exponent range; RC) of a real known to lie in [lo·2^e, hi·2^e], 0 < lo <=
 * hi, with the given sign; an open end (loOpen, hiOpen) excludes that end
 * point. Null when the interval is too wide to tell.
 *
 * The rounding boundaries (grid points, and midpoints between them for
 * round-to-nearest; with 'after' tininess and overflow, the same points of
 * the unbounded grid) near a value with leading bit 2^E are multiples of
 * 2^(E-64) or coarser. Scaling lo and hi by 2^k with k >= 66 - bits(lo|hi)
 * puts 2^(e-k) below that spacing, so lo·2^k + 1 and hi·2^k - 1 (the points
 * just inside an open end) lie on no boundary and have none between them and
 * the end. Rounding is monotonic: if the two representatives round to the
 * same value with the same flags, PE included (so neither is on a grid
 * point), no boundary lies between them and every real of the interval rounds
 * alike, with the same C1, UE and OE.
 */
export function decideInterval(sign: number, lo: bigint, hi: bigint, e: number, rc: RC, loOpen = false, hiOpen = false): Rounded | null {
  if (lo <= 0n || hi < lo) return null;
  if (lo === hi && !loOpen && !hiOpen) return roundExact(sign, lo, e, EXT64, rc);
  const k = Math.max(2, 66 - bitLength(lo));
  const K = BigInt(k);
  const L = (lo << K) + (loOpen ? 1n : 0n), H = (hi << K) - (hiOpen ? 1n : 0n);
  const a = roundExact(sign, L, e - k, EXT64, rc);
  if (!(a.flags & PE)) return null;
  const b = roundExact(sign, H, e - k, EXT64, rc);
  return sameRounded(a, b) ? a : null;
}

/** decideInterval() of a ball that excludes zero. */
export function decide(b: Ball, rc: RC): Rounded | null {
  if (!excludesZero(b)) return null;
  const m = abs(b.m);
  return decideInterval(b.m < 0n ? 1 : 0, m - b.r, m + b.r, b.e, rc);
}

/**
 * Σ_{i>=0} σ^i·u^i / d(i), d(0) = 1 (σ = -1 when `alternate`), to an
 * absolute error below 2^-bits, for the series of the callers: sin, cos,
 * atan, atanh and expm1 at arguments where every ratio |term(i+1)/term(i)|
 * is at most 1/2 from i = 1 on. It stops at the first term below
 * 2^-(bits+8); that term and all after it sum to less than twice its bound,
 * which goes into the radius.
 */
export function series(u: Ball, d: (i: number) => bigint, alternate: boolean, bits: number): Ball {
  const w = bits + 16;
  // The sum is near 1: held at a fixed exponent of -w, where the tail's bound fits.
  let sum = exact(1n << BigInt(w), -w);
  let power = exact(1n);
  for (let i = 1; ; i++) {
    power = mul(power, u, w);
    let term = div(power, exact(d(i)), w);
    const t = top(term);
    if (t < -(bits + 8)) {
      // |tail| < 2·2^t: add 2^(t+1) to the radius, at the sum's exponent.
      const tail = t + 1 - sum.e;
      return { m: sum.m, r: sum.r + (tail >= 0 ? 1n << BigInt(tail) : 1n), e: sum.e };
    }
    if (alternate && (i & 1)) term = neg(term);
    sum = add(sum, term, w);
  }
}

/** A ball's midpoint as sign and magnitude: the last resort when no precision decides a rounding. */
export function midpoint(b: Ball): { sign: number; m: bigint; e: number } {
  return { sign: b.m < 0n ? 1 : 0, m: abs(b.m), e: b.e };
}

// ---------------------------------------------------------------------------
// Constants, computed (not written out) and cached per precision.

/**
 * atan(1/n)·2^w by Gregory's series Σ (-1)^k / ((2k+1)·n^(2k+1)), each term
 * floored (floor(floor(x)/j) = floor(x/j), so a term is off by less than
 * one unit). The series stops when 2^w / n^(2k+1) < 1: the omitted tail,
 * alternating and decreasing, is below one unit.
 */
function atanInverse(n: bigint, w: number): { v: bigint; err: bigint } {
  let p = (1n << BigInt(w)) / n;
  const n2 = n * n;
  let v = 0n, k = 0n;
  while (p !== 0n) {
    const t = p / (2n * k + 1n);
    v += k & 1n ? -t : t;
    p /= n2;
    k++;
  }
  return { v, err: k + 1n };
}

const PI_CACHE = new Map<number, Ball>();
const LN2_CACHE = new Map<number, Ball>();

/**
 * π to at least `bits` bits, by Machin's formula (J. Machin, 1706):
 * π = 16·atan(1/5) - 4·atan(1/239).
 */
export function pi(bits: number): Ball {
  const w = bits + 16;
  let b = PI_CACHE.get(w);
  if (!b) {
    const a5 = atanInverse(5n, w), a239 = atanInverse(239n, w);
    b = { m: 16n * a5.v - 4n * a239.v, r: 16n * a5.err + 4n * a239.err, e: -w };
    PI_CACHE.set(w, b);
  }
  return b;
}

/**
 * ln 2 to at least `bits` bits: ln 2 = 2·atanh(1/3) = Σ 2 / ((2k+1)·3^(2k+1)).
 * Terms floored as in atanInverse; the tail after 2^w / 3^(2k+1) < 1 is
 * below Σ 9^-i < 1.2 units.
 */
export function ln2(bits: number): Ball {
  const w = bits + 16;
  let b = LN2_CACHE.get(w);
  if (!b) {
    let p = (1n << BigInt(w)) / 3n;
    let v = 0n, k = 0n;
    while (p !== 0n) { v += p / (2n * k + 1n); p /= 9n; k++; }
    b = { m: 2n * v, r: 2n * (k + 2n), e: -w };
    LN2_CACHE.set(w, b);
  }
  return b;
}
