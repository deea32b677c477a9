/**
 * FPREM, FPREM1, FSCALE and FXTRACT: exactly against BigInt rational
 * arithmetic (test-reference.ts) on seeded pseudo-random operands, and cell by
 * cell against the SDM Vol. 2 tables (FPREM Table 3-31, FPREM1 Table 3-32,
 * the FSCALE table) and the FXTRACT text.
 */
import { describe, it, expect } from 'vitest';
import {
  type F80, type RC, makeF80, fprem, fprem1, fscale, fxtract, INDEFINITE, IE, DE, ZE,
} from './index';
import { type Q, Rng, f80Value, qSub, qMul, qDiv, qCmp, qPow2, refRound, refPackExt, refFlags, REF_EXT } from './test-reference';

const J = 1n << 63n;
const EXT = REF_EXT(64);
const F = (sign: number, exp: number, sig: bigint): F80 => makeF80(sign, exp, sig);
const hex = (x: F80): string => `${x.sign ? '-' : '+'}${x.exp.toString(16)}:${x.sig.toString(16)}`;
const valueOf = (x: F80): Q => f80Value(x.sign, x.exp, x.sig);
const denorm = (x: F80): number => (x.exp === 0 && x.sig !== 0n ? DE : 0);
const isZeroF = (x: F80): boolean => x.exp === 0 && x.sig === 0n;

/** floor(log2|x|) of a finite non-zero register value, from its fields alone. */
function exponentOf(x: F80): number {
  return (x.exp === 0 ? 1 : x.exp) - 16383 - 63 + x.sig.toString(2).length - 1;
}

/** The register fields of an exact rational that the format holds exactly. */
function exactFields(v: Q, sign: number): string {
  if (v.n === 0n) return hex(F(sign, 0, 0n));
  const r = refRound(v, EXT, 0);
  expect(r.inexact).toBe(false);
  const [s, e, sig] = refPackExt(r);
  return hex(F(s, e, sig));
}

function randomSig(r: Rng): bigint {
  switch (r.int(5)) {
    case 0: return J | ((r.u64() >> 40n) << 40n);
    case 1: return J | (1n << BigInt(r.int(63)));
    case 2: return (1n << 64n) - 1n - BigInt(r.int(100));
    default: return J | (r.u64() & (J - 1n));
  }
}

function randomFinite(r: Rng, sign = r.int(2)): F80 {
  const k = r.int(100);
  if (k < 8) return F(sign, 0, ((r.u64() >> BigInt(r.int(63))) & (J - 1n)) || 1n);   // denormal
  if (k < 10) return F(sign, 0, randomSig(r));                                        // pseudo-denormal
  if (k < 20) return F(sign, 1 + r.int(100), randomSig(r));
  if (k < 30) return F(sign, 1 + r.int(0x7ffd), randomSig(r));
  return F(sign, 16383 - 100 + r.int(200), randomSig(r));
}

/** trunc(q) for a rational. */
const truncQ = (q: Q): bigint => q.n / q.d;

/** The nearest integer to q, ties to even. */
function nearestQ(q: Q): bigint {
  const t = q.n / q.d;   // toward zero
  const frac = qSub(q, { n: t, d: 1n });
  const twice = qMul(frac, { n: 2n, d: 1n });
  const absTwice = twice.n < 0n ? { n: -twice.n, d: twice.d } : twice;
  const c = qCmp(absTwice, { n: 1n, d: 1n });
  const away = q.n < 0n ? t - 1n : t + 1n;
  if (c > 0 || (c === 0 && (t & 1n) !== 0n)) return away;
  return t;
}

const absBig = (v: bigint): bigint => (v < 0n ? -v : v);
const bits = (q: bigint): [number, number, number] => {
  const m = absBig(q);
  return [Number((m >> 2n) & 1n), Number((m >> 1n) & 1n), Number(m & 1n)];   // C0 C3 C1
};

