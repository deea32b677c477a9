/**
 * The CPU's state and its view of memory: registers, segment descriptor
 * caches, control registers, and every data access going through
 * segmentation (base and limit checks) and paging (a software TLB in front of
 * the page-table walk in paging.ts).
 *
 * Instruction semantics live in ops/, decoding in decoder.ts, exception
 * delivery in interrupts.ts, the run loop in executor.ts.
 */
import { PhysicalMemory } from './memory';
import { raise, Vec, type FaultState } from './fault';
import { Lazy } from './flags';
import { translate, tlbIndex, TLB_SIZE, R_S, W_S, R_U, W_U } from './paging';
import { FpuState } from './fpu/state';
import {
  REGS, SEG_SEL, SEG_BASE, SEG_LIMIT, SEG_ATTR, GDTR_BASE, IDTR_BASE, TR_BASE, SEG_FLAT_R, SEG_FLAT_W, ACC_R, TLB_TAG, TLB_PHYS, TLB_RIGHTS,
  TLB_GLOBAL, TLB_LARGE, TLB_USED, CONTROL, CONTROL_WORDS, FLAGS, FLAGS_WORDS,
} from './wasm/layout';

/** Segment register numbers, in the order the instruction encoding uses. */
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
export const SEG_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

/** General register numbers. */
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

/** Control register bits we act on. */
export const CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 0x10, CR0_NE = 0x20, CR0_WP = 0x10000, CR0_AM = 0x40000, CR0_PG = 0x80000000 | 0;
export const CR4_TSD = 0x4, CR4_DE = 0x8, CR4_PSE = 0x10, CR4_PGE = 0x80;

/** Descriptor attribute bits, as kept in a cache: bits 8..23 of the descriptor's high word, shifted down by 8. */
export const ATTR_ACCESSED = 0x1, ATTR_S = 0x10, ATTR_P = 0x80, ATTR_DB = 0x4000, ATTR_G = 0x8000;

/** Port I/O, as the machine's devices see it. */
export interface IoBus {
  in(port: number, size: 1 | 2 | 4): number;
  out(port: number, size: 1 | 2 | 4, value: number): void;
}

/** A cached system segment (LDTR, TR) or descriptor table register. */
export interface SystemSegment { sel: number; base: number; limit: number; attr: number }

/** GDTR or IDTR, its base and limit in the machine's memory (uint32 each), where compiled blocks read and write them. */
class SystemSegmentInMemory implements SystemSegment {
  /** Base, limit, attributes, selector. */
  constructor(private readonly words: Uint32Array) {}
  get sel(): number { return this.words[3]; }
  set sel(v: number) { this.words[3] = v; }
  get base(): number { return this.words[0]; }
  set base(v: number) { this.words[0] = v; }
  get limit(): number { return this.words[1]; }
  set limit(v: number) { this.words[1] = v; }
  get attr(): number { return this.words[2]; }
  set attr(v: number) { this.words[2] = v; }
}

function copySystemSegment(to: SystemSegment, v: SystemSegment): void {
  to.sel = v.sel; to.base = v.base; to.limit = v.limit; to.attr = v.attr;
}

export class Cpu implements FaultState {
  readonly mem: PhysicalMemory;
  io: IoBus;

  // General registers, with 16- and 8-bit views of the same bytes.
  readonly r32: Int32Array;
  readonly r16: Uint16Array;
  readonly r8: Uint8Array;
  eip = 0;
  /** EIP of the next instruction, set before each instruction runs; jumps overwrite it. */
  eipNext = 0;

  /**
   * EFLAGS: concrete bits plus the lazily computed arithmetic ones (flags.ts), in the machine's memory, where
   * compiled WebAssembly reads and writes them too (wasm/layout.ts FLAGS).
   */
  private readonly flagWords: Int32Array;
  get flagsRaw(): number { return this.flagWords[0]; }
  set flagsRaw(v: number) { this.flagWords[0] = v; }
  get lazyMask(): number { return this.flagWords[1]; }
  set lazyMask(v: number) { this.flagWords[1] = v; }
  get lazyOp(): Lazy { return this.flagWords[2]; }
  set lazyOp(v: Lazy) { this.flagWords[2] = v; }
  get lazySize(): number { return this.flagWords[3]; }
  set lazySize(v: number) { this.flagWords[3] = v; }
  get lazyA(): number { return this.flagWords[4]; }
  set lazyA(v: number) { this.flagWords[4] = v; }
  get lazyB(): number { return this.flagWords[5]; }
  set lazyB(v: number) { this.flagWords[5] = v; }
  get lazyRes(): number { return this.flagWords[6]; }
  set lazyRes(v: number) { this.flagWords[6] = v; }
  get lazyCarry(): number { return this.flagWords[7]; }
  set lazyCarry(v: number) { this.flagWords[7] = v; }

