/**
 * Breakpoints in the debug registers, against the Intel SDM Vol. 3 chapter 17
 * ("Debug, Branch Profile, TSC, and Resource Monitoring Features") and §6.8.3
 * (MOV SS / POP SS): instruction breakpoints (fault), data and I/O
 * breakpoints (trap), DR6, DR7.GD, RF, REP strings, the interrupt shadow,
 * in interpreted and compiled code. The rules where QEMU 7.2 departs from
 * the manual are here and not in guests/bare/debugregs.c (its comment lists
 * them).
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, enterRing3, enablePaging, setGate, CODE, STACK_TOP, type TestCpu } from '../../../test/cpu/harness';
import type { Cpu } from './state';
import { CR4_DE, ESP } from './state';
import { RF, TF } from './flags';
import { Executor, Exit } from './executor';
import { tlbIndex } from './paging';

const DATA = 0x3000, HANDLER = 0x5000;
const L = (n: number) => 1 << (2 * n);
const G = (n: number) => 2 << (2 * n);
const EXEC = 0, WRITE = 1, IO = 2, READ_WRITE = 3;
/** R/W and LEN of breakpoint n in DR7; len in bytes (1, 2, 4, 8). */
const cond = (n: number, rw: number, len = 1) => (rw << (16 + 4 * n)) | ((len === 8 ? 2 : len === 4 ? 3 : len - 1) << (18 + 4 * n));
const GD = 0x2000, BS = 0x4000, BD = 0x2000;

/** Set DR0-DR3 and DR7 as MOV to them would. */
function arm(c: Cpu, addrs: number[], dr7: number): void {
  addrs.forEach((a, n) => { c.dr[n] = a; });
  c.dr[7] = dr7 | 0x400;
  c.updateDebug();
}

/** makeCpu, with DR6 recorded at each #DB as its handler finds it. */
function debugCpu(code: string, setup?: (c: Cpu) => void): TestCpu & { dr6: number[] } {
  const t = makeCpu(code, setup) as TestCpu & { dr6: number[] };
  t.dr6 = [];
  const told = t.cpu.onVector!;
  t.cpu.onVector = (v, code, eip) => {
    told(v, code, eip);
    if (v === 1) t.dr6.push(t.cpu.dr[6] >>> 0);
  };
  return t;
}
const deliveries = (t: TestCpu) => t.history.map((d) => [d.vector, d.eip]);
/** A #DB handler at HANDLER: `orl $0x10000, 8(%esp); iret` (sets RF in the frame) or `iret`. */
function handler(c: Cpu, setRf: boolean): void {
  const bytes = setRf ? [0x81, 0x4c, 0x24, 0x08, 0x00, 0x00, 0x01, 0x00, 0xcf] : [0xcf];
  c.mem.load(HANDLER, new Uint8Array(bytes));
  setGate(c, 1, { offset: HANDLER });
}

