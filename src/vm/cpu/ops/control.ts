/**
 * Control flow: near and far JMP, CALL and RET, Jcc, LOOP/JECXZ, INT n,
 * INT3, INTO, INT1, IRET and BOUND. Far transfers go through code segment
 * descriptors or call gates, with the privilege rules of the manual.
 */
import type { Cpu } from '../state';
import { CS, SS, ECX, ESP, ATTR_P } from '../state';
import { ea, Op, type Instr } from '../instr';
import { def } from '../optable';
import { raise, Vec } from '../fault';
import { condition, getOF } from '../flags';
import { getRm, sext } from './operands';
import { CC_NAMES } from './conditions';
import { softwareInterrupt, iret } from '../interrupts';
import { switchToInnerRing, FRAME } from '../stackswitch';
import { readDescriptor, desc, descAttr, attrDpl, isCodeAttr, isConforming, markAccessed, loadCacheFromDesc, descLimit, checkStackSegment, dropInnerSegments } from '../segments';

/** Jump to a near target (an EIP value), checking it against CS's limit. */
export function jumpNear(c: Cpu, i: Instr, target: number): void {
  const t = i.o32 ? target | 0 : target & 0xffff;
  if ((t >>> 0) > c.segLimit[CS]) raise(c, Vec.GP, 0);
  c.eipNext = t;
}

const jmpRel = (c: Cpu, i: Instr) => jumpNear(c, i, c.eipNext + i.imm);
function jcc(c: Cpu, i: Instr): void {
  if (condition(c, i.opcode & 0xf)) jumpNear(c, i, c.eipNext + i.imm);
}
const jmpE = (c: Cpu, i: Instr) => jumpNear(c, i, getRm(c, i, i.size));

function callRel(c: Cpu, i: Instr): void {
  const target = i.o32 ? (c.eipNext + i.imm) | 0 : (c.eipNext + i.imm) & 0xffff;
  if ((target >>> 0) > c.segLimit[CS]) raise(c, Vec.GP, 0);
  if (i.o32) c.push32(c.eipNext); else c.push16(c.eipNext);
  c.eipNext = target;
}
function callE(c: Cpu, i: Instr): void {
  const target = getRm(c, i, i.size);
  if ((target >>> 0) > c.segLimit[CS]) raise(c, Vec.GP, 0);
  if (i.o32) c.push32(c.eipNext); else c.push16(c.eipNext);
  c.eipNext = target;
}
function retNear(c: Cpu, i: Instr): void {
  const target = i.o32 ? c.peek32(0) : c.peek16(0);
  if ((target >>> 0) > c.segLimit[CS]) raise(c, Vec.GP, 0);
  c.addSP(i.size + (i.opcode === 0xc2 ? i.imm & 0xffff : 0));
  c.eipNext = target;
}

function loop(c: Cpu, i: Instr): void {
  const count = i.a32 ? (c.r32[ECX] = c.r32[ECX] - 1) : (c.r16[ECX << 1] = c.r16[ECX << 1] - 1);
  let take = count !== 0;
  if (i.opcode === 0xe1) take &&= condition(c, 4);
  else if (i.opcode === 0xe0) take &&= !condition(c, 4);
  if (take) jumpNear(c, i, c.eipNext + i.imm);
}
function jecxz(c: Cpu, i: Instr): void {
  if ((i.a32 ? c.r32[ECX] : c.r16[ECX << 1]) === 0) jumpNear(c, i, c.eipNext + i.imm);
}

// ---- Far transfers ----------------------------------------------------------------

const CALL_GATE16 = 4, CALL_GATE32 = 12;

/** Far JMP or CALL to sel:off (a code segment or a call gate). */
function farTransfer(c: Cpu, i: Instr, sel: number, off: number, call: boolean): void {
  if ((sel & 0xfffc) === 0) raise(c, Vec.GP, 0);
  readDescriptor(c, sel);
  const attr = descAttr(desc.hi);
  const selErr = sel & 0xfffc;
  if ((attr & 0x10) === 0) {
    const type = attr & 0xf;
    if (type !== CALL_GATE16 && type !== CALL_GATE32) raise(c, Vec.GP, selErr); // task gates and TSSs: no task switching
    return throughCallGate(c, i, sel, call);
  }
  if (!isCodeAttr(attr)) raise(c, Vec.GP, selErr);
  const dpl = attrDpl(attr);
  if (isConforming(attr) ? dpl > c.cpl : (sel & 3) > c.cpl || dpl !== c.cpl) raise(c, Vec.GP, selErr);
  if ((attr & ATTR_P) === 0) raise(c, Vec.NP, selErr);
  const target = i.o32 ? off | 0 : off & 0xffff;
  if ((target >>> 0) > descLimit(desc.lo, desc.hi)) raise(c, Vec.GP, 0);
  if (call) pushReturn(c, i.o32);
  markAccessed(c);
  loadCacheFromDesc(c, CS, (sel & 0xfffc) | c.cpl);
  c.eipNext = target;
}

