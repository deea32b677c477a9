/**
 * The x87's values in decimal and back: known constants, every class, C's
 * %g layout, the decimal reader's correct rounding (against the fpu tests'
 * independent rational reference) at the edges of the format, round trips,
 * and the integer an expression gets.
 */
import { describe, it, expect } from 'vitest';
import { type F80, makeF80, INDEFINITE, EXP_MAX } from '../vm/cpu/fpu/float80';
import { type Q, Rng, refRound, refPackExt, REF_EXT, f80Value, qSub, qAbs, qCmp, qMul } from '../vm/cpu/fpu/test-reference';
import { f80Hex, f80Text, finiteDecimal, parseF80, f80ToUint32, decimalDigits, roundRational } from './float80Text';

/** An F80 from its 20 hex digits. */
function bits(hex: string): F80 {
  const b = BigInt(hex);
  return makeF80(Number(b >> 79n), Number((b >> 64n) & 0x7fffn), b & ((1n << 64n) - 1n));
}
/** parseF80's value as hex, or its error. */
function parsed(text: string): string {
  const r = parseF80(text);
  return 'error' in r ? `error: ${r.error}` : f80Hex(r.value);
}
const J = 1n << 63n;

describe('80-bit values in words', () => {
  it('prints known constants with 21 significant digits from their exact value', () => {
    expect(f80Text(bits('0x3fff8000000000000000'))).toBe('1');
    expect(f80Text(bits('0xbfff8000000000000000'))).toBe('-1');
    // FLDPI's pi.
    expect(f80Text(bits('0x4000c90fdaa22168c235'))).toBe('3.14159265358979323851');
    // 0.1 as the x87 holds it: 0.1000000000000000000013552527...
    expect(f80Text(bits('0x3ffbcccccccccccccccd'))).toBe('0.100000000000000000001');
    // The smallest denormal, 2^-16445 = 3.64519953188247460252840...e-4951, and the largest normal.
    expect(f80Text(bits('0x00000000000000000001'))).toBe('3.64519953188247460253e-4951 (denormal)');
    expect(f80Text(bits('0x7ffeffffffffffffffff'))).toBe('1.18973149535723176502e+4932');
    // The smallest normal, 2^-16382 = 3.36210314311209350626e-4932; FLDLG2, FLDLN2, FLDL2E, FLDL2T.
    expect(f80Text(bits('0x00018000000000000000'))).toBe('3.36210314311209350626e-4932');
    expect(f80Text(bits('0x3ffd9a209a84fbcff799'))).toBe('0.301029995663981195226');
    expect(f80Text(bits('0x3ffeb17217f7d1cf79ac'))).toBe('0.693147180559945309429');
    expect(f80Text(bits('0x3fffb8aa3b295c17f0bc'))).toBe('1.44269504088896340739');
    expect(f80Text(bits('0x4000d49a784bcd1b8afe'))).toBe('3.32192809488736234781');
  });

  it("lays digits out as C's %.21Lg", () => {
    const pow2 = (k: number) => makeF80(0, 16383 + k, J);
    expect(f80Text(pow2(66))).toBe('73786976294838206464'); // 20 digits: fixed
    expect(f80Text(pow2(70))).toBe('1.18059162071741130342e+21'); // 1180591620717411303424: 22 digits, rounded
    expect(f80Text(pow2(-13))).toBe('0.0001220703125');
    expect(f80Text(pow2(-14))).toBe('6.103515625e-05');
    expect(f80Text(pow2(-1))).toBe('0.5');
    expect(f80Text(makeF80(0, 16383 + 3, 0xa000000000000000n))).toBe('10');
    expect(f80Text(makeF80(1, 16383 + 6, 0xc800000000000000n))).toBe('-100');
    // 10^20 (exact) is fixed; 10^21 (exact: 5^21 < 2^64) goes to scientific.
    expect(finiteDecimal(parseOk('1e20'))).toBe('100000000000000000000');
    expect(finiteDecimal(parseOk('1e21'))).toBe('1e+21');
    // Ties at the last digit go to even (shown on short exact values): 12|5 -> 12, 13|5 -> 14, 99|5 -> 100.
    expect(decimalDigits(125n, 0, 2)).toEqual({ digits: '12', exp10: 2 });
    expect(decimalDigits(135n, 0, 2)).toEqual({ digits: '14', exp10: 2 });
    expect(decimalDigits(995n, 0, 2)).toEqual({ digits: '10', exp10: 3 });
  });

  it('names the classes without a number', () => {
    expect(f80Text(bits('0x00000000000000000000'))).toBe('0');
    expect(f80Text(bits('0x80000000000000000000'))).toBe('-0');
    expect(f80Text(bits('0x7fff8000000000000000'))).toBe('+inf');
    expect(f80Text(bits('0xffff8000000000000000'))).toBe('-inf');
    expect(f80Text(INDEFINITE)).toBe('-qnan (indefinite)');
    expect(f80Text(bits('0x7fffc000000000000000'))).toBe('qnan');
    expect(f80Text(bits('0xffffc000000000000001'))).toBe('-qnan');
    expect(f80Text(bits('0x7fffa000000000000000'))).toBe('snan');
    expect(f80Text(bits('0xffff8000000000000001'))).toBe('-snan');
    expect(f80Text(bits('0x00008000000000000000'))).toBe('3.36210314311209350626e-4932 (pseudo-denormal)');
    expect(f80Text(bits('0x80007fffffffffffffff'))).toMatch(/^-3\.3621031431120935\d+e-4932 \(denormal\)$/);
    expect(f80Text(bits('0x3fff4000000000000000'))).toBe('unsupported (unnormal)');
    expect(f80Text(bits('0x7fff0000000000000000'))).toBe('unsupported (pseudo-infinity)');
    expect(f80Text(bits('0xffff4000000000000000'))).toBe('unsupported (-pseudo-nan)');
    expect(f80Hex(INDEFINITE)).toBe('0xffffc000000000000000');
    expect(f80Hex(bits('0x00000000000000000001'))).toBe('0x00000000000000000001');
  });

  it('prints the digits of the exact value, correctly rounded (checked by rationals)', () => {
    const rng = new Rng(0x5eed);
    for (let n = 0; n < 300; n++) {
      const exp = n % 5 === 0 ? rng.int(EXP_MAX) : 16383 - 200 + rng.int(400);
      const x = makeF80(0, exp, exp === 0 ? rng.u64() & (J - 1n) : rng.u64() | J);
      if (x.sig === 0n) continue;
      const text = finiteDecimal(x);
      const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text) ?? /^(\d+)(?:\.(\d+))?()$/.exec(text);
      expect(m, text).not.toBeNull();
      // digits * 10^scale, with its exact distance from the value at most half a unit of the 21st digit.
      const [, whole, frac = '', e10 = '0'] = m!;
      const scale = Number(e10) - frac.length;
      const shown: Q = scale >= 0 ? { n: BigInt(whole + frac) * 10n ** BigInt(scale), d: 1n }
        : { n: BigInt(whole + frac), d: 10n ** BigInt(-scale) };
      const digits = (whole + frac).replace(/^0+/, '').length;
      const k = (whole === '0' ? -(frac.length - frac.replace(/^0+/, '').length) - 1 : whole.length - 1) + Number(e10);
      const unit: Q = 20 - k >= 0 ? { n: 1n, d: 10n ** BigInt(20 - k) } : { n: 10n ** BigInt(k - 20), d: 1n };
      expect(digits).toBeLessThanOrEqual(21);
      const v = f80Value(0, x.exp, x.sig);
      expect(qCmp(qMul(qAbs(qSub(v, shown)), { n: 2n, d: 1n }), unit), `${f80Hex(x)} ${text}`).toBeLessThanOrEqual(0);
    }
  });
});

