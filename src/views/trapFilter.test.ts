import { describe, it, expect } from 'vitest';
import { parseTrapFilter, matchesTrapFilter, describeTrapFilter, TrapFilter } from './trapFilter';

describe('the Traps view\'s filter', () => {
  it('reads trap numbers, ranges and Host actions in any order; empty is no filter', () => {
    expect(parseTrapFilter('  ')).toBeNull();
    const f = parseTrapFilter('14, 0x20-0x2f Reflected direct') as TrapFilter;
    expect(f).toEqual({ ranges: [[14, 14], [32, 47]], actions: ['reflected', 'direct'], text: '14 0x20-0x2f Reflected direct' });
    expect(describeTrapFilter(f)).toBe('trap 14, 32-47; reflected, direct');
    expect(describeTrapFilter(parseTrapFilter('fixed') as TrapFilter)).toBe('fixed');
  });

  it('says what is wrong with a word', () => {
    expect(parseTrapFilter('14 fixd')).toMatch(/^"fixd" is neither a trap number/);
    expect(parseTrapFilter('300')).toMatch(/0 to 255/);
    expect(parseTrapFilter('20-10')).toMatch(/low to high/);
    expect(parseTrapFilter('1-2-3')).toMatch(/neither/);
  });

  it('matches by number and by action, each only when given', () => {
    const f = parseTrapFilter('13,14 fixed') as TrapFilter;
    expect(matchesTrapFilter(f, 14, 'fixed')).toBe(true);
    expect(matchesTrapFilter(f, 14, 'reflected')).toBe(false);
    expect(matchesTrapFilter(f, 32, 'fixed')).toBe(false);
    const any = parseTrapFilter('reflected') as TrapFilter;
    expect(matchesTrapFilter(any, 6, 'reflected')).toBe(true);
  });
});
