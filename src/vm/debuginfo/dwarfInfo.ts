/**
 * Just enough of .debug_info for breakpoints: the line each out-of-line
 * function is declared on (DW_AT_decl_line), by its entry address
 * (DW_AT_low_pc). A breakpoint on a line without code moves to the next
 * line with code only if that line's function is declared at or before
 * the line asked for (so its signature line works, a comment between two
 * functions does not), and the line table alone cannot say where a
 * function's signature begins: GCC's first row is the opening brace.
 *
 * The walk reads every DIE of every unit (DWARF 2 to 5), decoding each
 * attribute's form only to step over it, except the few it keeps.
 */
import { DwarfError, Reader, stringAt } from './reader';

export interface FunctionDecl {
  name?: string;
  lowPc: number;
  /** One past the last byte, when DW_AT_high_pc is there. */
  highPc?: number;
  declLine?: number;
}

export interface InfoSections {
  info: Uint8Array;
  abbrev: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
}

const DW_TAG_subprogram = 0x2e;
const DW_AT_name = 0x03, DW_AT_low_pc = 0x11, DW_AT_high_pc = 0x12, DW_AT_abstract_origin = 0x31;
const DW_AT_decl_line = 0x3b, DW_AT_specification = 0x47;

interface Abbrev {
  tag: number;
  attrs: { name: number; form: number; implicit: number }[];
}

function parseAbbrevs(bytes: Uint8Array, offset: number): Map<number, Abbrev> {
  const r = new Reader(bytes, offset);
  const out = new Map<number, Abbrev>();
  for (let code = r.uleb(); code !== 0; code = r.uleb()) {
    const tag = r.uleb();
    r.u8(); // has children: the walk is linear, null entries end sibling lists
    const attrs: Abbrev['attrs'] = [];
    for (;;) {
      const name = r.uleb(), form = r.uleb();
      if (name === 0 && form === 0) break;
      attrs.push({ name, form, implicit: form === 0x21 ? r.sleb() : 0 });
    }
    out.set(code, { tag, attrs });
  }
  return out;
}

interface UnitCtx {
  offset: number;
  version: number;
  offsetSize: 4 | 8;
  addressSize: number;
}

/** An attribute's value: numbers for constants, addresses and references (made section offsets), strings for names, null otherwise. */
function readForm(r: Reader, form: number, u: UnitCtx, s: InfoSections, implicit: number): number | string | null {
  switch (form) {
    case 0x01: return r.uint(u.addressSize); // addr
    case 0x03: r.skip(r.u16()); return null; // block2
    case 0x04: r.skip(r.u32()); return null; // block4
    case 0x05: return r.u16(); // data2
    case 0x06: return r.u32(); // data4
    case 0x07: return r.u64(); // data8
    case 0x08: return r.cstring(); // string
    case 0x09: case 0x18: r.skip(r.uleb()); return null; // block, exprloc
    case 0x0a: r.skip(r.u8()); return null; // block1
    case 0x0b: return r.u8(); // data1
    case 0x0c: return r.u8(); // flag
    case 0x0d: return r.sleb(); // sdata
    case 0x0e: return stringAt(s.str, r.uint(u.offsetSize), '.debug_str'); // strp
    case 0x0f: return r.uleb(); // udata
    case 0x10: return r.uint(u.version <= 2 ? u.addressSize : u.offsetSize); // ref_addr (a section offset)
    case 0x11: return u.offset + r.u8(); // ref1
    case 0x12: return u.offset + r.u16(); // ref2
    case 0x13: return u.offset + r.u32(); // ref4
    case 0x14: return u.offset + r.u64(); // ref8
    case 0x15: return u.offset + r.uleb(); // ref_udata
    case 0x16: return readForm(r, r.uleb(), u, s, implicit); // indirect
    case 0x17: case 0x1c: case 0x1d: r.uint(u.offsetSize); return null; // sec_offset, ref_sup4, strp_sup
    case 0x19: return 1; // flag_present
    case 0x1a: case 0x1b: case 0x22: case 0x23: r.uleb(); return null; // strx, addrx, loclistx, rnglistx: need the offsets tables
    case 0x1e: r.skip(16); return null; // data16
    case 0x1f: return stringAt(s.lineStr, r.uint(u.offsetSize), '.debug_line_str'); // line_strp
    case 0x20: case 0x24: r.skip(8); return null; // ref_sig8, ref_sup8
    case 0x21: return implicit; // implicit_const
    case 0x25: case 0x29: r.skip(1); return null; // strx1, addrx1
    case 0x26: case 0x2a: r.skip(2); return null; // strx2, addrx2
    case 0x27: case 0x2b: r.skip(3); return null; // strx3, addrx3
    case 0x28: case 0x2c: r.skip(4); return null; // strx4, addrx4
    case 0x1f01: case 0x1f02: r.uleb(); return null; // GNU_addr_index, GNU_str_index
    case 0x1f20: case 0x1f21: r.uint(u.offsetSize); return null; // GNU_ref_alt, GNU_strp_alt
    default: throw new DwarfError(`unknown form 0x${form.toString(16)}`);
  }
}

