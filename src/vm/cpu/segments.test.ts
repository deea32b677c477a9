/**
 * Segmentation (segments.ts, and the segment checks of state.ts) against
 * the Intel SDM: MOV/POP/LDS to a segment register with every check of the
 * MOV page (null selector, table limit, type, RPL/CPL/DPL, present), the
 * LDT, the Accessed bit, and base/limit/type checks on memory accesses
 * (Vol. 3 §5.3, §5.5, §5.6).
 */
import { describe, it, expect } from 'vitest';
import { runCode, regs, setDescriptor, enterRing3, CODE, GDT, STACK_TOP, type Init, type TestCpu } from '../../../test/cpu/harness';
import { DS, ES, SS, FS, GS, type Cpu } from './state';

const deliveries = (t: TestCpu) => t.history.map((d) => [d.vector, d.code, d.eip]);
const faultAt = (t: TestCpu, vector: number, code: number, eip = CODE) => expect(deliveries(t)).toEqual([[vector, code, eip]]);
const reachedEnd = (t: TestCpu) => expect(deliveries(t)).toEqual([[13, 0, t.end]]);

/** Descriptors for the tests (access byte, flags nibble). */
function gdt(c: Cpu): void {
  setDescriptor(c, 0x30, 0x5000, 0xfff, 0x93, 0x4);   // data, base 0x5000, byte limit 0xfff
  setDescriptor(c, 0x38, 0, 0xfffff, 0x91);           // read-only data
  setDescriptor(c, 0x40, 0, 0xfffff, 0x99);           // execute-only code
  setDescriptor(c, 0x48, 0, 0xfffff, 0x9b);           // readable code
  setDescriptor(c, 0x50, 0, 0xfffff, 0x9f);           // conforming readable code, DPL 0
  setDescriptor(c, 0x58, 0, 0xfffff, 0x13);           // data, not present
  setDescriptor(c, 0x60, 0x6000, 0x67, 0x89, 0);      // an available TSS (a system segment)
  setDescriptor(c, 0x70, 0, 0x1fff, 0x97, 0x4);       // expand-down data, limit 0x1fff, B = 1
  setDescriptor(c, 0x78, 0, 0xfffff, 0xb3);           // data, DPL 1
  setDescriptor(c, 0x88, 0, 0xfffff, 0x92);           // data, Accessed bit clear
  setDescriptor(c, 0x90, 0x4000, 0xf, 0x82, 0);       // LDT at 0x4000 with two entries
  setDescriptor(c, 0x98, 0x5000, 0xfffff, 0x93, 0xc); // data, base 0x5000, limit 4 GiB
  c.mem.write32(0x4008, 0x0000ffff);                  // LDT entry 1 (selector 0x0c): data, base 0x6000
  c.mem.write32(0x400c, 0x00cf9300);
  c.mem.write16(0x400a, 0x6000);
}
/** mov $sel,%ax; <code> */
const withAx = (sel: number, code: string) => `66 b8 ${(sel & 0xff).toString(16).padStart(2, '0')} ${(sel >> 8).toString(16).padStart(2, '0')} ${code}`;
const MOV_DS = '8e d8', MOV_SS = '8e d0';
function run(code: string, init: Init = {}, ring3 = false, more?: (c: Cpu) => void): TestCpu {
  return runCode(code, init, (c) => { gdt(c); if (ring3) enterRing3(c); more?.(c); });
}

