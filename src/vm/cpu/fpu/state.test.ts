/**
 * The x87's architectural state (SDM Vol. 1 §8.1): the register stack and
 * its tags, stack faults (§8.5.1.1), the control and status words with ES and
 * B, FNINIT and the power-up state (SDM Vol. 2 FINIT/FNINIT; Vol. 3 Table 9-1).
 */
import { describe, it, expect } from 'vitest';
import {
  type F80, type Tag, FpuState, tagOf, makeF80, INDEFINITE, IE, DE, ZE, OE, PE, C1,
  TAG_VALID, TAG_ZERO, TAG_SPECIAL, TAG_EMPTY, SW_SF, SW_ES, SW_B, SW_C0, SW_C2, SW_C3, CW_IM, CW_ZM,
} from './index';

const J = 1n << 63n;
const F = makeF80;
const ONE = F(0, 0x3fff, J);
const TWO = F(0, 0x4000, J);
const QNAN = F(0, 0x7fff, 0xc000000000000001n);

/** The tag word computed from scratch: empty where `empty` says so, else from the value. */
function tagsFrom(s: FpuState, empty: boolean[]): number {
  let tw = 0;
  for (let p = 0; p < 8; p++) tw |= (empty[p] ? TAG_EMPTY : tagOf(s.physical(p))) << (2 * p);
  return tw;
}

describe('tags computed from values (SDM Vol. 1 §8.1.7, Figure 8-7; Table 8-3 for the unsupported)', () => {
  const cases: [string, F80, Tag][] = [
    ['+0', F(0, 0, 0n), TAG_ZERO],
    ['-0', F(1, 0, 0n), TAG_ZERO],
    ['smallest normal', F(0, 1, J), TAG_VALID],
    ['-1', F(1, 0x3fff, J), TAG_VALID],
    ['largest normal', F(0, 0x7ffe, (1n << 64n) - 1n), TAG_VALID],
    ['denormal', F(0, 0, 1n), TAG_SPECIAL],
    ['pseudo-denormal', F(1, 0, J), TAG_SPECIAL],
    ['+infinity', F(0, 0x7fff, J), TAG_SPECIAL],
    ['-infinity', F(1, 0x7fff, J), TAG_SPECIAL],
    ['QNaN', QNAN, TAG_SPECIAL],
    ['SNaN', F(0, 0x7fff, J | 1n), TAG_SPECIAL],
    ['real indefinite', INDEFINITE, TAG_SPECIAL],
    ['unnormal', F(0, 0x3fff, J >> 1n), TAG_SPECIAL],
    ['unnormal with zero significand', F(0, 0x1234, 0n), TAG_SPECIAL],
    ['pseudo-infinity', F(0, 0x7fff, 0n), TAG_SPECIAL],
    ['pseudo-NaN', F(1, 0x7fff, 1n), TAG_SPECIAL],
  ];
  it.each(cases)('%s', (_name, v, tag) => {
    expect(tagOf(v)).toBe(tag);
    const s = new FpuState();
    s.reset();
    expect(s.push(v)).toBe('ok');
    expect(s.stTag(0)).toBe(tag);
    expect(s.physicalTag(7)).toBe(tag);
    expect(s.tagWord).toBe(0x3fff | (tag << 14));
  });
});

