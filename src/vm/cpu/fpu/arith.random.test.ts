/**
 * FADD, FSUB, FMUL, FDIV, FSQRT and FRNDINT on pseudo-random operands in
 * every PC and RC, against two references:
 *  - exact rational arithmetic rounded by test-reference.ts (all cases,
 *    flags included: PE, UE, OE, C1 and DE, ZE, IE);
 *  - JavaScript's own doubles for PC=53, round to nearest, no overflow or
 *    underflow, and Math.fround for PC=24 (53 >= 2*24+2, so rounding first to
 *    a double then to a single is the correct single rounding for + - * /
 *    and sqrt): bit patterns compared.
 */
import { describe, it, expect } from 'vitest';
import {
  type F80, type PC, type RC, makeF80, add, sub, mul, div, sqrt, roundInt,
  fromF64, toF64, fromF32, toF32, INDEFINITE, DE, ZE, IE,
} from './index';
import {
  type Q, Rng, f80Value, qAdd, qSub, qMul, qDiv, qCmp, qPow2, refRound, refRoundAt, refPackExt, refFlags, REF_EXT,
} from './test-reference';

const PCS: [PC, number][] = [[0, 24], [2, 53], [3, 64]];
const RCS: RC[] = [0, 1, 2, 3];
const J = 1n << 63n;

/** A significand with J set, in one of the shapes that find rounding edges. */
function randomSig(r: Rng): bigint {
  switch (r.int(6)) {
    case 0: return J | (r.u64() & (J - 1n));
    case 1: return J | (1n << BigInt(r.int(63))) | (r.int(2) ? 1n << BigInt(r.int(63)) : 0n);
    case 2: return J | ((r.u64() >> 40n) << 40n);                     // a 24-bit significand
    case 3: return J | ((r.u64() >> 11n) << 11n);                     // a 53-bit significand
    case 4: return J | ((1n << 64n) - 1n - (r.int(2) ? 0n : 1n << BigInt(r.int(63))));  // runs of ones
    default: return J;
  }
}

/** An operand: normals of every range (near overflow and underflow too), denormals, pseudo-denormals, zeros. */
function randomOperand(r: Rng): F80 {
  const sign = r.int(2);
  const k = r.int(100);
  if (k < 4) return makeF80(sign, 0, 0n);
  if (k < 14) return makeF80(sign, 0, (r.u64() >> BigInt(r.int(64))) & (J - 1n) || 1n);   // denormal
  if (k < 16) return makeF80(sign, 0, randomSig(r));                                       // pseudo-denormal
  if (k < 26) return makeF80(sign, 1 + r.int(90), randomSig(r));                           // near underflow
  if (k < 34) return makeF80(sign, 0x7ffe - r.int(90), randomSig(r));                      // near overflow
  if (k < 42) return makeF80(sign, 1 + r.int(0x7ffe), randomSig(r));                       // anywhere
  return makeF80(sign, 16383 - 80 + r.int(160), randomSig(r));                             // ordinary
}

/** A second operand, often related to the first so sums cancel and exponents align. */
function partner(r: Rng, a: F80): F80 {
  switch (r.int(5)) {
    case 0: return makeF80(r.int(2), a.exp, a.sig ^ BigInt(r.int(1 << 16)));
    case 1: {
      const exp = Math.min(0x7ffe, Math.max(1, a.exp + r.int(141) - 70));
      return makeF80(r.int(2), exp, randomSig(r));
    }
    case 2: return makeF80(a.sign ^ 1, Math.max(0, a.exp - r.int(3)), randomSig(r));
    default: return randomOperand(r);
  }
}

const isZeroF = (x: F80) => x.exp === 0 && x.sig === 0n;
const fields = (x: F80): [number, number, string] => [x.sign, x.exp, x.sig.toString(16)];
const denorm = (x: F80) => (x.exp === 0 && x.sig !== 0n ? DE : 0);

type Op = 'add' | 'sub' | 'mul' | 'div';
const OPS: Record<Op, (a: F80, b: F80, pc: PC, rc: RC) => { value: F80; flags: number }> = { add, sub, mul, div };

