/**
 * How a compiled block leaves on a fault: it catches the fault itself, records the faulting
 * instruction and returns -1, and the run loop delivers it once (no second throw); anything
 * thrown that is not a CPU fault still goes up to the caller.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, CODE, type TestCpu } from '../../../test/cpu/harness';
import { Executor } from './executor';

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
    expect(t.exec.blocksCompiled).toBeGreaterThan(0);
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
