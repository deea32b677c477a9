/**
 * Special operands of the transcendental instructions, cell by cell from the
 * SDM Vol. 2 tables (FSIN, FCOS, FSINCOS, FPTAN, FPATAN Table 3-30, F2XM1
 * Table 3-16, FYL2X Table 3-48, FYL2XP1 Table 3-49), the |x| >= 2^63 rule of
 * FSIN, FCOS, FSINCOS and FPTAN (C2, SDM Vol. 1 §8.1.3.2), the ranges chosen
 * for F2XM1 and FYL2XP1, NaNs and unsupported encodings, and the flags of
 * tiny arguments (DE, UE, PE, C1) in every RC.
 */
import { describe, it, expect } from 'vitest';
import {
  type F80, type RC, makeF80, fsin, fcos, fsincos, fptan, fpatan, f2xm1, fyl2x, fyl2xp1,
  INDEFINITE, IE, DE, ZE, OE, UE, PE, C1, classify,
} from './index';
import { f80Value, qCmp, refRound, refPackExt, refFlags, REF_EXT, type Q } from './test-reference';
import { refPi, qiMul, qExact } from './test-transcendental-reference';

const J = 1n << 63n;
const MAX_SIG = (1n << 64n) - 1n;
const F = (sign: number, exp: number, sig: bigint): F80 => makeF80(sign, exp, sig);
const hex = (x: F80): string => `${x.sign ? '-' : '+'}${x.exp.toString(16)}:${x.sig.toString(16)}`;
const RCS: RC[] = [0, 1, 2, 3];

const PINF = F(0, 0x7fff, J), NINF = F(1, 0x7fff, J);
const P0 = F(0, 0, 0n), N0 = F(1, 0, 0n);
const ONE = F(0, 16383, J);
const QNAN = F(1, 0x7fff, 0xc000000000000777n);
const SNAN = F(0, 0x7fff, 0x8000000000000555n);
const QUIETED = F(0, 0x7fff, 0xc000000000000555n);
const UNSUPPORTED: F80[] = [F(0, 16383, 0x4000000000000000n), F(0, 0x7fff, 0n), F(1, 0x7fff, 0x4000000000000001n)];
const DENORMAL = F(0, 0, 0x0000000123456789n);

const value = (x: F80): Q => f80Value(x.sign, x.exp, x.sig);
const cmpValue = (x: F80, y: F80): number => qCmp(value(x), value(y));

/** ±(num/2^k)·π rounded by RC, from the reference π: fields and flags (PE and C1). */
function roundedPi(sign: number, num: bigint, k: number, rc: RC): { v: string; f: F80; flags: number } {
  const iv = qiMul(refPi(400), [qExact(num, -k), qExact(num, -k)]);
  const signed = (q: Q): Q => (sign ? { n: -q.n, d: q.d } : q);
  const lo = refRound(signed(iv[0]), REF_EXT(64), rc), hi = refRound(signed(iv[1]), REF_EXT(64), rc);
  const [s, e, sig] = refPackExt(lo);
  expect(refPackExt(hi)).toEqual([s, e, sig]);
  expect(refFlags(hi)).toBe(refFlags(lo));
  return { v: hex(F(s, e, sig)), f: F(s, e, sig), flags: refFlags(lo) };
}

