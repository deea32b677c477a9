/**
 * A tiny machine for instruction tests: 1 MiB of RAM, flat ring-0 segments
 * from a real GDT at 0x800, an IDT at 0x0 whose every gate leads to a HLT at
 * 0x900 (so an exception stops the run and can be inspected), paging off.
 * Code is placed at 0x1000 and runs from there.
 *
 * Helpers below build what protection tests need: descriptors and gates, a
 * TSS (optionally with an I/O permission bitmap), a switch to ring 3, and an
 * identity-mapped page table.
 */
import { PhysicalMemory } from '../../src/vm/cpu/memory';
import { Cpu, CS, DS, ES, SS, FS, GS, ESP, CR0_PG } from '../../src/vm/cpu/state';
import { Executor } from '../../src/vm/cpu/executor';
import { IoPorts } from '../../src/vm/ioports';
import { getFlags } from '../../src/vm/cpu/flags';

export const CODE = 0x1000, GDT = 0x800, TRAP_HLT = 0x900, STACK_TOP = 0x80000;
/** Ring-3 stack top (enterRing3), the TSS (installTss), the page directory and first page table (enablePaging). */
export const USER_STACK = 0x60000, TSS_BASE = 0x10000, PAGE_DIR = 0x20000, PAGE_TABLE = 0x21000;
/** GDT selectors: the harness's flat segments, the TSS, and free slots 0x30..0xf8 for tests. */
export const SEL_CODE0 = 0x08, SEL_DATA0 = 0x10, SEL_CODE3 = 0x1b, SEL_DATA3 = 0x23, SEL_TSS = 0x28;

/** One exception or interrupt delivered: vector, error code (-1: none), EIP pushed. */
export interface Delivery { vector: number; code: number; eip: number }

/** The frame an exception handler finds on its stack (esp/ss only after a privilege change). */
export interface Frame { code?: number; eip: number; cs: number; eflags: number; esp?: number; ss?: number }

export interface TestCpu {
  cpu: Cpu;
  mem: PhysicalMemory;
  exec: Executor;
  io: IoPorts;
  /** Run n instructions (default: until HLT or 10,000 instructions). */
  run(n?: number): void;
  flags(): number;
  /** Vector and error code of the last exception taken (-1 if none). */
  lastVector: number;
  lastCode: number;
  /** Every exception or interrupt delivered, in order. */
  history: Delivery[];
  /** Address of the HLT placed after the code. */
  end: number;
  /** The frame of the last exception, read at ESP (call it when stopped at TRAP_HLT). */
  frame(): Frame;
}

/** Parse hex bytes such as "01 d8" or "01d8". */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let k = 0; k < out.length; k++) out[k] = parseInt(clean.slice(2 * k, 2 * k + 2), 16);
  return out;
}

export function makeCpu(code: string | Uint8Array, setup?: (c: Cpu) => void): TestCpu {
  const mem = new PhysicalMemory(1 << 20);
  const io = new IoPorts();
  const cpu = new Cpu(mem, io);
  const exec = new Executor(cpu);
  // GDT: null, flat code 0x08, flat data 0x10, ring-3 code 0x1b, ring-3 data 0x23.
  const gdt = [0, 0, 0x0000ffff, 0x00cf9b00, 0x0000ffff, 0x00cf9300, 0x0000ffff, 0x00cffb00, 0x0000ffff, 0x00cff300];
  gdt.forEach((v, k) => mem.write32(GDT + 4 * k, v));
  cpu.gdtr = { sel: 0, base: GDT, limit: gdt.length * 4 - 1, attr: 0 };
  for (let v = 0; v < 256; v++) {
    // 32-bit interrupt gates, DPL 3, all to TRAP_HLT.
    mem.write32(v * 8, (0x08 << 16) | TRAP_HLT);
    mem.write32(v * 8 + 4, 0x0000ee00);
  }
  cpu.idtr = { sel: 0, base: 0, limit: 256 * 8 - 1, attr: 0 };
  mem.write8(TRAP_HLT, 0xf4);
  cpu.setCpl(0);
  cpu.setSegmentCache(CS, 0x08, 0, 0xffffffff, 0xc09b);
  for (const s of [DS, ES, SS, FS, GS]) cpu.setSegmentCache(s, 0x10, 0, 0xffffffff, 0xc093);
  cpu.r32[4] = STACK_TOP;
  cpu.eip = CODE;
  const bytes = typeof code === 'string' ? hex(code) : code;
  mem.load(CODE, bytes);
  mem.write8(CODE + bytes.length, 0xf4);
  const t: TestCpu = {
    cpu, mem, exec, io, lastVector: -1, lastCode: -1, history: [], end: CODE + bytes.length,
    // Through t.exec: a test may put an Executor with other options in its place.
    run(n = 10_000) {
      t.exec.run(n);
    },
    flags: () => getFlags(cpu),
    frame() {
      const at = (k: number) => mem.read32(cpu.r32[ESP] + 4 * k) >>> 0;
      const k = t.lastCode >= 0 ? 1 : 0;
      const f: Frame = { eip: at(k), cs: at(k + 1) & 0xffff, eflags: at(k + 2) };
      if (t.lastCode >= 0) f.code = at(0);
      if ((f.cs & 3) !== cpu.cpl) { f.esp = at(k + 3); f.ss = at(k + 4) & 0xffff; }
      return f;
    },
  };
  cpu.onVector = (v, code, eip) => {
    t.lastVector = v; t.lastCode = code;
    t.history.push({ vector: v, code, eip: eip >>> 0 });
  };
  setup?.(cpu);
  return t;
}