/** What the rational reference says an operation gives: fields and flags. */
function expected(op: Op, a: F80, b: F80, p: number, rc: RC): { f: [number, number, string]; flags: number } {
  const de = denorm(a) | denorm(b);
  const va = f80Value(a.sign, a.exp, a.sig), vb = f80Value(b.sign, b.exp, b.sig);
  let exact: Q;
  if (op === 'div') {
    if (isZeroF(b)) {
      if (isZeroF(a)) return { f: fields(INDEFINITE), flags: IE };
      return { f: [a.sign ^ b.sign, 0x7fff, J.toString(16)], flags: de | ZE };
    }
    exact = qDiv(va, vb);
  } else exact = op === 'add' ? qAdd(va, vb) : op === 'sub' ? qSub(va, vb) : qMul(va, vb);
  if (exact.n === 0n) {
    // Signs of zero: the product's and quotient's XOR; a sum's per SDM Vol. 2 FADD/FSUB.
    let s: number;
    if (op === 'mul' || op === 'div') s = a.sign ^ b.sign;
    else {
      const bs = op === 'sub' ? b.sign ^ 1 : b.sign;
      s = isZeroF(a) && isZeroF(b) && a.sign === bs ? a.sign : rc === 1 ? 1 : 0;
    }
    return { f: [s, 0, '0'], flags: de };
  }
  const rr = refRound(exact, REF_EXT(p), rc);
  const [s, e, sig] = refPackExt(rr);
  return { f: [s, e, sig.toString(16)], flags: de | refFlags(rr) };
}

describe('float80 arithmetic against exact rational arithmetic (every PC, every RC)', () => {
  const PAIRS = 1000;
  for (const op of ['add', 'sub', 'mul', 'div'] as Op[]) {
    it(`${op}: ${PAIRS} operand pairs x 12 modes`, () => {
      const r = new Rng(0xf10a7 + op.length * 977 + op.charCodeAt(0));
      let checked = 0;
      for (let i = 0; i < PAIRS; i++) {
        const a = randomOperand(r), b = r.int(4) === 0 ? randomOperand(r) : partner(r, a);
        for (const [pc, p] of PCS) {
          for (const rc of RCS) {
            const got = OPS[op](a, b, pc, rc);
            const want = expected(op, a, b, p, rc);
            const ctx = `${op} ${fields(a)} ${fields(b)} pc=${pc} rc=${rc}`;
            expect({ ctx, f: fields(got.value), flags: got.flags }).toEqual({ ctx, f: want.f, flags: want.flags });
            checked++;
          }
        }
      }
      expect(checked).toBe(PAIRS * 12);
    });
  }

  /**
   * FSQRT: the root is irrational in general, so the check is on squares:
   * the result r and its neighbours r- and r+ on the p-bit grid bracket the
   * operand x as RC demands (nearest: the midpoints' squares bracket x, a tie
   * going to the even one; down/zero: r^2 <= x < r+^2; up: r-^2 < x <= r^2).
   */
  it('sqrt: 1500 operands x 12 modes, checked by squares', () => {
    const r = new Rng(0x5e1f);
    const sq = (v: Q): Q => qMul(v, v);
    for (let i = 0; i < 1500; i++) {
      let a = randomOperand(r);
      a = makeF80(0, a.exp, a.sig);
      if (isZeroF(a)) continue;
      const x = f80Value(0, a.exp, a.sig);
      for (const [pc, p] of PCS) {
        for (const rc of RCS) {
          const got = sqrt(a, pc, rc);
          const v = got.value;
          const ctx = `sqrt ${fields(a)} pc=${pc} rc=${rc} -> ${fields(v)}`;
          expect(v.sign, ctx).toBe(0);
          expect(v.sig >> 63n, ctx).toBe(1n);
          expect(v.sig & ((1n << BigInt(64 - p)) - 1n), ctx).toBe(0n);   // p bits only
          const m = v.sig >> BigInt(64 - p), q = v.exp - 16383 - (p - 1);
          const rv = qPow2(m, q);
          const up = qPow2(m + 1n, q);
          const down = m === 1n << BigInt(p - 1) ? qPow2(2n * m - 1n, q - 1) : qPow2(m - 1n, q);
          const c = qCmp(sq(rv), x);
          if (rc === 0) {
            const lo = qMul(qAdd(down, rv), { n: 1n, d: 2n }), hi = qMul(qAdd(rv, up), { n: 1n, d: 2n });
            const cl = qCmp(sq(lo), x), ch = qCmp(sq(hi), x);
            expect(cl <= 0 && ch >= 0, ctx).toBe(true);
            if (cl === 0 || ch === 0) expect(m % 2n, ctx).toBe(0n);
          } else if (rc === 2) {
            expect(qCmp(sq(down), x) < 0 && c >= 0, ctx).toBe(true);
          } else {
            expect(c <= 0 && qCmp(sq(up), x) > 0, ctx).toBe(true);
          }
          const flags = denorm(a) | (c !== 0 ? 0x20 : 0) | (c > 0 ? 0x200 : 0);
          expect(got.flags, ctx).toBe(flags);
        }
      }
    }
  });

  it('frndint: 3000 operands x 4 modes against floor/ceil of the exact value', () => {
    const r = new Rng(0x12d1);
    for (let i = 0; i < 3000; i++) {
      const a = r.int(2) ? randomOperand(r) : makeF80(r.int(2), 16383 + r.int(70) - 3, randomSig(r));
      const x = f80Value(a.sign, a.exp, a.sig);
      for (const rc of RCS) {
        const got = roundInt(a, rc);
        const ctx = `frndint ${fields(a)} rc=${rc}`;
        const { m, inexact, up: upFlag } = refRoundAt(x, 0, rc);
        expect(qCmp(f80Value(got.value.sign, got.value.exp, got.value.sig), { n: a.sign ? -m : m, d: 1n }), ctx).toBe(0);
        if (m === 0n) expect(got.value.sign, ctx).toBe(a.sign);
        expect(got.flags, ctx).toBe(denorm(a) | (inexact ? 0x20 : 0) | (upFlag ? 0x200 : 0));
      }
    }
  });
});

