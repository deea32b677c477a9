/**
 * The x87 in lockstep (lockstep.ts): after every step our x87 and QEMU's
 * must agree on the control word, the status word (TOP included) and the
 * eight data registers, compared physically (R0..R7, as QEMU 7.2's gdb
 * stub sends them), empty ones included: both keep an emptied register's
 * last value, so their contents stay comparable. The stub sends 0 for the
 * tag word, FIP, FCS, FOP, FDP and FDS, so those are compared through the
 * memory images FNSTENV and FNSAVE store (the random x87 kernels store
 * them often): every x87 store to memory is compared byte for byte with
 * QEMU's memory as soon as it is made.
 *
 * Where QEMU 7.2 departs from the manual (X87_DEPARTURES, listed in
 * EXCLUSIONS.md), the comparison masks exactly what the departure touches
 * for that instruction, and then copies QEMU's values into ours, so the
 * two go on alike: a later instruction that reads them runs the same way
 * in both. Condition codes the manual leaves undefined (x87rules.ts) are
 * treated the same way, as undefinedFlags.ts does for EFLAGS.
 */
import type { Machine } from '../../src/vm/machine';
import { type Instr, ea } from '../../src/vm/cpu/instr';
import { peekTranslate } from '../../src/vm/cpu/paging';
import { materialize, CF, PF, AF, ZF, SF, OF } from '../../src/vm/cpu/flags';
import type { FpuState } from '../../src/vm/cpu/fpu/state';
import { encodeF80, decodeF80, isNaN80, type F80 } from '../../src/vm/cpu/fpu/float80';
import type { QemuGdb, QemuRegs } from './rsp';
import { x87Rule, isX87, type X87Rule, C0, C1, C2, C3, CC_ALL } from './x87rules';

const IE = 0x01, DE = 0x02, UE = 0x10, PE = 0x20, EXC = 0x3f, SW_SF = 0x40, ES_B = 0x8080, TOP = 0x3800;

/** Our x87 as QEMU's stub shows it. */
export interface X87View { fcw: number; fsw: number; fpr: string; empty: number }

export function oursX87(f: FpuState): X87View {
  const b = new Uint8Array(80);
  let empty = 0;
  for (let p = 0; p < 8; p++) {
    encodeF80(f.physical(p), b, p * 10);
    if (f.physicalTag(p) === 3) empty |= 1 << p;
  }
  return { fcw: f.controlWord, fsw: f.statusWord, fpr: Buffer.from(b).toString('hex'), empty };
}

/** R(p) of a view, as "sign exponent:significand" (hex). */
function regText(fpr: string, p: number): string {
  const x = decodeF80(Uint8Array.from(Buffer.from(fpr.slice(p * 20, p * 20 + 20), 'hex')));
  return `${x.sign ? '-' : '+'}${x.exp.toString(16).padStart(4, '0')}:${x.sig.toString(16).padStart(16, '0')}`;
}
function regOf(fpr: string, p: number): F80 {
  return decodeF80(Uint8Array.from(Buffer.from(fpr.slice(p * 20, p * 20 + 20), 'hex')));
}
const h4 = (v: number) => v.toString(16).padStart(4, '0');

export function describeX87(v: { fcw: number; fsw: number; fpr: string; empty?: number }): string {
  const top = (v.fsw >> 11) & 7;
  const regs = Array.from({ length: 8 }, (_, p) => `R${p}${p === top ? '*' : ''}${v.empty !== undefined && (v.empty >> p) & 1 ? '(e)' : ''}=${regText(v.fpr, p)}`);
  return `fcw=${h4(v.fcw)} fsw=${h4(v.fsw)} ${regs.join(' ')}`;
}

/**
 * QEMU 7.2's departures from the manual in the x87, each with the manual's rule and how the
 * comparison deals with it. EXCLUSIONS.md lists them (exclusions.ts prints this table).
 */
