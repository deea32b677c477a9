/**
 * What a WebAssembly block is written with (block.ts): the function's locals,
 * the registers in memory, an operand's address, a memory access as the TLB
 * hit written inline (state.ts rdLin32 and the others: a flat segment, the
 * tag, the right at the CPL, within the page, and for a write a page without
 * decoded code) with the CPU's own access through an import for anything
 * else, PUSH and POP, the lazy flags stored into the CPU's, what a condition reads, and
 * a handler's call.
 */
import type { Instr } from '../instr';
import { Code, OP } from './emit';
import {
  REGS, SEG_FLAT_R, SEG_FLAT_W, ACC_R, ACC_W, STACK32, TLB_TAG, TLB_PHYS, TLB_RIGHTS, CODE_PAGES, TLB_ENTRIES,
  SEG_SEL, SEG_BASE, SEG_LIMIT, SEG_ATTR, GDTR_BASE, GDTR_LIMIT, CPL,
  FLAGS_RAW, LAZY_MASK, LAZY_OP, LAZY_SIZE, LAZY_A, LAZY_B, LAZY_RES, LAZY_CARRY,
} from './layout';
import { CELL, CELL_AT, IMPORT } from './cells';
import { TLB_BITS, R_S } from '../paging';
import { ARITH, CF } from '../flags';

const SS = 2;
export const ESP = 4;
// Lazy kinds (flags.ts Lazy).
export const ADD = 0, ADC = 1, SUB = 2, SBB = 3, LOGIC = 4;

// Locals: the two parameters, then the block's own.
export const BASE = 0, PASSES = 1, FA = 2, FB = 3, FR = 4, O = 5, X = 6, P = 7, V = 8, CFL = 9, T = 10, F = 11;
// A region's (tier.ts): the body under way, and two for going from one body to the next.
export const CUR = 12, RA = 13, NX = 14;
/** EAX..EDI while the function runs (see Writer.spill). */
export const R0 = 15;
/** The lazy record not yet stored (see Writer.lazy): its operands, result and carry in. */
export const PA = 23, PB = 24, PR = 25, PC = 26;
/** For INT and IRET written out (gates.ts): what they gather before they change anything. */
export const G0 = 27, G1 = 28, G2 = 29, G3 = 30, G4 = 31, G5 = 32, G6 = 33;
export const LOCALS = 32;
// Then two i64 locals, for products and dividends.
export const L0 = 34, L1 = 35;
export const LOCALS64 = 2;

/**
 * What the last flag-setter of the block left in fa, fb, fr: a Jcc or INC/DEC after it reads them
 * there. ADD8, SUB8 and LOGIC8 are byte operations (fa, fb, fr 0..255); SHIFT a shift or a multiply,
 * whose flags are concrete (ZF and SF as fr says, CF in its local).
 */
export const enum Kind { NONE, ADD, SUB, LOGIC, INCDEC, ADD8, SUB8, LOGIC8, SHIFT }

/** Push the TLB entry of the linear address in local `addr`: paging.ts tlbIndex of its page. */
export function tlbIndexOf(c: Code, addr: number): void {
  c.get(addr).i32(12).op(OP.shrU).get(addr).i32(12 + TLB_BITS).op(OP.shrU).op(OP.xor).i32(TLB_ENTRIES - 1).op(OP.and);
}

export class Writer {
  readonly c = new Code();
  kind = Kind.NONE;
  /**
   * The instruction of the block being written (block.ts sets it). A slow path stores it in
   * CELL.INDEX before it calls the CPU, which may fault: the fast paths cannot, so they store nothing.
   */
  under = 0;
  /** `handler` gives an instruction's id for a call of its handler (tier.ts keeps them). */
  constructor(readonly ramBase: number, readonly handler: (i: Instr) => number) {}

