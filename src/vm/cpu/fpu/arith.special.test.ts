/**
 * Special operands of the arithmetic and compares, cell by cell from the
 * SDM: the result tables of SDM Vol. 2 FADD, FSUB, FMUL, FDIV, FSQRT,
 * FRNDINT, FCOM and FUCOM; the NaN rules of SDM Vol. 1 Table 4-7; the
 * invalid operations of SDM Vol. 1 Table 8-10 and the unsupported encodings
 * of §8.2.2 (Table 8-3); exception priority of §4.9.2; underflow and
 * overflow of §4.9.1.4-§4.9.1.5 and §8.5.4-§8.5.5.
 */
import { describe, it, expect } from 'vitest';
import {
  type F80, type RC, makeF80, add, sub, mul, div, sqrt, roundInt, fcom, fucom, propagateNaN,
  roundExact, extFormat, packExt,
  INDEFINITE, IE, DE, ZE, OE, UE, PE, C1, classify,
} from './index';

const J = 1n << 63n;
const F = (sign: number, exp: number, sig: bigint): F80 => makeF80(sign, exp, sig);
const ONE = F(0, 16383, J);
const P0 = F(0, 0, 0n), N0 = F(1, 0, 0n);
const PINF = F(0, 0x7fff, J), NINF = F(1, 0x7fff, J);
const PF = F(0, 16384, J), NF = F(1, 16384, 0xc000000000000000n);   // +2, -3
const QNAN = F(0, 0x7fff, 0xc000000000001234n);
const SNAN = F(0, 0x7fff, 0x8000000000005678n);
const DENORMAL = F(0, 0, 0x0000000012345678n);
const UNNORMAL = F(0, 16383, 0x4000000000000000n);
const PSEUDO_INF = F(0, 0x7fff, 0n);
const PSEUDO_QNAN = F(0, 0x7fff, 0x4000000000000001n);
const PSEUDO_SNAN = F(1, 0x7fff, 0x0000000000000001n);
const PSEUDO_DENORMAL = F(0, 0, J | 5n);

const show = (x: F80) => `${x.sign ? '-' : '+'}${x.exp.toString(16)}:${x.sig.toString(16)}`;
const same = (x: F80, y: F80) => expect(show(x)).toBe(show(y));

/**
 * A table cell: '+inf' '-inf' '+0' '-0'; '±0' is +0 except rounding down,
 * which gives -0; '+F' '-F' a non-zero finite of that sign, '±F' any; 'D' the
 * destination, 'S' the source, '-S' the source negated; '*' invalid (IE and
 * the indefinite); 'Z+inf' 'Z-inf' a zero divide (ZE); 'NaN' the NaN operand.
 */
type Cell = string;
const COLS: [string, F80][] = [['-inf', NINF], ['-F', NF], ['-0', N0], ['+0', P0], ['+F', PF], ['+inf', PINF], ['NaN', QNAN]];

function checkCell(cell: Cell, got: { value: F80; flags: number }, d: F80, s: F80, rc: RC, ctx: string): void {
  const v = got.value;
  const c = classify(v);
  switch (cell) {
    case '*': same(v, INDEFINITE); expect(got.flags, ctx).toBe(IE); return;
    case 'NaN': same(v, QNAN); expect(got.flags, ctx).toBe(0); return;
    case 'D': same(v, d); break;
    case 'S': same(v, s); break;
    case '-S': same(v, F(s.sign ^ 1, s.exp, s.sig)); break;
    case '+inf': case 'Z+inf': same(v, PINF); break;
    case '-inf': case 'Z-inf': same(v, NINF); break;
    case '+0': same(v, P0); break;
    case '-0': same(v, N0); break;
    case '±0': same(v, rc === 1 ? N0 : P0); break;
    case '+F': expect([c, v.sign], ctx).toEqual(['normal', 0]); break;
    case '-F': expect([c, v.sign], ctx).toEqual(['normal', 1]); break;
    case '±F': expect(c, ctx).toMatch(/^(normal|zero)$/); break;   // the SDM's "±F or ±0"
    default: throw new Error(cell);
  }
  expect(got.flags & (IE | ZE), ctx).toBe(cell.startsWith('Z') ? ZE : 0);
}

