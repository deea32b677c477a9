/**
 * Delivering exceptions and interrupts through the IDT, and IRET.
 *
 * Protected mode only (we have no real mode). An interrupt or trap gate
 * leads to a code segment; if that segment is more privileged than the
 * current code, the CPU switches to the inner ring's stack, taken from the
 * TSS (ss0:esp0 for ring 0, ss1:esp1 for ring 1: that is how lguest's Guest
 * kernel, at ring 1, gets its system calls from ring 3), and pushes the old
 * SS:ESP before EFLAGS, CS, EIP and the error code.
 */
import type { Cpu } from './state';
import { CS, SS, ESP, ATTR_P } from './state';
import { raise, Vec, FAULT, hasErrorCode, EXCEPTION_NAMES } from './fault';
import { getFlags, materialize, TF, NT, RF, VM, IF, IOPL, AC, ID, VIF, VIP, ARITH, DF } from './flags';
import { switchToInnerRing, FRAME } from './stackswitch';
import { readDescriptor, desc, descAttr, attrDpl, isCodeAttr, isConforming, checkStackSegment, markAccessed, loadCacheFromDesc, descLimit, dropInnerSegments } from './segments';

const GATE_TASK = 5, GATE_INT16 = 6, GATE_TRAP16 = 7, GATE_INT32 = 14, GATE_TRAP32 = 15;

/** Benign, contributory or page fault: decides when a second fault makes a double fault. */
function faultClass(v: number): number {
  if (v === Vec.PF) return 2;
  if (v === Vec.DE || (v >= 10 && v <= 13)) return 1;
  if (v === Vec.DF) return 3;
  return 0;
}

/**
 * Raise a processor exception at the current instruction (faults: EIP is
 * still the instruction's address). Handles a second fault during delivery:
 * double fault, and the triple fault that shuts the machine down.
 *
 * `pushRf` sets RF in the EFLAGS image pushed (SDM Vol. 3 §17.3.1.1): a
 * fault-class exception other than an instruction breakpoint's #DB, or an
 * interrupt between two iterations of a REP string; otherwise the image has
 * RF as it is. A fault while delivering is a fault, a double fault an abort.
 */
export function deliverException(c: Cpu, vector: number, code: number, returnEip: number, pushRf: boolean): void {
  let vec = vector, err = code, has = hasErrorCode(vector), rf = pushRf;
  for (;;) {
    try {
      deliver(c, vec, false, true, has, err, returnEip, rf);
      return;
    } catch (e) {
      if (e !== FAULT) throw e;
      const first = faultClass(vec), second = faultClass(c.faultVector);
      if (first === 3 && second !== 0) {
        c.shutdownReason = `triple fault: ${describe(c.faultVector)} while delivering a double fault (EIP 0x${(c.eip >>> 0).toString(16)})`;
        c.halted = true;
        return;
      }
      if ((first === 1 && second === 1) || (first === 2 && second !== 0)) {
        vec = Vec.DF; err = 0; has = true; rf = false;
      } else {
        vec = c.faultVector; err = c.faultCode; has = c.faultHasCode; rf = c.faultRf;
      }
    }
  }
}

function describe(v: number): string {
  return v < EXCEPTION_NAMES.length ? `${EXCEPTION_NAMES[v]} (vector ${v})` : `vector ${v}`;
}

/** INT n, INT3, INTO: a software interrupt, checked against the gate's DPL. */
export function softwareInterrupt(c: Cpu, vector: number, returnEip: number): void {
  deliver(c, vector, true, false, false, 0, returnEip, false);
}

/**
 * A maskable external interrupt (from the PIC or the Host), between two instructions or, when
 * `midRep`, between two iterations of a REP string (then the frame's RF is 1).
 */
export function externalInterrupt(c: Cpu, vector: number, midRep: boolean): void {
  deliverException(c, vector, 0, c.eip, midRep);
}