export const X87_DEPARTURES: { id: string; what: string; rule: string; how: string }[] = [
  { id: 'stack-fault', what: 'No stack overflow or underflow: QEMU reads an empty register\'s stale value and pushes over a full one, with no IE, SF or C1',
    rule: 'SDM Vol. 1 §8.5.1.1: IE and SF set, C1 = 1 on overflow and 0 on underflow; masked, the indefinite is the result; unmasked, nothing changes',
    how: 'generated (the stack depth is random); for an instruction that reads an empty register or pushes onto a full one (our tags before it), its whole x87 result (registers, status word, its memory store, and ZF PF CF of FCOMI) is masked and QEMU\'s copied into ours' },
  { id: 'c1-round', what: 'C1 is not the round-up bit, and not cleared where the manual clears it (FLD, FST, FCOM, FABS, FCHS, FXCH...): QEMU leaves it as it was',
    rule: 'SDM Vol. 1 Table 8-1 and each instruction\'s "FPU Flags Affected": C1 set if the result was rounded up, cleared otherwise',
    how: 'C1 masked for those instructions and QEMU\'s copied; compared where QEMU sets it (FXAM, FPREM, FPREM1, FINCSTP, FDECSTP, FNINIT, FLDENV, FRSTOR, FNSAVE)' },
  { id: 'denormal', what: 'DE only for FXTRACT: QEMU does not flag denormal operands elsewhere',
    rule: 'SDM Vol. 1 §4.9.1.2, §8.5.2: DE when an arithmetic instruction operates on a denormal (and, unmasked, the instruction is not executed)',
    how: 'DE masked (where ours set it and QEMU did not) and QEMU\'s copied; unmasked, handled as the next row' },
  { id: 'unmasked-write', what: 'After an unmasked exception QEMU writes the destination as if masked (and pops): no operand left unchanged, no exponent bias adjustment on overflow/underflow; and UE only for an inexact tiny result, as if masked',
    rule: 'SDM Vol. 1 §8.5.1-§8.5.5, §4.9.2: unmasked IE, DE, ZE leave the operands and TOP as they were; unmasked OE/UE store the result with its exponent adjusted by 24576 (registers) or store nothing (memory); unmasked, UE is flagged for any tiny result, exact or not (§4.9.1.5)',
    how: 'generated (FLDCW with unmasked exceptions, each followed by FNCLEX, FNINIT or FWAIT); at a step after which ours has a new pending unmasked IE/DE/ZE/OE/UE, the exception flags are compared (but PE, UE where QEMU has none, and OE/UE/PE after a pre-computation exception), the registers, TOP and the memory store are masked and QEMU\'s copied' },
  { id: 'mf-at-wait', what: '#MF only at WAIT/FWAIT, not at the next waiting x87 instruction',
    rule: 'SDM Vol. 1 §8.6, §8.7: a pending unmasked exception is taken at the next waiting x87 instruction or WAIT',
    how: 'avoided: after an instruction that may raise an unmasked exception the kernels run only FNSTSW, FNSTENV, FNSAVE, then FWAIT, FNCLEX or FNINIT' },
  { id: 'es-stale', what: 'ES and B are set when a flag is raised while unmasked and kept until FNCLEX, FNINIT, FLDENV or FRSTOR: FLDCW (and the other ways masks change) do not recompute them',
    rule: 'SDM Vol. 1 §8.1.3 (ES: set while any unmasked exception flag is set) and Vol. 2 FLDCW (a FLDCW that unmasks a set flag makes it pending)',
    how: 'avoided: the kernels clear the flags (FNCLEX) before a FLDCW that changes the masks; where ES and B still differ, they are masked (in the status word, FNSTSW\'s value and the images) until they agree again' },
  { id: 'fnstenv-mask', what: 'FNSTENV does not mask the exceptions after storing the environment',
    rule: 'SDM Vol. 2 FSTENV/FNSTENV: "then masks all floating-point exceptions"',
    how: 'the control word\'s mask bits are masked after FNSTENV and QEMU\'s copied into ours' },
  { id: 'ldenv-pointers', what: 'FLDENV and FRSTOR do not load FIP, FCS, FDP, FDS (and FOP) from the image: QEMU keeps its own',
    rule: 'SDM Vol. 2 FLDENV, FRSTOR: the whole environment is loaded',
    how: 'after FLDENV/FRSTOR our pointers are put back to what they were before it (QEMU\'s, which equal ours before the step)' },
  { id: 'fst-empty', what: 'FST/FSTP ST(i) into an empty register leaves it tagged empty',
    rule: 'SDM Vol. 2 FST/FSTP: ST(i) gets ST(0)\'s value; a register holding a value is not empty (Vol. 1 §8.1.7)',
    how: 'after FST/FSTP ST(i) into a register that was empty, ours is tagged empty again, as QEMU\'s (the images compare the tag word)' },
  { id: 'fnstsw-fip', what: 'FNSTSW AX sets FIP and FCS to itself',
    rule: 'SDM Vol. 1 §8.1.8: FSTSW/FNSTSW is a control instruction: the pointers stay as they were',
    how: 'after FNSTSW AX our FIP and FCS are set to it, as QEMU\'s' },
  { id: 'fdp-a16', what: 'With a 16-bit address, FDP holds the sum of the full 32-bit base and index registers and the displacement, not wrapped to 16 bits',
    rule: 'SDM Vol. 1 §8.1.8: the data pointer is the operand\'s offset (16 bits with a 16-bit address)',
    how: 'after an x87 instruction with a 16-bit memory operand our FDP is set to QEMU\'s sum' },
  { id: 'fop', what: 'FOP is stored as 0 by FNSTENV/FNSAVE',
    rule: 'SDM Vol. 1 §8.1.9: the last non-control instruction\'s opcode (11 bits) is stored',
    how: 'the FOP field of the 32-bit images is masked' },
  { id: 'reserved', what: 'The reserved upper halves of the 32-bit environment image\'s control, status, tag and FDS dwords are stored 0 (ours: 1s, as the P6)',
    rule: 'SDM Vol. 1 Figure 8-9: reserved',
    how: 'masked in the images' },
  { id: 'trig', what: 'FSIN, FCOS, FSINCOS, FPTAN in host doubles: the operand rounded to 53 bits, the result to 53 bits (ignoring PC), no exception flags at all (infinity is out of range, C2 = 1 with no IE; no IE for an SNaN, no PE, UE, DE), the range check on the double (2^63 passes)',
    rule: 'SDM Vol. 2 FSIN etc.: the 64-bit operand, |x| < 2^63 (else C2 = 1), IE for infinity and SNaN, PE/UE/DE as any arithmetic',
    how: 'for an operand that is a normal double below 2^62: TOP, C2 and tags compared, results compared to 2^-(p-2) relative (p = min(53, PC bits)), the exception flags and C1 masked and QEMU\'s copied; any other operand: the whole x87 result masked and QEMU\'s copied' },
  { id: 'pc', what: 'FBLD, FPREM, FPREM1 and FRNDINT round their result to the precision control (PC = 24 or 53 bits), with PE and UE',
    rule: 'SDM Vol. 1 §8.1.5.2: PC affects only FADD, FSUB(R), FMUL, FDIV(R) (and their P and I forms) and FSQRT; FBLD, the remainders and FRNDINT (an integer, rounded by RC) are exact',
    how: 'under PC other than 64 bits, their result, PE, UE and C1 are masked and QEMU\'s copied' },
  { id: 'm64-pc24', what: 'Under PC = 24 bits, an m64fp or m32int source is rounded to 24 bits (raising PE) before FLD, FCOM, FICOM or the arithmetic uses it: FLD m64 loads a rounded value, FCOM m64 flags PE, FADD m64 and FIADD m32 round twice (FILD is exact)',
    rule: 'SDM Vol. 1 §8.1.5.2, §4.2.2: converting the source is exact; PC rounds only the result of + - * / and sqrt',
    how: 'under PC = 24, the whole x87 result of an instruction with an m64fp or m32int source (not FILD) is masked and QEMU\'s copied' },
  { id: 'fprem1-quotient', what: 'FPREM1 clears C0, C3 and C1 instead of setting them to the quotient\'s three low bits',
    rule: 'SDM Vol. 2 FPREM1: C0, C3, C1 = Q2, Q1, Q0 of the (rounded) quotient',
    how: 'C0 C1 C3 masked after FPREM1 and QEMU\'s copied' },
  { id: 'fprem-partial', what: 'FPREM/FPREM1 partial remainders (exponent difference of 64 or more) reduce by another N than ours',
    rule: 'SDM Vol. 2 FPREM: N is "an implementation-dependent number between 32 and 63"; the quotient bits are then of no use',
    how: 'when C2 = 1 after it, the partial remainder, C0 C1 C3 and PE are masked and QEMU\'s copied (C2 and TOP compared)' },
  { id: 'snan-mem', what: 'An SNaN m32fp/m64fp operand is quieted (IE) as it is converted, before the operation: against a NaN in ST(0) the result follows the two-QNaN rule (larger significand)',
    rule: 'SDM Vol. 1 Table 4-7: SNaN and QNaN give the QNaN source; two SNaNs the larger significand, quieted',
    how: 'when ST(0) is a NaN and the m32/m64 source an SNaN, the result value is masked and QEMU\'s copied (IE compared)' },
  { id: 'pseudo-nan', what: 'FPATAN, FYL2X, FYL2XP1, F2XM1, FSCALE, FXTRACT, FPREM, FPREM1 take a pseudo-NaN operand for an SNaN: the result is it, quieted',
    rule: 'SDM Vol. 1 §8.2.2, Table 8-3: a pseudo-NaN is an unsupported format: IE, and the indefinite as the masked result',
    how: 'when an operand is a pseudo-NaN, the result value is masked and QEMU\'s copied (IE compared)' },
  { id: 'nan-order', what: 'FSCALE, FPATAN, FYL2X, FYL2XP1 pick one of two NaN operands by a fixed order (FSCALE: ST(1)\'s; the others: an SNaN first, then ST(0)\'s), quieted',
    rule: 'SDM Vol. 1 Table 4-7: of two NaNs, the QNaN if one is an SNaN, else the larger significand',
    how: 'when both operands are NaNs, the result value is masked and QEMU\'s copied' },
  { id: 'fcomi-flags', what: 'FCOMI, FCOMIP, FUCOMI, FUCOMIP leave OF, SF and AF as they were',
    rule: 'SDM Vol. 2 FCOMI/FCOMIP/FUCOMI/FUCOMIP: OF, SF and AF are set to 0',
    how: 'OF SF AF masked after them and QEMU\'s copied' },
];