describe('instruction breakpoints (SDM Vol. 3 §17.2.4, §17.3.1.1)', () => {
  // inc %eax; inc %eax; inc %eax
  it('are a fault before the instruction at DRn\'s linear address, with Bn in DR6 and RF = 0 pushed', () => {
    const t = debugCpu('40 40 40', (c) => arm(c, [0, CODE + 1], L(1) | cond(1, EXEC)));
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 1]]);
    expect(t.cpu.r32[0]).toBe(1);
    expect(t.dr6).toEqual([0xffff0ff2]);
    expect(t.frame().eflags & RF).toBe(0);
  });
  it('G enables as L does; LE and GE change nothing; without L or G there is none', () => {
    for (const dr7 of [G(3), G(3) | 0x300]) {
      const t = debugCpu('40 40 40', (c) => arm(c, [0, 0, 0, CODE + 2], dr7));
      t.run();
      expect(deliveries(t)).toEqual([[1, CODE + 2]]);
      expect(t.dr6).toEqual([0xffff0ff8]);
    }
    const t = debugCpu('40 40 40', (c) => arm(c, [CODE + 1, CODE + 1, CODE + 1, CODE + 1], 0x300));
    t.run();
    expect(t.history).toEqual([]);
    expect(t.cpu.r32[0]).toBe(3);
  });
  it('RF set by the handler in the pushed EFLAGS lets the instruction run once, then RF is clear again', () => {
    // mov $3,%ecx; 1: inc %eax; loop 1b
    const t = debugCpu('b9 03 00 00 00 40 e2 fd', (c) => { handler(c, true); arm(c, [CODE + 5], L(0)); });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 5], [1, CODE + 5], [1, CODE + 5]]);
    expect(t.cpu.r32[0]).toBe(3);
    expect(t.cpu.eip).toBe(t.end + 1); // past the final HLT
    expect(t.flags() & RF).toBe(0);
  });
  it('without RF the handler returns into the same breakpoint again', () => {
    const t = debugCpu('b9 03 00 00 00 40 e2 fd', (c) => { handler(c, false); arm(c, [CODE + 5], L(0)); });
    t.run(200);
    expect(t.history.length).toBeGreaterThan(10);
    expect(new Set(deliveries(t).map(([, eip]) => eip))).toEqual(new Set([CODE + 5]));
    expect(t.cpu.r32[0]).toBe(0);
  });
  it('compare the linear address: CS base plus EIP', () => {
    const t = debugCpu('40 40 40', (c) => {
      arm(c, [CODE + 1], L(0));
      c.setSegmentCache(1, 0x08, 0x100, 0xffffffff - 0x100, 0xc09b);
      c.eip = CODE - 0x100;
    });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 1 - 0x100]]);
  });
  it('one at a REP string fires before its first iteration only (the iterations are one instruction)', () => {
    // mov $8,%ecx; rep stosb
    const t = debugCpu('b9 08 00 00 00 f3 aa', (c) => { handler(c, true); c.r32[7] = DATA; arm(c, [CODE + 5], L(0)); });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 5]]);
    expect(t.cpu.r32[1]).toBe(0);
    expect(t.cpu.r32[7]).toBe(DATA + 8);
  });
  it('a debugger breakpoint (the executor\'s) still stops the run while debug registers are armed', () => {
    const t = debugCpu('40 40 40', (c) => arm(c, [DATA], L(0) | cond(0, WRITE)));
    t.exec.setBreakpoints([CODE + 2]);
    expect(t.exec.run(100)).toBe(Exit.BREAKPOINT);
    expect(t.cpu.eip).toBe(CODE + 2);
  });
});

