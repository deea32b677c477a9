/**
 * .debug_info as a tree of debugging information entries (DIEs), for what
 * the debugger shows at the C level: types, variables, functions, inlined
 * calls. DWARF 2 to 5, as GCC 12 writes it for our Guests and for Linux.
 *
 * Lazy by unit: opening an ELF reads only the unit headers (Linux's vmlinux
 * has some 2,000 units in 20 MB); a unit's entries are decoded the first
 * time something asks for one of them (an address in it, a reference into
 * it, a name). Attribute values keep their form, and the accessors
 * (`name`, `num`, `ref`, `address`, `block`, `offsetOf`) read each class of
 * value the way the DWARF version of its unit says, including the DWARF 5
 * indexed forms (strx, addrx, loclistx, rnglistx) through the bases in the
 * unit's root entry.
 */
import { DwarfError, Reader, stringAt } from './reader';

export interface DwarfSections {
  info: Uint8Array;
  abbrev: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
  addr?: Uint8Array;
  loclists?: Uint8Array;
  loc?: Uint8Array;
  rnglists?: Uint8Array;
  ranges?: Uint8Array;
  aranges?: Uint8Array;
}

// The tags and attributes used here and by the modules above (dwarfTypes, dwarfScopes).
export const TAG = {
  array_type: 0x01, enumeration_type: 0x04, formal_parameter: 0x05, lexical_block: 0x0b, member: 0x0d,
  pointer_type: 0x0f, compile_unit: 0x11, structure_type: 0x13, subroutine_type: 0x15, typedef: 0x16,
  union_type: 0x17, unspecified_parameters: 0x18, variable: 0x34, inlined_subroutine: 0x1d, subrange_type: 0x21,
  base_type: 0x24, const_type: 0x26, enumerator: 0x28, subprogram: 0x2e, volatile_type: 0x35,
  restrict_type: 0x37, atomic_type: 0x47, partial_unit: 0x3c, call_site: 0x48, GNU_call_site: 0x4109,
} as const;

export const AT = {
  location: 0x02, name: 0x03, byte_size: 0x0b, stmt_list: 0x10, low_pc: 0x11, high_pc: 0x12, language: 0x13,
  comp_dir: 0x1b, const_value: 0x1c, inline: 0x20, upper_bound: 0x2f, abstract_origin: 0x31, count: 0x37,
  data_member_location: 0x38, decl_file: 0x3a, decl_line: 0x3b, declaration: 0x3c, encoding: 0x3e,
  external: 0x3f, frame_base: 0x40, specification: 0x47, type: 0x49, ranges: 0x55, entry_pc: 0x52,
  call_file: 0x58, call_line: 0x59, call_column: 0x57, data_bit_offset: 0x6b, bit_size: 0x0d, bit_offset: 0x0c,
  str_offsets_base: 0x72, addr_base: 0x73, rnglists_base: 0x74, loclists_base: 0x8c, prototyped: 0x27,
} as const;

/** Forms by the class of value they hold. */
const F = {
  addr: 0x01, block2: 0x03, block4: 0x04, data2: 0x05, data4: 0x06, data8: 0x07, string: 0x08, block: 0x09,
  block1: 0x0a, data1: 0x0b, flag: 0x0c, sdata: 0x0d, strp: 0x0e, udata: 0x0f, ref_addr: 0x10, ref1: 0x11,
  ref2: 0x12, ref4: 0x13, ref8: 0x14, ref_udata: 0x15, indirect: 0x16, sec_offset: 0x17, exprloc: 0x18,
  flag_present: 0x19, strx: 0x1a, addrx: 0x1b, ref_sup4: 0x1c, strp_sup: 0x1d, data16: 0x1e, line_strp: 0x1f,
  ref_sig8: 0x20, implicit_const: 0x21, loclistx: 0x22, rnglistx: 0x23, ref_sup8: 0x24, strx1: 0x25,
  strx2: 0x26, strx3: 0x27, strx4: 0x28, addrx1: 0x29, addrx2: 0x2a, addrx3: 0x2b, addrx4: 0x2c,
} as const;

interface AbbrevAttr { name: number; form: number; implicit: number }
export interface Abbrev { tag: number; children: boolean; attrs: AbbrevAttr[] }

/** An attribute as read: its form and the raw value (a number, a string, or a block's bytes). */
export interface Attr { form: number; value: number | string | Uint8Array }

export class Unit {
  private dies?: Die[];
  root?: Die;
  /** DWARF 5 bases, from the root entry (0 when absent: the defaults GCC relies on are past the header). */
  strOffsetsBase = 8;
  addrBase = 8;
  loclistsBase = 12;
  rnglistsBase = 12;
  /** The base address of location and range lists: the unit's DW_AT_low_pc. */
  baseAddress = 0;