  // Segment registers: visible selector and hidden descriptor cache.
  readonly segSel: Uint16Array;
  readonly segBase: Int32Array;
  readonly segLimit: Uint32Array;
  readonly segAttr: Uint16Array;
  /** 1 when reads (or writes) through this segment need no checks: flat, base 0, 4 GiB, usable. */
  readonly segFlatR: Uint8Array;
  readonly segFlatW: Uint8Array;
  /** The CPL (setCpl sets it), in the machine's memory with the rights it gives (modeCells). */
  get cpl(): number { return this.modeCells[3]; }
  /** CS.D and SS.B: default operand size of code, size of stack pointer (SS.B in memory too: setStack32). */
  code32 = true;
  get stack32(): boolean { return this.modeCells[2] !== 0; }

  private readonly gdtrInMemory: SystemSegmentInMemory;
  private readonly idtrInMemory: SystemSegmentInMemory;
  private readonly trInMemory: SystemSegmentInMemory;
  /** GDTR, IDTR and TR. Given a new value, each copies it (its base, limit and attributes live in the machine's memory). */
  get gdtr(): SystemSegment { return this.gdtrInMemory; }
  set gdtr(v: SystemSegment) { copySystemSegment(this.gdtrInMemory, v); }
  get idtr(): SystemSegment { return this.idtrInMemory; }
  set idtr(v: SystemSegment) { copySystemSegment(this.idtrInMemory, v); }
  get tr(): SystemSegment { return this.trInMemory; }
  set tr(v: SystemSegment) { copySystemSegment(this.trInMemory, v); }
  ldtr: SystemSegment = { sel: 0, base: 0, limit: 0, attr: 0 };

  /** CR0, CR3 and CR4 live in the machine's memory, where the page walk in WebAssembly reads them (wasm/walk.ts). */
  private readonly control: Int32Array;
  get cr0(): number { return this.control[0]; }
  set cr0(v: number) { this.control[0] = v; }
  cr2 = 0;
  get cr3(): number { return this.control[1]; }
  set cr3(v: number) { this.control[1] = v; }
  get cr4(): number { return this.control[2]; }
  set cr4(v: number) { this.control[2] = v; }
  /** Debug registers; DR6 and DR7 start with their reserved bits as the manual gives them. */
  readonly dr = Int32Array.from([0, 0, 0, 0, 0, 0, 0xffff0ff0 | 0, 0x400]);
  /**
   * The breakpoints DR7 enables (L or G), by kind, bit n for DRn (updateDebug keeps them): instruction
   * (R/W 00), data (R/W 01 write, 11 read or write) and I/O (R/W 10, only with CR4.DE). `dbArmed` is
   * their union: while it is non-zero the run loop takes one instruction at a time (executor.ts).
   */
  dbInstr = 0;
  /** In the machine's memory too: the page walk in WebAssembly leaves pages to paging.ts while there are any. */
  get dbData(): number { return this.control[4]; }
  set dbData(v: number) { this.control[4] = v; }
  dbWriteOnly = 0;
  dbIo = 0;
  dbArmed = 0;
  /** The bytes (or ports) breakpoint n covers: DRn aligned down to its length, first and last. */
  readonly dbLo = new Float64Array(4);
  readonly dbHi = new Float64Array(4);
  /** B0-B3 of the data and I/O breakpoints the current instruction matched: a #DB trap after it. */
  dbHit = 0;
  msrSysenterCs = 0;
  msrSysenterEsp = 0;
  msrSysenterEip = 0;
  /** IA32_APIC_BASE's base address bits (ops/system.ts: the APIC itself is absent and disabled). */
  msrApicBase = 0xfee00000 | 0;
  /**
   * The x87 (fpu/state.ts). It starts in FNINIT's state (FCW 037FH, every
   * register empty), as QEMU resets it, rather than the 0040H/5555H that the
   * SDM's Table 9-1 gives for power-up: every Guest runs FNINIT first anyway,
   * and the lockstep reference then agrees from the first instruction.
   */
  readonly fpu = FpuState.atReset();