function table(name: string, op: (a: F80, b: F80, rc: RC) => { value: F80; flags: number }, rows: Cell[][]): void {
  it(`${name}: every cell, in every rounding mode`, () => {
    rows.forEach((row, i) => row.forEach((cell, j) => {
      for (const rc of [0, 1, 2, 3] as RC[]) {
        const d = COLS[i][1], s = COLS[j][1];
        checkCell(cell, op(d, s, rc), d, s, rc, `${name} ${COLS[i][0]} ${COLS[j][0]} rc=${rc}`);
      }
    }));
  });
}

describe('SDM Vol. 2 result tables (rows: destination; columns: source -inf -F -0 +0 +F +inf NaN)', () => {
  // FADD/FADDP/FIADD Results.
  table('FADD', (a, b, rc) => add(a, b, 3, rc), [
    ['-inf', '-inf', '-inf', '-inf', '-inf', '*', 'NaN'],
    ['-inf', '-F', 'D', 'D', '±F', '+inf', 'NaN'],
    ['-inf', 'S', '-0', '±0', 'S', '+inf', 'NaN'],
    ['-inf', 'S', '±0', '+0', 'S', '+inf', 'NaN'],
    ['-inf', '±F', 'D', 'D', '+F', '+inf', 'NaN'],
    ['*', '+inf', '+inf', '+inf', '+inf', '+inf', 'NaN'],
    ['NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN'],
  ]);
  // FSUB/FSUBP/FISUB Results (destination minus source).
  table('FSUB', (a, b, rc) => sub(a, b, 3, rc), [
    ['*', '-inf', '-inf', '-inf', '-inf', '-inf', 'NaN'],
    ['+inf', '±F', 'D', 'D', '-F', '-inf', 'NaN'],
    ['+inf', '-S', '±0', '-0', '-S', '-inf', 'NaN'],
    ['+inf', '-S', '+0', '±0', '-S', '-inf', 'NaN'],
    ['+inf', '+F', 'D', 'D', '±F', '-inf', 'NaN'],
    ['+inf', '+inf', '+inf', '+inf', '+inf', '*', 'NaN'],
    ['NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN'],
  ]);
  // FMUL/FMULP/FIMUL Results.
  table('FMUL', (a, b, rc) => mul(a, b, 3, rc), [
    ['+inf', '+inf', '*', '*', '-inf', '-inf', 'NaN'],
    ['+inf', '+F', '+0', '-0', '-F', '-inf', 'NaN'],
    ['*', '+0', '+0', '-0', '-0', '*', 'NaN'],
    ['*', '-0', '-0', '+0', '+0', '*', 'NaN'],
    ['-inf', '-F', '-0', '+0', '+F', '+inf', 'NaN'],
    ['-inf', '-inf', '*', '*', '+inf', '+inf', 'NaN'],
    ['NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN'],
  ]);
  // FDIV/FDIVP/FIDIV Results (destination divided by source); ∞ / 0 is no zero divide.
  table('FDIV', (a, b, rc) => div(a, b, 3, rc), [
    ['*', '+inf', '+inf', '-inf', '-inf', '*', 'NaN'],
    ['+0', '+F', 'Z+inf', 'Z-inf', '-F', '-0', 'NaN'],
    ['+0', '+0', '*', '*', '-0', '-0', 'NaN'],
    ['-0', '-0', '*', '*', '+0', '+0', 'NaN'],
    ['-0', '-F', 'Z-inf', 'Z+inf', '+F', '+0', 'NaN'],
    ['*', '-inf', '-inf', '+inf', '+inf', '*', 'NaN'],
    ['NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN', 'NaN'],
  ]);

  it('FSQRT: -inf and -F invalid, sqrt(-0) = -0, +0, +F, +inf, NaN (SDM Vol. 2 FSQRT table)', () => {
    const cells: [F80, Cell][] = [[NINF, '*'], [NF, '*'], [N0, '-0'], [P0, '+0'], [PF, '+F'], [PINF, '+inf'], [QNAN, 'NaN']];
    for (const [x, cell] of cells) for (const rc of [0, 1, 2, 3] as RC[]) checkCell(cell, sqrt(x, 3, rc), x, x, rc, `sqrt ${show(x)}`);
    same(sqrt(F(0, 16385, J), 3, 0).value, PF);   // sqrt(4) = 2, exact
    expect(sqrt(F(0, 16385, J), 3, 0).flags).toBe(0);
  });

  it('x + (-x) is +0, or -0 rounding toward -inf (SDM Vol. 2 FADD, FSUB)', () => {
    const x = F(1, 12345, 0xdeadbeef00000001n), mx = F(0, 12345, 0xdeadbeef00000001n);
    for (const rc of [0, 2, 3] as RC[]) { same(add(x, mx, 3, rc).value, P0); same(sub(x, x, 3, rc).value, P0); }
    same(add(x, mx, 3, 1).value, N0);
    same(sub(mx, mx, 3, 1).value, N0);
    expect(add(x, mx, 3, 1).flags).toBe(0);
  });

  it('a zero operand leaves the other one, rounded to PC (SDM Vol. 1 §8.1.5.2)', () => {
    const x = F(0, 16383, J | 0xffn);
    same(add(x, P0, 3, 0).value, x);
    const r = add(x, N0, 0, 0);   // PC=24: 1 + 255 * 2^-63 rounds to 1
    same(r.value, ONE);
    expect(r.flags).toBe(PE);
  });
});

