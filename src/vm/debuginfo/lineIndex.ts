/**
 * Lookups over the parsed line tables, both ways: from an address to the
 * source line it was compiled from (where the debugger stopped), and from a
 * source line to the addresses where a breakpoint on it goes. Sequences are
 * sorted by start address and rows are in address order within one, so an
 * address takes two binary searches; each file's statement rows are
 * gathered once, sorted by line, at the first question by file.
 */
import type { LineRow, LineSequence, LineUnit } from './dwarfLines';
import { components, matchScore } from './paths';
import { lastAtOrBelow } from './symbols';

export interface SourceLocation {
  /** As the line table names it, normalized: "kernel/sched.c", "/usr/lib/gcc-cross/.../stdint-gcc.h". */
  file: string;
  line: number;
  column: number;
  /** Where the row begins (the address looked up is at or after it, in the same row). */
  address: number;
  isStmt: boolean;
}

export interface BreakpointLines {
  /** The line asked for, or the next one with code when it has none. */
  line: number;
  /** Ascending; empty when the line (and the rest of its function) has no code. */
  addresses: number[];
}

/** A statement row of one file, for breakpoints. */
interface StmtRow {
  line: number;
  address: number;
  seq: LineSequence;
}

/** The [start, end) of the function containing an address, when the symbols know it, and its declaration line if known. */
/**
 * The function an address is in: its range, its declaration line, and which inlined copy of another
 * function's body the address belongs to (`instance`: a line of an inlined function has code in each copy).
 */
export type FunctionRange = (addr: number) => { start: number; end: number; declLine?: number; instance?: number } | undefined;

export class LineIndex {
  private readonly seqs: LineSequence[];
  private readonly seqStart: number[];
  /** maxEnd[k]: the largest end of seqs[0..k]; lets a lookup step back over overlapping sequences. */
  private readonly maxEnd: number[];
  /** Each file's statement rows, gathered when a question by file first needs them (an address needs none). */
  private byFileMap?: Map<string, { parts: string[]; rows: StmtRow[] }>;

  /** `keep` drops sequences that describe no loaded code (those of sections the linker threw away, left at 0). */
  constructor(units: LineUnit[], keep: (seq: LineSequence) => boolean = () => true) {
    this.seqs = units.flatMap((u) => u.sequences).filter((s) => s.end > s.start && keep(s)).sort((a, b) => a.start - b.start);
    this.seqStart = this.seqs.map((s) => s.start);
    let m = 0;
    this.maxEnd = this.seqs.map((s) => (m = Math.max(m, s.end)));
  }

  private get byFile(): Map<string, { parts: string[]; rows: StmtRow[] }> {
    if (this.byFileMap) return this.byFileMap;
    const byFile = (this.byFileMap = new Map<string, { parts: string[]; rows: StmtRow[] }>());
    for (const seq of this.seqs) {
      const rows = seq.rows;
      for (let k = 0; k + 1 < rows.length; k++) {
        const r = rows[k];
        // (A row right before the end, at the end's address, covers no code.)
        if (!r.isStmt || (rows[k + 1].endSequence && rows[k + 1].address === r.address)) continue;
        const name = fileName(seq.unit, r);
        let f = byFile.get(name);
        if (!f) byFile.set(name, (f = { parts: components(name), rows: [] }));
        f.rows.push({ line: r.line, address: r.address, seq });
      }
    }
    for (const f of byFile.values()) f.rows.sort((a, b) => a.line - b.line || a.address - b.address);
    return byFile;
  }

  /** Every file with statement rows, as named in the tables. */
  files(): string[] {
    return [...this.byFile.keys()];
  }

  /** The sequence covering addr, if any. */
  sequenceAt(addr: number): LineSequence | undefined {
    for (let k = lastAtOrBelow(this.seqStart, addr); k >= 0 && this.maxEnd[k] > addr; k--) {
      if (addr < this.seqs[k].end) return this.seqs[k];
    }
    return undefined;
  }