describe('data breakpoints (SDM Vol. 3 §17.2.4, §17.2.5, §17.3.1.2)', () => {
  it('R/W 01: a trap after a write, EIP at the next instruction, the write done', () => {
    // movl $0x12345678,0x3000; nop
    const t = debugCpu('c7 05 00 30 00 00 78 56 34 12 90', (c) => arm(c, [DATA], L(0) | cond(0, WRITE, 4)));
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 10]]);
    expect(t.mem.read32(DATA)).toBe(0x12345678);
    expect(t.dr6).toEqual([0xffff0ff1]);
    expect(t.frame().eflags & RF).toBe(0);
  });
  it('R/W 01 ignores reads; R/W 11 catches reads and writes', () => {
    const read = 'a1 00 30 00 00 90'; // mov 0x3000,%eax; nop
    const w = debugCpu(read, (c) => arm(c, [DATA], L(0) | cond(0, WRITE, 4)));
    w.run();
    expect(w.history).toEqual([]);
    const rw = debugCpu(read, (c) => arm(c, [DATA], L(0) | cond(0, READ_WRITE, 4)));
    rw.run();
    expect(deliveries(rw)).toEqual([[1, CODE + 5]]);
  });
  it('LEN masks DRn\'s low bits: DR0 = x+1 with 4 bytes covers x..x+3, not x+4 (QEMU: x+1..x+4)', () => {
    const at = (addr: number) => {
      // movb $1,addr; nop
      const t = debugCpu(`c6 05 ${le32(addr)} 01 90`, (c) => arm(c, [DATA + 1], L(0) | cond(0, WRITE, 4)));
      t.run();
      return t.history.length;
    };
    expect([at(DATA - 1), at(DATA), at(DATA + 3), at(DATA + 4)]).toEqual([0, 1, 1, 0]);
  });
  it('an access matches when it overlaps the range, by its own bytes only (QEMU also matches x+2..x+5 against x)', () => {
    const hits = (code: string, bp: number, len: number) => {
      const t = debugCpu(code, (c) => arm(c, [0, bp], G(1) | cond(1, WRITE, len)));
      t.run();
      return t.history.length;
    };
    const dword = 'a3 02 30 00 00'; // mov %eax,0x3002: bytes x+2..x+5
    expect([0, 1, 2, 5, 6].map((o) => hits(dword, DATA + o, 1))).toEqual([0, 0, 1, 1, 0]);
    expect([0, 2, 4, 6].map((o) => hits(dword, DATA + o, 2))).toEqual([0, 1, 1, 0]);
    expect([0, 4, 8].map((o) => hits(dword, DATA + o, 4))).toEqual([1, 1, 0]);
    const word = '66 a3 fe 2f 00 00'; // movw %ax,0x2ffe: bytes x-2, x-1
    expect(hits(word, DATA, 1)).toBe(0);
    expect(hits(word, DATA - 1, 1)).toBe(1);
  });
  it('LEN 10B (8 bytes, undefined on the P6) is taken as 8 bytes, aligned', () => {
    const t = debugCpu('a3 04 30 00 00', (c) => arm(c, [DATA + 3], L(0) | cond(0, WRITE, 8)));
    t.run();
    expect(t.history.length).toBe(1);
  });
  it('an access across a page boundary matches on either page', () => {
    // mov 0x3ffe,%eax: bytes 0x3ffe..0x4001
    const t = debugCpu('a1 fe 3f 00 00 90', (c) => arm(c, [0x4000], L(0) | cond(0, READ_WRITE, 1)));
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 5]]);
  });
  it('every enabled breakpoint an access matches is reported in B0-B3; one not enabled is not', () => {
    // mov %eax,0x3004: bytes 4..7
    const t = debugCpu('a3 04 30 00 00', (c) => arm(c, [DATA + 4, DATA + 6, DATA + 4],
      L(0) | cond(0, WRITE, 2) | G(1) | cond(1, READ_WRITE, 1) | cond(2, WRITE, 4)));
    t.run();
    expect(t.dr6).toEqual([0xffff0ff3]);
  });
  it('a page with a data breakpoint stays out of the TLB, other pages stay in; disarmed, it comes back', () => {
    // mov %eax,0x3000; mov %eax,0x7000; nop
    const t = debugCpu('a3 00 30 00 00 a3 00 70 00 00 90', (c) => arm(c, [DATA + 0x100], L(0) | cond(0, WRITE, 4)));
    t.run();
    expect(t.history).toEqual([]);
    expect(t.cpu.tlbTag[tlbIndex(3)]).not.toBe(3);
    expect(t.cpu.tlbTag[tlbIndex(7)]).toBe(7);
    arm(t.cpu, [DATA + 0x100], 0);
    t.cpu.wr32(3, DATA, 1);
    expect(t.cpu.tlbTag[tlbIndex(3)]).toBe(3);
  });
  it('an instruction that faults after its access reports no data breakpoint', () => {
    // movsl from 0x3000 to 0xfffffffc with ES limited to 0xffff: the read is done, the write faults (#GP)
    const t = debugCpu('a5', (c) => {
      c.r32[6] = DATA; c.r32[7] = 0x10000;
      c.setSegmentCache(0, 0x10, 0, 0xffff, 0x4093);
      arm(c, [DATA], L(0) | cond(0, READ_WRITE, 4));
    });
    t.run();
    expect(deliveries(t)).toEqual([[13, CODE]]);
    expect(t.dr6).toEqual([]);
  });
});