describe('FSIN, FCOS, FSINCOS, FPTAN', () => {
  it('±0: sin and tan give the zero, cos gives +1, exactly; FPTAN pushes 1.0', () => {
    for (const z of [P0, N0]) {
      expect([hex(fsin(z, 0).value), fsin(z, 0).flags, fsin(z, 0).c2]).toEqual([hex(z), 0, 0]);
      expect([hex(fcos(z, 0).value), fcos(z, 0).flags, fcos(z, 0).c2]).toEqual([hex(ONE), 0, 0]);
      const t = fptan(z, 0);
      expect([hex(t.value), hex(t.pushed!), t.flags, t.c2]).toEqual([hex(z), hex(ONE), 0, 0]);
      const sc = fsincos(z, 0);
      expect([hex(sc.sin), hex(sc.cos!), sc.flags, sc.c2]).toEqual([hex(z), hex(ONE), 0, 0]);
    }
  });

  it('±∞ and unsupported encodings are invalid (IE, the indefinite, C2 = 0); NaNs propagate, an SNaN quieted with IE', () => {
    for (const bad of [PINF, NINF, ...UNSUPPORTED]) {
      for (const fn of [fsin, fcos]) expect([hex(fn(bad, 0).value), fn(bad, 0).flags, fn(bad, 0).c2]).toEqual([hex(INDEFINITE), IE, 0]);
      const t = fptan(bad, 0);
      expect([hex(t.value), hex(t.pushed!), t.flags, t.c2]).toEqual([hex(INDEFINITE), hex(INDEFINITE), IE, 0]);
      const sc = fsincos(bad, 0);
      expect([hex(sc.sin), hex(sc.cos!), sc.flags, sc.c2]).toEqual([hex(INDEFINITE), hex(INDEFINITE), IE, 0]);
    }
    for (const [nan, out, flags] of [[QNAN, QNAN, 0], [SNAN, QUIETED, IE]] as const) {
      for (const fn of [fsin, fcos]) expect([hex(fn(nan, 0).value), fn(nan, 0).flags, fn(nan, 0).c2]).toEqual([hex(out), flags, 0]);
      const t = fptan(nan, 0);
      expect([hex(t.value), hex(t.pushed!), t.flags]).toEqual([hex(out), hex(out), flags]);
      const sc = fsincos(nan, 0);
      expect([hex(sc.sin), hex(sc.cos!), sc.flags]).toEqual([hex(out), hex(out), flags]);
    }
  });

  it('|x| >= 2^63: C2 = 1, the operand unchanged, no exception, nothing pushed; just below 2^63: computed, C2 = 0', () => {
    const out = [F(0, 16383 + 63, J), F(1, 16383 + 63, J), F(0, 16383 + 63, MAX_SIG), F(0, 16383 + 64, J), F(1, 0x7ffe, MAX_SIG)];
    for (const x of out) {
      for (const fn of [fsin, fcos]) expect([hex(fn(x, 0).value), fn(x, 0).flags, fn(x, 0).c2]).toEqual([hex(x), 0, 1]);
      const t = fptan(x, 0);
      expect([hex(t.value), t.pushed, t.flags, t.c2]).toEqual([hex(x), null, 0, 1]);
      const sc = fsincos(x, 0);
      expect([hex(sc.sin), sc.cos, sc.flags, sc.c2]).toEqual([hex(x), null, 0, 1]);
    }
    for (const x of [F(0, 16383 + 62, MAX_SIG), F(1, 16383 + 62, MAX_SIG), F(0, 16383 + 62, J)]) {
      for (const fn of [fsin, fcos, fptan]) {
        const r = fn(x, 0);
        expect(r.c2).toBe(0);
        expect(r.flags & PE).toBe(PE);
        expect(classify(r.value)).toBe('normal');
      }
      expect(fsincos(x, 0).c2).toBe(0);
    }
  });

  it('finite operands: sin and cos in [-1, 1], FPTAN pushes 1.0', () => {
    for (const x of [F(0, 16384, 0xc90fdaa22168c235n), F(1, 16390, 0x9999999999999999n), F(0, 16383 + 40, 0xabcdef0123456789n)]) {
      for (const fn of [fsin, fcos]) {
        const v = fn(x, 0).value;
        expect(cmpValue(v, ONE) <= 0 && cmpValue(v, F(1, 16383, J)) >= 0).toBe(true);
      }
      expect(hex(fptan(x, 0).pushed!)).toBe(hex(ONE));
    }
  });

  it('a denormal operand: DE, and sin x, tan x round as a hair below, above |x| (UE, PE, C1 by RC); cos x as a hair below 1', () => {
    const x = DENORMAL, below = F(0, 0, x.sig - 1n), above = F(0, 0, x.sig + 1n);
    const nx = F(1, 0, x.sig), nbelow = F(1, 0, x.sig - 1n), nabove = F(1, 0, x.sig + 1n);
    const justBelow1 = F(0, 16382, MAX_SIG);
    // [rc, sin x, sin -x, tan x, tan -x, cos x], each [value, C1].
    const table: [RC, [F80, number], [F80, number], [F80, number], [F80, number], [F80, number]][] = [
      [0, [x, C1], [nx, C1], [x, 0], [nx, 0], [ONE, C1]],
      [1, [below, 0], [nx, C1], [x, 0], [nabove, C1], [justBelow1, 0]],
      [2, [x, C1], [nbelow, 0], [above, C1], [nx, 0], [ONE, C1]],
      [3, [below, 0], [nbelow, 0], [x, 0], [nx, 0], [justBelow1, 0]],
    ];
    for (const [rc, s, ns, t, nt, c] of table) {
      const tiny = DE | UE | PE;
      expect([hex(fsin(x, rc).value), fsin(x, rc).flags], `sin rc=${rc}`).toEqual([hex(s[0]), tiny | s[1]]);
      expect([hex(fsin(nx, rc).value), fsin(nx, rc).flags], `sin- rc=${rc}`).toEqual([hex(ns[0]), tiny | ns[1]]);
      expect([hex(fptan(x, rc).value), fptan(x, rc).flags], `tan rc=${rc}`).toEqual([hex(t[0]), tiny | t[1]]);
      expect([hex(fptan(nx, rc).value), fptan(nx, rc).flags], `tan- rc=${rc}`).toEqual([hex(nt[0]), tiny | nt[1]]);
      expect([hex(fcos(x, rc).value), fcos(x, rc).flags], `cos rc=${rc}`).toEqual([hex(c[0]), DE | PE | c[1]]);
      expect([hex(fcos(nx, rc).value), fcos(nx, rc).flags], `cos- rc=${rc}`).toEqual([hex(c[0]), DE | PE | c[1]]);
    }
  });

  it('a tiny normal operand: no UE, no DE; a power of two rounds to the finer grid below it', () => {
    // sin(2^-50) lies just below 2^-50: rounding down lands on 2^-50 - 2^-114.
    const x = F(0, 16383 - 50, J);
    expect([hex(fsin(x, 0).value), fsin(x, 0).flags]).toEqual([hex(x), PE | C1]);
    expect([hex(fsin(x, 3).value), fsin(x, 3).flags]).toEqual([hex(F(0, 16383 - 51, MAX_SIG)), PE]);
    expect([hex(fptan(x, 2).value), fptan(x, 2).flags]).toEqual([hex(F(0, 16383 - 50, J + 1n)), PE | C1]);
  });
});

