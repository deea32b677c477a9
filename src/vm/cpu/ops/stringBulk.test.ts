/**
 * REP STOS and REP MOVS run a page at a time (stringBulk.ts) must leave
 * exactly what one iteration at a time leaves (SDM Vol. 2, MOVS/STOS and
 * REP): memory, ECX, ESI, EDI and the instruction count, across page ends,
 * with a destination just above its source (the iterations read their own
 * writes), stopped by the budget and going on, faulting after a page, and
 * writing onto code or a watched page (which must go through the CPU's
 * writes). The model below is the manual's loop, one element after another.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, enablePaging, pteAddr, poke, CODE, type TestCpu } from '../../../../test/cpu/harness';
import { rng } from '../../../../test/cpu/agree';

const AREA = 0x40000, AREA_SIZE = 0x8000;

interface Case { op: 'stos' | 'movs'; size: 1 | 2 | 4; count: number; edi: number; esi: number; eax: number }

/** The instruction's bytes: REP, the operand-size prefix for words, the opcode. */
function code(k: Case): string {
  const opcode = k.op === 'stos' ? (k.size === 1 ? 'aa' : 'ab') : (k.size === 1 ? 'a4' : 'a5');
  return `f3 ${k.size === 2 ? '66 ' : ''}${opcode}`;
}

/** The area's bytes after the manual's loop: one element at a time, each read before it is written. */
function model(k: Case, before: Uint8Array): Uint8Array {
  const m = before.slice();
  let di = k.edi - AREA, si = k.esi - AREA;
  for (let n = 0; n < k.count; n++) {
    // The whole element is read before any of it is written.
    const element = Array.from({ length: k.size }, (_, b) => (k.op === 'stos' ? (k.eax >>> (8 * b)) & 0xff : m[si + b]));
    element.forEach((v, b) => { m[di + b] = v; });
    di += k.size;
    si += k.size;
  }
  return m;
}

function setUp(k: Case, r: () => number): TestCpu {
  const t = makeCpu(code(k), (c) => {
    for (let a = 0; a < AREA_SIZE; a += 4) c.mem.write32(AREA + a, r());
    c.r32[0] = k.eax; c.r32[1] = k.count; c.r32[6] = k.esi; c.r32[7] = k.edi;
  });
  return t;
}

function check(k: Case, t: TestCpu, before: Uint8Array, startCount: number): void {
  const label = JSON.stringify(k);
  expect(t.history, label).toEqual([]);
  expect(Array.from(t.mem.slice(AREA, AREA_SIZE)), label).toEqual(Array.from(model(k, before)));
  expect(t.cpu.r32[1], label).toBe(0);
  expect(t.cpu.r32[7] >>> 0, label).toBe(k.edi + k.count * k.size);
  if (k.op === 'movs') expect(t.cpu.r32[6] >>> 0, label).toBe(k.esi + k.count * k.size);
  // Each iteration one instruction, then the HLT after it.
  expect(t.cpu.instructions - startCount, label).toBe(Math.max(k.count, 1) + 1);
}

/** Random cases: lengths up to several pages, starts near page ends, sources just below and above. */
function cases(seed: number, n: number): Case[] {
  const r = rng(seed), pick = (m: number) => (r() >>> 0) % m;
  const out: Case[] = [];
  for (let j = 0; j < n; j++) {
    const size = ([1, 2, 4] as const)[pick(3)];
    const count = [0, 1, 2, 3, 7, 1000, 1024, 1500, 4095, 4097][pick(10)] >> (size >> 1);
    const nearEnd = (base: number) => base + 0x1000 - pick(12);
    const edi = pick(2) === 0 ? nearEnd(AREA + 0x2000) : AREA + 0x2000 + pick(0x1000);
    const gap = [-64, -3, -1, 1, 2, 3, 5, 64, 0x1800][pick(9)];
    const esi = Math.min(Math.max(edi + gap, AREA), AREA + 0x4000);
    const eax = [0, 0x41414141, 0x12345678, -1][pick(4)] | 0;
    out.push({ op: pick(2) === 0 ? 'stos' : 'movs', size, count, edi, esi, eax });
  }
  return out;
}

