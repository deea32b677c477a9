/**
 * Interrupt and exception delivery (interrupts.ts) against the Intel SDM
 * (Vol. 2 INT n / IRET pages, Vol. 3 chapter 6): the stack switch from
 * ring 3 to the TSS's inner stack and the frame it pushes, interrupt
 * versus trap gates, IRET back to ring 3, the gate DPL check for INT n,
 * the EXT bit, double and triple faults, and external interrupts with the
 * STI shadow.
 */
import { describe, it, expect } from 'vitest';
import {
  runCode, makeCpu, regs, poke, setGate, setDescriptor, enterRing3, installTss, enablePaging, pteAddr,
  CODE, STACK_TOP, USER_STACK, TRAP_HLT, TSS_BASE, SEL_CODE0, SEL_DATA0, SEL_CODE3, SEL_DATA3, type Init, type TestCpu,
} from '../../../test/cpu/harness';
import { CS, SS, DS, ES, FS, GS, type Cpu } from './state';
import { IF, NT, CF, IOPL, RF } from './flags';

const HANDLER = 0x3000;
const deliveries = (t: TestCpu) => t.history.map((d) => [d.vector, d.code, d.eip]);
function ring3(code: string, init: Init = {}, more?: (c: Cpu) => void): TestCpu {
  return runCode(code, init, (c) => { enterRing3(c); more?.(c); });
}

