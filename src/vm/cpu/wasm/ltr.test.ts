/**
 * LTR written out in WebAssembly (block.ts), as the lguest Switcher uses it twice a trip: in a compiled loop
 * against the interpreter, for every kind of descriptor and selector, TR and the busy bits in the GDT
 * compared; where it faults, a handler skips the LTR and the loop goes on, so the compiled block meets the
 * fault every pass. And the CPU's handler is left out where the inline path serves.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, enablePaging, setDescriptor, setGate, enterRing3, pteAddr, GDT, CODE } from '../../../../test/cpu/harness';
import { expectSameMachines } from '../../../../test/cpu/agree';
import { Executor } from '../executor';
import type { Cpu } from '../state';

const hex = (v: number) => [0, 8, 16, 24].map((k) => ((v >>> k) & 0xff).toString(16).padStart(2, '0')).join(' ');
/**
 * l: ltr %dx; xor %esi,%edx (the other selector); andb $0xfd,GDT+5(%edx) (its busy bit cleared, the one
 * just loaded keeps its own); dec %ecx; jnz l; int $0x40 (to a HLT, from either ring). Then the handler of
 * the faults (each with an error code): add $4,%esp; addl $3,(%esp) (past the LTR); iret.
 */
const program = (gdt = GDT) => `0f 00 da 31 f2 80 a2 ${hex(gdt + 5)} fd 49 75 f1 cd 40 83 c4 04 83 04 24 03 cf`;
/** The same, but the busy bit cleared is always B's (andb $0xfd,GDT+B+5): a busy A stays busy. */
const KEEP_A_BUSY = `0f 00 da 31 f2 80 25 ${hex(GDT + 0x45)} fd 49 75 f1 cd 40 83 c4 04 83 04 24 03 cf`;
/** The same with no busy bit cleared (seven NOPs). */
const CLEAR_NONE = '0f 00 da 31 f2 90 90 90 90 90 90 90 49 75 f1 cd 40 83 c4 04 83 04 24 03 cf';
const HANDLER = CODE + 17;
const LOOPS = 30, A = 0x30, B = 0x40;

/**
 * `faults`: the LTRs that fault; `inline`: the compiled LTR must do it all itself (the CPU's handler, whose
 * busy-bit write is counted, only at the first passes), or must leave it to the handler every time.
 */
interface Variant { name: string; setup: (c: Cpu) => void; faults: number; inline?: boolean; program?: string }

/** Descriptors A and B of this kind, the loop going between them. */
const both = (access: number, flags = 0, limit = 0x67) => (c: Cpu) => {
  setDescriptor(c, A, 0x12345, limit, access, flags);
  setDescriptor(c, B, 0x23456, limit, access, flags);
};
const selectors = (dx: number, esi: number) => (c: Cpu) => { both(0x89)(c); c.r32[2] = dx; c.r32[6] = esi; };
/** The GDT moved onto the code's own page. */
const CODE_GDT = CODE + 0x800;
const VARIANTS: Variant[] = [
  { name: 'an available 32-bit TSS', setup: both(0x89), faults: 0, inline: true },
  { name: 'an available 16-bit TSS', setup: both(0x81), faults: 0, inline: true },
  { name: 'a 4 KiB-granular limit', setup: both(0x89, 0x8, 0xfffff), faults: 0, inline: true },
  { name: 'the GDT on a page read-only, CR0.WP clear (the supervisor writes it)', setup: (c) => { both(0x89)(c); c.mem.write32(pteAddr(GDT), 5); }, faults: 0, inline: true },
  {
    name: 'the GDT on a page read-only, CR0.WP set (#PF at the busy bit)', program: CLEAR_NONE, faults: LOOPS, inline: false,
    setup: (c) => { both(0x89)(c); c.mem.write32(pteAddr(GDT), 5); c.cr0 |= 0x10000; },
  },
  {
    name: 'the GDT on a page holding decoded code (the CPU writes the busy bit)', program: program(CODE_GDT), faults: 0, inline: false,
    setup: (c) => {
      for (let k = 0; k < 0x50; k += 4) c.mem.write32(CODE_GDT + k, c.mem.read32(GDT + k));
      c.gdtr = { sel: 0, base: CODE_GDT, limit: 0x4f, attr: 0 };
      both(0x89)(c);
    },
  },
  { name: 'a busy TSS (#GP)', setup: (c) => { both(0x89)(c); setDescriptor(c, A, 0x12345, 0x67, 0x8b, 0); }, faults: LOOPS / 2, program: KEEP_A_BUSY },
  { name: 'not present (#NP)', setup: both(0x09), faults: LOOPS },
  { name: 'a data segment (#GP)', setup: both(0x93), faults: LOOPS },
  { name: 'an LDT (#GP)', setup: both(0x82), faults: LOOPS },
  { name: 'a null selector (#GP(0))', setup: selectors(0, 0), faults: LOOPS },
  { name: 'a null selector with a TSS descriptor in GDT entry 0 (#GP(0))', setup: (c) => { selectors(0, 0)(c); setDescriptor(c, 0, 0x12345, 0x67, 0x89, 0); }, faults: LOOPS },
  { name: 'an LDT selector (#GP)', setup: selectors(A | 4, (A ^ B)), faults: LOOPS },
  { name: 'beyond the GDT limit (#GP)', setup: (c) => { both(0x89)(c); c.gdtr.limit = A - 1; }, faults: LOOPS },
  { name: 'ring 3 (#GP(0))', setup: (c) => { both(0x89)(c); enterRing3(c); }, faults: LOOPS },
];

describe('LTR in WebAssembly', () => {
  it.each(VARIANTS.map((v) => [v.name, v] as const))('%s: as interpreted', (_, v) => {
    for (const budget of [7, 1_000_000]) {
      const make = (wasmAfter: number) => {
        const t = makeCpu(v.program ?? program(), (c) => {
          enablePaging(c);
          for (const vector of [11, 13, 14]) setGate(c, vector, { offset: HANDLER, sel: 0x08, dpl: 0 });
          c.r32[1] = LOOPS; c.r32[2] = A; c.r32[6] = A ^ B;
          v.setup(c);
          c.flushTlb(false);
        });
        t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter, wasmBatch: 1 });
        return t;
      };
      const a = make(Infinity), b = make(1);
      // The handler's write of the busy bit, counted on the compiled machine.
      let handled = 0;
      const wrSys8 = b.cpu.wrSys8.bind(b.cpu);
      b.cpu.wrSys8 = (lin, value) => { handled++; wrSys8(lin, value); };
      for (let s = 0; s < 400 && !(a.cpu.halted && b.cpu.halted); s++) {
        a.exec.run(budget);
        b.exec.run(budget);
        expectSameMachines(a, b, `budget ${budget}, slice ${s}`);
      }
      expect(a.cpu.halted).toBe(true);
      expect(a.cpu.r32[1]).toBe(0);
      expect(a.cpu.vectorCounts[11] + a.cpu.vectorCounts[13] + a.cpu.vectorCounts[14]).toBe(v.faults);
      if (v.inline === true && budget > 1000) expect(handled).toBeLessThan(LOOPS / 2);
      if (v.inline === false) expect(handled).toBe(LOOPS);
    }
  });
});