  constructor(
    readonly info: DwarfInfo,
    readonly offset: number,
    /** One past the unit's last byte. */
    readonly end: number,
    readonly version: number,
    readonly offsetSize: 4 | 8,
    readonly addressSize: number,
    readonly abbrevOffset: number,
    /** Where the first entry starts. */
    readonly firstDie: number,
  ) {}

  /** Every entry of the unit, in order (decoded on first use). */
  entries(): Die[] {
    if (this.dies === undefined) this.dies = this.info.decodeUnit(this);
    return this.dies;
  }

  /** The root entry (DW_TAG_compile_unit), decoded without the rest of the unit. */
  rootEntry(): Die {
    if (this.root === undefined) this.info.decodeRoot(this);
    return this.root!;
  }
}

export class Die {
  /** Its children in order (one shared empty list for the many entries that have none). */
  children: Die[] = NO_CHILDREN;
  private decoded?: Map<number, Attr>;
  constructor(
    readonly unit: Unit,
    readonly offset: number,
    private readonly abbrev: Abbrev,
    /** Where its attribute values start in .debug_info: they are read when first asked for. */
    private readonly attrAt: number,
    readonly parent: Die | null,
  ) {}

  get tag(): number {
    return this.abbrev.tag;
  }

  /** The attributes, read on first use: a unit's tree is built by stepping over them (Linux has two million entries). */
  get attrs(): Map<number, Attr> {
    if (this.decoded === undefined) this.decoded = this.unit.info.readAttrs(this.unit, this.abbrev, this.attrAt);
    return this.decoded;
  }

  has(at: number): boolean {
    return this.attrs.has(at);
  }

  /** A string attribute (DW_AT_name by default), whatever its form. */
  name(at: number = AT.name): string | undefined {
    const a = this.attrs.get(at);
    if (a === undefined) return undefined;
    if (typeof a.value === 'string') return a.value;
    if (isStrx(a.form) && typeof a.value === 'number') return this.unit.info.indexedString(this.unit, a.value);
    return undefined;
  }

  /** A constant or flag as an unsigned number (sdata and implicit_const signed). */
  num(at: number): number | undefined {
    const a = this.attrs.get(at);
    return a !== undefined && typeof a.value === 'number' && isConstant(a.form) ? a.value : undefined;
  }

  /** A constant of data1/2/4/8 read as a signed number of its size (sdata already is). */
  signed(at: number): number | undefined {
    const a = this.attrs.get(at);
    if (a === undefined || typeof a.value !== 'number') return undefined;
    const v = a.value;
    switch (a.form) {
      case F.data1: return (v << 24) >> 24;
      case F.data2: return (v << 16) >> 16;
      case F.data4: return v | 0;
      case F.data8: return v >= 2 ** 63 ? v - 2 ** 64 : v;
      default: return isConstant(a.form) ? v : undefined;
    }
  }

  /** The entry a reference attribute (DW_AT_type, DW_AT_abstract_origin...) points to. */
  ref(at: number): Die | undefined {
    const a = this.attrs.get(at);
    if (a === undefined || typeof a.value !== 'number' || !isRef(a.form)) return undefined;
    return this.unit.info.dieAt(a.value);
  }

  /** An address attribute (DW_AT_low_pc...), through .debug_addr for addrx forms. */
  address(at: number): number | undefined {
    const a = this.attrs.get(at);
    if (a === undefined || typeof a.value !== 'number') return undefined;
    if (a.form === F.addr) return a.value;
    if (isAddrx(a.form)) return this.unit.info.indexedAddress(this.unit, a.value);
    return undefined;
  }

  /** A block or expression's bytes. */
  block(at: number): Uint8Array | undefined {
    const a = this.attrs.get(at);
    return a !== undefined && a.value instanceof Uint8Array ? a.value : undefined;
  }

  /**
   * The offset in .debug_loclists/.debug_loc (or rnglists/ranges) that a
   * location or ranges attribute names: a sec_offset, a DWARF 2/3 data4, or
   * a DWARF 5 index through the unit's offsets table.
   */
  offsetOf(at: number, kind: 'loclists' | 'rnglists'): number | undefined {
    const a = this.attrs.get(at);
    if (a === undefined || typeof a.value !== 'number') return undefined;
    if (a.form === F.sec_offset || (this.unit.version < 4 && (a.form === F.data4 || a.form === F.data8))) return a.value;
    if (a.form === F.loclistx || a.form === F.rnglistx) return this.unit.info.indexedListOffset(this.unit, a.value, kind);
    return undefined;
  }