/** Undefined by the manual, not a departure: masked, QEMU's copied. */
export const X87_UNDEFINED: [string, string][] = [
  ['Condition codes the manual leaves undefined after an instruction (C0 C2 C3 after arithmetic, all four after FLDCW, FNSTENV, FNSTSW, FNSTCW, FNCLEX, FFREE, FNOP...)', 'x87rules.ts, from each instruction\'s "FPU Flags Affected"'],
  ['FDP and FDS after a non-control instruction without a memory operand', 'SDM Vol. 1 §8.1.8: undefined (reserved) then: masked in the images'],
  ['FBLD of a BCD value with a digit above 9', 'SDM Vol. 2 FBLD: the result is undefined: the value loaded is masked'],
];

/** Instructions whose result QEMU 7.2 rounds to the precision control (PC) though the manual does not. */
const PC_ROUNDED = new Set(['fbld', 'fprem', 'fprem1', 'frndint']);

/** QEMU's own helpers (not softfloat's operations), which look for SNaNs before unsupported encodings. */
const OWN_NAN_ORDER = new Set(['fpatan', 'fyl2x', 'fyl2xp1', 'f2xm1', 'fscale', 'fxtract', 'fprem', 'fprem1']);
/** A pseudo-NaN: exponent all ones, J = 0, fraction not zero (unsupported since the 387, SDM Vol. 1 Table 8-3). */
function isPseudoNaN(x: F80): boolean {
  return x.exp === 0x7fff && (x.sig >> 63n) === 0n && x.sig !== 0n;
}

