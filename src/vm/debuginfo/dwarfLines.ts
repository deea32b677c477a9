/**
 * A parser for .debug_line, the DWARF line-number program (versions 2 to 5):
 * each unit's header (with its directory and file tables; version 5 describes
 * their entries with a list of content types and forms), then the program of
 * standard, extended and special opcodes, run through the DWARF state
 * machine. The result is, per unit, its file names (resolved against its
 * directories) and its rows grouped by sequence: one sequence is one
 * contiguous range of code, ended by a row with endSequence set, whose
 * address is the first byte past the range.
 *
 * Strings may live in the section itself or in .debug_line_str / .debug_str
 * (DW_FORM_line_strp / DW_FORM_strp), so the caller passes those too.
 */
import { joinPath } from './paths';
import { DwarfError, Reader, stringAt } from './reader';

export interface LineRow {
  address: number;
  /** Index into the unit's `files` (1-based in DWARF 2-4, 0-based in 5, as written). */
  fileIndex: number;
  line: number;
  column: number;
  isStmt: boolean;
  endSequence: boolean;
}

export interface LineSequence {
  /** Address of the first row; `end` is the end_sequence row's, one past the code. */
  start: number;
  end: number;
  /** In program order, which DWARF makes nondecreasing in address; the last row is the end_sequence row. */
  rows: LineRow[];
  unit: LineUnit;
}

export interface LineUnit {
  /** Offset of the unit in .debug_line. */
  offset: number;
  version: number;
  /** File names resolved against their directory (and the unit's directory 0), normalized ("kernel/sched.c"); by fileIndex. */
  files: (string | undefined)[];
  sequences: LineSequence[];
}

export interface LineSections {
  /** .debug_line */
  line: Uint8Array;
  /** .debug_line_str (DWARF 5) */
  lineStr?: Uint8Array;
  /** .debug_str */
  str?: Uint8Array;
}

export interface ParsedLines {
  units: LineUnit[];
  /** Units that could not be read, with why; the others are still good. */
  errors: string[];
}

// Line number content types (DWARF 5, 6.2.4.1) and the forms they come in.
const DW_LNCT_path = 1, DW_LNCT_directory_index = 2;
const DW_FORM_block2 = 0x03, DW_FORM_block4 = 0x04, DW_FORM_data2 = 0x05, DW_FORM_data4 = 0x06, DW_FORM_data8 = 0x07;
const DW_FORM_string = 0x08, DW_FORM_block = 0x09, DW_FORM_block1 = 0x0a, DW_FORM_data1 = 0x0b, DW_FORM_sdata = 0x0d;
const DW_FORM_strp = 0x0e, DW_FORM_udata = 0x0f, DW_FORM_data16 = 0x1e, DW_FORM_line_strp = 0x1f;

export function parseDebugLine(sections: LineSections): ParsedLines {
  const units: LineUnit[] = [];
  const errors: string[] = [];
  const walk = lineUnitSpans(sections.line);
  for (const span of walk.spans) {
    try {
      units.push(parseLineUnit(sections, span));
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      errors.push(lineUnitError(span.offset, e));
    }
  }
  if (walk.error !== undefined) errors.push(walk.error);
  return { units, errors };
}

/** Where one unit of .debug_line is: its offset, where its header starts and where it ends. */
export interface LineUnitSpan {
  offset: number;
  start: number;
  end: number;
  offsetSize: 4 | 8;
}

/**
 * The units of .debug_line from their lengths alone, as parseDebugLine meets them: cheap, so one
 * unit can be parsed (parseLineUnit) knowing a whole parse would have reached it. A damaged length
 * ends the walk, as nothing after it can be found; `error` says so.
 */
export function lineUnitSpans(line: Uint8Array): { spans: LineUnitSpan[]; error?: string } {
  const spans: LineUnitSpan[] = [];
  const r = new Reader(line);
  while (r.pos + 4 <= line.length) {
    const offset = r.pos;
    try {
      const { length, offsetSize } = r.initialLength();
      if (r.pos + length > line.length) throw new DwarfError(`unit length ${length} runs past the section`);
      spans.push({ offset, start: r.pos, end: r.pos + length, offsetSize });
      r.pos += length;
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      return { spans, error: lineUnitError(offset, e) };
    }
  }
  return { spans };
}