  /** DW_AT_high_pc as an address (DWARF 4 and later may give it as a length from low_pc). */
  highPc(lowPc: number): number | undefined {
    const a = this.attrs.get(AT.high_pc);
    if (a === undefined || typeof a.value !== 'number') return undefined;
    if (a.form === F.addr || isAddrx(a.form)) return this.address(AT.high_pc);
    return lowPc + a.value;
  }

  /** The attribute here, or on the entry this one completes or is an instance of (specification, abstract origin). */
  inherited<T>(get: (d: Die) => T | undefined): T | undefined {
    let d: Die | undefined = this;
    for (let hops = 0; d !== undefined && hops < 8; hops++) {
      const v = get(d);
      if (v !== undefined) return v;
      d = d.ref(AT.abstract_origin) ?? d.ref(AT.specification);
    }
    return undefined;
  }
}

const NO_CHILDREN: Die[] = [];
const isStrx = (f: number) => f === F.strx || (f >= F.strx1 && f <= F.strx4) || f === 0x1f02;
const isAddrx = (f: number) => f === F.addrx || (f >= F.addrx1 && f <= F.addrx4) || f === 0x1f01;
const isRef = (f: number) => f === F.ref_addr || (f >= F.ref1 && f <= F.ref_udata);
const isConstant = (f: number) =>
  f === F.data1 || f === F.data2 || f === F.data4 || f === F.data8 || f === F.sdata || f === F.udata ||
  f === F.implicit_const || f === F.flag || f === F.flag_present;

/** The units of a .debug_info section, and the entries in them as they are needed. */
export class DwarfInfo {
  readonly units: Unit[] = [];
  readonly errors: string[] = [];
  private readonly abbrevCache = new Map<number, Map<number, Abbrev>>();

