import { describe, it, expect } from 'vitest';
import { makeCpu, CODE, TRAP_HLT } from './harness';

describe('test harness', () => {
  it('runs code until HLT', () => {
    const t = makeCpu('b8 2a 00 00 00'); // mov $42,%eax
    t.run();
    expect(t.cpu.r32[0]).toBe(42);
    expect(t.cpu.halted).toBe(true);
    expect(t.cpu.eip >>> 0).toBe(CODE + 6);
  });
  it('routes an exception to the trap HLT with its vector and error code', () => {
    const t = makeCpu('0f 0b'); // ud2
    t.run();
    expect(t.lastVector).toBe(6);
    expect(t.cpu.eip >>> 0).toBe(TRAP_HLT + 1);
  });
});