function deliver(c: Cpu, vector: number, soft: boolean, ext: boolean, hasCode: boolean, code: number, returnEip: number, pushRf: boolean): void {
  const extBit = ext ? 1 : 0;
  const gateErr = vector * 8 + 2 + extBit;
  if (vector * 8 + 7 > c.idtr.limit) raise(c, Vec.GP, gateErr);
  const lo = c.rdSys32((c.idtr.base + vector * 8) | 0), hi = c.rdSys32((c.idtr.base + vector * 8 + 4) | 0);
  const type = (hi >>> 8) & 0x1f;
  if (type !== GATE_INT16 && type !== GATE_TRAP16 && type !== GATE_INT32 && type !== GATE_TRAP32 && type !== GATE_TASK) raise(c, Vec.GP, gateErr);
  if (soft && ((hi >>> 13) & 3) < c.cpl) raise(c, Vec.GP, gateErr);
  if ((hi & 0x8000) === 0) raise(c, Vec.NP, gateErr);
  if (type === GATE_TASK) {
    // The TSS the gate names is checked as the manual says; the task switch itself is not emulated.
    checkTss(c, lo >>> 16, extBit, Vec.GP, false);
    raise(c, Vec.GP, gateErr);
  }
  const gate32 = (type & 8) !== 0;
  const sel = lo >>> 16;
  const offset = gate32 ? (lo & 0xffff) | (hi & 0xffff0000) : lo & 0xffff;

  if ((sel & 0xfffc) === 0) raise(c, Vec.GP, extBit);
  readDescriptor(c, sel, Vec.GP, extBit);
  const attr = descAttr(desc.hi);
  const dpl = attrDpl(attr);
  if (!isCodeAttr(attr) || dpl > c.cpl) raise(c, Vec.GP, (sel & 0xfffc) | extBit);
  if ((attr & ATTR_P) === 0) raise(c, Vec.NP, (sel & 0xfffc) | extBit);
  const csLo = desc.lo, csHi = desc.hi, csAddr = desc.addr;
  const csLimit = descLimit(csLo, csHi);
  if ((offset >>> 0) > csLimit) raise(c, Vec.GP, extBit);

  materialize(c);
  const flags = pushRf ? getFlags(c) | RF : getFlags(c);
  const n = gate32 ? 4 : 2;
  const oldCs = c.segSel[CS];

  FRAME[0] = flags; FRAME[1] = oldCs; FRAME[2] = returnEip; FRAME[3] = code;
  const count = hasCode ? 4 : 3;
  if (!isConforming(attr) && dpl < c.cpl) {
    // Inner privilege: the frame goes on the new ring's stack, from the TSS.
    switchToInnerRing(c, dpl, csLo, csHi, csAddr, sel, n, count, extBit);
  } else if (isConforming(attr) || dpl === c.cpl) {
    // Same privilege: the frame goes on the current stack.
    let sp = c.getSP();
    for (let k = 0; k < count; k++) {
      sp = c.stack32 ? (sp - n) | 0 : (sp - n) & 0xffff;
      if (n === 4) c.wr32(SS, sp, FRAME[k]); else c.wr16(SS, sp, FRAME[k]);
    }
    if (c.stack32) c.r32[ESP] = sp; else c.r16[ESP << 1] = sp;
    markAccessed(c);
    loadCacheFromDesc(c, CS, (sel & 0xfffc) | c.cpl);
  } else {
    raise(c, Vec.GP, (sel & 0xfffc) | extBit);
  }
  c.vectorCounts[vector]++;
  if (c.onVector !== null) c.onVector(vector, hasCode ? code : -1, returnEip);
  c.eip = offset | 0;
  c.eipNext = c.eip;
  let nf = flags & ~(TF | NT | RF | VM);
  if ((type & 1) === 0) nf &= ~IF;
  c.flagsRaw = nf;
  c.lazyMask = 0;
  c.halted = false;
}

/**
 * The checks on the TSS a task switch goes to (SDM Vol. 3 Table 7-1): a GDT
 * selector, a TSS descriptor that is available (task gate) or busy (IRET to
 * the back link), present. Raises `vector` or #NP with the selector.
 */
