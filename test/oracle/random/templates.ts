/**
 * Instructions that are only safe with particular operand values, each with
 * the few instructions of set-up that give it those values:
 *
 * - the stack (PUSH, POP, ENTER, LEAVE...): ESP must stay in the stack
 *   pages, and inside a CALL's body nothing may touch the stack;
 * - strings: ESI/EDI pointers, a small ECX under REP;
 * - branches: forward only, over a block of random instructions;
 *   calls to a body that returns; far transfers to a selector we know;
 * - segment loads, with selectors from our GDT (valid or not);
 * - system instructions, with values that keep the machine running.
 *
 * A template that cannot be made safe now returns false and the generator
 * draws another instruction.
 */
import { Asm, type Label } from './asm';
import * as L from './layout';
import { Ctx, GenState, EAX, ECX, EDX, ESP, EBP, ESI, EDI, ES, CS, SS, DS, SEG_PREFIX, memOperand, valueFor, valueForReg, le16, le32, type Mem, type Role, type Seg } from './operands';
import { generic, opcodeBytes, type Gen } from './generic';

const o16 = (ctx: Ctx, p = 0.25): number[] => (ctx.rng.chance(p) ? [0x66] : []);

/** EFLAGS for POPF and IRET: random arithmetic flags, DF, AC, ID, IOPL; never TF, IF or NT (they would change what a step is, or IRET). */
export function flagsValue(ctx: Ctx, iopl = ctx.rng.int(4)): number {
  const { rng } = ctx;
  let f = 0x2 | (rng.u32() & 0x8d5) | (rng.chance(0.3) ? 0x400 : 0) | (iopl << 12);
  if (rng.chance(0.2)) f |= 0x40000; // AC: no alignment checks unless CR0.AM, which stays clear
  if (rng.chance(0.2)) f |= 0x200000; // ID
  if (rng.chance(0.05)) f |= 0x10000; // RF: POPF clears it, IRET loads it
  return f >>> 0;
}

// ---- Segment loads, as the manual decides them ------------------------------------

/** What loading `sel` into segment register `s` does at `cpl`: the new state, or null if it faults. */
export function loadSeg(s: number, sel: number, cpl: number): Seg | null {
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0) return s === SS ? null : { sel, base: null, writable: false };
  const d = L.descriptorOf(sel);
  if (d === null) return null;
  if (s === SS) {
    if (rpl !== cpl || d.kind !== 'data' || !d.rw || d.dpl !== cpl || !d.present) return null;
  } else {
    if (d.kind === 'tss' || (d.kind === 'code' && !d.rw)) return null;
    if ((d.kind === 'data' || !d.conforming) && d.dpl < Math.max(cpl, rpl)) return null;
    if (!d.present) return null;
  }
  return { sel, base: d.comparable ? d.base : null, writable: d.comparable && d.rw };
}

/** A selector to load into a data segment register: mostly ones that work, the rest to see the checks fault. */
export function dataSelector(ctx: Ctx, s: number): number {
  const { rng, st } = ctx;
  if (rng.chance(0.6)) {
    if (s === SS) return st.cpl === 0 ? L.SEL.DATA0 : rng.pick([L.SEL.DATA3, L.SEL.BASED3]);
    return st.cpl === 0 ? rng.pick([L.SEL.DATA0, L.SEL.DATA3, L.SEL.BASED3]) : rng.pick([L.SEL.DATA3, L.SEL.BASED3]);
  }
  let sel = rng.chance(0.1) ? rng.int(0x10000) : (rng.int(L.DESCRIPTORS.length + 2) << 3) | rng.int(4) | (rng.chance(0.05) ? 4 : 0);
  // A stack segment that loads but is not flat (the 16-bit one) would leave the next exception no stack: a triple fault.
  const r = s === SS ? loadSeg(SS, sel, st.cpl) : null;
  if (r !== null && r.base !== 0 && st.cpl === 0) sel = L.SEL.DATA0;
  if ((sel & 0xfffc) === 0 && ctx.avoiding.has('null-rpl-outer')) sel = 0;
  return sel;
}

/** After a load of `sel` into `s` that succeeded: what is known. (A load that faults ends the case.) */
function loaded(st: GenState, s: number, sel: number): void {
  const r = loadSeg(s, sel, st.cpl);
  if (r !== null) st.segs[s] = r;
}

/**
 * Returning to ring 3 loads null into every data segment register the
 * new ring may not use (DPL < 3), as IRET and RET far do.
 */
function enterRing3(st: GenState): void {
  st.cpl = 3;
  st.segs[CS] = { sel: L.SEL.CODE3, base: 0, writable: false };
  st.segs[SS] = { sel: L.SEL.DATA3, base: 0, writable: true };
  for (const s of [0, 3, 4, 5]) {
    const d = L.descriptorOf(st.segs[s].sel);
    if (d !== null && (d.kind === 'data' || !d.conforming) && d.dpl < 3) st.segs[s] = { sel: 0, base: null, writable: false };
  }
}

// ---- The stack --------------------------------------------------------------------

export const push: Gen = (ctx, e) => {
  if (ctx.st.inBody) return false;
  const ops = e.row.ops;
  if (ops[0] === 'Ev') return generic(ctx, e);
  const p = o16(ctx);
  const size = p.length > 0 ? 2 : 4;
  const imm = ops[0] === 'Iz' ? (size === 2 ? le16(ctx.rng.interesting()) : le32(ctx.rng.interesting())) : ops[0] === 'Ibs' ? [ctx.rng.interesting() & 0xff] : [];
  ctx.emit(p, opcodeBytes(e.opcode), imm);
  return true;
};

export const pop: Gen = (ctx, e) => {
  const { st, rng } = ctx;
  if (st.inBody) return false;
  if (e.row.ops[0] === 'Ev') return generic(ctx, e);
  const r = e.opcode & 7;
  if (r === ESP) {
    // POP ESP: only what we pushed, a stack address.
    const v = valueForReg(ctx, ESP, 'stack');
    if (rng.chance(0.2)) ctx.emit(0x66, 0x68, le16(v), 0x66, 0x5c);
    else ctx.emit(0x68, le32(v), 0x5c);
    return true;
  }
  ctx.emit(o16(ctx), 0x58 + r);
  st.kill(r);
  return true;
};

export const pusha: Gen = (ctx) => {
  if (ctx.st.inBody) return false;
  ctx.emit(o16(ctx), 0x60);
  return true;
};

export const popa: Gen = (ctx) => {
  if (ctx.st.inBody) return false;
  ctx.emit(o16(ctx), 0x61);
  for (let r = 0; r < 8; r++) ctx.st.kill(r);
  return true;
};

export const pushf: Gen = (ctx) => {
  if (ctx.st.inBody) return false;
  ctx.emit(o16(ctx), 0x9c);
  return true;
};