/** Push CS:EIP of the next instruction; ESP is unchanged if a push faults. */
function pushReturn(c: Cpu, o32: boolean): void {
  const sp = c.r32[ESP];
  try {
    if (o32) { c.push32(c.segSel[CS]); c.push32(c.eipNext); } else { c.push16(c.segSel[CS]); c.push16(c.eipNext); }
  } catch (e) {
    c.r32[ESP] = sp;
    throw e;
  }
}

function throughCallGate(c: Cpu, i: Instr, gateSel: number, call: boolean): void {
  const gLo = desc.lo, gHi = desc.hi;
  const gAttr = descAttr(gHi);
  const gDpl = attrDpl(gAttr);
  if (gDpl < c.cpl || gDpl < (gateSel & 3)) raise(c, Vec.GP, gateSel & 0xfffc);
  if ((gAttr & ATTR_P) === 0) raise(c, Vec.NP, gateSel & 0xfffc);
  const gate32 = (gAttr & 0xf) === CALL_GATE32;
  const sel = gLo >>> 16;
  const off = gate32 ? (gLo & 0xffff) | (gHi & 0xffff0000) : gLo & 0xffff;
  const params = gHi & 0x1f;
  if ((sel & 0xfffc) === 0) raise(c, Vec.GP, 0);
  readDescriptor(c, sel);
  const attr = descAttr(desc.hi);
  const dpl = attrDpl(attr);
  if (!isCodeAttr(attr) || dpl > c.cpl || (!call && !isConforming(attr) && dpl !== c.cpl)) raise(c, Vec.GP, sel & 0xfffc);
  if ((attr & ATTR_P) === 0) raise(c, Vec.NP, sel & 0xfffc);
  const csLo = desc.lo, csHi = desc.hi, csAddr = desc.addr;
  if ((off >>> 0) > descLimit(csLo, csHi)) raise(c, Vec.GP, 0);
  const n = gate32 ? 4 : 2;

  if (call && !isConforming(attr) && dpl < c.cpl) {
    // A call to an inner ring: new stack from the TSS, the gate's parameters copied across.
    for (let k = params - 1; k >= 0; k--) FRAME[params - 1 - k] = n === 4 ? c.peek32(k * 4) : c.peek16(k * 2);
    FRAME[params] = c.segSel[CS];
    FRAME[params + 1] = c.eipNext;
    switchToInnerRing(c, dpl, csLo, csHi, csAddr, sel, n, params + 2, 0);
  } else {
    if (call) pushReturn(c, gate32);
    desc.lo = csLo; desc.hi = csHi; desc.addr = csAddr;
    markAccessed(c);
    loadCacheFromDesc(c, CS, (sel & 0xfffc) | c.cpl);
  }
  c.eipNext = off | 0;
}

const jmpFarImm = (c: Cpu, i: Instr) => farTransfer(c, i, i.imm2, i.imm, false);
const callFarImm = (c: Cpu, i: Instr) => farTransfer(c, i, i.imm2, i.imm, true);
function farIndirect(c: Cpu, i: Instr, call: boolean): void {
  if (i.mod === 3) raise(c, Vec.UD);
  const a = ea(c, i);
  const off = i.o32 ? c.rd32(i.seg, a) : c.rd16(i.seg, a);
  const sel = c.rd16(i.seg, i.a32 ? (a + i.size) | 0 : (a + i.size) & 0xffff);
  farTransfer(c, i, sel, off, call);
}

