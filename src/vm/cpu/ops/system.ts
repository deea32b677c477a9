/**
 * System instructions: the flags (CLI STI CLD STD CLC STC CMC PUSHF POPF),
 * descriptor tables (LGDT LIDT SGDT SIDT LLDT SLDT LTR STR), control and
 * debug registers, LAR LSL VERR VERW ARPL, CLTS LMSW SMSW INVLPG WBINVD,
 * CPUID RDTSC RDMSR WRMSR, HLT, NOP/PAUSE and UD2. The x87 escapes and WAIT
 * are x87.ts's.
 *
 * Everything privileged raises #GP(0) at CPL > 0.
 */
import type { Cpu } from '../state';
import { EAX, ECX, EDX, EBX, ESP, CS, SS, CR0_PE, CR0_PG, CR0_WP, CR0_ET, CR0_TS, CR4_PSE, CR4_PGE, CR4_TSD, CR4_DE, ATTR_P, ATTR_S } from '../state';
import { ea, Op, type Instr } from '../instr';
import { cpuidLeaf } from '../cpuid';
import { def } from '../optable';
import { raise, Vec } from '../fault';
import { getFlags, materialize, ZF, IF, VM, RF, CF, DF, VIF, VIP } from '../flags';
import { setReg, getRm, setRm } from './operands';
import { writableFlags, setFlagsMasked } from '../interrupts';
import { readDescriptor, desc, descAttr, descBase, descLimit, attrDpl, isCodeAttr, isConforming } from '../segments';

function requireCpl0(c: Cpu): void {
  if (c.cpl !== 0) raise(c, Vec.GP, 0);
}
function iopl(c: Cpu): number {
  return (c.flagsRaw >> 12) & 3;
}

// ---- Flags ----------------------------------------------------------------------

function cli(c: Cpu): void {
  if (c.cpl > iopl(c)) raise(c, Vec.GP, 0);
  c.flagsRaw &= ~IF;
}
function sti(c: Cpu): void {
  if (c.cpl > iopl(c)) raise(c, Vec.GP, 0);
  // Interrupts stay off for one more instruction, so "sti; hlt" cannot miss a wake-up.
  if ((c.flagsRaw & IF) === 0) c.interruptShadow = true;
  c.flagsRaw |= IF;
}
function flagOp(c: Cpu, i: Instr): void {
  materialize(c);
  switch (i.opcode) {
    case 0xf5: c.flagsRaw ^= CF; break;
    case 0xf8: c.flagsRaw &= ~CF; break;
    case 0xf9: c.flagsRaw |= CF; break;
    case 0xfc: c.flagsRaw &= ~DF; break;
    case 0xfd: c.flagsRaw |= DF; break;
  }
}
function pushf(c: Cpu, i: Instr): void {
  const f = getFlags(c) & ~(VM | RF);
  if (i.o32) c.push32(f); else c.push16(f);
}
function popf(c: Cpu, i: Instr): void {
  const v = i.o32 ? c.peek32(0) : c.peek16(0);
  // Unlike IRET, POPF never changes VIF and VIP (nor VM), even at CPL 0; RF is cleared.
  let m = writableFlags(c, c.cpl) & ~(RF | VIF | VIP);
  if (!i.o32) m &= 0xffff;
  c.addSP(i.size);
  setFlagsMasked(c, v, m);
  c.flagsRaw &= ~RF;
}

// ---- Descriptor tables ------------------------------------------------------------

