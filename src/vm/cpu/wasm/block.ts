/**
 * A block as WebAssembly: the function body for one block of 32-bit code run
 * through a flat CS. The common instructions are written out here (MOV and
 * its byte, moffs and MOVZX/MOVSX forms, LEA, the doubleword ALU operations
 * but ADC and SBB, TEST, byte compares and tests, INC/DEC of registers,
 * shifts of registers by a constant, SETcc, CMOVcc of registers, IMUL, MUL,
 * DIV and IDIV of doublewords, PUSH, POP, NOP, and the jumps, calls and
 * returns that end blocks); every other one calls its handler through an
 * import, as compiled JavaScript (compiler.ts) does.
 *
 * The function is `run(base, passes)`: `base` the block's EIP, `passes` how
 * many more times a block that jumps back to its own start may run. It
 * returns how many instructions ran (fewer than all when a slow path asks to
 * leave after one, as compiled JavaScript does) and leaves in the cells
 * (layout.ts CELLS, see tier.ts): the next EIP, the passes it took, the index
 * of the instruction under way (for a fault thrown by a slow path), and the
 * lazy flags of the last instruction that set them.
 *
 * Registers are read and written in memory, where the TypeScript side sees
 * them; memory accesses are the TLB hit written inline (writer.ts).
 */
import type { Instr } from '../instr';
import { Op } from '../instr';
import { plain } from '../compile/common';
import { type Code, OP, OP64 } from './emit';
import { REGS } from './layout';
import { CELL, CELL_AT, IMPORT } from './cells';
import {
  Writer, Kind, reg8At, ADD, SUB, LOGIC, BASE, PASSES, FA, FB, FR, O, V, CFL, T, F, L0, L1,
} from './writer';

export { LOCALS, LOCALS64 } from './writer';

interface AluOp { op: number; lazy: number; kind: Kind; cmp: boolean }
/** ALU operations the block writes out (by the reg field of 81/83, or opcode >> 3): ADD OR AND SUB XOR CMP. */
const ALU: Record<number, AluOp | undefined> = {
  0: { op: OP.add, lazy: ADD, kind: Kind.ADD, cmp: false },
  1: { op: OP.or, lazy: LOGIC, kind: Kind.LOGIC, cmp: false },
  4: { op: OP.and, lazy: LOGIC, kind: Kind.LOGIC, cmp: false },
  5: { op: OP.sub, lazy: SUB, kind: Kind.SUB, cmp: false },
  6: { op: OP.xor, lazy: LOGIC, kind: Kind.LOGIC, cmp: false },
  7: { op: OP.sub, lazy: SUB, kind: Kind.SUB, cmp: true },
};

