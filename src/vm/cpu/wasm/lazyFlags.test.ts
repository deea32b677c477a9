/**
 * Conditions and CF read in WebAssembly from the flags the block before left in the cells (lazyFlags.ts):
 * each flag-setting form, then a JMP to the next instruction (a new block, reached without the flags going
 * to the CPU), then SETcc of all sixteen conditions, an ADC and a Jcc there, against the interpreter; and
 * those reads are not the CPU's.
 */
import { describe, it, expect } from 'vitest';
import { disagreement, randomCase, randomData, rng, type Case } from '../../../../test/cpu/agree';
import { makeCpu, enablePaging } from '../../../../test/cpu/harness';
import { Executor } from '../executor';

const JMP_NEXT = [0xeb, 0x00];
const hex = (b: number) => b.toString(16).padStart(2, '0');

/** Flag-setting forms the tier writes out: 32-bit and byte ALU ops, INC, DEC, NEG, TEST, a shift, ADC after ADC. */
const FORMS: { name: string; bytes: number[] }[] = [
  ...['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'].flatMap((name, k) => [
    { name: `${name} r32`, bytes: [0x01 + 8 * k, 0xd8] },
    { name: `${name} r8`, bytes: [0x00 + 8 * k, 0xd8] },
    { name: `${name} imm8`, bytes: [0x83, 0xc0 | (k << 3), 0x7f] },
  ]),
  { name: 'inc', bytes: [0x40] }, { name: 'dec', bytes: [0x48] },
  { name: 'neg', bytes: [0xf7, 0xd8] }, { name: 'test', bytes: [0x85, 0xd8] },
  { name: 'shl 1', bytes: [0xd1, 0xe0] }, { name: 'shl imm', bytes: [0xc1, 0xe0, 0x05] },
  { name: 'add then inc', bytes: [0x01, 0xd8, 0x40] }, { name: 'shl then inc', bytes: [0xd1, 0xe0, 0x40] },
];

describe('flags from the cells', () => {
  it('agree with the interpreter for every condition after every flag-setting form, in the next block', () => {
    for (const f of FORMS) {
      const r = rng(f.bytes.reduce((h, b) => (h * 31 + b) | 0, 7));
      const data = randomData(r);
      // The SETccs at the next block's start read the form's flags; or first adc %ecx,%edx reads its CF.
      for (const then of [[], [0x11, 0xca]]) {
        const bytes = [...f.bytes, ...JMP_NEXT, ...then];
        for (const cc of [0, 3, 6, 9, 12, 15].map((q) => (q + ((r() >>> 0) % 2)) & 15)) {
          const cases: Case[] = Array.from({ length: 24 }, () => randomCase(r, data));
          const why = disagreement(bytes, cases, cc, [10_000], 'wasm');
          expect(why, `${f.name} (${bytes.map(hex).join(' ')}), jcc ${cc}`).toBeNull();
        }
      }
    }
  });

  it.each([
    // l: cmp %ebx,%eax; jmp m; m: ja n; n: adc %ecx,%edx; inc %eax; dec %esi; jnz l; hlt
    ['a full record (CMP), read by JA and ADC', '39 d8 eb 00 77 00 11 ca 40 4e 75 f4 f4'],
    // l: shl $1,%edi; jmp m; m: jc n; n: sbb %ecx,%edx; inc %eax; dec %esi; jnz l; hlt
    ['a shift\'s concrete flags, read by JC and SBB', 'd1 e7 eb 00 72 00 19 ca 40 4e 75 f4 f4'],
    // l: add %ebx,%eax; inc %edi; jmp m; m: adc %ecx,%edx; dec %esi; jnz l; hlt (INC kept the ADD's CF)
    ['the CF an INC kept, read by ADC', '01 d8 47 eb 00 11 ca 4e 75 f6 f4'],
  ])('are not asked of the CPU when the block before left them in the cells: %s', (_, code) => {
    const t = makeCpu(code, (c) => { enablePaging(c); c.r32[0] = 0; c.r32[3] = 0x7fffffff; c.r32[6] = 50; c.r32[7] = 0x12345679; });
    t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
    t.exec.run(100_000);
    expect(t.cpu.halted).toBe(true);
    expect(t.cpu.r32[6]).toBe(0);
    expect(t.exec.blocksCompiledWasm).toBeGreaterThan(0);
    // Fifty passes, one or two reads each: only the first pass's are the CPU's.
    expect(t.exec.wasmFlagsAsked).toBeLessThan(10);
  });
});
