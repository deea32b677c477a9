/**
 * The x87's architectural state (SDM Vol. 1 §8.1, Figure 8-1): eight 80-bit
 * data registers used as a stack, the control, status and tag words, the last
 * instruction and data pointers and the last opcode. A pure module: the CPU
 * embeds one FpuState, fills FIP/FCS/FOP/FDP/FDS as it executes, and raises
 * #MF when `exceptionPending` says so at a waiting instruction.
 *
 * Registers are numbered two ways (§8.1.2): physically, R0..R7, which is how
 * the tag word counts; and relative to TOP, ST(i) = R((TOP + i) mod 8), which
 * is how instructions and the FSAVE image count.
 */
import { type F80, type PC, type RC, IE, C1, EXP_MAX, J_BIT, INDEFINITE, POS_ZERO } from './float80';

/** Tag values (SDM Vol. 1 §8.1.7, Figure 8-7). */
export type Tag = 0 | 1 | 2 | 3;
export const TAG_VALID = 0, TAG_ZERO = 1, TAG_SPECIAL = 2, TAG_EMPTY = 3;

/**
 * The tag a value gets when written (§8.1.7): zero for ±0; special for NaNs,
 * infinities, denormals and the unsupported encodings of Table 8-3 (pseudo-
 * denormals have exponent 0, unnormals J = 0, pseudo-NaNs and
 * pseudo-infinities exponent 7FFFH); valid for the rest, the normals.
 */
export function tagOf(x: F80): Tag {
  if (x.exp === 0) return x.sig === 0n ? TAG_ZERO : TAG_SPECIAL;
  if (x.exp === EXP_MAX) return TAG_SPECIAL;
  return (x.sig & J_BIT) !== 0n ? TAG_VALID : TAG_SPECIAL;
}

/**
 * Control word bits (SDM Vol. 1 §8.1.5, Figure 8-6): the six exception masks
 * at the positions of their status flags, PC, RC, and X, the infinity control
 * of the 287, which stays programmable but does nothing (SDM Vol. 3,
 * "Architecture Compatibility", x87 FPU Control Word).
 */
export const CW_IM = 0x01, CW_DM = 0x02, CW_ZM = 0x04, CW_OM = 0x08, CW_UM = 0x10, CW_PM = 0x20;
export const CW_MASKS = 0x3f, CW_PC = 0x0300, CW_RC = 0x0c00, CW_X = 0x1000;
/**
 * Figure 8-6 marks bits 6, 7 and 13-15 reserved. The P6 reads bit 6 as 1 and
 * the others as 0, whatever was loaded: the SDM says so only through its
 * constants (FINIT's 037FH and the power-up 0040H both have bit 6 set, Table
 * 9-1); Bochs and the Linux math emulator (observed on the 486) force the same.
 */
export const CW_READS_ONE = 0x0040, CW_READS_ZERO = 0xe080;
/** FNINIT's control word (SDM Vol. 2 FINIT/FNINIT): all masked, 64-bit precision, round to nearest. */
export const FCW_INIT = 0x037f;
/** The control word at power-up and RESET (SDM Vol. 3 Table 9-1): everything unmasked, PC 00. */
export const FCW_POWER_ON = 0x0040;

/**
 * Status word bits (SDM Vol. 1 §8.1.3, Figure 8-4). The exception flags IE..PE
 * and C1 are float80.ts's constants, at the same positions.
 */
export const SW_EXCEPTIONS = 0x3f, SW_SF = 0x40, SW_ES = 0x80;
export const SW_C0 = 0x100, SW_C1 = C1, SW_C2 = 0x400, SW_C3 = 0x4000, SW_CC = 0x4700;
export const SW_TOP = 0x3800, SW_TOP_SHIFT = 11, SW_B = 0x8000;
/** What the status word holds apart from TOP and the two summary bits, which are derived. */
const SW_STORED = SW_EXCEPTIONS | SW_SF | SW_CC;

/** The tag word at power-up (Table 9-1): every register +0, tagged zero. */
export const FTW_POWER_ON = 0x5555;
/** After FNINIT: every register empty. */
export const FTW_INIT = 0xffff;