describe('FPREM and FPREM1 against exact rationals', () => {
  /**
   * One step as the SDM's pseudocode states it, with N = 32 + D mod 32 for
   * the partial case: what the result must be, exactly.
   */
  function expectedStep(a: F80, b: F80, nearest: boolean): { value: string; c: [number, number, number, number] } {
    const va = valueOf(a), vb = valueOf(b);
    const d = exponentOf(a) - exponentOf(b);
    if (d < 64) {
      const q = nearest ? nearestQ(qDiv(va, vb)) : truncQ(qDiv(va, vb));
      const rem = qSub(va, qMul({ n: q, d: 1n }, vb));
      const [c0, c3, c1] = bits(q);
      return { value: exactFields(rem, a.sign), c: [c0, c1, 0, c3] };
    }
    const n = 32 + (d % 32);
    const scaled = qMul(vb, qPow2(1n, d - n));
    const qq = truncQ(qDiv(va, scaled));
    return { value: exactFields(qSub(va, qMul({ n: qq, d: 1n }, scaled)), a.sign), c: [0, 0, 1, 0] };
  }

  for (const [name, fn, nearest] of [['fprem', fprem, false], ['fprem1', fprem1, true]] as const) {
    it(`${name}: 4000 operand pairs, one step, exactly (value, C0 C1 C2 C3, DE)`, () => {
      const r = new Rng(0xf9e3 + (nearest ? 1 : 0));
      let partial = 0;
      for (let i = 0; i < 4000; i++) {
        const a = randomFinite(r);
        let b: F80;
        const k = r.int(4);
        if (k === 0) b = randomFinite(r);
        else if (k === 1) b = F(r.int(2), Math.max(1, a.exp - r.int(70)), randomSig(r));          // complete in one step
        else if (k === 2) b = F(r.int(2), Math.max(1, a.exp - 64 - r.int(200)), randomSig(r));    // partial
        else b = F(r.int(2), a.exp, a.sig ^ BigInt(r.int(1 << 16)) | J);                         // close: quotient 0 or 1
        if (isZeroF(a) || isZeroF(b)) continue;
        const got = fn(a, b);
        const want = expectedStep(a, b, nearest);
        const ctx = `${name} ${hex(a)} ${hex(b)}`;
        expect({ ctx, v: hex(got.value), c: [got.c0, got.c1, got.c2, got.c3], flags: got.flags })
          .toEqual({ ctx, v: want.value, c: want.c, flags: denorm(a) | denorm(b) });
        if (got.c2) partial++;
      }
      expect(partial).toBeGreaterThan(500);
    });

    it(`${name}: repeated until C2 = 0, gives the ${nearest ? 'IEEE remainder' : 'truncated remainder'} and the whole quotient's low bits`, () => {
      const r = new Rng(0x100f + (nearest ? 7 : 0));
      let maxSteps = 0;
      for (let i = 0; i < 300; i++) {
        const b = F(r.int(2), 16383 - 50 + r.int(100), randomSig(r));
        const a = F(r.int(2), b.exp + r.int(1200), randomSig(r));
        let x = a, steps = 0, res = fn(x, b);
        while (res.c2) { x = res.value; res = fn(x, b); steps++; }
        maxSteps = Math.max(maxSteps, steps);
        const va = valueOf(a), vb = valueOf(b);
        const q = nearest ? nearestQ(qDiv(va, vb)) : truncQ(qDiv(va, vb));
        const ctx = `${name} loop ${hex(a)} ${hex(b)}`;
        const [c0, c3, c1] = bits(q);
        expect({ ctx, v: hex(res.value), c: [res.c0, res.c1, res.c3] })
          .toEqual({ ctx, v: exactFields(qSub(va, qMul({ n: q, d: 1n }, vb)), a.sign), c: [c0, c1, c3] });
      }
      expect(maxSteps).toBeGreaterThan(20);
    });
  }

  it('examples: quotient bits, ties to even, the dividend\'s sign on a zero, exact denormal results', () => {
    const v = (n: number): F80 => {
      const m = BigInt(Math.abs(n));
      const len = m.toString(2).length;
      return F(n < 0 ? 1 : 0, 16383 + len - 1, m << BigInt(64 - len));
    };
    // 7 mod 2: Q = 3 (C0 C3 C1 = 0 1 1), remainder 1.
    let got = fprem(v(7), v(2));
    expect([hex(got.value), got.c0, got.c3, got.c1, got.c2]).toEqual([hex(v(1)), 0, 1, 1, 0]);
    // FPREM1 7/2 = 3.5 -> 4 (even): remainder -1, Q = 4 (C0 = 1).
    got = fprem1(v(7), v(2));
    expect([hex(got.value), got.c0, got.c3, got.c1]).toEqual([hex(v(-1)), 1, 0, 0]);
    // FPREM1 5/2 = 2.5 -> 2 (even): remainder +1, Q = 2 (C3 = 1).
    got = fprem1(v(5), v(2));
    expect([hex(got.value), got.c0, got.c3, got.c1]).toEqual([hex(v(1)), 0, 1, 0]);
    // -6 mod 3 = -0 for both; 6 mod -3 = +0.
    expect(hex(fprem(v(-6), v(3)).value)).toBe('-0:0');
    expect(hex(fprem1(v(-6), v(3)).value)).toBe('-0:0');
    expect(hex(fprem(v(6), v(-3)).value)).toBe('+0:0');
    // Quotient -13/4 truncated: -3, C bits from |Q| = 3.
    got = fprem(v(-13), v(4));
    expect([hex(got.value), got.c0, got.c3, got.c1]).toEqual([hex(v(-1)), 0, 1, 1]);
    // An exact denormal remainder: no UE, no PE.
    const a = F(0, 1, 0xc000000000000000n), b = F(0, 1, J);   // 1.5·2^-16382 mod 2^-16382
    got = fprem(a, b);
    expect([hex(got.value), got.flags]).toEqual(['+0:4000000000000000', 0]);
    // Partial: 2^100 by 3, D = 99, N = 35: reduced by 3·2^64, C2 = 1.
    got = fprem(F(0, 16383 + 100, J), v(3));
    expect(got.c2).toBe(1);
    expect(hex(got.value)).toBe(exactFields(qSub(qPow2(1n, 100), qMul({ n: (1n << 100n) / (3n << 64n), d: 1n }, { n: 3n << 64n, d: 1n })), 0));
  });
});