  constructor(readonly s: DwarfSections) {
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
        let abbrevOffset: number, addressSize: number, type = 1;
        if (version >= 5) {
          type = u.u8();
          addressSize = u.u8();
          abbrevOffset = u.uint(offsetSize);
          if (type === 4 || type === 5) u.skip(8); // skeleton / split: dwo_id
          if (type === 2 || type === 6) { u.skip(8); u.uint(offsetSize); } // type units: signature, type offset
        } else {
          abbrevOffset = u.uint(offsetSize);
          addressSize = u.u8();
        }
        if (type === 1 || type === 3) this.units.push(new Unit(this, offset, next, version, offsetSize, addressSize, abbrevOffset, u.pos));
      } catch (e) {
        if (!(e instanceof DwarfError)) throw e;
        this.errors.push(`.debug_info unit at 0x${offset.toString(16)}: ${e.message}`);
        if (next < 0) break;
      }
      r.pos = next;
    }
  }

  /** The unit that holds a section offset (binary search: units are in order). */
  unitAt(offset: number): Unit | undefined {
    let lo = 0, hi = this.units.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, u = this.units[mid];
      if (offset < u.offset) hi = mid - 1;
      else if (offset >= u.end) lo = mid + 1;
      else return u;
    }
    return undefined;
  }

  /** The entry at a section offset, decoding its unit if needed (a unit's entries are in offset order). */
  dieAt(offset: number): Die | undefined {
    const u = this.unitAt(offset);
    if (u === undefined) return undefined;
    const dies = u.entries();
    let lo = 0, hi = dies.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, d = dies[mid];
      if (d.offset === offset) return d;
      if (d.offset < offset) lo = mid + 1; else hi = mid - 1;
    }
    return undefined;
  }

  /** The abbreviations a unit's entries are written with. */
  abbrevs(u: Unit): Map<number, Abbrev> {
    let a = this.abbrevCache.get(u.abbrevOffset);
    if (a === undefined) this.abbrevCache.set(u.abbrevOffset, (a = parseAbbrevs(this.s.abbrev, u.abbrevOffset)));
    return a;
  }

  /** Read the root entry's attributes and the unit's bases from it. */
  decodeRoot(u: Unit): void {
    const r = new Reader(this.s.info, u.firstDie, u.end);
    try {
      const die = this.readDie(r, u, this.abbrevs(u), null);
      if (die === null) throw new DwarfError('the unit has no entries');
      this.setRoot(u, die.die);
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      this.errors.push(`.debug_info unit at 0x${u.offset.toString(16)}: ${e.message}`);
      u.root = new Die(u, u.firstDie, { tag: TAG.compile_unit, children: false, attrs: [] }, u.firstDie, null);
    }
  }

  private setRoot(u: Unit, root: Die): void {
    u.root = root;
    const base = (at: number) => {
      const a = root.attrs.get(at);
      return a !== undefined && typeof a.value === 'number' ? a.value : undefined;
    };
    u.strOffsetsBase = base(AT.str_offsets_base) ?? u.strOffsetsBase;
    u.addrBase = base(AT.addr_base) ?? u.addrBase;
    u.loclistsBase = base(AT.loclists_base) ?? u.loclistsBase;
    u.rnglistsBase = base(AT.rnglists_base) ?? u.rnglistsBase;
    u.baseAddress = root.address(AT.low_pc) ?? 0;
  }

  /** Every entry of a unit, as a tree under its root; a damaged unit keeps what was read before the damage. */
  decodeUnit(u: Unit): Die[] {
    const out: Die[] = [];
    const abbrevs = this.abbrevs(u);
    const r = new Reader(this.s.info, u.firstDie, u.end);
    let parent: Die | null = null;
    try {
      while (!r.atEnd) {
        const read = this.readDie(r, u, abbrevs, parent);
        if (read === null) { // the end of a list of children
          parent = parent === null ? null : (parent as Die).parent;
          continue;
        }
        const { die, children } = read;
        if (out.length === 0) this.setRoot(u, die);
        out.push(die);
        if (parent !== null) {
          if (parent.children === NO_CHILDREN) parent.children = [];
          parent.children.push(die);
        }
        if (children) parent = die;
      }
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      this.errors.push(`.debug_info unit at 0x${u.offset.toString(16)}: ${e.message}`);
    }
    return out;
  }

  private readDie(r: Reader, u: Unit, abbrevs: Map<number, Abbrev>, parent: Die | null): { die: Die; children: boolean } | null {
    const at = r.pos;
    const code = r.uleb();
    if (code === 0) return null;
    const a = abbrevs.get(code);
    if (a === undefined) throw new DwarfError(`unknown abbreviation ${code} at 0x${at.toString(16)}`);
    const attrAt = r.pos;
    for (const { form } of a.attrs) skipForm(r, form, u);
    return { die: new Die(u, at, a, attrAt, parent), children: a.children };
  }

  /** An entry's attribute values, read from where they start. */
  readAttrs(u: Unit, a: Abbrev, at: number): Map<number, Attr> {
    const r = new Reader(this.s.info, at, u.end);
    const attrs = new Map<number, Attr>();
    try {
      for (const { name, form, implicit } of a.attrs) attrs.set(name, this.readForm(r, form, u, implicit));
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      this.errors.push(`.debug_info entry at 0x${at.toString(16)}: ${e.message}`);
    }
    return attrs;
  }

  private readForm(r: Reader, form: number, u: Unit, implicit: number): Attr {
    const s = this.s;
    const v = (value: number | string | Uint8Array): Attr => ({ form, value });
    const bytes = (n: number) => {
      const start = r.pos;
      r.skip(n);
      return r.bytes.subarray(start, start + n);
    };
    switch (form) {
      case F.addr: return v(r.uint(u.addressSize));
      case F.block2: return v(bytes(r.u16()));
      case F.block4: return v(bytes(r.u32()));
      case F.data2: return v(r.u16());
      case F.data4: return v(r.u32());
      case F.data8: return v(r.u64());
      case F.string: return v(r.cstring());
      case F.block: case F.exprloc: return v(bytes(r.uleb()));
      case F.block1: return v(bytes(r.u8()));
      case F.data1: case F.flag: return v(r.u8());
      case F.sdata: return v(r.sleb());
      case F.strp: return v(stringAt(s.str, r.uint(u.offsetSize), '.debug_str'));
      case F.udata: return v(r.uleb());
      case F.ref_addr: return v(r.uint(u.version <= 2 ? u.addressSize : u.offsetSize));
      case F.ref1: return v(u.offset + r.u8());
      case F.ref2: return v(u.offset + r.u16());
      case F.ref4: return v(u.offset + r.u32());
      case F.ref8: return v(u.offset + r.u64());
      case F.ref_udata: return v(u.offset + r.uleb());
      case F.indirect: return this.readForm(r, r.uleb(), u, implicit);
      case F.sec_offset: case F.ref_sup4: case F.strp_sup: return v(r.uint(u.offsetSize));
      case F.flag_present: return v(1);
      case F.strx: case F.addrx: case F.loclistx: case F.rnglistx: return v(r.uleb());
      case F.data16: return v(bytes(16));
      case F.line_strp: return v(stringAt(s.lineStr, r.uint(u.offsetSize), '.debug_line_str'));
      case F.ref_sig8: case F.ref_sup8: r.skip(8); return v(0);
      case F.implicit_const: return v(implicit);
      case F.strx1: case F.addrx1: return v(r.u8());
      case F.strx2: case F.addrx2: return v(r.u16());
      case F.strx3: case F.addrx3: return v(r.u16() | (r.u8() << 16));
      case F.strx4: case F.addrx4: return v(r.u32());
      case 0x1f01: case 0x1f02: return v(r.uleb()); // GNU_addr_index, GNU_str_index
      case 0x1f20: case 0x1f21: r.uint(u.offsetSize); return v(0); // GNU_ref_alt, GNU_strp_alt: in a supplementary file
      default: throw new DwarfError(`unknown form 0x${form.toString(16)}`);
    }
  }

  /** DW_FORM_strx*: the string at .debug_str_offsets[base + index]. */
  indexedString(u: Unit, index: number): string | undefined {
    const table = this.s.strOffsets;
    if (table === undefined) return undefined;
    try {
      const r = new Reader(table, u.strOffsetsBase + index * u.offsetSize);
      return stringAt(this.s.str, r.uint(u.offsetSize), '.debug_str');
    } catch (e) {
      if (e instanceof DwarfError) return undefined;
      throw e;
    }
  }

  /** DW_FORM_addrx*: the address at .debug_addr[base + index]. */
  indexedAddress(u: Unit, index: number): number | undefined {
    if (this.s.addr === undefined) return undefined;
    try {
      return new Reader(this.s.addr, u.addrBase + index * u.addressSize).uint(u.addressSize);
    } catch (e) {
      if (e instanceof DwarfError) return undefined;
      throw e;
    }
  }

  /** DW_FORM_loclistx / rnglistx: the list's offset, from the offsets table after the base. */
  indexedListOffset(u: Unit, index: number, kind: 'loclists' | 'rnglists'): number | undefined {
    const table = kind === 'loclists' ? this.s.loclists : this.s.rnglists;
    const base = kind === 'loclists' ? u.loclistsBase : u.rnglistsBase;
    if (table === undefined) return undefined;
    try {
      return base + new Reader(table, base + index * u.offsetSize).uint(u.offsetSize);
    } catch (e) {
      if (e instanceof DwarfError) return undefined;
      throw e;
    }
  }
}