  /**
   * Call instruction k's handler (the flags go back to the CPU first); leave the block after it if it
   * asks. `always`: not on one side of a branch only, so what it does to the flags holds after it.
   */
  callHandler(i: Instr, k: number, last: boolean, always = false): void {
    this.at(k);
    this.storeLazy();
    this.spill();
    this.c.i32(this.handler(i)).call(IMPORT.call);
    this.reload();
    if (last) this.c.drop(); else this.c.if().i32(k + 1).return().end();
    this.kind = Kind.NONE;
    if (always) this.pending = null;
  }

  /**
   * The registers live in locals while the function runs: loaded when it starts (`reload`), and
   * stored back (`spill`) before it returns and before anything of the CPU's that may read them or
   * fault (a handler, a slow path), then loaded again after what may change them (a handler, a push
   * or pop by the CPU). So the CPU always finds them in memory, faults included.
   */
  spill(): void {
    for (let r = 0; r < 8; r++) if (this.cached[r]) this.c.i32(0).get(R0 + r).store32(REGS + r * 4);
  }
  reload(): void {
    for (let r = 0; r < 8; r++) if (this.cached[r]) this.c.i32(0).load32(REGS + r * 4).set(R0 + r);
  }
  /** The registers kept in locals (the others are read and written in memory). */
  cached = [false, false, false, false, false, false, false, false];
  /** Return the value on the stack, the registers stored first. */
  ret(): void {
    this.c.set(T);
    this.spill();
    this.c.get(T).return();
  }

  /**
   * The flags of a multiply (ops/alu.ts, QEMU's choice where the manual leaves them undefined):
   * CF = OF = CFL (the high half matters), ZF SF PF from the low half in FR, AF clear.
   */
  multiplyFlags(): void {
    const c = this.c;
    c.get(CFL).i32(0x801).op(OP.mul);
    c.get(FR).op(OP.eqz).i32(6).op(OP.shl).op(OP.or);
    c.get(FR).i32(24).op(OP.shrU).i32(128).op(OP.and).op(OP.or);
    c.get(FR).i32(255).op(OP.and).op(OP.popcnt).i32(1).op(OP.and).i32(1).op(OP.xor).i32(2).op(OP.shl).op(OP.or);
    c.set(F);
    this.concrete();
    this.kind = Kind.SHIFT; // ZF SF from FR, CF in CFL
  }

  reg(r: number): void { if (this.cached[r]) this.c.get(R0 + r); else this.c.i32(0).load32(REGS + r * 4); }
  /** Store the value `value` leaves on the stack into register r. */
  setReg(r: number, value: () => void): void {
    if (this.cached[r]) { value(); this.c.set(R0 + r); } else { this.c.i32(0); value(); this.c.store32(REGS + r * 4); }
  }
  cell(k: number, value: () => void): void { this.word(CELL_AT(k), value); }
  /** The instruction under way, for a fault from a slow path or a handler. */
  at(k: number): void { this.cell(CELL.INDEX, () => this.c.i32(k)); }
  /** Before a slow path: what may fault there is `under`, and the flags and registers go back to memory. */
  private slow(): void {
    this.at(this.under);
    this.storeLazy();
    this.spill();
  }

  /** The effective address of a memory operand. */
  ea(i: Instr): void {
    const c = this.c;
    let parts = 0;
    if (i.base >= 0) { this.reg(i.base); parts++; }
    if (i.index >= 0) {
      this.reg(i.index);
      if (i.scale) c.i32(i.scale).op(OP.shl);
      if (parts++ > 0) c.op(OP.add);
    }
    if (i.disp !== 0 || parts === 0) {
      c.i32(i.disp | 0);
      if (parts > 0) c.op(OP.add);
    }
  }