function lgdtLidt(c: Cpu, i: Instr): void {
  // An invalid encoding is #UD before any privilege check (the manual's exception priorities).
  if (i.mod === 3) raise(c, Vec.UD);
  requireCpl0(c);
  const a = ea(c, i);
  const limit = c.rd16(i.seg, a);
  let base = c.rd32(i.seg, i.a32 ? (a + 2) | 0 : (a + 2) & 0xffff);
  if (!i.o32) base &= 0xffffff;
  const t = i.reg === 2 ? c.gdtr : c.idtr;
  t.base = base;
  t.limit = limit;
}
function sgdtSidt(c: Cpu, i: Instr): void {
  if (i.mod === 3) raise(c, Vec.UD);
  const a = ea(c, i), t = i.reg === 0 ? c.gdtr : c.idtr;
  c.probeWrite(i.seg, a, 6);
  c.wr16(i.seg, a, t.limit);
  c.wr32(i.seg, i.a32 ? (a + 2) | 0 : (a + 2) & 0xffff, i.o32 ? t.base : t.base & 0xffffff);
}
function sldt(c: Cpu, i: Instr): void {
  if (i.mod === 3) setReg(c, i.rm, i.size, c.ldtr.sel);
  else c.wr16(i.seg, ea(c, i), c.ldtr.sel);
}
function str(c: Cpu, i: Instr): void {
  if (i.mod === 3) setReg(c, i.rm, i.size, c.tr.sel);
  else c.wr16(i.seg, ea(c, i), c.tr.sel);
}
function lldt(c: Cpu, i: Instr): void {
  requireCpl0(c);
  const sel = getRm(c, i, 2);
  if ((sel & 0xfffc) === 0) {
    c.ldtr = { sel, base: 0, limit: 0, attr: 0 };
    return;
  }
  if ((sel & 4) !== 0) raise(c, Vec.GP, sel & 0xfffc);
  readDescriptor(c, sel);
  const attr = descAttr(desc.hi);
  if ((attr & 0x1f) !== 2) raise(c, Vec.GP, sel & 0xfffc);
  if ((attr & ATTR_P) === 0) raise(c, Vec.NP, sel & 0xfffc);
  c.ldtr = { sel, base: descBase(desc.lo, desc.hi), limit: descLimit(desc.lo, desc.hi), attr };
}
function ltr(c: Cpu, i: Instr): void {
  requireCpl0(c);
  const sel = getRm(c, i, 2);
  if ((sel & 0xfffc) === 0) raise(c, Vec.GP, 0);
  if ((sel & 4) !== 0) raise(c, Vec.GP, sel & 0xfffc);
  readDescriptor(c, sel);
  const attr = descAttr(desc.hi);
  const type = attr & 0x1f;
  if (type !== 1 && type !== 9) raise(c, Vec.GP, sel & 0xfffc);
  if ((attr & ATTR_P) === 0) raise(c, Vec.NP, sel & 0xfffc);
  // Loading TR marks the TSS busy in the GDT.
  c.wrSys8((desc.addr + 5) | 0, ((desc.hi >>> 8) | 2) & 0xff);
  c.tr = { sel, base: descBase(desc.lo, desc.hi), limit: descLimit(desc.lo, desc.hi), attr: attr | 2 };
}

// ---- LAR, LSL, VERR, VERW, ARPL --------------------------------------------------