describe('REP strings (SDM Vol. 3 §17.3.1.1, §17.3.1.2)', () => {
  // mov $8,%ecx; rep stosb; nop
  const REP = 'b9 08 00 00 00 f3 aa 90';
  it('a data breakpoint traps after the iteration that hit: ECX and EDI as it left them, EIP on the REP, RF = 1 pushed', () => {
    const t = debugCpu(REP, (c) => { c.r32[0] = 0x5a; c.r32[7] = DATA; arm(c, [DATA + 5], L(0) | cond(0, WRITE)); });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 5]]);
    expect(t.cpu.r32[1]).toBe(2);
    expect(t.cpu.r32[7]).toBe(DATA + 6);
    expect(t.mem.read8(DATA + 5)).toBe(0x5a);
    expect(t.mem.read8(DATA + 6)).toBe(0);
    expect(t.frame().eflags & RF).toBe(RF); // QEMU pushes 0
  });
  it('at the last iteration the instruction is complete: EIP after it, RF = 0 (QEMU: EIP on the REP with ECX = 0)', () => {
    const t = debugCpu(REP, (c) => { c.r32[7] = DATA; arm(c, [DATA + 7], L(0) | cond(0, WRITE)); });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 7]]);
    expect(t.cpu.r32[1]).toBe(0);
    expect(t.frame().eflags & RF).toBe(0);
  });
  it('after the handler returns, the string goes on to its end without the breakpoint of the REP itself', () => {
    // Start on the REP with RF set, as an IRET to it would: its own breakpoint is passed once.
    const t = debugCpu(REP, (c) => {
      handler(c, false);
      c.r32[1] = 8; c.r32[7] = DATA; c.eip = CODE + 5; c.flagsRaw |= RF;
      arm(c, [DATA + 2, CODE + 5], L(0) | cond(0, WRITE) | L(1));
    });
    t.run();
    // The data trap after the third byte is pushed with RF = 1, so the IRET back into the string does
    // not fault on the REP's breakpoint: one #DB, and the string done.
    expect(deliveries(t)).toEqual([[1, CODE + 5]]);
    expect(t.dr6.map((d) => d & 0xf)).toEqual([1]);
    expect([t.cpu.r32[1], t.cpu.r32[7]]).toEqual([0, DATA + 8]);
  });
  it('an interrupt between two iterations: the handler\'s first instruction is checked for its breakpoint', () => {
    const t = debugCpu(REP, (c) => {
      c.r32[7] = DATA;
      c.mem.write8(HANDLER, 0x90);
      setGate(c, 0x20, { offset: HANDLER });
      let asks = 0;
      c.intrLine = true;
      c.ackInterrupt = () => (++asks === 3 ? 0x20 : -1); // after MOV and the first iteration
      c.flagsRaw |= 0x200; // IF
      arm(c, [HANDLER], L(0));
    });
    t.run();
    expect(deliveries(t)).toEqual([[0x20, CODE + 5], [1, HANDLER]]);
    expect(t.cpu.r32[1]).toBe(7);
  });
  it('REP MOVSB: a read of the source is caught by R/W 11', () => {
    // mov $8,%ecx; rep movsb
    const t = debugCpu('b9 08 00 00 00 f3 a4', (c) => { c.r32[6] = DATA; c.r32[7] = DATA + 0x100; arm(c, [DATA + 3], L(0) | cond(0, READ_WRITE)); });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 5]]);
    expect([t.cpu.r32[1], t.cpu.r32[6], t.cpu.r32[7]]).toEqual([4, DATA + 4, DATA + 0x104]);
  });
});

describe('data breakpoints and the block compiler', () => {
  // mov $200,%ecx; call f; mov %edx,%dr7; mov $200,%ecx; call f; hlt
  // f: mov %eax,0x3000(,%ecx,4); dec %ecx; jnz f; ret
  const CODE2 = 'b9 c8 00 00 00 e8 0e 00 00 00 0f 23 fa b9 c8 00 00 00 e8 01 00 00 00 f4 89 04 8d 00 30 00 00 49 75 f6 c3';
  const DEC = CODE + 0x1f;
  for (const [label, compileAfter] of [['compiled after 64 runs', 64], ['compiled at once', 1], ['never compiled', Infinity]] as const) {
    it(`a breakpoint armed after a loop ran hot fires at the right iteration (${label})`, () => {
      const t = debugCpu(CODE2, (c) => {
        c.dr[0] = DATA + 4 * 50;
        c.r32[2] = L(0) | cond(0, WRITE, 4) | 0x400;
      });
      const exec = new Executor(t.cpu, { compileAfter });
      exec.run(10_000);
      expect(deliveries(t)).toEqual([[1, DEC]]);
      expect(t.cpu.r32[1]).toBe(50);
      expect(exec.blocksCompiledJs > 0).toBe(compileAfter !== Infinity);
    });
  }
  it('armed from the start, with every block compiled at once, it fires at the same place', () => {
    const t = debugCpu(CODE2.replace('0f 23 fa', '90 90 90'), (c) => arm(c, [DATA + 4 * 50], L(0) | cond(0, WRITE, 4)));
    const exec = new Executor(t.cpu, { compileAfter: 1 });
    exec.run(10_000);
    expect(deliveries(t)).toEqual([[1, DEC]]);
    expect(t.cpu.r32[1]).toBe(50);
  });
});

