/**
 * Data movement: MOV in all its forms, MOVZX/MOVSX, XCHG, LEA, the stack
 * (PUSH, POP, PUSHA, POPA, ENTER, LEAVE), XLAT, CMOVcc, SETcc, LAHF/SAHF,
 * and the segment register moves (MOV Sreg, PUSH/POP Sreg, LDS/LES/LFS/LGS/LSS).
 */
import type { Cpu } from '../state';
import { EAX, EBX, ESP, EBP, CS, SS, DS } from '../state';
import { ea, Op, segOfPushPop, type Instr } from '../instr';
import { def } from '../optable';
import { raise, Vec } from '../fault';
import { condition, getFlags, materialize, SF, ZF, AF, PF, CF } from '../flags';
import { getReg, setReg, getRm, setRm, rdMem, wrMem, rmwRead, rmwWrite } from './operands';
import { loadSegment, loadStackSegment } from '../segments';
import { CC_NAMES } from './conditions';

const movEG = (c: Cpu, i: Instr) => setRm(c, i, i.size, getReg(c, i.reg, i.size));
const movGE = (c: Cpu, i: Instr) => setReg(c, i.reg, i.size, getRm(c, i, i.size));
const movEI = (c: Cpu, i: Instr) => setRm(c, i, i.size, i.imm);
const movZI = (c: Cpu, i: Instr) => setReg(c, i.opcode & 7, i.size, i.imm);
const movAO = (c: Cpu, i: Instr) => setReg(c, EAX, i.size, rdMem(c, i.seg, i.disp, i.size));
const movOA = (c: Cpu, i: Instr) => wrMem(c, i.seg, i.disp, i.size, getReg(c, EAX, i.size));

function movGE32(c: Cpu, i: Instr): void {
  c.r32[i.reg] = i.mod === 3 ? c.r32[i.rm] : c.rd32(i.seg, ea(c, i));
}
function movEG32(c: Cpu, i: Instr): void {
  if (i.mod === 3) c.r32[i.rm] = c.r32[i.reg];
  else c.wr32(i.seg, ea(c, i), c.r32[i.reg]);
}

const movzxB = (c: Cpu, i: Instr) => setReg(c, i.reg, i.size, getRm(c, i, 1));
const movzxW = (c: Cpu, i: Instr) => setReg(c, i.reg, i.size, getRm(c, i, 2));
const movsxB = (c: Cpu, i: Instr) => setReg(c, i.reg, i.size, (getRm(c, i, 1) << 24) >> 24);
const movsxW = (c: Cpu, i: Instr) => setReg(c, i.reg, i.size, (getRm(c, i, 2) << 16) >> 16);

function xchgEG(c: Cpu, i: Instr): void {
  const s = i.size, a = rmwRead(c, i, s), b = getReg(c, i.reg, s);
  rmwWrite(c, i, s, b);
  setReg(c, i.reg, s, a);
}
function xchgA(c: Cpu, i: Instr): void {
  const r = i.opcode & 7, s = i.size, a = getReg(c, r, s);
  setReg(c, r, s, getReg(c, EAX, s));
  setReg(c, EAX, s, a);
}

function lea(c: Cpu, i: Instr): void {
  if (i.mod === 3) raise(c, Vec.UD);
  setReg(c, i.reg, i.size, ea(c, i));
}

// ---- The stack ----------------------------------------------------------------

function pushV(c: Cpu, i: Instr, v: number): void {
  if (i.o32) c.push32(v); else c.push16(v);
}
const pushZ = (c: Cpu, i: Instr) => pushV(c, i, getReg(c, i.opcode & 7, i.size));
const pushI = (c: Cpu, i: Instr) => pushV(c, i, i.imm);
const pushE = (c: Cpu, i: Instr) => pushV(c, i, getRm(c, i, i.size));

function popZ(c: Cpu, i: Instr): void {
  const v = i.o32 ? c.pop32() : c.pop16();
  setReg(c, i.opcode & 7, i.size, v);
}
function popE(c: Cpu, i: Instr): void {
  // The destination address is computed after ESP has moved (it may use ESP).
  const s = i.size, v = s === 4 ? c.peek32(0) : c.peek16(0);
  if (i.mod === 3) {
    c.addSP(s);
    setReg(c, i.rm, s, v);
    return;
  }
  const oldEsp = c.r32[ESP];
  c.addSP(s);
  try {
    wrMem(c, i.seg, ea(c, i), s, v);
  } catch (e) {
    c.r32[ESP] = oldEsp;
    throw e;
  }
}