/** Read the descriptor for LAR/LSL/VERR/VERW without faulting: its attributes, or -1 if it is not visible at this privilege. */
function visibleDescriptor(c: Cpu, sel: number, systemTypes: number[]): number {
  if ((sel & 0xfffc) === 0) return -1;
  const table = (sel & 4) !== 0 ? c.ldtr : c.gdtr;
  if ((sel & 4) !== 0 && (c.ldtr.attr & ATTR_P) === 0) return -1;
  if ((sel & 0xfff8) + 7 > table.limit) return -1;
  readDescriptor(c, sel);
  const attr = descAttr(desc.hi);
  if ((attr & ATTR_S) === 0) {
    if (!systemTypes.includes(attr & 0xf)) return -1;
  }
  if (!((attr & ATTR_S) !== 0 && isConforming(attr))) {
    const dpl = attrDpl(attr);
    if (dpl < c.cpl || dpl < (sel & 3)) return -1;
  }
  return attr;
}
function setZF(c: Cpu, on: boolean): void {
  materialize(c);
  c.flagsRaw = on ? c.flagsRaw | ZF : c.flagsRaw & ~ZF;
}
function lar(c: Cpu, i: Instr): void {
  const sel = getRm(c, i, 2);
  const attr = visibleDescriptor(c, sel, [1, 2, 3, 4, 5, 9, 0xb, 0xc]);
  if (attr < 0) { setZF(c, false); return; }
  // Bits 19:16 (the limit's top) are undefined in the result; they read as zero, as on QEMU.
  setReg(c, i.reg, i.size, desc.hi & (i.o32 ? 0x00f0ff00 : 0xff00));
  setZF(c, true);
}
function lsl(c: Cpu, i: Instr): void {
  const sel = getRm(c, i, 2);
  const attr = visibleDescriptor(c, sel, [1, 2, 3, 9, 0xb]);
  if (attr < 0) { setZF(c, false); return; }
  setReg(c, i.reg, i.size, descLimit(desc.lo, desc.hi));
  setZF(c, true);
}
function verrVerw(c: Cpu, i: Instr): void {
  const sel = getRm(c, i, 2);
  const attr = visibleDescriptor(c, sel, []);
  if (attr < 0 || (attr & ATTR_S) === 0) { setZF(c, false); return; }
  const write = i.reg === 5;
  const ok = write ? !isCodeAttr(attr) && (attr & 2) !== 0 : !isCodeAttr(attr) || (attr & 2) !== 0;
  setZF(c, ok);
}
function arpl(c: Cpu, i: Instr): void {
  const dst = getRm(c, i, 2), src = c.r16[i.reg << 1];
  if ((dst & 3) < (src & 3)) {
    setRm(c, i, 2, (dst & ~3) | (src & 3));
    setZF(c, true);
  } else {
    setZF(c, false);
  }
}

// ---- Control and debug registers -----------------------------------------------------

const CR4_PCE = 0x100;
const DR7_GD = 0x2000, DR6_BD = 0x2000;
const CR4_SUPPORTED = CR4_TSD | CR4_DE | CR4_PSE | 0x40 /* MCE */ | CR4_PGE | CR4_PCE | 0x200 /* OSFXSR */ | 0x400 /* OSXMMEXCPT */;

function movFromCr(c: Cpu, i: Instr): void {
  requireCpl0(c);
  let v: number;
  switch (i.reg) {
    case 0: v = c.cr0; break;
    case 2: v = c.cr2; break;
    case 3: v = c.cr3; break;
    case 4: v = c.cr4; break;
    default: raise(c, Vec.UD);
  }
  c.r32[i.rm] = v;
}
function movToCr(c: Cpu, i: Instr): void {
  requireCpl0(c);
  const v = c.r32[i.rm];
  switch (i.reg) {
    case 0: writeCr0(c, v); break;
    case 2: c.cr2 = v; break;
    case 3:
      c.cr3 = v;
      c.flushTlb((c.cr4 & CR4_PGE) !== 0);
      break;
    case 4:
      if ((v & ~CR4_SUPPORTED) !== 0) raise(c, Vec.GP, 0);
      if (((v ^ c.cr4) & (CR4_PSE | CR4_PGE)) !== 0) c.flushTlb(false);
      const de = ((v ^ c.cr4) & CR4_DE) !== 0;
      c.cr4 = v;
      if (de) c.updateDebug(); // I/O breakpoints exist only with DE
      break;
    default: raise(c, Vec.UD);
  }
}
const CR0_NW = 0x20000000, CR0_CD = 0x40000000;
export function writeCr0(c: Cpu, v: number): void {
  if ((v & CR0_PG) !== 0 && (v & CR0_PE) === 0) raise(c, Vec.GP, 0);
  // Not write-through (NW) with caching enabled (CD clear) is an invalid combination.
  if ((v & (CR0_CD | CR0_NW)) === CR0_NW) raise(c, Vec.GP, 0);
  if ((v & CR0_PE) === 0) {
    c.shutdownReason = 'the guest left protected mode (CR0.PE cleared): real mode is not emulated';
    c.halted = true;
    c.exitBlock = true;
    return;
  }
  v = (v | CR0_ET) & 0xe005003f;
  if (((v ^ c.cr0) & (CR0_PG | CR0_WP | CR0_PE)) !== 0) c.flushTlb(false);
  c.cr0 = v | 0;
}
function movFromDr(c: Cpu, i: Instr): void {
  requireCpl0(c);
  const r = debugRegister(c, i.reg);
  generalDetect(c);
  c.r32[i.rm] = c.dr[r];
}
function movToDr(c: Cpu, i: Instr): void {
  requireCpl0(c);
  const r = debugRegister(c, i.reg);
  generalDetect(c);
  let v = c.r32[i.rm];
  if (r === 6) v = (v & 0xe00f) | 0xffff0ff0;
  if (r === 7) v = (v & 0xffff2bff) | 0x400;
  c.dr[r] = v;
  if (r !== 6) c.updateDebug();
}
/**
 * DR7.GD (SDM Vol. 3 §17.2.4): a MOV to or from any debug register is a fault-class #DB with DR6.BD
 * set, and GD is cleared for the handler. After the CPL's #GP and DR4/DR5's #UD: the instruction
 * must first be one that would access a debug register.
 */
