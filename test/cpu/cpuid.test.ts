/**
 * CPUID answers what docs/cpu.md's table says, leaf by leaf, through the instruction itself: the table in the
 * code (src/vm/cpu/cpuid.ts) and the one in the docs are the same table.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCode, regs } from './harness';

const DOC = readFileSync(join(__dirname, '../../docs/cpu.md'), 'utf8');
const ROWS = [...DOC.matchAll(/^\| (\d+) \| ([0-9a-f]{8}) \| ([0-9a-f]{8}) \| ([0-9a-f]{8}) \| ([0-9a-f]{8}) \|/gm)]
  .map((m) => ({ leaf: Number(m[1]), values: m.slice(2, 6).map((h) => parseInt(h, 16)) }));

describe('CPUID and docs/cpu.md', () => {
  it('the docs list leaves 0 and 1', () => {
    expect(ROWS.map((r) => r.leaf)).toEqual([0, 1]);
  });
  it.each(ROWS)('leaf $leaf returns the documented EAX EBX ECX EDX', ({ leaf, values }) => {
    const r = regs(runCode('0f a2', { eax: leaf }).cpu);
    expect([r.eax, r.ebx, r.ecx, r.edx].map((v) => v >>> 0)).toEqual(values);
  });
  it('a leaf above the highest returns leaf 1 (SDM Vol. 2 CPUID), EDX with the FPU bit', () => {
    const r = regs(runCode('0f a2', { eax: 0x80000008 }).cpu);
    expect([r.eax, r.ebx, r.ecx, r.edx].map((v) => v >>> 0)).toEqual(ROWS[1].values);
    expect(r.edx & 1).toBe(1);
  });
});