  /** Told of every exception or interrupt delivered (vector, error code or -1, EIP pushed): for tracing. */
  onVector: ((vector: number, code: number, eip: number) => void) | null = null;
  /** Exceptions and interrupts delivered, by vector (for statistics). */
  readonly vectorCounts = new Float64Array(256);
  /** The machine's clock: instructions retired (each REP iteration counts). */
  instructions = 0;
  /**
   * The clock when a REP string last left off with iterations to go (ops/string.ts): an interrupt
   * taken at that very count arrives between two iterations and pushes RF = 1 (SDM Vol. 3 §17.3.1.1).
   */
  repLeftOffAt = -1;
  /** Offset added to the instruction count to give the TSC (WRMSR to the TSC sets it). */
  tscOffset = 0;
  /** The run loop stops once `instructions` reaches this (REP iterations count against it too). */
  instructionLimit = 0;
  halted = false;
  /** Interrupts are held off until after the next instruction (STI, MOV SS, POP SS). */
  interruptShadow = false;
  /**
   * A maskable interrupt line is raised; `ackInterrupt` gives its vector. In the machine's memory, where an IRET
   * written out in WebAssembly looks (wasm/gates.ts).
   */
  get intrLine(): boolean { return this.control[5] !== 0; }
  set intrLine(v: boolean) { this.control[5] = v ? 1 : 0; }
  ackInterrupt: () => number = () => -1;
  /**
   * What decides how code at a linear address is decoded and whether decoded blocks may be
   * cached and linked (executor.ts): 0 while CS is not flat (base 0, 4 GiB), else 1 for 16-bit
   * code, 2 for 32-bit. A CS load to the same kind of segment leaves it as it was.
   */
  codeMode = 0;
  /** Set when something outside the current block must be looked at (code written, mode changed, stop asked). */
  exitBlock = false;
  /** Why the machine stopped for good (triple fault, unsupported mode), or null. */
  shutdownReason: string | null = null;

  /** Index in its block of the instruction that faulted inside a compiled block. */
  faultIndex = 0;
  /** A handler recorded a fault without throwing it (fault.ts pendFault): the run loop delivers it. */
  faultPending = false;
  // The fault being raised (see fault.ts).
  faultVector = 0;
  faultCode = 0;
  faultHasCode = false;
  faultRf = false;

  // Software TLB, direct-mapped on the linear page number (paging.ts fills it).
  readonly tlbTag: Int32Array;
  /**
   * The physical frame, as an int32: one at or above 2 GiB is negative here, so every fast path makes
   * its address unsigned again (`(phys | offset) >>> 0`, which costs nothing in compiled code).
   */
  readonly tlbPhys: Int32Array;
  readonly tlbRights: Uint8Array;
  readonly tlbGlobal: Uint8Array;
  /** The entry is a 4 KiB slice of a 4 MiB page: INVLPG anywhere in that page drops all its slices. */
  readonly tlbLarge: Uint8Array;
  /**
   * The entries filled since the last flush (at most TLB_SIZE are listed; past that, a flush clears
   * them all). A flush at every CR3 load (the lguest Switcher does two per trap) then costs what
   * was used, not the whole table.
   */
  readonly tlbUsed: Int32Array;
  get tlbUsedCount(): number { return this.control[3]; }
  set tlbUsedCount(v: number) { this.control[3] = v; }
  /** Rights bit a data read or write needs at the current CPL (paging.ts R_S, W_S or R_U, W_U). */
  get accR(): number { return this.modeCells[0]; }
  get accW(): number { return this.modeCells[1]; }
  /**
   * accR, accW, stack32 and the CPL, in the machine's memory (wasm/layout.ts ACC_R...): compiled WebAssembly
   * reads them, and an IRET it writes out sets them.
   */
  private readonly modeCells: Int32Array;