  /**
   * The row in effect at addr: the last one at or before it in its
   * sequence (where several rows share an address, the last, as addr2line
   * reports). Null outside every sequence.
   */
  lineForAddress(addr: number): SourceLocation | null {
    addr >>>= 0;
    const seq = this.sequenceAt(addr);
    if (!seq) return null;
    const rows = seq.rows;
    const r = rows[firstRowAfter(rows, addr) - 1];
    return { file: fileName(seq.unit, r), line: r.line, column: r.column, address: r.address, isStmt: r.isStmt };
  }

  /**
   * The statement that begins exactly at addr: the last is_stmt row at that
   * address (optimized code stacks several rows on one address; the
   * statement row is where a line step stops, as gdb's does). Null where no
   * statement begins.
   */
  statementAt(addr: number): SourceLocation | null {
    addr >>>= 0;
    const seq = this.sequenceAt(addr);
    if (!seq) return null;
    const rows = seq.rows;
    for (let k = firstRowAfter(rows, addr) - 1; k >= 0 && rows[k].address === addr; k--) {
      const r = rows[k];
      if (r.isStmt) return { file: fileName(seq.unit, r), line: r.line, column: r.column, address: r.address, isStmt: true };
    }
    return null;
  }

  /**
   * The files of the tables that a path names: those it ends with (or that
   * end with it) component by component; failing that, the ones sharing the
   * longest tail with it (at least the file name).
   */
  matchFiles(path: string): string[] {
    const q = components(path);
    let best = 0;
    let out: string[] = [];
    for (const [name, f] of this.byFile) {
      const s = matchScore(q, f.parts);
      if (s === 0 || s < best) continue;
      if (s > best) { best = s; out = []; }
      out.push(name);
    }
    return out;
  }

  /** The lines of a file that have code (statement rows), ascending. */
  linesWithCode(path: string): number[] {
    const lines = new Set<number>();
    for (const name of this.matchFiles(path)) for (const r of this.byFile.get(name)!.rows) lines.add(r.line);
    return [...lines].sort((a, b) => a - b);
  }

  /**
   * Where a breakpoint on path:line goes. The statement rows of that line,
   * one address per function (the lowest: optimized code scatters a line
   * over several places, and a breakpoint should stop once per execution,
   * as gdb's does); a line with no code moves to the next line that has,
   * provided that line's function is declared at or before the line asked
   * for, as in gdb (a function's signature line moves to its first line, a
   * comment between two C functions gets nothing).
   */
  addressesForLine(path: string, line: number, functionRange: FunctionRange = () => undefined): BreakpointLines {
    // In each matching file, the rows of the first line >= the one asked for.
    let actual = Infinity;
    let hits: StmtRow[] = [];
    for (const name of this.matchFiles(path)) {
      const rows = this.byFile.get(name)!.rows;
      let lo = 0, hi = rows.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (rows[mid].line < line) lo = mid + 1;
        else hi = mid;
      }
      if (lo === rows.length || rows[lo].line > actual) continue;
      if (rows[lo].line < actual) { actual = rows[lo].line; hits = []; }
      for (let k = lo; k < rows.length && rows[k].line === actual; k++) hits.push(rows[k]);
    }
    // gdb's rule for a moved breakpoint: not into a function declared after
    // the line (code without debug information for its functions, such as
    // asm, has no declaration lines and no such limit).
    if (actual !== line) hits = hits.filter((r) => (functionRange(r.address)?.declLine ?? -Infinity) <= line);
    if (hits.length === 0) return { line, addresses: [] };
    const lowest = new Map<string, number>(); // function (or sequence) start, inlined copy -> lowest address
    for (const r of hits) {
      const f = functionRange(r.address);
      const key = `${f?.start ?? r.seq.start}/${f?.instance ?? ''}`;
      const known = lowest.get(key);
      if (known === undefined || r.address < known) lowest.set(key, r.address);
    }
    return { line: actual, addresses: [...lowest.values()].sort((a, b) => a - b) };
  }
}

function fileName(unit: LineUnit, r: LineRow): string {
  return unit.files[r.fileIndex] ?? `<file ${r.fileIndex} of line table 0x${unit.offset.toString(16)}>`;
}

/**
 * The index of the first row past addr in a sequence that covers it (the
 * end_sequence row at the latest, as addr < its address): the row in
 * effect at addr is the one before.
 */
function firstRowAfter(rows: { address: number }[], addr: number): number {
  let lo = 0, hi = rows.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid].address <= addr) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
