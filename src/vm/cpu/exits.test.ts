/**
 * How a compiled block leaves on a fault: it catches the fault itself, records the faulting
 * instruction and returns -1, and the run loop delivers it once (no second throw); anything
 * thrown that is not a CPU fault still goes up to the caller.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, enterRing3, CODE, type TestCpu } from '../../../test/cpu/harness';
import { Executor } from './executor';
import type { Cpu } from './state';

/** The test machine, run by an executor that compiles every block at once. */
function compiled(t: TestCpu): TestCpu {
  const exec = new Executor(t.cpu, { compileAfter: 1 });
  t.exec = exec;
  t.run = (n = 10_000) => { exec.run(n); };
  return t;
}

describe('faults in compiled blocks', () => {
  it('a #GP in the middle of a hot compiled loop is delivered once, at its instruction, with the count exact', () => {
    // l: inc %eax; mov (%ebx,%eax,4),%edx; dec %ecx; jnz l
    const t = compiled(makeCpu('40 8b 14 83 49 75 f9', (c) => {
        // DS ends at the last byte of the 150th dword after 0x2000: the 151st pass faults.
      c.setSegmentCache(3, 0x10, 0, 0x2000 + 4 * 150 + 3, 0x4093);
      c.r32[3] = 0x2000;
      c.r32[1] = 1000;
    }));
    t.run(100_000);
    expect(t.history).toEqual([{ vector: 13, code: 0, eip: CODE + 1 }]);
    expect(t.cpu.r32[0]).toBe(151);
    expect(t.cpu.r32[1]).toBe(1000 - 150);
    // 150 whole passes of 4, then the INC and the faulting MOV, then the handler's HLT.
    expect(t.cpu.instructions).toBe(150 * 4 + 2 + 1);
    expect(t.exec.blocksDecoded).toBeGreaterThan(0);
  });

  it('an error that is not a CPU fault goes up from compiled code to the caller', () => {
    // in $0x70,%al in a loop: the port's device throws on the 100th read.
    const t = compiled(makeCpu('e4 70 49 75 fb', (c) => { c.r32[1] = 1000; }));
    let reads = 0;
    t.io.register(0x70, 1, { read: () => { if (++reads === 100) throw new Error('device broke'); return 0; }, write: () => {} });
    expect(() => t.run(100_000)).toThrow('device broke');
    expect(reads).toBe(100);
  });
});

describe('a fault pended without a throw (IN and OUT the TSS bitmap denies)', () => {
  // ring 3: inc %eax; in $0x70,%al; inc %ebx   (the IN raises #GP(0): no bitmap)
  const setup = (c: Cpu) => { enterRing3(c); c.r32[0] = 0x100; };
  function ring3(code: string, compileAfter: number): { t: TestCpu; reads: () => number } {
    const t = makeCpu(code, setup);
    const exec = new Executor(t.cpu, { compileAfter });
    t.exec = exec;
    t.run = (n = 10_000) => { exec.run(n); };
    let reads = 0;
    t.io.register(0x70, 1, { read: () => { reads++; return 0x55; }, write: () => { reads++; } });
    return { t, reads: () => reads };
  }
  for (const compileAfter of [1, Infinity]) {
    it(`is delivered at the instruction, counted once, with nothing done (compileAfter ${compileAfter})`, () => {
      for (const [code, at] of [['40 e4 70 43', CODE + 1], ['40 43 e6 70', CODE + 2], ['e4 70', CODE]] as const) {
        const { t, reads } = ring3(code, compileAfter);
        t.run();
        expect(t.history[0]).toEqual({ vector: 13, code: 0, eip: at });
        expect(t.frame().eip).toBe(at);
        expect(reads()).toBe(0);
        expect(t.cpu.r32[0] & 0xff).toBe(code.startsWith('40') ? 1 : 0);
        expect(t.cpu.instructions).toBe((at - CODE) + 1 + 1); // the INCs before it, the IN or OUT, the handler's HLT
      }
    });
    it(`is delivered the same when the IN ends its block (a breakpoint after it; compileAfter ${compileAfter})`, () => {
      const { t, reads } = ring3('40 e4 70 43', compileAfter);
      t.exec.setBreakpoints([CODE + 3]);
      for (let k = 0; k < 3; k++) {
        t.cpu.eip = CODE; t.cpu.halted = false; enterRing3(t.cpu);
        t.run();
      }
      expect(t.history).toEqual([1, 2, 3].map(() => ({ vector: 13, code: 0, eip: CODE + 1 })));
      expect(reads()).toBe(0);
    });
  }
  it('is the same one instruction at a time (the budget ends in the block) and when the run loop takes it on its own', () => {
    const whole = ring3('40 e4 70 43', Infinity);
    whole.t.run();
    const stepped = ring3('40 e4 70 43', Infinity);
    for (let k = 0; k < 4; k++) stepped.t.exec.run(1);
    expect(stepped.t.history).toEqual(whole.t.history);
    expect(stepped.t.cpu.instructions).toBe(whole.t.cpu.instructions);
    // RF set: the run loop takes the IN on its own (stepOne), as after an IRET.
    const single = ring3('e4 70 43', Infinity);
    single.t.cpu.flagsRaw |= 0x10000;
    single.t.run();
    expect(single.t.history).toEqual([{ vector: 13, code: 0, eip: CODE }]);
    expect(single.t.cpu.instructions).toBe(2);
    expect(single.reads()).toBe(0);
  });
});