  constructor(mem: PhysicalMemory, io: IoBus) {
    this.mem = mem;
    this.io = io;
    // What compiled WebAssembly reads lives in the machine's memory, in front of RAM (wasm/layout.ts).
    const buf = mem.wasm.buffer;
    this.r32 = new Int32Array(buf, REGS, 8);
    this.r16 = new Uint16Array(buf, REGS, 16);
    this.r8 = new Uint8Array(buf, REGS, 32);
    this.segSel = new Uint16Array(buf, SEG_SEL, 6);
    this.segBase = new Int32Array(buf, SEG_BASE, 6);
    this.segLimit = new Uint32Array(buf, SEG_LIMIT, 6);
    this.segAttr = new Uint16Array(buf, SEG_ATTR, 6);
    this.gdtrInMemory = new SystemSegmentInMemory(new Uint32Array(buf, GDTR_BASE, 4));
    this.gdtr = { sel: 0, base: 0, limit: 0xffff, attr: 0 };
    this.idtrInMemory = new SystemSegmentInMemory(new Uint32Array(buf, IDTR_BASE, 4));
    this.idtr = { sel: 0, base: 0, limit: 0x3ff, attr: 0 };
    this.trInMemory = new SystemSegmentInMemory(new Uint32Array(buf, TR_BASE, 4));
    this.tr = { sel: 0, base: 0, limit: 0, attr: 0 };
    this.segFlatR = new Uint8Array(buf, SEG_FLAT_R, 6);
    this.segFlatW = new Uint8Array(buf, SEG_FLAT_W, 6);
    this.tlbTag = new Int32Array(buf, TLB_TAG, TLB_SIZE).fill(-1);
    this.tlbPhys = new Int32Array(buf, TLB_PHYS, TLB_SIZE);
    this.tlbRights = new Uint8Array(buf, TLB_RIGHTS, TLB_SIZE);
    this.tlbGlobal = new Uint8Array(buf, TLB_GLOBAL, TLB_SIZE);
    this.tlbLarge = new Uint8Array(buf, TLB_LARGE, TLB_SIZE);
    this.tlbUsed = new Int32Array(buf, TLB_USED, TLB_SIZE);
    this.control = new Int32Array(buf, CONTROL, CONTROL_WORDS).fill(0);
    this.flagWords = new Int32Array(buf, FLAGS, FLAGS_WORDS).fill(0);
    this.flagsRaw = 0x2;
    this.lazyOp = Lazy.LOGIC;
    this.lazySize = 4;
    this.cr0 = CR0_PE | CR0_ET;
    this.modeCells = new Int32Array(buf, ACC_R, 4);
    this.setCpl(0);
    this.modeCells[2] = 1;
  }

  // ---- Registers -----------------------------------------------------------

  /** 8-bit register by encoding: AL CL DL BL AH CH DH BH. */
  getR8(r: number): number {
    return this.r8[r < 4 ? r << 2 : ((r - 4) << 2) + 1];
  }
  setR8(r: number, v: number): void {
    this.r8[r < 4 ? r << 2 : ((r - 4) << 2) + 1] = v;
  }
  getR16(r: number): number {
    return this.r16[r << 1];
  }
  setR16(r: number, v: number): void {
    this.r16[r << 1] = v;
  }

  setCpl(cpl: number): void {
    this.modeCells[0] = cpl === 3 ? R_U : R_S;
    this.modeCells[1] = cpl === 3 ? W_U : W_S;
    this.modeCells[3] = cpl;
  }

  /** Load a segment's hidden cache (checks are the caller's: segments.ts). */
  setSegmentCache(seg: number, sel: number, base: number, limit: number, attr: number): void {
    this.segSel[seg] = sel;
    this.segBase[seg] = base | 0;
    this.segLimit[seg] = limit >>> 0;
    this.segAttr[seg] = attr;
    const usable = (attr & ATTR_P) !== 0 && (attr & ATTR_S) !== 0;
    const isCode = (attr & 0x8) !== 0;
    const expandDown = !isCode && (attr & 0x4) !== 0;
    const flat = usable && base === 0 && limit >>> 0 === 0xffffffff && !expandDown;
    this.segFlatR[seg] = flat && (!isCode || (attr & 0x2) !== 0) ? 1 : 0;
    this.segFlatW[seg] = flat && !isCode && (attr & 0x2) !== 0 ? 1 : 0;
    if (seg === CS) {
      this.code32 = (attr & ATTR_DB) !== 0;
      this.codeMode = base === 0 && limit >>> 0 === 0xffffffff ? (this.code32 ? 2 : 1) : 0;
    }
    if (seg === SS) this.setStack32((attr & ATTR_DB) !== 0);
  }

