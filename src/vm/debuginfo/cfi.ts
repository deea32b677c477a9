/**
 * Call frame information: the tables, in .debug_frame (from -g) or
 * .eh_frame (from unwind tables), that say for each instruction of a
 * function how to find its caller's frame. Entries are CIEs (what a group
 * of functions has in common: alignment factors, the return address
 * column, initial rules) and FDEs (one address range each, with
 * DW_CFA_* instructions that change the rules as the code goes on). The
 * rules in force at an address make a row: how to compute the CFA (the
 * stack pointer before the call) and where each register was saved.
 *
 * Parsing indexes the FDEs once (sorted, for binary search); a row is
 * computed when asked for, by running the CIE's and the FDE's instructions
 * (cfaProgram.ts).
 */
import { clone, execute, readEncoded, type State } from './cfaProgram';
import { lastAtOrBelow } from './symbols';
import { DwarfError, Reader } from './reader';

export type RegisterRule =
  | { type: 'undefined' }
  | { type: 'sameValue' }
  /** saved at CFA + offset */
  | { type: 'offset'; offset: number }
  /** the value is CFA + offset */
  | { type: 'valOffset'; offset: number }
  /** in another register */
  | { type: 'register'; register: number }
  /** saved at the address the expression computes (the CFA pushed first) */
  | { type: 'expression'; expr: Uint8Array }
  /** the expression's result is the value */
  | { type: 'valExpression'; expr: Uint8Array };

export type CfaRule =
  | { type: 'register'; register: number; offset: number }
  | { type: 'expression'; expr: Uint8Array };

export interface CfiRow {
  /** The address the row starts at. */
  loc: number;
  cfa: CfaRule;
  /** By DWARF register number; a register not here has no rule (for callee-saved ones: unchanged). */
  registers: Map<number, RegisterRule>;
  /** The column holding the return address (8, eip, on i386). */
  returnAddress: number;
  /**
   * A signal frame (augmentation 'S', from .cfi_signal_frame): the code a
   * trap or interrupt entered. The frame it finds is the interrupted one,
   * whose eip is the instruction to run next, not a return address.
   */
  signalFrame: boolean;
}

export interface Cie {
  offset: number;
  version: number;
  augmentation: string;
  codeAlign: number;
  dataAlign: number;
  returnAddress: number;
  addressSize: number;
  /** .eh_frame pointer encoding of the FDEs' addresses (DW_EH_PE_*). */
  fdeEncoding: number;
  /** 'S' in the augmentation: see CfiRow.signalFrame. */
  signalFrame: boolean;
  initialInstructions: Uint8Array;
}

export interface Fde {
  offset: number;
  section: '.debug_frame' | '.eh_frame';
  cie: Cie;
  start: number;
  end: number;
  instructions: Uint8Array;
}

export interface FrameSection {
  name: '.debug_frame' | '.eh_frame';
  bytes: Uint8Array;
  /** The section's load address: .eh_frame's pc-relative pointers count from it. */
  address: number;
}

export interface ParsedFrames {
  fdes: Fde[];
  errors: string[];
}

/** All FDEs of one section (CIEs are reached through them). */
export function parseFrameSection(sec: FrameSection): ParsedFrames {
  const eh = sec.name === '.eh_frame';
  const bytes = sec.bytes;
  const cies = new Map<number, Cie | DwarfError>();
  const fdes: Fde[] = [];
  const errors: string[] = [];
  const note = (offset: number, e: unknown) => {
    if (!(e instanceof DwarfError)) throw e;
    errors.push(`${sec.name} entry at 0x${offset.toString(16)}: ${e.message}`);
  };

  const cieAt = (offset: number): Cie => {
    let c = cies.get(offset);
    if (!c) {
      try {
        c = parseCie(bytes, offset, sec.address);
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        c = e;
      }
      cies.set(offset, c);
    }
    if (c instanceof DwarfError) throw c;
    return c;
  };

  const r = new Reader(bytes);
  while (r.pos + 4 <= bytes.length) {
    const offset = r.pos;
    let next = -1;
    try {
      const { length, offsetSize } = r.initialLength();
      if (length === 0) {
        if (eh) break; // the terminator
        continue;
      }
      if (r.pos + length > bytes.length) throw new DwarfError(`length ${length} runs past the section`);
      next = r.pos + length;
      const idPos = r.pos;
      const id = r.uint(offsetSize);
      const isCie = eh ? id === 0 : id === (offsetSize === 8 ? 0xffff_ffff_ffff_ffff : 0xffff_ffff);
      if (!isCie) {
        const cie = cieAt(eh ? idPos - id : id);
        const er = new Reader(bytes, r.pos, next);
        let start: number, range: number;
        if (eh) {
          start = readEncoded(er, cie.fdeEncoding, sec.address, cie.addressSize);
          range = readEncoded(er, cie.fdeEncoding & 0x0f, sec.address, cie.addressSize);
        } else {
          start = er.uint(cie.addressSize);
          range = er.uint(cie.addressSize);
        }
        if (cie.augmentation.startsWith('z')) er.skip(er.uleb());
        if (range > 0) {
          fdes.push({ offset, section: sec.name, cie, start, end: start + range, instructions: bytes.subarray(er.pos, next) });
        }
      }
    } catch (e) {
      note(offset, e);
      if (next < 0) break;
    }
    r.pos = next;
  }
  return { fdes, errors };
}