describe('MOV to DS/ES/FS/GS', () => {
  it('MOV DS loads the selector, base and limit: accesses go to base + offset', () => {
    const t = run(withAx(0x30, `${MOV_DS} a1 10 00 00 00`), {}, false, (c) => c.mem.write32(0x5010, 0xabcd1234));
    expect(t.history).toEqual([]);
    expect(t.cpu.segSel[DS]).toBe(0x30);
    expect(regs(t.cpu).eax).toBe(0xabcd1234);
  });
  it('an access that ends beyond the DS limit raises #GP(0); one that ends on it does not', () => {
    expect(run(withAx(0x30, `${MOV_DS} a1 fc 0f 00 00`)).history).toEqual([]);
    faultAt(run(withAx(0x30, `${MOV_DS} a1 fd 0f 00 00`)), 13, 0, CODE + 6);
  });
  it('an access past offset 0xffffffff of a 4 GiB segment with a base wraps around its linear addresses, as QEMU does', () => {
    // SDM 5.3: with an effective limit of 4 GiB, such an access may or may not fault, as the implementation
    // chooses. A flat segment never faults here, and QEMU (the reference) never faults on either: neither do we.
    const t = run(withAx(0x98, `${MOV_DS} a1 fe ff ff ff`), {}, false, (c) => c.mem.write32(0x4ffe, 0x11223344));
    expect(t.history).toEqual([]);
    expect(regs(t.cpu).eax).toBe(0x11223344);
  });
  it('a segment override picks the segment: mov %es:(%eax)', () => {
    const t = run(withAx(0x30, '8e c0 26 8b 19'), { ecx: 0x20 }, false, (c) => c.mem.write32(0x5020, 77)); // mov %es:(%ecx),%ebx
    expect(regs(t.cpu).ebx).toBe(77);
    expect(t.cpu.segSel[ES]).toBe(0x30);
  });
  it('MOV DS with a null selector succeeds; an access through DS then raises #GP(0)', () => {
    const t = run(withAx(0x0003, `${MOV_DS} a1 10 00 00 00`));
    faultAt(t, 13, 0, CODE + 6);
    expect(t.cpu.segSel[DS]).toBe(3);
  });
  it('MOV DS with a selector beyond the GDT limit raises #GP(selector) and keeps DS', () => {
    const t = run(withAx(0x1f8, MOV_DS));
    faultAt(t, 13, 0x1f8, CODE + 4);
    expect(t.cpu.segSel[DS]).toBe(0x10);
  });
  it('MOV DS with a system segment raises #GP(selector)', () => {
    faultAt(run(withAx(0x60, MOV_DS)), 13, 0x60, CODE + 4);
  });
  it('MOV DS with execute-only code raises #GP(selector); readable code loads', () => {
    faultAt(run(withAx(0x40, MOV_DS)), 13, 0x40, CODE + 4);
    expect(run(withAx(0x48, MOV_DS)).history).toEqual([]);
  });
  it('MOV DS with RPL > DPL raises #GP(selector without RPL)', () => {
    faultAt(run(withAx(0x13, MOV_DS)), 13, 0x10, CODE + 4);
  });
  it('MOV DS at CPL 3 with a DPL-0 data segment raises #GP(selector)', () => {
    faultAt(run(withAx(0x13, MOV_DS), {}, true), 13, 0x10, CODE + 4);
  });
  it('MOV DS at CPL 0 with a DPL-1 data segment loads (DPL >= CPL)', () => {
    const t = run(withAx(0x78, MOV_DS));
    expect(t.history).toEqual([]);
    expect(t.cpu.segSel[DS]).toBe(0x78);
  });
  it('MOV DS at CPL 3 with conforming readable code loads (no privilege check)', () => {
    const t = run(withAx(0x53, MOV_DS), {}, true);
    reachedEnd(t);
    expect(t.cpu.segSel[DS]).toBe(0x53);
  });
  it('MOV ES with a segment that is not present raises #NP(selector)', () => {
    faultAt(run(withAx(0x58, '8e c0')), 11, 0x58, CODE + 4);
  });
  it('MOV CS raises #UD, and so do segment register numbers 6 and 7', () => {
    faultAt(run('8e c8'), 6, -1);
    faultAt(run('8e f0'), 6, -1);
    faultAt(run('8c f8'), 6, -1);
  });
  it('loading a segment sets the Accessed bit of its descriptor', () => {
    const t = run(withAx(0x88, '8e e0'));
    expect(t.history).toEqual([]);
    expect(t.mem.read8(GDT + 0x88 + 5)).toBe(0x93);
    expect(t.cpu.segSel[FS]).toBe(0x88);
  });
  it('an LDT selector without an LDT raises #GP(selector)', () => {
    faultAt(run(withAx(0x0c, MOV_DS)), 13, 0x0c, CODE + 4);
  });
  it('an LDT selector reads its descriptor from the LDT', () => {
    // mov $0x90,%ax; lldt %ax; mov $0x0c,%ax; mov %ax,%gs; mov %gs:0x10,%eax
    const t = run('66 b8 90 00 0f 00 d0 66 b8 0c 00 8e e8 65 a1 10 00 00 00', {}, false, (c) => c.mem.write32(0x6010, 0x600d));
    expect(t.history).toEqual([]);
    expect(t.cpu.segSel[GS]).toBe(0x0c);
    expect(regs(t.cpu).eax).toBe(0x600d);
  });
});

