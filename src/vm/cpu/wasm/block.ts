/**
 * A block as WebAssembly: the function body for one block of 32-bit code run
 * through a flat CS. The common instructions are written out: here MOV and
 * its byte, word, moffs and MOVZX/MOVSX forms, LEA, SETcc, CMOVcc of
 * registers, PUSH and POP (of r/m32 and of segment registers too), loads
 * of ES, DS, FS and GS (MOV and POP: a kernel's every entry and exit has
 * them), LGDT and LIDT, PUSHA, POPA, XCHG, LEAVE, NOP, and the jumps,
 * calls, returns and loops that end blocks; arith.ts the arithmetic; gates.ts
 * INT and IRET as a system call has them, and the far call into the lguest Switcher. Every other instruction calls its handler
 * through an import, as compiled JavaScript (compiler.ts) does.
 *
 * The function is `run(base, passes)`: `base` the block's EIP, `passes` how
 * many more times a block that jumps back to its own start may run. It
 * returns how many instructions ran (fewer than all when a slow path asks to
 * leave after one, as compiled JavaScript does) and leaves in the cells
 * (layout.ts CELLS, see tier.ts): the next EIP, the passes it took, and the index
 * of the instruction under way (for a fault thrown by a slow path); the lazy
 * flags of the last instruction that set them go to the CPU's own (layout.ts FLAGS).
 *
 * Registers are read and written in memory, where the TypeScript side sees
 * them (or, with ExecutorOptions.wasmLocals, in locals stored back before
 * anything of the CPU's runs: writer.ts spill); memory accesses are the TLB
 * hit written inline.
 */
import type { Instr } from '../instr';
import { Op, segOfPushPop } from '../instr';
import { plain } from '../compile/common';
import { type Code, OP } from './emit';
import { CELL, CELL_AT, IMPORT } from './cells';
import { Writer, Kind, BASE, PASSES, O, V, T, P, X, ESP, CUR, RA, NX } from './writer';
import { arithmetic } from './arith';
import { writeSoftwareInterrupt, writeInterruptReturn, writeFarCall } from './gates';
import { STACK32, SEG_SEL, CODE_PAGES, CPL, GDTR_BASE, GDTR_LIMIT, IDTR_BASE, IDTR_LIMIT, TR_BASE, TR_LIMIT, TR_ATTR, TR_SEL, TLB_RIGHTS } from './layout';
import { W_S } from '../paging';
import { VM, RF } from '../flags';

export { LOCALS, LOCALS64 } from './writer';

/**
 * MOV in its four forms for operands of `size` bytes: r/m from a register (88/89), a register from
 * r/m (8A/8B), r/m from an immediate (C6/C7 /0), a register from an immediate (B0+r/B8+r). Words
 * are the doubleword opcodes with an operand-size prefix. False if `i` is none of them.
 */
function move(w: Writer, i: Instr, k: number, leave: number, size: 1 | 2 | 4): boolean {
  const c = w.c, op = i.opcode, mem = i.hasModrm && i.mod !== 3, w1 = size === 1 ? 0 : 1;
  const imm = () => c.i32(size === 4 ? i.imm | 0 : i.imm & (size === 2 ? 0xffff : 255));
  switch (true) {
    case op === (0x88 | w1):
      if (!mem) w.setRegOf(size, i.rm, () => w.regOf(size, i.reg)); else w.storeOperand(i, k, size, leave, () => w.regOf(size, i.reg));
      return true;
    case op === (0x8a | w1):
      if (!mem) w.setRegOf(size, i.reg, () => w.regOf(size, i.rm));
      else { w.loadOperand(i, k, size); c.set(V); w.setRegOf(size, i.reg, () => c.get(V)); }
      return true;
    case op === (0xc6 | w1) && i.reg === 0:
      if (!mem) w.setRegOf(size, i.rm, imm); else w.storeOperand(i, k, size, leave, imm);
      return true;
    case op >= (0xb0 | (w1 << 3)) && op <= (0xb7 | (w1 << 3)):
      w.setRegOf(size, op & 7, imm);
      return true;
    default:
      return false;
  }
}