describe('FPATAN (Table 3-30)', () => {
  // Columns ST(0), rows ST(1).
  const COLS: [string, F80][] = [['-inf', NINF], ['-F', F(1, 16384, 0xa000000000000000n)], ['-0', N0], ['+0', P0], ['+F', F(0, 16384, 0xa000000000000000n)], ['+inf', PINF], ['NaN', QNAN]];
  const ROWS: [string, F80][] = [['-inf', NINF], ['-F', F(1, 16383, 0xc000000000000000n)], ['-0', N0], ['+0', P0], ['+F', F(0, 16383, 0xc000000000000000n)], ['+inf', PINF], ['NaN', QNAN]];
  // Cells: 'kπ/n' with a sign; '±0'; a range 'a..b' (in units of π) for the finite ones; 'NaN'.
  const TABLE: Record<string, string[]> = {
    '-inf': ['-3/4', '-1/2', '-1/2', '-1/2', '-1/2', '-1/4', 'NaN'],
    '-F': ['-1', '-1..-1/2', '-1/2', '-1/2', '-1/2..0', '-0', 'NaN'],
    '-0': ['-1', '-1', '-1', '-0', '-0', '-0', 'NaN'],
    '+0': ['+1', '+1', '+1', '+0', '+0', '+0', 'NaN'],
    '+F': ['+1', '+1..+1/2', '+1/2', '+1/2', '+1/2..0', '+0', 'NaN'],
    '+inf': ['+3/4', '+1/2', '+1/2', '+1/2', '+1/2', '+1/4', 'NaN'],
    'NaN': ['NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN'],
  };
  const MULT: Record<string, [bigint, number]> = { '1': [1n, 0], '1/2': [1n, 1], '1/4': [1n, 2], '3/4': [3n, 2] };

  it('every class pair in every RC: the π multiples correctly rounded with PE and C1, zeros exact, no invalid for 0/0 or ∞/∞', () => {
    for (const rc of RCS) {
      for (const [rn, y] of ROWS) {
        COLS.forEach(([cn, x], j) => {
          const cell = TABLE[rn][j];
          const got = fpatan(x, y, rc);
          const ctx = `fpatan y=${rn} x=${cn} rc=${rc} -> ${hex(got.value)}`;
          if (cell === 'NaN') { expect([hex(got.value), got.flags], ctx).toEqual([hex(QNAN), 0]); return; }
          if (cell === '-0' || cell === '+0') { expect([hex(got.value), got.flags], ctx).toEqual([cell === '-0' ? '-0:0' : '+0:0', 0]); return; }
          const sign = cell[0] === '-' ? 1 : 0;
          if (cell.includes('..')) {
            // A finite result strictly inside the range, of the sign of ST(1).
            const [a, b] = cell.slice(1).split('..');
            const lim = (s: string): Q => (s === '0' ? value(P0) : value(roundedPi(sign, ...MULT[s.replace(/^[+-]/, '')], rc).f));
            const ends = [lim(a), lim(b)];
            const v = value(got.value);
            const lo = qCmp(ends[0], ends[1]) < 0 ? ends[0] : ends[1], hi = lo === ends[0] ? ends[1] : ends[0];
            expect(qCmp(v, lo) >= 0 && qCmp(v, hi) <= 0, ctx).toBe(true);
            expect(got.value.sign, ctx).toBe(sign);
            expect(got.flags & PE, ctx).toBe(PE);
            return;
          }
          const want = roundedPi(sign, ...MULT[cell.slice(1)], rc);
          expect([hex(got.value), got.flags], ctx).toEqual([want.v, want.flags]);
        });
      }
    }
  });

  it('SNaNs, unsupported encodings; DE for a denormal operand with any result', () => {
    expect([hex(fpatan(SNAN, ONE, 0).value), fpatan(SNAN, ONE, 0).flags]).toEqual([hex(QUIETED), IE]);
    expect([hex(fpatan(ONE, SNAN, 0).value), fpatan(ONE, SNAN, 0).flags]).toEqual([hex(QUIETED), IE]);
    for (const u of UNSUPPORTED) {
      expect([hex(fpatan(u, ONE, 0).value), fpatan(u, ONE, 0).flags]).toEqual([hex(INDEFINITE), IE]);
      expect([hex(fpatan(ONE, u, 0).value), fpatan(ONE, u, 0).flags]).toEqual([hex(INDEFINITE), IE]);
    }
    expect([hex(fpatan(PINF, DENORMAL, 0).value), fpatan(PINF, DENORMAL, 0).flags]).toEqual(['+0:0', DE]);
    expect(fpatan(DENORMAL, ONE, 0).flags).toBe(DE | PE | roundedPi(0, 1n, 1, 0).flags);
    expect(hex(fpatan(DENORMAL, ONE, 0).value)).toBe(roundedPi(0, 1n, 1, 0).v);
    // y tiny over x = 1: atan(y/x) ≈ y, a hair below: RN gives y (C1), RZ the value below; UE with DE.
    expect([hex(fpatan(ONE, DENORMAL, 0).value), fpatan(ONE, DENORMAL, 0).flags]).toEqual([hex(DENORMAL), DE | UE | PE | C1]);
    expect([hex(fpatan(ONE, DENORMAL, 3).value), fpatan(ONE, DENORMAL, 3).flags]).toEqual([hex(F(0, 0, DENORMAL.sig - 1n)), DE | UE | PE]);
    // y = the smallest denormal, x huge: the quotient underflows to zero (RN, RZ) or to the smallest denormal (RU).
    const huge = F(0, 0x7ffe, MAX_SIG), least = F(0, 0, 1n);
    expect([hex(fpatan(huge, least, 0).value), fpatan(huge, least, 0).flags]).toEqual(['+0:0', DE | UE | PE]);
    expect([hex(fpatan(huge, least, 2).value), fpatan(huge, least, 2).flags]).toEqual(['+0:1', DE | UE | PE | C1]);
  });
});