describe('I/O breakpoints (SDM Vol. 3 §17.2.4, §17.2.5)', () => {
  const de = (c: Cpu) => { c.cr4 |= CR4_DE; };
  it('with CR4.DE, R/W 10 traps after IN and OUT at the port', () => {
    // out %al,$0x80; nop; in $0x80,%al; nop
    const t = debugCpu('e6 80 90 e4 80 90', (c) => { handler(c, false); de(c); arm(c, [0, 0x80], L(1) | cond(1, IO, 1)); });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 2], [1, CODE + 5]]);
    expect(t.dr6.map((d) => d & 0xf)).toEqual([2, 2]);
  });
  it('the port range is aligned to LEN: DR0 = 0x81 with 4 bytes covers 0x80-0x83 (QEMU: 0x81-0x84)', () => {
    const hit = (port: number) => {
      const t = debugCpu(`e6 ${port.toString(16)} 90`, (c) => { de(c); arm(c, [0x81], L(0) | cond(0, IO, 4)); });
      t.run();
      return t.history.length;
    };
    expect([0x7f, 0x80, 0x83, 0x84].map(hit)).toEqual([0, 1, 1, 0]);
  });
  it('REP OUTSB traps after its first iteration', () => {
    // mov $4,%ecx; rep outsb (DX = 0x80)
    const t = debugCpu('b9 04 00 00 00 f3 6e', (c) => { de(c); c.r32[2] = 0x80; c.r32[6] = DATA; arm(c, [0x80], L(0) | cond(0, IO)); });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 5]]);
    expect(t.cpu.r32[1]).toBe(3);
  });
  it('without CR4.DE, R/W 10 is undefined: MOV to DR7 takes it without a fault, and nothing fires (QEMU: an I/O breakpoint)', () => {
    // mov %edx,%dr7; out %al,$0x80; nop
    const t = debugCpu('0f 23 fa e6 80 90', (c) => { c.dr[0] = 0x80; c.r32[2] = L(0) | cond(0, IO); });
    t.run();
    expect(t.history).toEqual([]);
    expect(t.cpu.dr[7] >>> 0).toBe((L(0) | cond(0, IO) | 0x400) >>> 0);
    // Setting DE later makes it one.
    const u = debugCpu('0f 20 e0 83 c8 08 0f 22 e0 e6 80 90', (c) => arm(c, [0x80], L(0) | cond(0, IO)));
    u.run();
    expect(deliveries(u)).toEqual([[1, CODE + 11]]);
  });
});

describe('DR7.GD: general detect (SDM Vol. 3 §17.2.4, §17.3.1.3; QEMU has none)', () => {
  it('a MOV from a debug register is a #DB fault with BD, GD cleared for the handler, the register not read', () => {
    const t = debugCpu('0f 21 c0', (c) => { c.r32[0] = 7; arm(c, [0x1234], GD); });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE]]);
    expect(t.cpu.r32[0]).toBe(7);
    expect(t.dr6).toEqual([(0xffff0ff0 | BD) >>> 0]);
    expect(t.cpu.dr[7] & GD).toBe(0);
  });
  it('a MOV to DR7 faults; the handler returns and the MOV then runs, GD being clear', () => {
    const t = debugCpu('0f 23 f8', (c) => { handler(c, false); c.r32[0] = L(0) | cond(0, WRITE); arm(c, [DATA], GD); });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE]]);
    expect(t.cpu.dr[7] >>> 0).toBe((L(0) | cond(0, WRITE) | 0x400) >>> 0);
  });
  it('at CPL 3 the MOV is #GP(0), not #DB; with CR4.DE a MOV of DR4 is #UD first', () => {
    const t = debugCpu('0f 21 c0', (c) => { arm(c, [], GD); enterRing3(c); });
    t.run();
    expect(t.history.map((d) => [d.vector, d.code])).toEqual([[13, 0]]);
    const u = debugCpu('0f 21 e0', (c) => { c.cr4 |= CR4_DE; arm(c, [], GD); });
    u.run();
    expect(deliveries(u)).toEqual([[6, CODE]]);
  });
});