describe('REP STOS and REP MOVS in bulk', () => {
  it('leave what one iteration at a time leaves: across page ends, sources below and above, all sizes', () => {
    for (const k of cases(7, 120)) {
      const t = setUp(k, rng(k.count + k.edi));
      const before = t.mem.slice(AREA, AREA_SIZE), start = t.cpu.instructions;
      t.run(100_000);
      check(k, t, before, start);
    }
  });

  it('stopped by the budget, go on where they left off, counting every iteration once', () => {
    for (const k of cases(11, 40)) {
      const t = setUp(k, rng(k.esi));
      const before = t.mem.slice(AREA, AREA_SIZE), start = t.cpu.instructions;
      const slices = [1, 7, 300, 2, 1024, 5];
      for (let s = 0; s < 400 && !t.cpu.halted; s++) {
        const n = slices[s % slices.length];
        const was = t.cpu.instructions;
        t.run(n);
        expect(t.cpu.instructions - was).toBeLessThanOrEqual(n);
        // What is left to do and what was counted add up, at every stop.
        if (!t.cpu.halted && t.cpu.r32[1] !== 0) expect(t.cpu.instructions - start + (t.cpu.r32[1] >>> 0)).toBe(k.count);
      }
      check(k, t, before, start);
    }
  });

  it('a page fault after a page done in bulk: at the instruction, ECX and EDI as the iterations done left them', () => {
    // rep stosd: 2000 doublewords from 0x41000; 0x42000 is not mapped.
    const t = makeCpu('f3 ab', (c) => {
      enablePaging(c);
      c.mem.write32(pteAddr(0x42000), 0);
      c.r32[0] = 0x5a5a5a5a; c.r32[1] = 2000; c.r32[7] = 0x41000;
    });
    t.run(100_000);
    expect(t.history).toEqual([{ vector: 14, code: 2, eip: CODE }]);
    expect(t.cpu.cr2 >>> 0).toBe(0x42000);
    expect(t.cpu.r32[1]).toBe(2000 - 1024);
    expect(t.cpu.r32[7]).toBe(0x42000);
    expect(t.mem.read32(0x41ffc) >>> 0).toBe(0x5a5a5a5a);
    // 1024 iterations and the one that faulted, then the handler's HLT.
    expect(t.cpu.instructions).toBe(1024 + 1 + 1);
  });

  it('a REP MOVS over code that already ran replaces it (the code is dropped, not run stale)', () => {
    // call f; rep movsb (6 bytes of the new f over f); call f; hlt    f: mov eax,1; ret   new: mov eax,2; ret
    const F = 0x1800, NEW = 0x1900;
    const t = makeCpu('e8 fb 07 00 00 f3 a4 e8 f4 07 00 00 f4', (c) => {
      poke(c, F, 'b8 01 00 00 00 c3');
      poke(c, NEW, 'b8 02 00 00 00 c3');
      c.r32[1] = 6; c.r32[6] = NEW; c.r32[7] = F;
    });
    t.run(1000);
    expect(t.history).toEqual([]);
    expect(t.cpu.r32[0]).toBe(2);
  });

  it('a REP STOS onto a watched page reports every byte it writes there', () => {
    const t = makeCpu('f3 aa', (c) => { c.r32[0] = 0x77; c.r32[1] = 3000; c.r32[7] = 0x43800; });
    const seen: number[] = [];
    t.mem.watch([{ addr: 0x44010, size: 4 }]);
    t.mem.onWatchedWrite = (addr, size) => { if (addr >= 0x44010 && addr < 0x44014) seen.push(addr, size); };
    t.run(10_000);
    expect(seen).toEqual([0x44010, 1, 0x44011, 1, 0x44012, 1, 0x44013, 1]);
    expect(t.mem.read8(0x43800 + 2999)).toBe(0x77);
  });
});
