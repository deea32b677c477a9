/** Every vector has a name in the debugger's words: the manual's 0-31, then lguest's own uses. */
import { describe, it, expect } from 'vitest';
import { trapName } from '../../src/vm/lguest/describe';
import { FIRST_EXTERNAL_VECTOR, SYSCALL_VECTOR } from '../../src/vm/lguest/layout';

describe('trapName', () => {
  it('names every exception vector 0-31 by the manual (SDM Vol. 3 Table 6-1), the reserved ones as reserved', () => {
    const names = Array.from({ length: 32 }, (_, v) => trapName(v));
    expect(names.filter((n) => /^vector /.test(n))).toEqual([]);
    expect(names[14]).toBe('page fault (#PF)');
    expect(names[19]).toMatch(/#XM/);
    expect(names[20]).toMatch(/#VE/);
    expect(names[21]).toMatch(/#CP/);
    expect(names[15]).toBe('reserved 15');
    expect(names[27]).toBe('reserved 27');
  });
  it('vector 31, which the manual reserves, is lguest\'s hypercall trap', () => {
    expect(trapName(31)).toBe('hypercall');
  });
  it('then the IRQs from FIRST_EXTERNAL_VECTOR, and the system call', () => {
    expect(trapName(FIRST_EXTERNAL_VECTOR)).toBe('IRQ 0');
    expect(trapName(SYSCALL_VECTOR)).toBe('system call');
  });
});