/** One unit of .debug_line; throws a DwarfError if it cannot be read (parseDebugLine reports it and goes on). */
export function parseLineUnit(sections: LineSections, span: LineUnitSpan): LineUnit {
  return parseUnit(new Reader(sections.line, span.start, span.end), span.offset, span.offsetSize, sections);
}

export function lineUnitError(offset: number, e: Error): string {
  return `.debug_line unit at 0x${offset.toString(16)}: ${e.message}`;
}

interface Header {
  minInstLength: number;
  maxOpsPerInst: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  standardOpcodeLengths: number[];
}

function parseUnit(r: Reader, offset: number, offsetSize: 4 | 8, sections: LineSections): LineUnit {
  const version = r.u16();
  if (version < 2 || version > 5) throw new DwarfError(`unsupported version ${version}`);
  if (version >= 5) {
    r.u8(); // address size: DW_LNE_set_address says it again
    r.u8(); // segment selector size
  }
  const headerLength = r.uint(offsetSize);
  const programStart = r.pos + headerLength;
  const h: Header = {
    minInstLength: r.u8(),
    maxOpsPerInst: version >= 4 ? r.u8() : 1,
    defaultIsStmt: r.u8() !== 0,
    lineBase: r.i8(),
    lineRange: r.u8(),
    opcodeBase: r.u8(),
    standardOpcodeLengths: [],
  };
  if (h.lineRange === 0) throw new DwarfError('line_range is 0');
  if (h.maxOpsPerInst === 0) h.maxOpsPerInst = 1;
  for (let k = 1; k < h.opcodeBase; k++) h.standardOpcodeLengths.push(r.u8());

  const unit: LineUnit = { offset, version, files: [], sequences: [] };
  let dirs: string[];
  if (version >= 5) {
    // Directory 0 is the compilation directory; the others are relative to it unless absolute.
    const raw = entryTable(r, offsetSize, sections).map((e) => e.path ?? '');
    dirs = raw.map((d, k) => (k === 0 ? d : joinPath(raw[0], d)));
    unit.files = entryTable(r, offsetSize, sections).map((e) => (e.path === undefined ? undefined : joinPath(dirs[e.dir] ?? '', e.path)));
  } else {
    // include_directories (1-based; 0 is the compilation directory, which
    // only .debug_info names: the names stay relative to it), then file_names.
    dirs = [''];
    for (let s = r.cstring(); s !== ''; s = r.cstring()) dirs.push(s);
    unit.files.push(undefined); // file 0 does not exist before DWARF 5
    for (let s = r.cstring(); s !== ''; s = r.cstring()) {
      const dir = r.uleb();
      r.uleb(); // modification time
      r.uleb(); // length
      unit.files.push(joinPath(dirs[dir] ?? '', s));
    }
  }
  r.pos = programStart;
  runProgram(r, h, unit, (name, dir) => unit.files.push(joinPath(dirs[dir] ?? '', name)));
  return unit;
}

/** A DWARF 5 directory or file table: a format (content type + form pairs), then the entries. */
function entryTable(r: Reader, offsetSize: 4 | 8, sections: LineSections): { path?: string; dir: number }[] {
  const format: [number, number][] = [];
  for (let n = r.u8(); n > 0; n--) format.push([r.uleb(), r.uleb()]);
  const out: { path?: string; dir: number }[] = [];
  for (let n = r.uleb(); n > 0; n--) {
    const e: { path?: string; dir: number } = { dir: 0 };
    for (const [type, form] of format) {
      const v = formValue(r, form, offsetSize, sections);
      if (type === DW_LNCT_path && typeof v === 'string') e.path = v;
      else if (type === DW_LNCT_directory_index && typeof v === 'number') e.dir = v;
      // timestamp, size, MD5 and vendor types are read past and not kept
    }
    out.push(e);
  }
  return out;
}

/** One attribute value: a string for the string forms, a number for the integer ones, null for blocks. */
function formValue(r: Reader, form: number, offsetSize: 4 | 8, s: LineSections): string | number | null {
  switch (form) {
    case DW_FORM_string: return r.cstring();
    case DW_FORM_line_strp: return stringAt(s.lineStr, r.uint(offsetSize), '.debug_line_str');
    case DW_FORM_strp: return stringAt(s.str, r.uint(offsetSize), '.debug_str');
    case DW_FORM_udata: return r.uleb();
    case DW_FORM_sdata: return r.sleb();
    case DW_FORM_data1: return r.u8();
    case DW_FORM_data2: return r.u16();
    case DW_FORM_data4: return r.u32();
    case DW_FORM_data8: return r.u64();
    case DW_FORM_data16: r.skip(16); return null;
    case DW_FORM_block: r.skip(r.uleb()); return null;
    case DW_FORM_block1: r.skip(r.u8()); return null;
    case DW_FORM_block2: r.skip(r.u16()); return null;
    case DW_FORM_block4: r.skip(r.u32()); return null;
    default: throw new DwarfError(`unsupported form 0x${form.toString(16)} in a directory/file entry`);
  }
}