/** Initial registers and EFLAGS for runCode (registers not named keep the harness's values). */
export interface Init { eax?: number; ecx?: number; edx?: number; ebx?: number; esp?: number; ebp?: number; esi?: number; edi?: number; flags?: number }

/** makeCpu with registers and flags set, then run until the HLT. */
export function runCode(code: string, init: Init = {}, setup?: (c: Cpu) => void): TestCpu {
  const t = makeCpu(code, (c) => {
    (['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const).forEach((name, r) => {
      const v = init[name];
      if (v !== undefined) c.r32[r] = v;
    });
    if (init.flags !== undefined) setFlags(c, init.flags);
    setup?.(c);
  });
  t.run();
  return t;
}

/** Set EFLAGS outright (bit 1 always reads as 1). */
export function setFlags(c: Cpu, f: number): void {
  c.flagsRaw = f | 2;
  c.lazyMask = 0;
}

/**
 * Write a descriptor for `sel` into the GDT that GDTR names (growing its limit to cover it).
 * `access` is the descriptor's access byte (P, DPL, S, type: 0x93 = present
 * ring-0 writable data), `flags` its top nibble (G, D/B), `limit` 20 bits.
 */
export function setDescriptor(c: Cpu, sel: number, base: number, limit: number, access: number, flags = 0xc): void {
  const at = c.gdtr.base + (sel & 0xfff8);
  c.mem.write32(at, ((base & 0xffff) << 16) | (limit & 0xffff));
  c.mem.write32(at + 4, (base & 0xff000000) | (flags << 20) | (limit & 0xf0000) | (access << 8) | ((base >>> 16) & 0xff));
  c.gdtr.limit = Math.max(c.gdtr.limit, (sel & 0xfff8) + 7);
}

/** Point IDT gate `vector` somewhere: `type` 0xe interrupt gate, 0xf trap gate (32-bit). */
export function setGate(c: Cpu, vector: number, o: { offset?: number; sel?: number; type?: number; dpl?: number; present?: boolean } = {}): void {
  const offset = o.offset ?? TRAP_HLT, sel = o.sel ?? SEL_CODE0, type = o.type ?? 0xe, dpl = o.dpl ?? 3;
  c.mem.write32(vector * 8, (sel << 16) | (offset & 0xffff));
  c.mem.write32(vector * 8 + 4, (offset & 0xffff0000) | ((o.present ?? true) ? 0x8000 : 0) | (dpl << 13) | (type << 8));
}

/**
 * A 32-bit TSS at TSS_BASE, loaded in TR (selector SEL_TSS, busy), with
 * SS0:ESP0 = SEL_DATA0:STACK_TOP. With `ioBitmap` it has an I/O permission
 * bitmap at offset 0x68 that denies every port (allowPort opens them) and
 * the trailing 0xff byte the manual asks for; without, the bitmap offset
 * lies beyond the limit, so there is no bitmap.
 */
