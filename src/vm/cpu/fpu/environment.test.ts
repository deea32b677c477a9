/**
 * The protected-mode memory images of FSTENV/FLDENV and FSAVE/FRSTOR (SDM
 * Vol. 1 §8.1.10): the expected bytes are written out by hand from Figure 8-9
 * (32-bit, 28 bytes) and Figure 8-11 (16-bit, 14 bytes), with the eight
 * registers after them in stack order.
 */
import { describe, it, expect } from 'vitest';
import {
  type F80, FpuState, makeF80, storeEnv, loadEnv, save, restore, decodeEnv, storedTagWord,
  ENV_BYTES_16, ENV_BYTES_32, SAVE_BYTES_16, SAVE_BYTES_32, ZE, PE, IE, SW_C3, SW_C0, SW_SF,
} from './index';

const J = 1n << 63n;
const F = makeF80;
const ONE = F(0, 0x3fff, J);
const MINUS_TWO = F(1, 0x4000, J);
const QNAN = F(0, 0x7fff, 0xc000000000000001n);
const DENORMAL = F(0, 0, 1n);

/** Little-endian bytes of 32-bit (Figure 8-9) or 16-bit (Figure 8-11) words. */
function le(width: 2 | 4, words: number[]): number[] {
  const out: number[] = [];
  for (const w of words) for (let k = 0; k < width; k++) out.push((w >>> (8 * k)) & 0xff);
  return out;
}
const bytesOf = (b: Uint8Array) => Array.from(b);

/**
 * The state both image tests store: FCW 027BH (ZM unmasked, PC 53-bit); four
 * pushes onto R7..R4 (1.0, +0, a QNaN, a denormal), so TOP = 4; R0 holds -2.0
 * but is empty; ZE and PE set (ZE unmasked, so ES and B), C3 and C0 set.
 */
function sample(): FpuState {
  const s = new FpuState();
  s.setPhysical(0, MINUS_TWO);
  s.reset();
  s.controlWord = 0x027b;
  for (const v of [ONE, F(0, 0, 0n), QNAN, DENORMAL]) expect(s.push(v)).toBe('ok');
  s.raise(ZE | PE);
  s.conditionCodes = SW_C3 | SW_C0;
  s.fip = 0xc0101234;
  s.fcs = 0x0073;
  s.fop = 0x5f9;
  s.fdp = 0xc0205678;
  s.fds = 0x007b;
  return s;
}

/*
 * The sample's words, by hand:
 *   FSW = B | C3 | TOP=4 | C0 | ES | PE | ZE = 8000 + 4000 + 2000 + 0100 + 0080 + 0020 + 0004 = E1A4H
 *   FTW, two bits per physical register, R7 at the top:
 *     R7 1.0 valid 00, R6 +0 zero 01, R5 QNaN special 10, R4 denormal special 10, R3..R0 empty 11
 *     = 00 01 10 10 11 11 11 11 = 1AFFH
 */
const FSW = 0xe1a4, FTW = 0x1aff;

/** The registers ST(0)..ST(7) = R4, R5, R6, R7, R0, R1, R2, R3, ten bytes each: significand, then sign and exponent. */
const REGS = [
  0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, // ST(0) = R4, the denormal 0000:0000000000000001
  0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x7f, // ST(1) = R5, the QNaN 7FFF:C000000000000001
  0x00, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, // ST(2) = R6, +0
  0x00, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f, // ST(3) = R7, 1.0 = 3FFF:8000000000000000
  0x00, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0xc0, // ST(4) = R0, -2.0 = C000:8000000000000000, empty but stored
  ...new Array(30).fill(0), //                 ST(5..7) = R1..R3, +0 from power-up, empty
];

