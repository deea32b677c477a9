/**
 * Test-only: an independent high-precision reference for the transcendental
 * tests. It shares no code with ball.ts or transcendental.ts, and takes other
 * roads where it can:
 *
 *  - plain interval arithmetic on fixed-point BigInts (every lower end
 *    rounded down, every upper end up), not midpoint-radius balls;
 *  - π by Hutton's formula π = 8·atan(1/3) + 4·atan(1/7) (the module uses
 *    Machin's), checked in the tests against 576 bits of π's hexadecimal
 *    expansion as Blowfish's P-array spells them;
 *  - ln 2 = Σ 1/(k·2^k) (the module: 2·atanh(1/3)), checked against 128
 *    bits (QEMU's ln2_sig_high/low);
 *  - sin and cos by their Taylor series after reduction modulo 2π (the
 *    module reduces modulo π/2), with Lagrange's remainder bound;
 *  - atan by Euler's series atan v = Σ 2^(2n)(n!)²/(2n+1)! ·
 *    v^(2n+1)/(1+v²)^(n+1), after atan z = π/4 + atan((z-1)/(z+1)) (the
 *    module: argument halving and Gregory's series);
 *  - log2 bit by bit by repeated squaring (the module: the atanh series),
 *    and ln(1+x) = Σ (-1)^(k+1) x^k/k for tiny x;
 *  - 2^x - 1 by the exponential series of x·ln 2 (the same series as the
 *    module's, with this file's own ln 2 and arithmetic).
 *
 * Each function returns a closed interval [lo, hi] of exact rationals that
 * holds the true value. Tiny arguments use a scale that grows with their
 * smallness, so the interval resolves even the terms that decide how a
 * result a hair from its argument rounds.
 */
import { type Q, qAdd, qSub, qMul, qDiv, qCmp } from './test-reference';

/** A closed interval of rationals. */
export type QI = [Q, Q];

/** An interval at a fixed scale 2^-w: the reals in [lo, hi]·2^-w. */
interface Iv { lo: bigint; hi: bigint }

const floorDiv = (a: bigint, b: bigint): bigint => {
  if (b < 0n) { a = -a; b = -b; }
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
};
const ceilDiv = (a: bigint, b: bigint): bigint => -floorDiv(-a, b);
const babs = (v: bigint): bigint => (v < 0n ? -v : v);
const minOf = (xs: bigint[]): bigint => xs.reduce((a, b) => (b < a ? b : a));
const maxOf = (xs: bigint[]): bigint => xs.reduce((a, b) => (b > a ? b : a));

/** Fixed-point interval arithmetic at scale 2^-w. */
class Fx {
  readonly one: bigint;
  constructor(readonly w: number) { this.one = 1n << BigInt(w); }
  /** The rational n/d. */
  q(n: bigint, d = 1n): Iv {
    const N = n << BigInt(this.w);
    return { lo: floorDiv(N, d), hi: ceilDiv(N, d) };
  }
  fromQI([a, b]: QI): Iv { return { lo: floorDiv(a.n << BigInt(this.w), a.d), hi: ceilDiv(b.n << BigInt(this.w), b.d) }; }
  toQI(a: Iv): QI { return [{ n: a.lo, d: this.one }, { n: a.hi, d: this.one }]; }
  add(a: Iv, b: Iv): Iv { return { lo: a.lo + b.lo, hi: a.hi + b.hi }; }
  sub(a: Iv, b: Iv): Iv { return { lo: a.lo - b.hi, hi: a.hi - b.lo }; }
  mul(a: Iv, b: Iv): Iv {
    const p = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi];
    return { lo: floorDiv(minOf(p), this.one), hi: ceilDiv(maxOf(p), this.one) };
  }
  div(a: Iv, b: Iv): Iv {
    if (b.lo <= 0n && b.hi >= 0n) throw new Error('reference: divisor interval holds 0');
    const xs = [a.lo, a.hi], ys = [b.lo, b.hi];
    const lows: bigint[] = [], highs: bigint[] = [];
    for (const x of xs) for (const y of ys) { lows.push(floorDiv(x * this.one, y)); highs.push(ceilDiv(x * this.one, y)); }
    return { lo: minOf(lows), hi: maxOf(highs) };
  }
  mulInt(a: Iv, k: bigint): Iv { return { lo: a.lo * k, hi: a.hi * k }; }
  divInt(a: Iv, k: bigint): Iv { return { lo: floorDiv(a.lo, k), hi: ceilDiv(a.hi, k) }; }
  neg(a: Iv): Iv { return { lo: -a.hi, hi: -a.lo }; }
  mag(a: Iv): bigint { return maxOf([babs(a.lo), babs(a.hi)]); }
  widen(a: Iv, r: bigint): Iv { return { lo: a.lo - r, hi: a.hi + r }; }
}