/** One straight-line instruction, k of the block; `last` when nothing follows it in the block. False: not written here. */
function instruction(w: Writer, i: Instr, k: number, last: boolean): boolean {
  const c = w.c, op = i.opcode, mem = i.hasModrm && i.mod !== 3, seg = i.seg;
  const leave = last ? -1 : k + 1;
  if (move(w, i, k, leave, i.size as 1 | 2 | 4)) return true;
  if (!i.o32 && op !== 0x90) return false; // of the word forms, only the MOVs are written out
  switch (true) {
    case op === 0x8d && mem: w.ea(i); c.set(V); w.setReg(i.reg, () => c.get(V)); return true;
    case op >= 0x50 && op <= 0x57: w.reg(op & 7); c.set(V); w.push(leave); return true;
    case op === 0x68 || op === 0x6a: c.i32(i.imm | 0).set(V); w.push(leave); return true;
    case op === 0x9c:
      // PUSHF: EFLAGS worked out from the CPU's (the block's own record stored first), VM and RF clear in the image.
      w.storeLazy();
      c.call(IMPORT.eflags).i32(~(VM | RF)).op(OP.and).set(V); w.push(leave);
      return true;
    case op >= 0x58 && op <= 0x5f: w.pop(); w.setReg(op & 7, () => c.get(V)); return true;
    case op === 0x87 || (op === 0x86 && !mem) || (op >= 0x91 && op <= 0x97): {
      // XCHG: the register gets the old value before the write, so that a write that asks to leave
      // after it leaves the instruction done (the read was checked for writing: the write cannot fault).
      const byte = op === 0x86, other = op >= 0x91 ? op & 7 : i.reg, first = op >= 0x91 ? 0 : i.rm;
      if (byte) {
        w.reg8(first); c.set(T);
        w.setReg8(first, () => w.reg8(other));
        w.setReg8(other, () => c.get(T));
      } else if (!mem || op >= 0x91) {
        w.reg(first); c.set(T);
        w.setReg(first, () => w.reg(other));
        w.setReg(other, () => c.get(T));
      } else {
        w.ea(i); c.set(O); w.read(4, seg, true); c.set(T);
        w.reg(other); c.set(V);
        w.setReg(other, () => c.get(T));
        w.write(4, seg, leave);
      }
      return true;
    }
    case op === 0x06 || op === 0x0e || op === 0x16 || op === 0x1e || op === 0x1a0 || op === 0x1a8: {
      // PUSH of a segment register: its selector, zero-extended.
      const sreg = segOfPushPop(op);
      c.i32(0).load16u(SEG_SEL + sreg * 2).set(V); w.push(leave);
      return true;
    }
    case op === 0x07 || op === 0x1f || op === 0x1a1 || op === 0x1a9: {
      // POP ES, DS, FS, GS: the selector off a flat 32-bit stack the TLB maps, loaded (writer.ts
      // dataSegmentLoad), then ESP moves; anything else by the handler, which starts over.
      c.block().block();
      c.i32(0).load32(STACK32).op(OP.eqz).brIf(0);
      w.reg(ESP); c.set(O);
      w.hitOrBreak(4, 2, false, true);
      c.get(P).load16u(w.ramBase).set(V);
      w.dataSegmentLoad(segOfPushPop(op));
      w.setReg(ESP, () => { w.reg(ESP); c.i32(4).op(OP.add); });
      c.br(1).end();
      w.callHandler(i, k, last);
      c.end();
      return true;
    }
    case op === 0x8e && i.reg !== 1 && i.reg !== 2 && i.reg <= 5: {
      // MOV to ES, DS, FS, GS from a register or from memory the TLB maps (a device's register is read
      // once, by the handler), loaded as POP does.
      c.block().block();
      if (mem) { w.ea(i); c.set(O); w.hitOrBreak(2, seg, false, true); c.get(P).load16u(w.ramBase); } else { w.reg(i.rm); c.i32(0xffff).op(OP.and); }
      c.set(V);
      w.dataSegmentLoad(i.reg);
      c.br(1).end();
      w.callHandler(i, k, last);
      c.end();
      return true;
    }
    case op === 0x101 && (i.reg === 2 || i.reg === 3) && mem: {
      // LGDT, LIDT at CPL 0 (the Switcher's, twice each a trip): the limit and base from six bytes the TLB
      // maps on one page, into GDTR or IDTR in the machine's memory; else the handler (#GP, #PF...).
      c.block().block();
      c.i32(0).load32(CPL).brIf(0);
      w.ea(i); c.set(O);
      w.hitOrBreak(6, seg, false, true);
      c.i32(0).get(P).load16u(w.ramBase).store32(i.reg === 2 ? GDTR_LIMIT : IDTR_LIMIT);
      c.i32(0).get(P).load32(w.ramBase + 2).store32(i.reg === 2 ? GDTR_BASE : IDTR_BASE);
      c.br(1).end();
      w.callHandler(i, k, last);
      c.end();
      return true;
    }
    case op === 0x100 && i.reg === 3 && !mem: {
      // LTR from a register at CPL 0 (the Switcher's, twice a trip), as ops/system.ts ltr does it: an available
      // TSS descriptor (16- or 32-bit) of the GDT, present, on a page the TLB lets the supervisor write without
      // decoded code, marked busy there and loaded into TR; else the handler (#GP, #NP, #PF...).
      c.block().block();
      c.i32(0).load32(CPL).brIf(0);
      w.reg(i.rm); c.i32(0xffff).op(OP.and).set(V);
      c.get(V).i32(0xfffc).op(OP.and).op(OP.eqz).brIf(0);
      w.gdtDescriptor(V, 0);
      c.get(T).i32(8).op(OP.shrU).i32(0x17).op(OP.and).i32(1).op(OP.ne).brIf(0);
      c.get(T).i32(0x8000).op(OP.and).op(OP.eqz).brIf(0);
      c.get(X).load8u(TLB_RIGHTS).i32(W_S).op(OP.and).op(OP.eqz).brIf(0);
      c.get(P).i32(12).op(OP.shrU).load8u(CODE_PAGES).brIf(0);
      c.get(P).get(T).i32(8).op(OP.shrU).i32(2).op(OP.or).store8(w.ramBase + 5);
      c.i32(0).get(V).store32(TR_SEL);
      c.i32(0); w.descriptorBase(); c.store32(TR_BASE);
      w.descriptorLimit(P);
      c.i32(0).get(P).store32(TR_LIMIT);
      c.i32(0).get(T).i32(8).op(OP.shrU).i32(0xf0ff).op(OP.and).i32(2).op(OP.or).store32(TR_ATTR);
      c.br(1).end();
      w.callHandler(i, k, last);
      c.end();
      return true;
    }
    case op === 0xff && i.reg === 6:
      if (mem) w.loadOperand(i, k, 4); else w.reg(i.rm);
      c.set(V); w.push(leave);
      return true;
    case op === 0x8f && i.reg === 0: {
      // POP r/m32 off a flat 32-bit stack the TLB maps. Into memory: the address is worked out as after ESP
      // moved (it may use ESP), and ESP moves only with a write that cannot fail (a page the TLB lets it
      // write, without decoded code); else the handler, which starts over.
      c.block().block();
      c.i32(0).load32(STACK32).op(OP.eqz).brIf(0);
      w.reg(ESP); c.set(O);
      w.hitOrBreak(4, 2, false, true);
      c.get(P).load32(w.ramBase).set(V);
      if (!mem) {
        w.setReg(ESP, () => { w.reg(ESP); c.i32(4).op(OP.add); });
        w.setReg(i.rm, () => c.get(V));
      } else {
        // (ESP as a base is the moved one; it cannot be an index.)
        w.ea(i); if (i.base === ESP) c.i32(4).op(OP.add);
        c.set(O);
        w.hitOrBreak(4, seg, true);
        c.get(P).i32(12).op(OP.shrU).load8u(CODE_PAGES).brIf(0);
        c.get(P).get(V).store32(w.ramBase);
        w.setReg(ESP, () => { w.reg(ESP); c.i32(4).op(OP.add); });
      }
      c.br(1).end();
      w.callHandler(i, k, last);
      c.end();
      return true;
    }
    case op === 0x60 || op === 0x61: {
      // PUSHA, POPA: the eight registers in one go on a 32-bit stack whose 32 bytes the TLB maps on
      // one page (for PUSHA, one without decoded code), else by the handler (a fault moves nothing).
      const push = op === 0x60;
      c.block().block();
      c.i32(0).load32(STACK32).op(OP.eqz).brIf(0);
      w.reg(ESP); if (push) c.i32(32).op(OP.sub); c.set(O);
      w.hitOrBreak(32, 2, push);
      if (push) {
        c.get(P).i32(12).op(OP.shrU).load8u(CODE_PAGES).brIf(0);
        // EDI lowest ... EAX highest; the ESP stored is the one before.
        for (let r = 0; r < 8; r++) { c.get(P); w.reg(r); c.store32(w.ramBase + 28 - r * 4); }
        w.setReg(ESP, () => c.get(O));
      } else {
        for (let r = 0; r < 8; r++) if (r !== ESP) w.setReg(r, () => c.get(P).load32(w.ramBase + 28 - r * 4));
        w.setReg(ESP, () => c.get(O).i32(32).op(OP.add));
      }
      c.br(1).end();
      w.callHandler(i, k, last);
      c.end();
      return true;
    }
    case op === 0xc9: {
      // LEAVE: ESP = EBP, then POP EBP; on a 32-bit stack whose top the TLB maps, else by its handler
      // (so a fault leaves ESP as it was).
      c.block().block();
      c.i32(0).load32(STACK32).op(OP.eqz).brIf(0);
      w.reg(5); c.set(O);
      w.hitOrBreak(4, 2, false, true);
      w.setReg(5, () => c.get(P).load32(w.ramBase));
      w.setReg(ESP, () => c.get(O).i32(4).op(OP.add));
      c.br(1).end();
      w.callHandler(i, k, last);
      c.end();
      return true;
    }
    case op === 0x1b6 || op === 0x1be || op === 0x1b7 || op === 0x1bf: {
      const byte = op === 0x1b6 || op === 0x1be, signed = op === 0x1be || op === 0x1bf;
      if (mem) {
        w.loadOperand(i, k, byte ? 1 : 2, signed);
      } else if (byte) {
        w.reg8(i.rm, signed);
      } else {
        w.reg16(i.rm, signed);
      }
      c.set(V);
      w.setReg(i.reg, () => c.get(V));
      return true;
    }
    case op === 0xa1 || op === 0xa0:
      c.i32(i.disp | 0).set(O); w.read(op === 0xa1 ? 4 : 1, seg); c.set(V);
      if (op === 0xa1) w.setReg(0, () => c.get(V)); else w.setReg8(0, () => c.get(V));
      return true;
    case op === 0xa3 || op === 0xa2:
      if (op === 0xa3) w.reg(0); else w.reg8(0); c.set(V); c.i32(i.disp | 0).set(O); w.write(op === 0xa3 ? 4 : 1, seg, leave);
      return true;
    case op === 0x90: return true;
    case op >= 0x190 && op <= 0x19f:
      if (!mem) w.setReg8(i.rm, () => w.condition(op & 15)); else w.storeOperand(i, k, 1, leave, () => w.condition(op & 15));
      return true;
    case op >= 0x140 && op <= 0x14f && !mem:
      w.setReg(i.reg, () => { w.reg(i.rm); w.reg(i.reg); w.condition(op & 15); c.select(); });
      return true;
    default:
      return arithmetic(w, i, k, leave);
  }
}

