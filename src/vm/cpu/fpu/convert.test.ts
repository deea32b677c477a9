/**
 * Conversions between the register format and memory: FLD/FST m32fp and
 * m64fp, FILD/FIST, FBLD/FBSTP (SDM Vol. 2 pages of each; SDM Vol. 1 §4.2.2,
 * §4.7, §4.8.3, §4.9.1, §8.5), with their edges and, for the roundings,
 * pseudo-random values against the rational reference.
 */
import { describe, it, expect } from 'vitest';
import {
  type F80, type RC, makeF80, fromF32, fromF64, toF32, toF64, fromInt, toInt, fromBCD, toBCD, BCD_INDEFINITE,
  INDEFINITE, IE, DE, OE, UE, PE, C1, classify,
} from './index';
import {
  Rng, f80Value, qCmp, qPow2, refRound, refRoundAt, refPackIeee, refFlags, REF_SINGLE, REF_DOUBLE, type RefFormat,
} from './test-reference';

const J = 1n << 63n;
const F = makeF80;
const RCS: RC[] = [0, 1, 2, 3];
const show = (x: F80) => `${x.sign ? '-' : '+'}${x.exp.toString(16)}:${x.sig.toString(16)}`;
const pow2 = (e: number, sign = 0): F80 => F(sign, 16383 + e, J);


describe('FLD m32fp and m64fp (SDM Vol. 2 FLD: #IA for an SNaN, #D for a denormal)', () => {
  it('normals, zeros and infinities convert exactly, with no flag', () => {
    expect(fromF32(0x3f800000)).toMatchObject({ value: pow2(0), flags: 0 });
    expect(fromF32(0xc0400000)).toMatchObject({ value: F(1, 16384, 0xc000000000000000n), flags: 0 });
    expect(fromF32(0x80000000)).toMatchObject({ value: F(1, 0, 0n), flags: 0 });
    expect(fromF32(0x7f800000)).toMatchObject({ value: F(0, 0x7fff, J), flags: 0 });
    expect(fromF32(0x7f7fffff)).toMatchObject({ value: F(0, 16383 + 127, 0xffffff0000000000n), flags: 0 });
    expect(fromF64(0x3ff0000000000000n)).toMatchObject({ value: pow2(0), flags: 0 });
    expect(fromF64(0xfff0000000000000n)).toMatchObject({ value: F(1, 0x7fff, J), flags: 0 });
    expect(fromF64(0x0010000000000000n)).toMatchObject({ value: pow2(-1022), flags: 0 });
  });
  it('a denormal raises DE and is normalized (the register format holds it as a normal)', () => {
    expect(fromF32(0x00000001)).toMatchObject({ value: pow2(-149), flags: DE });
    expect(fromF32(0x80400000)).toMatchObject({ value: pow2(-127, 1), flags: DE });
    expect(fromF64(0x0000000000000001n)).toMatchObject({ value: pow2(-1074), flags: DE });
    expect(fromF64(0x000fffffffffffffn)).toMatchObject({ value: F(0, 16383 - 1023, 0xfffffffffffff000n), flags: DE });
  });
  it('an SNaN raises IE and loads quieted; a QNaN loads as it is (payload under J, quiet bit on bit 62)', () => {
    expect(fromF32(0x7f800001)).toMatchObject({ value: F(0, 0x7fff, 0xc000010000000000n), flags: IE });
    expect(fromF32(0xffc00000)).toMatchObject({ value: INDEFINITE, flags: 0 });
    expect(fromF64(0x7ff0000000000001n)).toMatchObject({ value: F(0, 0x7fff, 0xc000000000000800n), flags: IE });
    expect(fromF64(0xfff8000000000000n)).toMatchObject({ value: INDEFINITE, flags: 0 });
  });
  it('every double converts to its exact value (2000 random bit patterns)', () => {
    const r = new Rng(64);
    for (let i = 0; i < 2000; i++) {
      const bits = r.u64();
      const e = Number((bits >> 52n) & 0x7ffn);
      if (e === 0x7ff) continue;
      const x = fromF64(bits).value;
      const frac = bits & ((1n << 52n) - 1n);
      const mag = e === 0 ? qPow2(frac, -1074) : qPow2(frac | (1n << 52n), e - 1075);
      const want = bits >> 63n ? { n: -mag.n, d: mag.d } : mag;
      expect(qCmp(f80Value(x.sign, x.exp, x.sig), want)).toBe(0);
      expect(classify(x)).toBe(e === 0 && frac === 0n ? 'zero' : 'normal');
      // And back, exactly, whatever the rounding.
      for (const rc of RCS) expect(toF64(x, rc)).toMatchObject({ bits, flags: 0 });
    }
  });
});