// Rational intervals.
const qiExact = (q: Q): QI => [q, q];
export const qiAdd = (a: QI, b: QI): QI => [qAdd(a[0], b[0]), qAdd(a[1], b[1])];
export const qiSub = (a: QI, b: QI): QI => [qSub(a[0], b[1]), qSub(a[1], b[0])];
export const qiNeg = (a: QI): QI => [{ n: -a[1].n, d: a[1].d }, { n: -a[0].n, d: a[0].d }];
function qiMul(a: QI, b: QI): QI {
  const p = [qMul(a[0], b[0]), qMul(a[0], b[1]), qMul(a[1], b[0]), qMul(a[1], b[1])];
  let lo = p[0], hi = p[0];
  for (const x of p) { if (qCmp(x, lo) < 0) lo = x; if (qCmp(x, hi) > 0) hi = x; }
  return [lo, hi];
}
function qiDiv(a: QI, b: QI): QI {
  if (b[0].n <= 0n && b[1].n >= 0n) throw new Error('reference: divisor interval holds 0');
  const p = [qDiv(a[0], b[0]), qDiv(a[0], b[1]), qDiv(a[1], b[0]), qDiv(a[1], b[1])];
  let lo = p[0], hi = p[0];
  for (const x of p) { if (qCmp(x, lo) < 0) lo = x; if (qCmp(x, hi) > 0) hi = x; }
  return [lo, hi];
}

/** An exact value m·2^e as a rational. */
export const qExact = (m: bigint, e: number): Q => (e >= 0 ? { n: m << BigInt(e), d: 1n } : { n: m, d: 1n << BigInt(-e) });

/** floor(log2 |q|), roughly (within one): enough to pick scales. */
function roughLog2(q: Q): number {
  return babs(q.n).toString(2).length - babs(q.d).toString(2).length;
}

// ---------------------------------------------------------------------------
// Constants

/** atan(1/n) by Gregory's series; the alternating tail is below its first term. */
function atanInverse(fx: Fx, n: bigint): Iv {
  let sum: Iv = { lo: 0n, hi: 0n };
  let pow = n;
  for (let k = 0n; ; k++) {
    const t = fx.q(1n, pow * (2n * k + 1n));
    if (t.lo === 0n) return fx.widen(sum, t.hi);
    sum = k & 1n ? fx.sub(sum, t) : fx.add(sum, t);
    pow *= n * n;
  }
}

const piCache = new Map<number, Iv>();
/** π at scale 2^-w by Hutton's formula π = 8·atan(1/3) + 4·atan(1/7). */
export function refPiIv(w: number): Iv {
  let v = piCache.get(w);
  if (!v) {
    const fx = new Fx(w);
    v = fx.add(fx.mulInt(atanInverse(fx, 3n), 8n), fx.mulInt(atanInverse(fx, 7n), 4n));
    piCache.set(w, v);
  }
  return v;
}
export function refPi(w = 400): QI { return new Fx(w).toQI(refPiIv(w)); }

const ln2Cache = new Map<number, Iv>();
/** ln 2 = Σ_{k>=1} 1/(k·2^k); the tail after the terms below one unit is under two units. */
export function refLn2Iv(w: number): Iv {
  let v = ln2Cache.get(w);
  if (!v) {
    const fx = new Fx(w);
    let sum: Iv = { lo: 0n, hi: 0n };
    for (let k = 1n; ; k++) {
      const t = fx.q(1n, k << k);
      if (t.lo === 0n) { v = fx.widen(sum, 2n); break; }
      sum = fx.add(sum, t);
    }
    ln2Cache.set(w, v);
  }
  return v;
}
export function refLn2(w = 400): QI { return new Fx(w).toQI(refLn2Iv(w)); }

// ---------------------------------------------------------------------------
// sin, cos, tan

/**
 * Σ_j (-1)^j t^(2j+start)/(2j+start)! (start 1: sin, 0: cos) for an interval
 * t, with Lagrange's bound: the remainder after the terms summed is at most
 * the first term left out, in magnitude, for every t.
 */
function taylorSinCos(fx: Fx, t: Iv, start: 0 | 1): Iv {
  const t2 = fx.mul(t, t);
  let term = start ? t : fx.q(1n);
  let sum: Iv = { lo: 0n, hi: 0n };
  for (let j = 1; ; j++) {
    if (fx.mag(term) <= 1n) return fx.widen(sum, 1n);
    sum = j & 1 ? fx.add(sum, term) : fx.sub(sum, term);
    const a = BigInt(2 * j - 1 + start), b = BigInt(2 * j + start);
    term = fx.divInt(fx.mul(term, t2), a * b);
  }
}

