/**
 * Address ranges and location lists: where a function, a lexical block or
 * an inlined call has code (DW_AT_low_pc/high_pc or DW_AT_ranges), and
 * which location expression describes a variable at a given pc. DWARF 5's
 * .debug_rnglists and .debug_loclists (DW_RLE_*, DW_LLE_* entries) and
 * DWARF 2-4's .debug_ranges and .debug_loc (pairs of addresses, with base
 * address selection entries).
 */
import { AT, type Die, type Unit } from './dwarfDies';
import { DwarfError, Reader } from './reader';

export interface Range { lo: number; hi: number }

/** The code ranges of an entry, [lo, hi) each; empty when it has none. */
export function rangesOf(die: Die): Range[] {
  const lo = die.address(AT.low_pc);
  if (lo !== undefined && die.has(AT.high_pc)) {
    const hi = die.highPc(lo);
    return hi === undefined ? [] : [{ lo, hi }];
  }
  const at = die.offsetOf(AT.ranges, 'rnglists');
  if (at === undefined) return lo !== undefined ? [{ lo, hi: lo + 1 }] : [];
  try {
    return die.unit.version >= 5 ? rnglist(die.unit, at) : debugRanges(die.unit, at);
  } catch (e) {
    if (e instanceof DwarfError) return [];
    throw e;
  }
}

export function inRanges(ranges: Range[], pc: number): boolean {
  return ranges.some((r) => pc >= r.lo && pc < r.hi);
}

function rnglist(u: Unit, offset: number): Range[] {
  const bytes = u.info.s.rnglists;
  if (bytes === undefined) return [];
  const r = new Reader(bytes, offset);
  const out: Range[] = [];
  let base = u.baseAddress;
  const addrx = (i: number) => u.info.indexedAddress(u, i) ?? 0;
  for (let n = 0; n < 100_000; n++) {
    const kind = r.u8();
    switch (kind) {
      case 0: return out; // end_of_list
      case 1: base = addrx(r.uleb()); break; // base_addressx
      case 2: { const a = addrx(r.uleb()), b = addrx(r.uleb()); out.push({ lo: a, hi: b }); break; } // startx_endx
      case 3: { const a = addrx(r.uleb()); out.push({ lo: a, hi: a + r.uleb() }); break; } // startx_length
      case 4: { const a = r.uleb(), b = r.uleb(); out.push({ lo: base + a, hi: base + b }); break; } // offset_pair
      case 5: base = r.uint(u.addressSize); break; // base_address
      case 6: { const a = r.uint(u.addressSize), b = r.uint(u.addressSize); out.push({ lo: a, hi: b }); break; } // start_end
      case 7: { const a = r.uint(u.addressSize); out.push({ lo: a, hi: a + r.uleb() }); break; } // start_length
      default: throw new DwarfError(`unknown range list entry ${kind}`);
    }
  }
  return out;
}

function debugRanges(u: Unit, offset: number): Range[] {
  const bytes = u.info.s.ranges;
  if (bytes === undefined) return [];
  const r = new Reader(bytes, offset);
  const out: Range[] = [];
  const max = u.addressSize === 4 ? 0xffffffff : 2 ** 64 - 1;
  let base = u.baseAddress;
  for (let n = 0; n < 100_000; n++) {
    const a = r.uint(u.addressSize), b = r.uint(u.addressSize);
    if (a === 0 && b === 0) return out;
    if (a === max) base = b;
    else out.push({ lo: base + a, hi: base + b });
  }
  return out;
}

/** What a location attribute says at pc: an expression, nothing (no entry covers pc), or absent. */
export type LocationAt = { expr: Uint8Array } | { none: true };

/**
 * The location expression of an entry's DW_AT_location (or another
 * location-class attribute) in force at pc: a single expression, or the
 * entry of its location list that covers pc. Undefined when the entry has
 * no such attribute.
 */
export function locationAt(die: Die, at: number, pc: number): LocationAt | undefined {
  const single = die.block(at);
  if (single !== undefined) return { expr: single };
  const offset = die.offsetOf(at, 'loclists');
  if (offset === undefined) return undefined;
  try {
    const found = die.unit.version >= 5 ? loclist(die.unit, offset, pc) : debugLoc(die.unit, offset, pc);
    return found === null ? { none: true } : { expr: found };
  } catch (e) {
    if (e instanceof DwarfError) return { none: true };
    throw e;
  }
}