function checkTss(c: Cpu, sel: number, ext: number, vector: number, busy: boolean): void {
  if ((sel & 4) !== 0) raise(c, vector, (sel & 0xfffc) | ext);
  readDescriptor(c, sel, vector, ext);
  const type = descAttr(desc.hi) & 0x17; // S and the type without its 32-bit bit
  if (type !== (busy ? 3 : 1)) raise(c, vector, (sel & 0xfffc) | ext);
  if ((desc.hi & 0x8000) === 0) raise(c, Vec.NP, (sel & 0xfffc) | ext);
}

/** The EFLAGS bits IRET, POPF and the like may change at the current privilege. */
export function writableFlags(c: Cpu, cpl: number): number {
  let m = ARITH | TF | DF | NT | AC | ID | RF;
  const iopl = (c.flagsRaw >> 12) & 3;
  if (cpl <= iopl) m |= IF;
  if (cpl === 0) m |= IOPL | VIF | VIP;
  return m;
}

export function setFlagsMasked(c: Cpu, value: number, mask: number): void {
  materialize(c);
  c.flagsRaw = ((c.flagsRaw & ~mask) | (value & mask) | 2) & ~(0x8 | 0x20 | 0x8000);
}

/** Word k of an IRET frame (dwords with o32). */
function peekFrame(c: Cpu, o32: boolean, k: number): number {
  return o32 ? c.peek32(k * 4) : c.peek16(k * 2);
}

/** IRET / IRETD in protected mode. */
export function iret(c: Cpu, o32: boolean): void {
  if ((c.flagsRaw & NT) !== 0) {
    // A return to the task in the current TSS's back link, which must be a busy TSS; the switch itself is not emulated.
    checkTss(c, c.rdSys16(c.tr.base), 0, Vec.TS, true);
    raise(c, Vec.GP, 0);
  }
  const n = o32 ? 4 : 2;
  const newEip = peekFrame(c, o32, 0), newCs = peekFrame(c, o32, 1) & 0xffff, newFlags = peekFrame(c, o32, 2);
  const rpl = newCs & 3;
  if ((newCs & 0xfffc) === 0) raise(c, Vec.GP, 0);
  if (rpl < c.cpl) raise(c, Vec.GP, newCs & 0xfffc);
  readDescriptor(c, newCs);
  const attr = descAttr(desc.hi);
  if (!isCodeAttr(attr)) raise(c, Vec.GP, newCs & 0xfffc);
  if (isConforming(attr) ? attrDpl(attr) > rpl : attrDpl(attr) !== rpl) raise(c, Vec.GP, newCs & 0xfffc);
  if ((attr & ATTR_P) === 0) raise(c, Vec.NP, newCs & 0xfffc);
  const csLo = desc.lo, csHi = desc.hi, csAddr = desc.addr;
  const eip = o32 ? newEip : newEip & 0xffff;
  if ((eip >>> 0) > descLimit(csLo, csHi)) raise(c, Vec.GP, 0);
  const oldCpl = c.cpl;
  const flagMask = o32 ? writableFlags(c, oldCpl) : writableFlags(c, oldCpl) & 0xffff;

  if (rpl === oldCpl) {
    c.addSP(3 * n);
    markAccessed(c);
    loadCacheFromDesc(c, CS, newCs);
  } else {
    // Return to an outer ring: its stack comes off this one.
    const newEsp = peekFrame(c, o32, 3), newSs = peekFrame(c, o32, 4) & 0xffff;
    checkStackSegment(c, newSs, rpl);
    markAccessed(c);
    loadCacheFromDesc(c, SS, newSs);
    if (c.stack32) c.r32[ESP] = newEsp; else c.r16[ESP << 1] = newEsp;
    desc.lo = csLo; desc.hi = csHi; desc.addr = csAddr;
    markAccessed(c);
    loadCacheFromDesc(c, CS, newCs);
    c.setCpl(rpl);
  }
  setFlagsMasked(c, newFlags, flagMask);
  c.eipNext = eip;
  if (rpl !== oldCpl) dropInnerSegments(c);
  // The run loop goes on to the next block unless it must look: a trap or RF for the next
  // instruction, or interrupts opened with one waiting.
  if ((c.flagsRaw & (TF | RF)) !== 0 || (c.intrLine && (c.flagsRaw & IF) !== 0)) c.exitBlock = true;
}