describe('power-up and FNINIT', () => {
  it('power-up and RESET: SDM Vol. 3 Table 9-1 (FCW 0040H, FSW 0, FTW 5555H, R0-R7 +0, pointers 0)', () => {
    const s = new FpuState();
    expect(s.controlWord).toBe(0x0040);
    expect(s.statusWord).toBe(0);
    expect(s.tagWord).toBe(0x5555);
    expect(s.top).toBe(0);
    for (let p = 0; p < 8; p++) expect(s.physical(p)).toEqual(F(0, 0, 0n));
    expect([s.fip, s.fcs, s.fop, s.fdp, s.fds]).toEqual([0, 0, 0, 0, 0]);
    // Every exception unmasked, 24-bit precision: not FNINIT's state.
    expect(s.pc).toBe(0);
    expect(s.masked(IE)).toBe(false);
  });

  it('FNINIT: FCW 037FH, FSW 0 (C0-C3 and TOP too), FTW FFFFH, pointers and opcode 0, contents kept (SDM Vol. 2 FINIT/FNINIT)', () => {
    const s = new FpuState();
    s.push(ONE);
    s.push(TWO);
    s.controlWord = 0x0c00;
    s.raise(ZE | PE);
    s.conditionCodes = SW_C3 | SW_C2 | C1 | SW_C0;
    Object.assign(s, { fip: 0x1234, fcs: 0x10, fop: 0x7ff, fdp: 0x5678, fds: 0x18 });
    const before = [0, 1, 2, 3, 4, 5, 6, 7].map((p) => s.physical(p));
    s.reset();
    expect(s.controlWord).toBe(0x037f);
    expect(s.statusWord).toBe(0);
    expect(s.tagWord).toBe(0xffff);
    expect(s.top).toBe(0);
    expect([s.fip, s.fcs, s.fop, s.fdp, s.fds]).toEqual([0, 0, 0, 0, 0]);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((p) => s.physical(p))).toEqual(before);
    expect(s.pc).toBe(3);
    expect(s.rc).toBe(0);
    expect(s.masked(IE | DE | ZE | OE | PE)).toBe(true);
  });

  it('powerOn() brings the power-up state back', () => {
    const s = new FpuState();
    s.reset();
    s.push(QNAN);
    s.powerOn();
    expect(s.controlWord).toBe(0x0040);
    expect(s.tagWord).toBe(0x5555);
    expect(s.physical(7)).toEqual(F(0, 0, 0n));
  });
});

describe('the stack: push, pop, TOP (SDM Vol. 1 §8.1.2)', () => {
  it('push decrements TOP and wraps from 0 to 7; pop empties and increments, wrapping from 7 to 0', () => {
    const s = new FpuState();
    s.reset();
    expect(s.push(ONE)).toBe('ok');
    expect(s.top).toBe(7);
    expect(s.stIndex(0)).toBe(7);
    expect(s.stIndex(1)).toBe(0);
    expect(s.st(0)).toEqual(ONE);
    expect(s.physical(7)).toEqual(ONE);
    s.pop();
    expect(s.top).toBe(0);
    expect(s.tagWord).toBe(0xffff);
    // The popped register keeps its value; only its tag says empty.
    expect(s.physical(7)).toEqual(ONE);
  });

  it('eight pushes fill the stack in TOP order, and ST(i) follows TOP', () => {
    const s = new FpuState();
    s.reset();
    const vals = [1, 2, 3, 4, 5, 6, 7, 8].map((k) => F(0, 0x3fff + k, J));
    for (const v of vals) expect(s.push(v)).toBe('ok');
    expect(s.top).toBe(0);
    expect(s.tagWord).toBe(0x0000);
    for (let i = 0; i < 8; i++) expect(s.st(i)).toEqual(vals[7 - i]);
    // Physically: the first push went to R7, the last to R0.
    expect(s.physical(7)).toEqual(vals[0]);
    expect(s.physical(0)).toEqual(vals[7]);
    for (let k = 7; k >= 0; k--) {
      expect(s.st(0)).toEqual(vals[k]);
      s.pop();
    }
    expect(s.top).toBe(0);
    expect(s.tagWord).toBe(0xffff);
  });

  it('setSt writes relative to TOP with the tag of the value', () => {
    const s = new FpuState();
    s.reset();
    s.top = 6;
    s.setSt(3, F(1, 0, 0n));
    expect(s.physicalTag(1)).toBe(TAG_ZERO);
    s.setSt(3, F(0, 0, 5n));
    expect(s.physicalTag(1)).toBe(TAG_SPECIAL);
    s.setSt(3, TWO);
    expect(s.tagWord).toBe(0xfff3);
    s.top = 13;
    expect(s.top).toBe(5);
  });

  it('FFREE empties ST(i) without moving TOP or the contents', () => {
    const s = new FpuState();
    s.reset();
    s.push(ONE);
    s.push(TWO);
    s.free(1);
    expect(s.top).toBe(6);
    expect(s.isEmpty(1)).toBe(true);
    expect(s.isEmpty(0)).toBe(false);
    expect(s.st(1)).toEqual(ONE);
    expect(s.tagWord).toBe(0xcfff);
  });

  it('FINCSTP and FDECSTP move TOP only, and clear C1', () => {
    const s = new FpuState();
    s.reset();
    s.push(ONE);
    s.setC1(true);
    s.incstp();
    expect(s.top).toBe(0);
    expect(s.statusWord & C1).toBe(0);
    expect(s.tagWord).toBe(0x3fff);
    expect(s.isEmpty(7)).toBe(false);
    s.setC1(true);
    s.decstp();
    s.decstp();
    expect(s.top).toBe(6);
    expect(s.statusWord & C1).toBe(0);
    expect(s.st(1)).toEqual(ONE);
  });
});