/** Can the block write this instruction out itself (if instruction() has it)? Else its handler is called. */
const writable = (i: Instr) => (i.a32 && i.o32 && i.rep === 0 && plain(i)) || (i.opcode === 0x90 && plain(i));
/** Or a straight-line one with an operand-size prefix, which instruction() may have (the MOVs of words); never a branch (its EIP would wrap at 64 KiB). */
const straight = (i: Instr) => writable(i) || (i.a32 && i.rep === 0 && plain(i) && (i.flags & Op.BRANCH) === 0);

/** Does the block jump back to its own start (a relative jump to offset 0)? It then loops inside while passes last. */
export function loopsOnItself(instrs: Instr[]): boolean {
  const last = instrs[instrs.length - 1], op = last.opcode;
  return writable(last) && (isJcc(op) || isLoop(op) || op === 0xeb || op === 0xe9) && rel(last) === 0;
}
const rel = (i: Instr) => (i.off + i.len + i.imm) | 0;

/** Where the block may go on to, as linear addresses known when it is written (a region's blocks are linked by these). */
export function staticExits(instrs: Instr[]): number[] {
  const last = instrs[instrs.length - 1], op = last.opcode, start = instrs[0].addr;
  if (!writable(last)) return [];
  const next = (start + last.off + last.len) | 0, target = (start + rel(last)) | 0;
  if ((last.flags & Op.BRANCH) === 0) return [next];
  if (isJcc(op) || isLoop(op)) return [target, next];
  if (op === 0xeb || op === 0xe9 || op === 0xe8) return [target];
  return [];
}
const isJcc = (op: number) => (op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f);
const isLoop = (op: number) => op >= 0xe0 && op <= 0xe3;