describe('NaN operands (SDM Vol. 1 §4.8.3.5, Table 4-7, x87 column)', () => {
  const Q1 = F(0, 0x7fff, 0xc000000000000010n), Q2 = F(1, 0x7fff, 0xc000000000000020n);
  const S1 = F(1, 0x7fff, 0x8000000000000010n), S2 = F(0, 0x7fff, 0x8000000000000020n);
  const q = (x: F80) => F(x.sign, x.exp, x.sig | (1n << 62n));
  const binaries = [
    ['add', (a: F80, b: F80) => add(a, b, 3, 0)], ['sub', (a: F80, b: F80) => sub(a, b, 3, 0)],
    ['mul', (a: F80, b: F80) => mul(a, b, 3, 0)], ['div', (a: F80, b: F80) => div(a, b, 3, 0)],
    ['propagateNaN', propagateNaN],
  ] as const;
  const cases: [string, F80, F80, F80, number][] = [
    ['SNaN and QNaN: the QNaN', S2, Q1, Q1, IE],
    ['QNaN and SNaN: the QNaN', Q1, S2, Q1, IE],
    ['two SNaNs: the larger significand, quieted', S1, S2, q(S2), IE],
    ['two SNaNs, other order', S2, S1, q(S2), IE],
    ['two QNaNs: the larger significand', Q1, Q2, Q2, 0],
    ['two QNaNs, other order', Q2, Q1, Q2, 0],
    ['SNaN and a number: the SNaN quieted', S1, ONE, q(S1), IE],
    ['a number and an SNaN', NINF, S1, q(S1), IE],
    ['QNaN and a number: the QNaN', Q2, P0, Q2, 0],
    ['a number and a QNaN', DENORMAL, Q2, Q2, 0],
    ['equal significands: the positive one (QEMU)', F(1, 0x7fff, Q1.sig), Q1, Q1, 0],
    ['equal significands, other order', Q1, F(1, 0x7fff, Q1.sig), Q1, 0],
  ];
  for (const [name, a, b, want, flags] of cases) {
    it(name, () => {
      for (const [op, f] of binaries) {
        const r = f(a, b);
        expect(show(r.value), op).toBe(show(want));
        expect(r.flags, op).toBe(flags);
      }
    });
  }
  it('one-operand instructions: an SNaN is quieted with IE, a QNaN passes (FSQRT, FRNDINT)', () => {
    for (const rc of [0, 1, 2, 3] as RC[]) {
      expect(sqrt(S1, 3, rc)).toMatchObject({ value: q(S1), flags: IE });
      expect(sqrt(F(1, 0x7fff, Q2.sig), 3, rc)).toMatchObject({ value: F(1, 0x7fff, Q2.sig), flags: 0 });   // a negative QNaN is no negative operand
      expect(roundInt(S2, rc)).toMatchObject({ value: q(S2), flags: IE });
      expect(roundInt(Q1, rc)).toMatchObject({ value: Q1, flags: 0 });
    }
  });
  it('FSUB does not flip a NaN source\'s sign', () => {
    same(sub(ONE, Q2, 3, 0).value, Q2);
    same(sub(Q2, ONE, 3, 0).value, Q2);
  });
  it('a QNaN wins over zero divide and denormal (SDM Vol. 1 §4.9.2, priority 2 over 3)', () => {
    expect(div(QNAN, P0, 3, 0)).toMatchObject({ value: QNAN, flags: 0 });
    expect(add(QNAN, DENORMAL, 3, 0)).toMatchObject({ value: QNAN, flags: 0 });
    expect(mul(DENORMAL, SNAN, 3, 0)).toMatchObject({ value: q(SNAN), flags: IE });
  });
  it('the real indefinite is a QNaN and propagates as one (SDM Vol. 1 §4.8.3.7)', () => {
    expect(classify(INDEFINITE)).toBe('qnan');
    expect(add(INDEFINITE, ONE, 3, 0)).toMatchObject({ value: INDEFINITE, flags: 0 });
  });
});

