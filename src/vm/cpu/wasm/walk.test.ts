/**
 * The page walk in WebAssembly (walk.ts) against paging.ts translate: over random directory and table
 * entries, control registers and rights asked, the walk either does what translate does (the same
 * Accessed and Dirty bits, the same TLB entry, listed the same way) or leaves everything so that translate,
 * walking after it, ends where translate alone ends (a fault with its CR2 included). And in compiled
 * programs, the misses after each CR3 load are served without the CPU's slow paths.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, enablePaging, setGate, enterRing3, CODE, PAGE_DIR, PAGE_TABLE } from '../../../../test/cpu/harness';
import { PhysicalMemory } from '../memory';
import { IoPorts } from '../../ioports';
import { Cpu } from '../state';
import { rng, expectSameMachines } from '../../../../test/cpu/agree';
import { Executor } from '../executor';
import { translate, tlbIndex } from '../paging';
import { FAULT } from '../fault';
import { walkBytes, WALK_IMPORTS } from './walk';
import { WRITTEN_PAGES } from './layout';

const R_S = 1, W_S = 2, R_U = 4, W_U = 8;
const CR0_WP = 0x10000, CR4_PSE = 0x10, CR4_PGE = 0x80;

/** A CPU on 1 MiB of RAM, no executor: only its memory, paging and TLB are used here. */
interface Machine { cpu: Cpu; mem: PhysicalMemory; codeWrites: number[] }
const RAM = 1 << 20;
let module: WebAssembly.Module | null = null;

/** The module's functions for this machine; the CPU's slow paths they would call throw (walk never calls them). */
function library(c: Cpu): Record<string, (...a: number[]) => number> {
  module ??= new WebAssembly.Module(walkBytes(c.mem.wasm.buffer.byteLength / 65536, c.mem.size, c.mem.ramBase));
  const never = () => { throw new Error('a slow path was called'); };
  const f = Object.fromEntries(WALK_IMPORTS.map((i) => [i.name, never]));
  return new WebAssembly.Instance(module, { m: { mem: c.mem.wasm }, f }).exports as Record<string, (...a: number[]) => number>;
}
const wasmWalk = (c: Cpu) => library(c).walk;

/** translate, a fault caught: what it came to. */
function translated(c: Cpu, lin: number, need: number): string {
  try {
    return `at ${translate(c, lin, need).toString(16)}`;
  } catch (e) {
    if (e !== FAULT) throw e;
    return `#PF ${c.faultCode} cr2 ${(c.cr2 >>> 0).toString(16)}`;
  }
}

/** memory.ts's map of the pages written, where the walk reads it. */
function written(t: Machine): Uint8Array {
  return new Uint8Array(t.mem.wasm.buffer, WRITTEN_PAGES, t.mem.size >>> 12);
}

/** Everything a walk may change: the tables, the TLB entry and list, what memory.ts counts as written. */
function walkState(t: Machine, lin: number): unknown {
  const c = t.cpu, i = tlbIndex(lin >>> 12);
  return {
    tables: Buffer.from(t.mem.bytes.subarray(PAGE_DIR, PAGE_TABLE + 0x1000)).toString('base64'),
    entry: [c.tlbTag[i], c.tlbPhys[i], c.tlbRights[i], c.tlbGlobal[i], c.tlbLarge[i]],
    used: [c.tlbUsedCount, ...c.tlbUsed.subarray(0, c.tlbUsedCount)],
    written: Buffer.from(written(t)).toString('hex'),
    cr2: c.cr2,
    codeWrites: t.codeWrites,
  };
}

/** One random case: the entries, the control registers, what is marked, the right asked. */
interface WalkCase {
  lin: number; pde: number; pte: number; frame: number; need: number; wp: boolean; cr4: number;
  frameWritten: boolean; tableIsCode: boolean; dataBreakpoint: boolean; listed: number[];
}

function randomWalkCase(r: () => number): WalkCase {
  const bit = (p: number) => (r() >>> 0) % 100 < p;
  const lin = 0x00400000 * ((r() >>> 0) % 2) + 0x1000 * (8 + ((r() >>> 0) % 16)) + ((r() >>> 0) & 0xfff);
  // Random flags on one directory entry and one table entry; a frame in RAM (1 MiB), or not.
  const pde = (PAGE_TABLE | (bit(95) ? 1 : 0) | (bit(80) ? 2 : 0) | (bit(70) ? 4 : 0) | (bit(50) ? 0x20 : 0) | (bit(10) ? 0x80 : 0)) >>> 0;
  const frame = bit(90) ? 0x40000 + 0x1000 * ((r() >>> 0) % 64) : 0x200000;
  const pte = (frame | (bit(90) ? 1 : 0) | (bit(70) ? 2 : 0) | (bit(70) ? 4 : 0) | (bit(60) ? 0x20 : 0) | (bit(50) ? 0x40 : 0) | (bit(30) ? 0x100 : 0)) >>> 0;
  return {
    lin, pde, pte, frame, need: [R_S, W_S, R_U, W_U][(r() >>> 0) % 4], wp: !bit(20),
    cr4: (bit(50) ? CR4_PGE : 0) | (bit(30) ? CR4_PSE : 0), frameWritten: bit(70), tableIsCode: bit(5),
    dataBreakpoint: bit(5), listed: [0, 1, 2].map((k) => 0x1000 * (1 + k + ((r() >>> 0) % 3))),
  };
}