function parseOk(text: string): F80 {
  const r = parseF80(text);
  if ('error' in r) throw new Error(r.error);
  return r.value;
}

describe('reading 80-bit values', () => {
  it('rounds decimals to nearest even', () => {
    expect(parsed('1')).toBe('0x3fff8000000000000000');
    expect(parsed('1.0')).toBe('0x3fff8000000000000000');
    expect(parsed('1.5')).toBe('0x3fffc000000000000000');
    expect(parsed('0.1')).toBe('0x3ffbcccccccccccccccd');
    expect(parsed('.1')).toBe('0x3ffbcccccccccccccccd');
    expect(parsed('-0.1')).toBe('0xbffbcccccccccccccccd');
    expect(parsed('1e-1')).toBe('0x3ffbcccccccccccccccd');
    expect(parsed('3.14159265358979323851')).toBe('0x4000c90fdaa22168c235');
    expect(parsed('3.141592653589793238462643383279')).toBe('0x4000c90fdaa22168c235');
    expect(parsed('-2e-3')).toBe(f80Hex(refExt({ n: -2n, d: 1000n })));
    expect(parsed('  +42  ')).toBe('0x4004a800000000000000');
    expect(parsed('0')).toBe('0x00000000000000000000');
    expect(parsed('-0.000')).toBe('0x80000000000000000000');
    // 2^64 + 1 ties between 2^64 and 2^64 + 2 (one unit): to even, 2^64; 2^64 + 3 rounds up to 2^64 + 4.
    expect(parsed('18446744073709551617')).toBe('0x403f8000000000000000');
    expect(parsed('18446744073709551619')).toBe('0x403f8000000000000002');
  });

  it('takes the edges of the format: the largest normal, overflow, denormals, underflow', () => {
    expect(parsed('1.18973149535723176502e+4932')).toBe('0x7ffeffffffffffffffff');
    expect(parsed('1.2e4932')).toBe('0x7fff8000000000000000');
    expect(parsed('-1e5000')).toBe('0xffff8000000000000000');
    expect(parsed('1e999999999999999')).toBe('0x7fff8000000000000000');
    expect(parsed('3.64519953188247460253e-4951')).toBe('0x00000000000000000001');
    expect(parsed('3.6451995318824746025e-4951')).toBe('0x00000000000000000001');
    expect(parsed('3.36210314311209350626e-4932')).toBe('0x00018000000000000000');
    expect(parsed('1.8e-4951')).toBe('0x00000000000000000000'); // below half the smallest denormal
    expect(parsed('1.83e-4951')).toBe('0x00000000000000000001');
    expect(parsed('-1e-99999999999')).toBe('0x80000000000000000000');
    // Exact ties on the denormal grid: half a unit goes to 0 (even), one and a half to 2 units.
    const half = `${5n ** 16446n}e-16446`; // 2^-16446 exactly
    expect(parsed(half)).toBe('0x00000000000000000000');
    expect(parsed(`${3n * 5n ** 16446n}e-16446`)).toBe('0x00000000000000000002');
    // (2^64 - 1) * 2^-16446 = (2^63 - 1/2) units ties between the largest denormal and the smallest normal: even.
    expect(parsed(`${((1n << 64n) - 1n) * 5n ** 16446n}e-16446`)).toBe('0x00018000000000000000');
    // Just below the overflow threshold (max + half an ulp) stays finite; the threshold itself ties to even: inf.
    const ulp = (1n << (16383n - 63n));
    const max = ((1n << 64n) - 1n) * ulp;
    expect(f80Hex(roundRational(0, max * 2n + ulp - 1n, 2n))).toBe('0x7ffeffffffffffffffff');
    expect(f80Hex(roundRational(0, max * 2n + ulp, 2n))).toBe('0x7fff8000000000000000');
  });

  it('agrees with the independent rational reference on random decimals', () => {
    const rng = new Rng(0xdec1);
    for (let n = 0; n < 400; n++) {
      const digits = 1 + rng.int(30);
      let m = '';
      for (let i = 0; i < digits; i++) m += String(rng.int(10));
      const e = n % 4 === 0 ? rng.int(9900) - 4950 - digits : rng.int(80) - 40;
      const sign = rng.int(2);
      const text = `${sign ? '-' : ''}${m}e${e}`;
      const mag = BigInt(m) * (sign ? -1n : 1n);
      const exact: Q = e >= 0 ? { n: mag * 10n ** BigInt(e), d: 1n } : { n: mag, d: 10n ** BigInt(-e) };
      const want = BigInt(m) === 0n ? (sign ? '0x80000000000000000000' : '0x00000000000000000000') : f80Hex(refExt(exact));
      expect(parsed(text), text).toBe(want);
    }
  });

  it('reads back every value it prints (21 digits tell any two apart)', () => {
    const rng = new Rng(0x7217);
    for (let n = 0; n < 300; n++) {
      const exp = n % 3 === 0 ? rng.int(EXP_MAX) : 16383 - 100 + rng.int(200);
      const sig = exp === 0 ? rng.u64() & (J - 1n) : rng.u64() | J;
      const x = makeF80(rng.int(2), exp, sig);
      const text = f80Text(x).replace(/ \((pseudo-)?denormal\)$/, '');
      expect(parsed(text), text).toBe(f80Hex(x));
    }
  });

  it('takes inf, nan, snan and raw bits, and says what it wants otherwise', () => {
    expect(parsed('inf')).toBe('0x7fff8000000000000000');
    expect(parsed('+Infinity')).toBe('0x7fff8000000000000000');
    expect(parsed('-inf')).toBe('0xffff8000000000000000');
    expect(parsed('nan')).toBe('0x7fffc000000000000000');
    expect(parsed('-nan')).toBe('0xffffc000000000000000');
    expect(parsed('QNaN')).toBe('0x7fffc000000000000000');
    expect(parsed('snan')).toBe('0x7fffa000000000000000');
    expect(parsed('0x4000C90FDAA22168C235')).toBe('0x4000c90fdaa22168c235');
    expect(parsed('0x3fff4000000000000000')).toBe('0x3fff4000000000000000'); // an unnormal, as given
    expect(parsed('0x10')).toMatch(/^error: '0x10' has 2 hex digits; the 80 bits are 0x and 20 hex digits$/);
    expect(parsed('1.2.3')).toMatch(/^error: '1\.2\.3' is not a value: give a decimal number/);
    expect(parsed('')).toMatch(/^error: '' is not a value/);
    expect(parsed('e5')).toMatch(/^error/);
    expect(parsed('1e')).toMatch(/^error/);
  });
});