function generalDetect(c: Cpu): void {
  if ((c.dr[7] & DR7_GD) === 0) return;
  c.dr[6] = (c.dr[6] & ~0xf) | DR6_BD;
  c.dr[7] &= ~DR7_GD;
  raise(c, Vec.DB, 0, true);
}
/** DR4 and DR5 are aliases of DR6 and DR7 unless CR4.DE makes them #UD. */
function debugRegister(c: Cpu, r: number): number {
  if (r === 4 || r === 5) {
    if ((c.cr4 & CR4_DE) !== 0) raise(c, Vec.UD);
    return r + 2;
  }
  return r;
}
function clts(c: Cpu): void {
  requireCpl0(c);
  c.cr0 &= ~CR0_TS;
}
function smsw(c: Cpu, i: Instr): void {
  if (i.mod === 3) setReg(c, i.rm, i.size, c.cr0);
  else c.wr16(i.seg, ea(c, i), c.cr0);
}
function lmsw(c: Cpu, i: Instr): void {
  requireCpl0(c);
  // LMSW can set PE but never clear it.
  const v = getRm(c, i, 2) & 0xf;
  writeCr0(c, (c.cr0 & ~0xe) | v | (c.cr0 & CR0_PE));
}
function invlpg(c: Cpu, i: Instr): void {
  if (i.mod === 3) raise(c, Vec.UD);
  requireCpl0(c);
  const off = ea(c, i);
  c.invlpg((c.segBase[i.seg] + off) | 0);
}
const wbinvd = (c: Cpu) => requireCpl0(c);

// ---- Identification, time and model-specific registers --------------------------

/** CPUID: the values of cpuid.ts's table. */
function cpuid(c: Cpu): void {
  const v = cpuidLeaf(c.r32[EAX]);
  c.r32[EAX] = v.eax; c.r32[EBX] = v.ebx; c.r32[ECX] = v.ecx; c.r32[EDX] = v.edx;
}
function rdtsc(c: Cpu): void {
  if ((c.cr4 & CR4_TSD) !== 0 && c.cpl !== 0) raise(c, Vec.GP, 0);
  const t = c.instructions + c.tscOffset;
  c.r32[EAX] = t % 0x100000000;
  c.r32[EDX] = Math.floor(t / 0x100000000);
}
const MSR_TSC = 0x10, MSR_APIC_BASE = 0x1b, MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176;
/**
 * IA32_APIC_BASE (SDM Vol. 3 §10.4.4, Figure 10-5): every P6 has it. This machine has no local APIC device,
 * so its APIC is globally disabled: EN (bit 11) reads 0 and, as on the P6, stays 0 until a reset (§10.4.3:
 * a P6's APIC disabled this way cannot be enabled again by software). BSP (bit 8) reads 1 and ignores writes;
 * the base (bits 31-12, the physical address width being 32) is kept; a write to a reserved bit is #GP(0).
 */
