/**
 * What the generator knows while it writes a case, and the operands it
 * builds from that knowledge.
 *
 * Registers start each case with random values, but some of them hold
 * values with a purpose (a Role): a pointer into the scratch pages, a small
 * number (an index, a REP count), or (EBP) a frame pointer into the stack.
 * Memory operands are only built from registers whose role makes the
 * address land in scratch memory, so random code never writes over its own
 * code, its page tables or its IDT. Any instruction that writes a register
 * takes its role away; a move of a pointer keeps it.
 *
 * Segment registers are tracked the same way: a segment register is used
 * for an access only while its base is known (flat, or based at IMAGE) and
 * its segment is one QEMU treats as the manual does: QEMU checks nothing
 * on an access (no limit, no type, no null selector), so an access through
 * a null, code or 16-bit-limit segment would differ by design.
 */
import type { Asm, Label } from './asm';
import type { Rng } from './rng';
import * as L from './layout';

export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
export const SEG_PREFIX = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];

export type Role = 'ptr' | 'small' | 'stack' | 'any';

/** A segment register as the generator knows it: its selector, and its base if accesses through it are comparable. */
export interface Seg { sel: number; base: number | null; writable: boolean }

export class GenState {
  roles: Role[] = new Array<Role>(8).fill('any');
  segs: Seg[] = [];
  cpl: 0 | 3 = 0;
  /** Inside a CALL's body: the return address is on the stack, so nothing may move ESP or write the stack. */
  inBody = false;
  /** Inside a block that a branch may skip, or a call body: nothing that changes the privilege level there. */
  nested = 0;

  clone(): GenState {
    const s = new GenState();
    s.roles = this.roles.slice();
    s.segs = this.segs.map((g) => ({ ...g }));
    s.cpl = this.cpl;
    s.inBody = this.inBody;
    s.nested = this.nested;
    return s;
  }

  /** Where two paths join: keep only what holds on both. */
  meet(o: GenState): void {
    for (let r = 0; r < 8; r++) if (this.roles[r] !== o.roles[r]) this.roles[r] = 'any';
    for (let k = 0; k < 6; k++) {
      const a = this.segs[k], b = o.segs[k];
      if (a.sel !== b.sel || a.base !== b.base || a.writable !== b.writable) this.segs[k] = { sel: -1, base: null, writable: false };
    }
  }

  kill(reg: number): void {
    if (reg !== ESP) this.roles[reg] = 'any';
  }

  /** A write to byte register `r8` (AL..BH) changes the 32-bit register r8 & 3. */
  kill8(r8: number): void {
    this.kill(r8 & 3);
  }

  regsWith(role: Role): number[] {
    const out: number[] = [];
    for (let r = 0; r < 8; r++) if (r !== ESP && this.roles[r] === role) out.push(r);
    return out;
  }
}

/** A value that fits a role. */
export function valueFor(rng: Rng, role: Role): number {
  switch (role) {
    case 'ptr': return rng.range(L.PTR_LO, L.PTR_HI - 1);
    case 'small': return rng.int(16);
    case 'stack': return (L.STACK_MID + rng.range(-64, 64) * 4) >>> 0;
    default: return rng.interesting();
  }
}

/** A value for register `reg` with `role`; ESP only ever holds a stack address. */
export function valueForReg(ctx: Ctx, reg: number, role: Role): number {
  return valueFor(ctx.rng, reg === ESP ? 'stack' : role);
}

/** The generator's working set: randomness, the code being written, and what is known. */
export class Ctx {
  /** x87 streams: CR0.NE must stay set (with NE = 0 a pending x87 exception goes to FERR#, which we do not have). */
  x87 = false;

  constructor(
    readonly rng: Rng,
    public asm: Asm,
    public st: GenState,
    /** Writes `count` random instructions here (the generator's own loop): for blocks that branches skip and call bodies. */
    readonly block: (count: number) => void,
    /** Where SYSENTER lands (its MSR's value). */
    readonly landing: Label,
    /** Bugs of ours (exclusions.ts KNOWN_BUGS) whose cases are not generated, so that runs go past them. */
    readonly avoiding: ReadonlySet<string> = new Set(),
  ) {}

