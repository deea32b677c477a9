/**
 * Writes and the decoded code (executor.ts): a write into bytes a block was
 * decoded from drops the page's blocks (and the code written runs as
 * written), a write beside them on the same page (a small kernel's data or
 * .bss right after its text) drops nothing, whether the CPU or the Host
 * (PhysicalMemory.load) writes.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, poke, enablePaging, CODE } from '../../../test/cpu/harness';
import { Executor } from './executor';

describe('writes on a page holding code', () => {
  it('a store beside the code, on its page, keeps the decoded blocks (a loop storing 1,000 times decodes once)', () => {
    // l: mov [0x1800],ecx; dec ecx; jnz l   (0x1800: the code's own page)
    const t = makeCpu('89 0d 00 18 00 00 49 75 f7', (c) => { c.r32[1] = 1000; });
    t.run(100_000);
    expect(t.history).toEqual([]);
    expect(t.mem.read32(0x1800)).toBe(1);
    expect(t.cpu.r32[1]).toBe(0);
    // The loop's block, the HLT's: each decoded once.
    expect(t.exec.blocksDecoded).toBeLessThanOrEqual(3);
  });

  it('a store into an instruction not yet run changes what runs', () => {
    // mov byte [0x1008],2 ; mov eax,1 (its immediate at 0x1008)
    const t = makeCpu('c6 05 08 10 00 00 02 b8 01 00 00 00');
    t.run(100);
    expect(t.cpu.r32[0]).toBe(2);
  });

  it('the first store to a page (through the page walk, which sets Dirty) into the next instructions changes what runs, in every tier', () => {
    // mov %eax,(%ebx) onto the two INC %ECX after it: they become INC %EDX; INC %ECX, then INC %ECX; HLT.
    for (const tier of [{ compileAfter: Infinity }, { compileAfter: 1 }, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 }]) {
      const t = makeCpu('89 03 41 41 f4', (c) => {
        enablePaging(c);
        c.r32[3] = CODE + 2;
        c.r32[0] = 0xf4414142 | 0;
      });
      t.exec = new Executor(t.cpu, tier);
      t.exec.run(100);
      expect([t.cpu.r32[2], t.cpu.r32[1]], JSON.stringify(tier)).toEqual([1, 2]);
      expect(t.cpu.halted).toBe(true);
    }
  });

  it('the Host writing beside code keeps it, writing over code drops it', () => {
    // l: inc eax; dec ecx; jnz l
    const t = makeCpu('40 49 75 fc', (c) => { c.r32[1] = 10; });
    t.run(1000);
    expect(t.cpu.r32[0]).toBe(10);
    const decoded = t.exec.blocksDecoded;
    t.mem.load(0x1800, Uint8Array.of(1, 2, 3, 4));
    t.cpu.eip = CODE; t.cpu.halted = false; t.cpu.r32[1] = 10;
    t.run(1000);
    expect(t.cpu.r32[0]).toBe(20);
    expect(t.exec.blocksDecoded).toBe(decoded);
    // inc eax becomes dec eax.
    poke(t.cpu, CODE, '48');
    t.cpu.eip = CODE; t.cpu.halted = false; t.cpu.r32[1] = 10;
    t.run(1000);
    expect(t.cpu.r32[0]).toBe(10);
    expect(t.exec.blocksDecoded).toBeGreaterThan(decoded);
  });
});