// Standard opcodes (DWARF 5, 6.2.5.2) and extended ones (6.2.5.3).
const DW_LNS_copy = 1, DW_LNS_advance_pc = 2, DW_LNS_advance_line = 3, DW_LNS_set_file = 4, DW_LNS_set_column = 5;
const DW_LNS_negate_stmt = 6, DW_LNS_set_basic_block = 7, DW_LNS_const_add_pc = 8, DW_LNS_fixed_advance_pc = 9;
const DW_LNS_set_prologue_end = 10, DW_LNS_set_epilogue_begin = 11, DW_LNS_set_isa = 12;
const DW_LNE_end_sequence = 1, DW_LNE_set_address = 2, DW_LNE_define_file = 3, DW_LNE_set_discriminator = 4;

/** Runs the line-number program, appending the unit's sequences. */
function runProgram(r: Reader, h: Header, unit: LineUnit, defineFile: (name: string, dir: number) => void): void {
  let address = 0, opIndex = 0, file = 1, line = 1, column = 0, isStmt = h.defaultIsStmt;
  let rows: LineRow[] = [];
  const reset = () => { address = 0; opIndex = 0; file = 1; line = 1; column = 0; isStmt = h.defaultIsStmt; };
  const emit = (endSequence: boolean) => {
    rows.push({ address, fileIndex: file, line, column, isStmt, endSequence });
    if (endSequence) {
      unit.sequences.push({ start: rows[0].address, end: address, rows, unit });
      rows = [];
    }
  };
  // "operation advance": addresses move in whole instructions, VLIW ops within one (op_index).
  const advance = (n: number) => {
    if (h.maxOpsPerInst === 1) {
      address = (address + h.minInstLength * n) >>> 0;
    } else {
      address = (address + h.minInstLength * Math.floor((opIndex + n) / h.maxOpsPerInst)) >>> 0;
      opIndex = (opIndex + n) % h.maxOpsPerInst;
    }
  };
  while (!r.atEnd) {
    const op = r.u8();
    if (op >= h.opcodeBase) {
      const adj = op - h.opcodeBase;
      advance(Math.floor(adj / h.lineRange));
      line += h.lineBase + (adj % h.lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        const end = r.pos + len;
        if (len === 0) break;
        const sub = r.u8();
        if (sub === DW_LNE_end_sequence) {
          emit(true);
          reset();
        } else if (sub === DW_LNE_set_address) {
          address = r.uint(len - 1) >>> 0; // an i386 address; a wider one keeps its low 32 bits
          opIndex = 0;
        } else if (sub === DW_LNE_define_file) {
          const name = r.cstring();
          defineFile(name, r.uleb());
        } else if (sub === DW_LNE_set_discriminator) {
          r.uleb();
        }
        r.pos = end; // also skips vendor extensions (and whatever a known one left)
        break;
      }
      case DW_LNS_copy: emit(false); break;
      case DW_LNS_advance_pc: advance(r.uleb()); break;
      case DW_LNS_advance_line: line += r.sleb(); break;
      case DW_LNS_set_file: file = r.uleb(); break;
      case DW_LNS_set_column: column = r.uleb(); break;
      case DW_LNS_negate_stmt: isStmt = !isStmt; break;
      case DW_LNS_set_basic_block: break;
      case DW_LNS_const_add_pc: advance(Math.floor((255 - h.opcodeBase) / h.lineRange)); break;
      case DW_LNS_fixed_advance_pc: address = (address + r.u16()) >>> 0; opIndex = 0; break;
      case DW_LNS_set_prologue_end: break;
      case DW_LNS_set_epilogue_begin: break;
      case DW_LNS_set_isa: r.uleb(); break;
      default:
        // A standard opcode this reader does not know: its operand count is in the header.
        for (let k = h.standardOpcodeLengths[op - 1] ?? 0; k > 0; k--) r.uleb();
    }
  }
}