const APIC_BSP = 0x100, APIC_BASE_MASK = 0xfffff000 | 0, APIC_WRITABLE = APIC_BASE_MASK | 0x800 | APIC_BSP;
function rdmsr(c: Cpu): void {
  requireCpl0(c);
  let lo = 0, hi = 0;
  switch (c.r32[ECX]) {
    case MSR_TSC: { const t = c.instructions + c.tscOffset; lo = t % 0x100000000; hi = Math.floor(t / 0x100000000); break; }
    case MSR_APIC_BASE: lo = (c.msrApicBase & APIC_BASE_MASK) | APIC_BSP; break;
    case MSR_SYSENTER_CS: lo = c.msrSysenterCs; break;
    case MSR_SYSENTER_ESP: lo = c.msrSysenterEsp; break;
    case MSR_SYSENTER_EIP: lo = c.msrSysenterEip; break;
    default: raise(c, Vec.GP, 0);
  }
  c.r32[EAX] = lo; c.r32[EDX] = hi;
}
function wrmsr(c: Cpu): void {
  requireCpl0(c);
  const lo = c.r32[EAX], hi = c.r32[EDX];
  switch (c.r32[ECX]) {
    case MSR_TSC: c.tscOffset = (hi >>> 0) * 0x100000000 + (lo >>> 0) - c.instructions; break;
    case MSR_APIC_BASE:
      if (hi !== 0 || (lo & ~APIC_WRITABLE) !== 0) raise(c, Vec.GP, 0);
      c.msrApicBase = lo & APIC_BASE_MASK;
      break;
    case MSR_SYSENTER_CS: c.msrSysenterCs = lo & 0xffff; break;
    case MSR_SYSENTER_ESP: c.msrSysenterEsp = lo; break;
    case MSR_SYSENTER_EIP: c.msrSysenterEip = lo; break;
    default: raise(c, Vec.GP, 0);
  }
}

/** RDPMC: the P6's two performance counters exist but count nothing (no event is ever selected). */
function rdpmc(c: Cpu): void {
  if (c.cpl !== 0 && (c.cr4 & CR4_PCE) === 0) raise(c, Vec.GP, 0);
  if ((c.r32[ECX] >>> 0) > 1) raise(c, Vec.GP, 0);
  c.r32[EAX] = 0; c.r32[EDX] = 0;
}

// ---- SYSENTER and SYSEXIT ---------------------------------------------------------

/**
 * The fast system call: flat segments derived from SYSENTER_CS (code,
 * then stack at +8, user code at +16 and user stack at +24), no descriptor
 * tables read, as the manual describes.
 */
function sysenter(c: Cpu): void {
  const cs = c.msrSysenterCs & 0xfffc;
  if (cs === 0) raise(c, Vec.GP, 0);
  materialize(c);
  c.flagsRaw &= ~(VM | IF | RF);
  c.setCpl(0);
  c.setSegmentCache(CS, cs, 0, 0xffffffff, 0xc09b);
  c.setSegmentCache(SS, (cs + 8) & 0xfffc, 0, 0xffffffff, 0xc093);
  c.r32[ESP] = c.msrSysenterEsp;
  c.eipNext = c.msrSysenterEip;
}
function sysexit(c: Cpu): void {
  const cs = c.msrSysenterCs & 0xfffc;
  if (cs === 0 || c.cpl !== 0) raise(c, Vec.GP, 0);
  c.setCpl(3);
  c.setSegmentCache(CS, ((cs + 16) & 0xfffc) | 3, 0, 0xffffffff, 0xc0fb);
  c.setSegmentCache(SS, ((cs + 24) & 0xfffc) | 3, 0, 0xffffffff, 0xc0f3);
  c.r32[ESP] = c.r32[ECX];
  c.eipNext = c.r32[EDX];
}

function hlt(c: Cpu): void {
  requireCpl0(c);
  c.halted = true;
  c.exitBlock = true;
}