  /** SS.B, as setSegmentCache sets it (compiled WebAssembly that loaded SS's cache itself has the CPU call this). */
  setStack32(b: boolean): void {
    this.modeCells[2] = b ? 1 : 0;
  }

  // ---- Segmentation --------------------------------------------------------

  /** Offset -> linear address for an access of `size` bytes, with the limit and type checks. */
  segCheck(seg: number, off: number, size: number, write: boolean): number {
    const attr = this.segAttr[seg];
    const fault = seg === SS ? Vec.SS : Vec.GP;
    if ((attr & ATTR_P) === 0 || (attr & ATTR_S) === 0) raise(this, fault, 0);
    const isCode = (attr & 0x8) !== 0;
    if (write ? isCode || (attr & 0x2) === 0 : isCode && (attr & 0x2) === 0) raise(this, Vec.GP, 0);
    const o = off >>> 0;
    const last = o + size - 1;
    const limit = this.segLimit[seg];
    if (!isCode && (attr & 0x4) !== 0) {
      const upper = (attr & ATTR_DB) !== 0 ? 0xffffffff : 0xffff;
      if (o <= limit || last > upper) raise(this, fault, 0);
    } else if (last > limit && limit !== 0xffffffff) {
      // Past the end of a 4 GiB segment the SDM (5.3) lets the implementation choose: QEMU, and our own
      // flat segments, wrap around.
      raise(this, fault, 0);
    }
    return (this.segBase[seg] + o) | 0;
  }

  // ---- Data access by segment:offset ---------------------------------------

  rd8(seg: number, off: number): number {
    return this.rdLin8(this.segFlatR[seg] !== 0 ? off : this.segCheck(seg, off, 1, false), this.accR);
  }
  rd16(seg: number, off: number): number {
    return this.rdLin16(this.segFlatR[seg] !== 0 ? off : this.segCheck(seg, off, 2, false), this.accR);
  }
  rd32(seg: number, off: number): number {
    return this.rdLin32(this.segFlatR[seg] !== 0 ? off : this.segCheck(seg, off, 4, false), this.accR);
  }
  wr8(seg: number, off: number, v: number): void {
    this.wrLin8(this.segFlatW[seg] !== 0 ? off : this.segCheck(seg, off, 1, true), v, this.accW);
  }
  wr16(seg: number, off: number, v: number): void {
    this.wrLin16(this.segFlatW[seg] !== 0 ? off : this.segCheck(seg, off, 2, true), v, this.accW);
  }
  wr32(seg: number, off: number, v: number): void {
    this.wrLin32(this.segFlatW[seg] !== 0 ? off : this.segCheck(seg, off, 4, true), v, this.accW);
  }
  /** Reads of a read-modify-write destination: checked for writing, so the write that follows cannot fault. */
  rdW8(seg: number, off: number): number {
    return this.rdLin8(this.segFlatW[seg] !== 0 ? off : this.segCheck(seg, off, 1, true), this.accW);
  }
  rdW16(seg: number, off: number): number {
    return this.rdLin16(this.segFlatW[seg] !== 0 ? off : this.segCheck(seg, off, 2, true), this.accW);
  }
  rdW32(seg: number, off: number): number {
    return this.rdLin32(this.segFlatW[seg] !== 0 ? off : this.segCheck(seg, off, 4, true), this.accW);
  }
  /** Check that a destination is writable before anything is changed. */
  probeWrite(seg: number, off: number, size: number): void {
    const lin = this.segFlatW[seg] !== 0 ? off : this.segCheck(seg, off, size, true);
    this.probeLinWrite(lin, size, this.accW);
  }

  // ---- Linear access through the TLB ---------------------------------------