/** Step over an attribute's value: the tree of a unit is built without reading them. */
export function skipForm(r: Reader, form: number, u: Unit): void {
  switch (form) {
    case F.addr: r.skip(u.addressSize); return;
    case F.block2: r.skip(r.u16()); return;
    case F.block4: r.skip(r.u32()); return;
    case F.data2: case F.ref2: case F.strx2: case F.addrx2: r.skip(2); return;
    case F.data4: case F.ref4: case F.strx4: case F.addrx4: r.skip(4); return;
    case F.data8: case F.ref8: case F.ref_sig8: case F.ref_sup8: r.skip(8); return;
    case F.string: r.cstring(); return;
    case F.block: case F.exprloc: r.skip(r.uleb()); return;
    case F.block1: r.skip(r.u8()); return;
    case F.data1: case F.flag: case F.ref1: case F.strx1: case F.addrx1: r.skip(1); return;
    case F.sdata: r.sleb(); return;
    case F.udata: case F.ref_udata: case F.strx: case F.addrx: case F.loclistx: case F.rnglistx: case 0x1f01: case 0x1f02: r.uleb(); return;
    case F.strp: case F.line_strp: case F.sec_offset: case F.ref_sup4: case F.strp_sup: case 0x1f20: case 0x1f21: r.skip(u.offsetSize); return;
    case F.ref_addr: r.skip(u.version <= 2 ? u.addressSize : u.offsetSize); return;
    case F.indirect: skipForm(r, r.uleb(), u); return;
    case F.flag_present: case F.implicit_const: return;
    case F.data16: r.skip(16); return;
    case F.strx3: case F.addrx3: r.skip(3); return;
    default: throw new DwarfError(`unknown form 0x${form.toString(16)}`);
  }
}

function parseAbbrevs(bytes: Uint8Array, offset: number): Map<number, Abbrev> {
  const r = new Reader(bytes, offset);
  const out = new Map<number, Abbrev>();
  for (let code = r.uleb(); code !== 0; code = r.uleb()) {
    const tag = r.uleb();
    const children = r.u8() !== 0;
    const attrs: AbbrevAttr[] = [];
    for (;;) {
      const name = r.uleb(), form = r.uleb();
      if (name === 0 && form === 0) break;
      attrs.push({ name, form, implicit: form === F.implicit_const ? r.sleb() : 0 });
    }
    out.set(code, { tag, children, attrs });
  }
  return out;
}