/** The bit pattern of a double, and back: test-side only (the module never uses doubles). */
const dv = new DataView(new ArrayBuffer(8));
const bitsOf = (x: number): bigint => { dv.setFloat64(0, x); return dv.getBigUint64(0); };
const numOf = (b: bigint): number => { dv.setBigUint64(0, b); return dv.getFloat64(0); };
const bits32Of = (x: number): number => { dv.setFloat32(0, x); return dv.getUint32(0); };
const num32Of = (b: number): number => { dv.setUint32(0, b); return dv.getFloat32(0); };

describe('float80 at PC=53 and PC=24, round to nearest, against JavaScript arithmetic', () => {
  const N = 4000;
  it(`PC=53: + - * / sqrt of ${N} double pairs give the double result, bit for bit`, () => {
    const r = new Rng(0xd0b1e);
    const randomDouble = (): number => {
      const exp = 1023 - 300 + r.int(600);
      const frac = r.int(3) === 0 ? (r.u64() >> 12n) & ~((1n << BigInt(r.int(52))) - 1n) : r.u64() >> 12n;
      return numOf((BigInt(r.int(2)) << 63n) | (BigInt(exp) << 52n) | frac);
    };
    const jsOps: [string, (x: number, y: number) => number, (a: F80, b: F80) => F80][] = [
      ['add', (x, y) => x + y, (a, b) => add(a, b, 2, 0).value],
      ['sub', (x, y) => x - y, (a, b) => sub(a, b, 2, 0).value],
      ['mul', (x, y) => x * y, (a, b) => mul(a, b, 2, 0).value],
      ['div', (x, y) => x / y, (a, b) => div(a, b, 2, 0).value],
      ['sqrt', (x) => Math.sqrt(Math.abs(x)), (a) => sqrt(makeF80(0, a.exp, a.sig), 2, 0).value],
    ];
    let compared = 0;
    for (let i = 0; i < N; i++) {
      const x = randomDouble();
      const y = r.int(3) === 0 ? x * (1 + (r.int(2000) - 1000) / 2 ** 40) : randomDouble();
      const a = fromF64(bitsOf(x)).value, b = fromF64(bitsOf(y)).value;
      for (const [name, js, f] of jsOps) {
        const want = js(x, y);
        if (!Number.isFinite(want) || (want !== 0 && Math.abs(want) < 2 ** -1022)) continue;
        const out = toF64(f(a, b), 0);
        expect({ name, x, y, bits: out.bits.toString(16), flags: out.flags }).toEqual({ name, x, y, bits: bitsOf(want).toString(16), flags: 0 });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(N * 5 * 0.99);
  });

  it(`PC=24: + - * / sqrt of ${N} single pairs give Math.fround's result, bit for bit`, () => {
    const r = new Rng(0x5116);
    const randomSingle = (): number => num32Of(((r.int(2) << 31) | ((127 - 40 + r.int(80)) << 23) | (r.u32() & 0x7fffff)) >>> 0);
    const ops: [string, (x: number, y: number) => number, (a: F80, b: F80) => F80][] = [
      ['add', (x, y) => x + y, (a, b) => add(a, b, 0, 0).value],
      ['sub', (x, y) => x - y, (a, b) => sub(a, b, 0, 0).value],
      ['mul', (x, y) => x * y, (a, b) => mul(a, b, 0, 0).value],
      ['div', (x, y) => x / y, (a, b) => div(a, b, 0, 0).value],
      ['sqrt', (x) => Math.sqrt(Math.abs(x)), (a) => sqrt(makeF80(0, a.exp, a.sig), 0, 0).value],
    ];
    for (let i = 0; i < N; i++) {
      const x = randomSingle(), y = randomSingle();
      const a = fromF32(bits32Of(x)).value, b = fromF32(bits32Of(y)).value;
      for (const [name, js, f] of ops) {
        const want = Math.fround(js(x, y));
        const out = toF32(f(a, b), 0);
        expect({ name, x, y, bits: out.bits, flags: out.flags }).toEqual({ name, x, y, bits: bits32Of(want), flags: 0 });
      }
    }
  });
});
