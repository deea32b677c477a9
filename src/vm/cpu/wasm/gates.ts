/**
 * INT n, IRET and CALL m16:32 written out in WebAssembly, for what they nearly always are
 * under a protected-mode kernel: a system call from ring 3 through a gate
 * into the kernel's ring (tour's and Linux's INT 0x80, which lguest lets go
 * straight to the Guest's ring 1), and the IRET back; the Switcher's IRETs
 * into the Guest too; and the far call through memory by which the lguest
 * Host enters the Switcher. Every segment on the way is flat (base 0, 4 GiB,
 * 32-bit), every table and stack is on a page the TLB maps.
 *
 * They gather and check everything first, as interrupts.ts does, and change
 * nothing until nothing can fail: anything else (a fault to raise, a task
 * gate, a conforming or non-flat segment, a descriptor not yet accessed, a
 * frame across a page end, a segment register the IRET would clear...)
 * branches out to the instruction's handler, which does it all with every
 * check. EFLAGS, the CPL and the rights it gives live in the machine's memory (the EFLAGS INT
 * pushes worked out by lazyFlags.ts `eflags`): IRET sets them here, and says whether the dispatcher
 * may go on, as callLast does for a handler. INT's part that lives in TypeScript (the vector counts,
 * the observers of the lguest Host and the debugger) goes through the `entered` import (tier.ts).
 */
import type { Instr } from '../instr';
import { OP } from './emit';
import { IMPORT, CELL } from './cells';
import { R_S, W_S, R_U, W_U } from '../paging';
import { type Writer, BASE, O, X, P, T, V, ESP, G0, G1, G2, G3, G4, G5, G6 } from './writer';
import {
  CPL, STACK32, IDTR_BASE, IDTR_LIMIT, TR_BASE, TR_LIMIT, TR_ATTR, SEG_SEL, SEG_BASE, SEG_LIMIT, SEG_ATTR,
  SEG_FLAT_R, SEG_FLAT_W, TLB_RIGHTS, CODE_PAGES, FLAGS_RAW, LAZY_MASK, ACC_R, ACC_W, INTR_LINE,
} from './layout';
import { ARITH, TF, DF, NT, AC, ID, RF, IF, IOPL, VIF, VIP } from '../flags';

const CS = 1, SS = 2;
/**
 * The high word of a flat 32-bit descriptor (base 0, limit 0xFFFFF in 4 KiB units, D/B set, not 64-bit),
 * present, accessed (a load would otherwise have to write the Accessed bit), its DPL left out: for code not
 * conforming, for data writable and expanding up. The low word is then 0x0000FFFF.
 */
const FLAT_CODE_MASK = 0xffef9dff | 0, FLAT_CODE = 0x00cf9900;
const FLAT_DATA_MASK = 0xffef9fff | 0, FLAT_DATA = 0x00cf9300;

/** Branch `depth` out unless the descriptor in O (low) and T (high) is flat code or data (see FLAT_CODE). */
function flat(w: Writer, code: boolean, depth: number): void {
  const c = w.c;
  c.get(O).i32(0xffff).op(OP.ne).brIf(depth);
  c.get(T).i32(code ? FLAT_CODE_MASK : FLAT_DATA_MASK).op(OP.and).i32(code ? FLAT_CODE : FLAT_DATA).op(OP.ne).brIf(depth);
}

/** The descriptor's DPL, from T. */
const dpl = (w: Writer) => w.c.get(T).i32(13).op(OP.shrU).i32(3).op(OP.and);
/** Its attributes as the segment cache keeps them (segments.ts descAttr), from T. */
const attributes = (w: Writer) => w.c.get(T).i32(8).op(OP.shrU).i32(0xf0ff).op(OP.and);

/**
 * The stack segment of ring `ring` (what `ring` leaves on the stack), as segments.ts checkStackSegment
 * checks it, and flat: the selector in local `sel` not null, its RPL and its DPL that ring, flat writable
 * data; its attributes into local `attr`. Else a branch `depth` out.
 */