describe('MOV to SS', () => {
  it('MOV SS with a null selector raises #GP(0)', () => {
    const t = run(withAx(0, MOV_SS));
    faultAt(t, 13, 0, CODE + 4);
    expect(t.cpu.segSel[SS]).toBe(0x10);
  });
  it('MOV SS with RPL != CPL raises #GP(selector)', () => {
    faultAt(run(withAx(0x13, MOV_SS)), 13, 0x10, CODE + 4);
  });
  it('MOV SS with DPL != CPL raises #GP(selector)', () => {
    faultAt(run(withAx(0x78, MOV_SS)), 13, 0x78, CODE + 4);
  });
  it('MOV SS with a read-only data segment raises #GP(selector)', () => {
    faultAt(run(withAx(0x38, MOV_SS)), 13, 0x38, CODE + 4);
  });
  it('MOV SS with a code segment raises #GP(selector)', () => {
    faultAt(run(withAx(0x48, MOV_SS)), 13, 0x48, CODE + 4);
  });
  it('MOV SS with a segment that is not present raises #SS(selector)', () => {
    faultAt(run(withAx(0x58, MOV_SS)), 12, 0x58, CODE + 4);
  });
  it('after MOV SS, stack accesses use its base; beyond its limit they raise #SS(0)', () => {
    // mov $0x30,%ax; mov %ax,%ss; mov (%ebp),%ebx  (EBP addresses through SS)
    const ok = run(withAx(0x30, `${MOV_SS} 8b 5d 00`), { esp: 0x800, ebp: 0x10 }, false, (c) => c.mem.write32(0x5010, 0x55));
    expect(ok.history).toEqual([]);
    expect(regs(ok.cpu).ebx).toBe(0x55);
    faultAt(run(withAx(0x30, `${MOV_SS} 8b 5d 00`), { esp: 0x800, ebp: 0xffe }), 12, 0, CODE + 6);
  });
  it('MOV SS at CPL 3 with the ring-3 data segment loads', () => {
    const t = run(withAx(0x23, MOV_SS), {}, true);
    reachedEnd(t);
  });
});

describe('the stack size of POP SS, LSS and MOV SS (SDM Vol. 2 POP: the stack pointer moves by the stack it was read from)', () => {
  const STACK16 = 0xa0;
  const with16 = (c: Cpu) => setDescriptor(c, STACK16, 0, 0xfffff, 0x93, 0x8); // flat data, 4 GiB, B = 0: a 16-bit stack
  it('POP SS from a 16-bit stack into a 32-bit one moves SP alone, by the old stack\'s size', () => {
    // mov $0xa0,%ax; mov %ax,%ss (ESP stays 0x2fffc, SP 0xfffc); pop %ss (o32): reads 0x10 at 0xfffc
    const t = run(withAx(STACK16, `${MOV_SS} 17`), { esp: 0x2fffc }, false, (c) => { with16(c); c.mem.write32(0xfffc, 0x10); });
    expect(t.history).toEqual([]);
    expect(t.cpu.segSel[SS]).toBe(0x10);
    expect(regs(t.cpu).esp).toBe(0x20000); // SP wrapped to 0; the high half is the old one, as QEMU leaves it
  });
  it('POP SS from a 32-bit stack into a 16-bit one moves all of ESP', () => {
    const t = run('17', { esp: 0x2fffc }, false, (c) => { with16(c); c.mem.write32(0x2fffc, STACK16); });
    expect(t.history).toEqual([]);
    expect(t.cpu.segSel[SS]).toBe(STACK16);
    expect(regs(t.cpu).esp).toBe(0x30000);
  });
  it('LSS loads ESP whole and MOV SS leaves it, whatever the stack sizes', () => {
    // lss (%ebx),%esp with the far pointer 0xa0:0x12345
    const t = run('0f b2 23', { ebx: 0x2000 }, false, (c) => { with16(c); c.mem.write32(0x2000, 0x12345); c.mem.write16(0x2004, STACK16); });
    expect(t.history).toEqual([]);
    expect([t.cpu.segSel[SS], regs(t.cpu).esp]).toEqual([STACK16, 0x12345]);
    const u = run(withAx(STACK16, MOV_SS), { esp: 0x2fffc }, false, with16);
    expect(u.history).toEqual([]);
    expect(regs(u.cpu).esp).toBe(0x2fffc);
  });
});