function machineFor(k: WalkCase): Machine {
  const mem = new PhysicalMemory(RAM), c = new Cpu(mem, new IoPorts()), t: Machine = { cpu: c, mem, codeWrites: [] };
  // A write to a page holding code is the executor's to see (here: noted).
  mem.onCodeWrite = (_, addr) => { t.codeWrites.push(addr); return false; };
  enablePaging(c);
  c.mem.write32(PAGE_DIR + (k.lin >>> 22) * 4, k.pde);
  c.mem.write32(PAGE_TABLE + ((k.lin >>> 12) & 0x3ff) * 4, k.pte);
  if (k.wp) c.cr0 |= CR0_WP; else c.cr0 &= ~CR0_WP;
  c.cr4 = k.cr4;
  if (k.tableIsCode) c.mem.codePages[PAGE_TABLE >>> 12] = 1;
  if (k.dataBreakpoint) { c.dr[0] = k.lin & ~3; c.dr[7] = 0x30001; c.updateDebug(); }
  c.flushTlb(false);
  // A few entries listed already (one may be this one's); the frame counted as written or not, as the case says.
  for (const lin of k.listed) translated(c, lin, R_S);
  if (k.frame < t.mem.size) written(t)[k.frame >>> 12] = k.frameWritten ? 1 : 0;
  return t;
}

describe('the page walk in WebAssembly', () => {
  it('does what paging.ts does, or leaves it all to paging.ts', () => {
    const r = rng(18);
    let left = 0;
    const walked = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (let n = 0; n < 1000; n++) {
      const k = randomWalkCase(r);
      const a = machineFor(k), b = machineFor(k);
      // a: the walk in WebAssembly, then paging.ts only if it left the walk to it; b: paging.ts alone.
      let outcome: string;
      if (wasmWalk(a.cpu)(k.lin, k.need) === 1) {
        walked[k.need]++;
        const i = tlbIndex(k.lin >>> 12);
        outcome = `at ${((a.cpu.tlbPhys[i] | (k.lin & 0xfff)) >>> 0).toString(16)}`;
      } else {
        left++;
        outcome = translated(a.cpu, k.lin, k.need);
      }
      const why = `case ${n}: ${JSON.stringify(k, (_, v) => (typeof v === 'number' ? v.toString(16) : v))}`;
      expect(outcome, why).toBe(translated(b.cpu, k.lin, k.need));
      expect(walkState(a, k.lin), why).toEqual(walkState(b, k.lin));
    }
    // Both ways are taken often, the walk in WebAssembly for every right asked.
    for (const need of [R_S, W_S, R_U, W_U]) expect(walked[need], `walks for ${need}`).toBeGreaterThan(25);
    expect(left).toBeGreaterThan(150);
  });
});

describe('MOV CR3 in WebAssembly', () => {
  it('leaves ring 3 (its #GP) and a TLB list that overflowed (the whole table to clear) to the handler', () => {
    const k = randomWalkCase(rng(3));
    const t = machineFor(k), c = t.cpu, movCr3 = library(c).movCr3;
    c.setCpl(3);
    expect(movCr3(0x5000)).toBe(0);
    c.setCpl(0);
    c.tlbUsedCount = 4096;
    expect(movCr3(0x5000)).toBe(0);
    expect(c.cr3).toBe(PAGE_DIR);
    c.tlbUsedCount = 0;
    expect(movCr3(0x5000)).toBe(1);
    expect(c.cr3).toBe(0x5000);
  });
});

