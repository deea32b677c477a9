/**
 * Links between blocks (executor.ts): a block remembers the blocks that followed it, and a link
 * is taken while the TLB maps EIP to the same frame with the right to fetch it and the code mode
 * (flat CS, code size) is the block's. A CS load to the same kind of segment (INT, IRET) keeps
 * them; one to another kind, a TLB flush or a change of rights must not reuse a wrong block.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, setDescriptor, setGate, enablePaging, enterRing3, installTss, PAGE_TABLE, CODE, TRAP_HLT, type TestCpu } from '../../../test/cpu/harness';
import { Executor } from './executor';
import { CS, FS } from './state';
import { IF } from './flags';

const HANDLER = 0x3000;

/** The test machine with an executor that compiles after `compileAfter` runs. */
function withTier(t: TestCpu, compileAfter: number): TestCpu {
  const exec = new Executor(t.cpu, { compileAfter });
  t.exec = exec;
  t.run = (n = 10_000) => { exec.run(n); };
  return t;
}

describe.each([['compiled at once', 1], ['never compiled', Infinity]])('block links (%s)', (_label, compileAfter) => {
  it('a system-call loop (INT n from ring 3, IRET back) keeps its links: look-ups do not grow with the calls', () => {
    // ring 3: l: int $0x80; dec %ecx; jnz l; (hlt: #GP)   handler, ring 0: inc %eax; iret
    const loop = (n: number) => {
      const t = withTier(makeCpu('cd 80 49 75 fb', (c) => {
        installTss(c);
        setGate(c, 0x80, { offset: HANDLER, type: 0xf });
        c.mem.load(HANDLER, Uint8Array.of(0x40, 0xcf));
        enterRing3(c);
        c.r32[1] = n;
      }), compileAfter);
      t.run(1_000_000);
      return t;
    };
    const few = loop(10), many = loop(1000);
    expect(many.cpu.r32[0]).toBe(1000);
    expect(many.history.filter((d) => d.vector === 0x80)).toHaveLength(1000);
    // The final HLT at ring 3 raises #GP(0) at the end: the loop ran to completion at ring 3.
    expect(many.lastVector).toBe(13);
    expect(many.cpu.instructions).toBe(1000 * 5 + 2);
    expect(many.exec.blockLookups).toBe(few.exec.blockLookups);
  });

  it('the frame INT n pushes is the same whether or not the run loop stops after it', () => {
    // int $0x40 from ring 3 to a handler that halts at ring 0.
    const t = withTier(makeCpu('40 cd 40 43', (c) => {
      installTss(c);
      setGate(c, 0x40, { offset: TRAP_HLT });
      enterRing3(c);
    }), compileAfter);
    t.run();
    expect(t.history).toEqual([{ vector: 0x40, code: -1, eip: CODE + 3 }]);
    expect(t.frame()).toEqual({ eip: CODE + 3, cs: 0x1b, eflags: 2, esp: 0x60000, ss: 0x23 });
    expect(t.cpu.r32[0]).toBe(1);
    expect(t.cpu.r32[3]).toBe(0);
  });

  it('a far jump to a 16-bit or a based code segment does not reuse the block decoded for flat 32-bit code', () => {
    // ljmp *(%ebx), through a pointer at 0x5000 to sel:0x2000. At 0x2000: 66 b8 11 11 0a 22 f4, which is
    // mov $0x1111,%ax; or (%edx),%ah; hlt in 32-bit code and mov $0x220a1111,%eax; hlt in 16-bit code.
    // At 0x3000 (0x2000 in a segment based at 0x1000): mov $0x33333333,%eax; hlt.
    const t = withTier(makeCpu('ff 2b', (c) => {
      setDescriptor(c, 0x30, 0, 0xfffff, 0x9b, 0x8);      // flat 16-bit code, 4 GiB
      setDescriptor(c, 0x38, 0x1000, 0xfffff, 0x9b, 0xc); // 32-bit code based at 0x1000
      c.mem.load(0x2000, Uint8Array.of(0x66, 0xb8, 0x11, 0x11, 0x0a, 0x22, 0xf4));
      c.mem.load(0x3000, Uint8Array.of(0xb8, 0x33, 0x33, 0x33, 0x33, 0xf4));
    }), compileAfter);
    const c = t.cpu;
    const jumpThrough = (sel: number) => {
      c.setSegmentCache(CS, 0x08, 0, 0xffffffff, 0xc09b);
      c.eip = CODE;
      c.halted = false;
      c.r32[0] = 0; c.r32[3] = 0x5000; c.r32[2] = 0x6000;
      c.mem.write32(0x5000, 0x2000);
      c.mem.write16(0x5004, sel);
      t.exec.run(100);
      return c.r32[0] >>> 0;
    };
    for (let k = 0; k < 100; k++) expect(jumpThrough(0x08) & 0xffff).toBe(0x1111);
    expect(jumpThrough(0x30)).toBe(0x220a1111);
    expect(jumpThrough(0x38)).toBe(0x33333333);
    expect(jumpThrough(0x08) & 0xffff).toBe(0x1111);
    expect(jumpThrough(0x30)).toBe(0x220a1111);
  });

  it('a link made at ring 0 into a supervisor page is not taken at ring 3: the fetch faults', () => {
    // jmp *%ebx to HANDLER (inc %eax; hlt), on a page without the user bit.
    const t = withTier(makeCpu('ff e3', (c) => {
      enablePaging(c);
      c.mem.write32(PAGE_TABLE + (HANDLER >>> 12) * 4, HANDLER | 3);
      c.mem.load(HANDLER, Uint8Array.of(0x40, 0xf4));
      c.r32[3] = HANDLER;
    }), compileAfter);
    const c = t.cpu;
    for (let k = 0; k < 100; k++) {
      c.eip = CODE;
      c.halted = false;
      t.exec.run(100);
    }
    expect(c.r32[0]).toBe(100);
    expect(t.history).toEqual([]);
    enterRing3(c);
    c.eip = CODE;
    c.halted = false;
    t.exec.run(100);
    expect(t.history).toEqual([{ vector: 14, code: 5, eip: HANDLER }]);
    expect(c.cr2).toBe(HANDLER);
    expect(c.r32[0]).toBe(100);
  });

  it('after a TLB flush a link follows the page tables as they are now', () => {
    // mov (%ebx),%edx; jmp *%ebx to 0x3000, whose page is then remapped to the frame at 0x4000 (a
    // different inc). The load puts the new translation in the TLB before the link is looked at.
    const t = withTier(makeCpu('8b 13 ff e3', (c) => {
      enablePaging(c);
      c.mem.load(HANDLER, Uint8Array.of(0x40, 0xf4));        // inc %eax; hlt
      c.mem.load(0x4000, Uint8Array.of(0x43, 0xf4));         // inc %ebx; hlt
      c.r32[3] = HANDLER;
    }), compileAfter);
    const c = t.cpu;
    const once = () => { c.eip = CODE; c.halted = false; c.r32[3] = HANDLER; t.exec.run(100); };
    for (let k = 0; k < 100; k++) once();
    expect(c.r32[0]).toBe(100);
    c.mem.write32(PAGE_TABLE + (HANDLER >>> 12) * 4, 0x4000 | 7);
    c.flushTlb(false);
    once();
    expect(c.r32[0]).toBe(100);
    expect(c.r32[3]).toBe(HANDLER + 1);
  });
});