  /**
   * Branch to the enclosing block's end (depth 0) unless the TLB maps O for `size` bytes with the right
   * (`walk`: a read that walks a page the TLB lost first, see linearToPhysical).
   */
  hitOrBreak(size: number, seg: number, write: boolean, walk = false): void {
    const c = this.c;
    c.i32(0).load8u((write ? SEG_FLAT_W : SEG_FLAT_R) + seg).op(OP.eqz).brIf(0);
    this.linearToPhysical(size, 0, walk && !write ? 'read' : 0);
    c.get(X).load8u(TLB_RIGHTS).i32(0).load32(write ? ACC_W : ACC_R).op(OP.and).op(OP.eqz).brIf(0);
  }

  /**
   * Load data segment register `seg` (ES, DS, FS or GS) with the selector in V, as segments.ts
   * loadDataSegment does, for what such a load nearly always is: a null selector, or a GDT descriptor
   * that is present, already accessed, data or readable code, with RPL and CPL at most its DPL, whose
   * eight bytes the TLB maps on one page. Anything else branches out of the enclosing block (depth 0)
   * with nothing changed, for the handler, which does it all with every check. Uses O, X, P and T.
   */
  dataSegmentLoad(seg: number): void {
    const c = this.c;
    c.get(V).i32(0xfffc).op(OP.and);
    c.if();
    this.gdtDescriptor(V, 1);
    // Present, a code or data segment, accessed; the attributes as the cache keeps them.
    c.get(T).i32(0x9100).op(OP.and).i32(0x9100).op(OP.ne).brIf(1);
    c.get(T).i32(8).op(OP.shrU).i32(0xf0ff).op(OP.and).set(X);
    // Not code that cannot be read; RPL and CPL at most DPL (conforming code may be loaded more widely: then
    // the handler loads it).
    c.get(X).i32(0xa).op(OP.and).i32(0x8).op(OP.eq).brIf(1);
    c.get(V).i32(3).op(OP.and).get(X).i32(5).op(OP.shrU).i32(3).op(OP.and).op(OP.gtU).brIf(1);
    c.i32(0).load32(CPL).get(X).i32(5).op(OP.shrU).i32(3).op(OP.and).op(OP.gtU).brIf(1);
    // The cache: selector, base, limit (in 4 KiB units with G), attributes.
    c.i32(0).get(V).store16(SEG_SEL + seg * 2);
    c.i32(0); this.descriptorBase(); c.store32(SEG_BASE + seg * 4);
    this.descriptorLimit(P);
    c.i32(0).get(P).store32(SEG_LIMIT + seg * 4);
    c.i32(0).get(X).store16(SEG_ATTR + seg * 2);
    // Flat: base 0, 4 GiB, not expand-down data; writable for writable data.
    c.i32(0).load32(SEG_BASE + seg * 4).op(OP.eqz).get(P).i32(-1).op(OP.eq).op(OP.and);
    c.get(X).i32(0xc).op(OP.and).i32(4).op(OP.ne).op(OP.and).set(O);
    c.i32(0).get(O).store8(SEG_FLAT_R + seg);
    c.i32(0).get(O).get(X).i32(0xa).op(OP.and).i32(2).op(OP.eq).op(OP.and).store8(SEG_FLAT_W + seg);
    c.else();
    // A null selector loads (using it faults later).
    c.i32(0).get(V).store16(SEG_SEL + seg * 2);
    c.i32(0).i32(0).store32(SEG_BASE + seg * 4);
    c.i32(0).i32(0).store32(SEG_LIMIT + seg * 4);
    c.i32(0).i32(0).store16(SEG_ATTR + seg * 2);
    c.i32(0).i32(0).store8(SEG_FLAT_R + seg);
    c.i32(0).i32(0).store8(SEG_FLAT_W + seg);
    c.end();
  }

  /** The base of the descriptor in O (low word) and T (high word), on the stack (segments.ts descBase). */
  descriptorBase(): void {
    const c = this.c;
    c.get(O).i32(16).op(OP.shrU).get(T).i32(0xff).op(OP.and).i32(16).op(OP.shl).op(OP.or);
    c.get(T).i32(0xff000000 | 0).op(OP.and).op(OP.or);
  }