interface Before {
  ins: Instr;
  eip: number;
  rule: X87Rule | null;
  view: X87View;
  top: number;
  pending: boolean;
  /** The memory operand's linear address. */
  lin: number;
  pointers: { fip: number; fcs: number; fop: number; fdp: number; fds: number };
  st0: F80;
  st1: F80;
  fbldInvalid: boolean;
  /** QEMU's FDP for a 16-bit address: base + index + displacement, unwrapped. */
  fdp16: number;
  /** The memory operand (an m32fp or m64fp source) is an SNaN. */
  memSNaN: boolean;
}

export interface X87StepResult {
  /** Parts that differ (none: the step compared equal). */
  diff: string[];
  /** Lines for a report. */
  detail: string[];
}

/** Per-lockstep-run x87 checker: told about every step before and after it runs. */
export class X87Checker {
  private b: Before | null = null;
  /** FDP/FDS hold a defined value (the last non-control instruction had a memory operand, or FNINIT/FNSAVE cleared them). */
  private fdpDefined = true;
  /** ES/B differ (QEMU's stale): masked until they agree again. */
  private esStale = false;
  /** EFLAGS bits to leave out of this step's comparison (and take from QEMU). */
  eflagsMask = 0;
  /** How often each departure or undefined case was masked. */
  readonly masked = new Map<string, number>();
  /** x87 instructions (and WAITs) compared. */
  x87Steps = 0;

  constructor(private readonly qemu: QemuGdb) {}