/** Table cells: '*' invalid (IE, indefinite), 'D' ST(0) itself, '±F/0' a finite result of ST(0)'s sign or its zero, '-0' '+0', 'NaN' the NaN. */
const ROWS: [string, F80][] = [
  ['-inf', F(1, 0x7fff, J)], ['-F', F(1, 16384, 0xd000000000000000n)], ['-0', F(1, 0, 0n)],
  ['+0', F(0, 0, 0n)], ['+F', F(0, 16385, 0x9000000000000000n)], ['+inf', F(0, 0x7fff, J)],
  ['NaN', F(0, 0x7fff, 0xc000000000000abcn)],
];

describe('the SDM tables', () => {
  it('FPREM and FPREM1 (Tables 3-31, 3-32): every class pair', () => {
    // Rows ST(0), columns ST(1): -inf -F -0 +0 +F +inf NaN.
    const table: Record<string, string[]> = {
      '-inf': ['*', '*', '*', '*', '*', '*', 'NaN'],
      '-F': ['D', 'F', '*', '*', 'F', 'D', 'NaN'],
      '-0': ['-0', '-0', '*', '*', '-0', '-0', 'NaN'],
      '+0': ['+0', '+0', '*', '*', '+0', '+0', 'NaN'],
      '+F': ['D', 'F', '*', '*', 'F', 'D', 'NaN'],
      '+inf': ['*', '*', '*', '*', '*', '*', 'NaN'],
      'NaN': ['NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN'],
    };
    const nan = ROWS[6][1];
    for (const fn of [fprem, fprem1]) {
      for (const [rn, a] of ROWS) {
        ROWS.forEach(([cn, b], j) => {
          const cell = table[rn][j];
          const got = fn(a, b);
          const ctx = `${fn.name} ${rn} ${cn} -> ${hex(got.value)}`;
          expect(got.c2, ctx).toBe(0);
          switch (cell) {
            case '*': expect([hex(got.value), got.flags], ctx).toEqual([hex(INDEFINITE), IE]); break;
            case 'NaN': expect([hex(got.value), got.flags], ctx).toEqual([hex(nan), 0]); break;
            case 'D': expect([hex(got.value), got.flags], ctx).toEqual([hex(a), 0]); break;
            case '-0': case '+0': expect([hex(got.value), got.flags], ctx).toEqual([cell === '-0' ? '-0:0' : '+0:0', 0]); break;
            default: {
              // -13 rem ±4.5 and +18 rem ±4.5: a finite or zero result; FPREM keeps the dividend's sign.
              if (fn === fprem) expect(got.value.sign, ctx).toBe(a.sign);
              expect(got.flags, ctx).toBe(0);
            }
          }
        });
      }
    }
  });

  it('FPREM: SNaN and unsupported operands are invalid; denormals raise DE; an infinite divisor leaves a denormal dividend', () => {
    const snan = F(0, 0x7fff, 0x8000000000000001n), unnormal = F(0, 16383, 0x4000000000000000n);
    const one = F(0, 16383, J), den = F(1, 0, 0x1234n);
    expect([hex(fprem(snan, one).value), fprem(snan, one).flags]).toEqual(['+7fff:c000000000000001', IE]);
    expect([hex(fprem1(one, unnormal).value), fprem1(one, unnormal).flags]).toEqual([hex(INDEFINITE), IE]);
    expect([hex(fprem(den, F(0, 0x7fff, J)).value), fprem(den, F(0, 0x7fff, J)).flags]).toEqual([hex(den), DE]);
    expect(fprem(one, den).flags).toBe(DE);
    expect([hex(fprem(F(0, 0, 0n), den).value), fprem(F(0, 0, 0n), den).flags]).toEqual(['+0:0', DE]);
    // A denormal over zero is invalid, without DE (the invalid operation comes first).
    expect(fprem(den, F(0, 0, 0n)).flags).toBe(IE);
  });

  it('FSCALE table: every class pair', () => {
    // Rows ST(0), columns ST(1): -inf -F -0 +0 +F +inf NaN. 'S' the scaled value, 'D' ST(0).
    const table: Record<string, string[]> = {
      '-inf': ['*', '-inf', '-inf', '-inf', '-inf', '-inf', 'NaN'],
      '-F': ['-0', 'S', 'D', 'D', 'S', '-inf', 'NaN'],
      '-0': ['-0', '-0', '-0', '-0', '-0', '*', 'NaN'],
      '+0': ['+0', '+0', '+0', '+0', '+0', '*', 'NaN'],
      '+F': ['+0', 'S', 'D', 'D', 'S', '+inf', 'NaN'],
      '+inf': ['*', '+inf', '+inf', '+inf', '+inf', '+inf', 'NaN'],
      'NaN': ['NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN'],
    };
    const nan = ROWS[6][1];
    for (const [rn, a] of ROWS) {
      ROWS.forEach(([cn, b], j) => {
        const cell = table[rn][j];
        const got = fscale(a, b, 0);
        const ctx = `fscale ${rn} ${cn} -> ${hex(got.value)}`;
        const want: Record<string, string> = {
          '*': hex(INDEFINITE), 'NaN': hex(nan), 'D': hex(a), '-0': '-0:0', '+0': '+0:0',
          '-inf': '-7fff:8000000000000000', '+inf': '+7fff:8000000000000000',
          // ±F scaled by trunc(-3.25) = -3 or trunc(4.5) = 4.
          'S': hex(F(a.sign, a.exp + (b.sign ? -3 : 4), a.sig)),
        };
        expect([hex(got.value), got.flags], ctx).toEqual([want[cell], cell === '*' ? IE : 0]);
      });
    }
  });
});