/** One straight-line instruction, k of the block; `last` when nothing follows it in the block. False: not written here. */
function instruction(w: Writer, i: Instr, k: number, last: boolean): boolean {
  const c = w.c, op = i.opcode, mem = i.hasModrm && i.mod !== 3, seg = i.seg;
  const leave = last ? -1 : k + 1;
  switch (true) {
    case op === 0x89:
      if (!mem) w.setReg(i.rm, () => w.reg(i.reg)); else w.storeOperand(i, k, 4, leave, () => w.reg(i.reg));
      return true;
    case op === 0x8b:
      if (!mem) w.setReg(i.reg, () => w.reg(i.rm)); else { w.loadOperand(i, k, 4); c.set(V); w.setReg(i.reg, () => c.get(V)); }
      return true;
    case op >= 0xb8 && op <= 0xbf: w.setReg(op & 7, () => c.i32(i.imm | 0)); return true;
    case op === 0xc7 && i.reg === 0:
      if (!mem) w.setReg(i.rm, () => c.i32(i.imm | 0)); else w.storeOperand(i, k, 4, leave, () => c.i32(i.imm | 0));
      return true;
    case op === 0x8d && mem: w.ea(i); c.set(V); w.setReg(i.reg, () => c.get(V)); return true;
    case op >= 0x50 && op <= 0x57: w.at(k); w.reg(op & 7); c.set(V); w.push(leave); return true;
    case op === 0x68 || op === 0x6a: w.at(k); c.i32(i.imm | 0).set(V); w.push(leave); return true;
    case op >= 0x58 && op <= 0x5f: w.at(k); w.pop(); w.setReg(op & 7, () => c.get(V)); return true;
    case op >= 0x40 && op <= 0x4f: {
      const r = op & 7, dec = op >= 0x48;
      w.carry();
      w.cell(CELL.CARRY, () => c.get(CFL));
      w.reg(r); c.set(FA); c.i32(1).set(FB);
      c.get(FA).i32(1).op(dec ? OP.sub : OP.add).set(FR);
      w.setReg(r, () => c.get(FR));
      w.lazy(dec ? SUB : ADD, true);
      w.kind = Kind.INCDEC;
      return true;
    }
    case op < 0x40 && (op & 7) <= 5 && (op & 7) % 2 === 1 && ALU[op >> 3] !== undefined: {
      const a = ALU[op >> 3]!, form = op & 7;
      if (form === 5) return alu(w, a, k, () => w.reg(0), () => c.i32(i.imm | 0), 0, null, leave);
      if (form === 3) return alu(w, a, k, () => w.reg(i.reg), mem ? () => w.loadOperand(i, k, 4) : () => w.reg(i.rm), i.reg, null, leave);
      return alu(w, a, k, () => w.reg(i.rm), () => w.reg(i.reg), i.rm, mem ? i : null, leave);
    }
    case (op === 0x81 || op === 0x83) && ALU[i.reg] !== undefined:
      return alu(w, ALU[i.reg]!, k, () => w.reg(i.rm), () => c.i32(i.imm | 0), i.rm, mem ? i : null, leave);
    case op === 0x85 || op === 0xa9 || (op === 0xf7 && i.reg === 0): {
      if (mem) w.loadOperand(i, k, 4); else w.reg(op === 0xa9 ? 0 : i.rm);
      c.set(FA);
      if (op === 0x85) w.reg(i.reg); else c.i32(i.imm | 0);
      c.set(FB);
      c.get(FA).get(FB).op(OP.and).set(FR);
      w.lazy(LOGIC, false);
      w.kind = Kind.LOGIC;
      return true;
    }
    case op === 0x1b6 || op === 0x1be || op === 0x1b7 || op === 0x1bf: {
      const byte = op === 0x1b6 || op === 0x1be, signed = op === 0x1be || op === 0x1bf;
      if (mem) {
        w.loadOperand(i, k, byte ? 1 : 2, signed);
      } else if (byte) {
        c.i32(0); signed ? c.load8s(reg8At(i.rm)) : c.load8u(reg8At(i.rm));
      } else {
        c.i32(0); signed ? c.load16s(REGS + i.rm * 4) : c.load16u(REGS + i.rm * 4);
      }
      c.set(V);
      w.setReg(i.reg, () => c.get(V));
      return true;
    }
    case op === 0x88:
      if (!mem) w.setReg8(i.rm, () => w.reg8(i.reg)); else w.storeOperand(i, k, 1, leave, () => w.reg8(i.reg));
      return true;
    case op === 0x8a:
      if (!mem) w.setReg8(i.reg, () => w.reg8(i.rm)); else { w.loadOperand(i, k, 1); c.set(V); w.setReg8(i.reg, () => c.get(V)); }
      return true;
    case op === 0xc6 && i.reg === 0:
      if (!mem) w.setReg8(i.rm, () => c.i32(i.imm & 255)); else w.storeOperand(i, k, 1, leave, () => c.i32(i.imm & 255));
      return true;
    case op >= 0xb0 && op <= 0xb7: w.setReg8(op & 7, () => c.i32(i.imm & 255)); return true;
    case op === 0xa1 || op === 0xa0:
      w.at(k); c.i32(i.disp | 0).set(O); w.read(op === 0xa1 ? 4 : 1, seg); c.set(V);
      if (op === 0xa1) w.setReg(0, () => c.get(V)); else w.setReg8(0, () => c.get(V));
      return true;
    case op === 0xa3 || op === 0xa2:
      w.at(k); if (op === 0xa3) w.reg(0); else w.reg8(0); c.set(V); c.i32(i.disp | 0).set(O); w.write(op === 0xa3 ? 4 : 1, seg, leave);
      return true;
    case op === 0x90: return true;
    case (op === 0x80 && i.reg === 7) || op === 0x3c || op === 0x38 || op === 0x3a
      || (op === 0xf6 && i.reg === 0) || op === 0x84 || op === 0xa8: {
      // Byte compares and tests: fa, fb the bytes, fr the byte result.
      const test = op === 0xf6 || op === 0x84 || op === 0xa8;
      const rm = () => { if (mem) { w.ea(i); c.set(O); w.read(1, seg); } else w.reg8(i.rm); };
      if (mem && op !== 0x3c && op !== 0xa8) w.at(k);
      if (op === 0x3c || op === 0xa8) { w.reg8(0); c.set(FA); c.i32(i.imm & 255).set(FB); }
      else if (op === 0x3a) { w.reg8(i.reg); c.set(FA); rm(); c.set(FB); }
      else { rm(); c.set(FA); if (op === 0x38 || op === 0x84) w.reg8(i.reg); else c.i32(i.imm & 255); c.set(FB); }
      if (test) c.get(FA).get(FB).op(OP.and).set(FR);
      else c.get(FA).get(FB).op(OP.sub).i32(255).op(OP.and).set(FR);
      w.lazy(test ? LOGIC : SUB, false, 1);
      w.kind = test ? Kind.LOGIC8 : Kind.SUB8;
      return true;
    }
    case (op === 0xc1 || op === 0xd1) && !mem && (i.reg === 4 || i.reg === 5 || i.reg === 7): {
      // SHL, SHR, SAR of a register by a constant: t the value shifted by one less (its bit out is CF).
      const n = op === 0xd1 ? 1 : i.imm & 31, r = i.rm;
      if (n === 0) return true;
      w.reg(r); c.set(FA);
      c.get(FA).i32(n - 1).op(i.reg === 4 ? OP.shl : i.reg === 5 ? OP.shrU : OP.shrS).set(T);
      c.get(T).i32(1).op(i.reg === 4 ? OP.shl : i.reg === 5 ? OP.shrU : OP.shrS).set(FR);
      w.setReg(r, () => c.get(FR));
      if (i.reg === 4) c.get(T).i32(31).op(OP.shrU); else c.get(T).i32(1).op(OP.and);
      c.set(CFL);
      // ZF SF PF CF OF, as the handler leaves them.
      c.get(FR).op(OP.eqz).i32(6).op(OP.shl);
      c.get(FR).i32(31).op(OP.shrU).i32(7).op(OP.shl).op(OP.or);
      c.get(FR).i32(255).op(OP.and).op(OP.popcnt).i32(1).op(OP.and).i32(1).op(OP.xor).i32(2).op(OP.shl).op(OP.or);
      c.get(CFL).op(OP.or);
      c.get(T).get(FR).op(OP.xor).i32(31).op(OP.shrU).i32(11).op(OP.shl).op(OP.or);
      c.set(F);
      w.concrete();
      w.kind = Kind.SHIFT;
      return true;
    }
    case op >= 0x190 && op <= 0x19f:
      if (!mem) w.setReg8(i.rm, () => w.condition(op & 15)); else w.storeOperand(i, k, 1, leave, () => w.condition(op & 15));
      return true;
    case op >= 0x140 && op <= 0x14f && !mem:
      w.setReg(i.reg, () => { w.reg(i.rm); w.reg(i.reg); w.condition(op & 15); c.select(); });
      return true;
    case op === 0x1af || op === 0x69 || op === 0x6b: {
      // IMUL Gv,Ev(,imm): the low half of the signed product; it overflowed when the full one differs.
      if (mem) w.loadOperand(i, k, 4); else w.reg(i.rm);
      c.set(T);
      if (op === 0x1af) w.reg(i.reg); else c.i32(i.imm | 0);
      c.op(OP64.extendS).get(T).op(OP64.extendS).op(OP64.mul).set(L0);
      c.get(L0).op(OP64.wrap).set(FR);
      w.setReg(i.reg, () => c.get(FR));
      c.get(L0).get(FR).op(OP64.extendS).op(OP64.ne).set(CFL);
      w.multiplyFlags();
      return true;
    }
    case op === 0xf7 && (i.reg === 4 || i.reg === 5): {
      // MUL, IMUL r/m32: EDX:EAX = EAX * r/m32.
      const signed = i.reg === 5, ext = signed ? OP64.extendS : OP64.extendU;
      if (mem) w.loadOperand(i, k, 4); else w.reg(i.rm);
      c.op(ext);
      w.reg(0); c.op(ext).op(OP64.mul).set(L0);
      c.get(L0).op(OP64.wrap).set(FR);
      w.setReg(0, () => c.get(FR));
      w.setReg(2, () => c.get(L0).i64(32).op(OP64.shrU).op(OP64.wrap));
      if (signed) { w.reg(2); c.get(FR).i32(31).op(OP.shrS).op(OP.ne); } else { w.reg(2); c.i32(0).op(OP.ne); }
      c.set(CFL);
      w.multiplyFlags();
      return true;
    }
    case op === 0xf7 && (i.reg === 6 || i.reg === 7): {
      // DIV, IDIV r/m32 of EDX:EAX, flags untouched. What raises #DE (a zero divisor, a quotient too
      // big; for IDIV also a divisor of -1) goes to the handler, which raises it.
      const signed = i.reg === 7;
      if (mem) w.loadOperand(i, k, 4); else w.reg(i.rm);
      c.set(T);
      w.reg(2); c.op(OP64.extendU).i64(32).op(OP64.shl); w.reg(0); c.op(OP64.extendU).op(OP64.or).set(L0);
      c.get(T).op(OP.eqz);
      if (signed) c.get(T).i32(-1).op(OP.eq).op(OP.or);
      else { w.reg(2); c.get(T).op(OP.geU).op(OP.or); }
      c.if();
      w.callHandler(i, k, last);
      c.else();
      if (signed) {
        c.get(L0).get(T).op(OP64.extendS).op(OP64.divS).set(L1);
        c.get(L1).i64(-0x80000000).op(OP64.ltS).get(L1).i64(0x7fffffff).op(OP64.gtS).op(OP.or);
        c.if();
        w.callHandler(i, k, last);
        c.else();
        w.setReg(0, () => c.get(L1).op(OP64.wrap));
        w.setReg(2, () => c.get(L0).get(T).op(OP64.extendS).op(OP64.remS).op(OP64.wrap));
        c.end();
      } else {
        w.setReg(0, () => c.get(L0).get(T).op(OP64.extendU).op(OP64.divU).op(OP64.wrap));
        w.setReg(2, () => c.get(L0).get(T).op(OP64.extendU).op(OP64.remU).op(OP64.wrap));
      }
      c.end();
      // Flags as they were: what the block knew of them still holds (the handler path raised).
      return true;
    }
    default:
      return false;
  }
}