interface Sub {
  name?: string;
  lowPc?: number;
  high?: { value: number; isOffset: boolean };
  declLine?: number;
  origin?: number;
}

/** Every function with an entry address, with its declaration line (followed through abstract origins). */
export function readFunctionDecls(s: InfoSections): { functions: FunctionDecl[]; errors: string[] } {
  const subs = new Map<number, Sub>(); // by DIE offset
  const errors: string[] = [];
  const abbrevCache = new Map<number, Map<number, Abbrev>>();
  const r = new Reader(s.info);
  while (r.pos + 4 <= s.info.length) {
    const offset = r.pos;
    let next = -1;
    try {
      const { length, offsetSize } = r.initialLength();
      if (r.pos + length > s.info.length) throw new DwarfError(`unit length ${length} runs past the section`);
      next = r.pos + length;
      const u = new Reader(s.info, r.pos, next);
      const version = u.u16();
      if (version < 2 || version > 5) throw new DwarfError(`unsupported version ${version}`);
      let abbrevOffset: number, addressSize: number;
      if (version >= 5) {
        const type = u.u8();
        addressSize = u.u8();
        abbrevOffset = u.uint(offsetSize);
        if (type === 4 || type === 5) u.skip(8); // skeleton / split: dwo_id
        if (type === 2 || type === 6) { u.skip(8); u.uint(offsetSize); } // type units: signature, type offset
      } else {
        abbrevOffset = u.uint(offsetSize);
        addressSize = u.u8();
      }
      let abbrevs = abbrevCache.get(abbrevOffset);
      if (!abbrevs) abbrevCache.set(abbrevOffset, (abbrevs = parseAbbrevs(s.abbrev, abbrevOffset)));
      walkUnit(u, { offset, version, offsetSize, addressSize }, abbrevs, s, subs);
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      errors.push(`.debug_info unit at 0x${offset.toString(16)}: ${e.message}`);
      if (next < 0) break;
    }
    r.pos = next;
  }

  const functions: FunctionDecl[] = [];
  for (const sub of subs.values()) {
    if (sub.lowPc === undefined) continue;
    let declLine = sub.declLine, name = sub.name;
    for (let o = sub.origin, hops = 0; o !== undefined && hops < 8; hops++) {
      const origin = subs.get(o);
      if (!origin) break;
      declLine ??= origin.declLine;
      name ??= origin.name;
      o = origin.origin;
    }
    const highPc = sub.high ? (sub.high.isOffset ? sub.lowPc + sub.high.value : sub.high.value) : undefined;
    functions.push({ name, lowPc: sub.lowPc, highPc, declLine });
  }
  return { functions, errors };
}

function walkUnit(r: Reader, u: UnitCtx, abbrevs: Map<number, Abbrev>, s: InfoSections, subs: Map<number, Sub>): void {
  while (!r.atEnd) {
    const at = r.pos;
    const code = r.uleb();
    if (code === 0) continue; // the end of a list of children
    const a = abbrevs.get(code);
    if (!a) throw new DwarfError(`unknown abbreviation ${code} at 0x${at.toString(16)}`);
    const sub: Sub | undefined = a.tag === DW_TAG_subprogram ? {} : undefined;
    for (const { name, form, implicit } of a.attrs) {
      const v = readForm(r, form, u, s, implicit);
      if (!sub) continue;
      if (name === DW_AT_name && typeof v === 'string') sub.name = v;
      else if (name === DW_AT_low_pc && typeof v === 'number') sub.lowPc = v;
      else if (name === DW_AT_high_pc && typeof v === 'number') sub.high = { value: v, isOffset: form !== 0x01 };
      else if (name === DW_AT_decl_line && typeof v === 'number') sub.declLine = v;
      else if ((name === DW_AT_abstract_origin || name === DW_AT_specification) && typeof v === 'number') sub.origin = v;
    }
    if (sub) subs.set(at, sub);
  }
}