describe('instruction fetch and the CS limit (SDM Vol. 3 §5.3: every byte of an instruction within the limit)', () => {
  /** Runs `code` at CODE with CS limited to `limit` (32-bit code, base 0). */
  const limited = (code: string, limit: number, init: Init = {}) =>
    runCode(code, init, (c) => c.setSegmentCache(1, 0x08, 0, limit, 0x409b));
  it('code that runs off the end of its segment faults with #GP(0) at the first instruction past the limit', () => {
    const t = limited('90 90 90', CODE + 1);
    expect(deliveries(t)).toEqual([[13, 0, CODE + 2]]);
  });
  it('an instruction that straddles the limit faults at its first byte, and has not run', () => {
    // nop; mov $1,%eax (5 bytes, its last one past the limit)
    const t = limited('90 b8 01 00 00 00', CODE + 4, { eax: 7 });
    expect(deliveries(t)).toEqual([[13, 0, CODE + 1]]);
    expect(regs(t.cpu).eax).toBe(7);
  });
  it('an instruction whose last byte is the limit runs', () => {
    // nop; mov $1,%eax; then the next one is past the limit
    const t = limited('90 b8 01 00 00 00 90', CODE + 5, { eax: 7 });
    expect(deliveries(t)).toEqual([[13, 0, CODE + 6]]);
    expect(regs(t.cpu).eax).toBe(1);
  });
  it('an instruction across a page boundary that the limit cuts faults at its first byte, and has not run', () => {
    // The mov starts 2 bytes before a page boundary; the limit cuts it after its third byte, in the next page.
    const at = 0x1ffe;
    const rel = at - CODE - 5;
    const t = runCode(`e9 ${[rel & 0xff, rel >> 8, 0, 0].map((v) => v.toString(16).padStart(2, '0')).join(' ')}`, { eax: 7 }, (c) => {
      c.mem.load(at, Uint8Array.from([0xb8, 1, 0, 0, 0]));
      c.setSegmentCache(1, 0x08, 0, at + 2, 0x409b);
    });
    expect(deliveries(t)).toEqual([[13, 0, at]]);
    expect(regs(t.cpu).eax).toBe(7);
  });
});

describe('branch targets and the CS limit (SDM Vol. 2 JMP, Jcc, CALL, RET, IRET: #GP(0) if the target is beyond the code segment limit)', () => {
  // QEMU 7.2 checks none of the near ones, nor far RET and IRET, and gives far CALL #GP(selector):
  // test/oracle/random/EXCLUSIONS.md; guests/bare/stackcs.c compares with it only where it agrees with the manual.
  const hex32 = (v: number) => [0, 8, 16, 24].map((k) => ((v >>> k) & 0xff).toString(16).padStart(2, '0')).join(' ');
  /** Runs `code` at CODE with CS limited to `limit` (32-bit code, base 0), and a code segment 0xa8 limited to CODE + 0x20. */
  const limited = (code: string, limit: number, init: Init = {}) =>
    runCode(code, init, (c) => { setDescriptor(c, 0xa8, 0, CODE + 0x20, 0x9b, 0x4); c.setSegmentCache(1, 0x08, 0, limit, 0x409b); });
  it('a near JMP (rel8, rel32, r/m32) beyond the limit faults at the JMP; to the limit itself it jumps', () => {
    expect(deliveries(limited('eb 10', CODE + 0x11))).toEqual([[13, 0, CODE]]);
    expect(deliveries(limited('e9 00 01 00 00', CODE + 0x104))).toEqual([[13, 0, CODE]]);
    expect(deliveries(limited('ff e0', CODE + 0xff, { eax: CODE + 0x100 }))).toEqual([[13, 0, CODE]]);
    // To the limit itself the JMP goes; there the fetch faults (the zeros there are a 2-byte ADD that straddles the limit).
    expect(deliveries(limited('eb 10', CODE + 0x12))).toEqual([[13, 0, CODE + 0x12]]);
  });
  it('a Jcc beyond the limit faults only when taken', () => {
    expect(deliveries(limited('74 10', CODE + 0x11, { flags: 0x40 }))).toEqual([[13, 0, CODE]]);
    expect(limited('74 10 90', CODE + 0x11, { flags: 0 }).history).toEqual([]);
  });
  it('a near CALL beyond the limit faults at the CALL and pushes nothing; a near RET beyond it faults at the RET', () => {
    const t = limited('e8 00 01 00 00', CODE + 0x104);
    expect(deliveries(t)).toEqual([[13, 0, CODE]]);
    expect(t.frame().eip).toBe(CODE);
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 16); // the #GP frame alone (EFLAGS, CS, EIP, error code): no return address
    // push $CODE+0x100; ret
    expect(deliveries(limited(`68 ${hex32(CODE + 0x100)} c3`, CODE + 0xff))).toEqual([[13, 0, CODE + 5]]);
  });
  it('a far CALL beyond the new segment\'s limit raises #GP(0), not #GP(selector)', () => {
    expect(deliveries(limited(`9a ${hex32(CODE + 0x21)} a8 00`, 0xfffff))).toEqual([[13, 0, CODE]]);
  });
  it('a far RET and an IRET beyond the new segment\'s limit raise #GP(0) at the RET or IRET', () => {
    // push $0xa8 (imm32: imm8 would sign-extend); push $CODE+0x21; lret
    expect(deliveries(limited(`68 a8 00 00 00 68 ${hex32(CODE + 0x21)} cb`, 0xfffff))).toEqual([[13, 0, CODE + 10]]);
    // pushf; push $0xa8; push $CODE+0x21; iret
    expect(deliveries(limited(`9c 68 a8 00 00 00 68 ${hex32(CODE + 0x21)} cf`, 0xfffff))).toEqual([[13, 0, CODE + 11]]);
  });
});