  rdLin8(lin: number, need: number): number {
    const page = lin >>> 12, i = tlbIndex(page);
    if (this.tlbTag[i] === page && (this.tlbRights[i] & need) !== 0) return this.mem.bytes[(this.tlbPhys[i] | (lin & 0xfff)) >>> 0];
    const p = translate(this, lin, need);
    if (this.dbData !== 0) this.dataBreak(lin, 1, false);
    return this.mem.read8(p);
  }
  rdLin16(lin: number, need: number): number {
    const page = lin >>> 12, i = tlbIndex(page);
    if (this.tlbTag[i] === page && (this.tlbRights[i] & need) !== 0 && (lin & 0xfff) <= 0xffe) {
      return this.mem.view.getUint16((this.tlbPhys[i] | (lin & 0xfff)) >>> 0, true);
    }
    if ((lin & 0xfff) === 0xfff) return this.rdLin8(lin, need) | (this.rdLin8(lin + 1, need) << 8);
    const p = translate(this, lin, need);
    if (this.dbData !== 0) this.dataBreak(lin, 2, false);
    return this.mem.read16(p);
  }
  rdLin32(lin: number, need: number): number {
    const page = lin >>> 12, i = tlbIndex(page);
    if (this.tlbTag[i] === page && (this.tlbRights[i] & need) !== 0 && (lin & 0xfff) <= 0xffc) {
      return this.mem.view.getInt32((this.tlbPhys[i] | (lin & 0xfff)) >>> 0, true);
    }
    if ((lin & 0xfff) > 0xffc) {
      // Crossing a page: both pages are translated before any byte is used.
      const p0 = translate(this, lin, need), p1 = translate(this, (lin + 3) & ~0xfff, need);
      if (this.dbData !== 0) this.dataBreak(lin, 4, false);
      let v = 0;
      for (let k = 0; k < 4; k++) {
        const off = (lin & 0xfff) + k;
        v |= this.mem.read8(off < 0x1000 ? p0 + k : p1 + (off - 0x1000)) << (8 * k);
      }
      return v;
    }
    const p = translate(this, lin, need);
    if (this.dbData !== 0) this.dataBreak(lin, 4, false);
    return this.mem.read32(p);
  }

  wrLin8(lin: number, v: number, need: number): void {
    const page = lin >>> 12, i = tlbIndex(page);
    if (this.tlbTag[i] === page && (this.tlbRights[i] & need) !== 0) {
      const p = (this.tlbPhys[i] | (lin & 0xfff)) >>> 0;
      if (this.mem.codePages[p >>> 12] !== 0) this.codeWritten(p >>> 12, p, 1);
      this.mem.bytes[p] = v;
      return;
    }
    const p = translate(this, lin, need);
    if (this.dbData !== 0) this.dataBreak(lin, 1, true);
    if (this.mem.write8(p, v)) this.exitBlock = true;
  }
  wrLin16(lin: number, v: number, need: number): void {
    const page = lin >>> 12, i = tlbIndex(page);
    if (this.tlbTag[i] === page && (this.tlbRights[i] & need) !== 0 && (lin & 0xfff) <= 0xffe) {
      const p = (this.tlbPhys[i] | (lin & 0xfff)) >>> 0;
      if (this.mem.codePages[p >>> 12] !== 0) this.codeWritten(p >>> 12, p, 2);
      this.mem.view.setUint16(p, v, true);
      return;
    }
    this.wrLinSlow(lin, v, 2, need);
  }
  wrLin32(lin: number, v: number, need: number): void {
    const page = lin >>> 12, i = tlbIndex(page);
    if (this.tlbTag[i] === page && (this.tlbRights[i] & need) !== 0 && (lin & 0xfff) <= 0xffc) {
      const p = (this.tlbPhys[i] | (lin & 0xfff)) >>> 0;
      if (this.mem.codePages[p >>> 12] !== 0) this.codeWritten(p >>> 12, p, 4);
      this.mem.view.setInt32(p, v, true);
      return;
    }
    this.wrLinSlow(lin, v, 4, need);
  }
  private wrLinSlow(lin: number, v: number, size: number, need: number): void {
    // Translate every page the write touches first, so a fault leaves memory untouched.
    const p0 = translate(this, lin, need);
    const p1 = (lin & 0xfff) + size > 0x1000 ? translate(this, (lin + size - 1) & ~0xfff, need) : 0;
    if (this.dbData !== 0) this.dataBreak(lin, size, true);
    for (let k = 0; k < size; k++) {
      const off = (lin & 0xfff) + k;
      // Decoded code written (by a first write to a page, say): the block is left, it may be that code.
      if (this.mem.write8(off < 0x1000 ? p0 + k : p1 + (off - 0x1000), v >>> (8 * k))) this.exitBlock = true;
    }
  }
  probeLinWrite(lin: number, size: number, need: number): void {
    const page = lin >>> 12, i = tlbIndex(page);
    if (this.tlbTag[i] === page && (this.tlbRights[i] & need) !== 0 && (lin & 0xfff) <= 0x1000 - size) return;
    translate(this, lin, need);
    if ((lin & 0xfff) + size > 0x1000) translate(this, (lin + size - 1) & ~0xfff, need);
  }