/**
 * The outcome of a stack check (SDM Vol. 1 §8.5.1.1): no fault; a fault with
 * IM masked, whose response (an indefinite in the destination) the
 * instruction goes on to give; or a fault with IM unmasked, where TOP and the
 * operands must stay as they are and #MF comes at the next waiting instruction.
 */
export type StackCheck = 'ok' | 'masked' | 'unmasked';

export class FpuState {
  /** R0..R7. */
  private readonly r: F80[] = new Array<F80>(8).fill(POS_ZERO);
  private topBits = 0;
  private cw = FCW_POWER_ON;
  /** Exception flags, SF and C0-C3 (SW_STORED); TOP, ES and B are composed on read. */
  private sw = 0;
  private tw = FTW_POWER_ON;

  /**
   * The last non-control instruction's address (offset and CS selector), its
   * opcode, and its memory operand's address (offset and selector) (SDM Vol. 1
   * §8.1.8, §8.1.9). FOP is 11 bits: the low 3 bits of the first opcode byte,
   * then the second byte. The CPU sets them; FNINIT clears them.
   */
  fip = 0;
  fcs = 0;
  fop = 0;
  fdp = 0;
  fds = 0;

  constructor() { this.powerOn(); }

  /** A new x87 as a CPU reset and an lguest Guest restart leave it (Cpu.fpu): R0..R7 +0, then FNINIT's words. */
  static atReset(): FpuState {
    const f = new FpuState();
    f.reset();
    return f;
  }
  /** The same, in place. */
  resetToInit(): void {
    this.powerOn();
    this.reset();
  }

  /**
   * Power-up and RESET (SDM Vol. 3 §9.1.1, Table 9-1, the P6 family column):
   * FCW 0040H, FSW 0, FTW 5555H, pointers and selectors 0, R0..R7 +0. INIT
   * leaves the x87 alone (§9.1), so it has no method here.
   */
  powerOn(): void {
    this.r.fill(POS_ZERO);
    this.topBits = 0;
    this.cw = FCW_POWER_ON;
    this.sw = 0;
    this.tw = FTW_POWER_ON;
    this.fip = this.fcs = this.fop = this.fdp = this.fds = 0;
  }

  /**
   * FNINIT (SDM Vol. 2 FINIT/FNINIT; Vol. 1 §8.1.10 for FSAVE, which ends with
   * it): FCW 037FH, FSW 0 (so TOP 0 and C0-C3 0), every tag empty, FIP, FCS,
   * FDP, FDS and FOP 0. The registers' contents are left as they were.
   */
  reset(): void {
    this.topBits = 0;
    this.cw = FCW_INIT;
    this.sw = 0;
    this.tw = FTW_INIT;
    this.fip = this.fcs = this.fop = this.fdp = this.fds = 0;
  }

  /** A copy, for snapshots and tests (F80 values are immutable). */
  clone(): FpuState {
    const c = new FpuState();
    c.r.splice(0, 8, ...this.r);
    c.topBits = this.topBits;
    c.cw = this.cw;
    c.sw = this.sw;
    c.tw = this.tw;
    c.fip = this.fip; c.fcs = this.fcs; c.fop = this.fop; c.fdp = this.fdp; c.fds = this.fds;
    return c;
  }

  // --- Control word ---------------------------------------------------------

  /** FSTCW/FNSTCW read it. */
  get controlWord(): number { return this.cw; }
  /** FLDCW (and FLDENV/FRSTOR) write it, with the reserved bits as the P6 reads them. */
  set controlWord(v: number) { this.cw = ((v & 0xffff) & ~CW_READS_ZERO) | CW_READS_ONE; }
  get pc(): PC { return ((this.cw & CW_PC) >>> 8) as PC; }
  get rc(): RC { return ((this.cw & CW_RC) >>> 10) as RC; }
  /** Whether every exception in `flags` (IE..PE positions) is masked. */
  masked(flags: number): boolean { return (this.cw & flags & CW_MASKS) === (flags & CW_MASKS); }
  /** What FSTENV/FNSTENV does after its store (SDM Vol. 2 FSTENV: "then masks all floating-point exceptions"). */
  maskAll(): void { this.cw |= CW_MASKS; }