describe('interrupts from ring 3 to ring 0', () => {
  it('INT n through a DPL-3 gate switches to SS0:ESP0 from the TSS and pushes SS, ESP, EFLAGS, CS, EIP', () => {
    const t = ring3('cd 80', { flags: IF | CF });
    expect(deliveries(t)).toEqual([[0x80, -1, CODE + 2]]);
    expect(t.cpu.cpl).toBe(0);
    expect([t.cpu.segSel[CS], t.cpu.segSel[SS]]).toEqual([SEL_CODE0, SEL_DATA0]);
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 20);
    expect(t.frame()).toEqual({ eip: CODE + 2, cs: SEL_CODE3, eflags: IF | CF | 2, esp: USER_STACK, ss: SEL_DATA3 });
  });
  it('an interrupt gate clears IF in the handler', () => {
    const t = ring3('cd 80', { flags: IF });
    expect(t.flags() & IF).toBe(0);
  });
  it('a trap gate leaves IF set', () => {
    const t = ring3('cd 80', { flags: IF }, (c) => setGate(c, 0x80, { type: 0xf }));
    expect(deliveries(t)).toEqual([[0x80, -1, CODE + 2]]);
    expect(t.flags() & IF).toBe(IF);
  });
  it('the handler runs with NT clear; the frame keeps the old EFLAGS', () => {
    const t = runCode('cd 40', { flags: NT | IF });
    expect(t.flags() & (NT | IF)).toBe(0);
    expect(t.frame().eflags & (NT | IF)).toBe(NT | IF);
  });
  it('an exception with an error code at ring 3 pushes the code below EIP (and RF, being a fault)', () => {
    const t = ring3('fa', { flags: IF }); // cli with IOPL 0
    expect(deliveries(t)).toEqual([[13, 0, CODE]]);
    expect(t.frame()).toEqual({ code: 0, eip: CODE, cs: SEL_CODE3, eflags: RF | IF | 2, esp: USER_STACK, ss: SEL_DATA3 });
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 24);
  });
  it('IRET returns to ring 3 with SS:ESP from the frame', () => {
    // ring 3: int $0x80; mov $1,%eax; (hlt -> #GP)   handler: mov $7,%ebx; iret
    const t = ring3('cd 80 b8 01 00 00 00', { flags: IF }, (c) => { setGate(c, 0x80, { offset: HANDLER }); poke(c, HANDLER, 'bb 07 00 00 00 cf'); });
    expect(deliveries(t)).toEqual([[0x80, -1, CODE + 2], [13, 0, t.end]]);
    expect(regs(t.cpu)).toMatchObject({ eax: 1, ebx: 7 });
    expect(t.frame()).toEqual({ code: 0, eip: t.end, cs: SEL_CODE3, eflags: RF | IF | 2, esp: USER_STACK, ss: SEL_DATA3 });
  });
  it('IRET to ring 3 nulls data segment registers ring 3 may not use', () => {
    // handler: mov $0x10,%ax; mov %ax,%ds; mov %ax,%es; iret
    const t = ring3('cd 80', {}, (c) => { setGate(c, 0x80, { offset: HANDLER }); poke(c, HANDLER, '66 b8 10 00 8e d8 8e c0 cf'); });
    expect(deliveries(t)).toEqual([[0x80, -1, CODE + 2], [13, 0, t.end]]);
    expect([t.cpu.segSel[DS], t.cpu.segSel[ES], t.cpu.segSel[FS], t.cpu.segSel[GS]]).toEqual([0, 0, SEL_DATA3, SEL_DATA3]);
  });
  it('IRET to ring 3 restores IOPL from the frame: ring 3 may then execute CLI', () => {
    // ring 3: int $0x80; cli   handler: iret
    const t = ring3('cd 80 fa', { flags: IF | IOPL }, (c) => { setGate(c, 0x80, { offset: HANDLER }); poke(c, HANDLER, 'cf'); });
    expect(deliveries(t)).toEqual([[0x80, -1, CODE + 2], [13, 0, t.end]]);
    expect(t.frame().eflags & (IF | IOPL)).toBe(IOPL);
  });
  it('INT n through a DPL-0 gate from ring 3 raises #GP(vector * 8 + 2) at the INT', () => {
    const t = ring3('cd 40', {}, (c) => setGate(c, 0x40, { dpl: 0 }));
    expect(deliveries(t)).toEqual([[13, 0x40 * 8 + 2, CODE]]);
    expect(t.frame()).toMatchObject({ eip: CODE, cs: SEL_CODE3 });
  });
  it('INT3 and INTO also check the gate DPL', () => {
    expect(deliveries(ring3('cc', {}, (c) => setGate(c, 3, { dpl: 0 })))).toEqual([[13, 3 * 8 + 2, CODE]]);
    expect(deliveries(ring3('ce', { flags: 0x800 }, (c) => setGate(c, 4, { dpl: 0 })))).toEqual([[13, 4 * 8 + 2, CODE]]);
  });
  it('processor exceptions ignore the gate DPL', () => {
    const t = ring3('0f 0b', {}, (c) => setGate(c, 6, { dpl: 0 }));
    expect(deliveries(t)).toEqual([[6, -1, CODE]]);
  });
  it('INT n through a gate that is not present raises #NP(vector * 8 + 2)', () => {
    expect(deliveries(ring3('cd 40', {}, (c) => setGate(c, 0x40, { present: false })))).toEqual([[11, 0x40 * 8 + 2, CODE]]);
  });
  it('INT n beyond the IDT limit raises #GP(vector * 8 + 2)', () => {
    const t = runCode('cd 40', {}, (c) => { c.idtr.limit = 0x40 * 8 + 6; });
    expect(deliveries(t)).toEqual([[13, 0x40 * 8 + 2, CODE]]);
  });
});