function retFar(c: Cpu, i: Instr): void {
  const n = i.size;
  const peek = (k: number) => (n === 4 ? c.peek32(k * n) : c.peek16(k * n));
  const eip = peek(0), sel = peek(1) & 0xffff;
  const extra = i.opcode === 0xca ? i.imm & 0xffff : 0;
  const rpl = sel & 3;
  if ((sel & 0xfffc) === 0) raise(c, Vec.GP, 0);
  if (rpl < c.cpl) raise(c, Vec.GP, sel & 0xfffc);
  readDescriptor(c, sel);
  const attr = descAttr(desc.hi);
  if (!isCodeAttr(attr) || (isConforming(attr) ? attrDpl(attr) > rpl : attrDpl(attr) !== rpl)) raise(c, Vec.GP, sel & 0xfffc);
  if ((attr & ATTR_P) === 0) raise(c, Vec.NP, sel & 0xfffc);
  const csLo = desc.lo, csHi = desc.hi, csAddr = desc.addr;
  const target = n === 4 ? eip | 0 : eip & 0xffff;
  if ((target >>> 0) > descLimit(csLo, csHi)) raise(c, Vec.GP, 0);
  if (rpl === c.cpl) {
    c.addSP(2 * n + extra);
    markAccessed(c);
    loadCacheFromDesc(c, CS, sel);
  } else {
    // Back to an outer ring: its SS:ESP sit above the parameters.
    const newEsp = n === 4 ? c.peek32(2 * n + extra) : c.peek16(2 * n + extra);
    const newSs = (n === 4 ? c.peek32(3 * n + extra) : c.peek16(3 * n + extra)) & 0xffff;
    checkStackSegment(c, newSs, rpl);
    markAccessed(c);
    loadCacheFromDesc(c, SS, newSs);
    c.r32[ESP] = newEsp;
    c.addSP(extra);
    desc.lo = csLo; desc.hi = csHi; desc.addr = csAddr;
    markAccessed(c);
    loadCacheFromDesc(c, CS, sel);
    c.setCpl(rpl);
    dropInnerSegments(c);
  }
  c.eipNext = target;
}

// ---- Interrupts --------------------------------------------------------------------

const intN = (c: Cpu, i: Instr) => softwareInterrupt(c, i.imm & 0xff, c.eipNext);
const int3 = (c: Cpu) => softwareInterrupt(c, Vec.BP, c.eipNext);
function into(c: Cpu): void {
  if (getOF(c) !== 0) softwareInterrupt(c, Vec.OF, c.eipNext);
}
/** INT1 (ICEBP): a #DB trap that ignores the gate's DPL, like a hardware debug exception. */
function int1(c: Cpu): void {
  // Delivered as a trap: the saved EIP is the next instruction's.
  c.eip = c.eipNext;
  raise(c, Vec.DB);
}
const iretOp = (c: Cpu, i: Instr) => iret(c, i.o32);

function bound(c: Cpu, i: Instr): void {
  if (i.mod === 3) raise(c, Vec.UD);
  const a = ea(c, i), s = i.size;
  const idx = sext(s === 4 ? c.r32[i.reg] : c.r16[i.reg << 1], s);
  const lo = sext(s === 4 ? c.rd32(i.seg, a) : c.rd16(i.seg, a), s);
  const hi = sext(s === 4 ? c.rd32(i.seg, (a + 4) | 0) : c.rd16(i.seg, i.a32 ? (a + 2) | 0 : (a + 2) & 0xffff), s);
  if (idx < lo || idx > hi) raise(c, Vec.BR);
}

const B = Op.BRANCH;
def('EB', 'jmp Jb', jmpRel, jmpRel, B);
def('E9', 'jmp Jz', jmpRel, jmpRel, B);
for (let cc = 0; cc < 16; cc++) {
  const h = cc.toString(16).toUpperCase();
  def(`7${h}`, `j${CC_NAMES[cc]} Jb`, jcc, jcc, B);
  def(`0F 8${h}`, `j${CC_NAMES[cc]} Jz`, jcc, jcc, B);
}
def('FF/4', 'jmp Ev', jmpE, jmpE, B);
def('FF/5', 'ljmp Mp', (c, i) => farIndirect(c, i, false), (c, i) => farIndirect(c, i, false), B | Op.FAR);
def('EA', 'ljmp Ap', jmpFarImm, jmpFarImm, B | Op.FAR);
def('E8', 'call Jz', callRel, callRel, B);
def('FF/2', 'call Ev', callE, callE, B);
def('FF/3', 'lcall Mp', (c, i) => farIndirect(c, i, true), (c, i) => farIndirect(c, i, true), B | Op.FAR);
def('9A', 'lcall Ap', callFarImm, callFarImm, B | Op.FAR);
def('C3', 'ret', retNear, retNear, B);
def('C2', 'ret Iw', retNear, retNear, B);
def('CB', 'lret', retFar, retFar, B | Op.FAR);
def('CA', 'lret Iw', retFar, retFar, B | Op.FAR);
def('E0', 'loopne Jb', loop, loop, B);
def('E1', 'loope Jb', loop, loop, B);
def('E2', 'loop Jb', loop, loop, B);
def('E3', 'jecxz|jcxz Jb', jecxz, jecxz, B);
def('CD', 'int Ib', intN, intN, B | Op.FAR);
def('CC', 'int3', int3, int3, B | Op.FAR);
def('CE', 'into', into, into, B | Op.FAR);
def('F1', 'int1', int1, int1, B | Op.ENDS_BLOCK);
def('CF', 'iret|iretd', iretOp, iretOp, B | Op.FAR);
def('62', 'bound Gv,Ma', bound);