describe('FST m32fp and m64fp (SDM Vol. 2 FST/FSTP; SDM Vol. 1 §4.9.1.4-§4.9.1.5)', () => {
  it('overflow, masked: ∞ or the largest finite by RC and sign (SDM Vol. 1 Table 4-10), OE and PE', () => {
    const big = pow2(128), nbig = pow2(128, 1);
    expect(toF32(big, 0)).toMatchObject({ bits: 0x7f800000, flags: OE | PE | C1 });
    expect(toF32(big, 1)).toMatchObject({ bits: 0x7f7fffff, flags: OE | PE });
    expect(toF32(big, 2)).toMatchObject({ bits: 0x7f800000, flags: OE | PE | C1 });
    expect(toF32(big, 3)).toMatchObject({ bits: 0x7f7fffff, flags: OE | PE });
    expect(toF32(nbig, 0)).toMatchObject({ bits: 0xff800000, flags: OE | PE | C1 });
    expect(toF32(nbig, 1)).toMatchObject({ bits: 0xff800000, flags: OE | PE | C1 });
    expect(toF32(nbig, 2)).toMatchObject({ bits: 0xff7fffff, flags: OE | PE });
    expect(toF32(nbig, 3)).toMatchObject({ bits: 0xff7fffff, flags: OE | PE });
    expect(toF64(pow2(1024), 0)).toMatchObject({ bits: 0x7ff0000000000000n, flags: OE | PE | C1 });
    expect(toF64(pow2(1024, 1), 2)).toMatchObject({ bits: 0xffefffffffffffffn, flags: OE | PE });
    // The largest single plus half an ulp rounds to nearest into overflow; a hair less does not.
    expect(toF32(F(0, 16383 + 127, 0xffffff8000000000n), 0)).toMatchObject({ bits: 0x7f800000, flags: OE | PE | C1 });
    expect(toF32(F(0, 16383 + 127, 0xffffff7fffffffffn), 0)).toMatchObject({ bits: 0x7f7fffff, flags: PE });
  });
  it('underflow: denormal or zero; UE only with PE (masked); an exact denormal raises nothing', () => {
    expect(toF32(pow2(-149), 0)).toMatchObject({ bits: 0x00000001, flags: 0 });
    expect(toF32(pow2(-150), 0)).toMatchObject({ bits: 0, flags: UE | PE });            // a tie: to even, 0
    expect(toF32(pow2(-150), 2)).toMatchObject({ bits: 1, flags: UE | PE | C1 });
    expect(toF32(pow2(-150, 1), 1)).toMatchObject({ bits: 0x80000001, flags: UE | PE | C1 });
    expect(toF32(F(0, 16383 - 149, 0xc000000000000000n), 0)).toMatchObject({ bits: 2, flags: UE | PE | C1 });   // 1.5 ulp: to even, 2
    expect(toF32(F(0, 16383 - 150, 0xc000000000000000n), 0)).toMatchObject({ bits: 1, flags: UE | PE | C1 });   // 0.75 ulp
    expect(toF64(pow2(-1075), 3)).toMatchObject({ bits: 0n, flags: UE | PE });
    expect(toF64(pow2(-1074, 1), 0)).toMatchObject({ bits: 0x8000000000000001n, flags: 0 });
  });
  it('tininess after rounding: 2^-126 * (1 - 2^-30) rounds up to 2^-126, PE and C1 but no UE (§4.9.1.5)', () => {
    const x = F(0, 16383 - 127, 0xfffffffe00000000n);
    expect(toF32(x, 0)).toMatchObject({ bits: 0x00800000, flags: PE | C1 });
    expect(toF32(x, 3)).toMatchObject({ bits: 0x007fffff, flags: UE | PE });
  });
  it('a register denormal stores as a zero with UE: no DE ("simply signaled as a numeric underflow")', () => {
    expect(toF32(F(0, 0, 0x123n), 0)).toMatchObject({ bits: 0, flags: UE | PE });
    expect(toF64(F(1, 0, J), 2)).toMatchObject({ bits: 0x8000000000000000n, flags: UE | PE });
    expect(toF64(F(0, 0, J), 2)).toMatchObject({ bits: 1n, flags: UE | PE | C1 });
  });
  it('zeros, infinities and QNaNs are truncated to fit; an SNaN is IE and stored quiet; unsupported is IE and the indefinite', () => {
    expect(toF32(F(1, 0, 0n), 0)).toMatchObject({ bits: 0x80000000, flags: 0 });
    expect(toF32(F(1, 0x7fff, J), 3)).toMatchObject({ bits: 0xff800000, flags: 0 });
    expect(toF32(F(0, 0x7fff, 0xc00001ffffffffffn), 0)).toMatchObject({ bits: 0x7fc00001, flags: 0 });
    expect(toF32(INDEFINITE, 0)).toMatchObject({ bits: 0xffc00000, flags: 0 });
    expect(toF32(F(0, 0x7fff, 0x8000010000000000n), 0)).toMatchObject({ bits: 0x7fc00001, flags: IE });
    expect(toF32(F(0, 0x7fff, 0x8000000000000001n), 0)).toMatchObject({ bits: 0x7fc00000, flags: IE });
    expect(toF64(F(0, 0x7fff, 0x8000000000000800n), 0)).toMatchObject({ bits: 0x7ff8000000000001n, flags: IE });
    expect(toF64(INDEFINITE, 0)).toMatchObject({ bits: 0xfff8000000000000n, flags: 0 });
    for (const u of [F(0, 16383, 0n), F(0, 0x7fff, 0n), F(0, 0x7fff, 1n)]) {
      expect(toF32(u, 0)).toMatchObject({ bits: 0xffc00000, flags: IE });
      expect(toF64(u, 0)).toMatchObject({ bits: 0xfff8000000000000n, flags: IE });
    }
  });

  const randomAround = (r: Rng, f: RefFormat): F80 => {
    const span = f.emax + f.p + 6;
    const e = r.int(3) === 0 ? (r.int(2) ? f.emin - f.p - 2 + r.int(f.p + 6) : f.emax - 3 + r.int(6)) : r.int(2 * span) - span;
    const k = r.int(4);
    const sig = k === 0 ? J | (r.u64() & (J - 1n)) : k === 1 ? J | ((r.u64() >> BigInt(64 - f.p)) << BigInt(63 - f.p)) : k === 2 ? (1n << 64n) - 1n : J | (1n << BigInt(63 - f.p));
    return F(r.int(2), 16383 + e, sig);
  };
  for (const [name, f, expBits, conv] of [
    ['m32fp', REF_SINGLE, 8, (x: F80, rc: RC) => { const o = toF32(x, rc); return { bits: BigInt(o.bits), flags: o.flags }; }],
    ['m64fp', REF_DOUBLE, 11, toF64],
  ] as const) {
    it(`${name}: 3000 random values x 4 modes against the rational reference`, () => {
      const r = new Rng(expBits);
      for (let i = 0; i < 3000; i++) {
        const x = randomAround(r, f);
        for (const rc of RCS) {
          const want = refRound(f80Value(x.sign, x.exp, x.sig), f, rc);
          const ctx = `${name} ${show(x)} rc=${rc}`;
          expect(conv(x, rc), ctx).toMatchObject({ bits: refPackIeee(want, f, expBits), flags: refFlags(want) });
        }
      }
    });
  }
});