  // --- Status word ----------------------------------------------------------

  get top(): number { return this.topBits; }
  set top(v: number) { this.topBits = v & 7; }

  /**
   * ES, the exception summary (§8.1.3): set while any exception flag is set
   * whose mask is clear. Derived, not stored, so FLDCW, FLDENV, FNCLEX and
   * FNSTENV's masking all update it at once (the SDM's FLDCW and FLDENV pages:
   * a flag left set and unmasked by the new word raises the exception at the
   * next waiting instruction).
   */
  get summary(): boolean { return (this.sw & ~this.cw & SW_EXCEPTIONS) !== 0; }
  /**
   * An unmasked exception is pending: the next waiting x87 instruction (all
   * but FNINIT, FNCLEX, FNSTSW, FNSTCW, FNSTENV, FNSAVE) or WAIT/FWAIT takes
   * #MF (or FERR# with CR0.NE = 0) before it executes (SDM Vol. 1 §8.7).
   */
  get exceptionPending(): boolean { return this.summary; }

  /**
   * FSTSW/FNSTSW read it: the stored flags, TOP at bits 13-11, ES at bit 7,
   * and B at bit 15 (Figure 8-4, "FPU busy"). The 8087's busy flag means
   * nothing on the P6 and reads as a copy of ES, as Bochs keeps it.
   */
  get statusWord(): number {
    return this.sw | (this.topBits << SW_TOP_SHIFT) | (this.summary ? SW_ES | SW_B : 0);
  }
  /** FLDENV/FRSTOR write it: TOP from bits 13-11; ES and B are recomputed, not taken. */
  set statusWord(v: number) {
    this.sw = v & SW_STORED;
    this.topBits = (v & SW_TOP) >>> SW_TOP_SHIFT;
  }

  /** ORs exception flags into the status word (the `flags` of an arithmetic Result; C1 is left to setC1). */
  raise(flags: number): void { this.sw |= flags & (SW_EXCEPTIONS | SW_SF); }
  setC1(on: boolean): void { this.sw = on ? this.sw | SW_C1 : this.sw & ~SW_C1; }
  /** C3 C2 C1 C0 together, at their status-word positions (FCOM, FXAM, FPREM). */
  get conditionCodes(): number { return this.sw & SW_CC; }
  set conditionCodes(v: number) { this.sw = (this.sw & ~SW_CC) | (v & SW_CC); }
  /**
   * FNCLEX (SDM Vol. 2 FCLEX/FNCLEX): clears PE..IE, SF, ES and B. C0-C3 are
   * undefined after it; they are left as they were.
   */
  clearExceptions(): void { this.sw &= ~(SW_EXCEPTIONS | SW_SF); }

  // --- Tags and physical registers -----------------------------------------

  /** The full tag word, two bits per physical register, R0 in bits 1-0 (§8.1.7). */
  get tagWord(): number { return this.tw; }
  /**
   * FLDENV/FRSTOR's tag word (SDM Vol. 1 §8.1.7; Vol. 3 "Architecture
   * Compatibility", x87 FPU Tag Word): an image tag of 11B empties the
   * register; any other marks it non-empty, and the tag then comes from the
   * register's contents, whatever the image said.
   */
  loadTagWord(image: number): void {
    let tw = 0;
    for (let p = 0; p < 8; p++) {
      const t = ((image >>> (2 * p)) & 3) === TAG_EMPTY ? TAG_EMPTY : tagOf(this.r[p]);
      tw |= t << (2 * p);
    }
    this.tw = tw;
  }

  physical(p: number): F80 { return this.r[p & 7]; }
  physicalTag(p: number): Tag { return ((this.tw >>> (2 * (p & 7))) & 3) as Tag; }
  /** Writes R(p) and tags it from the value. */
  setPhysical(p: number, v: F80): void {
    p &= 7;
    this.r[p] = v;
    this.tw = (this.tw & ~(3 << (2 * p))) | (tagOf(v) << (2 * p));
  }
  private setPhysicalTag(p: number, t: Tag): void {
    this.tw = (this.tw & ~(3 << (2 * p))) | (t << (2 * p));
  }