  /** Into local `into` the limit of the descriptor in O and T, in bytes with G (segments.ts descLimit). */
  descriptorLimit(into: number): void {
    const c = this.c;
    c.get(O).i32(0xffff).op(OP.and).get(T).i32(0xf0000).op(OP.and).op(OP.or).set(into);
    c.get(T).i32(0x800000).op(OP.and).if().get(into).i32(12).op(OP.shl).i32(0xfff).op(OP.or).set(into).end();
  }

  /**
   * The descriptor the selector in local `sel` names, its low word in O and its high word in T, if it is
   * in the GDT, within GDTR's limit, on one page the TLB maps; else a branch `depth` out. Uses X and P.
   * (A TLB entry always lets the supervisor read, and a descriptor is read as the supervisor at any CPL.)
   */
  gdtDescriptor(sel: number, depth: number): void {
    const c = this.c;
    c.get(sel).i32(4).op(OP.and).brIf(depth);
    c.get(sel).i32(0xfff8).op(OP.and).i32(7).op(OP.add).i32(0).load32(GDTR_LIMIT).op(OP.gtU).brIf(depth);
    c.i32(0).load32(GDTR_BASE).get(sel).i32(0xfff8).op(OP.and).op(OP.add).set(O);
    this.linearToPhysical(8, depth, R_S);
    c.get(P).load32(this.ramBase).set(O);
    c.get(P).load32(this.ramBase + 4).set(T);
  }

  /**
   * P = the physical address of linear O if its `size` bytes are on one page the TLB maps, else a branch
   * `depth` out; X is then its TLB entry, whose rights are the caller's to check (every entry lets the
   * supervisor read). With `walk` (a right, R_S or W_S, or 'read' for a data read at the CPL), a page the
   * TLB lost is walked for it first (walk.ts): the Switcher's descriptors, gates and stacks after each CR3 load.
   */
  linearToPhysical(size: number, depth: number, walk: number | 'read' = 0): void {
    const c = this.c;
    if (size > 1) c.get(O).i32(0xfff).op(OP.and).i32(4096 - size).op(OP.gtU).brIf(depth);
    tlbIndexOf(c, O); c.set(X);
    c.get(X).i32(2).op(OP.shl).load32(TLB_TAG).get(O).i32(12).op(OP.shrU).op(OP.ne);
    if (walk === 0) { c.brIf(depth); } else {
      c.if().get(O);
      if (walk === 'read') c.i32(0).load32(ACC_R); else c.i32(walk);
      c.call(IMPORT.walk).op(OP.eqz).brIf(depth + 1).end();
    }
    c.get(X).i32(2).op(OP.shl).load32(TLB_PHYS).get(O).i32(0xfff).op(OP.and).op(OP.or).set(P);
  }

  /** Read `size` bytes at seg:O (checked for writing with `write`), leaving the value on the stack. */
  read(size: 1 | 2 | 4, seg: number, write = false, signed = false): void {
    const c = this.c;
    c.block(true).block();
    this.hitOrBreak(size, seg, write);
    c.get(P);
    if (size === 4) c.load32(this.ramBase);
    else if (size === 2) (signed ? c.load16s(this.ramBase) : c.load16u(this.ramBase));
    else (signed ? c.load8s(this.ramBase) : c.load8u(this.ramBase));
    c.br(1).end();
    this.slow();
    c.i32(seg).get(O).call(size === 4 ? (write ? IMPORT.rdW32 : IMPORT.rd32) : size === 2 ? IMPORT.rd16 : write ? IMPORT.rdW8 : IMPORT.rd8);
    if (signed) c.i32(32 - size * 8).op(OP.shl).i32(32 - size * 8).op(OP.shrS);
    c.end();
  }