describe('FILD and FIST/FISTP (SDM Vol. 2 FILD, FIST/FISTP)', () => {
  it('FILD is exact; 0 loads as +0', () => {
    expect(show(fromInt(0))).toBe(show(F(0, 0, 0n)));
    expect(show(fromInt(-1))).toBe(show(pow2(0, 1)));
    expect(show(fromInt(-32768))).toBe(show(pow2(15, 1)));
    expect(show(fromInt(-(1n << 63n)))).toBe(show(pow2(63, 1)));
    expect(show(fromInt((1n << 63n) - 1n))).toBe(show(F(0, 16383 + 62, (1n << 64n) - 2n)));
    expect(show(fromInt(0x7fffffff))).toBe(show(F(0, 16383 + 30, 0xfffffffe00000000n)));
  });
  it('FIST rounds by RC; PE and C1; the integer indefinite (most negative) with IE out of range, for NaN, ∞ and unsupported', () => {
    const half = (k: bigint, sign = 0) => { const b = k.toString(2).length; return F(sign, 16383 + b - 2, k << BigInt(64 - b)); };
    expect(toInt(half(5n), 16, 0)).toMatchObject({ value: 2n, flags: PE });
    expect(toInt(half(5n), 16, 2)).toMatchObject({ value: 3n, flags: PE | C1 });
    expect(toInt(half(3n, 1), 32, 0)).toMatchObject({ value: -2n, flags: PE | C1 });
    expect(toInt(half(3n, 1), 32, 3)).toMatchObject({ value: -1n, flags: PE });
    expect(toInt(half(1n, 1), 32, 0)).toMatchObject({ value: 0n, flags: PE });            // -0.5 -> 0
    expect(toInt(F(1, 0, 0n), 64, 0)).toMatchObject({ value: 0n, flags: 0 });
    // Range: -32768.5 rounds to nearest-even -32768 (in range); -32768.75 to -32769 (not); 32767.5 to 32768 (not).
    expect(toInt(half(65537n, 1), 16, 0)).toMatchObject({ value: -32768n, flags: PE });
    expect(toInt(F(1, 16383 + 15, 0x8000c00000000000n), 16, 0)).toMatchObject({ value: -32768n, flags: IE });
    expect(toInt(half(65535n), 16, 0)).toMatchObject({ value: -32768n, flags: IE });
    expect(toInt(half(65535n), 16, 3)).toMatchObject({ value: 32767n, flags: PE });
    expect(toInt(pow2(31, 1), 32, 0)).toMatchObject({ value: -(1n << 31n), flags: 0 });
    expect(toInt(pow2(31), 32, 0)).toMatchObject({ value: -(1n << 31n), flags: IE });
    expect(toInt(pow2(63, 1), 64, 0)).toMatchObject({ value: -(1n << 63n), flags: 0 });
    expect(toInt(pow2(63), 64, 0)).toMatchObject({ value: -(1n << 63n), flags: IE });
    expect(toInt(pow2(16000), 64, 0)).toMatchObject({ value: -(1n << 63n), flags: IE });
    expect(toInt(F(0, 0, 1n), 16, 2)).toMatchObject({ value: 1n, flags: PE | C1 });   // a denormal: no DE for FIST
    for (const bad of [F(0, 0x7fff, J), F(1, 0x7fff, J), INDEFINITE, F(0, 0x7fff, J | 1n), F(0, 16383, 0n), F(0, 0x7fff, 0n)]) {
      for (const bits of [16, 32, 64] as const) expect(toInt(bad, bits, 0)).toMatchObject({ value: -(1n << BigInt(bits - 1)), flags: IE });
    }
  });
  it('FIST of 3000 random values x 4 modes x 3 sizes against the rational reference', () => {
    const r = new Rng(0xf157);
    for (let i = 0; i < 3000; i++) {
      const x = F(r.int(2), 16383 - 3 + r.int(70), J | (r.u64() >> BigInt(r.int(64))));
      const v = f80Value(x.sign, x.exp, x.sig);
      for (const rc of RCS) {
        const { m, inexact, up } = refRoundAt(v, 0, rc);
        for (const bits of [16, 32, 64] as const) {
          const signed = x.sign ? -m : m, lim = 1n << BigInt(bits - 1);
          const want = signed < -lim || signed >= lim ? { value: -lim, flags: IE } : { value: signed, flags: (inexact ? PE : 0) | (up ? C1 : 0) };
          expect(toInt(x, bits, rc), `${show(x)} rc=${rc} bits=${bits}`).toEqual(want);
        }
      }
    }
  });
  it('FILD then FIST gives the integer back (2000 random int64)', () => {
    const r = new Rng(0x1d);
    for (let i = 0; i < 2000; i++) {
      const v = BigInt.asIntN(64, r.u64() >> BigInt(r.int(64)));
      expect(toInt(fromInt(v), 64, r.int(4) as RC)).toMatchObject({ value: v, flags: 0 });
    }
  });
});