describe('interrupts from ring 3 to ring 1', () => {
  /** Ring-1 code 0x30 and stack 0x38, gate 0x81 to 0x30:HANDLER (a HLT, which faults at ring 1), SS1:ESP1 in the TSS. */
  const ring1 = (ss1: number) => (c: Cpu) => {
    setDescriptor(c, 0x30, 0, 0xfffff, 0xbb);
    setDescriptor(c, 0x38, 0, 0xfffff, 0xb3);
    setDescriptor(c, 0x40, 0, 0xfffff, 0x33); // ring-1 data, not present
    setGate(c, 0x81, { sel: 0x30, offset: HANDLER });
    setGate(c, 6, { sel: 0x30, offset: HANDLER });
    poke(c, HANDLER, 'f4');
    c.mem.write32(TSS_BASE + 12, 0x70000);
    c.mem.write32(TSS_BASE + 16, ss1);
  };
  it('an INT to a ring-1 handler takes SS1:ESP1 from the TSS', () => {
    const t = ring3('cd 81', { flags: IF }, ring1(0x39));
    // The handler's HLT at ring 1 raises #GP(0), taken to ring 0 on SS0:ESP0.
    expect(deliveries(t)).toEqual([[0x81, -1, CODE + 2], [13, 0, HANDLER]]);
    expect(t.frame()).toEqual({ code: 0, eip: HANDLER, cs: 0x31, eflags: RF | 2, esp: 0x70000 - 20, ss: 0x39 });
    const ring1Frame = [0, 4, 8, 12, 16].map((k) => t.mem.read32(0x70000 - 20 + k) >>> 0);
    expect(ring1Frame).toEqual([CODE + 2, SEL_CODE3, IF | 2, USER_STACK, SEL_DATA3]);
  });
  it('a null SS1 raises #TS(0)', () => {
    expect(deliveries(ring3('cd 81', {}, ring1(0)))).toEqual([[10, 0, CODE]]);
  });
  it('an SS1 whose RPL is not 1 raises #TS(selector)', () => {
    expect(deliveries(ring3('cd 81', {}, ring1(0x38)))).toEqual([[10, 0x38, CODE]]);
  });
  it('an SS1 of another DPL raises #TS(selector)', () => {
    expect(deliveries(ring3('cd 81', {}, ring1(SEL_DATA3 & ~3 | 1)))).toEqual([[10, SEL_DATA3 & ~3, CODE]]);
  });
  it('an SS1 that is not present raises #SS(selector)', () => {
    expect(deliveries(ring3('cd 81', {}, ring1(0x41)))).toEqual([[12, 0x40, CODE]]);
  });
  it('for an exception the error code has the EXT bit: #UD into a ring-1 handler with a bad SS1 gives #TS(selector + 1)', () => {
    expect(deliveries(ring3('0f 0b', {}, ring1(0x38)))).toEqual([[10, 0x39, CODE]]);
    expect(deliveries(ring3('0f 0b', {}, ring1(0x41)))).toEqual([[12, 0x41, CODE]]);
  });
});

describe('double and triple faults', () => {
  it('a benign exception whose gate is not present is followed by #NP(vector * 8 + 2 + EXT)', () => {
    const t = runCode('0f 0b', {}, (c) => setGate(c, 6, { present: false }));
    expect(deliveries(t)).toEqual([[11, 6 * 8 + 3, CODE]]);
  });
  it('a contributory fault while delivering a contributory one becomes #DF(0)', () => {
    // div by zero (#DE), and the #DE gate is not present (#NP)
    const t = runCode('f7 f3', { ebx: 0 }, (c) => setGate(c, 0, { present: false }));
    expect(t.history.map((d) => [d.vector, d.code])).toEqual([[8, 0]]);
    expect(t.cpu.eip >>> 0).toBe(TRAP_HLT + 1);
  });
  it('a #GP while delivering a page fault becomes #DF', () => {
    const t = runCode('8b 19', { ecx: 0x5000 }, (c) => {
      enablePaging(c);
      c.mem.write32(pteAddr(0x5000), 0);  // not present: #PF
      setGate(c, 14, { sel: SEL_DATA0 });  // a gate to a data segment: #GP
    });
    expect(t.history.map((d) => [d.vector, d.code])).toEqual([[8, 0]]);
    expect(t.cpu.cr2 >>> 0).toBe(0x5000);
  });
  it('a fault while delivering #DF shuts the machine down (triple fault)', () => {
    const t = runCode('f7 f3 90', { ebx: 0 }, (c) => { setGate(c, 0, { present: false }); setGate(c, 8, { present: false }); });
    expect(t.history).toEqual([]);
    expect(t.cpu.shutdownReason).toMatch(/triple fault/);
    expect(t.cpu.halted).toBe(true);
  });
  it('a ring-3 exception with no usable ring-0 stack ends in a triple fault', () => {
    const t = ring3('0f 0b', {}, (c) => { c.tr.limit = 0x7; });
    expect(t.history).toEqual([]);
    expect(t.cpu.shutdownReason).toMatch(/triple fault/);
  });
});