describe('DR6 (SDM Vol. 3 §17.2.3)', () => {
  it('B0-B3 are those of the breakpoints this #DB reports; BS and BD stay until software clears them', () => {
    const t = debugCpu('a3 00 30 00 00', (c) => { c.dr[6] = 0xffff0ff0 | BD | BS | 0x1; arm(c, [0, DATA], L(1) | cond(1, WRITE)); });
    t.run();
    expect(t.dr6).toEqual([(0xffff0ff0 | BD | BS | 0x2) >>> 0]);
  });
  it('a single step and a data breakpoint in one instruction make one #DB with BS and Bn (QEMU: #DBs at wrong EIPs)', () => {
    // mov %eax,0x3000; nop  with TF set
    const t = debugCpu('a3 00 30 00 00 90', (c) => { c.flagsRaw |= TF; arm(c, [DATA], L(0) | cond(0, WRITE, 4)); });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 5]]);
    expect(t.dr6).toEqual([(0xffff0ff1 | BS) >>> 0]);
  });
  it('a single step onto an instruction breakpoint reports BS only; the breakpoint is the next instruction\'s fault (QEMU: B0 with BS)', () => {
    // nop; nop; nop with TF set and a breakpoint at the second; the handler returns without RF
    const t = debugCpu('90 90 90', (c) => { handler(c, false); c.flagsRaw |= TF; arm(c, [CODE + 1], L(0)); });
    t.run(3);
    expect(deliveries(t)).toEqual([[1, CODE + 1], [1, CODE + 1]]);
    expect(t.dr6.map((d) => d & 0xe00f)).toEqual([BS, BS | 1]);
  });
});

describe('MOV SS and POP SS hold debug exceptions for one instruction (SDM Vol. 3 §6.8.3)', () => {
  it('a data breakpoint hit by POP SS traps after the next instruction (QEMU: at once)', () => {
    // pop %ss; nop; nop
    const t = debugCpu('17 90 90', (c) => {
      c.r32[ESP] = STACK_TOP - 4;
      c.mem.write32(STACK_TOP - 4, 0x10);
      arm(c, [STACK_TOP - 4], L(0) | cond(0, READ_WRITE, 4));
    });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 2]]);
  });
  it('with TF too: the single step and the data breakpoint come together after the next instruction', () => {
    const t = debugCpu('17 90 90', (c) => {
      c.r32[ESP] = STACK_TOP - 4;
      c.mem.write32(STACK_TOP - 4, 0x10);
      c.flagsRaw |= TF;
      arm(c, [STACK_TOP - 4], L(0) | cond(0, READ_WRITE, 4));
    });
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 2]]);
    expect(t.dr6).toEqual([(0xffff0ff1 | BS) >>> 0]);
  });
  it('an instruction breakpoint on the instruction after MOV SS is not taken (§17.3.1.1: "may not be triggered")', () => {
    // mov %ss,%ax; mov %ax,%ss; nop; nop
    const t = debugCpu('66 8c d0 8e d0 90 90', (c) => arm(c, [CODE + 5, CODE + 6], L(0) | L(1)));
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE + 6]]);
    expect(t.dr6).toEqual([0xffff0ff2]);
  });
});