/** POPF of a value we pushed: POPF of whatever is on the stack could set TF or NT. */
export const popf: Gen = (ctx) => {
  if (ctx.st.inBody) return false;
  const f = flagsValue(ctx);
  if (ctx.rng.chance(0.2)) ctx.emit(0x66, 0x68, le16(f), 0x66, 0x9d);
  else ctx.emit(0x68, le32(f), 0x9d);
  return true;
};

export const enter: Gen = (ctx) => {
  const { rng, st } = ctx;
  if (st.inBody) return false;
  const p = o16(ctx, 0.2);
  const size = rng.pick([0, 4, 8, 16, rng.int(64)]);
  const level = rng.chance(0.5) ? 0 : rng.chance(0.6) ? 1 : rng.chance(0.8) ? rng.range(2, 4) : rng.range(5, 31);
  ctx.emit(p, 0xc8, le16(size), level);
  // A 16-bit ENTER sets BP only: EBP's upper half stays, which is right only if EBP was a pointer near the stack.
  st.roles[EBP] = p.length === 0 || st.roles[EBP] === 'stack' || st.roles[EBP] === 'ptr' ? 'stack' : 'any';
  return true;
};

/** LEAVE sets ESP from EBP: only when EBP is a frame pointer (at ring 3, now and then anyway: a bad stack faults to ring 0). */
export const leave: Gen = (ctx) => {
  const { rng, st } = ctx;
  if (st.inBody) return false;
  if (st.roles[EBP] !== 'stack' && !(st.cpl === 3 && rng.chance(0.05))) return false;
  ctx.emit(o16(ctx, 0.2), 0xc9);
  st.kill(EBP);
  return true;
};

// ---- Strings ----------------------------------------------------------------------

const SOURCE = new Set(['movs', 'cmps', 'lods', 'outs']);
const DEST = new Set(['movs', 'cmps', 'stos', 'scas', 'ins']);

/**
 * A string instruction with or without REP/REPE/REPNE: ESI and EDI point
 * into scratch memory and a REP count is small (each iteration is a step).
 * 16-bit addressing (SI, DI, CX) goes through segments based at IMAGE.
 */
export const string: Gen = (ctx, e) => {
  const { rng, st } = ctx;
  const m = e.row.mnem;
  const src = SOURCE.has(m), dst = DEST.has(m);
  let a16: boolean;
  if (dst) {
    if (st.segs[ES].base === null) return false;
    a16 = st.segs[ES].base === L.BASED_BASE;
  } else a16 = rng.chance(0.12);
  const want = a16 ? L.BASED_BASE : 0;
  let seg = -1;
  if (src) {
    const ok = [0, 1, 2, 3, 4, 5].filter((k) => st.segs[k].base === want);
    if (ok.length === 0) return false;
    if (st.segs[DS].base !== want || rng.chance(0.3)) seg = rng.pick(ok);
  }
  const rep = rng.pick([0, 0, 0xf3, 0xf3, 0xf2]);
  if (src && st.roles[ESI] !== 'ptr') ctx.load(ESI, 'ptr');
  if (dst && st.roles[EDI] !== 'ptr') ctx.load(EDI, 'ptr');
  if (rep !== 0 && st.roles[ECX] !== 'small') ctx.load(ECX, 'small');
  const wide = e.row.ops.some((o) => o.endsWith('v')) ? o16(ctx) : [];
  if (m === 'ins' || m === 'outs') {
    ctx.emit(0x66, 0xba, le16(port(ctx, e.row.byteOp ? 1 : 2)));
    st.kill(EDX);
  }
  const prefixes = [...(rep ? [rep] : []), ...wide, ...(a16 ? [0x67] : []), ...(seg >= 0 ? [SEG_PREFIX[seg]] : [])];
  shuffle(ctx, prefixes);
  ctx.emit(prefixes, e.opcode);
  if (m === 'lods') st.kill(EAX);
  return true;
};