describe('external interrupts', () => {
  /** A machine whose interrupt line is raised once with `vector`. */
  function withIrq(code: string, flags: number, vector = 0x30): TestCpu {
    const t = makeCpu(code, (c) => {
      c.flagsRaw = flags | 2;
      c.intrLine = true;
      c.ackInterrupt = () => { c.intrLine = false; return vector; };
    });
    t.run();
    return t;
  }
  it('is taken at an instruction boundary when IF is set; the frame holds the EIP of the next instruction', () => {
    const t = withIrq('90 90', IF);
    expect(deliveries(t)).toEqual([[0x30, -1, CODE]]);
    expect(t.frame()).toEqual({ eip: CODE, cs: SEL_CODE0, eflags: IF | 2 });
  });
  it('is held while IF is clear', () => {
    const t = withIrq('90 90', 0);
    expect(t.history).toEqual([]);
    expect(t.cpu.intrLine).toBe(true);
  });
  it('waits one instruction after STI (the STI shadow)', () => {
    const t = withIrq('fb 90 90', 0);
    expect(deliveries(t)).toEqual([[0x30, -1, CODE + 2]]);
  });
  it('ignores the gate DPL', () => {
    const t = makeCpu('90', (c) => {
      enterRing3(c);
      setGate(c, 0x30, { dpl: 0 });
      c.flagsRaw = IF | 2;
      c.intrLine = true;
      c.ackInterrupt = () => { c.intrLine = false; return 0x30; };
    });
    t.run();
    expect(deliveries(t)[0]).toEqual([0x30, -1, CODE]);
  });
});

describe('task gates and nested-task IRET (the task switch itself is not emulated)', () => {
  /** TSS descriptors: 0x30 available, 0x38 busy, 0x40 available but not present. */
  const tss = (c: Cpu) => {
    setDescriptor(c, 0x30, 0x6000, 0x67, 0x89, 0);
    setDescriptor(c, 0x38, 0x6000, 0x67, 0x8b, 0);
    setDescriptor(c, 0x40, 0x6000, 0x67, 0x09, 0);
  };
  const taskGate = (vector: number, sel: number) => (c: Cpu) => { tss(c); setGate(c, vector, { type: 5, sel, offset: 0 }); };
  it('INT n through a task gate whose selector is beyond the GDT raises #GP(selector)', () => {
    expect(deliveries(runCode('cd 45', {}, taskGate(0x45, 0x100)))).toEqual([[13, 0x100, CODE]]);
  });
  it('a task gate with an LDT selector raises #GP(selector)', () => {
    expect(deliveries(runCode('cd 45', {}, taskGate(0x45, 0x34)))).toEqual([[13, 0x34, CODE]]);
  });
  it('a task gate to a busy TSS or to a data segment raises #GP(selector)', () => {
    expect(deliveries(runCode('cd 45', {}, taskGate(0x45, 0x38)))).toEqual([[13, 0x38, CODE]]);
    expect(deliveries(runCode('cd 45', {}, taskGate(0x45, SEL_DATA0)))).toEqual([[13, SEL_DATA0, CODE]]);
  });
  it('a task gate to a TSS that is not present raises #NP(selector)', () => {
    expect(deliveries(runCode('cd 45', {}, taskGate(0x45, 0x40)))).toEqual([[11, 0x40, CODE]]);
  });
  it('an exception through a task gate with a bad selector sets EXT in the error code', () => {
    expect(deliveries(runCode('0f 0b', {}, taskGate(6, 0x100)))).toEqual([[13, 0x101, CODE]]);
  });
  /** IRET with NT set, the current TSS's back link = `link`. */
  const nestedIret = (link: number) => runCode('cf', { flags: NT }, (c) => { tss(c); installTss(c); c.mem.write16(TSS_BASE, link); });
  it('IRET with NT set and a back link to an available TSS raises #TS(back link)', () => {
    expect(deliveries(nestedIret(0x30))).toEqual([[10, 0x30, CODE]]);
  });
  it('IRET with NT set and a back link with TI = 1 raises #TS(back link)', () => {
    expect(deliveries(nestedIret(0x2c))).toEqual([[10, 0x2c, CODE]]);
  });
  it('IRET with NT set and a back link beyond the GDT or to a data segment raises #TS(back link)', () => {
    expect(deliveries(nestedIret(0x200))).toEqual([[10, 0x200, CODE]]);
    expect(deliveries(nestedIret(SEL_DATA0))).toEqual([[10, SEL_DATA0, CODE]]);
  });
});
