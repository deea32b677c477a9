/**
 * Conditions and CF read in WebAssembly from the CPU's flags (lazyFlags.ts): each flag-setting form, then a
 * JMP to the next instruction (a new block, which does not know the flags), then SETcc of all sixteen
 * conditions, an ADC and a Jcc there, against the interpreter. The forms are those the tier writes out (their
 * records stored by the block) and those it leaves to their handlers (records and concrete bits the CPU's
 * TypeScript wrote, with every mask flags.ts uses: all six lazy, CF kept by an INC, none lazy).
 */
import { describe, it, expect } from 'vitest';
import { disagreement, randomCase, randomData, rng, type Case } from '../../../../test/cpu/agree';

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
  // By their handlers: SAHF (concrete), BSF (ZF concrete, the rest as they were), INC of a word (a record that
  // keeps CF), MUL (concrete), SAHF after a record that kept CF.
  { name: 'sahf', bytes: [0x9e] }, { name: 'bsf', bytes: [0x0f, 0xbc, 0xd8] }, { name: 'inc r16', bytes: [0x66, 0x40] },
  { name: 'mul', bytes: [0xf7, 0xe3] }, { name: 'inc r16 then sahf', bytes: [0x66, 0x40, 0x9e] },
];

describe('flags read in WebAssembly', () => {
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
});