  /** Write V (`size` bytes) at seg:O; `leave` is what to return if the slow path asks to leave (-1: go on). */
  write(size: 1 | 2 | 4, seg: number, leave: number): void {
    const c = this.c;
    c.block().block();
    this.hitOrBreak(size, seg, true);
    c.get(P).i32(12).op(OP.shrU).load8u(CODE_PAGES).brIf(0);
    c.get(P).get(V);
    if (size === 4) c.store32(this.ramBase); else if (size === 2) c.store16(this.ramBase); else c.store8(this.ramBase);
    c.br(1).end();
    this.slow();
    c.i32(seg).get(O).get(V).call(size === 4 ? IMPORT.wr32 : size === 2 ? IMPORT.wr16 : IMPORT.wr8);
    this.leaveIf(leave);
    c.end();
  }

  /** Read the memory operand of instruction k of the block (`size` bytes), leaving it on the stack. */
  loadOperand(i: Instr, k: number, size: 1 | 2 | 4, signed = false): void {
    this.ea(i); this.c.set(O); this.read(size, i.seg, false, signed);
  }

  /** Write what `value` leaves on the stack to the memory operand of instruction k (`size` bytes). */
  storeOperand(i: Instr, k: number, size: 1 | 2 | 4, leave: number, value: () => void): void {
    value(); this.c.set(V); this.ea(i); this.c.set(O); this.write(size, i.seg, leave);
  }

  /**
   * With the slow path's "leave" flag on the stack: return `leave` if set; for the block's last
   * instruction (-1) the flag is in the EXIT cell already (tier.ts), which the dispatcher reads.
   */
  private leaveIf(leave: number): void {
    if (leave < 0) { this.c.drop(); return; }
    this.c.if().i32(leave).return().end(); // the registers were stored for the slow path
  }

  /** PUSH V on a flat 32-bit stack inline, else through the CPU's push32. */
  push(leave: number): void {
    const c = this.c;
    c.block().block();
    c.i32(0).load32(STACK32).op(OP.eqz).brIf(0);
    this.reg(ESP); c.i32(4).op(OP.sub).set(O);
    this.hitOrBreak(4, SS, true);
    c.get(P).i32(12).op(OP.shrU).load8u(CODE_PAGES).brIf(0);
    c.get(P).get(V).store32(this.ramBase);
    this.setReg(ESP, () => c.get(O));
    c.br(1).end();
    this.slow();
    c.get(V).call(IMPORT.push32);
    if (this.cached[ESP]) c.i32(0).load32(REGS + ESP * 4).set(R0 + ESP);
    this.leaveIf(leave);
    c.end();
  }

  /** POP into V. */
  pop(): void {
    const c = this.c;
    c.block().block();
    c.i32(0).load32(STACK32).op(OP.eqz).brIf(0);
    this.reg(ESP); c.set(O);
    this.hitOrBreak(4, SS, false);
    c.get(P).load32(this.ramBase).set(V);
    this.setReg(ESP, () => c.get(O).i32(4).op(OP.add));
    c.br(1).end();
    this.slow();
    c.call(IMPORT.pop32).set(V);
    if (this.cached[ESP]) c.i32(0).load32(REGS + ESP * 4).set(R0 + ESP);
    c.end();
  }

