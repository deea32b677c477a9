/**
 * The two small interpreters behind call frame information: .eh_frame's
 * pointer encodings (DW_EH_PE_*), and the DW_CFA_* instructions of CIEs
 * and FDEs, which, run from a function's start up to an address, leave the
 * rules in force there (how to compute the CFA, where each register was
 * saved).
 */
import type { CfaRule, Cie, FrameSection, RegisterRule } from './cfi';
import { DwarfError, Reader } from './reader';

const DW_EH_PE_omit = 0xff, DW_EH_PE_pcrel = 0x10;

/** Reads an .eh_frame pointer of the given encoding; sectionAddress is where the section is loaded (pc-relative pointers count from their own address). */
export function readEncoded(r: Reader, enc: number, sectionAddress: number, addressSize: number): number {
  if (enc === DW_EH_PE_omit) return 0;
  const field = sectionAddress + r.pos;
  let v: number;
  switch (enc & 0x0f) {
    case 0x00: v = r.uint(addressSize); break; // absptr
    case 0x01: v = r.uleb(); break;
    case 0x02: v = r.u16(); break;
    case 0x03: v = r.u32(); break;
    case 0x04: v = r.u64(); break;
    case 0x09: v = r.sleb(); break;
    case 0x0a: v = r.i16(); break;
    case 0x0b: v = r.i32(); break;
    case 0x0c: v = r.i64(); break;
    default: throw new DwarfError(`unsupported pointer encoding 0x${enc.toString(16)}`);
  }
  // Only pc-relative applies without more context (text/data bases, indirection: not in linked i386 code).
  if ((enc & 0x70) === DW_EH_PE_pcrel) v += field;
  return v >>> 0;
}

/** The rules being built up: the CFA's and the saved registers'. */
export interface State {
  cfa: CfaRule;
  registers: Map<number, RegisterRule>;
}

/** A copy whose register rules can change without changing the original's. */
export const clone = (s: State): State => ({ cfa: s.cfa, registers: new Map(s.registers) });

/**
 * Runs CFA instructions from `loc` up to the row covering `pc`; returns the
 * state and the row's start. `initial` (the CIE's rules) is what
 * DW_CFA_restore goes back to.
 */
export function execute(code: Uint8Array, cie: Cie, fdeSection: FrameSection | undefined, state: State, initial: State | undefined, loc: number, pc: number): { state: State; loc: number } {
  const r = new Reader(code);
  const stack: State[] = [];
  const regs = () => state.registers;
  const restore = (n: number) => {
    const rule = initial?.registers.get(n);
    if (rule) regs().set(n, rule);
    else regs().delete(n);
  };
  const block = () => {
    const len = r.uleb(), at = r.pos;
    r.skip(len);
    return code.subarray(at, at + len);
  };
  const advance = (delta: number): boolean => {
    if (loc + delta > pc) return false;
    loc += delta;
    return true;
  };
  const ca = cie.codeAlign, da = cie.dataAlign;
  try {
    while (!r.atEnd) {
      const op = r.u8();
      const low = op & 0x3f;
      switch (op & 0xc0) {
        case 0x40: if (!advance(low * ca)) return { state, loc }; continue; // advance_loc
        case 0x80: regs().set(low, { type: 'offset', offset: r.uleb() * da }); continue; // offset
        case 0xc0: restore(low); continue; // restore
      }
      switch (op) {
        case 0x00: break; // nop
        case 0x01: { // set_loc
          const to = fdeSection?.name === '.eh_frame' ? readEncoded(r, cie.fdeEncoding, fdeSection.address, cie.addressSize) : r.uint(cie.addressSize);
          if (to > pc) return { state, loc };
          loc = to;
          break;
        }
        case 0x02: if (!advance(r.u8() * ca)) return { state, loc }; break;
        case 0x03: if (!advance(r.u16() * ca)) return { state, loc }; break;
        case 0x04: if (!advance(r.u32() * ca)) return { state, loc }; break;
        case 0x05: { const n = r.uleb(); regs().set(n, { type: 'offset', offset: r.uleb() * da }); break; } // offset_extended
        case 0x06: restore(r.uleb()); break; // restore_extended
        case 0x07: regs().set(r.uleb(), { type: 'undefined' }); break;
        case 0x08: regs().set(r.uleb(), { type: 'sameValue' }); break;
        case 0x09: { const n = r.uleb(); regs().set(n, { type: 'register', register: r.uleb() }); break; }
        case 0x0a: stack.push(clone(state)); break; // remember_state
        case 0x0b: { // restore_state
          const s = stack.pop();
          if (!s) throw new DwarfError('DW_CFA_restore_state with nothing remembered');
          state = s;
          break;
        }
        case 0x0c: { const n = r.uleb(); state.cfa = { type: 'register', register: n, offset: r.uleb() }; break; } // def_cfa
        case 0x0d: state.cfa = { type: 'register', register: r.uleb(), offset: state.cfa.type === 'register' ? state.cfa.offset : 0 }; break;
        case 0x0e: state.cfa = { type: 'register', register: cfaRegister(state), offset: r.uleb() }; break; // def_cfa_offset
        case 0x0f: state.cfa = { type: 'expression', expr: block() }; break;
        case 0x10: { const n = r.uleb(); regs().set(n, { type: 'expression', expr: block() }); break; }
        case 0x11: { const n = r.uleb(); regs().set(n, { type: 'offset', offset: r.sleb() * da }); break; } // offset_extended_sf
        case 0x12: { const n = r.uleb(); state.cfa = { type: 'register', register: n, offset: r.sleb() * da }; break; } // def_cfa_sf
        case 0x13: state.cfa = { type: 'register', register: cfaRegister(state), offset: r.sleb() * da }; break; // def_cfa_offset_sf
        case 0x14: { const n = r.uleb(); regs().set(n, { type: 'valOffset', offset: r.uleb() * da }); break; }
        case 0x15: { const n = r.uleb(); regs().set(n, { type: 'valOffset', offset: r.sleb() * da }); break; }
        case 0x16: { const n = r.uleb(); regs().set(n, { type: 'valExpression', expr: block() }); break; }
        case 0x2e: r.uleb(); break; // GNU_args_size: the unwinder needs no pushed-argument size
        case 0x2f: { const n = r.uleb(); regs().set(n, { type: 'offset', offset: -r.uleb() * da }); break; } // GNU_negative_offset_extended
        default: throw new DwarfError(`unknown DW_CFA opcode 0x${op.toString(16)}`);
      }
    }
  } catch (e) {
    if (!(e instanceof DwarfError)) throw e;
    // A damaged or unknown instruction: the rules read so far are the best there is.
  }
  return { state, loc };
}

function cfaRegister(s: State): number {
  if (s.cfa.type !== 'register') throw new DwarfError('CFA offset changed while the CFA is an expression');
  return s.cfa.register;
}