/** A block of a region, as the blocks beside it see it (tier.ts). */
export interface RegionBlock {
  /** Its body's number in the region's function, its table index, its length, and whether it loops on itself. */
  cur: number;
  index: number;
  n: number;
  loops: boolean;
}

/**
 * The function a block is written into with others of its page (tier.ts): a loop around its
 * bodies, entered by `cur`. A block whose exit is another block of the region (a jump, a branch,
 * the instruction after it, on the same page) goes on to it inside, as the dispatcher would.
 */
export interface Region {
  /** The block of the region decoded at linear address `addr`, or null. */
  at(addr: number): RegionBlock | null;
  /** `c.depth` inside the region's loop. */
  top: number;
  /** How many bodies, and which one is being written (bodies after it are reached by a plain branch forward). */
  count: number;
  cur: number;
}

/**
 * Write the body of `run(base, passes)` for `instrs` (one block of 32-bit code, run through a flat
 * CS) into `w`, alone or in a region. What is not written out here calls its handler through an
 * import, by the id `w.handler` gives the instruction (tier.ts keeps them): the flags go back to the
 * CPU first, and afterwards are known only there. `endsInHandler`: the last instruction is a
 * handler's that may change the mode, CS, paging or whether interrupts are taken, so the dispatcher
 * goes back to the run loop after the block.
 */
