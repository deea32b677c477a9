/**
 * The arithmetic a WebAssembly block writes out (block.ts asks here first):
 * the eight ALU operations and TEST on doublewords and bytes in every form,
 * INC and DEC, NOT and NEG, SHL SHR SAR by a constant (of registers and
 * memory) or by CL (of registers), IMUL in
 * its three forms, MUL, DIV and IDIV, CDQ and CWDE. Each leaves the flags as
 * its handler (ops/alu.ts, ops/shift.ts) does: a lazy record for the CPU's flags, or
 * concrete flags for the shifts and multiplies, and says in `w.kind` what the
 * locals fa, fb, fr hold for a condition read later in the block.
 */
import type { Instr } from '../instr';
import { OP, OP64 } from './emit';
import { Writer, Kind, ADD, ADC, SUB, SBB, LOGIC, FA, FB, FR, O, V, CFL, T, F, P, L0, L1 } from './writer';

interface AluOp { op: number; lazy: number; kind: Kind; writes: boolean }
/**
 * ALU operations written out (by the reg field of 80/81/83, or opcode >> 3): all eight. ADC and SBB
 * add or take CF in too; what a condition after them needs is asked of the CPU (Kind.NONE).
 */
const ALU: Record<number, AluOp | undefined> = {
  0: { op: OP.add, lazy: ADD, kind: Kind.ADD, writes: true },
  1: { op: OP.or, lazy: LOGIC, kind: Kind.LOGIC, writes: true },
  2: { op: OP.add, lazy: ADC, kind: Kind.NONE, writes: true },
  3: { op: OP.sub, lazy: SBB, kind: Kind.NONE, writes: true },
  4: { op: OP.and, lazy: LOGIC, kind: Kind.LOGIC, writes: true },
  5: { op: OP.sub, lazy: SUB, kind: Kind.SUB, writes: true },
  6: { op: OP.xor, lazy: LOGIC, kind: Kind.LOGIC, writes: true },
  7: { op: OP.sub, lazy: SUB, kind: Kind.SUB, writes: false },
};
const TEST: AluOp = { op: OP.and, lazy: LOGIC, kind: Kind.LOGIC, writes: false };
const BYTE_KIND: Partial<Record<Kind, Kind>> = { [Kind.ADD]: Kind.ADD8, [Kind.SUB]: Kind.SUB8, [Kind.LOGIC]: Kind.LOGIC8, [Kind.NONE]: Kind.NONE };

