/**
 * String instructions (string.ts) against the Intel SDM Vol. 2 pages:
 * MOVS STOS LODS SCAS CMPS with and without REP/REPE/REPNE, both directions,
 * ECX = 0, 16-bit addressing, a source segment override, and a page fault
 * or an interruption in the middle of a REP leaving ECX/ESI/EDI consistent
 * with EIP still on the instruction. INS/OUTS are in io.test.ts.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, runCode, regs, flagNames, poke, setDescriptor, setGate, enablePaging, pteAddr, enterRing3, CODE, type TestCpu } from '../../../../test/cpu/harness';
import { ZF, DF, ARITH } from '../flags';
import type { PhysicalMemory } from '../memory';

const SRC = 0x2000, DST = 0x3000;

function ok(t: TestCpu): TestCpu {
  expect(t.history).toEqual([]);
  return t;
}
function fill(mem: PhysicalMemory, addr: number, bytes: number[]): void {
  bytes.forEach((b, k) => mem.write8(addr + k, b));
}
const bytesAt = (t: TestCpu, addr: number, n: number) => Array.from(t.mem.slice(addr, n));

describe('MOVS STOS LODS', () => {
  it('MOVSB copies one byte and increments ESI and EDI', () => {
    const t = ok(runCode('a4', { esi: SRC, edi: DST }, (c) => fill(c.mem, SRC, [0x5a])));
    expect(bytesAt(t, DST, 2)).toEqual([0x5a, 0]);
    expect(regs(t.cpu)).toMatchObject({ esi: SRC + 1, edi: DST + 1 });
  });
  it('MOVSW and MOVSD step by 2 and 4', () => {
    const t = ok(runCode('66 a5 a5', { esi: SRC, edi: DST }, (c) => fill(c.mem, SRC, [1, 2, 3, 4, 5, 6, 7])));
    expect(bytesAt(t, DST, 7)).toEqual([1, 2, 3, 4, 5, 6, 0]);
    expect(regs(t.cpu)).toMatchObject({ esi: SRC + 6, edi: DST + 6 });
  });
  it('MOVSD with DF = 1 decrements ESI and EDI by 4', () => {
    const t = ok(runCode('a5', { esi: SRC, edi: DST, flags: DF }, (c) => c.mem.write32(SRC, 0x11223344)));
    expect(t.mem.read32(DST)).toBe(0x11223344);
    expect(regs(t.cpu)).toMatchObject({ esi: SRC - 4, edi: DST - 4 });
  });
  it('REP MOVSD copies ECX dwords and leaves ECX = 0', () => {
    const t = ok(runCode('f3 a5', { esi: SRC, edi: DST, ecx: 3 }, (c) => fill(c.mem, SRC, Array.from({ length: 16 }, (_, k) => k + 1))));
    expect(bytesAt(t, DST, 16)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0]);
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, esi: SRC + 12, edi: DST + 12 });
  });
  it('REP MOVSB with DF = 1 copies downwards', () => {
    const t = ok(runCode('f3 a4', { esi: SRC + 3, edi: DST + 3, ecx: 4, flags: DF }, (c) => fill(c.mem, SRC, [1, 2, 3, 4])));
    expect(bytesAt(t, DST, 4)).toEqual([1, 2, 3, 4]);
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, esi: SRC - 1, edi: DST - 1 });
  });
  it('REP MOVSB with ECX = 0 does nothing', () => {
    const t = ok(runCode('f3 a4', { esi: SRC, edi: DST, ecx: 0 }, (c) => fill(c.mem, SRC, [9])));
    expect(bytesAt(t, DST, 1)).toEqual([0]);
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, esi: SRC, edi: DST });
  });
  it('REP MOVSB with a 16-bit address size uses CX, SI and DI only', () => {
    const t = ok(runCode('67 f3 a4', { esi: 0xabcd0000 + SRC, edi: 0x12340000 + DST, ecx: 0x50002 }, (c) => fill(c.mem, SRC, [7, 8])));
    expect(bytesAt(t, DST, 3)).toEqual([7, 8, 0]);
    expect(regs(t.cpu)).toMatchObject({ ecx: 0x50000, esi: 0xabcd0000 + SRC + 2, edi: 0x12340000 + DST + 2 });
  });
  it('MOVS reads through a segment override but always writes through ES', () => {
    // mov $0x30,%ax; mov %ax,%fs; rep movsb %fs:(%esi),%es:(%edi)
    const t = ok(runCode('66 b8 30 00 8e e0 64 f3 a4', { esi: 0, edi: DST, ecx: 2 }, (c) => {
      setDescriptor(c, 0x30, 0x5000, 0xffff, 0x93, 0x4);
      fill(c.mem, 0x5000, [0xaa, 0xbb]);
      fill(c.mem, 0, [0x11, 0x22]);
    }));
    expect(bytesAt(t, DST, 2)).toEqual([0xaa, 0xbb]);
  });
  it('REP STOSD with DF = 1 fills downwards from EDI', () => {
    const t = ok(runCode('f3 ab', { eax: 0xdeadbeef, edi: DST + 8, ecx: 3, flags: DF }));
    expect([0, 4, 8].map((o) => t.mem.read32(DST + o) >>> 0)).toEqual([0xdeadbeef, 0xdeadbeef, 0xdeadbeef]);
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, edi: DST - 4 });
  });
  it('STOSB stores AL', () => {
    const t = ok(runCode('aa', { eax: 0x1234, edi: DST }));
    expect(bytesAt(t, DST, 2)).toEqual([0x34, 0]);
    expect(regs(t.cpu).edi).toBe(DST + 1);
  });
  it('LODSB loads AL and keeps the rest of EAX; LODSD with DF = 1 steps back', () => {
    const t = ok(runCode('ac', { eax: 0xffffffff, esi: SRC }, (c) => fill(c.mem, SRC, [0x42])));
    expect(regs(t.cpu)).toMatchObject({ eax: 0xffffff42, esi: SRC + 1 });
    const u = ok(runCode('ad', { esi: SRC, flags: DF }, (c) => c.mem.write32(SRC, 0xcafebabe)));
    expect(regs(u.cpu)).toMatchObject({ eax: 0xcafebabe, esi: SRC - 4 });
  });
});

describe('SCAS CMPS', () => {
  it('SCASB compares AL with [EDI] (AL - [EDI]) and advances EDI', () => {
    const t = ok(runCode('ae', { eax: 0x10, edi: DST }, (c) => fill(c.mem, DST, [0x20])));
    expect(flagNames(t.flags() & ARITH)).toBe('CF PF SF');
    expect(regs(t.cpu)).toMatchObject({ eax: 0x10, edi: DST + 1 });
  });
  it('CMPSB compares [ESI] with [EDI] ([ESI] - [EDI])', () => {
    const t = ok(runCode('a6', { esi: SRC, edi: DST }, (c) => { fill(c.mem, SRC, [1]); fill(c.mem, DST, [2]); }));
    expect(flagNames(t.flags() & ARITH)).toBe('CF PF AF SF');
    expect(regs(t.cpu)).toMatchObject({ esi: SRC + 1, edi: DST + 1 });
  });
  it('REPE CMPSB stops after the first difference with ZF clear', () => {
    const t = ok(runCode('f3 a6', { esi: SRC, edi: DST, ecx: 10 }, (c) => {
      fill(c.mem, SRC, [1, 2, 3, 4, 5]);
      fill(c.mem, DST, [1, 2, 3, 9, 5]);
    }));
    expect(regs(t.cpu)).toMatchObject({ ecx: 6, esi: SRC + 4, edi: DST + 4 });
    expect(t.flags() & ZF).toBe(0);
  });
  it('REPE CMPSB over equal strings runs ECX times and ends with ZF set', () => {
    const t = ok(runCode('f3 a6', { esi: SRC, edi: DST, ecx: 3 }, (c) => {
      fill(c.mem, SRC, [1, 2, 3, 4]);
      fill(c.mem, DST, [1, 2, 3, 5]);
    }));
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, esi: SRC + 3, edi: DST + 3 });
    expect(t.flags() & ZF).toBe(ZF);
  });
  it('REPNE SCASB stops on the first match with ZF set', () => {
    const t = ok(runCode('f2 ae', { eax: 0, edi: DST, ecx: 100 }, (c) => fill(c.mem, DST, [5, 6, 7, 0, 8])));
    expect(regs(t.cpu)).toMatchObject({ ecx: 96, edi: DST + 4 });
    expect(t.flags() & ZF).toBe(ZF);
  });
  it('REPNE SCASB without a match runs out of ECX with ZF clear', () => {
    const t = ok(runCode('f2 ae', { eax: 0xff, edi: DST, ecx: 4 }, (c) => fill(c.mem, DST, [1, 2, 3, 4])));
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, edi: DST + 4 });
    expect(t.flags() & ZF).toBe(0);
  });
  it('REPE SCASD with DF = 1 scans downwards', () => {
    const t = ok(runCode('f3 af', { eax: 7, edi: DST + 8, ecx: 3, flags: DF }, (c) => {
      c.mem.write32(DST, 6); c.mem.write32(DST + 4, 7); c.mem.write32(DST + 8, 7);
    }));
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, edi: DST - 4 });
    expect(t.flags() & ZF).toBe(0);
  });
  it('REPE CMPSB with ECX = 0 changes no flag', () => {
    const t = ok(runCode('f3 a6', { esi: SRC, edi: DST, ecx: 0, flags: ZF }, (c) => fill(c.mem, SRC, [1])));
    expect(flagNames(t.flags() & ARITH)).toBe('ZF');
    expect(regs(t.cpu)).toMatchObject({ esi: SRC, edi: DST });
  });
});

describe('REP interrupted', () => {
  it('a page fault in the middle of REP MOVSB leaves ECX/ESI/EDI after the bytes done and EIP on the instruction', () => {
    const t = runCode('f3 a4', { esi: SRC, edi: 0x6ff0, ecx: 0x20 }, (c) => {
      enablePaging(c);
      c.mem.write32(pteAddr(0x7000), 0); // the destination's second page is not present
      for (let k = 0; k < 0x20; k++) c.mem.write8(SRC + k, k + 1);
    });
    expect(t.history).toEqual([{ vector: 14, code: 2, eip: CODE }]);
    expect(t.cpu.cr2 >>> 0).toBe(0x7000);
    expect(regs(t.cpu)).toMatchObject({ ecx: 0x10, esi: SRC + 0x10, edi: 0x7000 });
    expect(bytesAt(t, 0x6ff0, 16)).toEqual(Array.from({ length: 16 }, (_, k) => k + 1));
  });
  it('after the page fault handler maps the page, IRET resumes the REP MOVSB where it stopped', () => {
    const handler = 0x4000;
    const pte = pteAddr(0x7000);
    // add $4,%esp; orl $1,pte; iret
    const t = runCode('f3 a4', { esi: SRC, edi: 0x6ff0, ecx: 0x20 }, (c) => {
      enablePaging(c);
      c.mem.write32(pte, 0x7000 | 6);
      setGate(c, 14, { offset: handler });
      poke(c, handler, `83 c4 04 83 0d ${[0, 8, 16, 24].map((s) => ((pte >>> s) & 0xff).toString(16).padStart(2, '0')).join(' ')} 01 cf`);
      for (let k = 0; k < 0x20; k++) c.mem.write8(SRC + k, k + 1);
    });
    expect(t.history).toEqual([{ vector: 14, code: 2, eip: CODE }]);
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, esi: SRC + 0x20, edi: 0x7010 });
    expect(bytesAt(t, 0x6ff0, 0x20)).toEqual(Array.from({ length: 0x20 }, (_, k) => k + 1));
    expect(t.cpu.eip >>> 0).toBe(t.end + 1);
  });
  it('a REP MOVSB stopped by the instruction budget resumes from EIP on the instruction', () => {
    const t = makeCpu('f3 a4', (c) => {
      c.r32[6] = SRC; c.r32[7] = DST; c.r32[1] = 10;
      for (let k = 0; k < 10; k++) c.mem.write8(SRC + k, 0x80 + k);
    });
    t.run(3);
    expect(regs(t.cpu)).toMatchObject({ ecx: 7, esi: SRC + 3, edi: DST + 3 });
    expect(t.cpu.eip >>> 0).toBe(CODE);
    t.run();
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, esi: SRC + 10, edi: DST + 10 });
    expect(bytesAt(t, DST, 10)).toEqual(Array.from({ length: 10 }, (_, k) => 0x80 + k));
    expect(t.history).toEqual([]);
  });
});

describe('port strings check the I/O permission before the count', () => {
  it('REP OUTSB with ECX = 0 at CPL 3 and IOPL 0 still raises #GP(0)', () => {
    const t = runCode('f3 6e', { ecx: 0, edx: 0xe9 }, (c) => enterRing3(c));
    expect(t.history.map((d) => [d.vector, d.code, d.eip])[0]).toEqual([13, 0, CODE]);
  });
});