  emit(...parts: (number | number[])[]): void {
    for (const p of parts) {
      if (typeof p === 'number') this.asm.u8(p);
      else this.asm.u8(...p);
    }
  }

  /** A register to write: never ESP, and mostly one whose role nobody needs. */
  destReg(): number {
    const free = this.st.regsWith('any');
    if (free.length > 0 && this.rng.chance(0.75)) return this.rng.pick(free);
    return this.rng.pick([EAX, ECX, EDX, EBX, EBP, ESI, EDI]);
  }

  /** Give `reg` a role by loading a value that fits it (`mov reg, imm32`). */
  load(reg: number, role: Role, value = valueFor(this.rng, role)): void {
    this.emit(0xb8 + reg, le32(value));
    this.st.roles[reg] = role;
  }

  /** A register with `role`, loading one if none has it. */
  regWith(role: 'ptr' | 'small'): number {
    const have = this.st.regsWith(role);
    if (have.length > 0 && this.rng.chance(0.85)) return this.rng.pick(have);
    const r = this.destReg();
    this.load(r, role);
    return r;
  }
}

export function le16(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}
export function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

// ---- Memory operands -------------------------------------------------------------

/** A memory operand, ready to encode with any ModRM.reg value (and, for a far pointer's selector, an extra displacement). */
export interface Mem {
  /** Prefix bytes it needs: address size, segment override. */
  prefixes: number[];
  encode(reg: number, extra?: number): number[];
}

interface Form32 { base: number; index: number; scale: number; disp: number; dispSize: 0 | 8 | 32 }

function encode32(f: Form32, reg: number, extra = 0): number[] {
  // No displacement byte means a displacement of 0, whatever f.disp says (`extra` may still need one).
  const disp = ((f.dispSize === 0 && f.base >= 0 ? 0 : f.disp) + extra) | 0;
  let size = f.dispSize;
  if (size === 8 && (disp < -128 || disp > 127)) size = 32;
  if (size === 0 && (extra !== 0 || f.base === EBP)) size = disp >= -128 && disp <= 127 ? 8 : 32;
  if (f.base < 0 && f.index < 0) return [(reg << 3) | 5, ...le32(disp)];
  if (f.base < 0) return [(reg << 3) | 4, (f.scale << 6) | (f.index << 3) | 5, ...le32(disp)];
  const mod = size === 0 ? 0 : size === 8 ? 1 : 2;
  const tail = size === 0 ? [] : size === 8 ? [disp & 0xff] : le32(disp);
  if (f.index < 0 && f.base !== ESP) return [(mod << 6) | (reg << 3) | f.base, ...tail];
  return [(mod << 6) | (reg << 3) | 4, (f.scale << 6) | ((f.index < 0 ? 4 : f.index) << 3) | f.base, ...tail];
}

/** 16-bit forms: ModRM.rm 0-7 is [BX+SI] [BX+DI] [BP+SI] [BP+DI] [SI] [DI] [BP] [BX]; rm 6 with mod 0 is [disp16]. */
const RM16: [number, number][] = [[EBX, ESI], [EBX, EDI], [EBP, ESI], [EBP, EDI], [ESI, -1], [EDI, -1], [EBP, -1], [EBX, -1]];

function encode16(rm: number, disp: number, dispSize: 0 | 8 | 16, reg: number, extra = 0): number[] {
  const d = ((dispSize === 0 && rm !== -1 ? 0 : disp) + extra) & 0xffff;
  const sd = (d << 16) >> 16;
  if (rm === -1) return [(reg << 3) | 6, ...le16(d)];
  let size = dispSize;
  if (size === 8 && (sd < -128 || sd > 127)) size = 16;
  if (size === 0 && (extra !== 0 || rm === 6)) size = sd >= -128 && sd <= 127 ? 8 : 16;
  const mod = size === 0 ? 0 : size === 8 ? 1 : 2;
  return [(mod << 6) | (reg << 3) | rm, ...(size === 0 ? [] : size === 8 ? [d & 0xff] : le16(d))];
}

