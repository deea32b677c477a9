/**
 * The line tables a unit at a time, for the questions about one address (where the debugger
 * stopped, the line of each frame, where a step ends): .debug_aranges says which compilation unit
 * has code at the address, its root entry where its line table is, and only that table is parsed
 * and indexed, once. Linux's vmlinux has 858 line tables (2.6 MB); parsing them all for a first
 * stop took over a second.
 *
 * The answers are those of the index over every table (LineIndex, same rules, same order of
 * units) provided the tables of units listed in .debug_aranges have code only where their
 * aranges say, as compilers and assemblers write them. The tables of units the aranges do not
 * list (Linux has 30: units with no code) are read at the first question and joined to every
 * answer, so they need no such promise.
 */
import { AT, type DwarfInfo } from './dwarfDies';
import { lineUnitSpans, parseLineUnit, lineUnitError, type LineSections, type LineSequence, type LineUnit, type LineUnitSpan } from './dwarfLines';
import { DwarfError } from './reader';
import { LineIndex } from './lineIndex';
import { lastAtOrBelow } from './symbols';

export interface Arange { lo: number; hi: number; unit: number }

export class UnitLines {
  private readonly spans = new Map<number, LineUnitSpan>();
  private readonly parsed = new Map<number, LineUnit | null>();
  /** Indexes by the tables they cover; the same by aranges entry, and for addresses in none. */
  private readonly indexes = new Map<string, LineIndex>();
  private readonly byEntry: (LineIndex | undefined)[] = [];
  private missIndex?: LineIndex;
  private readonly arangeLo: number[];
  /** arangeMaxHi[k]: the largest hi of aranges[0..k], to step back over overlapping entries. */
  private readonly arangeMaxHi: number[];
  /** The line tables of the units that .debug_aranges does not list, by offset. */
  private unlisted?: number[];

  /**
   * Null when the tables cannot be taken a unit at a time faithfully: no aranges, or more line
   * tables than units (some table would belong to no unit the aranges could name).
   */
  static create(sections: LineSections, info: DwarfInfo, aranges: Arange[], keep: (seq: LineSequence) => boolean,
    report: (error: string) => void): UnitLines | null {
    const walk = lineUnitSpans(sections.line);
    if (aranges.length === 0 || walk.spans.length > info.units.length) return null;
    if (walk.error !== undefined) report(walk.error);
    return new UnitLines(sections, info, aranges, walk.spans, keep, report);
  }

  private constructor(private readonly sections: LineSections, private readonly info: DwarfInfo, private readonly aranges: Arange[],
    spans: LineUnitSpan[], private readonly keep: (seq: LineSequence) => boolean, private readonly report: (error: string) => void) {
    for (const s of spans) this.spans.set(s.offset, s);
    this.arangeLo = aranges.map((a) => a.lo);
    let m = 0;
    this.arangeMaxHi = aranges.map((a) => (m = Math.max(m, a.hi)));
  }

  /** The line table at a .debug_line offset, as a whole parse reads it; undefined where that has none. */
  unit(offset: number): LineUnit | undefined {
    let u = this.parsed.get(offset);
    if (u === undefined) {
      const span = this.spans.get(offset);
      u = null;
      if (span !== undefined) {
        try {
          u = parseLineUnit(this.sections, span);
        } catch (e) {
          if (!(e instanceof DwarfError)) throw e;
          this.report(lineUnitError(offset, e));
        }
      }
      this.parsed.set(offset, u);
    }
    return u ?? undefined;
  }

  /** An index over the tables that can have code at addr (the units whose aranges hold it, and the unlisted ones). */
  indexAt(addr: number): LineIndex {
    const covering: number[] = [];
    for (let k = lastAtOrBelow(this.arangeLo, addr); k >= 0 && this.arangeMaxHi[k] > addr; k--) {
      if (addr < this.aranges[k].hi) covering.push(k);
    }
    // A line step asks at every instruction: the usual case (one entry, or none) is one look-up.
    if (covering.length === 0) return (this.missIndex ??= this.indexOf([]));
    if (covering.length === 1) return (this.byEntry[covering[0]] ??= this.indexOf(covering));
    return this.indexOf(covering);
  }

  /** The index over the tables of the units of these aranges entries, with the unlisted tables. */
  private indexOf(entries: number[]): LineIndex {
    const offsets = new Set(this.unlistedTables());
    for (const k of entries) {
      const t = this.tableOf(this.aranges[k].unit);
      if (t !== undefined) offsets.add(t);
    }
    // In .debug_line's order, as the whole index has them: where sequences tie, it is the later that answers.
    const sorted = [...offsets].sort((a, b) => a - b);
    const key = sorted.join(',');
    let index = this.indexes.get(key);
    if (index === undefined) {
      const units = sorted.map((o) => this.unit(o)).filter((u): u is LineUnit => u !== undefined);
      this.indexes.set(key, (index = new LineIndex(units, this.keep)));
    }
    return index;
  }

  /** The .debug_line offset of a .debug_info unit's table (its root's DW_AT_stmt_list). */
  private tableOf(unitOffset: number): number | undefined {
    const at = this.info.unitAt(unitOffset)?.rootEntry().attrs.get(AT.stmt_list);
    return at !== undefined && typeof at.value === 'number' ? at.value : undefined;
  }

  private unlistedTables(): number[] {
    if (this.unlisted === undefined) {
      const listed = new Set(this.aranges.map((a) => a.unit));
      this.unlisted = [];
      for (const u of this.info.units) {
        if (listed.has(u.offset)) continue;
        const t = this.tableOf(u.offset);
        if (t !== undefined) this.unlisted.push(t);
      }
    }
    return this.unlisted;
  }
}