describe('FSCALE against exact rationals', () => {
  it('4000 pairs in every RC: exact, or rounded on overflow and underflow (OE, UE, PE, C1, DE)', () => {
    const r = new Rng(0x5ca1e);
    let rounded = 0;
    for (let i = 0; i < 4000; i++) {
      const a = randomFinite(r);
      const k = r.int(6);
      let b: F80;
      const n = k === 0 ? r.int(40) - 20 : k === 1 ? r.int(70000) - 35000 : k === 2 ? 16383 - r.int(100) : -(16383 + 63 - r.int(130));
      if (k < 4) {
        // An integer n, or n plus a fraction (truncated away).
        const m = BigInt(Math.abs(n)) << 16n | (r.int(2) ? BigInt(r.int(1 << 16)) : 0n);
        if (m === 0n) b = F(r.int(2), 0, 0n);
        else {
          const len = m.toString(2).length;
          b = F(n < 0 ? 1 : 0, 16383 + len - 1 - 16, m << BigInt(64 - len));
        }
      } else if (k === 4) b = randomFinite(r);                                         // anything, huge scales included
      else b = F(r.int(2), 16383 - 1 - r.int(70), randomSig(r));                       // |ST(1)| < 1: a scale of 0
      if (isZeroF(a)) continue;
      for (const rc of [0, 1, 2, 3] as RC[]) {
        const got = fscale(a, b, rc);
        const vb = valueOf(b);
        let t = truncQ(vb);
        if (t > 100000n) t = 100000n;
        if (t < -100000n) t = -100000n;
        const exact = qMul(valueOf(a), qPow2(1n, Number(t)));
        const rr = refRound(exact, EXT, rc);
        const [s, e, sig] = refPackExt(rr);
        const ctx = `fscale ${hex(a)} ${hex(b)} rc=${rc}`;
        expect({ ctx, v: hex(got.value), flags: got.flags }).toEqual({ ctx, v: hex(F(s, e, sig)), flags: refFlags(rr) | denorm(a) | denorm(b) });
        if (rr.inexact) rounded++;
      }
    }
    expect(rounded).toBeGreaterThan(1000);
  });
});

