/**
 * The machine's state hash (stateHash.ts), what a replayed session must end with: it covers the x87 too, so
 * two runs that differ only in an FPU register, word or pointer do not pass for the same.
 */
import { describe, it, expect } from 'vitest';
import { machineStateHash } from '../../src/vm/lguest/stateHash';
import { makeF80, EXP_BIAS, J_BIT } from '../../src/vm/cpu/fpu/float80';
import { runGuest, guestPath } from './helpers';

describe('the machine state hash', () => {
  it('is the same for the same state, and changes with any part of the x87', () => {
    const { host } = runGuest(guestPath('hello'));
    const f = host.cpu.fpu;
    const base = machineStateHash(host);
    expect(machineStateHash(host)).toBe(base);
    const changes: [string, () => void, () => void][] = [
      ['a register (even an empty one)', () => f.setPhysical(3, makeF80(0, EXP_BIAS, J_BIT)), () => f.resetToInit()],
      ['the control word', () => { f.controlWord = 0x027f; }, () => { f.controlWord = 0x037f; }],
      ['TOP', () => { f.top = 5; }, () => { f.top = 0; }],
      ['the last opcode', () => { f.fop = 0x1e8; }, () => { f.fop = 0; }],
      ['the data pointer', () => { f.fdp = 0x1000; }, () => { f.fdp = 0; }],
    ];
    for (const [what, change, undo] of changes) {
      change();
      expect(machineStateHash(host), what).not.toBe(base);
      undo();
      expect(machineStateHash(host), `${what} put back`).toBe(base);
    }
  });
});