describe('invalid operations and unsupported encodings (SDM Vol. 1 Table 8-10, §8.2.2 / Table 8-3)', () => {
  const unsupported: [string, F80][] = [
    ['unnormal', UNNORMAL], ['pseudo-infinity', PSEUDO_INF], ['pseudo-QNaN', PSEUDO_QNAN], ['pseudo-SNaN', PSEUDO_SNAN],
    ['unnormal with exponent 0x7ffe', F(1, 0x7ffe, 0x7fffffffffffffffn)],
  ];
  const partners = [ONE, P0, PINF, QNAN, SNAN, DENORMAL];
  for (const [name, u] of unsupported) {
    it(`${name}: IE and the indefinite from every arithmetic operation, unordered from every compare`, () => {
      expect(classify(u)).not.toMatch(/^(normal|zero|denormal|qnan|snan|infinity)$/);
      for (const p of partners) {
        for (const f of [add, sub, mul, div]) {
          expect(f(u, p, 3, 0)).toMatchObject({ value: INDEFINITE, flags: IE });
          expect(f(p, u, 3, 0)).toMatchObject({ value: INDEFINITE, flags: IE });
        }
        expect(fcom(u, p)).toEqual({ rel: 'un', flags: IE });
        expect(fucom(p, u)).toEqual({ rel: 'un', flags: IE });
      }
      expect(sqrt(u, 3, 0)).toMatchObject({ value: INDEFINITE, flags: IE });
      expect(roundInt(u, 0)).toMatchObject({ value: INDEFINITE, flags: IE });
    });
  }
  it('∞ - ∞, 0 * ∞, 0 / 0, ∞ / ∞, sqrt of a negative: IE and the indefinite', () => {
    expect(add(PINF, NINF, 3, 0)).toMatchObject({ value: INDEFINITE, flags: IE });
    expect(sub(NINF, NINF, 3, 0)).toMatchObject({ value: INDEFINITE, flags: IE });
    expect(mul(N0, PINF, 3, 0)).toMatchObject({ value: INDEFINITE, flags: IE });
    expect(div(P0, N0, 3, 0)).toMatchObject({ value: INDEFINITE, flags: IE });
    expect(div(NINF, PINF, 3, 0)).toMatchObject({ value: INDEFINITE, flags: IE });
    expect(sqrt(F(1, 0, 1n), 3, 0)).toMatchObject({ value: INDEFINITE, flags: IE });   // a negative denormal: IE, not DE
    expect(sqrt(NINF, 3, 0)).toMatchObject({ value: INDEFINITE, flags: IE });
  });
});