  private lastDetailOf: () => string[] = () => [];
  /** The x87 before and after the last step, when it was an x87 instruction (for a report of another difference). */
  get lastDetail(): string[] { return this.lastDetailOf(); }

  private count(id: string): void {
    this.masked.set(id, (this.masked.get(id) ?? 0) + 1);
  }

  before(m: Machine, ins: Instr): void {
    const c = m.cpu, f = c.fpu;
    const rule = isX87(ins) ? x87Rule(ins) : null;
    const lin = rule?.mem ? (c.segBase[ins.seg] + ea(c, ins)) | 0 : 0;
    let fbldInvalid = false;
    if (rule?.name === 'fbld') {
      for (let k = 0; k < 9; k++) {
        const p = peekTranslate(c, (lin + k) | 0);
        const v = p < 0 ? 0 : c.mem.read8(p);
        if ((v & 0xf) > 9 || v >> 4 > 9) fbldInvalid = true;
      }
    }
    let memSNaN = false;
    if (rule?.mem && !rule.mem.store && (rule.mem.kind === 'f32' || rule.mem.kind === 'f64')) {
      const n = rule.mem.kind === 'f32' ? 4 : 8;
      let v = 0n;
      for (let k = n - 1; k >= 0; k--) {
        const p = peekTranslate(c, (lin + k) | 0);
        v = (v << 8n) | BigInt(p < 0 ? 0 : c.mem.read8(p));
      }
      const fracBits = n === 4 ? 23n : 52n, expMax = n === 4 ? 0xffn : 0x7ffn;
      const exp = (v >> fracBits) & expMax, frac = v & ((1n << fracBits) - 1n);
      memSNaN = exp === expMax && frac !== 0n && (frac >> (fracBits - 1n)) === 0n;
    }
    let fdp16 = 0;
    if (rule?.mem && !ins.a32) {
      const d = ins.mod === 1 ? (ins.disp << 24) >> 24 : ins.mod === 2 ? (ins.disp << 16) >> 16 : ins.disp & 0xffff;
      fdp16 = (d + (ins.base >= 0 ? c.r32[ins.base] : 0) + (ins.index >= 0 ? c.r32[ins.index] : 0)) >>> 0;
    }
    this.b = {
      memSNaN, fdp16, ins, eip: c.eip, rule, view: oursX87(f), top: f.top, pending: f.exceptionPending, lin,
      pointers: { fip: f.fip, fcs: f.fcs, fop: f.fop, fdp: f.fdp, fds: f.fds }, st0: f.st(0), st1: f.st(1), fbldInvalid,
    };
    this.eflagsMask = 0;
  }