function flatStackSegment(w: Writer, sel: number, ring: () => void, attr: number, depth: number): void {
  const c = w.c;
  c.get(sel).i32(0xfffc).op(OP.and).op(OP.eqz).brIf(depth);
  c.get(sel).i32(3).op(OP.and); ring(); c.op(OP.ne).brIf(depth);
  w.gdtDescriptor(sel, depth);
  flat(w, false, depth);
  dpl(w); ring(); c.op(OP.ne).brIf(depth);
  attributes(w); c.set(attr);
}

/** Load the cache of CS or SS with a flat segment: the selector in local `sel`, the attributes in `attr`. */
function loadFlat(w: Writer, seg: number, sel: number, attr: number): void {
  const c = w.c;
  c.i32(0).get(sel).store16(SEG_SEL + seg * 2);
  c.i32(0).i32(0).store32(SEG_BASE + seg * 4);
  c.i32(0).i32(-1).store32(SEG_LIMIT + seg * 4);
  c.i32(0).get(attr).store16(SEG_ATTR + seg * 2);
  // Code is read through CS if it is readable, and never written; the stack is writable data.
  if (seg === CS) c.i32(0).get(attr).i32(1).op(OP.shrU).i32(1).op(OP.and).store8(SEG_FLAT_R + seg);
  else c.i32(0).i32(1).store8(SEG_FLAT_R + seg);
  c.i32(0).i32(seg === CS ? 0 : 1).store8(SEG_FLAT_W + seg);
}

/**
 * INT n (`last`, the block's last instruction) through a present 32-bit interrupt or trap gate whose DPL
 * the CPL may use, to a flat code segment of an inner ring, with that ring's stack from a 32-bit TSS.
 * Inside a block whose innermost enclosing block (depth 0) is left to run the handler instead. On the fast
 * path, T holds the handler's EIP at the end.
 */