  /**
   * Record FA FB FR as the lazy flags (flags.ts setLazy); INC/DEC keep CF (CFL, stored with the record).
   * The record is kept in locals (PA PB PR, and PC the carry an ADC or SBB took in) and stored in the
   * cells only where someone may read it: before a slow path or a handler (which may fault, or read
   * the flags), a condition the CPU works out, and the block's end. A flag-setter that a later one
   * overwrites in between so costs no stores at all.
   */
  lazy(op: number, keepCF: boolean, size = 4): void {
    const c = this.c;
    c.get(FA).set(PA); c.get(FB).set(PB); c.get(FR).set(PR);
    // PC: the carry an ADC or SBB took in, or the CF an INC or DEC keeps (concrete, beside the record).
    if (op === ADC || op === SBB || keepCF) c.get(CFL).set(PC);
    this.pending = { op, size, keepCF };
  }
  /** The lazy record the cells do not hold yet (what `lazy` wrote last), or null. */
  pending: { op: number; size: number; keepCF: boolean } | null = null;
  /** Store the pending lazy record in the CPU's; it stays pending (this may be on one side of a branch). */
  storeLazy(): void {
    const c = this.c, p = this.pending;
    if (p === null) return;
    if (p.op === ADC || p.op === SBB) this.word(LAZY_CARRY, () => c.get(PC));
    if (p.keepCF) this.concreteBits(CF, () => c.get(PC));
    this.word(LAZY_OP, () => c.i32(p.op));
    this.word(LAZY_SIZE, () => c.i32(p.size));
    this.word(LAZY_A, () => c.get(PA));
    this.word(LAZY_B, () => c.get(PB));
    this.word(LAZY_RES, () => c.get(PR));
    this.word(LAZY_MASK, () => c.i32(p.keepCF ? ARITH & ~CF : ARITH));
  }
  /** Store the value `value` leaves on the stack at `at` in the machine's memory (an int32 of layout.ts). */
  word(at: number, value: () => void): void { this.c.i32(0); value(); this.c.store32(at); }
  /** Into EFLAGS' concrete bits: `bits` of them (ARITH, CF) from the value `value` leaves on the stack. */
  concreteBits(bits: number, value: () => void): void {
    this.word(FLAGS_RAW, () => { this.c.i32(0).load32(FLAGS_RAW).i32(~bits).op(OP.and); value(); this.c.op(OP.or); });
  }
  /** Store it where every path goes through (not inside a branch): then it is no longer pending. */
  settleLazy(): void {
    this.storeLazy();
    this.pending = null;
  }

  /**
   * AL CL DL BL, then AH CH DH BH, zero- or sign-extended. In memory they are bytes of the register
   * file, read and written as bytes; in a local, shifted and masked out of the register.
   */
  reg8(r: number, signed = false): void {
    const c = this.c;
    if (!this.cached[r & 3]) {
      c.i32(0);
      if (signed) c.load8s(reg8At(r)); else c.load8u(reg8At(r));
      return;
    }
    this.reg(r & 3);
    // The byte to the top, then down again (AH: bits 8..15).
    if (signed) c.i32(r >= 4 ? 16 : 24).op(OP.shl).i32(24).op(OP.shrS);
    else { if (r >= 4) c.i32(8).op(OP.shrU); c.i32(255).op(OP.and); }
  }
  setReg8(r: number, value: () => void): void {
    const c = this.c, shift = r >= 4 ? 8 : 0;
    if (!this.cached[r & 3]) { c.i32(0); value(); c.store8(reg8At(r)); return; }
    this.setReg(r & 3, () => {
      this.reg(r & 3); c.i32(~(255 << shift)).op(OP.and);
      value(); c.i32(255).op(OP.and);
      if (shift) c.i32(shift).op(OP.shl);
      c.op(OP.or);
    });
  }
  /** Register r of `size` bytes (1: AL..BH, 2: AX..DI, 4), zero-extended. */
  regOf(size: 1 | 2 | 4, r: number): void {
    if (size === 4) this.reg(r); else if (size === 2) this.reg16(r, false); else this.reg8(r);
  }
  /** Store what `value` leaves into register r of `size` bytes, the rest of the register kept. */
  setRegOf(size: 1 | 2 | 4, r: number, value: () => void): void {
    if (size === 4) this.setReg(r, value); else if (size === 2) this.setReg16(r, value); else this.setReg8(r, value);
  }
  /** Store the low 16 bits of what `value` leaves into the low word of register r. */
  setReg16(r: number, value: () => void): void {
    const c = this.c;
    if (!this.cached[r]) { c.i32(0); value(); c.store16(REGS + r * 4); return; }
    this.setReg(r, () => { this.reg(r); c.i32(0xffff0000 | 0).op(OP.and); value(); c.i32(0xffff).op(OP.and).op(OP.or); });
  }
  /** The low word of register r, zero- or sign-extended. */
  reg16(r: number, signed: boolean): void {
    const c = this.c;
    if (!this.cached[r]) {
      c.i32(0);
      if (signed) c.load16s(REGS + r * 4); else c.load16u(REGS + r * 4);
      return;
    }
    this.reg(r);
    if (signed) c.i32(16).op(OP.shl).i32(16).op(OP.shrS);
    else c.i32(0xffff).op(OP.and);
  }