  /** After the step (`faulted`: an exception or interrupt was delivered in it). */
  async after(m: Machine, q: QemuRegs, faulted: boolean): Promise<X87StepResult | null> {
    const b = this.b;
    if (b === null) throw new Error('X87Checker.after without before');
    this.b = null;
    const c = m.cpu, f = c.fpu;
    const rule = faulted ? null : b.rule;
    if (isX87(b.ins) || b.ins.opcode === 0x9b) this.x87Steps++;
    let fcwMask = 0, fswMask = 0, regMask = 0;
    let whole = false; // the whole x87 result masked (QEMU's copied, tags as QEMU's TOP says)
    let storeMasked = false;
    /** Physical registers QEMU leaves empty though ours (rightly) tagged them. */
    let qemuEmpties = 0;
    const tolerance: number[] = [];
    let tolBits = 0;

    if (rule !== null) {
      fswMask |= rule.undefinedCC;
      if (rule.c1RoundOrClear) fswMask |= C1;
      if (rule.name === 'fnstenv') fcwMask |= EXC;
      if (rule.setsEflags) this.eflagsMask |= OF | SF | AF;
      const stackFault = rule.reads.some((i) => ((b.view.empty >> ((b.top + i) & 7)) & 1) !== 0) || (rule.push && ((b.view.empty >> ((b.top + 7) & 7)) & 1) === 0);
      const trig = ['fsin', 'fcos', 'fsincos', 'fptan'].includes(rule.name);
      if (!stackFault && (rule.mem?.kind === 'f64' || (rule.mem?.kind === 'i32' && !rule.push)) && !rule.mem.store && ((b.view.fcw >> 8) & 3) === 0) {
        // QEMU converts an m64fp or m32int source to 80 bits rounded to PC = 24 (with PE) before using it.
        whole = true;
        this.count('m64-pc24');
      }
      if (stackFault) {
        whole = true;
        this.count('stack-fault');
        if (rule.setsEflags) this.eflagsMask |= ZF | PF | CF;
      } else if (!b.pending && f.exceptionPending && (f.statusWord & ~f.controlWord & (EXC & ~0x20)) !== 0 && !trig) {
        // A new unmasked exception (not PE alone): the flags are compared, the rest is QEMU's.
        fswMask |= C1 | 0x4500 | TOP;
        // Stopped before computing (IE, DE, ZE): QEMU computed, and may have flagged OE, UE, PE as well.
        if ((f.statusWord & ~f.controlWord & (IE | DE | 0x04)) !== 0) fswMask |= 0x08 | UE | PE | ES_B;
        // Unmasked OE/UE: ours stores the exponent-adjusted result (often exact), QEMU the masked response (PE with it);
        // and QEMU flags UE only for an inexact tiny result, as if masked.
        fswMask |= PE;
        if ((f.statusWord & UE) !== 0 && (q.fsw & UE) === 0) fswMask |= UE | ES_B;
        regMask = 0xff;
        storeMasked = true;
        if (rule.setsEflags) this.eflagsMask |= ZF | PF | CF;
        this.count('unmasked-write');
      }
      if (trig) {
        const x = b.st0;
        const e = x.exp - 16383;
        const nice = x.exp !== 0 && x.exp !== 0x7fff && (x.sig >> 63n) === 1n && (x.sig & 0x7ffn) === 0n && e >= -1022 && e < 62;
        if (!nice) {
          whole = true;
          this.count('trig');
        } else {
          fswMask |= EXC | C1 | ES_B;
          const qtop = (q.fsw >> 11) & 7;
          if (rule.name === 'fsincos' || rule.name === 'fptan') tolerance.push(qtop, (qtop + 1) & 7);
          else tolerance.push(qtop);
          const pc = (f.controlWord >> 8) & 3;
          tolBits = Math.min(53, pc === 0 ? 24 : pc === 2 ? 53 : 64) - 2;
          this.count('trig');
        }
      }
      if (!whole && rule.name !== 'fxtract' && (f.statusWord & DE) !== 0 && (q.fsw & DE) === 0) {
        fswMask |= DE | ES_B;
        this.count('denormal');
      }
      if (/^fstp? st\(/.test(rule.name) && b.ins.rm !== 0 && ((b.view.empty >> ((b.top + b.ins.rm) & 7)) & 1) !== 0 && !stackFault) {
        qemuEmpties |= 1 << ((b.top + b.ins.rm) & 7);
        this.count('fst-empty');
      }
      // rule.writes counts from TOP before any pop, after the push of a pushing instruction.
      const writesMask = () => rule.writes.reduce((m, w) => m | (1 << ((b.top - (rule.push ? 1 : 0) + w) & 7)), 0);
      if (PC_ROUNDED.has(rule.name) && ((f.controlWord >> 8) & 3) !== 3 && !stackFault) {
        // QEMU rounds the result to the precision control; the manual applies PC to + - * / and sqrt only.
        regMask |= writesMask();
        fswMask |= PE | UE | C1 | ES_B;
        this.count('pc');
      }
      if (rule.name === 'fprem1' && !stackFault) {
        fswMask |= C0 | C1 | C3;
        this.count('fprem1-quotient');
      }
      if ((rule.name === 'fprem' || rule.name === 'fprem1') && !stackFault && (f.statusWord & C2) !== 0) {
        // A partial remainder: N is the implementation's (SDM Vol. 2 FPREM: "between 32 and 63").
        regMask |= writesMask();
        fswMask |= C0 | C1 | C3 | PE | ES_B;
        this.count('fprem-partial');
      }
      if (OWN_NAN_ORDER.has(rule.name) && (isPseudoNaN(b.st0) || (rule.reads.includes(1) && isPseudoNaN(b.st1))) && !stackFault) {
        regMask |= writesMask();
        this.count('pseudo-nan');
      }
      if (['fscale', 'fpatan', 'fyl2x', 'fyl2xp1'].includes(rule.name) && isNaN80(b.st0) && isNaN80(b.st1) && !stackFault) {
        regMask |= writesMask();
        this.count('nan-order');
      }
      if (rule.mem !== null && (rule.mem.kind === 'f32' || rule.mem.kind === 'f64') && !rule.mem.store && b.memSNaN && !stackFault && isNaN80(b.st0)) {
        // QEMU quiets an SNaN m32/m64 operand as it converts it, before the operation's NaN rules.
        regMask |= writesMask();
        this.count('snan-mem');
      }
      if (rule.name === 'fbld' && b.fbldInvalid) {
        regMask |= 1 << ((b.top + 7) & 7);
        this.count('fbld-invalid');
      }
      if (whole) {
        fcwMask = 0;
        fswMask = 0xffff;
        regMask = 0xff;
        storeMasked = true;
      }
      // ES and B: QEMU does not recompute them where the masks change (FLDCW, FNSTENV's).
      if (['fldcw', 'fldenv', 'frstor', 'fnstenv'].includes(rule.name)) fswMask |= ES_B;
      // The pointers.
      if (rule.name === 'fldenv' || rule.name === 'frstor') {
        f.fip = b.pointers.fip; f.fcs = b.pointers.fcs; f.fop = b.pointers.fop; f.fdp = b.pointers.fdp; f.fds = b.pointers.fds;
      } else if (rule.name === 'fninit' || rule.name === 'fnsave') {
        this.fdpDefined = true;
      } else if (!rule.control) {
        this.fdpDefined = rule.mem !== null;
        // With a 16-bit address QEMU records the sum of the full 32-bit registers and the displacement, not wrapped to 16 bits.
        if (rule.mem !== null && !b.ins.a32 && f.fdp !== b.fdp16) {
          f.fdp = b.fdp16;
          this.count('fdp-a16');
        }
      }
    }
    if (this.esStale) fswMask |= ES_B;

    // Compare.
    const o = oursX87(f);
    const diff: string[] = [];
    if (((o.fcw ^ q.fcw) & ~fcwMask) !== 0) diff.push('fcw');
    if (((o.fsw ^ q.fsw) & ~fswMask) !== 0) diff.push('fsw');
    for (let p = 0; p < 8; p++) {
      if ((regMask >> p) & 1) continue;
      const a = o.fpr.slice(p * 20, p * 20 + 20), z = q.fpr.slice(p * 20, p * 20 + 20);
      if (a === z) continue;
      if (tolerance.includes(p) && closeEnough(regOf(o.fpr, p), regOf(q.fpr, p), tolBits)) continue;
      diff.push(`R${p}`);
    }
    const detail = (): string[] => [
      `  ours x87: ${describeX87(o)}`,
      `  qemu x87: ${describeX87(q)}`,
      `  before:   ${describeX87(b.view)}${rule ? ` (${rule.name})` : ''}`,
    ];
    this.lastDetailOf = b.rule !== null ? detail : () => [];
    if (diff.length > 0) return { diff, detail: detail() };

    // Memory stores.
    if (rule?.mem?.store) {
      const n = rule.mem.bytes;
      const theirs = await this.qemu.readMemory(b.lin >>> 0, n);
      const mine = new Uint8Array(n);
      const phys: number[] = [];
      for (let k = 0; k < n; k++) {
        const p = peekTranslate(c, (b.lin + k) | 0);
        phys.push(p);
        mine[k] = p < 0 ? 0 : c.mem.read8(p);
      }
      if (storeMasked || whole) {
        for (let k = 0; k < n; k++) if (phys[k] >= 0) c.mem.write8(phys[k], theirs[k]);
      } else {
        const mask = this.imageMask(rule, b.ins.o32, n);
        const bad: number[] = [];
        for (let k = 0; k < n; k++) if (((mine[k] ^ theirs[k]) & ~mask[k]) !== 0) bad.push(k);
        if (bad.length > 0) {
          return {
            diff: [`memory stored by ${rule.name} at ${(b.lin >>> 0).toString(16)} (bytes ${bad.join(',')})`],
            detail: [
              `  ours: ${Buffer.from(mine).toString('hex')}`,
              `  qemu: ${Buffer.from(theirs).toString('hex')}`,
              `  (FDP/FDS ${this.fdpDefined ? 'defined' : 'undefined: masked'})`,
              ...detail(),
            ],
          };
        }
        // Take QEMU's bytes where masked, so later loads of them agree.
        for (let k = 0; k < n; k++) if (mask[k] !== 0 && mine[k] !== theirs[k] && phys[k] >= 0) c.mem.write8(phys[k], theirs[k]);
      }
    }
    if (rule?.name === 'fnstsw ax') {
      if ((fswMask & ES_B) !== 0) c.r32[0] = (c.r32[0] & ~ES_B) | (q.eax & ES_B);
      // QEMU records FNSTSW AX as the last instruction (FIP, FCS), though it is a control instruction.
      f.fip = b.eip >>> 0;
      f.fcs = c.segSel[1];
      this.count('fnstsw-fip');
    }

    // Copy QEMU's values of what was masked.
    if (((o.fcw ^ q.fcw) & fcwMask) !== 0) f.controlWord = (o.fcw & ~fcwMask) | (q.fcw & fcwMask);
    let empty = o.empty;
    if (whole || regMask === 0xff) {
      // QEMU's tags follow its TOP: a push marks the new ST(0) valid, a pop marks the old one empty.
      empty = b.view.empty;
      const qtop = (q.fsw >> 11) & 7, delta = (b.top - qtop) & 7;
      if (delta === 1) empty &= ~(1 << qtop);
      else if (delta === 7) empty |= 1 << b.top;
      else if (delta === 6) empty |= (1 << b.top) | (1 << ((b.top + 1) & 7));
      if (rule?.name === 'fninit' || rule?.name === 'fnsave') empty = 0xff;
    }
    empty |= qemuEmpties;
    let regsChanged = empty !== o.empty;
    for (let p = 0; p < 8; p++) {
      const a = o.fpr.slice(p * 20, p * 20 + 20), z = q.fpr.slice(p * 20, p * 20 + 20);
      if (a !== z && ((regMask >> p) & 1 || tolerance.includes(p))) {
        f.setPhysical(p, regOf(q.fpr, p));
        regsChanged = true;
      }
    }
    if (regsChanged) {
      let image = 0;
      for (let p = 0; p < 8; p++) if ((empty >> p) & 1) image |= 3 << (2 * p);
      f.loadTagWord(image);
    }
    const swMask = fswMask & ~ES_B;
    if (((f.statusWord ^ q.fsw) & swMask) !== 0) f.statusWord = (f.statusWord & ~swMask) | (q.fsw & swMask);
    // Ours derives ES and B from the flags and masks; where QEMU's are stale, they stay masked until they agree.
    const stale = ((f.statusWord ^ q.fsw) & ES_B) !== 0;
    if (stale && !this.esStale) this.count('es-stale');
    this.esStale = stale;
    if (this.eflagsMask !== 0) {
      materialize(c);
      c.flagsRaw = (c.flagsRaw & ~this.eflagsMask) | (q.eflags & this.eflagsMask);
    }
    return null;
  }

  /** Bits of a stored image to leave out: the reserved halves, FOP, and FDP/FDS when undefined. */
  private imageMask(rule: X87Rule, o32: boolean, n: number): Uint8Array {
    const mask = new Uint8Array(n);
    if (rule.mem?.kind !== 'env' && rule.mem?.kind !== 'save') return mask;
    const set = (from: number, len: number, bits = 0xff) => { for (let k = from; k < from + len; k++) mask[k] = bits; };
    if (o32) {
      set(2, 2); set(6, 2); set(10, 2); set(26, 2); // reserved halves
      set(18, 1); mask[19] = 0x07; // FOP (bits 26-16 of the dword at 16)
      if (!this.fdpDefined) set(20, 6);
      if (this.esStale) { mask[4] |= 0x80; mask[5] |= 0x80; }
    } else {
      if (!this.fdpDefined) set(10, 4);
      if (this.esStale) { mask[2] |= 0x80; mask[3] |= 0x80; }
    }
    return mask;
  }
}

/** Two results of a transcendental within 2^-bits of each other, relatively (same class, same sign). */
export function closeEnough(a: F80, b: F80, bits: number): boolean {
  const normal = (x: F80) => x.exp !== 0 && x.exp !== 0x7fff && (x.sig >> 63n) === 1n;
  if (!normal(a) || !normal(b)) return a.sign === b.sign && a.exp === b.exp && a.sig === b.sig;
  if (a.sign !== b.sign || Math.abs(a.exp - b.exp) > 1) return false;
  const lo = Math.min(a.exp, b.exp);
  const A = a.sig << BigInt(a.exp - lo), B = b.sig << BigInt(b.exp - lo);
  const d = A > B ? A - B : B - A;
  const big = A > B ? A : B;
  return d << BigInt(bits) <= big;
}

/** The masks above, for the records: exported for tests. */
export const X87_MASK_BITS = { IE, DE, EXC, SW_SF, ES_B, TOP, CC_ALL };