export interface MemRequest {
  /** Bytes accessed (for choosing a target that fits). */
  size: number;
  write: boolean;
  /**
   * Read, then written (ADD [m], r...). QEMU reads such an operand as a read
   * and writes it as a write; we (and Bochs) check the write on the read. A
   * fault then differs: the #PF error code's W bit on a not-present page (or
   * a supervisor page at ring 3), and on a read-only page QEMU has set the
   * PTE's Accessed bit by its read before the write faults. So these only
   * aim at the read-write pages.
   */
  rmw?: boolean;
  /** The address is computed but never accessed (LEA, INVLPG, hint NOPs): any form, any registers. */
  noAccess?: boolean;
}

/** A linear address to aim at: the RW scratch pages, now and then one of their neighbours (to fault). */
function target(rng: Rng, size: number, rmw: boolean): number {
  if (!rmw && rng.chance(0.03)) return rng.range(L.SCRATCH, L.SCRATCH + L.SCRATCH_PAGES.length * 0x1000 - size);
  // Away from the edges by more than a small index can add (15 * 8): an RMW must stay on the read-write pages.
  return rng.range(L.RW_LO + 128, L.RW_HI - 128 - size);
}

function dispSmall(rng: Rng): { disp: number; dispSize: 0 | 8 | 32 } {
  const k = rng.int(10);
  if (k < 3) return { disp: 0, dispSize: 0 };
  if (k < 9) return { disp: rng.range(-128, 127), dispSize: 8 };
  return { disp: rng.range(-0x600, 0x600), dispSize: 32 };
}

/** The segment an access goes through: the override, else SS for EBP/ESP bases, else DS. */
function segOf(override: number, base: number): number {
  return override >= 0 ? override : base === EBP || base === ESP ? SS : DS;
}

/**
 * A memory operand whose address lands where it may (see the file comment),
 * or null when the registers and segments known now allow none.
 */