/**
 * sin and cos of the exact value sign·sig·2^e, |x| < 2^63. Tiny x (below
 * 2^-20): sin x / x and cos x by their series in u = x² at a scale of
 * 320 + 2·|log2 x| bits. Otherwise x - k·2π at 400 + 80 bits, then Taylor.
 */
export function refSinCos(sign: number, sig: bigint, e: number): { sin: QI; cos: QI } {
  const x = qExact(sign ? -sig : sig, e);
  const ex = e + sig.toString(2).length - 1;
  if (ex < -20) {
    const fx = new Fx(320 + 2 * -ex);
    const u = fx.q(...qParts(qMul(x, x)));
    // sin x / x = Σ (-u)^j/(2j+1)!, cos x = Σ (-u)^j/(2j)!: alternating, decreasing.
    const series = (start: 0 | 1): Iv => {
      let term = fx.q(1n), sum: Iv = { lo: 0n, hi: 0n };
      for (let j = 1; ; j++) {
        if (fx.mag(term) <= 1n) return fx.widen(sum, 1n);
        sum = j & 1 ? fx.add(sum, term) : fx.sub(sum, term);
        term = fx.divInt(fx.mul(term, u), BigInt((2 * j - 1 + start) * (2 * j + start)));
      }
    };
    return { sin: qiMul(qiExact(x), fx.toQI(series(1))), cos: fx.toQI(series(0)) };
  }
  const w = 400, wp = w + 80;
  const fp = new Fx(wp);
  const twoPi = fp.mulInt(refPiIv(wp), 2n);
  let t: Iv = fp.q(...qParts(x));
  if (ex >= 2) {
    const k = floorDiv(2n * t.lo + twoPi.lo, 2n * twoPi.lo);   // round(x / 2π), any integer would do
    t = k >= 0n ? fp.sub(t, fp.mulInt(twoPi, k)) : fp.add(t, fp.mulInt(twoPi, -k));
  }
  const fx = new Fx(w);
  const s = BigInt(wp - w);
  const tw: Iv = { lo: t.lo >> s, hi: -((-t.hi) >> s) };
  return { sin: fx.toQI(taylorSinCos(fx, tw, 1)), cos: fx.toQI(taylorSinCos(fx, tw, 0)) };
}

function qParts(q: Q): [bigint, bigint] { return [q.n, q.d]; }

export function refTan(sign: number, sig: bigint, e: number): QI {
  const { sin, cos } = refSinCos(sign, sig, e);
  return qiDiv(sin, cos);
}

// ---------------------------------------------------------------------------
// atan2

/**
 * atan v / v for |v| <= 0.4143 by Euler's series: atan v = v/(1+v²) ·
 * Σ c_n w^n, w = v²/(1+v²) <= 0.147, c_0 = 1, c_n = c_(n-1)·2n/(2n+1). The
 * terms are positive with ratios below w, so the tail is under twice its
 * first term.
 */
function eulerAtanOverV(fx: Fx, v2: Iv): Iv {
  const onePlus = fx.add(fx.q(1n), v2);
  const wv = fx.div(v2, onePlus);
  let term = fx.q(1n), sum: Iv = { lo: 0n, hi: 0n };
  for (let n = 1; ; n++) {
    if (fx.mag(term) <= 1n) { sum = fx.widen(sum, 2n); break; }
    sum = fx.add(sum, term);
    term = fx.divInt(fx.mulInt(fx.mul(term, wv), BigInt(2 * n)), BigInt(2 * n + 1));
  }
  return fx.div(sum, onePlus);
}

/**
 * The angle of the point (x, y) in (-π, π] (FPATAN: y = ST(1), x = ST(0)),
 * for finite non-zero exact operands given as rationals.
 */