/**
 * dst OP src for a 32-bit ALU operation: `dst` a register (`dstReg`), or the memory operand of
 * `memIns` (read checked for writing, so the write after the flags cannot fault). `srcMem`: the
 * source reads memory (the instruction may fault).
 */
function alu(w: Writer, a: AluOp, k: number, dst: () => void, src: () => void,
  dstReg: number, memIns: Instr | null, leave: number): boolean {
  const c = w.c, cmp = a.cmp;
  if (memIns !== null) {
    w.at(k);
    w.ea(memIns); c.set(O);
    w.read(4, memIns.seg, !cmp); c.set(FA);
  } else {
    dst(); c.set(FA);
  }
  src(); c.set(FB);
  c.get(FA).get(FB).op(a.op).set(FR);
  w.lazy(a.lazy, false);
  w.kind = a.kind;
  if (!cmp) {
    if (memIns !== null) { c.get(FR).set(V); w.write(4, memIns.seg, leave); } else w.setReg(dstReg, () => c.get(FR));
  }
  return true;
}

/** Can the block write this instruction out itself (if instruction() has it)? Else its handler is called. */
const writable = (i: Instr) => i.a32 && i.o32 && i.rep === 0 && plain(i);

/**
 * The body of `run(base, passes)` for `instrs` (one block of 32-bit code, run through a flat CS).
 * What is not written out here calls its handler through an import, by the id `handler` gives the
 * instruction (tier.ts keeps them): the flags go back to the CPU first, and afterwards are known
 * only there. `loops`: it may jump back to its own start. `endsInHandler`: the last instruction is a handler's that may change the mode, CS,
 * paging or whether interrupts are taken, so the dispatcher goes back to the run loop after the block.
 */