describe('RF in the EFLAGS image an event pushes (SDM Vol. 3 §17.3.1.1; QEMU 7.2 pushes RF as it is)', () => {
  /** The RF bit of each frame as its handler finds it, by vector. */
  function pushedRf(t: TestCpu): Array<[number, number]> {
    const seen: Array<[number, number]> = [];
    const told = t.cpu.onVector!;
    t.cpu.onVector = (v, code, eip) => {
      told(v, code, eip);
      const esp = t.cpu.r32[ESP] + (code >= 0 ? 12 : 8);
      seen.push([v, (t.mem.read32(esp) & RF) === 0 ? 0 : 1]);
    };
    return seen;
  }
  it('a fault-class exception pushes RF = 1: #DE, #UD, #GP, #PF, and #DB from general detect', () => {
    const cases: Array<[string, (c: Cpu) => void, number]> = [
      ['f7 f1', () => {}, 0], // div %ecx with ECX = 0
      ['0f 0b', () => {}, 6], // ud2
      ['8e d8', (c) => { c.r32[0] = 0x1234; }, 13], // mov %eax,%ds with a selector beyond the GDT
      ['a1 00 00 40 00', (c) => enablePaging(c), 14], // mov 0x400000,%eax: beyond the mapped 4 MiB
      ['0f 21 c0', (c) => arm(c, [], GD), 1],
    ];
    for (const [code, setup, vector] of cases) {
      const t = debugCpu(code, setup);
      const rf = pushedRf(t);
      t.run(1);
      expect(rf, code).toEqual([[vector, 1]]);
    }
  });
  it('traps and software interrupts push RF as it is: INT3, INT n, INTO, INT1 and a data breakpoint', () => {
    for (const code of ['cc', 'cd 40', 'b0 7f 04 01 ce', 'f1', 'a3 00 30 00 00']) {
      const t = debugCpu(code, (c) => arm(c, [DATA], L(0) | cond(0, WRITE)));
      const rf = pushedRf(t);
      t.run();
      expect(rf.length, code).toBeGreaterThan(0);
      expect(rf[0][1], code).toBe(0);
    }
  });
  it('an instruction breakpoint on an instruction that faults fires once: the fault\'s RF lets it restart', () => {
    // div %ecx (ECX = 0) under a breakpoint; the #DE handler sets ECX = 1 and returns: `mov $1,%ecx; iret`
    const t = debugCpu('f7 f1 90', (c) => {
      handler(c, true);
      c.mem.load(HANDLER + 0x100, new Uint8Array([0xb9, 1, 0, 0, 0, 0xcf]));
      setGate(c, 0, { offset: HANDLER + 0x100 });
      c.r32[0] = 12;
      arm(c, [CODE], L(0));
    });
    const rf = pushedRf(t);
    t.run();
    expect(deliveries(t)).toEqual([[1, CODE], [0, CODE]]);
    expect(rf).toEqual([[1, 0], [0, 1]]);
    expect(t.cpu.r32[0]).toBe(12);
  });
  it('an interrupt between two iterations of a REP string pushes RF = 1; before the first, RF as it is', () => {
    for (const [ask, midRep] of [[2, 0], [3, 1], [4, 1]]) {
      // mov $8,%ecx; rep stosb; nop
      const t = debugCpu('b9 08 00 00 00 f3 aa 90', (c) => {
        c.r32[7] = DATA;
        let asks = 0;
        c.intrLine = true;
        c.ackInterrupt = () => (++asks === ask ? 0x20 : -1); // 2: after the MOV; 3, 4: after iterations
        c.flagsRaw |= 0x200; // IF
      });
      const rf = pushedRf(t);
      for (let k = 0; k < 12; k++) t.run(1); // one at a time: the run loop asks between them
      expect(rf, `ask ${ask}`).toEqual([[0x20, midRep]]);
    }
  });
  it('an interrupt after the last iteration pushes RF as it is', () => {
    // mov $1,%ecx; rep stosb; nop
    const t = debugCpu('b9 01 00 00 00 f3 aa 90', (c) => {
      c.r32[7] = DATA;
      let asks = 0;
      c.intrLine = true;
      c.ackInterrupt = () => (++asks === 3 ? 0x20 : -1);
      c.flagsRaw |= 0x200;
    });
    const rf = pushedRf(t);
    for (let k = 0; k < 4; k++) t.run(1);
    expect(deliveries(t)).toEqual([[0x20, CODE + 7]]);
    expect(rf).toEqual([[0x20, 0]]);
  });
});

function le32(v: number): string {
  return [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff).toString(16).padStart(2, '0')).join(' ');
}