describe('FSTENV/FNSTENV (SDM Vol. 2 FSTENV; Vol. 1 Figures 8-9 and 8-11)', () => {
  it('32-bit protected mode: 28 bytes, Figure 8-9, reserved halves stored as FFFFH', () => {
    const img = storeEnv(sample(), true);
    expect(img.length).toBe(ENV_BYTES_32);
    expect(bytesOf(img)).toEqual(le(4, [
      0xffff027b, //  +0 reserved | control word
      0xffff0000 | FSW, // +4 reserved | status word
      0xffff0000 | FTW, // +8 reserved | tag word
      0xc0101234, // +12 FPU instruction pointer offset
      0x05f90073, // +16 00000 | opcode 10..0 = 5F9H | FPU instruction pointer selector
      0xc0205678, // +20 FPU operand pointer offset
      0xffff007b, // +24 reserved | FPU operand pointer selector
    ]));
  });

  it('16-bit protected mode: 14 bytes, Figure 8-11, the offsets cut to 16 bits, no opcode', () => {
    const img = storeEnv(sample(), false);
    expect(img.length).toBe(ENV_BYTES_16);
    expect(bytesOf(img)).toEqual(le(2, [0x027b, FSW, FTW, 0x1234, 0x0073, 0x5678, 0x007b]));
  });

  it('the image only: the state is untouched (the caller masks afterwards)', () => {
    const s = sample();
    storeEnv(s, true);
    expect(s.controlWord).toBe(0x027b);
    expect(s.exceptionPending).toBe(true);
    s.maskAll();
    expect(s.exceptionPending).toBe(false);
    expect(bytesOf(storeEnv(s, false)).slice(0, 4)).toEqual(le(2, [0x027f, FSW & ~0x8080]));
  });

  it('the stored tag word is computed from the contents of the non-empty registers', () => {
    const s = sample();
    expect(storedTagWord(s)).toBe(FTW);
    expect(s.tagWord).toBe(FTW);
  });
});

describe('FSAVE/FNSAVE (SDM Vol. 2 FSAVE; Vol. 1 §8.1.10)', () => {
  it('32-bit: the 28-byte environment, then ST(0)..ST(7): 108 bytes', () => {
    const s = sample();
    const img = save(s, true);
    expect(img.length).toBe(SAVE_BYTES_32);
    expect(bytesOf(img)).toEqual([...bytesOf(storeEnv(s, true)), ...REGS]);
    // FSAVE's FNINIT is the caller's: nothing changed.
    expect(s.top).toBe(4);
    expect(s.tagWord).toBe(FTW);
  });

  it('16-bit: the 14-byte environment, then ST(0)..ST(7): 94 bytes', () => {
    const img = save(sample(), false);
    expect(img.length).toBe(SAVE_BYTES_16);
    expect(bytesOf(img)).toEqual([...le(2, [0x027b, FSW, FTW, 0x1234, 0x0073, 0x5678, 0x007b]), ...REGS]);
  });
});

/** Every visible part of two states. */
function expectSameState(a: FpuState, b: FpuState, o32: boolean): void {
  expect(a.controlWord).toBe(b.controlWord);
  expect(a.statusWord).toBe(b.statusWord);
  expect(a.tagWord).toBe(b.tagWord);
  for (let i = 0; i < 8; i++) expect(a.st(i)).toEqual(b.st(i));
  expect(a.fip).toBe(o32 ? b.fip : b.fip & 0xffff);
  expect(a.fcs).toBe(b.fcs);
  expect(a.fop).toBe(o32 ? b.fop : 0);
  expect(a.fdp).toBe(o32 ? b.fdp : b.fdp & 0xffff);
  expect(a.fds).toBe(b.fds);
}

describe('round trips', () => {
  for (const o32 of [true, false]) {
    const size = o32 ? '32-bit' : '16-bit';
    it(`FSTENV then FLDENV, ${size}: the same environment (16-bit: FOP 0, offsets 16 bits)`, () => {
      const s = sample();
      const t = s.clone();
      t.reset();
      t.controlWord = 0x0000;
      loadEnv(t, storeEnv(s, o32), o32);
      expectSameState(t, s, o32);
      expect(bytesOf(storeEnv(t, o32))).toEqual(bytesOf(storeEnv(s, o32)));
    });

    it(`FSAVE then FRSTOR, ${size}: the same state, into a machine fresh from power-up`, () => {
      const s = sample();
      const t = new FpuState();
      restore(t, save(s, o32), o32);
      expectSameState(t, s, o32);
      expect(bytesOf(save(t, o32))).toEqual(bytesOf(save(s, o32)));
      for (let p = 0; p < 8; p++) expect(t.physical(p)).toEqual(s.physical(p));
    });
  }

  it('FSAVE, FNINIT, FRSTOR: the state comes back', () => {
    const s = sample();
    const before = s.clone();
    const img = save(s, true);
    s.reset();
    expect(s.tagWord).toBe(0xffff);
    restore(s, img, true);
    expectSameState(s, before, true);
  });
});