export function installTss(c: Cpu, o: { ioBitmap?: boolean; esp0?: number; ss0?: number } = {}): void {
  const m = c.mem;
  for (let k = 0; k < 0x68; k += 4) m.write32(TSS_BASE + k, 0);
  m.write32(TSS_BASE + 4, o.esp0 ?? STACK_TOP);
  m.write32(TSS_BASE + 8, o.ss0 ?? SEL_DATA0);
  m.write16(TSS_BASE + 0x66, 0x68);
  let limit = 0x67;
  if (o.ioBitmap) {
    for (let k = 0; k <= 0x2000; k++) m.write8(TSS_BASE + 0x68 + k, 0xff);
    limit = 0x68 + 0x2000;
  }
  setDescriptor(c, SEL_TSS, TSS_BASE, limit, 0x8b, 0); // present, DPL 0, busy 32-bit TSS
  c.tr = { sel: SEL_TSS, base: TSS_BASE, limit, attr: 0x8b };
}

/** Clear the bitmap bit of `port` (installTss with ioBitmap first). */
export function allowPort(c: Cpu, port: number): void {
  const at = TSS_BASE + 0x68 + (port >>> 3);
  c.mem.write8(at, c.mem.read8(at) & ~(1 << (port & 7)));
}

/**
 * Continue at ring 3: CS = SEL_CODE3, SS/DS/ES/FS/GS = SEL_DATA3,
 * ESP = USER_STACK, with a TSS (installed if TR is empty) so that
 * exceptions reach the ring-0 handler at TRAP_HLT on SS0:ESP0. The HLT after
 * the code then raises #GP(0) at `end`, which is how a ring-3 run stops.
 */
export function enterRing3(c: Cpu): void {
  if (c.tr.sel === 0) installTss(c);
  c.setCpl(3);
  c.setSegmentCache(CS, SEL_CODE3, 0, 0xffffffff, 0xc0fb);
  for (const s of [DS, ES, SS, FS, GS]) c.setSegmentCache(s, SEL_DATA3, 0, 0xffffffff, 0xc0f3);
  c.r32[ESP] = USER_STACK;
}

/**
 * Turn paging on with the first 4 MiB identity-mapped by 4 KiB pages,
 * present, writable and user-accessible (PAGE_DIR, PAGE_TABLE). Change a
 * page's entry through pteAddr.
 */
export function enablePaging(c: Cpu): void {
  for (let k = 0; k < 1024; k++) {
    c.mem.write32(PAGE_DIR + 4 * k, 0);
    c.mem.write32(PAGE_TABLE + 4 * k, (k << 12) | 7);
  }
  c.mem.write32(PAGE_DIR, PAGE_TABLE | 7);
  c.cr3 = PAGE_DIR;
  c.cr0 |= CR0_PG;
  c.flushTlb(false);
}

/** Physical address of the page-table entry of a linear address below 4 MiB (enablePaging's table). */
export function pteAddr(lin: number): number {
  return PAGE_TABLE + 4 * ((lin >>> 12) & 0x3ff);
}

/** A register as an unsigned number. */
export function u32(v: number): number {
  return v >>> 0;
}

/** The general registers, unsigned, by name. */
export function regs(c: Cpu): { eax: number; ecx: number; edx: number; ebx: number; esp: number; ebp: number; esi: number; edi: number } {
  const r = (k: number) => c.r32[k] >>> 0;
  return { eax: r(0), ecx: r(1), edx: r(2), ebx: r(3), esp: r(4), ebp: r(5), esi: r(6), edi: r(7) };
}

const FLAG_NAMES: [number, string][] = [[0x1, 'CF'], [0x4, 'PF'], [0x10, 'AF'], [0x40, 'ZF'], [0x80, 'SF'], [0x100, 'TF'], [0x200, 'IF'], [0x400, 'DF'], [0x800, 'OF']];
/** EFLAGS bits as names in bit order, e.g. 'CF ZF' ('' for none): readable test failures. */
export function flagNames(f: number): string {
  return FLAG_NAMES.filter(([bit]) => (f & bit) !== 0).map(([, name]) => name).join(' ');
}

/** Put code (hex bytes) at a physical address: handlers, call targets. */
export function poke(c: Cpu, addr: number, code: string): void {
  c.mem.load(addr, hex(code));
}