function loclist(u: Unit, offset: number, pc: number): Uint8Array | null {
  const bytes = u.info.s.loclists;
  if (bytes === undefined) return null;
  const r = new Reader(bytes, offset);
  let base = u.baseAddress;
  const addrx = (i: number) => u.info.indexedAddress(u, i) ?? 0;
  const expr = () => {
    const n = r.uleb(), start = r.pos;
    r.skip(n);
    return bytes.subarray(start, start + n);
  };
  for (let n = 0; n < 100_000; n++) {
    const kind = r.u8();
    let lo: number, hi: number;
    switch (kind) {
      case 0: return null; // end_of_list
      case 1: base = addrx(r.uleb()); continue; // base_addressx
      case 2: lo = addrx(r.uleb()); hi = addrx(r.uleb()); break; // startx_endx
      case 3: lo = addrx(r.uleb()); hi = lo + r.uleb(); break; // startx_length
      case 4: lo = base + r.uleb(); hi = base + r.uleb(); break; // offset_pair
      case 5: { const e = expr(); return e; } // default_location: no other entry covered pc so far
      case 6: base = r.uint(u.addressSize); continue; // base_address
      case 7: lo = r.uint(u.addressSize); hi = r.uint(u.addressSize); break; // start_end
      case 8: lo = r.uint(u.addressSize); hi = lo + r.uleb(); break; // start_length
      case 9: r.uleb(); r.uleb(); continue; // GNU_view_pair: GCC's location views, which a stop does not need
      default: throw new DwarfError(`unknown location list entry ${kind}`);
    }
    const e = expr();
    if (pc >= lo && pc < hi) return e;
  }
  return null;
}

function debugLoc(u: Unit, offset: number, pc: number): Uint8Array | null {
  const bytes = u.info.s.loc;
  if (bytes === undefined) return null;
  const r = new Reader(bytes, offset);
  const max = u.addressSize === 4 ? 0xffffffff : 2 ** 64 - 1;
  let base = u.baseAddress;
  for (let n = 0; n < 100_000; n++) {
    const a = r.uint(u.addressSize), b = r.uint(u.addressSize);
    if (a === 0 && b === 0) return null;
    if (a === max) { base = b; continue; }
    const len = r.u16(), start = r.pos;
    r.skip(len);
    if (pc >= base + a && pc < base + b) return bytes.subarray(start, start + len);
  }
  return null;
}

/**
 * .debug_aranges: which unit (its .debug_info offset) holds each address range, sorted by address; a
 * small table that finds a pc's unit without reading every unit's root entry. Units it lacks (or a
 * damaged table) are looked for through their roots.
 */
export function readAranges(bytes: Uint8Array): { lo: number; hi: number; unit: number }[] {
  const out: { lo: number; hi: number; unit: number }[] = [];
  const r = new Reader(bytes);
  try {
    while (r.pos + 4 <= bytes.length) {
      const { length, offsetSize } = r.initialLength();
      const end = r.pos + length;
      const version = r.u16();
      const unit = r.uint(offsetSize);
      const addressSize = r.u8(), segmentSize = r.u8();
      if (version !== 2 || (addressSize !== 4 && addressSize !== 8) || segmentSize !== 0) { r.pos = end; continue; }
      // The tuples start at a multiple of twice the address size from the header's start.
      const tuple = 2 * addressSize, start = r.pos - (4 + (offsetSize === 8 ? 8 : 0) + 2 + offsetSize + 2);
      r.pos = start + Math.ceil((r.pos - start) / tuple) * tuple;
      while (r.pos + tuple <= end) {
        const lo = r.uint(addressSize), len = r.uint(addressSize);
        if (lo === 0 && len === 0) break;
        if (len > 0) out.push({ lo, hi: lo + len, unit });
      }
      r.pos = end;
    }
  } catch (e) {
    if (!(e instanceof DwarfError)) throw e;
  }
  return out.sort((a, b) => a.lo - b.lo);
}