export function writeSoftwareInterrupt(w: Writer, last: Instr): void {
  const c = w.c, ram = w.ramBase, vector = last.imm & 0xff;
  const CS_SEL = G0, CS_ATTR = G1, NEW_ESP = G2, NEW_SS = G3, SS_ATTR = G4, OFFSET = G5, TRAP = G6;
  // The gate: within IDTR's limit, on a page the TLB maps.
  c.i32(vector * 8 + 7).i32(0).load32(IDTR_LIMIT).op(OP.gtU).brIf(0);
  c.i32(0).load32(IDTR_BASE).i32(vector * 8).op(OP.add).set(O);
  w.linearToPhysical(8, 0, R_S);
  c.get(P).load32(ram).set(V);
  c.get(P).load32(ram + 4).set(T);
  // Present, type 14 or 15 (S clear), DPL at least the CPL.
  c.get(T).i32(0x9e00).op(OP.and).i32(0x8e00).op(OP.ne).brIf(0);
  c.i32(0).load32(CPL); dpl(w); c.op(OP.gtU).brIf(0);
  c.get(V).i32(0xffff).op(OP.and).get(T).i32(0xffff0000 | 0).op(OP.and).op(OP.or).set(OFFSET);
  c.get(T).i32(8).op(OP.shrU).i32(1).op(OP.and).set(TRAP);
  // The code segment: not null, flat, of a more privileged ring (the same ring is the handler's).
  c.get(V).i32(16).op(OP.shrU).set(CS_SEL);
  c.get(CS_SEL).i32(0xfffc).op(OP.and).op(OP.eqz).brIf(0);
  w.gdtDescriptor(CS_SEL, 0);
  flat(w, true, 0);
  dpl(w); c.i32(0).load32(CPL).op(OP.geU).brIf(0);
  c.get(CS_SEL).i32(0xfffc).op(OP.and); dpl(w); c.op(OP.or).set(CS_SEL);
  attributes(w); c.set(CS_ATTR);
  // That ring's ESP and SS from a 32-bit TSS, within its limit, on a page the TLB maps.
  c.i32(0).load32(TR_ATTR).i32(8).op(OP.and).op(OP.eqz).brIf(0);
  c.get(CS_SEL).i32(3).op(OP.and).i32(3).op(OP.shl).i32(4).op(OP.add).set(V);
  c.get(V).i32(5).op(OP.add).i32(0).load32(TR_LIMIT).op(OP.gtU).brIf(0);
  c.i32(0).load32(TR_BASE).get(V).op(OP.add).set(O);
  w.linearToPhysical(6, 0, R_S);
  c.get(P).load32(ram).set(NEW_ESP);
  c.get(P).load16u(ram + 4).set(NEW_SS);
  // Its stack segment.
  flatStackSegment(w, NEW_SS, () => c.get(CS_SEL).i32(3).op(OP.and), SS_ATTR, 0);
  // The frame's five doublewords on one page the TLB lets the supervisor write, holding no decoded code.
  c.get(NEW_ESP).i32(20).op(OP.sub).set(O);
  w.linearToPhysical(20, 0);
  c.get(X).load8u(TLB_RIGHTS).i32(W_S).op(OP.and).op(OP.eqz).brIf(0);
  c.get(P).i32(12).op(OP.shrU).load8u(CODE_PAGES).brIf(0);

  // Nothing can fail from here on. The frame: EIP after the INT, CS, EFLAGS, ESP, SS.
  c.get(P).get(BASE).i32(last.off + last.len).op(OP.add).store32(ram);
  c.get(P).i32(0).load16u(SEG_SEL + CS * 2).store32(ram + 4);
  c.get(P).call(IMPORT.eflags).store32(ram + 8);
  c.get(P); w.reg(ESP); c.store32(ram + 12);
  c.get(P).i32(0).load16u(SEG_SEL + SS * 2).store32(ram + 16);
  loadFlat(w, SS, NEW_SS, SS_ATTR);
  w.setReg(ESP, () => c.get(O));
  loadFlat(w, CS, CS_SEL, CS_ATTR);
  w.spill();
  c.i32(vector).get(CS_SEL).i32(3).op(OP.and).get(TRAP).get(BASE).i32(last.off).op(OP.add).get(BASE).i32(last.off + last.len).op(OP.add);
  c.call(IMPORT.entered).drop();
  c.get(OFFSET).set(T);
}

/**
 * IRET (32-bit operands) with NT clear, from a flat 32-bit stack whose frame at ESP (12 bytes, or 20 to an
 * outer ring) the TLB maps on one page, to a flat code segment of the same ring or, with its flat stack, of
 * an outer ring that may keep every data segment register as it is. Inside a block whose innermost enclosing block (depth 0) is
 * left to run the handler instead. On the fast path, T holds the EIP popped at the end.
 */