function pusha(c: Cpu, i: Instr): void {
  const s = i.size, sp = c.getSP();
  for (let r = 0; r < 8; r++) {
    const off = c.stack32 ? (sp - (r + 1) * s) | 0 : (sp - (r + 1) * s) & 0xffff;
    wrMem(c, SS, off, s, getReg(c, r, s));
  }
  c.addSP(-8 * s);
}
function popa(c: Cpu, i: Instr): void {
  const s = i.size, vals = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let k = 0; k < 8; k++) vals[7 - k] = s === 4 ? c.peek32(k * 4) : c.peek16(k * 2);
  for (let r = 0; r < 8; r++) if (r !== ESP) setReg(c, r, s, vals[r]);
  c.addSP(8 * s);
}

function enter(c: Cpu, i: Instr): void {
  const size = i.imm & 0xffff, level = i.imm2 & 0x1f, s = i.size;
  const oldEsp = c.r32[ESP], oldEbp = c.r32[EBP];
  try {
    pushV(c, i, getReg(c, EBP, s));
    const frame = c.getSP();
    if (level > 0) {
      for (let k = 1; k < level; k++) {
        const bp = c.stack32 ? (c.r32[EBP] - k * s) | 0 : (c.r16[EBP << 1] - k * s) & 0xffff;
        pushV(c, i, s === 4 ? c.rd32(SS, bp) : c.rd16(SS, bp));
      }
      pushV(c, i, frame);
    }
    // The new frame's space must be writable: touch its lowest byte.
    const newSp = c.stack32 ? (c.getSP() - size) | 0 : (c.getSP() - size) & 0xffff;
    if (size > 0) c.probeWrite(SS, newSp, 1);
    setReg(c, EBP, s, frame);
    c.addSP(-size);
  } catch (e) {
    c.r32[ESP] = oldEsp;
    c.r32[EBP] = oldEbp;
    throw e;
  }
}
function leave(c: Cpu, i: Instr): void {
  const s = i.size;
  const bp = c.stack32 ? c.r32[EBP] : c.r16[EBP << 1];
  const v = s === 4 ? c.rd32(SS, bp) : c.rd16(SS, bp);
  if (c.stack32) c.r32[ESP] = (bp + s) | 0;
  else c.r16[ESP << 1] = bp + s;
  setReg(c, EBP, s, v);
}

function xlat(c: Cpu, i: Instr): void {
  const off = i.a32 ? (c.r32[EBX] + c.getR8(0)) | 0 : (c.r16[EBX << 1] + c.getR8(0)) & 0xffff;
  c.setR8(0, c.rd8(i.segPrefix >= 0 ? i.segPrefix : DS, off));
}

// ---- Conditional moves and sets ------------------------------------------------

function cmov(c: Cpu, i: Instr): void {
  // The source is read (and may fault) whether or not the condition holds.
  const v = getRm(c, i, i.size);
  if (condition(c, i.opcode & 0xf)) setReg(c, i.reg, i.size, v);
}
const setcc = (c: Cpu, i: Instr) => setRm(c, i, 1, condition(c, i.opcode & 0xf) ? 1 : 0);

function lahf(c: Cpu): void {
  c.setR8(4, (getFlags(c) & (SF | ZF | AF | PF | CF)) | 2);
}
function sahf(c: Cpu): void {
  materialize(c);
  const mask = SF | ZF | AF | PF | CF;
  c.flagsRaw = (c.flagsRaw & ~mask) | (c.getR8(4) & mask);
}

// ---- Segment registers ------------------------------------------------------------