describe('FBLD and FBSTP (SDM Vol. 1 §4.7, Table 4-4; SDM Vol. 2 FBLD, FBSTP)', () => {
  const bcd = (digits: string, neg = false): Uint8Array => {
    const b = new Uint8Array(10);
    const d = digits.padStart(18, '0');
    for (let i = 0; i < 9; i++) b[i] = (Number(d[17 - 2 * i - 1]) << 4) | Number(d[17 - 2 * i]);
    b[9] = neg ? 0x80 : 0;
    return b;
  };
  it('FBLD: 18 digits, units in byte 0\'s low nibble, sign in byte 9 bit 7 (bits 0-6 ignored), -0 kept', () => {
    expect(show(fromBCD(bcd('1')))).toBe(show(pow2(0)));
    expect(show(fromBCD(bcd('1234567890', true)))).toBe(show(fromInt(-1234567890)));
    expect(show(fromBCD(bcd('999999999999999999')))).toBe(show(fromInt(999999999999999999n)));
    expect(show(fromBCD(bcd('0', true)))).toBe(show(F(1, 0, 0n)));
    const b = bcd('42'); b[9] = 0x7f;
    expect(show(fromBCD(b))).toBe(show(fromInt(42)));
    const buf = new Uint8Array(13); buf.set(bcd('7', true), 3);
    expect(show(fromBCD(buf, 3))).toBe(show(fromInt(-7)));
  });
  it('FBSTP rounds by RC; out of 18 digits, NaN, ∞ or unsupported is IE and the BCD indefinite 0xFFFF C000000000000000', () => {
    expect(BCD_INDEFINITE).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
    expect(toBCD(fromInt(999999999999999999n), 0)).toEqual({ bytes: bcd('999999999999999999'), flags: 0 });
    expect(toBCD(fromInt(-1234567890123456789n), 0)).toEqual({ bytes: Uint8Array.from(BCD_INDEFINITE), flags: IE });
    expect(toBCD(fromInt(10n ** 18n), 0)).toEqual({ bytes: Uint8Array.from(BCD_INDEFINITE), flags: IE });
    // 999999999999999999.5: to nearest-even 10^18, out of range; toward zero it fits.
    const x = F(0, 16383 + 59, (2n * (10n ** 18n) - 1n) << 3n);
    expect(toBCD(x, 0).flags).toBe(IE);
    expect(toBCD(x, 3)).toEqual({ bytes: bcd('999999999999999999'), flags: PE });
    expect(toBCD(F(1, 16381, 0x999999999999999an), 0)).toEqual({ bytes: bcd('0', true), flags: PE });   // -0.3 -> -0
    expect(toBCD(F(1, 16381, 0x999999999999999an), 1)).toEqual({ bytes: bcd('1', true), flags: PE | C1 });
    expect(toBCD(F(0, 16384, 0xa000000000000000n), 0)).toEqual({ bytes: bcd('2'), flags: PE });   // 2.5 -> 2
    expect(toBCD(F(1, 0, 0n), 0)).toEqual({ bytes: bcd('0', true), flags: 0 });
    for (const bad of [F(0, 0x7fff, J), INDEFINITE, F(1, 0x7fff, J | 1n), F(0, 16383, 0n), F(0, 0x7fff, 0n)]) {
      expect(toBCD(bad, 0)).toEqual({ bytes: Uint8Array.from(BCD_INDEFINITE), flags: IE });
    }
  });
  it('FBLD then FBSTP gives the digits back (1000 random 18-digit numbers)', () => {
    const r = new Rng(0xbcd);
    for (let i = 0; i < 1000; i++) {
      const digits = Array.from({ length: 1 + r.int(18) }, () => String(r.int(10))).join('');
      const b = bcd(digits, r.int(2) === 1);
      expect(toBCD(fromBCD(b), r.int(4) as RC)).toEqual({ bytes: b, flags: 0 });
    }
  });
});