const nop = () => {};
const E = Op.ENDS_BLOCK;
def('FA', 'cli', cli);
def('FB', 'sti', sti, sti, E);
def('F5', 'cmc', flagOp);
def('F8', 'clc', flagOp);
def('F9', 'stc', flagOp);
def('FC', 'cld', flagOp);
def('FD', 'std', flagOp);
def('9C', 'pushf|pushfd', pushf);
def('9D', 'popf|popfd', popf, popf, E);
def('0F 01/0', 'sgdt Ms', sgdtSidt);
def('0F 01/1', 'sidt Ms', sgdtSidt);
// The tables are read only by a segment load or an interrupt's delivery, never by the code that
// follows: LGDT and LIDT need not end a block (the Switcher runs each twice a trip).
def('0F 01/2', 'lgdt Ms', lgdtLidt);
def('0F 01/3', 'lidt Ms', lgdtLidt);
def('0F 01/4', 'smsw Ew', smsw);
def('0F 01/6', 'lmsw Ew', lmsw, lmsw, E);
def('0F 01/7', 'invlpg M', invlpg, invlpg, E);
def('0F 00/0', 'sldt Ew', sldt);
def('0F 00/1', 'str Ew', str);
def('0F 00/2', 'lldt Ew', lldt);
def('0F 00/3', 'ltr Ew', ltr);
def('0F 00/4', 'verr Ew', verrVerw);
def('0F 00/5', 'verw Ew', verrVerw);
def('0F 02', 'lar Gv,Ew', lar);
def('0F 03', 'lsl Gv,Ew', lsl);
def('63', 'arpl Ew,Gw', arpl);
def('0F 20', 'mov Rd,Cd', movFromCr);
def('0F 22', 'mov Cd,Rd', movToCr, movToCr, E);
def('0F 21', 'mov Rd,Dd', movFromDr);
def('0F 23', 'mov Dd,Rd', movToDr, movToDr, E);
def('0F 06', 'clts', clts);
def('0F 08', 'invd', wbinvd);
def('0F 09', 'wbinvd', wbinvd);
def('0F A2', 'cpuid', cpuid);
// The run loop counts a block's instructions up front: ending the block at
// RDTSC/RDMSR/WRMSR makes the instruction count (the TSC) exact when they run.
def('0F 31', 'rdtsc', rdtsc, rdtsc, E);
def('0F 32', 'rdmsr', rdmsr, rdmsr, E);
def('0F 30', 'wrmsr', wrmsr, wrmsr, E);
def('0F 33', 'rdpmc', rdpmc);
def('F4', 'hlt', hlt, hlt, E | Op.BRANCH);
def('90', 'nop', nop);
def('0F 1F/0', 'nop Ev', nop);
def('0F 0B', 'ud2', (c) => raise(c, Vec.UD));
// UD1 and UD0 are undefined on purpose too, but take a ModRM operand (which matters to a handler that skips them).
def('0F B9', 'ud1 Gv,Ev', (c) => raise(c, Vec.UD));
def('0F FF', 'ud0 Gv,Ev', (c) => raise(c, Vec.UD));
// RSM is only valid in system management mode, which this CPU never enters.
def('0F AA', 'rsm', (c) => raise(c, Vec.UD));
// The hint and reserved-NOP space: prefetches (no cache to warm) and multi-byte NOPs do nothing.
['prefetchnta', 'prefetcht0', 'prefetcht1', 'prefetcht2'].forEach((name, r) => def(`0F 18/${r}`, `${name} Mb`, nop));
for (let r = 4; r < 8; r++) def(`0F 18/${r}`, 'nop Ev', nop);
for (let r = 0; r < 4; r++) def(`0F 18/${r}r`, 'nop Ev', nop);
for (let op = 0x19; op <= 0x1f; op++) {
  for (let r = 0; r < 8; r++) if (!(op === 0x1f && r === 0)) def(`0F ${op.toString(16).toUpperCase()}/${r}`, 'nop Ev', nop);
}
def('0F 34', 'sysenter', sysenter, sysenter, Op.BRANCH | Op.ENDS_BLOCK);
def('0F 35', 'sysexit', sysexit, sysexit, Op.BRANCH | Op.ENDS_BLOCK);