describe('IRET and the run loop', () => {
  it('IRET that sets TF traps after the next instruction, not after the next block', () => {
    // push $0x102; push %cs; push $next; iret; next: inc %eax; inc %ebx; hlt
    const next = CODE + 12;
    const le = [next & 0xff, (next >> 8) & 0xff, 0, 0].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    for (const compileAfter of [1, Infinity]) {
      const t = withTier(makeCpu(`68 02 01 00 00 0e 68 ${le} cf 40 43`), compileAfter);
      t.run();
      expect(t.history).toEqual([{ vector: 1, code: -1, eip: next + 1 }]);
      expect(t.cpu.r32[0]).toBe(1);
      expect(t.cpu.r32[3]).toBe(0);
    }
  });

  it('IRET that sets IF with an interrupt waiting takes it before the next instruction', () => {
    // pushf; pop %eax; or $0x200,%eax; push %eax; push %cs; push $next; iret; next: inc %ebx
    const next = CODE + 15;
    const le = [next & 0xff, (next >> 8) & 0xff, 0, 0].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    for (const compileAfter of [1, Infinity]) {
      const t = withTier(makeCpu(`9c 58 0d 00 02 00 00 50 0e 68 ${le} cf 43`, (c) => {
        c.intrLine = true;
        c.ackInterrupt = () => { c.intrLine = false; return 0x30; };
      }), compileAfter);
      t.run();
      expect(t.history).toEqual([{ vector: 0x30, code: -1, eip: next }]);
      expect(t.frame().eflags & IF).toBe(IF);
      expect(t.cpu.r32[3]).toBe(0);
    }
  });
});