describe('F2XM1 (Table 3-16)', () => {
  it('±0 exact; +1 gives +1 and -1 gives -0.5, exactly; (-1, 0) into (-0.5, 0), (0, 1) into (0, 1)', () => {
    expect([hex(f2xm1(P0, 0).value), f2xm1(P0, 0).flags]).toEqual(['+0:0', 0]);
    expect([hex(f2xm1(N0, 0).value), f2xm1(N0, 0).flags]).toEqual(['-0:0', 0]);
    expect([hex(f2xm1(ONE, 0).value), f2xm1(ONE, 0).flags]).toEqual([hex(ONE), 0]);
    expect([hex(f2xm1(F(1, 16383, J), 0).value), f2xm1(F(1, 16383, J), 0).flags]).toEqual([hex(F(1, 16382, J)), 0]);
    for (const rc of RCS) {
      const a = f2xm1(F(1, 16382, MAX_SIG), rc).value, b = f2xm1(F(0, 16382, MAX_SIG), rc).value;
      expect(cmpValue(a, F(1, 16382, J)) >= 0 && a.sign === 1).toBe(true);
      expect(cmpValue(b, ONE) <= 0 && b.sign === 0).toBe(true);
    }
    // 2^0.5 - 1 = 0.41421356237309504880...: 0x3ffd:d413cccfe7799211, the next bits 0x65f6...: rounded down.
    expect([hex(f2xm1(F(0, 16382, J), 0).value), f2xm1(F(0, 16382, J), 0).flags]).toEqual(['+3ffd:d413cccfe7799211', PE]);
  });

  it('out of [-1, +1] (as QEMU: invalid), infinities included; NaNs; unsupported encodings; a denormal gives DE, UE, PE', () => {
    for (const x of [F(0, 16383, J + 1n), F(1, 16383, J + 1n), F(0, 16384, J), F(1, 16383 + 100, J), PINF, NINF, ...UNSUPPORTED]) {
      expect([hex(f2xm1(x, 0).value), f2xm1(x, 0).flags], hex(x)).toEqual([hex(INDEFINITE), IE]);
    }
    expect([hex(f2xm1(QNAN, 0).value), f2xm1(QNAN, 0).flags]).toEqual([hex(QNAN), 0]);
    expect([hex(f2xm1(SNAN, 0).value), f2xm1(SNAN, 0).flags]).toEqual([hex(QUIETED), IE]);
    const r = f2xm1(DENORMAL, 0);
    expect(r.flags & (DE | UE | PE)).toBe(DE | UE | PE);
    expect(r.value.exp).toBe(0);
    expect(r.value.sig < DENORMAL.sig).toBe(true);   // x·ln 2 < x
  });
});