/** Instruction i (k of the block) if it is arithmetic written out here; false if not. `leave`: see writer.ts write. */
export function arithmetic(w: Writer, i: Instr, k: number, leave: number): boolean {
  const c = w.c, op = i.opcode, mem = i.hasModrm && i.mod !== 3;
  const memIns = mem ? i : null;
  if (op < 0x40 && (op & 7) <= 5) {
    const a = ALU[op >> 3], form = op & 7;
    if (a === undefined) return false;
    const rm = () => { if (mem) w.loadOperand(i, k, form & 1 ? 4 : 1); else if (form & 1) w.reg(i.rm); else w.reg8(i.rm); };
    switch (form) {
      case 0: return alu(w, a, 1, k, () => w.reg8(i.reg), i.rm, memIns, leave);
      case 1: return alu(w, a, 4, k, () => w.reg(i.reg), i.rm, memIns, leave);
      case 2: return alu(w, a, 1, k, rm, i.reg, null, leave);
      case 3: return alu(w, a, 4, k, rm, i.reg, null, leave);
      case 4: return alu(w, a, 1, k, () => c.i32(i.imm & 255), 0, null, leave);
      default: return alu(w, a, 4, k, () => c.i32(i.imm | 0), 0, null, leave);
    }
  }
  switch (true) {
    case op === 0x80 && ALU[i.reg] !== undefined:
      return alu(w, ALU[i.reg]!, 1, k, () => c.i32(i.imm & 255), i.rm, memIns, leave);
    case (op === 0x81 || op === 0x83) && ALU[i.reg] !== undefined:
      return alu(w, ALU[i.reg]!, 4, k, () => c.i32(i.imm | 0), i.rm, memIns, leave);
    case op === 0x84: return alu(w, TEST, 1, k, () => w.reg8(i.reg), i.rm, memIns, leave);
    case op === 0x85: return alu(w, TEST, 4, k, () => w.reg(i.reg), i.rm, memIns, leave);
    case op === 0xa8: return alu(w, TEST, 1, k, () => c.i32(i.imm & 255), 0, null, leave);
    case op === 0xa9: return alu(w, TEST, 4, k, () => c.i32(i.imm | 0), 0, null, leave);
    case op === 0xf6 && i.reg === 0: return alu(w, TEST, 1, k, () => c.i32(i.imm & 255), i.rm, memIns, leave);
    case op === 0xf7 && i.reg === 0: return alu(w, TEST, 4, k, () => c.i32(i.imm | 0), i.rm, memIns, leave);
    case op >= 0x40 && op <= 0x4f: return incDec(w, op >= 0x48, k, op & 7, null, leave);
    case op === 0xff && (i.reg === 0 || i.reg === 1): return incDec(w, i.reg === 1, k, i.rm, memIns, leave);
    case op === 0xf7 && (i.reg === 2 || i.reg === 3): return notNeg(w, i.reg === 3, k, i, leave);
    case (op === 0xc1 || op === 0xd1) && (i.reg === 4 || i.reg === 5 || i.reg === 7): {
      const n = op === 0xd1 ? 1 : i.imm & 31;
      if (n === 0) {
        // Nothing changes, but the operand is still read (checked for writing) and may fault.
        if (mem) { w.ea(i); c.set(O); w.read(4, i.seg, true); c.drop(); }
        return true;
      }
      shift(w, i.reg, mem ? i : null, i.rm, k, leave, () => c.i32(n));
      w.kind = Kind.SHIFT;
      return true;
    }
    case op === 0xd3 && !mem && (i.reg === 4 || i.reg === 5 || i.reg === 7): {
      // By CL: a count of 0 changes nothing, flags included, so what the locals hold is unknown after
      // (and the record before it is stored first: the shift's concrete flags replace it on one side only).
      w.settleLazy();
      w.reg8(1); c.i32(31).op(OP.and).set(P);
      c.get(P).if();
      shift(w, i.reg, null, i.rm, k, leave, () => c.get(P));
      c.end();
      w.kind = Kind.NONE;
      return true;
    }
    case op === 0x99: w.setReg(2, () => { w.reg(0); c.i32(31).op(OP.shrS); }); return true;
    case op === 0x98: w.setReg(0, () => { w.reg(0); c.i32(16).op(OP.shl).i32(16).op(OP.shrS); }); return true;
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
    case op === 0xf7 && (i.reg === 6 || i.reg === 7):
      divide(w, i, k, i.reg === 7, leave < 0);
      return true;
    default:
      return false;
  }
}

/**
 * dst OP src on `size` bytes (1 or 4): `dst` the register dstReg, or the memory operand of memIns
 * (read checked for writing when it is written, so the write after the flags cannot fault).
 */
function alu(w: Writer, a: AluOp, size: 1 | 4, k: number, src: () => void, dstReg: number, memIns: Instr | null, leave: number): boolean {
  const c = w.c, carries = a.lazy === ADC || a.lazy === SBB;
  // The carry in, from the flags as they are before the operands are read.
  if (carries) w.carry();
  if (memIns !== null) {
    w.ea(memIns); c.set(O);
    w.read(size, memIns.seg, a.writes);
  } else if (size === 4) w.reg(dstReg); else w.reg8(dstReg);
  c.set(FA);
  src(); c.set(FB);
  c.get(FA).get(FB).op(a.op);
  if (carries) c.get(CFL).op(a.op);
  if (size === 1 && a.op !== OP.and && a.op !== OP.or) c.i32(255).op(OP.and);
  c.set(FR);
  w.lazy(a.lazy, false, size);
  w.kind = size === 4 ? a.kind : BYTE_KIND[a.kind]!;
  if (a.writes) {
    if (memIns !== null) { c.get(FR).set(V); w.write(size, memIns.seg, leave); }
    else if (size === 4) w.setReg(dstReg, () => c.get(FR)); else w.setReg8(dstReg, () => c.get(FR));
  }
  return true;
}