export function writeInterruptReturn(w: Writer): void {
  const c = w.c, ram = w.ramBase;
  const NEW_EIP = G0, NEW_CS = G1, FLAGS = G2, NEW_ESP = G3, NEW_SS = G4, CS_ATTR = G5, SS_ATTR = G6;
  // A return to a task (NT) is the handler's.
  c.i32(0).load32(FLAGS_RAW).i32(0x4000).op(OP.and).brIf(0);
  c.i32(0).load32(STACK32).op(OP.eqz).brIf(0);
  w.reg(ESP); c.set(O);
  w.hitOrBreak(12, SS, false, true);
  c.get(P).set(V);
  c.get(V).load32(ram).set(NEW_EIP);
  c.get(V).load32(ram + 4).i32(0xffff).op(OP.and).set(NEW_CS);
  c.get(V).load32(ram + 8).set(FLAGS);
  // The code segment: not null, RPL at least the CPL, flat, its DPL the RPL.
  c.get(NEW_CS).i32(0xfffc).op(OP.and).op(OP.eqz).brIf(0);
  c.get(NEW_CS).i32(3).op(OP.and).i32(0).load32(CPL).op(OP.ltU).brIf(0);
  w.gdtDescriptor(NEW_CS, 0);
  flat(w, true, 0);
  dpl(w); c.get(NEW_CS).i32(3).op(OP.and).op(OP.ne).brIf(0);
  attributes(w); c.set(CS_ATTR);
  c.get(NEW_CS).i32(3).op(OP.and).i32(0).load32(CPL).op(OP.ne);
  c.if();
  {
    // To an outer ring: its stack segment; and no data segment
    // register it would have to clear (segments.ts dropInnerSegments): DS and ES not null, FS and GS null
    // or, like the others, of a DPL the new CPL may use.
    w.reg(ESP); c.i32(0xfff).op(OP.and).i32(4096 - 20).op(OP.gtU).brIf(1);
    c.get(V).load32(ram + 12).set(NEW_ESP);
    c.get(V).load32(ram + 16).i32(0xffff).op(OP.and).set(NEW_SS);
    flatStackSegment(w, NEW_SS, () => c.get(NEW_CS).i32(3).op(OP.and), SS_ATTR, 1);
    for (const seg of [0, 3, 4, 5]) {
      const inner = () => {
        c.i32(0).load16u(SEG_ATTR + seg * 2).i32(5).op(OP.shrU).i32(3).op(OP.and);
        c.get(NEW_CS).i32(3).op(OP.and).op(OP.ltU);
      };
      const isNull = () => c.i32(0).load16u(SEG_SEL + seg * 2).i32(0xfffc).op(OP.and).op(OP.eqz);
      if (seg === 0 || seg === 3) { isNull(); c.brIf(1); inner(); c.brIf(1); } else { isNull(); c.op(OP.eqz); inner(); c.op(OP.and).brIf(1); }
    }
    loadFlat(w, SS, NEW_SS, SS_ATTR);
    w.setReg(ESP, () => c.get(NEW_ESP));
  }
  c.else();
  w.setReg(ESP, () => { w.reg(ESP); c.i32(12).op(OP.add); });
  c.end();
  loadFlat(w, CS, NEW_CS, CS_ATTR);
  w.spill();
  returned(w, FLAGS, NEW_CS);
  c.get(NEW_EIP).set(T);
}

/**
 * CALL m16:32 (`last`, the block's last instruction) to a flat code segment of the same ring, as ops/control.ts
 * farTransfer does it for a code segment: the far pointer on one page the TLB maps for reading; the selector not
 * null, its RPL at most the CPL, a present, accessed, non-conforming flat 32-bit code segment of the CPL's DPL;
 * CS and the next EIP pushed on a flat 32-bit stack whose eight bytes are on one page the TLB lets it write,
 * holding no decoded code. The lguest Host's way into the Switcher. Anything else (a call gate, a conforming or
 * non-flat segment, a fault to raise) branches out of the enclosing block (depth 0), to the handler. On the fast
 * path T holds the new EIP at the end, and the dispatcher may go on: nothing it must see has changed.
 */
export function writeFarCall(w: Writer, last: Instr): void {
  const c = w.c, ram = w.ramBase;
  const NEW_EIP = G0, NEW_CS = G1, CS_ATTR = G2;
  w.ea(last); c.set(O);
  w.hitOrBreak(6, last.seg, false, true);
  c.get(P).load32(ram).set(NEW_EIP);
  c.get(P).load16u(ram + 4).set(NEW_CS);
  // The code segment: not null, RPL at most the CPL, flat, non-conforming, its DPL the CPL.
  c.get(NEW_CS).i32(0xfffc).op(OP.and).op(OP.eqz).brIf(0);
  c.get(NEW_CS).i32(3).op(OP.and).i32(0).load32(CPL).op(OP.gtU).brIf(0);
  w.gdtDescriptor(NEW_CS, 0);
  flat(w, true, 0);
  dpl(w); c.i32(0).load32(CPL).op(OP.ne).brIf(0);
  attributes(w); c.set(CS_ATTR);
  // The return address, CS then EIP, on the stack (CS zero-extended to a doubleword).
  c.i32(0).load32(STACK32).op(OP.eqz).brIf(0);
  w.reg(ESP); c.i32(8).op(OP.sub).set(O);
  w.hitOrBreak(8, SS, true);
  c.get(P).i32(12).op(OP.shrU).load8u(CODE_PAGES).brIf(0);
  // Nothing can fail from here on.
  c.get(P).get(BASE).i32(last.off + last.len).op(OP.add).store32(ram);
  c.get(P).i32(0).load16u(SEG_SEL + CS * 2).store32(ram + 4);
  w.setReg(ESP, () => c.get(O));
  c.get(NEW_CS).i32(0xfffc).op(OP.and).i32(0).load32(CPL).op(OP.or).set(NEW_CS);
  loadFlat(w, CS, NEW_CS, CS_ATTR);
  c.get(NEW_EIP).set(T);
  w.cell(CELL.GO_ON, () => c.i32(1));
}