describe('denormal operands (SDM Vol. 1 §8.5.2; pseudo-denormals §8.2.2)', () => {
  it('raise DE and are used as they are', () => {
    expect(add(DENORMAL, P0, 3, 0)).toMatchObject({ value: DENORMAL, flags: DE });
    expect(mul(DENORMAL, PINF, 3, 0)).toMatchObject({ value: PINF, flags: DE });
    expect(mul(N0, DENORMAL, 3, 0)).toMatchObject({ value: N0, flags: DE });
    expect(div(DENORMAL, P0, 3, 0)).toMatchObject({ value: PINF, flags: DE | ZE });
    expect(div(PINF, DENORMAL, 3, 0)).toMatchObject({ value: PINF, flags: DE });
    expect(fcom(DENORMAL, P0)).toEqual({ rel: 'gt', flags: DE });
    // sqrt of a denormal is normal: 2^-16416 * 0x12345678 has a root near 2^-8194.
    const r = sqrt(DENORMAL, 3, 0);
    expect([classify(r.value), r.flags & DE]).toEqual(['normal', DE]);
  });
  it('a pseudo-denormal is the normal with exponent 1 (plus DE), and never comes out', () => {
    // 2^-16382 * (1 + 5 * 2^-63), a normal: no UE.
    expect(add(PSEUDO_DENORMAL, P0, 3, 0)).toMatchObject({ value: F(0, 1, J | 5n), flags: DE });
    expect(fcom(PSEUDO_DENORMAL, F(0, 1, J | 5n))).toEqual({ rel: 'eq', flags: DE });
    expect(mul(PSEUDO_DENORMAL, ONE, 3, 0)).toMatchObject({ value: F(0, 1, J | 5n), flags: DE });
  });
});