describe('segment checks on accesses', () => {
  it('a write through a read-only data segment raises #GP(0)', () => {
    faultAt(run(withAx(0x38, `${MOV_DS} 89 19`), { ecx: 0x2000 }), 13, 0, CODE + 6);
    expect(run(withAx(0x38, `${MOV_DS} 8b 19`), { ecx: 0x2000 }).history).toEqual([]);
  });
  it('an expand-down segment allows only offsets above its limit', () => {
    expect(run(withAx(0x70, `${MOV_DS} 8b 19`), { ecx: 0x2000 }).history).toEqual([]);
    faultAt(run(withAx(0x70, `${MOV_DS} 8b 19`), { ecx: 0x1fff }), 13, 0, CODE + 6);
    faultAt(run(withAx(0x70, `${MOV_DS} 8b 19`), { ecx: 0x1ffe }), 13, 0, CODE + 6);
  });
  it('reading through a data segment loaded with readable code works; writing raises #GP(0)', () => {
    expect(run(withAx(0x48, `${MOV_DS} 8b 19`), { ecx: 0x2000 }).history).toEqual([]);
    faultAt(run(withAx(0x48, `${MOV_DS} 89 19`), { ecx: 0x2000 }), 13, 0, CODE + 6);
  });
});

describe('segment register moves', () => {
  it('MOV r32,Sreg zero-extends the selector; MOV m16,Sreg writes 16 bits', () => {
    const t = run('8c d8 8c 1d 00 20 00 00', { eax: 0xffffffff }, false, (c) => c.mem.write32(0x2000, 0xffffffff));
    expect(regs(t.cpu).eax).toBe(0x10);
    expect(t.mem.read32(0x2000) >>> 0).toBe(0xffff0010);
  });
  it('PUSH DS pushes the selector; POP ES loads it', () => {
    const t = run(withAx(0x30, `${MOV_DS} 1e 07`));
    expect(t.history).toEqual([]);
    expect(t.cpu.segSel[ES]).toBe(0x30);
    expect(regs(t.cpu).esp).toBe(STACK_TOP);
  });
  it('POP DS of a bad selector raises #GP(selector) and leaves ESP', () => {
    const t = run('6a 60 1f'); // push $0x60; pop %ds
    faultAt(t, 13, 0x60, CODE + 2);
    expect(t.frame().eip).toBe(CODE + 2);
    expect(t.mem.read32(STACK_TOP - 4)).toBe(0x60);
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 4 - 16); // the pushed selector and the #GP frame
  });
  it('LDS and LFS load a far pointer: offset into the register, selector into the segment', () => {
    const t = run('0f b4 0d 00 20 00 00 c5 1d 00 20 00 00', {}, false, (c) => { c.mem.write32(0x2000, 0x1234); c.mem.write16(0x2004, 0x30); });
    expect(t.history).toEqual([]);
    expect(regs(t.cpu)).toMatchObject({ ebx: 0x1234, ecx: 0x1234 });
    expect([t.cpu.segSel[DS], t.cpu.segSel[FS]]).toEqual([0x30, 0x30]);
  });
  it('LSS loads SS:ESP together', () => {
    const t = run('0f b2 25 00 20 00 00', {}, false, (c) => { c.mem.write32(0x2000, 0x800); c.mem.write16(0x2004, 0x30); });
    expect(t.history).toEqual([]);
    expect(t.cpu.segSel[SS]).toBe(0x30);
    expect(regs(t.cpu).esp).toBe(0x800);
  });
  it('LDS with a bad selector raises #GP(selector) and leaves the offset register', () => {
    const t = run('c5 1d 00 20 00 00', { ebx: 7 }, false, (c) => { c.mem.write32(0x2000, 0x1234); c.mem.write16(0x2004, 0x40); });
    faultAt(t, 13, 0x40);
    expect(regs(t.cpu).ebx).toBe(7);
  });
});