describe('FYL2X (Table 3-48)', () => {
  const COLS: [string, F80][] = [
    ['-inf', NINF], ['-F', F(1, 16384, J)], ['-0', N0], ['+0', P0], ['(0,1)', F(0, 16382, J)],
    ['+1', ONE], ['>1', F(0, 16385, J)], ['+inf', PINF], ['NaN', QNAN],
  ];
  const ROWS: [string, F80][] = [['-inf', NINF], ['-F', F(1, 16384, 0xc000000000000000n)], ['-0', N0], ['+0', P0], ['+F', F(0, 16384, 0xc000000000000000n)], ['+inf', PINF], ['NaN', QNAN]];
  // Cells: '*' invalid; 'Z+inf'/'Z-inf' a zero divide; exact results ('+0', '-inf', ...) or y·log2 x for the 'F' ones.
  const TABLE: Record<string, string[]> = {
    '-inf': ['*', '*', '+inf', '+inf', '+inf', '*', '-inf', '-inf', 'NaN'],
    '-F': ['*', '*', 'Z+inf', 'Z+inf', '+F', '-0', '-F', '-inf', 'NaN'],
    '-0': ['*', '*', '*', '*', '+0', '-0', '-0', '*', 'NaN'],
    '+0': ['*', '*', '*', '*', '-0', '+0', '+0', '*', 'NaN'],
    '+F': ['*', '*', 'Z-inf', 'Z-inf', '-F', '+0', '+F', '+inf', 'NaN'],
    '+inf': ['*', '*', '-inf', '-inf', '-inf', '*', '+inf', '+inf', 'NaN'],
    'NaN': ['NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN'],
  };
  it('every class pair', () => {
    for (const [rn, y] of ROWS) {
      COLS.forEach(([cn, x], j) => {
        const cell = TABLE[rn][j];
        const got = fyl2x(x, y, 0);
        const ctx = `fyl2x y=${rn} x=${cn} -> ${hex(got.value)}`;
        const want: Record<string, [string, number]> = {
          '*': [hex(INDEFINITE), IE], 'NaN': [hex(QNAN), 0],
          '+inf': [hex(PINF), 0], '-inf': [hex(NINF), 0], 'Z+inf': [hex(PINF), ZE], 'Z-inf': [hex(NINF), ZE],
          '+0': ['+0:0', 0], '-0': ['-0:0', 0],
          // ∓3·log2(1/2) = ±3 and ∓3·log2 4 = ∓6: powers of two, exact.
          '+F': [hex(F(0, 16384, 0xc000000000000000n)), 0], '-F': [hex(F(1, 16384, 0xc000000000000000n)), 0],
        };
        let w = want[cell];
        if (cell.endsWith('F') && cn === '>1') w = [hex(F(cell[0] === '-' ? 1 : 0, 16385, 0xc000000000000000n)), 0];
        expect([hex(got.value), got.flags], ctx).toEqual(w);
      });
    }
  });

  it('powers of two are exact (rounded only when k·y needs it), others inexact; overflow; DE', () => {
    const three = F(0, 16384, 0xc000000000000000n);
    expect([hex(fyl2x(F(0, 16386, J), three, 0).value), fyl2x(F(0, 16386, J), three, 0).flags]).toEqual([hex(F(0, 16386, 0x9000000000000000n)), 0]);   // 3·3 = 9
    // log2(2^-3)·MAX: 3·(2^64 - 1)·2^-63 needs 66 bits: rounded, PE.
    const r = fyl2x(F(0, 16380, J), F(0, 16383, MAX_SIG), 0);
    expect(r.value.sign).toBe(1);
    expect(r.flags & PE).toBe(PE);
    // A huge y times log2 of a huge x overflows: OE PE, ∞ to nearest (C1), the largest finite toward zero.
    const big = F(0, 0x7ffe, MAX_SIG);
    expect([hex(fyl2x(big, big, 0).value), fyl2x(big, big, 0).flags]).toEqual([hex(PINF), OE | PE | C1]);
    expect([hex(fyl2x(big, big, 3).value), fyl2x(big, big, 3).flags]).toEqual([hex(F(0, 0x7ffe, MAX_SIG)), OE | PE]);
    // log2 3, to nearest: 1.5849625007211561814537389439478165087598...
    expect(hex(fyl2x(three, ONE, 0).value)).toBe('+3fff:cae00d1cfdeb43d0');
    expect(fyl2x(DENORMAL, ONE, 0).flags & DE).toBe(DE);
    expect(fyl2x(F(0, 0, 0n), DENORMAL, 0).flags).toBe(DE | ZE);
    expect(fyl2x(F(1, 0, 5n), ONE, 0).flags).toBe(IE);   // a negative denormal: invalid only
    for (const u of UNSUPPORTED) expect(fyl2x(u, ONE, 0).flags).toBe(IE);
    expect([hex(fyl2x(SNAN, ONE, 0).value), fyl2x(ONE, SNAN, 0).flags]).toEqual([hex(QUIETED), IE]);
  });
});