describe('stack overflow and underflow (SDM Vol. 1 §8.5.1.1)', () => {
  function full(): FpuState {
    const s = new FpuState();
    s.reset();
    for (let k = 0; k < 8; k++) s.push(F(0, 0x3fff + k, J));
    return s;
  }

  it('overflow, IM masked: IE, SF, C1 = 1; the push happens with the real indefinite', () => {
    const s = full();
    expect(s.canPush()).toBe(false);
    expect(s.push(ONE)).toBe('masked');
    expect(s.top).toBe(7);
    expect(s.st(0)).toEqual(INDEFINITE);
    expect(s.stTag(0)).toBe(TAG_SPECIAL);
    expect(s.statusWord).toBe((7 << 11) | C1 | SW_SF | IE);
    expect(s.exceptionPending).toBe(false);
  });

  it('overflow, IM unmasked: the same flags, ES and B, and TOP and the registers unchanged', () => {
    const s = full();
    s.controlWord = 0x037f & ~CW_IM;
    const r7 = s.physical(7);
    expect(s.push(ONE)).toBe('unmasked');
    expect(s.top).toBe(0);
    expect(s.physical(7)).toEqual(r7);
    expect(s.tagWord).toBe(0);
    expect(s.statusWord).toBe(SW_B | C1 | SW_ES | SW_SF | IE);
    expect(s.exceptionPending).toBe(true);
  });

  it('underflow, IM masked: IE, SF, C1 = 0, and the real indefinite in the register destination', () => {
    const s = new FpuState();
    s.reset();
    s.push(ONE);
    s.setC1(true);
    expect(s.checkSources([0])).toBe('ok');
    expect(s.statusWord & C1).toBe(C1);
    // FADD ST(0), ST(1) with ST(1) empty.
    expect(s.checkSources([0, 1], 0)).toBe('masked');
    expect(s.st(0)).toEqual(INDEFINITE);
    expect(s.statusWord).toBe((7 << 11) | SW_SF | IE);
  });

  it('underflow, IM masked, no register destination: flags only', () => {
    const s = new FpuState();
    s.reset();
    expect(s.checkSources([0])).toBe('masked');
    expect(s.tagWord).toBe(0xffff);
    expect(s.statusWord).toBe(SW_SF | IE);
  });

  it('underflow, IM unmasked: flags with ES and B, nothing written', () => {
    const s = new FpuState();
    s.reset();
    s.controlWord = 0x037e;
    s.push(ONE);
    s.setC1(true);
    expect(s.checkSources([1, 0], 0)).toBe('unmasked');
    expect(s.st(0)).toEqual(ONE);
    expect(s.statusWord).toBe(SW_B | (7 << 11) | SW_ES | SW_SF | IE);
    expect(s.exceptionPending).toBe(true);
  });
});

describe('the control word (SDM Vol. 1 §8.1.5, Figure 8-6)', () => {
  it('bit 6 reads 1, bits 7 and 13-15 read 0, X (bit 12) stays programmable', () => {
    const s = new FpuState();
    s.controlWord = 0x0000;
    expect(s.controlWord).toBe(0x0040);
    s.controlWord = 0xffff;
    expect(s.controlWord).toBe(0x1f7f);
    s.controlWord = 0x0e3f;
    expect(s.controlWord).toBe(0x0e7f);
    expect(s.pc).toBe(2);
    expect(s.rc).toBe(3);
  });

  it('maskAll sets the six masks only', () => {
    const s = new FpuState();
    s.controlWord = 0x0c40;
    s.maskAll();
    expect(s.controlWord).toBe(0x0c7f);
  });
});