function parseCie(bytes: Uint8Array, offset: number, sectionAddress: number): Cie {
  const r = new Reader(bytes, offset);
  const { length, offsetSize } = r.initialLength();
  const end = r.pos + length;
  if (end > bytes.length) throw new DwarfError(`CIE at 0x${offset.toString(16)} runs past the section`);
  const c = new Reader(bytes, r.pos, end);
  c.uint(offsetSize); // the CIE id
  const version = c.u8();
  if (version !== 1 && version !== 3 && version !== 4) throw new DwarfError(`CIE version ${version}`);
  const augmentation = c.cstring();
  let addressSize = 4;
  if (version >= 4) {
    addressSize = c.u8();
    if (c.u8() !== 0) throw new DwarfError('segmented addresses');
  }
  const codeAlign = c.uleb(), dataAlign = c.sleb();
  const returnAddress = version === 1 ? c.u8() : c.uleb();
  let fdeEncoding = 0;
  if (augmentation.startsWith('z')) {
    const len = c.uleb();
    const dataEnd = c.pos + len;
    for (const ch of augmentation.slice(1)) {
      if (ch === 'R') fdeEncoding = c.u8();
      else if (ch === 'L') c.u8(); // LSDA encoding
      else if (ch === 'P') readEncoded(c, c.u8() & 0x7f, sectionAddress, addressSize); // the personality routine
      else if (ch !== 'S' && ch !== 'B') break; // unknown: the length lets us skip the rest
    }
    c.pos = dataEnd;
  } else if (!/^S*$/.test(augmentation)) {
    // Without 'z' only letters that carry no data can be read past: GAS writes a bare "S" into .debug_frame.
    throw new DwarfError(`CIE augmentation "${augmentation}"`);
  }
  const signalFrame = augmentation.includes('S');
  return { offset, version, augmentation, codeAlign, dataAlign, returnAddress, addressSize, fdeEncoding, signalFrame, initialInstructions: bytes.subarray(c.pos, end) };
}


/** The FDEs of an image's .debug_frame and .eh_frame, and the rows they describe. */
export class CallFrameInfo {
  private readonly fdes: Fde[];
  private readonly starts: number[];
  private readonly sections = new Map<string, FrameSection>();
  readonly errors: string[] = [];

  constructor(sections: FrameSection[]) {
    const all: Fde[] = [];
    for (const s of sections) {
      this.sections.set(s.name, s);
      const p = parseFrameSection(s);
      all.push(...p.fdes);
      this.errors.push(...p.errors);
    }
    // Stable: at equal starts .debug_frame (listed first) wins.
    this.fdes = all.sort((a, b) => a.start - b.start);
    this.starts = this.fdes.map((f) => f.start);
  }

  get size(): number {
    return this.fdes.length;
  }

  allFdes(): readonly Fde[] {
    return this.fdes;
  }

  fdeFor(pc: number): Fde | undefined {
    pc >>>= 0;
    // FDEs do not overlap, but one function may have one in each section: look a few back.
    const k = lastAtOrBelow(this.starts, pc);
    for (let i = k; i >= 0 && i > k - 4; i--) if (pc < this.fdes[i].end) return this.fdes[i];
    return undefined;
  }

  /** The rules in force at pc, or null where no FDE covers it. */
  rowAt(pc: number): CfiRow | null {
    pc >>>= 0;
    const fde = this.fdeFor(pc);
    if (!fde) return null;
    const cie = fde.cie;
    // Every CIE defines the CFA; "esp+4" (just after a call) stands in until it does.
    const start: State = { cfa: { type: 'register', register: 4, offset: 4 }, registers: new Map() };
    const initial = execute(cie.initialInstructions, cie, undefined, start, undefined, 0, Infinity).state;
    const { state, loc } = execute(fde.instructions, cie, this.sections.get(fde.section), clone(initial), initial, fde.start, pc);
    return { loc, cfa: state.cfa, registers: state.registers, returnAddress: cie.returnAddress, signalFrame: cie.signalFrame };
  }
}
