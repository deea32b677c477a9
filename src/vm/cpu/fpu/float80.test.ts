/**
 * The register format's classes (SDM Vol. 1 §4.2.2 Table 4-3; §8.2.2 Table
 * 8-3) and its ten-byte memory image (SDM Vol. 1 §4.2.2, as FSTP m80 and
 * FLD m80 move it).
 */
import { describe, it, expect } from 'vitest';
import {
  type F80, type F80Class, makeF80, classify, encodeF80, decodeF80, f80FromWords, sigHi32, sigLo32, signExpWord,
  INDEFINITE, isIndefinite, isUnsupported, isDenormalOperand, bitLength, sameF80, exactOf,
} from './index';
import { Rng } from './test-reference';

const J = 1n << 63n;
const F = makeF80;

/** One example or more of every class, with the table row it comes from. */
const EXAMPLES: [F80Class, F80, string][] = [
  ['zero', F(0, 0, 0n), 'Table 4-3 +0'],
  ['zero', F(1, 0, 0n), 'Table 4-3 -0'],
  ['denormal', F(0, 0, 1n), 'Table 4-3 smallest denormal'],
  ['denormal', F(1, 0, J - 1n), 'Table 4-3 largest denormal'],
  ['pseudoDenormal', F(0, 0, J), 'Table 8-3 pseudo-denormal'],
  ['pseudoDenormal', F(1, 0, (1n << 64n) - 1n), 'Table 8-3 pseudo-denormal'],
  ['normal', F(0, 1, J), 'Table 4-3 smallest normal'],
  ['normal', F(1, 0x7ffe, (1n << 64n) - 1n), 'Table 4-3 largest normal'],
  ['unnormal', F(0, 1, J - 1n), 'Table 8-3 unnormal'],
  ['unnormal', F(1, 0x7ffe, 0n), 'Table 8-3 unnormal (zero significand)'],
  ['infinity', F(0, 0x7fff, J), 'Table 4-3 +∞'],
  ['infinity', F(1, 0x7fff, J), 'Table 4-3 -∞'],
  ['pseudoInfinity', F(0, 0x7fff, 0n), 'Table 8-3 pseudo-infinity'],
  ['pseudoNaN', F(0, 0x7fff, 0x4000000000000000n), 'Table 8-3 quiet pseudo-NaN'],
  ['pseudoNaN', F(1, 0x7fff, 1n), 'Table 8-3 signaling pseudo-NaN'],
  ['qnan', F(0, 0x7fff, 0xc000000000000000n), 'Table 4-3 QNaN'],
  ['qnan', F(1, 0x7fff, (1n << 64n) - 1n), 'Table 4-3 QNaN'],
  ['qnan', INDEFINITE, 'Table 4-3 real indefinite'],
  ['snan', F(0, 0x7fff, J | 1n), 'Table 4-3 SNaN'],
  ['snan', F(1, 0x7fff, J | (J >> 2n)), 'Table 4-3 SNaN'],
];

describe('classes of the register format', () => {
  for (const [cls, x, where] of EXAMPLES) {
    it(`${where}: ${cls}`, () => { expect(classify(x)).toBe(cls); });
  }
  it('the real indefinite is sign 1, exponent 0x7fff, significand 0xC000000000000000 (SDM Vol. 1 §4.8.3.7)', () => {
    expect([INDEFINITE.sign, INDEFINITE.exp, INDEFINITE.sig]).toEqual([1, 0x7fff, 0xc000000000000000n]);
    expect(isIndefinite(F(0, 0x7fff, 0xc000000000000000n))).toBe(false);
  });
  it('unsupported means unnormal, pseudo-infinity or pseudo-NaN; pseudo-denormals are denormal operands (SDM Vol. 1 §8.2.2)', () => {
    for (const [cls, x] of EXAMPLES) {
      expect(isUnsupported(x), cls).toBe(cls === 'unnormal' || cls === 'pseudoInfinity' || cls === 'pseudoNaN');
      expect(isDenormalOperand(x), cls).toBe(cls === 'denormal' || cls === 'pseudoDenormal');
    }
  });
  it('exponent 0 scales like exponent 1: a pseudo-denormal equals the normal with exponent 1 (SDM Vol. 1 §4.8.3.2)', () => {
    expect(exactOf(F(0, 0, J | 7n))).toEqual(exactOf(F(0, 1, J | 7n)));
  });
});

describe('the ten-byte memory image', () => {
  it('1.0 and -∞ lay out as FSTP m80 stores them', () => {
    expect([...encodeF80(F(0, 16383, J))]).toEqual([0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
    expect([...encodeF80(F(1, 0x7fff, J))]).toEqual([0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff]);
    expect([...encodeF80(INDEFINITE)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
    expect([...encodeF80(F(0, 0x1234, 0x0123456789abcdefn))]).toEqual([0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, 0x34, 0x12]);
  });
  it('every class survives encode and decode, at an offset too', () => {
    const buf = new Uint8Array(16);
    for (const [cls, x] of EXAMPLES) {
      encodeF80(x, buf, 3);
      expect(sameF80(decodeF80(buf, 3), x), cls).toBe(true);
      expect(classify(decodeF80(encodeF80(x))), cls).toBe(cls);
    }
  });
  it('random bit patterns survive both ways (bytes -> value -> bytes)', () => {
    const r = new Rng(80);
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from({ length: 10 }, () => r.int(256));
      expect([...encodeF80(decodeF80(bytes))]).toEqual([...bytes]);
    }
  });
  it('the 32-bit words agree with the fields', () => {
    const x = F(1, 0x4abc, 0xfedcba9876543210n);
    expect([signExpWord(x), sigHi32(x), sigLo32(x)]).toEqual([0xcabc, 0xfedcba98, 0x76543210]);
    expect(sameF80(f80FromWords(0xcabc, 0xfedcba98, 0x76543210), x)).toBe(true);
  });
  it('bitLength', () => {
    expect([0n, 1n, 2n, 0xffffffffn, 0x100000000n, 1n << 200n, (1n << 16445n) - 1n].map(bitLength)).toEqual([0, 1, 2, 32, 33, 201, 16445]);
    // At each word boundary of the fast path, and every length up to 300 bits.
    const edges = [64n, 96n, 128n].flatMap((k) => [(1n << k) - 1n, 1n << k]);
    expect(edges.map(bitLength)).toEqual([64, 65, 96, 97, 128, 129]);
    for (let k = 1; k <= 300; k++) expect([bitLength(1n << BigInt(k - 1)), bitLength((1n << BigInt(k)) - 1n)]).toEqual([k, k]);
  });
});