describe('the status word: ES and B (SDM Vol. 1 §8.1.3, Figure 8-4)', () => {
  it('ES and B are set exactly while an unmasked flag is set', () => {
    const s = new FpuState();
    s.reset();
    s.raise(ZE | PE);
    expect(s.statusWord).toBe(ZE | PE);
    expect(s.exceptionPending).toBe(false);
    // FLDCW unmasking a flag already set: pending at once (SDM Vol. 2 FLDCW).
    s.controlWord = 0x037f & ~CW_ZM;
    expect(s.statusWord).toBe(SW_B | SW_ES | ZE | PE);
    expect(s.exceptionPending).toBe(true);
    // FNSTENV's masking ends it.
    s.maskAll();
    expect(s.statusWord).toBe(ZE | PE);
    // FNCLEX clears the flags, SF, ES and B; C0-C3 stay.
    s.controlWord = 0x0340;
    s.raise(OE);
    s.conditionCodes = SW_C3 | SW_C0;
    expect(s.statusWord).toBe(SW_B | SW_C3 | SW_C0 | SW_ES | OE | ZE | PE);
    s.stackUnderflow();
    s.clearExceptions();
    expect(s.statusWord).toBe(SW_C3 | SW_C0);
    expect(s.exceptionPending).toBe(false);
  });

  it('writing the status word takes TOP and the flags, and recomputes ES and B', () => {
    const s = new FpuState();
    s.reset();
    s.statusWord = 0xffff;
    expect(s.top).toBe(7);
    // All masked: ES and B read 0 though the written word had them.
    expect(s.statusWord).toBe(0x7fff & ~SW_ES);
    s.statusWord = SW_B | SW_ES;
    expect(s.statusWord).toBe(0);
    s.controlWord = 0x037e;
    s.statusWord = IE;
    expect(s.statusWord).toBe(SW_B | SW_ES | IE);
  });

  it('conditionCodes reads and writes C3 C2 C1 C0 only', () => {
    const s = new FpuState();
    s.reset();
    s.raise(PE);
    s.conditionCodes = 0xffff;
    expect(s.conditionCodes).toBe(SW_C3 | SW_C2 | C1 | SW_C0);
    expect(s.statusWord).toBe(SW_C3 | SW_C2 | C1 | SW_C0 | PE);
  });
});

describe('FLDENV/FRSTOR tag loading (SDM Vol. 1 §8.1.7)', () => {
  it('an image tag says empty or not; the class comes from the contents', () => {
    const s = new FpuState();
    const vals = [ONE, F(0, 0, 0n), QNAN, F(0, 0, 3n), F(0, 0x3fff, 1n), F(1, 0x7fff, J), TWO, F(1, 0, 0n)];
    vals.forEach((v, p) => s.setPhysical(p, v));
    // The image claims valid (00) everywhere but R1 and R6, which it calls empty (11).
    s.loadTagWord(0x3000 | 0x000c);
    expect(s.tagWord).toBe(tagsFrom(s, [false, true, false, false, false, false, true, false]));
    expect(s.tagWord).toBe(0x3000 | 0x000c | (2 << 4) | (2 << 6) | (2 << 8) | (2 << 10) | (1 << 14));
    // A wrong non-empty class in the image changes nothing.
    s.loadTagWord(0x2a2a);
    expect(s.tagWord).toBe(tagsFrom(s, new Array(8).fill(false)));
  });

  it('clone copies everything and shares nothing mutable', () => {
    const s = new FpuState();
    s.reset();
    s.push(ONE);
    s.raise(PE);
    s.fip = 0x100;
    const c = s.clone();
    expect(c.statusWord).toBe(s.statusWord);
    expect(c.tagWord).toBe(s.tagWord);
    expect(c.st(0)).toEqual(ONE);
    expect(c.fip).toBe(0x100);
    c.push(TWO);
    expect(s.top).toBe(7);
    expect(s.tagWord).toBe(0x3fff);
  });
});