  // --- The stack ------------------------------------------------------------

  /** The physical number of ST(i). */
  stIndex(i: number): number { return (this.topBits + i) & 7; }
  /** ST(i)'s contents, empty or not (an empty register keeps its last value). */
  st(i: number): F80 { return this.r[this.stIndex(i)]; }
  stTag(i: number): Tag { return this.physicalTag(this.stIndex(i)); }
  isEmpty(i: number): boolean { return this.stTag(i) === TAG_EMPTY; }
  /** Writes ST(i), tagged from the value. */
  setSt(i: number, v: F80): void { this.setPhysical(this.stIndex(i), v); }

  /** A push would not overflow: the register that becomes ST(0), now ST(7), is empty. */
  canPush(): boolean { return this.isEmpty(7); }

  /**
   * Decrements TOP and writes ST(0) (SDM Vol. 1 §8.1.2). Onto a non-empty
   * register it is a stack overflow (§8.5.1.1): with IM masked the push
   * happens with the real indefinite in place of `v`; unmasked, nothing moves.
   * C1 is left alone without a fault: what a push sets it to is the
   * instruction's (FLD clears it, FPTAN may round up).
   */
  push(v: F80): StackCheck {
    if (!this.canPush()) {
      const r = this.stackOverflow();
      if (r === 'masked') { this.topBits = (this.topBits - 1) & 7; this.setSt(0, INDEFINITE); }
      return r;
    }
    this.topBits = (this.topBits - 1) & 7;
    this.setSt(0, v);
    return 'ok';
  }

  /** Tags ST(0) empty and increments TOP (§8.1.2). The check of ST(0) is the instruction's (checkSources). */
  pop(): void {
    this.setPhysicalTag(this.topBits, TAG_EMPTY);
    this.topBits = (this.topBits + 1) & 7;
  }

  /** FFREE ST(i): tags it empty; TOP and the contents stay (SDM Vol. 2 FFREE). */
  free(i: number): void { this.setPhysicalTag(this.stIndex(i), TAG_EMPTY); }

  /** FINCSTP: TOP + 1, no tag changes, C1 = 0 (SDM Vol. 2 FINCSTP). */
  incstp(): void { this.topBits = (this.topBits + 1) & 7; this.setC1(false); }
  /** FDECSTP: TOP - 1, no tag changes, C1 = 0 (SDM Vol. 2 FDECSTP). */
  decstp(): void { this.topBits = (this.topBits - 1) & 7; this.setC1(false); }

  /** Stack overflow (§8.5.1.1): IE and SF set, C1 = 1. */
  stackOverflow(): StackCheck {
    this.sw |= IE | SW_SF | SW_C1;
    return this.masked(CW_IM) ? 'masked' : 'unmasked';
  }
  /** Stack underflow (§8.5.1.1): IE and SF set, C1 = 0. */
  stackUnderflow(): StackCheck {
    this.sw = (this.sw | IE | SW_SF) & ~SW_C1;
    return this.masked(CW_IM) ? 'masked' : 'unmasked';
  }

  /**
   * An instruction's check of its source registers ST(i) (§8.5.1.1): 'ok'
   * when none is empty. Otherwise stack underflow is signalled, and with IM
   * masked the real indefinite goes to ST(dest) when the destination is a
   * register; the caller does the rest of the masked response (a memory
   * destination's indefinite, the pop of a ...P form, C3 C2 C0 = 111 of a
   * compare), or, on 'unmasked', leaves everything as it is.
   */
  checkSources(sts: readonly number[], dest?: number): StackCheck {
    if (sts.every((i) => !this.isEmpty(i))) return 'ok';
    const r = this.stackUnderflow();
    if (r === 'masked' && dest !== undefined) this.setSt(dest, INDEFINITE);
    return r;
  }
}
