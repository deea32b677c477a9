/**
 * A tiny machine for instruction tests: 1 MiB of RAM, flat ring-0 segments
 * from a real GDT at 0x800, an IDT at 0x0 whose every gate leads to a HLT at
 * 0x900 (so an exception stops the run and can be inspected), paging off.
 * Code is placed at 0x1000 and runs from there.
 */
import { PhysicalMemory } from '../../src/vm/cpu/memory';
import { Cpu, CS, DS, ES, SS, FS, GS } from '../../src/vm/cpu/state';
import { Executor } from '../../src/vm/cpu/executor';
import { IoPorts } from '../../src/vm/ioports';
import { getFlags } from '../../src/vm/cpu/flags';

export const CODE = 0x1000, GDT = 0x800, TRAP_HLT = 0x900, STACK_TOP = 0x80000;

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
    cpu, mem, exec, io, lastVector: -1, lastCode: -1,
    run(n = 10_000) {
      exec.run(n);
    },
    flags: () => getFlags(cpu),
  };
  cpu.onVector = (v, code) => { t.lastVector = v; t.lastCode = code; };
  setup?.(cpu);
  return t;
}