describe('overflow, underflow and C1 (SDM Vol. 1 §4.9.1.4-§4.9.1.6, §8.5.4-§8.5.5)', () => {
  const MAX = F(0, 0x7ffe, (1n << 64n) - 1n);
  it('masked overflow: ∞ or the largest finite number, by RC and sign (Table 4-10); C1 when ∞', () => {
    const big = F(0, 0x7ffe, J);
    // 2^16383 * 2 overflows: nearest -> ∞; toward zero -> max; up -> +∞ / -max; down -> +max / -∞.
    expect(add(big, big, 3, 0)).toMatchObject({ value: PINF, flags: OE | PE | C1 });
    expect(add(big, big, 3, 3)).toMatchObject({ value: MAX, flags: OE | PE });
    expect(add(big, big, 3, 2)).toMatchObject({ value: PINF, flags: OE | PE | C1 });
    expect(add(big, big, 3, 1)).toMatchObject({ value: MAX, flags: OE | PE });
    const nbig = F(1, 0x7ffe, J);
    expect(add(nbig, nbig, 3, 2)).toMatchObject({ value: F(1, 0x7ffe, (1n << 64n) - 1n), flags: OE | PE });
    expect(add(nbig, nbig, 3, 1)).toMatchObject({ value: NINF, flags: OE | PE | C1 });
    // Under PC=24 the largest finite has 24 ones: 0x7ffe ffffff0000000000.
    expect(mul(big, PF, 0, 3)).toMatchObject({ value: F(0, 0x7ffe, 0xffffff0000000000n), flags: OE | PE });
  });
  it('PC keeps the extended exponent range: 2^9000 squared overflows, 2^-5000 squared does not underflow', () => {
    expect(mul(F(0, 16383 + 9000, J), F(0, 16383 + 9000, J), 0, 0).value).toEqual(PINF);
    expect(mul(F(0, 16383 - 5000, J), F(0, 16383 - 5000, J), 0, 0)).toMatchObject({ value: F(0, 16383 - 10000, J), flags: 0 });
  });
  it('gradual underflow: a tiny exact result is a denormal with no flag; tiny and inexact is UE and PE', () => {
    const half = F(0, 16382, J);
    // 2^-16382 / 2 = 2^-16383, a denormal, exact.
    expect(mul(F(0, 1, J), half, 3, 0)).toMatchObject({ value: F(0, 0, 1n << 62n), flags: 0 });
    // The smallest denormal halved: a tie between 0 and it; nearest-even gives 0.
    expect(mul(F(0, 0, 1n), half, 3, 0)).toMatchObject({ value: P0, flags: DE | UE | PE });
    expect(mul(F(0, 0, 1n), half, 3, 2)).toMatchObject({ value: F(0, 0, 1n), flags: DE | UE | PE | C1 });
    expect(mul(F(1, 0, 3n), half, 3, 0)).toMatchObject({ value: F(1, 0, 2n), flags: DE | UE | PE | C1 });   // 1.5 ulp -> 2
  });
  it('a denormal result is rounded at PC: under PC=24 it keeps the top 24 bits of its field', () => {
    // 2^-16383 * (1 + 2^-30): exact in 64 bits, not in 24.
    const a = F(0, 1, J | (1n << 33n));   // 2^-16382 * (1 + 2^-30)
    const r = mul(a, F(0, 16382, J), 0, 0);   // halved
    expect(r).toMatchObject({ value: F(0, 0, 1n << 62n), flags: UE | PE });
    expect(mul(a, F(0, 16382, J), 3, 0)).toMatchObject({ value: F(0, 0, (1n << 62n) | (1n << 32n)), flags: 0 });
  });
  it('tininess is detected after rounding (§4.9.1.5, §8.5.5: "the rounded result with unbounded exponent")', () => {
    // 2^-16382 - 2^-16445: under PC=24 it rounds (to nearest) up to 2^-16382, a normal: PE and C1 but no UE.
    const r = add(F(0, 1, J), F(1, 0, 1n), 0, 0);
    expect(r).toMatchObject({ value: F(0, 1, J), flags: DE | PE | C1 });
    // Toward zero it stays below: the largest PC=24 denormal, tiny and inexact.
    expect(add(F(0, 1, J), F(1, 0, 1n), 0, 3)).toMatchObject({ value: F(0, 0, 0x7fffff0000000000n), flags: DE | UE | PE });
    // Detected before rounding the same value would be tiny.
    const exact = (1n << 63n) - 1n;   // 2^-16445 * (2^63 - 1)
    const before = roundExact(0, exact, -16445, extFormat(0), 0, 'before');
    expect([show(packExt(before)), before.flags]).toEqual([show(F(0, 1, J)), UE | PE | C1]);
  });
  it('C1 says the significand was rounded up, in magnitude, by RC and sign (§8.1.3.1)', () => {
    const third = div(ONE, F(0, 16384, 0xc000000000000000n), 3, 0);   // 1/3 = 0.0101..., nearest rounds up
    expect(third.flags).toBe(PE | C1);
    expect(div(ONE, F(0, 16384, 0xc000000000000000n), 3, 3).flags).toBe(PE);
    expect(div(F(1, 16383, J), F(0, 16384, 0xc000000000000000n), 3, 1).flags).toBe(PE | C1);   // -1/3 down: away from 0
    expect(div(F(1, 16383, J), F(0, 16384, 0xc000000000000000n), 3, 2).flags).toBe(PE);
  });
});