export function blockBody(instrs: Instr[], ramBase: number, handler: (i: Instr) => number): { code: Code; endsInHandler: boolean; loops: boolean } {
  const w = new Writer(ramBase, handler), c = w.c, n = instrs.length, last = instrs[n - 1];
  // A jump back to the block's own start (a relative one to offset 0) loops here while passes last.
  const rel = (i: Instr) => (i.off + i.len + i.imm) | 0;
  const isJcc = (op: number) => (op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f);
  const op = last.opcode, inlineLast = writable(last);
  const loops = inlineLast && (isJcc(op) || op === 0xeb || op === 0xe9) && rel(last) === 0;
  if (loops) c.loop();
  for (let k = 0; k < n - 1; k++) {
    const i = instrs[k];
    if (writable(i) && instruction(w, i, k, false)) continue;
    // The handler: it may fault (the index is set), or ask to leave after it.
    w.callHandler(i, k, false);
  }
  const eipOut = (value: () => void) => w.cell(CELL.EIP, value);
  const target = () => c.get(BASE).i32(rel(last)).op(OP.add);
  const next = () => c.get(BASE).i32(last.off + last.len).op(OP.add);
  /** Another pass if one is left, counted (in the cells) before it runs; `depth` is the loop's from here. */
  const again = (depth: number) => {
    c.get(PASSES).if().get(PASSES).i32(1).op(OP.sub).set(PASSES);
    w.cell(CELL.PASSES, () => c.i32(0).load32(CELL_AT(CELL.PASSES)).i32(1).op(OP.add));
    c.br(depth + 1).end();
  };
  const branch = (last.flags & Op.BRANCH) !== 0;
  let endsInHandler = false;
  if (inlineLast && !branch && instruction(w, last, n - 1, true)) {
    eipOut(next);
  } else if (inlineLast && isJcc(op)) {
    w.condition(op & 0xf);
    c.if();
    if (loops) again(1);
    eipOut(target);
    c.else();
    eipOut(next);
    c.end();
  } else if (inlineLast && (op === 0xeb || op === 0xe9)) {
    if (loops) again(0);
    eipOut(target);
  } else if (inlineLast && op === 0xe8) {
    w.at(n - 1); next(); c.set(V); w.push(-1); eipOut(target);
  } else if (inlineLast && op === 0xc3) {
    w.at(n - 1); w.pop(); eipOut(() => c.get(V));
  } else if (inlineLast && op === 0xff && last.reg === 4) {
    if (last.mod === 3) eipOut(() => w.reg(last.rm));
    else { w.at(n - 1); w.ea(last); c.set(O); w.read(4, last.seg); c.set(T); eipOut(() => c.get(T)); }
  } else {
    // Its handler, with EIP and the next EIP as the run loop gives them; it returns where to go on.
    w.at(n - 1);
    c.i32(handler(last)).get(BASE).i32(last.off).op(OP.add).call(IMPORT.callLast).set(T);
    eipOut(() => c.get(T));
    // After a near branch, a string instruction, RDTSC (which ends blocks only to read an exact clock) or
    // an instruction that just filled the block, the dispatcher may go on; not after one that may change
    // the mode, CS, paging or how interrupts are taken.
    endsInHandler = (last.flags & (Op.ENDS_BLOCK | Op.FAR)) !== 0 && op !== 0x131;
  }
  if (loops) c.end();
  c.i32(n);
  return { code: c, endsInHandler, loops };
}

