/**
 * Test-only: an independent reference for the float80 tests. Values are
 * exact rationals n/d of BigInts; rounding picks between the two grid points
 * around the exact value by comparing rationals, the way one would by hand.
 * It shares no code with round.ts, so a mistake there shows up as a
 * mismatch here. Also a seeded PRNG (no Math.random, no clock).
 */

/** An exact rational n/d, d > 0. Never reduced: BigInt does not mind. */
export interface Q { n: bigint; d: bigint }

export const qAdd = (a: Q, b: Q): Q => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
export const qSub = (a: Q, b: Q): Q => ({ n: a.n * b.d - b.n * a.d, d: a.d * b.d });
export const qMul = (a: Q, b: Q): Q => ({ n: a.n * b.n, d: a.d * b.d });
export const qDiv = (a: Q, b: Q): Q => (b.n < 0n ? { n: -a.n * b.d, d: a.d * -b.n } : { n: a.n * b.d, d: a.d * b.n });
export const qCmp = (a: Q, b: Q): number => { const l = a.n * b.d, r = b.n * a.d; return l < r ? -1 : l > r ? 1 : 0; };
export const qAbs = (a: Q): Q => ({ n: a.n < 0n ? -a.n : a.n, d: a.d });
/** m * 2^k. */
export const qPow2 = (m: bigint, k: number): Q => (k >= 0 ? { n: m << BigInt(k), d: 1n } : { n: m, d: 1n << BigInt(-k) });

/** The exact value of a register value's fields (finite classes only). */
export function f80Value(sign: number, exp: number, sig: bigint): Q {
  const v = qPow2(sig, (exp === 0 ? 1 : exp) - 16383 - 63);
  return sign ? { n: -v.n, d: v.d } : v;
}

/** floor(log2(|q|)) for q != 0, by stepping until 2^E <= |q| < 2^(E+1). */
export function ilog2(q: Q): number {
  const a = qAbs(q);
  let e = a.n.toString(2).length - a.d.toString(2).length;
  while (qCmp(a, qPow2(1n, e)) < 0) e--;
  while (qCmp(a, qPow2(1n, e + 1)) >= 0) e++;
  return e;
}

export interface RefFormat { p: number; emin: number; emax: number }
export const REF_EXT = (p: number): RefFormat => ({ p, emin: -16382, emax: 16383 });
export const REF_SINGLE: RefFormat = { p: 24, emin: -126, emax: 127 };
export const REF_DOUBLE: RefFormat = { p: 53, emin: -1022, emax: 1023 };

/** The result of rounding: zero/finite as m * 2^q with its sign, or an infinity. */
export interface RefRounded {
  sign: number;
  inf: boolean;
  m: bigint;
  q: number;
  inexact: boolean;
  up: boolean;
  tiny: boolean;
  overflow: boolean;
}

/**
 * |x| rounded to a multiple of 2^q by RC (0 nearest-even, 1 down, 2 up, 3 to
 * zero) for a value of the given sign. Takes the grid points below and above
 * and picks one.
 */
function pickOnGrid(x: Q, q: number, sign: number, rc: number): { m: bigint; inexact: boolean; up: boolean } {
  const a = qAbs(x), unit = qPow2(1n, q);
  const lo = q >= 0 ? a.n / (a.d << BigInt(q)) : (a.n << BigInt(-q)) / a.d;
  const loQ = qMul({ n: lo, d: 1n }, unit);
  if (qCmp(loQ, a) === 0) return { m: lo, inexact: false, up: false };
  const hiQ = qMul({ n: lo + 1n, d: 1n }, unit);
  let takeHi: boolean;
  if (rc === 0) {
    const dLo = qSub(a, loQ), dHi = qSub(hiQ, a), c = qCmp(dLo, dHi);
    takeHi = c > 0 || (c === 0 && lo % 2n === 1n);
  } else if (rc === 3) takeHi = false;
  else if (rc === 2) takeHi = sign === 0;
  else takeHi = sign === 1;
  return { m: takeHi ? lo + 1n : lo, inexact: true, up: takeHi };
}