export function writeBlock(w: Writer, instrs: Instr[], region: Region | null, index = -1): { endsInHandler: boolean; loops: boolean } {
  const c = w.c, n = instrs.length, last = instrs[n - 1], start = instrs[0].addr;
  const op = last.opcode, inlineLast = writable(last);
  const branch = (last.flags & Op.BRANCH) !== 0;
  const loops = loopsOnItself(instrs);
  w.kind = Kind.NONE;
  w.pending = null;
  if (loops) c.loop();
  for (let k = 0; k < n - 1; k++) {
    const i = instrs[k];
    w.under = k;
    if (straight(i) && instruction(w, i, k, false)) continue;
    // The handler: it may fault (the index is set), or ask to leave after it.
    w.callHandler(i, k, false, true);
  }
  const eipOut = (value: () => void) => w.cell(CELL.EIP, value);
  const load = (k: number) => c.i32(0).load32(CELL_AT(k));
  /**
   * Into block s of the region, `to` bytes from this one's start, if the dispatcher would go there
   * now: no breakpoints, no request to leave, the budget holds it; counted as it counts it.
   */
  const into = (s: RegionBlock, to: number) => {
    c.block();
    load(CELL.CHAIN).op(OP.eqz).brIf(0);
    load(CELL.EXIT).brIf(0);
    load(CELL.RAN); load(CELL.PASSES).i32(n).op(OP.mul).op(OP.add).set(RA);
    load(CELL.BUDGET).get(RA).op(OP.sub).i32(s.n).op(OP.sub).set(NX);
    c.get(NX).i32(0).op(OP.ltS).brIf(0);
    w.cell(CELL.RAN, () => c.get(RA).i32(s.n).op(OP.add));
    w.cell(CELL.LAST_INDEX, () => c.i32(s.index));
    c.get(BASE).i32(to).op(OP.add).set(BASE);
    w.cell(CELL.LAST_BASE, () => c.get(BASE));
    w.cell(CELL.PASSES, () => c.i32(0));
    if (s.loops) c.get(NX).i32(s.n).op(OP.divU).set(PASSES); else c.i32(0).set(PASSES);
    const r = region!;
    if (s.cur > r.cur) {
      // A body further on starts where the block around it ends: a branch there, no br_table (an indirect
      // jump, shared by every way in, which the processor predicts badly).
      c.br(c.depth - (r.top + r.count - s.cur));
    } else {
      c.i32(s.cur).set(CUR);
      c.br(c.depth - r.top);
    }
    c.end();
  };
  /**
   * Go on `to` bytes from the block's start, by exit number `e` (0, or 1 for a branch not taken): inside the
   * region if that block is in it; else through `chain` if it is on this page; else by the dispatcher.
   */
  const exitTo = (to: number, e = 0) => {
    const page = (start & 0xfff) + to;
    const samePage = page >= 0 && page < 4096;
    const s = region !== null && samePage ? region.at((start + to) | 0) : null;
    if (s !== null) into(s, to);
    if (s === null && samePage && index >= 0) {
      // The block there, once known, is on this page: the same frame, fetched a moment ago at the same CPL
      // (anything that could change that ends a block in a handler or asks to leave first). `chain` goes
      // on to it, or back to the dispatcher, which makes it known (dispatch.ts chainBytes).
      w.spill();
      c.get(BASE).i32(to).op(OP.add).i32(index * 2 + e).i32(n).returnCall(IMPORT.chain);
    } else {
      eipOut(() => c.get(BASE).i32(to).op(OP.add));
    }
  };
  const next = () => c.get(BASE).i32(last.off + last.len).op(OP.add);
  /** Another pass if one is left, counted (in the cells) before it runs; `depth` is the loop's from here. */
  const again = (depth: number) => {
    c.get(PASSES).if().get(PASSES).i32(1).op(OP.sub).set(PASSES);
    w.cell(CELL.PASSES, () => c.i32(0).load32(CELL_AT(CELL.PASSES)).i32(1).op(OP.add));
    c.br(depth + 1).end();
  };
  let endsInHandler = false;
  w.under = n - 1;
  const straightLast = straight(last) && !branch && instruction(w, last, n - 1, true);
  // The flags the block leaves go to the cells before it goes anywhere (another pass of itself included).
  w.settleLazy();
  if (straightLast) {
    exitTo(last.off + last.len);
  } else if (inlineLast && (isJcc(op) || isLoop(op))) {
    if (isJcc(op)) w.condition(op & 0xf);
    else if (op === 0xe3) { w.reg(1); c.op(OP.eqz); }
    else {
      // LOOP, LOOPE, LOOPNE: ECX counts down first (flags untouched), then the condition.
      w.setReg(1, () => { w.reg(1); c.i32(1).op(OP.sub); });
      w.reg(1); c.i32(0).op(OP.ne);
      if (op !== 0xe2) { w.condition(op === 0xe1 ? 4 : 5); c.op(OP.and); }
    }
    c.if();
    if (loops) again(1);
    exitTo(rel(last));
    c.else();
    exitTo(last.off + last.len, 1);
    c.end();
  } else if (inlineLast && (op === 0xeb || op === 0xe9)) {
    if (loops) again(0);
    exitTo(rel(last));
  } else if (inlineLast && op === 0xe8) {
    next(); c.set(V); w.push(-1); exitTo(rel(last));
  } else if (inlineLast && (op === 0xc3 || op === 0xc2)) {
    w.pop(); eipOut(() => c.get(V));
    if (op === 0xc2 && (last.imm & 0xffff) !== 0) {
      // RET imm16 then releases the arguments: ESP, or SP on a 16-bit stack.
      c.i32(0).load32(STACK32).if();
      w.setReg(ESP, () => { w.reg(ESP); c.i32(last.imm & 0xffff).op(OP.add); });
      c.else();
      w.setReg16(ESP, () => { w.reg(ESP); c.i32(last.imm & 0xffff).op(OP.add); });
      c.end();
    }
  } else if (inlineLast && op === 0xff && last.reg === 2) {
    // CALL r/m32: the target read first (a fault there pushes nothing), then the return address.
    if (last.mod === 3) w.reg(last.rm); else { w.ea(last); c.set(O); w.read(4, last.seg); }
    c.set(T);
    next(); c.set(V); w.push(-1);
    eipOut(() => c.get(T));
  } else if (inlineLast && op === 0xff && last.reg === 4) {
    if (last.mod === 3) eipOut(() => w.reg(last.rm));
    else { w.ea(last); c.set(O); w.read(4, last.seg); c.set(T); eipOut(() => c.get(T)); }
  } else {
    // Its handler, with EIP and the next EIP as the run loop gives them; it returns where to go on.
    const callLast = () => {
      w.at(n - 1);
      w.spill();
      c.i32(w.handler(last)).get(BASE).i32(last.off).op(OP.add).call(IMPORT.callLast).set(T);
      w.reload();
    };
    // INT n, IRET and CALL m16:32 are written out for the common case (gates.ts), with the handler for the rest.
    const int = op === 0xcd && plain(last), iret = op === 0xcf && last.o32 && plain(last);
    const farCall = op === 0xff && last.reg === 3 && last.mod !== 3 && inlineLast;
    if (op === 0x122 && last.reg === 3) {
      // MOV CR3 (walk.ts movCr3), then on by the dispatcher as after a handler that changed nothing it must see:
      // not by a chain, since the next page may map elsewhere now.
      c.block().block();
      w.reg(last.rm); c.call(IMPORT.movCr3).op(OP.eqz).brIf(0);
      c.get(BASE).i32(last.off + last.len).op(OP.add).set(T);
      w.cell(CELL.GO_ON, () => c.i32(1));
      c.br(1).end();
      callLast();
      c.end();
    } else if (int || iret || farCall) {
      c.block().block();
      if (int) writeSoftwareInterrupt(w, last); else if (iret) writeInterruptReturn(w); else writeFarCall(w, last);
      c.br(1).end();
      callLast();
      c.end();
    } else {
      callLast();
    }
    eipOut(() => c.get(T));
    // After a near branch, a string instruction, RDTSC (which ends blocks only to read an exact clock) or
    // an instruction that just filled the block, the dispatcher may go on; not after one that may change
    // the mode, CS, paging or how interrupts are taken.
    endsInHandler = (last.flags & (Op.ENDS_BLOCK | Op.FAR)) !== 0 && op !== 0x131;
  }
  if (loops) c.end();
  c.i32(n);
  w.ret();
  return { endsInHandler, loops };
}

/** A block alone, as a function body (what the tests look at). */
export function blockBody(instrs: Instr[], ramBase: number, handler: (i: Instr) => number): { code: Code; endsInHandler: boolean; loops: boolean } {
  const w = new Writer(ramBase, handler);
  w.reload();
  return { code: w.c, ...writeBlock(w, instrs, null) };
}