describe('FXTRACT', () => {
  it('3000 values: significand in [1, 2) with the sign, exponent an integer, their product the value; DE for denormals; FSCALE undoes it', () => {
    const r = new Rng(0xe8);
    for (let i = 0; i < 3000; i++) {
      const a = randomFinite(r);
      if (isZeroF(a)) continue;
      const got = fxtract(a);
      const ctx = `fxtract ${hex(a)}`;
      expect(got.significand.exp, ctx).toBe(16383);
      expect(got.significand.sign, ctx).toBe(a.sign);
      expect(got.significand.sig >> 63n, ctx).toBe(1n);
      const ex = valueOf(got.exponent);
      expect(ex.n % ex.d, ctx).toBe(0n);
      const n = Number(ex.n / ex.d);
      expect(n, ctx).toBe(exponentOf(a));
      expect(qCmp(qMul(valueOf(got.significand), qPow2(1n, n)), valueOf(a)), ctx).toBe(0);
      expect(got.flags, ctx).toBe(denorm(a));
      // The SDM's example: FXTRACT; FSCALE; FSTP ST(1) gives back the value.
      const back = fscale(got.significand, got.exponent, 0);
      expect(qCmp(valueOf(back.value), valueOf(a)), ctx).toBe(0);
    }
  });

  it('zeros (ZE, -∞), infinities, NaNs, unsupported encodings', () => {
    const show = (x: ReturnType<typeof fxtract>) => [hex(x.exponent), hex(x.significand), x.flags];
    expect(show(fxtract(F(1, 0, 0n)))).toEqual(['-7fff:8000000000000000', '-0:0', ZE]);
    expect(show(fxtract(F(0, 0, 0n)))).toEqual(['-7fff:8000000000000000', '+0:0', ZE]);
    expect(show(fxtract(F(1, 0x7fff, J)))).toEqual(['+7fff:8000000000000000', '-7fff:8000000000000000', 0]);
    expect(show(fxtract(F(0, 0x7fff, 0xc000000000000001n)))).toEqual(['+7fff:c000000000000001', '+7fff:c000000000000001', 0]);
    expect(show(fxtract(F(0, 0x7fff, 0x8000000000000001n)))).toEqual(['+7fff:c000000000000001', '+7fff:c000000000000001', IE]);
    expect(show(fxtract(F(0, 5, 0x4000000000000000n)))).toEqual([hex(INDEFINITE), hex(INDEFINITE), IE]);
    // 1.0: exponent +0; the smallest denormal: exponent -16445, DE.
    expect(show(fxtract(F(0, 16383, J)))).toEqual(['+0:0', '+3fff:8000000000000000', 0]);
    expect(show(fxtract(F(0, 0, 1n)))).toEqual([hex(F(1, 16383 + 14, 16445n << 49n)), '+3fff:8000000000000000', DE]);
  });
});