/**
 * The CPU's part of an IRET written out, once CS (and SS, ESP) are loaded, as interrupts.ts iret does it: the
 * new CPL and the rights it gives, SS.B (every stack here is flat 32-bit), EFLAGS from the popped image in local
 * `flags` as far as the old CPL may write them (interrupts.ts writableFlags, setFlagsMasked). Then whether the
 * dispatcher may go on (tier.ts goOn): not if the new EFLAGS trap (TF) or hold off an instruction breakpoint
 * (RF), nor if they let in an interrupt that is waiting; then EXIT asks the run loop to look.
 */
function returned(w: Writer, flags: number, newCs: number): void {
  const c = w.c;
  const OLD_CPL = G3, NEW_FLAGS = G4, MASK = G5;
  c.i32(0).load32(CPL).set(OLD_CPL);
  c.get(newCs).i32(3).op(OP.and).get(OLD_CPL).op(OP.ne).if();
  {
    c.i32(0).get(newCs).i32(3).op(OP.and).store32(CPL);
    c.i32(0).get(newCs).i32(3).op(OP.and).i32(3).op(OP.eq).if(true).i32(R_U).else().i32(R_S).end().store32(ACC_R);
    c.i32(0).get(newCs).i32(3).op(OP.and).i32(3).op(OP.eq).if(true).i32(W_U).else().i32(W_S).end().store32(ACC_W);
    c.i32(0).i32(1).store32(STACK32);
  }
  c.end();
  // What the old CPL may write: IF up to IOPL, IOPL, VIF and VIP at CPL 0.
  c.i32(ARITH | TF | DF | NT | AC | ID | RF);
  c.get(OLD_CPL).i32(0).load32(FLAGS_RAW).i32(12).op(OP.shrU).i32(3).op(OP.and).op(OP.leU).i32(IF).op(OP.mul).op(OP.or);
  c.get(OLD_CPL).op(OP.eqz).i32(IOPL | VIF | VIP).op(OP.mul).op(OP.or);
  c.set(MASK);
  c.call(IMPORT.eflags).get(MASK).i32(-1).op(OP.xor).op(OP.and);
  c.get(flags).get(MASK).op(OP.and).op(OP.or).i32(2).op(OP.or).i32(~(0x8 | 0x20 | 0x8000)).op(OP.and).set(NEW_FLAGS);
  c.i32(0).get(NEW_FLAGS).store32(FLAGS_RAW);
  c.i32(0).i32(0).store32(LAZY_MASK);
  // Go on unless TF or RF, or IF with the interrupt line raised.
  c.get(NEW_FLAGS).i32(TF | RF).op(OP.and).i32(0).op(OP.ne);
  c.get(NEW_FLAGS).i32(IF).op(OP.and).i32(0).op(OP.ne).i32(0).load32(INTR_LINE).i32(0).op(OP.ne).op(OP.and);
  c.op(OP.or);
  c.if();
  w.cell(CELL.EXIT, () => c.i32(1));
  c.else();
  w.cell(CELL.GO_ON, () => c.i32(1));
  c.end();
}