/** The reference's correctly rounded 80-bit value of an exact rational (round to nearest even, 64 bits). */
function refExt(x: Q): F80 {
  const [s, e, m] = refPackExt(refRound(x, REF_EXT(64), 0));
  return makeF80(s, e, m);
}

describe('a register in an integer expression', () => {
  const int = (text: string) => {
    const r = f80ToUint32(parseOk(text));
    return 'error' in r ? r.error : r.value;
  };
  it('is truncated toward zero, as 32-bit two’s complement', () => {
    expect(int('2.5')).toBe(2);
    expect(int('-2.5')).toBe(0xfffffffe);
    expect(int('0.999')).toBe(0);
    expect(int('-0')).toBe(0);
    expect(int('4294967295')).toBe(0xffffffff);
    expect(int('-2147483648')).toBe(0x80000000);
    expect(int('3.6e-4951')).toBe(0);
  });
  it('is an error out of range or not a number', () => {
    expect(int('4294967296')).toBe('4294967296 does not fit in 32 bits');
    expect(int('-2147483649')).toBe('-2147483649 does not fit in 32 bits');
    expect(int('1e4000')).toMatch(/^(1|9\.9+)\d*e\+(4000|3999) does not fit in 32 bits$/);
    expect(int('-nan')).toBe('-qnan (indefinite) is not a number');
    expect(int('inf')).toBe('+inf is not a number');
  });
});