describe('blocks that end hard (MOV to a debug register, POPF, a delivered fault)', () => {
  it('a loop through MOV DR0 goes from block to block by links: look-ups do not grow with the passes', () => {
    // l: mov %eax,%dr0; dec %ecx; jnz l
    const loop = (n: number, compileAfter: number) => {
      const t = withTier(makeCpu('0f 23 c0 49 75 fa', (c) => { c.r32[1] = n; }), compileAfter);
      t.run(1_000_000);
      return t;
    };
    for (const compileAfter of [1, Infinity]) {
      const few = loop(10, compileAfter), many = loop(1000, compileAfter);
      expect(many.cpu.r32[1]).toBe(0);
      expect(many.cpu.instructions).toBe(1000 * 3 + 1);
      expect(many.history).toEqual([]);
      expect(many.exec.blockLookups).toBe(few.exec.blockLookups);
    }
  });

  it('LGDT does not end its block: a segment load after it in the same block reads the new table', () => {
    // lgdt 0x5000; mov $0x10,%eax; mov %eax,%fs; hlt. The new GDT at 0x6000 is the old one with data at base 0x4000.
    for (const [compileAfter, wasmAfter] of [[1, Infinity], [Infinity, Infinity], [Infinity, 1]]) {
      const t = makeCpu('0f 01 15 00 50 00 00 b8 10 00 00 00 8e e0 f4', (c) => {
        for (let k = 0; k < 40; k += 4) c.mem.write32(0x6000 + k, c.mem.read32(c.gdtr.base + k));
        c.mem.write32(0x6010, 0x4000ffff);
        c.mem.write32(0x6014, 0x00cf9300);
        c.mem.write16(0x5000, 39);
        c.mem.write32(0x5002, 0x6000);
      });
      t.exec = new Executor(t.cpu, { compileAfter, wasmAfter, wasmBatch: 1 });
      const g = t.cpu.gdtr, old = { sel: g.sel, base: g.base, limit: g.limit, attr: g.attr };
      // Twice over, so that the block is compiled on the second run.
      for (let pass = 0; pass < 2; pass++) {
        t.cpu.halted = false;
        t.cpu.eip = CODE;
        t.cpu.gdtr = { ...old };
        t.exec.run(100);
        expect(t.cpu.gdtr.base, `pass ${pass}`).toBe(0x6000);
        expect(t.cpu.segBase[FS] >>> 0, `pass ${pass}`).toBe(0x4000);
        expect(t.history).toEqual([]);
      }
    }
  });

  it('POPF that sets IF with an interrupt waiting takes it before the next instruction, in a loop of blocks', () => {
    // l: pushf; pop %eax; or $0x200,%eax; push %eax; popf; inc %ebx; ...  the interrupt comes at the 50th pass.
    // Each pass: push %edx; popf (IF clear); inc %ebx; dec %ecx; jnz l, then the pass that opens IF.
    for (const compileAfter of [1, Infinity]) {
      const t = withTier(makeCpu('52 9d 43 49 75 fa 9c 58 0d 00 02 00 00 50 9d 46', (c) => {
        c.r32[1] = 100; c.r32[2] = 2; // EDX: EFLAGS with IF clear
        c.ackInterrupt = () => { c.intrLine = false; return 0x30; };
      }), compileAfter);
      t.run(50 * 5);
      t.cpu.intrLine = true; // pending while IF is clear: the loop goes on
      t.run();
      expect(t.cpu.r32[3]).toBe(100);
      // The POPF that opened IF ran; the interrupt came before the INC after it.
      expect(t.history).toEqual([{ vector: 0x30, code: -1, eip: CODE + 15 }]);
      expect(t.cpu.r32[6]).toBe(0);
    }
  });
});