export function refAtan2(y: Q, x: Q): QI {
  const ay: Q = { n: babs(y.n), d: y.d }, ax: Q = { n: babs(x.n), d: x.d };
  const big = qCmp(ay, ax) > 0;
  const z = big ? qDiv(ax, ay) : qDiv(ay, ax);   // 0 < z <= 1
  const ez = roughLog2(z);
  let a: QI;
  if (ez < -20) {
    const fx = new Fx(320 + 2 * -ez);
    a = qiMul(qiExact(z), fx.toQI(eulerAtanOverV(fx, fx.q(...qParts(qMul(z, z))))));
  } else {
    const fx = new Fx(400);
    // tan(π/8) = 0.41421...: above 0.4142, atan z = π/4 + atan((z - 1)/(z + 1)).
    if (qCmp(z, { n: 4142n, d: 10000n }) > 0) {
      const v: Q = qDiv(qSub(z, { n: 1n, d: 1n }), qAdd(z, { n: 1n, d: 1n }));
      const av = qiMul(qiExact(v), fx.toQI(eulerAtanOverV(fx, fx.q(...qParts(qMul(v, v))))));
      a = qiAdd(fx.toQI(fx.divInt(refPiIv(400), 4n)), av);
    } else {
      a = qiMul(qiExact(z), fx.toQI(eulerAtanOverV(fx, fx.q(...qParts(qMul(z, z))))));
    }
  }
  const pi = refPi(400);
  const halfPi: QI = [{ n: pi[0].n, d: pi[0].d * 2n }, { n: pi[1].n, d: pi[1].d * 2n }];
  let r: QI;
  const xNeg = x.n < 0n;
  if (!big) r = xNeg ? qiSub(pi, a) : a;
  else r = xNeg ? qiAdd(halfPi, a) : qiSub(halfPi, a);
  return y.n < 0n ? qiNeg(r) : r;
}

// ---------------------------------------------------------------------------
// log2, 2^x - 1

/**
 * log2 of the positive rational n·2^e, bit by bit: with m = n/2^b in [1, 2),
 * log2 m's next bit is 1 exactly when m² >= 2 (then m := m²/2, else m := m²).
 * After k bits, log2 m lies in [bits, bits + 2^-k]; an interval for m² that
 * straddles 2 ends the loop early with the bits so far. Squaring doubles m's
 * relative error, so 400 bits carry 340 bits of logarithm.
 */
export function refLog2(n: bigint, e: number): QI {
  const b = n.toString(2).length - 1;
  const whole = BigInt(b + e);
  if (n === 1n << BigInt(b)) return qiExact({ n: whole, d: 1n });
  const fx = new Fx(400);
  let m = fx.q(n, 1n << BigInt(b));
  const two = 2n * fx.one;
  let acc = 0n, k = 0;
  for (; k < 340; k++) {
    const sq = fx.mul(m, m);
    if (sq.lo >= two) { acc = 2n * acc + 1n; m = fx.divInt(sq, 2n); }
    else if (sq.hi < two) { acc = 2n * acc; m = sq; }
    else break;
  }
  const d = 1n << BigInt(k);
  return [{ n: whole * d + acc, d }, { n: whole * d + acc + 1n, d }];
}

/** log2(1 + x) for an exact x > -1 given as sign·sig·2^e. */
export function refLog2p1(sign: number, sig: bigint, e: number): QI {
  const ex = e + sig.toString(2).length - 1;
  if (ex < -30) {
    // ln(1 + x)/x = Σ (-x)^k/(k+1): alternating and decreasing for |x| < 1.
    const fx = new Fx(320);
    const x = qExact(sign ? -sig : sig, e);
    const xi = fx.q(...qParts(x));
    let term = fx.q(1n), pow = fx.q(1n), sum: Iv = { lo: 0n, hi: 0n };
    for (let k = 1; ; k++) {
      if (fx.mag(term) <= 1n) { sum = fx.widen(sum, 1n); break; }
      sum = k & 1 ? fx.add(sum, term) : fx.sub(sum, term);
      pow = fx.mul(pow, xi);
      term = fx.divInt(pow, BigInt(k + 1));
    }
    return qiDiv(qiMul(qiExact(x), fx.toQI(sum)), refLn2(320));
  }
  // 1 + x exactly, as an integer times 2^e (e < 0 for |x| < 1).
  const one = 1n << BigInt(-e);
  return refLog2(one + (sign ? -sig : sig), e);
}

/**
 * 2^x - 1 for an exact x, |x| <= 1: t = x·ln 2, and (e^t - 1)/t = Σ
 * t^k/(k+1)!, whose terms shrink by |t|/(k+2) < 1/2, so the tail is under
 * twice its first term.
 */
export function refExp2m1(sign: number, sig: bigint, e: number): QI {
  const fx = new Fx(320);
  const t = qiMul(qiExact(qExact(sign ? -sig : sig, e)), refLn2(360));
  const ti = fx.fromQI(t);
  let term = fx.q(1n), sum: Iv = { lo: 0n, hi: 0n };
  for (let k = 1; ; k++) {
    if (fx.mag(term) <= 1n) { sum = fx.widen(sum, 2n); break; }
    sum = fx.add(sum, term);
    term = fx.divInt(fx.mul(term, ti), BigInt(k + 1));
  }
  return qiMul(t, fx.toQI(sum));
}

export { qiMul, qiDiv, qiExact };