export function memOperand(ctx: Ctx, req: MemRequest): Mem | null {
  const { rng, st } = ctx;
  if (req.noAccess) return anyAddress(ctx);
  const a16 = rng.chance(0.12);
  const usable = (k: number) => st.segs[k].base !== null && (!req.write || st.segs[k].writable);
  let override = -1;
  if (rng.chance(0.25)) {
    const ok = [0, 1, 2, 3, 4, 5].filter(usable);
    if (ok.length > 0) override = rng.pick(ok);
  }
  const prefixes = [...(a16 ? [0x67] : []), ...(override >= 0 ? [SEG_PREFIX[override]] : [])];
  const segBase = (base: number): number | null => (usable(segOf(override, base)) ? st.segs[segOf(override, base)].base : null);
  const t = target(rng, req.size, req.rmw === true);
  const ptrs = st.regsWith('ptr'), smalls = st.regsWith('small');
  const options: (() => Mem)[] = [];
  const add = (make: () => Mem) => options.push(make);

  if (!a16) {
    const m32 = (f: Form32): Mem => ({ prefixes, encode: (reg, extra) => encode32(f, reg, extra) });
    const scale = () => rng.int(4);
    // [disp32]: an absolute address, through any usable segment.
    if (segBase(-1) !== null) add(() => m32({ base: -1, index: -1, scale: 0, disp: t - (segBase(-1) as number), dispSize: 32 }));
    for (const p of ptrs) {
      if (segBase(p) === 0) {
        add(() => m32({ base: p, index: -1, scale: 0, ...dispSmall(rng) }));
        for (const i of smalls) add(() => m32({ base: p, index: i, scale: scale(), disp: rng.range(-128, 127), dispSize: 8 }));
      }
      // [ptr*1 + disp32], the SIB form with no base.
      if (segBase(-1) === 0) add(() => m32({ base: -1, index: p, scale: 0, disp: rng.range(-0x400, 0x400), dispSize: 32 }));
    }
    for (const i of smalls) {
      const b = segBase(-1);
      if (b !== null) add(() => m32({ base: -1, index: i, scale: scale(), disp: t - 64 - b, dispSize: 32 }));
      const bb = segBase(i);
      if (bb !== null) add(() => m32({ base: i, index: -1, scale: 0, disp: t - 16 - bb, dispSize: 32 }));
    }
    // The stack: [ESP+disp8] or [EBP+disp8] when EBP is a frame pointer. Not in a call body if it writes (the return address).
    if (!(req.write && st.inBody)) {
      if (segBase(ESP) === 0) {
        add(() => (rng.chance(0.2) ? m32({ base: ESP, index: -1, scale: 0, disp: 0, dispSize: 0 }) : m32({ base: ESP, index: -1, scale: 0, disp: rng.range(-64, 124), dispSize: 8 })));
        for (const i of smalls) add(() => m32({ base: ESP, index: i, scale: scale(), disp: rng.range(-64, 64), dispSize: 8 }));
      }
      if (st.roles[EBP] === 'stack' && segBase(EBP) === 0) add(() => m32({ base: EBP, index: -1, scale: 0, disp: rng.range(-64, 124), dispSize: 8 }));
    }
  } else {
    // 16-bit addresses reach the scratch pages only through a segment based at IMAGE: pointer values are IMAGE + 0x6800..0x77FF.
    const m16 = (rm: number, disp: number, dispSize: 0 | 8 | 16): Mem => ({ prefixes, encode: (reg, extra) => encode16(rm, disp, dispSize, reg, extra) });
    const ok = (rm: number) => segBase(rm === -1 ? -1 : RM16[rm][0]) === L.BASED_BASE;
    const off = t - L.BASED_BASE;
    if (ok(-1)) add(() => m16(-1, off, 16));
    RM16.forEach(([b, i], rm) => {
      if (!ok(rm)) return;
      const rb = st.roles[b], ri = i < 0 ? 'small' : st.roles[i];
      if (i < 0) {
        if (rb === 'ptr') add(() => m16(rm, rng.range(-128, 127), rng.chance(0.3) ? 0 : 8));
        if (rb === 'small') add(() => m16(rm, off - 16, 16));
      } else if ((rb === 'ptr' && ri === 'small') || (rb === 'small' && ri === 'ptr')) {
        add(() => m16(rm, rng.range(-128, 100), 8));
      } else if (rb === 'small' && ri === 'small') {
        add(() => m16(rm, off - 32, 16));
      }
    });
    // Now and then a 16-bit address through a flat segment: below 64 KiB, where nothing is mapped (#PF).
    const rm = rng.int(8);
    if (options.length === 0 && !req.rmw && segBase(RM16[rm][0]) === 0 && rng.chance(0.1)) add(() => m16(rm, rng.int(0x10000), 16));
  }
  if (options.length === 0) return null;
  return rng.pick(options)();
}

/** Any addressing form at all, with any registers: for instructions that compute an address without accessing it. */
function anyAddress(ctx: Ctx): Mem {
  const rng = ctx.rng;
  const prefixes: number[] = [];
  if (rng.chance(0.2)) prefixes.push(rng.pick(SEG_PREFIX));
  if (rng.chance(0.25)) {
    prefixes.push(0x67);
    const mod = rng.int(3), rm = rng.int(8);
    if (mod === 0 && rm === 6) {
      const abs = rng.int(0x10000);
      return { prefixes, encode: (reg, extra) => encode16(-1, abs, 16, reg, extra) };
    }
    const disp = mod === 1 ? rng.range(-128, 127) : rng.interesting();
    return { prefixes, encode: (reg, extra) => encode16(rm, disp, mod === 0 ? 0 : mod === 1 ? 8 : 16, reg, extra) };
  }
  const base = rng.chance(0.15) ? -1 : rng.int(8);
  const index = rng.chance(0.4) ? -1 : rng.pick([EAX, ECX, EDX, EBX, EBP, ESI, EDI]);
  const k = rng.int(3);
  const f: Form32 = { base, index, scale: rng.int(4), disp: k === 0 ? 0 : k === 1 ? rng.range(-128, 127) : rng.interesting() | 0, dispSize: k === 0 ? 0 : k === 1 ? 8 : 32 };
  return { prefixes, encode: (reg, extra) => encode32(f, reg, extra) };
}