function movES(c: Cpu, i: Instr): void {
  if (i.reg > 5) raise(c, Vec.UD);
  const sel = c.segSel[i.reg];
  // To a register with a 32-bit operand the selector is zero-extended; to memory it is always 16 bits.
  if (i.mod === 3) setReg(c, i.rm, i.size, sel);
  else c.wr16(i.seg, ea(c, i), sel);
}
function movSE(c: Cpu, i: Instr): void {
  if (i.reg > 5 || i.reg === CS) raise(c, Vec.UD);
  loadSegment(c, i.reg, getRm(c, i, 2));
  if (i.reg === SS) c.interruptShadow = true;
}
function pushS(c: Cpu, i: Instr): void {
  pushV(c, i, c.segSel[segOfPushPop(i.opcode)]);
}
function popS(c: Cpu, i: Instr): void {
  const seg = segOfPushPop(i.opcode);
  const sel = i.o32 ? c.peek32(0) & 0xffff : c.peek16(0);
  // The pop moves the stack pointer by the size of the stack it read: POP SS must not use the new SS's B bit.
  const stack32 = c.stack32;
  loadSegment(c, seg, sel);
  c.addSPSized(i.size, stack32);
  if (seg === SS) c.interruptShadow = true;
}
const FAR_LOAD_SEG: Record<number, number> = { 0xc4: 0, 0xc5: 3, 0x1b2: 2, 0x1b4: 4, 0x1b5: 5 };
function loadFarPointer(c: Cpu, i: Instr): void {
  if (i.mod === 3) raise(c, Vec.UD);
  const a = ea(c, i), s = i.size;
  const off = s === 4 ? c.rd32(i.seg, a) : c.rd16(i.seg, a);
  const sel = c.rd16(i.seg, i.a32 ? (a + s) | 0 : (a + s) & 0xffff);
  const seg = FAR_LOAD_SEG[i.opcode];
  if (seg === SS) loadStackSegment(c, sel);
  else loadSegment(c, seg, sel);
  setReg(c, i.reg, s, off);
}

def('88', 'mov Eb,Gb', movEG);
def('89', 'mov Ev,Gv', movEG32, movEG);
def('8A', 'mov Gb,Eb', movGE);
def('8B', 'mov Gv,Ev', movGE32, movGE);
def('8C', 'mov Ev,Sw', movES);
def('8E', 'mov Sw,Ew', movSE, movSE, Op.ENDS_BLOCK);
def('A0', 'mov AL,Ob', movAO);
def('A1', 'mov eAX,Ov', movAO);
def('A2', 'mov Ob,AL', movOA);
def('A3', 'mov Ov,eAX', movOA);
def('B0+', 'mov Zb,Ib', movZI);
def('B8+', 'mov Zv,Iv', movZI);
def('C6/0', 'mov Eb,Ib', movEI);
def('C7/0', 'mov Ev,Iz', movEI);
def('0F B6', 'movzx Gv,Eb', movzxB);
def('0F B7', 'movzx Gv,Ew', movzxW);
def('0F BE', 'movsx Gv,Eb', movsxB);
def('0F BF', 'movsx Gv,Ew', movsxW);
def('86', 'xchg Eb,Gb', xchgEG, xchgEG, Op.LOCKABLE);
def('87', 'xchg Ev,Gv', xchgEG, xchgEG, Op.LOCKABLE);
for (let r = 1; r < 8; r++) def((0x90 + r).toString(16).toUpperCase(), 'xchg Zv,eAX', xchgA);
def('8D', 'lea Gv,M', lea);
def('50+', 'push Zv', pushZ);
def('58+', 'pop Zv', popZ);
def('68', 'push Iz', pushI);
def('6A', 'push Ibs', pushI);
def('FF/6', 'push Ev', pushE);
def('8F/0', 'pop Ev', popE);
def('60', 'pusha|pushad', pusha);
def('61', 'popa|popad', popa);
def('C8', 'enter Iw,Ib', enter);
def('C9', 'leave', leave);
def('D7', 'xlat', xlat);
for (let cc = 0; cc < 16; cc++) {
  const h = cc.toString(16).toUpperCase();
  def(`0F 4${h}`, `cmov${CC_NAMES[cc]} Gv,Ev`, cmov);
  def(`0F 9${h}`, `set${CC_NAMES[cc]} Eb`, setcc);
}
def('9E', 'sahf', sahf);
def('9F', 'lahf', lahf);
def('06', 'push ES', pushS);
def('07', 'pop ES', popS);
def('0E', 'push CS', pushS);
def('16', 'push SS', pushS);
def('17', 'pop SS', popS, popS, Op.ENDS_BLOCK);
def('1E', 'push DS', pushS);
def('1F', 'pop DS', popS);
def('0F A0', 'push FS', pushS);
def('0F A1', 'pop FS', popS);
def('0F A8', 'push GS', pushS);
def('0F A9', 'pop GS', popS);
def('C4', 'les Gv,Mp', loadFarPointer);
def('C5', 'lds Gv,Mp', loadFarPointer);
def('0F B2', 'lss Gv,Mp', loadFarPointer, loadFarPointer, Op.ENDS_BLOCK);
def('0F B4', 'lfs Gv,Mp', loadFarPointer);
def('0F B5', 'lgs Gv,Mp', loadFarPointer);