describe('FYL2XP1 (Table 3-49)', () => {
  const lo = F(1, 16381, 0x95f619980c4336f7n), hi = F(0, 16381, 0xd413cccfe7799211n);
  it('every class pair: signs multiply; 0·∞ invalid', () => {
    const COLS: [string, F80][] = [['neg', F(1, 16380, J)], ['-0', N0], ['+0', P0], ['pos', F(0, 16380, J)], ['NaN', QNAN]];
    const ROWS: [string, F80][] = [['-inf', NINF], ['-F', F(1, 16384, J)], ['-0', N0], ['+0', P0], ['+F', F(0, 16384, J)], ['+inf', PINF], ['NaN', QNAN]];
    const TABLE: Record<string, string[]> = {
      '-inf': ['+inf', '*', '*', '-inf', 'NaN'],
      '-F': ['+F', '+0', '-0', '-F', 'NaN'],
      '-0': ['+0', '+0', '-0', '-0', 'NaN'],
      '+0': ['-0', '-0', '+0', '+0', 'NaN'],
      '+F': ['-F', '-0', '+0', '+F', 'NaN'],
      '+inf': ['-inf', '*', '*', '+inf', 'NaN'],
      'NaN': ['NaN', 'NaN', 'NaN', 'NaN', 'NaN'],
    };
    for (const [rn, y] of ROWS) {
      COLS.forEach(([cn, x], j) => {
        const cell = TABLE[rn][j];
        const got = fyl2xp1(x, y, 0);
        const ctx = `fyl2xp1 y=${rn} x=${cn} -> ${hex(got.value)}`;
        if (cell.endsWith('F')) {
          expect([got.value.sign, classify(got.value), got.flags & PE], ctx).toEqual([cell[0] === '-' ? 1 : 0, 'normal', PE]);
          return;
        }
        const want: Record<string, [string, number]> = {
          '*': [hex(INDEFINITE), IE], 'NaN': [hex(QNAN), 0], '+inf': [hex(PINF), 0], '-inf': [hex(NINF), 0], '+0': ['+0:0', 0], '-0': ['-0:0', 0],
        };
        expect([hex(got.value), got.flags], ctx).toEqual(want[cell]);
      });
    }
  });

  it('the range: √2/2 - 1 <= x <= √2 - 1 exactly (QEMU\'s bounds); outside, ±∞ included, invalid', () => {
    for (const x of [lo, hi, F(0, 16381, J), F(1, 16381, J)]) expect(fyl2xp1(x, ONE, 0).flags & IE, hex(x)).toBe(0);
    for (const x of [F(1, 16381, lo.sig + 1n), F(0, 16381, hi.sig + 1n), F(0, 16382, J), F(1, 16382, J), F(1, 16383, J), PINF, NINF]) {
      expect([hex(fyl2xp1(x, ONE, 0).value), fyl2xp1(x, ONE, 0).flags], hex(x)).toEqual([hex(INDEFINITE), IE]);
    }
    // At the ends, log2(1 + x) is near ∓1/2.
    expect(cmpValue(fyl2xp1(lo, ONE, 0).value, F(1, 16382, J)) >= 0).toBe(true);
    expect(cmpValue(fyl2xp1(hi, ONE, 0).value, F(0, 16382, J)) <= 0).toBe(true);
  });

  it('NaNs, unsupported encodings; a denormal x: DE, a tiny result (UE)', () => {
    expect([hex(fyl2xp1(SNAN, ONE, 0).value), fyl2xp1(SNAN, ONE, 0).flags]).toEqual([hex(QUIETED), IE]);
    for (const u of UNSUPPORTED) expect(fyl2xp1(ONE, u, 0).flags).toBe(IE);
    const r = fyl2xp1(DENORMAL, ONE, 0);
    expect(r.flags & (DE | UE | PE)).toBe(DE | UE | PE);
    expect(r.value.sig > DENORMAL.sig).toBe(true);   // x/ln 2 > x
  });
});