describe('compiled code after each CR3 load', () => {
  /**
   * l: mov %cr3,%eax; xor $0x2000,%eax; mov %eax,%cr3 (the other page directory, the TLB flushed); then loads,
   * a read-modify-write, a store of a byte, PUSH and POP, each on a page the TLB just lost (or kept: a global
   * page with CR4.PGE); dec %ecx; jnz l; hlt. The two directories map 0x6000 to different frames.
   */
  const code = '0f 20 d8 35 00 20 00 00 0f 22 d8 8b 15 00 60 00 00 01 15 04 70 00 00 52 5e 88 15 01 80 00 00 0f b6 1d 03 60 00 00 0f b7 1d 06 60 00 00 49 75 d0 f4';
  const OTHER_DIR = PAGE_DIR ^ 0x2000, OTHER_TABLE = OTHER_DIR + 0x1000;
  const LOOPS = 40;
  /** The TLB's valid entries, in order of their index: the same whichever tier filled them. */
  const tlb = (c: Cpu) => [...c.tlbTag].flatMap((tag, i) => (tag === -1 ? [] : [[tag, c.tlbPhys[i], c.tlbRights[i], c.tlbGlobal[i]]]));

  it.each([['without global pages', false], ['with CR4.PGE and global pages', true]] as const)(
    'MOV CR3 and the refills are WebAssembly\'s, not the CPU\'s slow paths, and agree with the interpreter (%s)', (_, global) => {
      for (const budget of [37, 1_000_000]) {
        const make = (wasmAfter: number) => {
          const t = makeCpu(code, (c) => {
            enablePaging(c);
            c.r32[1] = LOOPS;
            c.mem.write32(0x6000, 0x12345678);
            c.mem.write32(0x9000, 0x9abcdef0);
            for (let k = 0; k < 1024; k++) c.mem.write32(OTHER_TABLE + 4 * k, c.mem.read32(PAGE_TABLE + 4 * k));
            c.mem.write32(OTHER_TABLE + 6 * 4, 0x9000 | 7);
            c.mem.write32(OTHER_DIR, OTHER_TABLE | 7);
            if (global) {
              c.cr4 |= CR4_PGE;
              for (const table of [PAGE_TABLE, OTHER_TABLE]) c.mem.write32(table + 8 * 4, 0x8000 | 0x107);
            }
          });
          t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter, wasmBatch: 1 });
          return t;
        };
        const a = make(Infinity), b = make(1);
        // The CPU's own slow paths and TLB flush (which the interpreter uses too), counted on the compiled machine.
        let slow = 0;
        const c = b.cpu as unknown as Record<string, (...args: number[]) => number>;
        for (const name of ['rd8', 'rd16', 'rd32', 'rdW32', 'rdW8', 'wr8', 'wr16', 'wr32', 'push32', 'pop32', 'flushTlb']) {
          const real = c[name].bind(b.cpu);
          c[name] = (...args: number[]) => { slow++; return real(...args); };
        }
        for (let s = 0; s < 100 && !(a.cpu.halted && b.cpu.halted); s++) {
          a.exec.run(budget);
          b.exec.run(budget);
          expectSameMachines(a, b, `budget ${budget}, slice ${s}`);
          expect(tlb(b.cpu), `TLB, budget ${budget}, slice ${s}`).toEqual(tlb(a.cpu));
        }
        expect(b.cpu.halted).toBe(true);
        expect(b.exec.blocksCompiledWasm).toBeGreaterThan(0);
        // Each directory's frame was read every other pass: CR3 did change.
        expect(b.mem.read32(0x7004) >>> 0).toBe(((LOOPS / 2) * (0x12345678 + 0x9abcdef0)) >>> 0);
        // Eight a pass: in one run, only the first pass (its first writes to a page included) is the CPU's.
        // (Cut into slices, the end of each slice is interpreted.)
        if (budget > 1000) expect(slow).toBeLessThan(LOOPS);
      }
    });
});

describe('INT, a segment load and IRET after a CR3 load', () => {
  /**
   * Ring 3: l: inc %eax; int $0x40; dec %ecx; jnz l; hlt. The handler, ring 0: mov $0x23,%edx; mov %edx,%ds;
   * push %eax; pop %eax; mov %cr3,%edx; mov %edx,%cr3; iret. IRET finds its frame, the GDT and the code on pages
   * the TLB lost, and the next INT the IDT (on a page of its own), the TSS and the stack, as lguest's
   * Switcher does after each of its CR3 loads.
   */
  const code = '40 cd 40 49 75 fa f4 ba 23 00 00 00 8e da 50 58 0f 20 da 0f 22 da cf';
  const IDT = 0x3000;
  const LOOPS = 40;

  it('read their descriptors and gates through the walk in WebAssembly, and agree with the interpreter', () => {
    for (const budget of [5, 1_000_000]) {
      const make = (wasmAfter: number) => {
        const t = makeCpu(code, (c) => {
          enablePaging(c);
          setGate(c, 0x40, { offset: CODE + 7, sel: 0x08, type: 0xe, dpl: 3 });
          for (let k = 0; k < 0x800; k += 4) c.mem.write32(IDT + k, c.mem.read32(k));
          c.idtr = { sel: 0, base: IDT, limit: 0x7ff, attr: 0 };
          enterRing3(c);
          c.r32[1] = LOOPS;
        });
        t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter, wasmBatch: 1 });
        return t;
      };
      const a = make(Infinity), b = make(1);
      // The CPU's reads of descriptors, gates and the TSS (its handlers'), counted on the compiled machine.
      let system = 0;
      const rdSys32 = b.cpu.rdSys32.bind(b.cpu), rdSys16 = b.cpu.rdSys16.bind(b.cpu);
      b.cpu.rdSys32 = (lin) => { system++; return rdSys32(lin); };
      b.cpu.rdSys16 = (lin) => { system++; return rdSys16(lin); };
      for (let s = 0; s < 500 && !(a.cpu.halted && b.cpu.halted); s++) {
        a.exec.run(budget);
        b.exec.run(budget);
        expectSameMachines(a, b, `budget ${budget}, slice ${s}`);
      }
      expect(a.cpu.halted).toBe(true);
      expect(a.cpu.r32[0]).toBe(LOOPS);
      // Each pass reads four descriptors or gates and the TSS: in one run only the first passes are the CPU's.
      if (budget > 1000) expect(system).toBeLessThan(LOOPS);
    }
  });
});
