/**
 * CPUID answers what docs/cpu.md's table says, leaf by leaf, through the instruction itself: the table in the
 * code (src/vm/cpu/cpuid.ts) and the one in the docs are the same table.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCode, regs } from './harness';

const DOC = readFileSync(join(__dirname, '../../docs/cpu.md'), 'utf8');
const ROWS = [...DOC.matchAll(/^\| ([0-9a-f]+) \| ([0-9a-f]{8}) \| ([0-9a-f]{8}) \| ([0-9a-f]{8}) \| ([0-9a-f]{8}) \|/gm)]
  .map((m) => ({ leaf: parseInt(m[1], 16), values: m.slice(2, 6).map((h) => parseInt(h, 16)) }));

function cpuid(leaf: number): number[] {
  const r = regs(runCode('0f a2', { eax: leaf }).cpu);
  return [r.eax, r.ebx, r.ecx, r.edx].map((v) => v >>> 0);
}

describe('CPUID and docs/cpu.md', () => {
  it('the docs list the basic leaves 0-1 and the extended leaves 80000000H-80000004H', () => {
    expect(ROWS.map((r) => r.leaf.toString(16))).toEqual(['0', '1', '80000000', '80000001', '80000002', '80000003', '80000004']);
  });
  it.each(ROWS)('leaf $leaf returns the documented EAX EBX ECX EDX', ({ leaf, values }) => {
    expect(cpuid(leaf)).toEqual(values);
  });
  it('the extended range says its highest leaf, no extended features, and the brand string', () => {
    expect(cpuid(0x80000000)[0]).toBe(0x80000004);
    expect(cpuid(0x80000001)).toEqual([0, 0, 0, 0]);
    const bytes = [0x80000002, 0x80000003, 0x80000004].flatMap((l) => cpuid(l))
      .flatMap((v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]);
    expect(Buffer.from(bytes).toString('latin1').replace(/\0+$/, '')).toBe('lguest-debug virtual P6');
  });
  it('a leaf above the highest of its range, basic or extended, returns leaf 1 (SDM Vol. 2 CPUID)', () => {
    const leaf1 = ROWS.find((r) => r.leaf === 1)!.values;
    for (const leaf of [2, 0x40000000, 0x80000005, 0x80000008, 0xffffffff]) expect(cpuid(leaf), leaf.toString(16)).toEqual(leaf1);
  });
});