  /** Supervisor-mode (implicit) accesses: descriptor tables and the TSS, whatever the CPL. */
  rdSys8(lin: number): number { return this.rdLin8(lin, R_S); }
  rdSys16(lin: number): number { return this.rdLin16(lin, R_S); }
  rdSys32(lin: number): number { return this.rdLin32(lin, R_S); }
  wrSys8(lin: number, v: number): void { this.wrLin8(lin, v, W_S); }
  wrSys16(lin: number, v: number): void { this.wrLin16(lin, v, W_S); }
  wrSys32(lin: number, v: number): void { this.wrLin32(lin, v, W_S); }

  /**
   * A write hit a page with cached decoded code (or a watched page): if it wrote decoded bytes, that
   * code is dropped and the current block left (it may be the code written).
   */
  codeWritten(page: number, addr = page * 4096, size = 1): void {
    if ((this.mem.codePages[page] & 2) !== 0) this.mem.onWatchedWrite(addr, size);
    if (this.mem.onCodeWrite(page, addr, size)) this.exitBlock = true;
  }

  // ---- Debug registers (SDM Vol. 3 §17.2) ------------------------------------

  /**
   * Read DR7, DR0-DR3 and CR4.DE again after a MOV to one of them. Each enabled breakpoint covers
   * LENn bytes (1, 2, 4; 10B, undefined on the P6, is taken as 8) from DRn with its low bits masked
   * (§17.2.5). A page that holds a data breakpoint is kept out of the TLB, so every access to it
   * takes the slow paths above, which check it: the fast paths (and compiled code) cost nothing more.
   */
  updateDebug(): void {
    const dr7 = this.dr[7];
    let ins = 0, data = 0, writeOnly = 0, io = 0;
    for (let n = 0; n < 4; n++) {
      if (((dr7 >>> (2 * n)) & 3) === 0) continue;
      const rw = (dr7 >>> (16 + 4 * n)) & 3, lenBits = (dr7 >>> (18 + 4 * n)) & 3;
      const len = lenBits === 2 ? 8 : lenBits + 1;
      const lo = (this.dr[n] >>> 0) - ((this.dr[n] >>> 0) % len);
      this.dbLo[n] = lo;
      this.dbHi[n] = Math.min(lo + len - 1, 0xffffffff);
      if (rw === 0) ins |= 1 << n;
      else if (rw === 2) { if ((this.cr4 & CR4_DE) !== 0) io |= 1 << n; } // 10B without DE: undefined, nothing
      else { data |= 1 << n; if (rw === 1) writeOnly |= 1 << n; }
    }
    // The TLB must forget (or may again keep) the pages of data breakpoints.
    if (data !== 0 || this.dbData !== 0) this.flushTlb(false);
    this.dbInstr = ins;
    this.dbData = data;
    this.dbWriteOnly = writeOnly;
    this.dbIo = io;
    this.dbArmed = ins | data | io;
    this.exitBlock = true;
  }

  /** Does linear page `page` hold an armed data breakpoint? (Such a page is never put in the TLB.) */
  dataBreakPage(page: number): boolean {
    for (let n = 0; n < 4; n++) {
      if (((this.dbData >> n) & 1) !== 0 && page >= this.dbLo[n] >>> 12 && page <= this.dbHi[n] >>> 12) return true;
    }
    return false;
  }

  /** A data access of `size` bytes at `lin`: note the breakpoints whose bytes it overlaps (§17.2.5). */
  dataBreak(lin: number, size: number, write: boolean): void {
    const a = lin >>> 0, b = a + size - 1;
    let hit = 0;
    for (let n = 0; n < 4; n++) {
      if (((this.dbData >> n) & 1) === 0 || (!write && ((this.dbWriteOnly >> n) & 1) !== 0)) continue;
      if (a <= this.dbHi[n] && b >= this.dbLo[n]) hit |= 1 << n;
    }
    if (hit !== 0) {
      this.dbHit |= hit;
      this.exitBlock = true;
    }
  }

  /** An IN, OUT, INS or OUTS of `size` bytes at `port`: note the I/O breakpoints it overlaps. */
  ioBreak(port: number, size: number): void {
    const b = port + size - 1;
    for (let n = 0; n < 4; n++) {
      if (((this.dbIo >> n) & 1) !== 0 && port <= this.dbHi[n] && b >= this.dbLo[n]) {
        this.dbHit |= 1 << n;
        this.exitBlock = true;
      }
    }
  }