  /**
   * Concrete arithmetic flags (a shift): F holds them; they replace the lazy ones (LAZY_MASK 0) in the CPU's
   * EFLAGS at once.
   */
  concrete(): void {
    const c = this.c;
    this.concreteBits(ARITH, () => c.get(F));
    this.word(LAZY_MASK, () => c.i32(0));
    this.pending = null;
  }

  /** CF as the flags are now, into CFL. */
  carry(): void {
    const c = this.c;
    switch (this.kind) {
      case Kind.ADD: case Kind.ADD8: c.get(FR).get(FA).op(OP.ltU).set(CFL); return;
      case Kind.SUB: case Kind.SUB8: c.get(FA).get(FB).op(OP.ltU).set(CFL); return;
      case Kind.LOGIC: case Kind.LOGIC8: c.i32(0).set(CFL); return;
      case Kind.INCDEC: case Kind.SHIFT: return; // CFL already holds it
      default: this.storeLazy(); c.call(IMPORT.getCF).set(CFL);
    }
  }

  /** Condition cc (CC_NAMES order) as 0 or 1 on the stack. */
  condition(cc: number): void {
    const c = this.c, k = this.kind, neg = (cc & 1) !== 0, base = cc >> 1;
    // base: 0 O, 1 B, 2 Z, 3 BE, 4 S, 5 P, 6 L, 7 LE.
    const wide = k === Kind.ADD || k === Kind.SUB || k === Kind.LOGIC || k === Kind.INCDEC || k === Kind.SHIFT;
    const direct = (): boolean => {
      if (base === 2) { c.get(FR).op(OP.eqz); return true; }
      if (base === 4 && wide) { c.get(FR).i32(0).op(OP.ltS); return true; }
      if (k === Kind.SUB || k === Kind.SUB8) {
        if (base === 1) { c.get(FA).get(FB).op(OP.ltU); return true; }
        if (base === 3) { c.get(FA).get(FB).op(OP.leU); return true; }
      }
      if (k === Kind.SUB) {
        if (base === 6) { c.get(FA).get(FB).op(OP.ltS); return true; }
        if (base === 7) { c.get(FA).get(FB).op(OP.leS); return true; }
      }
      if (k === Kind.LOGIC || k === Kind.LOGIC8) {
        if (base === 0 || base === 1) { c.i32(0); return true; }
        if (base === 3) { c.get(FR).op(OP.eqz); return true; }
      }
      if (k === Kind.LOGIC) {
        if (base === 6) { c.get(FR).i32(0).op(OP.ltS); return true; }
        if (base === 7) { c.get(FR).i32(1).op(OP.ltS); return true; }
      }
      if ((k === Kind.ADD || k === Kind.ADD8) && base === 1) { c.get(FR).get(FA).op(OP.ltU); return true; }
      if (k === Kind.SHIFT && base === 1) { c.get(CFL); return true; }
      return false;
    };
    if (k !== Kind.NONE && direct()) {
      if (neg) c.op(OP.eqz);
      return;
    }
    this.storeLazy();
    c.i32(cc).call(IMPORT.cond);
  }
}

/** Byte offset of 8-bit register r in the register file (AL CL DL BL AH CH DH BH). */
const reg8At = (r: number) => REGS + (r < 4 ? r * 4 : (r - 4) * 4 + 1);