describe('FLDENV of a hand-made image (SDM Vol. 2 FLDENV; Vol. 1 §8.1.7)', () => {
  /** R1..R4 hold 1.0, an SNaN, an unnormal and -infinity; the rest +0 from power-up. */
  function machine(): FpuState {
    const s = new FpuState();
    const vals: [number, F80][] = [[1, ONE], [2, F(0, 0x7fff, J | 1n)], [3, F(0, 0x4000, J >> 1n)], [4, F(1, 0x7fff, J)]];
    for (const [p, v] of vals) s.setPhysical(p, v);
    return s;
  }

  it('32-bit: reserved bits ignored, control word as the P6 reads it, tags recomputed, ES recomputed', () => {
    const s = machine();
    const img = new Uint8Array(le(4, [
      0x12340000, // control word 0000H (every exception unmasked); garbage above
      0xabcd0000 | 0x8000 | (7 << 11) | 0x0080 | SW_SF | IE, // B, TOP 7, ES, SF, IE
      0x55550803, // tags: R0 empty (11), R5 "special" (10), the rest "valid" (00)
      0x00401000, // FIP
      0xf8ab0073, // bits 31-27 set (ignored), FOP 0ABH, FCS 0073H
      0x00402000, // FDP
      0x9999007b, // FDS 007BH
    ]));
    loadEnv(s, img, true);
    expect(s.controlWord).toBe(0x0040);
    expect(s.top).toBe(7);
    // IE is set and unmasked: ES and B.
    expect(s.statusWord).toBe(0x8000 | (7 << 11) | 0x0080 | SW_SF | IE);
    expect(s.exceptionPending).toBe(true);
    /*
     * R0 empty 11; R1 1.0 valid 00; R2 SNaN special 10; R3 unnormal special 10;
     * R4 -inf special 10; R5 +0 zero 01 (not the image's 10); R6, R7 +0 zero 01.
     * = 01 01 01 10 10 10 00 11 = 56A3H
     */
    expect(s.tagWord).toBe(0x56a3);
    expect(s.isEmpty(1)).toBe(true); // ST(1) = R0
    expect(s.st(2)).toEqual(ONE); // ST(2) = R1
    expect([s.fip, s.fcs, s.fop, s.fdp, s.fds]).toEqual([0x00401000, 0x0073, 0x0ab, 0x00402000, 0x007b]);
    expect(decodeEnv(img, true)).toEqual({
      fcw: 0, fsw: 0xb8c1, ftw: 0x0803, fip: 0x00401000, fcs: 0x73, fop: 0xab, fdp: 0x00402000, fds: 0x7b,
    });
  });

  it('16-bit: the same words, FOP 0, offsets zero-extended; ES and B of the image not taken', () => {
    const s = machine();
    s.fop = 0x123;
    loadEnv(s, new Uint8Array(le(2, [0x037f, 0x8000 | (2 << 11) | 0x0080 | PE, 0x0803, 0x1000, 0x0073, 0x2000, 0x007b])), false);
    expect(s.controlWord).toBe(0x037f);
    expect(s.top).toBe(2);
    // PE is masked: ES and B read 0.
    expect(s.statusWord).toBe((2 << 11) | PE);
    expect(s.exceptionPending).toBe(false);
    expect(s.tagWord).toBe(0x56a3);
    expect([s.fip, s.fcs, s.fop, s.fdp, s.fds]).toEqual([0x1000, 0x0073, 0, 0x2000, 0x007b]);
  });

  it('FRSTOR of a hand-made 16-bit image: ST(i) goes to R((TOP + i) mod 8), then the tags', () => {
    const s = new FpuState();
    const regs: number[] = [];
    for (let i = 0; i < 8; i++) regs.push(0, 0, 0, 0, 0, 0, 0, 0x80, i, 0x40); // ST(i) = 2^(i+1): exponent 4000H + i, J
    // TOP 5; tags: R5 (ST(0)) and R6 (ST(1)) not empty, the rest empty: 11 01 00 11 11 11 11 11 with the image's
    // classes wrong on purpose (R6 "zero").
    const img = new Uint8Array([...le(2, [0x037f, 5 << 11, 0xd3ff, 0, 0, 0, 0]), ...regs]);
    restore(s, img, false);
    expect(s.top).toBe(5);
    for (let i = 0; i < 8; i++) expect(s.physical((5 + i) & 7)).toEqual(F(0, 0x4000 + i, J));
    expect(s.tagWord).toBe(0xc3ff);
    expect(s.st(0)).toEqual(F(0, 0x4000, J));
    expect(s.isEmpty(2)).toBe(true);
  });

  it('short images are refused', () => {
    expect(() => loadEnv(new FpuState(), new Uint8Array(27), true)).toThrow(RangeError);
    expect(() => restore(new FpuState(), new Uint8Array(SAVE_BYTES_16 - 1), false)).toThrow(RangeError);
  });
});