describe('FRNDINT (SDM Vol. 2 FRNDINT)', () => {
  const v = (rc: RC, x: F80) => { const r = roundInt(x, rc); return [show(r.value), r.flags]; };
  const num = (k: bigint, sign = 0): F80 => (k === 0n ? F(sign, 0, 0n) : F(sign, 16383 + k.toString(2).length - 1, k << BigInt(64 - k.toString(2).length)));
  const half = (k: bigint, sign = 0): F80 => F(sign, 16383 + k.toString(2).length - 2, k << BigInt(64 - k.toString(2).length));   // k/2
  it('rounds by RC only; PE when inexact; C1 when rounded away from zero', () => {
    expect(v(0, half(5n))).toEqual([show(num(2n)), PE]);            // 2.5 -> 2
    expect(v(0, half(7n))).toEqual([show(num(4n)), PE | C1]);       // 3.5 -> 4
    expect(v(0, half(5n, 1))).toEqual([show(num(2n, 1)), PE]);      // -2.5 -> -2
    expect(v(1, half(5n, 1))).toEqual([show(num(3n, 1)), PE | C1]); // -2.5 down -> -3
    expect(v(2, half(5n))).toEqual([show(num(3n)), PE | C1]);
    expect(v(3, half(7n, 1))).toEqual([show(num(3n, 1)), PE]);
    expect(v(2, half(1n, 1))).toEqual([show(N0), PE]);              // -0.5 up -> -0
    expect(v(1, half(1n))).toEqual([show(P0), PE]);
    expect(v(2, half(1n))).toEqual([show(num(1n)), PE | C1]);
    expect(v(0, num(12345n))).toEqual([show(num(12345n)), 0]);
    expect(v(0, F(1, 16383 + 70, J | 1n))).toEqual([show(F(1, 16383 + 70, J | 1n)), 0]);
    expect(v(2, DENORMAL)).toEqual([show(num(1n)), DE | PE | C1]);
    expect(v(0, N0)).toEqual([show(N0), 0]);
    expect(v(0, NINF)).toEqual([show(NINF), 0]);
    // 2^63 - 0.5 rounds to nearest-even 2^63.
    expect(v(0, F(0, 16383 + 62, (1n << 64n) - 1n))).toEqual([show(F(0, 16383 + 63, J)), PE | C1]);
  });
});

describe('FCOM and FUCOM (SDM Vol. 2 FCOM, FUCOM tables; SDM Vol. 1 §8.1.4)', () => {
  it('orders values; -0 = +0; ∞ beyond every finite', () => {
    expect(fcom(PF, ONE).rel).toBe('gt');
    expect(fcom(ONE, PF).rel).toBe('lt');
    expect(fcom(ONE, F(0, 16383, J)).rel).toBe('eq');
    expect(fcom(P0, N0)).toEqual({ rel: 'eq', flags: 0 });
    expect(fcom(NF, N0).rel).toBe('lt');
    expect(fcom(NINF, F(1, 0x7ffe, (1n << 64n) - 1n)).rel).toBe('lt');
    expect(fcom(PINF, PINF).rel).toBe('eq');
    expect(fcom(F(1, 16390, J), F(1, 16390, J | 1n)).rel).toBe('gt');
    expect(fcom(DENORMAL, F(0, 1, J))).toEqual({ rel: 'lt', flags: DE });
  });
  it('NaNs: unordered; FCOM raises IE for any NaN, FUCOM for an SNaN only', () => {
    expect(fcom(QNAN, ONE)).toEqual({ rel: 'un', flags: IE });
    expect(fcom(ONE, SNAN)).toEqual({ rel: 'un', flags: IE });
    expect(fucom(QNAN, ONE)).toEqual({ rel: 'un', flags: 0 });
    expect(fucom(QNAN, QNAN)).toEqual({ rel: 'un', flags: 0 });
    expect(fucom(ONE, SNAN)).toEqual({ rel: 'un', flags: IE });
    expect(fucom(QNAN, DENORMAL)).toEqual({ rel: 'un', flags: 0 });
  });
});