  // ---- TLB maintenance -----------------------------------------------------

  /** Flush the TLB: all of it, or everything but global pages (a CR3 load with CR4.PGE). */
  flushTlb(keepGlobal: boolean): void {
    const n = this.tlbUsedCount;
    let kept = 0;
    if (n >= TLB_SIZE) {
      // The list overflowed: go through the whole table (and list the global entries kept).
      for (let i = 0; i < TLB_SIZE; i++) {
        if (this.tlbTag[i] === -1) continue;
        if (keepGlobal && this.tlbGlobal[i] !== 0) this.tlbUsed[kept++] = i;
        else this.tlbTag[i] = -1;
      }
    } else {
      for (let k = 0; k < n; k++) {
        const i = this.tlbUsed[k];
        if (keepGlobal && this.tlbGlobal[i] !== 0 && this.tlbTag[i] !== -1) this.tlbUsed[kept++] = i;
        else this.tlbTag[i] = -1;
      }
    }
    this.tlbUsedCount = kept;
  }
  invlpg(lin: number): void {
    const page = lin >>> 12, i = tlbIndex(page);
    if (this.tlbTag[i] === page) this.tlbTag[i] = -1;
    // A 4 MiB page is one translation to the CPU, however many slices of it we cached.
    const first = page & ~0x3ff;
    for (let p = first; p < first + 0x400; p++) {
      const j = tlbIndex(p);
      if (this.tlbTag[j] === p && this.tlbLarge[j] !== 0) this.tlbTag[j] = -1;
    }
  }

  // ---- Stack ---------------------------------------------------------------

  push32(v: number): void {
    if (this.stack32) {
      const sp = (this.r32[ESP] - 4) | 0;
      this.wr32(SS, sp, v);
      this.r32[ESP] = sp;
    } else {
      const sp = (this.r16[ESP << 1] - 4) & 0xffff;
      this.wr32(SS, sp, v);
      this.r16[ESP << 1] = sp;
    }
  }
  push16(v: number): void {
    if (this.stack32) {
      const sp = (this.r32[ESP] - 2) | 0;
      this.wr16(SS, sp, v);
      this.r32[ESP] = sp;
    } else {
      const sp = (this.r16[ESP << 1] - 2) & 0xffff;
      this.wr16(SS, sp, v);
      this.r16[ESP << 1] = sp;
    }
  }
  pop32(): number {
    if (this.stack32) {
      const v = this.rd32(SS, this.r32[ESP]);
      this.r32[ESP] = (this.r32[ESP] + 4) | 0;
      return v;
    }
    const v = this.rd32(SS, this.r16[ESP << 1]);
    this.r16[ESP << 1] = this.r16[ESP << 1] + 4;
    return v;
  }
  pop16(): number {
    if (this.stack32) {
      const v = this.rd16(SS, this.r32[ESP]);
      this.r32[ESP] = (this.r32[ESP] + 2) | 0;
      return v;
    }
    const v = this.rd16(SS, this.r16[ESP << 1]);
    this.r16[ESP << 1] = this.r16[ESP << 1] + 2;
    return v;
  }
  /** Read the stack at ESP + delta without moving ESP (POP that may still fault later). */
  peek32(delta: number): number {
    return this.rd32(SS, this.stack32 ? (this.r32[ESP] + delta) | 0 : (this.r16[ESP << 1] + delta) & 0xffff);
  }
  peek16(delta: number): number {
    return this.rd16(SS, this.stack32 ? (this.r32[ESP] + delta) | 0 : (this.r16[ESP << 1] + delta) & 0xffff);
  }
  getSP(): number {
    return this.stack32 ? this.r32[ESP] : this.r16[ESP << 1];
  }
  /** Move the stack pointer by delta, honouring the stack size. */
  addSP(delta: number): void {
    this.addSPSized(delta, this.stack32);
  }
  /** The same for a stack of the size given (ESP or SP alone), whatever SS is now. */
  addSPSized(delta: number, stack32: boolean): void {
    if (stack32) this.r32[ESP] = (this.r32[ESP] + delta) | 0;
    else this.r16[ESP << 1] = this.r16[ESP << 1] + delta;
  }
}
