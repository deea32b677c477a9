/**
 * Where everything of a random kernel lives. One image loaded at 1 MiB holds
 * it all, tables first (at fixed addresses the code can name) and code last:
 *
 *   0x100000  Multiboot header, then a jump to the start
 *   0x101000  page directory        0x102000  page table (0-4 MiB)
 *   0x103000  GDT, the NEXT variable, TSS, IDT
 *   0x104000  scratch: six pages, each with a purpose (SCRATCH_PAGES)
 *   0x10A000  the cases' stack (16 KiB; ESP starts near the middle)
 *   0x10E000  the ring-0 stack exceptions from ring 3 switch to
 *   0x10F000  per-case register blocks (80 bytes each), then the code
 *
 * Paging maps 1-4 MiB one to one. The first MiB is left unmapped on
 * purpose: QEMU has ROM and holes there where we have RAM, so any wild
 * access must fault the same way in both rather than read different bytes.
 */
export const IMAGE = 0x100000;
export const PAGE_DIR = 0x101000;
export const PAGE_TABLE = 0x102000;
export const SYS = 0x103000;
export const GDT = SYS;
/** The address of the next case: where exception handlers resume. */
export const NEXT = SYS + 0x100;
export const GDTR = SYS + 0x110;
export const IDTR = SYS + 0x118;
export const TSS = SYS + 0x200;
export const IDT = SYS + 0x400;
/** Vectors 0-0x80 have IDT entries; INT n above that is beyond the IDT's limit (#GP). */
export const IDT_VECTORS = 0x81;

export const SCRATCH = 0x104000;
/** What each scratch page is for: random memory operands aim at the two RW pages, sometimes at their neighbours. */
export const SCRATCH_PAGES = ['not present', 'read-only', 'read-write', 'read-write', 'supervisor-only', 'not present'] as const;
/** The read-write scratch pages, where memory operands land. */
export const RW_LO = SCRATCH + 0x2000, RW_HI = SCRATCH + 0x4000;
/** A pointer register holds a value here: around the page boundary between the RW pages, with room for displacements and string steps. */
export const PTR_LO = RW_LO + 0x800, PTR_HI = RW_HI - 0x800;

export const STACK_LO = 0x10a000, STACK_HI = 0x10e000;
export const STACK_MID = (STACK_LO + STACK_HI) / 2;
export const STACK0_TOP = 0x10f000;
export const TABLES = 0x10f000;
export const TABLE_SIZE = 80;

/** The end of the mapped memory (the page table covers the first 4 MiB). */
export const MAPPED_END = 0x400000;

/** A data segment based at IMAGE: with it, 16-bit addresses (0..0xFFFF) reach the scratch pages. */
export const BASED_BASE = IMAGE;

/** The base of the mixed-stack segments: offset 0x10000 is the middle of the stack pages. */
export const WINDOW_BASE = STACK_MID - 0x10000;

/** GDT selectors (RPL 0 unless the name says 3). */
export const SEL = {
  CODE0: 0x08,
  DATA0: 0x10,
  CODE3: 0x1b,
  DATA3: 0x23,
  TSS: 0x28,
  /** Ring-3 data based at BASED_BASE. */
  BASED3: 0x33,
  /** Execute-only code: a data segment register refuses it. */
  XONLY: 0x38,
  /** A data segment marked not present. */
  ABSENT: 0x40,
  /** A 16-bit data segment with a 64 KiB limit: loads fine, but QEMU does not check limits, so it is never used for an access. */
  DATA16: 0x48,
  /** Conforming readable ring-0 code. */
  CONFORMING: 0x50,
  /**
   * Stack segments based at WINDOW_BASE, ring 0 and ring 3: 16-bit ones (B = 0, limit 0xFFFF), whose SP
   * from 0xE000 up addresses the lower half of the stack pages, and 32-bit ones (B = 1, 4 GiB), whose ESP
   * around 0x10000 addresses the stack pages (templates.ts mixedStack).
   */
  STACK16: 0x58,
  STACK16_3: 0x63,
  WINDOW32: 0x68,
  WINDOW32_3: 0x73,
} as const;
export const GDT_LIMIT = 0x77;

/** A GDT entry as the generator builds it and models loads of it. */
export interface Descriptor {
  kind: 'code' | 'data' | 'tss';
  dpl: number;
  base: number;
  present: boolean;
  /** Code: readable; data: writable. */
  rw: boolean;
  conforming?: boolean;
  /** Accesses through it compare: flat or based, 4 GiB limit, data (QEMU checks nothing on an access). */
  comparable: boolean;
  /** Byte-granular limit 0xFFFF, 16-bit (otherwise 4 GiB, 32-bit). */
  small?: boolean;
}

/** The GDT, by index (selector >> 3); index 0 is the null descriptor. */
export const DESCRIPTORS: (Descriptor | null)[] = [
  null,
  { kind: 'code', dpl: 0, base: 0, present: true, rw: true, comparable: false },
  { kind: 'data', dpl: 0, base: 0, present: true, rw: true, comparable: true },
  { kind: 'code', dpl: 3, base: 0, present: true, rw: true, comparable: false },
  { kind: 'data', dpl: 3, base: 0, present: true, rw: true, comparable: true },
  { kind: 'tss', dpl: 0, base: TSS, present: true, rw: false, comparable: false },
  { kind: 'data', dpl: 3, base: BASED_BASE, present: true, rw: true, comparable: true },
  { kind: 'code', dpl: 0, base: 0, present: true, rw: false, comparable: false },
  { kind: 'data', dpl: 0, base: 0, present: false, rw: true, comparable: false },
  { kind: 'data', dpl: 0, base: 0, present: true, rw: true, comparable: false, small: true },
  { kind: 'code', dpl: 0, base: 0, present: true, rw: true, conforming: true, comparable: false },
  { kind: 'data', dpl: 0, base: WINDOW_BASE, present: true, rw: true, comparable: false, small: true },
  { kind: 'data', dpl: 3, base: WINDOW_BASE, present: true, rw: true, comparable: false, small: true },
  { kind: 'data', dpl: 0, base: WINDOW_BASE, present: true, rw: true, comparable: false },
  { kind: 'data', dpl: 3, base: WINDOW_BASE, present: true, rw: true, comparable: false },
];

/** The 8 bytes of a descriptor. */
export function descriptorBytes(d: Descriptor | null): number[] {
  if (d === null) return [0, 0, 0, 0, 0, 0, 0, 0];
  const limit = d.kind === 'tss' ? 0x67 : d.small ? 0xffff : 0xfffff;
  let type: number;
  if (d.kind === 'tss') type = 0x9;
  else if (d.kind === 'code') type = 0x19 | (d.conforming ? 4 : 0) | (d.rw ? 2 : 0); // accessed already: the CPU need not write it
  else type = 0x11 | (d.rw ? 2 : 0);
  const access = (d.present ? 0x80 : 0) | (d.dpl << 5) | type;
  const flags = d.kind === 'tss' || d.small ? 0 : 0xc; // 4 KiB granularity, 32-bit
  const b = d.base;
  return [limit & 0xff, (limit >> 8) & 0xff, b & 0xff, (b >> 8) & 0xff, (b >> 16) & 0xff, access, (flags << 4) | ((limit >> 16) & 0xf), (b >>> 24) & 0xff];
}

/** The descriptor a selector names, or null (null selector, LDT, beyond the GDT's limit). */
export function descriptorOf(sel: number): Descriptor | null {
  if ((sel & 4) !== 0) return null;
  return DESCRIPTORS[sel >> 3] ?? null;
}