/** x rounded by RC to a multiple of 2^q: magnitude m (value ±m * 2^q), whether inexact, whether rounded up. */
export function refRoundAt(x: Q, q: number, rc: number): { m: bigint; inexact: boolean; up: boolean } {
  return pickOnGrid(x, q, x.n < 0n ? 1 : 0, rc);
}

/** Round the exact x to the format: gradual underflow, tininess after rounding, masked overflow. */
export function refRound(x: Q, f: RefFormat, rc: number): RefRounded {
  const sign = x.n < 0n ? 1 : 0;
  if (x.n === 0n) return { sign, inf: false, m: 0n, q: 0, inexact: false, up: false, tiny: false, overflow: false };
  const e = ilog2(x);
  const q = Math.max(e, f.emin) - f.p + 1;
  const r = pickOnGrid(x, q, sign, rc);
  const maxFinite = qPow2((1n << BigInt(f.p)) - 1n, f.emax - f.p + 1);
  if (qCmp(qPow2(r.m, q), maxFinite) > 0) {
    const toInf = rc === 0 || (rc === 2 && sign === 0) || (rc === 1 && sign === 1);
    return toInf
      ? { sign, inf: true, m: 0n, q: 0, inexact: true, up: true, tiny: false, overflow: true }
      : { sign, inf: false, m: (1n << BigInt(f.p)) - 1n, q: f.emax - f.p + 1, inexact: true, up: false, tiny: false, overflow: true };
  }
  // Tiny: rounded with an unbounded exponent, below 2^emin.
  const u = pickOnGrid(x, e - f.p + 1, sign, rc);
  const tiny = qCmp(qPow2(u.m, e - f.p + 1), qPow2(1n, f.emin)) < 0;
  return { sign, inf: false, m: r.m, q, inexact: r.inexact, up: r.up, tiny, overflow: false };
}

/** The register encoding of a rounded result, as [sign, exp, sig]. */
export function refPackExt(r: RefRounded): [number, number, bigint] {
  if (r.inf) return [r.sign, 0x7fff, 1n << 63n];
  if (r.m === 0n) return [r.sign, 0, 0n];
  const bits = r.m.toString(2).length, top = r.q + bits - 1;
  if (top >= -16382) return [r.sign, top + 16383, r.m << BigInt(64 - bits)];
  return [r.sign, 0, r.m << BigInt(r.q + 16445)];
}

/** The IEEE encoding (m32fp, m64fp) of a rounded result. */
export function refPackIeee(r: RefRounded, f: RefFormat, expBits: number): bigint {
  const fracBits = f.p - 1, bias = (1 << (expBits - 1)) - 1;
  const s = BigInt(r.sign) << BigInt(fracBits + expBits);
  if (r.inf) return s | (BigInt((1 << expBits) - 1) << BigInt(fracBits));
  if (r.m === 0n) return s;
  const bits = r.m.toString(2).length, top = r.q + bits - 1;
  if (top >= f.emin) {
    const sig = r.m << BigInt(f.p - bits);
    return s | (BigInt(top + bias) << BigInt(fracBits)) | (sig - (1n << BigInt(fracBits)));
  }
  return s | (r.m << BigInt(r.q - (f.emin - fracBits)));
}

/** The flags (x87 status word positions) a rounding raises: PE, UE, OE, C1. */
export function refFlags(r: RefRounded): number {
  let f = 0;
  if (r.inexact) f |= 0x20;
  if (r.overflow) f |= 0x08;
  if (r.tiny && r.inexact && !r.overflow) f |= 0x10;
  if (r.up) f |= 0x200;
  return f;
}

/** Mulberry32: small, seeded, good enough to spread operands. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number { return this.u32() % n; }
  u64(): bigint { return (BigInt(this.u32()) << 32n) | BigInt(this.u32()); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]; }
}