function shuffle(ctx: Ctx, a: number[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = ctx.rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}

/**
 * Ports that read and write alike on QEMU and on us: the 0xE9 console (byte
 * accesses only: QEMU's console answers 0 to wider reads, ours 0xE9), and
 * ports where neither has a device (open bus: reads return all ones).
 */
export const OPEN_PORTS = [0x2f0, 0x108, 0xe0, 0xec];

function port(ctx: Ctx, size: number): number {
  return size === 1 && ctx.rng.chance(0.5) ? 0xe9 : ctx.rng.pick(OPEN_PORTS);
}

/** IN and OUT, by immediate port or DX. */
export const io: Gen = (ctx, e) => {
  const { st } = ctx;
  const ops = e.row.ops;
  const wide = ops.includes('eAX') ? o16(ctx) : [];
  const size = e.row.byteOp ? 1 : 2;
  if (ops.includes('DX')) {
    ctx.emit(0x66, 0xba, le16(port(ctx, size)));
    st.kill(EDX);
    ctx.emit(wide, e.opcode);
  } else {
    // An immediate port is below 0x100, where QEMU has most of its devices.
    ctx.emit(wide, e.opcode, ctx.rng.pick(size === 1 ? [0xe9, 0xe0, 0xec] : [0xe0, 0xec]));
  }
  if (e.row.mnem === 'in') st.kill(EAX);
  return true;
};

// ---- Branches ---------------------------------------------------------------------

/**
 * `head` (prefixes, opcode) and a displacement that jumps over a block of
 * `count` random instructions, generated here. A conditional branch leaves
 * both paths possible; an unconditional one makes the block dead code.
 */
function overBlock(ctx: Ctx, head: number[], relSize: 1 | 4, count: number, conditional: boolean): void {
  const outer = ctx.asm, st0 = ctx.st;
  for (let n = count; ; n--) {
    const sub = new Asm(outer.here + head.length + relSize);
    ctx.asm = sub;
    ctx.st = st0.clone();
    ctx.st.nested++;
    ctx.block(Math.max(n, 0));
    const after = ctx.st;
    ctx.asm = outer;
    ctx.st = st0;
    if (relSize === 1 && sub.length > 127 && n > 0) continue;
    if (relSize === 1 && sub.length > 127) throw new Error('an empty block is longer than 127 bytes');
    ctx.emit(head, relSize === 1 ? [sub.length] : le32(sub.length));
    outer.append(sub);
    if (conditional) st0.meet(after);
    return;
  }
}

/** Jcc, LOOP*, JECXZ: forward over 0-3 random instructions. */
export const branch: Gen = (ctx, e) => {
  const { rng, st } = ctx;
  const wide = e.row.ops[0] === 'Jz';
  const isLoop = e.row.mnem.startsWith('loop') || e.row.mnem.startsWith('jecxz');
  const a16 = isLoop && rng.chance(0.2) ? [0x67] : [];
  // LOOP decrements ECX before it decides: on both paths ECX is no longer what it was.
  if (e.row.mnem.startsWith('loop')) st.kill(ECX);
  if (rng.chance(0.02)) {
    // A 16-bit operand size truncates the target to 16 bits: a jump below 64 KiB, where nothing is mapped (#PF if taken).
    ctx.emit(0x66, a16, opcodeBytes(e.opcode), wide ? le16(rng.int(0x10000)) : [rng.int(256)]);
  } else {
    overBlock(ctx, [...a16, ...opcodeBytes(e.opcode)], wide ? 4 : 1, rng.int(4), true);
  }
  return true;
};

/** Write a far pointer (offset, selector) to memory, for the indirect far forms and LDS & co. */
function storeFarPointer(ctx: Ctx, m: Mem, offset: number | Label, sel: number, wide: boolean): void {
  if (wide) {
    ctx.emit(m.prefixes, 0xc7, m.encode(0));
    if (typeof offset === 'number') ctx.emit(le32(offset));
    else ctx.asm.ref(offset, 'abs32');
    ctx.emit(0x66, m.prefixes, 0xc7, m.encode(0, 4), le16(sel));
  } else {
    if (typeof offset !== 'number') throw new Error('a label as a 16-bit offset');
    ctx.emit(0x66, m.prefixes, 0xc7, m.encode(0), le16(offset), 0x66, m.prefixes, 0xc7, m.encode(0, 2), le16(sel));
  }
}

/** A selector for a far JMP or CALL: mostly the current CS, else conforming or execute-only code, or one that faults. Never a TSS (task switches are not emulated). */
function farSelector(ctx: Ctx): number {
  const { rng, st } = ctx;
  const k = rng.int(20);
  if (k < 13) return st.segs[CS].sel >= 0 ? st.segs[CS].sel : st.cpl === 0 ? L.SEL.CODE0 : L.SEL.CODE3;
  if (k < 15) return L.SEL.CONFORMING | st.cpl;
  if (k < 16) return L.SEL.XONLY;
  return rng.pick([0, L.SEL.DATA0, L.SEL.CODE3, L.SEL.CODE0, 0x60, 0x0c, L.SEL.ABSENT]);
}

/** After a far transfer to `sel` that succeeded, CS is `sel` with RPL = CPL. Null if it faults. */
function farTarget(sel: number, cpl: number): Seg | null {
  const d = L.descriptorOf(sel);
  if (d === null || d.kind !== 'code' || !d.present) return null;
  if (d.conforming ? d.dpl > cpl : d.dpl !== cpl || (sel & 3) > cpl) return null;
  return { sel: (sel & ~3) | cpl, base: d.rw ? 0 : null, writable: false };
}

/** JMP rel, JMP r/m, JMP far: over a dead block. */
export const jump: Gen = (ctx, e) => {
  const { rng, st } = ctx;
  if (e.opcode === 0xeb || e.opcode === 0xe9) {
    overBlock(ctx, [e.opcode], e.opcode === 0xeb ? 1 : 4, rng.int(3), false);
    return true;
  }
  const end = ctx.asm.label('jump target');
  const far = e.row.mnem === 'ljmp';
  const sel = far ? farSelector(ctx) : 0;
  if (e.opcode === 0xea) {
    ctx.emit(0xea);
    ctx.asm.ref(end, 'abs32');
    ctx.emit(le16(sel));
  } else if (far || rng.chance(0.5)) {
    const m = memOperand(ctx, { size: far ? 6 : 4, write: true });
    if (m === null) return false;
    if (far) storeFarPointer(ctx, m, end, sel, true);
    else {
      ctx.emit(m.prefixes, 0xc7, m.encode(0));
      ctx.asm.ref(end, 'abs32');
    }
    ctx.emit(m.prefixes, 0xff, m.encode(far ? 5 : 4));
  } else {
    const r = ctx.destReg();
    ctx.emit(0xb8 + r);
    ctx.asm.ref(end, 'abs32');
    ctx.emit(0xff, 0xe0 + r);
    st.kill(r);
  }
  deadBlock(ctx, rng.int(3));
  ctx.asm.bind(end);
  if (far) {
    const cs = farTarget(sel, st.cpl);
    if (cs !== null) st.segs[CS] = cs;
  }
  return true;
};

/** Random instructions nobody executes (after an unconditional jump): generated on a copy of the state. */
function deadBlock(ctx: Ctx, count: number): void {
  const st0 = ctx.st;
  ctx.st = st0.clone();
  ctx.st.nested++;
  ctx.block(count);
  ctx.st = st0;
}

/**
 * CALL and RET, near and far, as a pair: `call body; jmp over; body:
 * (random instructions); ret; over:`. The body must leave the stack alone:
 * the return address is on it.
 */
export const call: Gen = (ctx, e) => {
  const { rng, st } = ctx;
  if (st.inBody) return false;
  const isRet = e.row.mnem === 'ret' || e.row.mnem === 'lret';
  const far = e.row.mnem === 'lcall' || e.row.mnem === 'lret';
  if (!isRet && rng.chance(0.01)) {
    // A 16-bit CALL pushes IP and jumps below 64 KiB (#PF).
    ctx.emit(0x66, far ? [0x9a, ...le16(rng.int(0x10000)), ...le16(st.segs[CS].sel)] : [0xe8, ...le16(rng.int(0x10000))]);
    return true;
  }
  const body = ctx.asm.label('call body'), over = ctx.asm.label('after the call');
  const callOp = isRet ? (far ? rng.pick([0x9a, 0x1ff]) : rng.pick([0xe8, 0xff])) : e.opcode === 0xff ? (e.group === 3 ? 0x1ff : 0xff) : e.opcode;
  const sel = far ? farSelector(ctx) : 0;
  if (callOp === 0xe8) {
    ctx.emit(0xe8);
    ctx.asm.ref(body, 'rel32');
  } else if (callOp === 0x9a) {
    ctx.emit(0x9a);
    ctx.asm.ref(body, 'abs32');
    ctx.emit(le16(sel));
  } else {
    // CALL r/m32 or CALL FAR m16:32.
    const useReg = callOp === 0xff && rng.chance(0.5);
    if (useReg) {
      const r = ctx.destReg();
      ctx.emit(0xb8 + r);
      ctx.asm.ref(body, 'abs32');
      ctx.emit(0xff, 0xd0 + r);
      st.kill(r);
    } else {
      const m = memOperand(ctx, { size: far ? 6 : 4, write: true });
      if (m === null) return false;
      if (far) storeFarPointer(ctx, m, body, sel, true);
      else {
        ctx.emit(m.prefixes, 0xc7, m.encode(0));
        ctx.asm.ref(body, 'abs32');
      }
      ctx.emit(m.prefixes, 0xff, m.encode(far ? 3 : 2));
    }
  }
  ctx.emit(0xe9);
  ctx.asm.ref(over, 'rel32');
  ctx.asm.bind(body);

  const outerCs = st.segs[CS];
  if (far) {
    const cs = farTarget(sel, st.cpl);
    if (cs !== null) st.segs[CS] = cs;
  }
  st.inBody = true;
  st.nested++;
  ctx.block(rng.range(1, 3));
  st.inBody = false;
  st.nested--;
  // RET FAR pops the caller's CS; a near RET leaves whatever CS the body jumped to.
  if (far) st.segs[CS] = outerCs;

  const retOp = isRet ? e.opcode : far ? rng.pick([0xcb, 0xca]) : rng.pick([0xc3, 0xc2]);
  ctx.emit(rng.chance(0.01) ? [0x66] : [], retOp, retOp === 0xc2 || retOp === 0xca ? le16(rng.pick([0, 2, 4, 8, 12, 16])) : []);
  ctx.asm.bind(over);
  return true;
};

/**
 * IRET to the same level (the frame pushed just before), or, now and then,
 * from ring 0 out to ring 3, where the rest of the case then runs.
 */
export const iret: Gen = (ctx) => {
  const { rng, st } = ctx;
  if (st.inBody) return false;
  const next = ctx.asm.label('after iret');
  if (rng.chance(0.02)) {
    // 16-bit IRET: IP is truncated to 16 bits (#PF at the target).
    ctx.emit(0x66, 0x9c, 0x66, 0x0e, 0x66, 0x68, le16(rng.int(0x10000)), 0x66, 0xcf);
    return true;
  }
  if (st.cpl === 0 && st.nested === 0 && rng.chance(0.3)) {
    ctx.emit(0x6a, L.SEL.DATA3, 0x68, le32(valueForReg(ctx, ESP, 'stack')), 0x68, le32(flagsValue(ctx, rng.pick([0, 3]))), 0x6a, L.SEL.CODE3, 0x68);
    ctx.asm.ref(next, 'abs32');
    ctx.emit(0xcf);
    ctx.asm.bind(next);
    enterRing3(st);
    return true;
  }
  if (rng.chance(0.5)) ctx.emit(0x9c);
  else ctx.emit(0x68, le32(flagsValue(ctx, st.cpl === 0 ? rng.int(4) : 0)));
  ctx.emit(0x0e, 0x68);
  ctx.asm.ref(next, 'abs32');
  ctx.emit(0xcf);
  ctx.asm.bind(next);
  return true;
};

/** RET FAR from ring 0 out to ring 3: part of the `lret` policy, with the pair above. */
export const lretOut: Gen = (ctx, e) => {
  const { rng, st } = ctx;
  if (st.cpl !== 0 || st.nested !== 0 || st.inBody || rng.chance(0.7)) return call(ctx, e);
  const next = ctx.asm.label('ring 3');
  ctx.emit(0x6a, L.SEL.DATA3, 0x68, le32(valueForReg(ctx, ESP, 'stack')), 0x6a, L.SEL.CODE3, 0x68);
  ctx.asm.ref(next, 'abs32');
  ctx.emit(0xcb);
  ctx.asm.bind(next);
  enterRing3(st);
  return true;
};

/** INT n: the exception vectors, the system call, vectors with absent or invalid gates, and vectors beyond the IDT. */
export const int: Gen = (ctx) => {
  const { rng } = ctx;
  const k = rng.int(10);
  const v = k < 4 ? rng.int(32) : k < 6 ? 0x80 : k < 8 ? rng.range(0x20, 0x7f) : k < 9 ? rng.range(0x81, 0xff) : rng.pick([3, 4]);
  ctx.emit(0xcd, v);
  return true;
};

// ---- Segment registers --------------------------------------------------------------

/** MOV r/m, Sreg (Sreg 6 and 7 do not exist: #UD). */
export const movFromSreg: Gen = (ctx) => {
  const { rng, st } = ctx;
  const s = rng.chance(0.03) ? rng.range(6, 7) : rng.int(6);
  if (rng.chance(0.6)) {
    const r = ctx.destReg();
    ctx.emit(o16(ctx), 0x8c, 0xc0 | (s << 3) | r);
    st.kill(r);
    return true;
  }
  const m = memOperand(ctx, { size: 2, write: true });
  if (m === null) return false;
  ctx.emit(o16(ctx, 0.1), m.prefixes, 0x8c, m.encode(s));
  return true;
};

/** MOV Sreg, r/m with a selector from our GDT (or a bad one), set up just before. */
export const movToSreg: Gen = (ctx) => {
  const { rng, st } = ctx;
  const s = rng.chance(0.03) ? rng.pick([CS, 6, 7]) : rng.pick([ES, SS, DS, 4, 5].filter((k) => k !== SS || !st.inBody));
  const sel = s < 6 ? dataSelector(ctx, s) : rng.int(0x10000);
  if (rng.chance(0.6)) {
    const r = ctx.destReg();
    ctx.emit(0xb8 + r, le32(sel | (rng.u32() & 0xffff0000)));
    st.kill(r);
    ctx.emit(o16(ctx, 0.1), 0x8e, 0xc0 | (s << 3) | r);
  } else {
    const m = memOperand(ctx, { size: 2, write: true });
    if (m === null) return false;
    ctx.emit(0x66, m.prefixes, 0xc7, m.encode(0), le16(sel));
    ctx.emit(m.prefixes, 0x8e, m.encode(s));
  }
  if (s < 6 && s !== CS) loaded(st, s, sel);
  return true;
};

/** POP Sreg of a selector pushed just before (POP SS: half the time between stack sizes, mixedStack). */
export const popSreg: Gen = (ctx, e) => {
  const { st } = ctx;
  if (st.inBody) return false;
  if (e.opcode === 0x17 && ctx.rng.chance(0.7)) return mixedStack(ctx, 'pop');
  const s = e.opcode === 0x07 ? ES : e.opcode === 0x17 ? SS : e.opcode === 0x1f ? DS : e.opcode === 0x1a1 ? 4 : 5;
  const sel = dataSelector(ctx, s);
  if (ctx.rng.chance(0.2)) ctx.emit(0x66, 0x68, le16(sel), 0x66, opcodeBytes(e.opcode));
  else ctx.emit(0x68, le32(sel), opcodeBytes(e.opcode));
  loaded(st, s, sel);
  return true;
};

/** LDS/LES/LFS/LGS/LSS from a far pointer stored just before (or, now and then, whatever memory holds). */
export const loadFar: Gen = (ctx, e) => {
  const { rng, st } = ctx;
  const s = { les: ES, lds: DS, lfs: 4, lgs: 5, lss: SS }[e.row.mnem as 'les'] as number;
  if (s === SS && !st.inBody && rng.chance(0.6)) return mixedStack(ctx, 'lss');
  const wide = !rng.chance(0.2);
  const m = memOperand(ctx, { size: 6, write: true });
  if (m === null || rng.chance(0.03)) {
    // The register form is #UD.
    ctx.emit(opcodeBytes(e.opcode), 0xc0 | (ctx.destReg() << 3) | rng.int(8));
    return true;
  }
  const intoEsp = s === SS && !st.inBody && rng.chance(0.2);
  const r = intoEsp ? ESP : ctx.destReg();
  const role: Role = intoEsp ? 'stack' : rng.pick<Role>(['ptr', 'small', 'any']);
  const sel = intoEsp ? (st.cpl === 0 ? L.SEL.DATA0 : L.SEL.DATA3) : dataSelector(ctx, s);
  // Now and then whatever the memory holds (a random selector): only at ring 3, where no return to an outer ring follows.
  const stored = intoEsp || rng.chance(0.92) || (st.cpl === 0 && ctx.avoiding.has('null-rpl-outer'));
  if (stored) storeFarPointer(ctx, m, wide ? valueForReg(ctx, r, role) : valueForReg(ctx, r, role) & 0xffff, sel, wide);
  ctx.emit(wide ? [] : [0x66], m.prefixes, opcodeBytes(e.opcode), m.encode(r));
  if (!stored) {
    st.kill(r);
    st.segs[s] = { sel: -1, base: null, writable: false };
    return true;
  }
  if (r !== ESP) st.roles[r] = wide && loadSeg(s, sel, st.cpl) !== null ? role : 'any';
  loaded(st, s, sel);
  return true;
};

/**
 * POP SS, LSS and MOV SS between 32-bit stacks and a 16-bit one, into it and back out (SDM Vol. 2 POP, LSS,
 * MOV): POP SS moves the stack pointer by the size of the stack it popped from (SP alone from the 16-bit one,
 * all of ESP from a 32-bit one), LSS m16:32 loads ESP, LSS m16:16 SP alone, MOV SS leaves it. The stacks are
 * based at WINDOW_BASE (layout.ts), so that the 16-bit stack's SP from 0xE000 up and the 32-bit one's ESP
 * around 0x10000 both address the stack pages: the pops that tell the two rules apart wrap SP (a POP SS at SP
 * 0xFFFC of the 16-bit stack leaves SP 0 and ESP's upper half as it was, random here) or carry into ESP's
 * upper half (one at ESP 0xFFFC of the 32-bit stack gives 0x10000). ESP is known at every step (the first
 * instruction is an LSS), and no access straddles the 16-bit stack's wrap (QEMU checks no limit). In between:
 * pushes and pops on SP, POP SS and LSS from the 16-bit stack to itself. Now and then the way out is a POP SS
 * that faults (the handlers go back to the flat stack). It ends on the flat stack (an LSS).
 */
export const mixedStack = (ctx: Ctx, first: 'pop' | 'lss'): boolean => {
  const { rng, st } = ctx;
  if (st.inBody) return false;
  const r3 = st.cpl === 3;
  const flat = r3 ? L.SEL.DATA3 : L.SEL.DATA0;
  const s16 = r3 ? L.SEL.STACK16_3 : L.SEL.STACK16;
  const s32 = r3 ? L.SEL.WINDOW32_3 : L.SEL.WINDOW32;
  // Far pointers for the LSSes, stored first at 8-byte steps of an absolute address (nothing based on ESP: it moves).
  const segs = [DS, ES, 4, 5].filter((k) => st.segs[k].base !== null && st.segs[k].writable);
  if (segs.length === 0) return false;
  const via = rng.pick(segs);
  const at = rng.range(L.RW_LO + 0x100, L.RW_HI - 0x140) - (st.segs[via].base as number);
  const m: Mem = { prefixes: via === DS ? [] : [SEG_PREFIX[via]], encode: (reg, extra = 0) => [(reg << 3) | 5, ...le32((at + extra) >>> 0)] };
  const scratch = st.regsWith('any');
  const r = scratch.length > 0 ? rng.pick(scratch) : -1;
  const pointers: { off: number; sel: number; wide: boolean }[] = [];
  const code: (number | number[])[][] = [];
  const LOW = 0xe000; // SP below this (but 0) would leave the stack pages
  const hi = () => ((rng.int(0xffff) + 1) << 16) >>> 0;
  const sp = () => (rng.chance(0.3) ? 0 : LOW + 4 * rng.int(0x800));
  let esp = 0;
  const room = () => ((esp & 0xffff) === 0 ? 0x10000 : esp & 0xffff) - LOW; // bytes a 16-bit push may take
  const lss = (off: number, sel: number, wide: boolean) => {
    code.push([wide ? [] : [0x66], m.prefixes, 0x0f, 0xb2, m.encode(ESP, pointers.length * 8)]);
    pointers.push({ off, sel, wide });
    esp = wide ? off >>> 0 : ((esp & 0xffff0000) | (off & 0xffff)) >>> 0;
  };
  /** push sel; pop ss, with a 32- or 16-bit operand (the 32-bit push with junk above the selector). */
  const pushPopSs = (sel: number, n: 2 | 4) => {
    if (n === 2) code.push([0x66, 0x68, le16(sel), 0x66, 0x17]);
    else code.push([0x68, le32((sel | (rng.u32() & 0xffff0000)) >>> 0), 0x17]);
  };
  const size = (): 2 | 4 => (rng.chance(0.3) ? 2 : 4);

  // Onto the 32-bit stack based at WINDOW_BASE, at 0x10000 (the next push carries out of SP) or below.
  lss(rng.chance(0.5) ? 0x10000 : LOW + 4 + 4 * rng.int(0x7ff), s32, true);
  // Onto the 16-bit stack.
  const into = first === 'lss' || rng.chance(0.3) ? rng.pick(['lss32', 'lss16', 'mov']) : 'pop';
  if (into === 'lss32') lss((hi() | sp()) >>> 0, s16, true);
  else if (into === 'lss16') lss(sp(), s16, false);
  else if (into === 'mov' && r >= 0 && (esp & 0xffff) !== 0) code.push([0xb8 + r, le32((s16 | (rng.u32() & 0xffff0000)) >>> 0), o16(ctx, 0.2), 0x8e, 0xd0 + r]);
  else pushPopSs(s16, size()); // from the 32-bit stack: ESP down and up again, by all of ESP
  // On it: SP alone moves.
  const moveSp = (d: number) => { esp = ((esp & 0xffff0000) | ((esp + d) & 0xffff)) >>> 0; };
  for (let n = rng.int(4); n > 0; n--) {
    const k = rng.int(6), z = size(), spNow = esp & 0xffff;
    if (k === 0 && room() >= z) { code.push(z === 4 ? [0x68, le32(rng.u32())] : [0x66, 0x6a, rng.int(0x100)]); moveSp(-z); }
    else if (k === 1 && room() >= z) { code.push([z === 2 ? [0x66] : [], 0x50 + rng.int(8)]); moveSp(-z); }
    else if (k === 2 && r >= 0 && spNow >= LOW && spNow + z <= 0x10000) { code.push([z === 2 ? [0x66] : [], 0x58 + r]); moveSp(z); }
    else if (k === 3 && room() >= z) pushPopSs(s16, z);
    else if (k === 4) lss((hi() | sp()) >>> 0, s16, true);
  }
  // Out again, to the flat stack or the 32-bit one.
  const to = rng.chance(0.6) ? flat : s32;
  const out = rng.pick(['wrap', 'wrap', 'pop', 'lss32', 'lss16', 'mov', 'fault']);
  const z = size();
  if (out === 'lss32') lss(valueFor(rng, 'stack'), flat, true);
  else if (out === 'lss16') lss(sp(), to, false);
  else if (out === 'mov' && r >= 0) code.push([0xb8 + r, le32((to | (rng.u32() & 0xffff0000)) >>> 0), o16(ctx, 0.2), 0x8e, 0xd0 + r]);
  else if (out === 'fault' && room() >= z + 16) pushPopSs(rng.pick(r3 ? [0, L.SEL.DATA0, L.SEL.ABSENT, L.SEL.STACK16, L.SEL.CODE3] : [0, L.SEL.ABSENT, L.SEL.XONLY, L.SEL.DATA3, L.SEL.STACK16 | 3, L.SEL.CODE0, L.SEL.TSS, 0x100]), z);
  else if (out === 'pop' && room() >= z) pushPopSs(to, z);
  else {
    // SP 0 and a random upper half: the push wraps SP to 0x10000 - z, the POP SS wraps it back to 0.
    lss(hi(), s16, true);
    pushPopSs(to, z);
  }
  // Back on the flat stack.
  if (out !== 'lss32') lss(valueFor(rng, 'stack'), flat, true);

  pointers.forEach((p, k) => storeFarPointer(ctx, { prefixes: m.prefixes, encode: (reg, extra = 0) => m.encode(reg, extra + k * 8) }, p.off, p.sel, p.wide));
  for (const c of code) ctx.emit(...c);
  if (r >= 0) st.kill(r);
  st.segs[SS] = loadSeg(SS, flat, st.cpl) ?? st.segs[SS];
  return true;
};

/** LAR, LSL, VERR, VERW, LLDT, LTR with a selector from our GDT, in a register or in memory. */
export const selectorOp: Gen = (ctx, e) => {
  const { rng, st } = ctx;
  let sel = rng.chance(0.8) ? (rng.int(L.DESCRIPTORS.length + 2) << 3) | rng.int(4) | (rng.chance(0.05) ? 4 : 0) : rng.int(0x10000);
  // LTR of a null selector: #GP(0) says the manual; QEMU 7.2 loads it (and the next ring change would then differ).
  if (e.row.mnem === 'ltr' && (sel & 0xfffc) === 0) sel |= L.SEL.TSS;
  if (rng.chance(0.6)) {
    const r = ctx.destReg();
    ctx.emit(0xb8 + r, le32(sel | (rng.u32() & 0xffff0000)));
    st.kill(r);
    return generic(ctx, e, { eReg: r });
  }
  const m = memOperand(ctx, { size: 2, write: true });
  if (m === null) return false;
  ctx.emit(0x66, m.prefixes, 0xc7, m.encode(0), le16(sel));
  return generic(ctx, e, { eMem: m });
};

/** LGDT/LIDT at ring 0 reload what SGDT/SIDT just stored; at ring 3 they fault whatever the memory holds. */
export const descriptorTable: Gen = (ctx, e) => {
  const { st } = ctx;
  if (st.cpl === 3) return generic(ctx, e);
  const m = memOperand(ctx, { size: 6, write: true });
  if (m === null) return false;
  const p = o16(ctx, 0.2);
  ctx.emit(p, m.prefixes, 0x0f, 0x01, m.encode(e.group - 2), p, m.prefixes, 0x0f, 0x01, m.encode(e.group));
  return true;
};

/** LMSW at ring 0: CR0's low word as SMSW read it, with MP/EM/TS (and PE, which LMSW cannot clear) flipped. */
export const lmsw: Gen = (ctx, e) => {
  const { rng, st } = ctx;
  if (st.cpl === 3) return generic(ctx, e);
  const r = ctx.destReg();
  const bits = rng.pick([0, 2, 4, 8, 0xe, 1, 0x20]);
  ctx.emit(0x0f, 0x01, 0xe0 | r, 0x66, 0x81, 0xf0 | r, le16(bits), 0x0f, 0x01, 0xf0 | r);
  st.kill(r);
  return true;
};

// ---- Control and debug registers, MSRs, SYSENTER ------------------------------------

/** MOV r32, CRn (CR1, CR5-7 do not exist: #UD). ModRM.mod is ignored: any value. */
export const movFromCr: Gen = (ctx) => {
  const { rng, st } = ctx;
  const cr = rng.chance(0.05) ? rng.pick([1, 5, 6, 7]) : rng.pick([0, 2, 3, 4]);
  const r = ctx.destReg();
  const mod = rng.chance(0.1) ? rng.int(3) : 3;
  ctx.emit(0x0f, 0x20, (mod << 6) | (cr << 3) | r);
  st.kill(r);
  return true;
};

/** MOV CRn, r32 of values that keep the machine as it is: CR0 with MP/EM/TS/NE flipped, CR2 anything, CR3 itself, CR4 with TSD/DE/PSE/PGE flipped. */
export const movToCr: Gen = (ctx) => {
  const { rng, st } = ctx;
  if (st.cpl === 3) {
    ctx.emit(0x0f, 0x22, 0xc0 | (rng.int(8) << 3) | rng.int(8));
    return true;
  }
  const cr = rng.chance(0.04) ? rng.pick([1, 5, 6, 7]) : rng.pick([0, 2, 3, 4]);
  if (cr === 2 || cr === 1 || cr > 4) {
    ctx.emit(0x0f, 0x22, 0xc0 | (cr << 3) | rng.int(8));
    return true;
  }
  const r = ctx.destReg();
  ctx.emit(0x0f, 0x20, 0xc0 | (cr << 3) | r);
  const flip = cr === 0 ? rng.pick(ctx.x87 ? [0, 2, 4, 8, 0xe] : [0, 2, 4, 8, 0x20, 0xe]) : cr === 4 ? rng.pick([0, 0x4, 0x8, 0x10, 0x80]) : 0;
  if (flip !== 0) ctx.emit(0x81, 0xf0 | r, le32(flip));
  ctx.emit(0x0f, 0x22, 0xc0 | (cr << 3) | r);
  st.kill(r);
  return true;
};

/** The share of MOV DRn draws at ring 0 that are DR-armed streams instead (debugBreakpoints). */
const DR_STREAMS = 0.7;

export const movFromDr: Gen = (ctx) => {
  if (ctx.st.cpl === 0 && ctx.rng.chance(DR_STREAMS) && debugBreakpoints(ctx)) return true;
  const r = ctx.destReg();
  ctx.emit(0x0f, 0x21, 0xc0 | (ctx.rng.int(8) << 3) | r);
  ctx.st.kill(r);
  return true;
};

/**
 * MOV DRn, r32: DR0-3 take anything; DR7 is left alone (it would arm
 * breakpoints). DR6 gets a value with bit 12 clear: the manual has that bit
 * reserved as 0 (and so do we), QEMU keeps what was written.
 */
export const movToDr: Gen = (ctx) => {
  const { rng, st } = ctx;
  if (st.cpl === 0 && rng.chance(DR_STREAMS) && debugBreakpoints(ctx)) return true;
  const dr = st.cpl === 3 ? rng.int(8) : rng.pick([0, 1, 2, 3, 6]);
  let r = rng.int(8);
  if (dr === 6 && st.cpl === 0) {
    r = ctx.destReg();
    ctx.emit(0xb8 + r, le32(rng.interesting() & ~0x1000));
    st.kill(r);
  }
  ctx.emit(0x0f, 0x23, 0xc0 | (dr << 3) | r);
  return true;
};

/** The SYSENTER MSRs the kernel's start sets, and the values it sets them to. */
export const SYSENTER_MSRS = [0x174, 0x175, 0x176];

/**
 * RDMSR/WRMSR at ring 0 only on the SYSENTER MSRs, which both machines have
 * the same (other MSRs differ by design); WRMSR writes back the value the
 * kernel set. At ring 3 both fault, whatever ECX is.
 */
export const msr: Gen = (ctx, e) => {
  const { rng, st } = ctx;
  if (st.cpl === 3) return generic(ctx, e);
  const k = rng.int(3);
  ctx.emit(0xb9, le32(SYSENTER_MSRS[k]));
  st.kill(ECX);
  if (e.row.mnem === 'wrmsr') {
    ctx.emit(0xb8);
    if (k === 2) ctx.asm.ref(ctx.landing, 'abs32');
    else ctx.emit(le32(k === 0 ? L.SEL.CODE0 : L.STACK0_TOP));
    ctx.emit(0x31, 0xd2);
  }
  ctx.emit(opcodeBytes(e.opcode));
  st.kill(EAX);
  st.kill(EDX);
  return true;
};

/** SYSENTER goes to the landing stub (which resumes at the next case), from ring 0 or 3. */
export const sysenter: Gen = (ctx, e) => {
  ctx.emit(opcodeBytes(e.opcode));
  return true;
};

/** SYSEXIT from ring 0 to the next instruction at ring 3, with a stack; at ring 3 it faults. */
export const sysexit: Gen = (ctx, e) => {
  const { st } = ctx;
  if (st.cpl === 3) return generic(ctx, e);
  if (st.nested > 0 || st.inBody) return false;
  const next = ctx.asm.label('after sysexit');
  ctx.emit(0xb9, le32(valueForReg(ctx, ESP, 'stack')), 0xba);
  ctx.asm.ref(next, 'abs32');
  ctx.emit(0x0f, 0x35);
  ctx.asm.bind(next);
  st.kill(ECX);
  st.kill(EDX);
  st.cpl = 3;
  st.segs[CS] = { sel: L.SEL.CODE3, base: 0, writable: false };
  st.segs[SS] = { sel: L.SEL.DATA3, base: 0, writable: true };
  return true;
};


// ---- Debug-register breakpoints ------------------------------------------------------

/** Ports a DR-armed stream reads and writes (OPEN_PORTS and the console), by immediate or through DX. */
const BP_PORTS = [0xe9, 0xe0, 0xec, 0x2f0, 0x108];
/** DR7's LEN field for a length of 1, 2 or 4 bytes (10B, 8 bytes, is undefined on the P6: never). */
const LEN_BITS: Record<number, number> = { 1: 0, 2: 1, 4: 3 };

/** What one of DR0-DR3 is armed as in a DR-armed stream (null: not enabled). */
export type BpKind = 'inst' | 'write' | 'rw' | 'io';

/**
 * A DR-armed stream at ring 0 (SDM Vol. 3 ch. 17): CR4.DE set (always with an I/O breakpoint), DR0-DR3
 * loaded, DR6 a random value (bit 12 clear), DR7 enabling one to four of them (L, G or both; LE/GE now
 * and then; never GD) as instruction breakpoints on an instruction of the stream (LEN 00), data
 * breakpoints R/W 01 and 11 of LEN 1, 2, 4 on aligned addresses in the read-write scratch pages, I/O
 * breakpoints R/W 10 on the ports the generator uses. Then two to six instructions, each an aligned
 * access of 1, 2 or 4 bytes (load, store, read-modify-write, compare) to a breakpoint's 16-byte slot or
 * another, hitting the range or missing it, an IN or OUT to an armed port or another, or an ALU
 * instruction; and DR7 = 0. The first breakpoint taken is a #DB whose handler (generator.ts) reads DR6
 * into EDX (compared), clears DR6 and DR7, and goes on with the next case.
 *
 * Kept out (QEMU 7.2's departures, docs/cpu.md): GD; DRn not aligned to its length; misaligned accesses
 * (every access is aligned to its size); R/W 10 without DE; an access (or instruction) two breakpoints
 * match (each breakpoint has its own 16-byte slot, or port range, or instruction); a disabled slot on
 * code (its DRn is a scratch address, so no instruction breakpoint that is not enabled can match);
 * REP strings, MOV SS/POP SS and TF (EFLAGS.TF is never set) inside the stream.
 */
export const debugBreakpoints = (ctx: Ctx): boolean => {
  const { rng, st } = ctx;
  if (st.cpl !== 0 || st.nested > 0 || st.inBody) return false;
  const a = ctx.asm;
  const r = ctx.destReg();
  // Six distinct 16-byte slots in the read-write pages: one per data breakpoint, the rest for misses.
  const slots: number[] = [];
  while (slots.length < 6) {
    const s = (L.RW_LO + 0x100 + 16 * rng.int((L.RW_HI - L.RW_LO - 0x200) / 16)) >>> 0;
    if (!slots.includes(s)) slots.push(s);
  }
  const nBody = rng.range(2, 6);
  const bodyLabels = Array.from({ length: nBody }, (_, k) => a.label(`dr stream ${k}`));
  const freePorts = [...BP_PORTS];
  const freeInsns = [...Array(nBody).keys()];
  const enabledCount = rng.range(1, 4);
  const order = [0, 1, 2, 3];
  shuffle(ctx, order);
  interface Bp { kind: BpKind | null; addr: number | Label; len: number; slot?: number; port?: number; at?: number }
  const bps: Bp[] = [0, 1, 2, 3].map(() => ({ kind: null, addr: 0, len: 1 }));
  let dr7 = 0;
  for (let n = 0; n < 4; n++) {
    const bp = bps[n];
    const enabled = order.indexOf(n) < enabledCount;
    if (!enabled) {
      // Not enabled: a scratch address (never code), a data type.
      bp.addr = slots[n] + 4 * rng.int(2);
      dr7 |= (rng.pick([1, 3]) << (16 + 4 * n)) | (rng.pick([0, 1, 3]) << (18 + 4 * n));
      continue;
    }
    let kind: BpKind = rng.pick<BpKind>(['inst', 'write', 'write', 'rw', 'io']);
    if (kind === 'inst' && freeInsns.length === 0) kind = 'rw';
    if (kind === 'io' && freePorts.length === 0) kind = 'write';
    bp.kind = kind;
    dr7 |= rng.pick([1, 2, 3]) << (2 * n);
    if (kind === 'inst') {
      const k = freeInsns.splice(rng.int(freeInsns.length), 1)[0];
      bp.at = k;
      bp.addr = bodyLabels[k];
      continue; // R/W 00, LEN 00
    }
    bp.len = rng.pick([1, 2, 4]);
    if (kind === 'io') {
      bp.port = freePorts.splice(rng.int(freePorts.length), 1)[0];
      bp.addr = bp.port & ~(bp.len - 1);
    } else {
      bp.slot = slots[n];
      bp.addr = slots[n] + (rng.int(8) & ~(bp.len - 1));
    }
    dr7 |= ({ write: 1, rw: 3, io: 2 }[kind] << (16 + 4 * n)) | (LEN_BITS[bp.len] << (18 + 4 * n));
  }
  if (rng.chance(0.3)) dr7 |= rng.pick([0x100, 0x200, 0x300]);
  dr7 |= 0x400;

  // Arm: CR4.DE, DR0-DR3, DR6, DR7.
  if (bps.some((b) => b.kind === 'io') || rng.chance(0.5)) ctx.emit(0x0f, 0x20, 0xe0 | r, 0x83, 0xc8 | r, 0x08, 0x0f, 0x22, 0xe0 | r);
  for (let n = 0; n < 4; n++) {
    const v = bps[n].addr;
    ctx.emit(0xb8 + r);
    if (typeof v === 'number') ctx.emit(le32(v));
    else a.ref(v, 'abs32');
    ctx.emit(0x0f, 0x23, 0xc0 | (n << 3) | r);
  }
  ctx.emit(0xb8 + r, le32(rng.interesting() & ~0x1000), 0x0f, 0x23, 0xf0 | r);
  ctx.emit(0xb8 + r, le32(dr7 >>> 0), 0x0f, 0x23, 0xf8 | r);

  // The stream.
  const dataBps = bps.filter((b) => b.kind === 'write' || b.kind === 'rw');
  const ioBps = bps.filter((b) => b.kind === 'io');
  const instTargets = new Set(bps.filter((b) => b.kind === 'inst').map((b) => b.at as number));
  const mem = (modrm: number, addr: number) => [modrm, ...le32(addr >>> 0)];
  for (let k = 0; k < nBody; k++) {
    a.bind(bodyLabels[k]);
    // Before an instruction breakpoint, nothing that could trap: QEMU 7.2 would report that breakpoint in the trap's DR6 too.
    const what = instTargets.has(k + 1) ? 9 : rng.int(10);
    if (what < 6) {
      // An aligned access of 1, 2 or 4 bytes: to a breakpoint's slot (in its range or beside it), or to a spare slot.
      const s = rng.pick([1, 2, 4]);
      let addr: number;
      const bp = dataBps.length > 0 && rng.chance(0.8) ? rng.pick(dataBps) : null;
      if (bp !== null && rng.chance(0.7)) addr = ((bp.addr as number) + rng.int(bp.len)) & ~(s - 1);
      else if (bp !== null) addr = (bp.slot as number) + 8 + (rng.int(8) & ~(s - 1));
      else addr = slots[4 + rng.int(2)] + (rng.int(16) & ~(s - 1));
      const p = s === 2 ? [0x66] : [];
      const imm = (n: number) => (n === 1 ? [rng.int(256)] : n === 2 ? le16(rng.u32()) : le32(rng.u32()));
      const op = rng.int(4);
      if (op === 0) {
        // Load: MOVZX r32, m8 / MOV r16, m16 / MOV r32, m32.
        if (s === 1) ctx.emit(0x36, 0x0f, 0xb6, mem((r << 3) | 5, addr));
        else ctx.emit(0x36, p, 0x8b, mem((r << 3) | 5, addr));
      } else if (op === 1) ctx.emit(0x36, p, s === 1 ? 0xc6 : 0xc7, mem(5, addr), imm(s)); // store
      else {
        const g = op === 2 ? rng.pick([0, 2, 3, 5]) : 7; // ADD ADC SBB SUB (read and write), CMP (read): no undefined flags before a trap
        if (s === 1) ctx.emit(0x36, 0x80, mem((g << 3) | 5, addr), imm(1));
        else ctx.emit(0x36, p, 0x83, mem((g << 3) | 5, addr), rng.int(256));
      }
    } else if (what < 9) {
      // IN or OUT: to an armed port (in its range or not), or another.
      const bp = ioBps.length > 0 && rng.chance(0.7) ? rng.pick(ioBps) : null;
      const port = bp !== null ? (bp.port as number) : rng.pick(BP_PORTS);
      const s = port === 0xe9 ? 1 : rng.pick([1, 2, 4]);
      const p = s === 2 ? [0x66] : [];
      const out = rng.chance(0.5);
      if (port < 0x100 && rng.chance(0.7)) ctx.emit(p, (out ? 0xe6 : 0xe4) | (s > 1 ? 1 : 0), port);
      else {
        ctx.emit(0x66, 0xba, le16(port));
        st.kill(EDX);
        ctx.emit(p, (out ? 0xee : 0xec) | (s > 1 ? 1 : 0));
      }
      if (!out) st.kill(EAX);
    } else ctx.emit(rng.pick([[0x40 + r], [0x90], [0xf7, 0xd0 | r]])); // INC, NOP, NOT
  }
  // Disarm.
  ctx.emit(0x31, 0xc0 | (r << 3) | r, 0x0f, 0x23, 0xf8 | r);
  st.kill(r);
  return true;
};