/** INC or DEC of register r, or of the memory operand of memIns: CF stays as it was. */
function incDec(w: Writer, dec: boolean, k: number, r: number, memIns: Instr | null, leave: number): boolean {
  const c = w.c;
  w.carry(); // the CF it keeps (writer.ts lazy)
  if (memIns !== null) { w.ea(memIns); c.set(O); w.read(4, memIns.seg, true); } else w.reg(r);
  c.set(FA); c.i32(1).set(FB);
  c.get(FA).i32(1).op(dec ? OP.sub : OP.add).set(FR);
  w.lazy(dec ? SUB : ADD, true);
  w.kind = Kind.INCDEC;
  if (memIns !== null) { c.get(FR).set(V); w.write(4, memIns.seg, leave); } else w.setReg(r, () => c.get(FR));
  return true;
}

/** NOT (flags untouched) or NEG (flags as 0 - x) of a doubleword, in a register or memory. */
function notNeg(w: Writer, neg: boolean, k: number, i: Instr, leave: number): boolean {
  const c = w.c, mem = i.mod !== 3;
  if (mem) { w.ea(i); c.set(O); w.read(4, i.seg, true); } else w.reg(i.rm);
  if (neg) {
    c.set(FB); c.i32(0).set(FA);
    c.get(FA).get(FB).op(OP.sub).set(V);
    c.get(V).set(FR);
    w.lazy(SUB, false);
    w.kind = Kind.SUB;
  } else {
    c.i32(-1).op(OP.xor).set(V);
  }
  if (mem) w.write(4, i.seg, leave); else w.setReg(i.rm, () => c.get(V));
  return true;
}

/**
 * SHL (reg field 4), SHR (5) or SAR (7) of register r, or of the memory operand of memIns (read
 * checked for writing, so the write after the flags cannot fault), by the count `count` leaves
 * (1..31): t the value shifted by one less (its bit out is CF); ZF SF PF CF OF concrete, as the
 * handler leaves them.
 */
function shift(w: Writer, kind: number, memIns: Instr | null, r: number, k: number, leave: number, count: () => void): void {
  const c = w.c, sh = kind === 4 ? OP.shl : kind === 5 ? OP.shrU : OP.shrS;
  if (memIns !== null) { w.ea(memIns); c.set(O); w.read(4, memIns.seg, true); } else w.reg(r);
  c.set(FA);
  c.get(FA); count(); c.i32(1).op(OP.sub).op(sh).set(T);
  c.get(T).i32(1).op(sh).set(FR);
  if (kind === 4) c.get(T).i32(31).op(OP.shrU); else c.get(T).i32(1).op(OP.and);
  c.set(CFL);
  c.get(FR).op(OP.eqz).i32(6).op(OP.shl);
  c.get(FR).i32(31).op(OP.shrU).i32(7).op(OP.shl).op(OP.or);
  c.get(FR).i32(255).op(OP.and).op(OP.popcnt).i32(1).op(OP.and).i32(1).op(OP.xor).i32(2).op(OP.shl).op(OP.or);
  c.get(CFL).op(OP.or);
  c.get(T).get(FR).op(OP.xor).i32(31).op(OP.shrU).i32(11).op(OP.shl).op(OP.or);
  c.set(F);
  w.concrete();
  if (memIns !== null) { c.get(FR).set(V); w.write(4, memIns.seg, leave); } else w.setReg(r, () => c.get(FR));
}

/**
 * DIV, IDIV r/m32 of EDX:EAX, flags untouched. What raises #DE (a zero divisor, a quotient too big;
 * for IDIV also a divisor of -1) goes to the handler, which raises it.
 */
function divide(w: Writer, i: Instr, k: number, signed: boolean, last: boolean): void {
  const c = w.c;
  if (i.mod !== 3) w.loadOperand(i, k, 4); else w.reg(i.rm);
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
}
