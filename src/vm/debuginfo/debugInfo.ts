/**
 * Everything the debugger knows about a Guest ELF besides its bytes: where
 * each address came from in the source (.debug_line), where a source line's
 * code is, which symbol an address is in, and how to find a frame's caller
 * (.debug_frame / .eh_frame, else frame pointers). Built once per ELF from
 * its sections; the lookups are binary searches.
 */
import type { Elf32 } from '../elf';
import { CallFrameInfo, type CfiRow, type FrameSection } from './cfi';
import { readFunctionDecls } from './dwarfInfo';
import { DwarfScopes } from './dwarfScopes';
import { AT, type Unit } from './dwarfDies';
import { parseDebugLine, type LineSections, type LineSequence, type LineUnit } from './dwarfLines';
import { LineIndex, type BreakpointLines, type SourceLocation } from './lineIndex';
import { UnitLines } from './unitLines';
import { resolveSource } from './sources';
import { SymbolIndex, type SymbolHit, type SymbolInfo } from './symbols';
import { unwindStep, type FrameRegisters, type Read32, type UnwoundFrame } from './unwind';
import { LINUX_ENTRY_SYMBOLS, unwindPtRegs } from './linuxEntry';

export type { BreakpointLines, SourceLocation, SymbolHit, SymbolInfo, FrameRegisters, Read32, UnwoundFrame, CfiRow };

export interface BacktraceFrame {
  /** The frame's registers; pc is regs.eip. */
  regs: FrameRegisters;
  /** How this frame was found from the one before (absent for the first). */
  method?: UnwoundFrame['method'];
  /** Interrupted by a trap (see UnwoundFrame.trapped): its eip is exact, its source line is the one at eip. */
  trapped?: boolean;
}

const SHF_ALLOC = 2, SHF_EXECINSTR = 4, SHT_NOBITS = 8;

/**
 * An ELF's symbols, line tables and call frame information. The symbols are read at once (a function
 * breakpoint needs nothing else); the line tables and the CFI when first asked for, so a big kernel's (Linux's
 * vmlinux has 33 MB of DWARF 5) cost nothing until a source breakpoint or a stack trace wants them; its
 * .debug_info only for function declaration lines, later still. The line of an address needs only the
 * table of the unit that has code there (unitLines.ts); a breakpoint on file:line needs them all.
 */
export class DebugInfo {
  readonly symbols: SymbolIndex;
  /** DW_AT_decl_line of each function, by entry address; read from .debug_info when first needed. */
  private declLineMap?: Map<number, number>;
  private lineTables?: { units: LineUnit[]; index: LineIndex };
  /** The line tables a unit at a time, for questions about one address; null when they cannot be (see unitLines.ts). */
  private unitLines?: UnitLines | null;
  /** Line table errors already in `errors` (the unit-at-a-time reading and the whole parse meet the same ones). */
  private readonly lineErrors = new Set<string>();
  private allocSections?: { addr: number; size: number }[];
  private frameInfo?: CallFrameInfo;
  private scopes?: DwarfScopes | null;
  /** Parts of the debug information that could not be read (the rest works); filled as each part is read. */
  readonly errors: string[] = [];

  constructor(readonly elf: Elf32) {
    this.symbols = new SymbolIndex(elf.symbols(), elf.sections);
  }

  get lineUnits(): LineUnit[] {
    return this.readLines().units;
  }

  get lines(): LineIndex {
    return this.readLines().index;
  }

  private readLines(): { units: LineUnit[]; index: LineIndex } {
    if (this.lineTables === undefined) {
      const sections = this.lineSections();
      const parsed = sections ? parseDebugLine(sections) : { units: [], errors: [] };
      for (const e of parsed.errors) this.lineError(e);
      this.lineTables = { units: parsed.units, index: new LineIndex(parsed.units, (seq) => this.loaded(seq)) };
    }
    return this.lineTables;
  }

  /**
   * The line index to ask about one address: the whole one once it is built, else one over the
   * tables that can have code there (unitLines.ts), else the whole one.
   */
  private linesAt(addr: number): LineIndex {
    if (this.lineTables !== undefined) return this.lineTables.index;
    const units = this.readUnitLines();
    return units ? units.indexAt(addr) : this.lines;
  }

  private readUnitLines(): UnitLines | null {
    if (this.unitLines === undefined) {
      const sections = this.lineSections(), dwarf = this.dwarf;
      this.unitLines = sections && dwarf
        ? UnitLines.create(sections, dwarf.info, dwarf.arangeTable(), (seq) => this.loaded(seq), (e) => this.lineError(e))
        : null;
    }
    return this.unitLines;
  }

  private lineSections(): LineSections | undefined {
    const line = this.sectionData('.debug_line');
    return line && { line, lineStr: this.sectionData('.debug_line_str'), str: this.sectionData('.debug_str') };
  }

  /**
   * Sequences of code the linker discarded stay in .debug_line at address 0:
   * keep only those that start inside an allocated section.
   */
  private loaded(seq: LineSequence): boolean {
    const alloc = (this.allocSections ??= this.elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0));
    return alloc.length === 0 || alloc.some((s) => seq.start >= s.addr && seq.start < s.addr + s.size);
  }

  private lineError(e: string): void {
    if (this.lineErrors.has(e)) return;
    this.lineErrors.add(e);
    this.errors.push(e);
  }

  get cfi(): CallFrameInfo {
    if (this.frameInfo === undefined) {
      const frames: FrameSection[] = [];
      for (const name of ['.debug_frame', '.eh_frame'] as const) {
        const s = this.elf.section(name);
        const bytes = this.sectionData(name);
        if (s && bytes) frames.push({ name, bytes, address: s.addr });
      }
      this.frameInfo = new CallFrameInfo(frames);
      this.errors.push(...this.frameInfo.errors);
    }
    return this.frameInfo;
  }

  /**
   * The C-level information of .debug_info (types, variables, scopes), or null without it. Only the
   * unit headers are read here; each unit's entries when something in it is first asked for.
   */
  get dwarf(): DwarfScopes | null {
    if (this.scopes === undefined) {
      const s = (name: string) => this.sectionData(name);
      const info = s('.debug_info'), abbrev = s('.debug_abbrev');
      this.scopes = info && abbrev ? new DwarfScopes({
        info, abbrev, str: s('.debug_str'), lineStr: s('.debug_line_str'), strOffsets: s('.debug_str_offsets'),
        addr: s('.debug_addr'), loclists: s('.debug_loclists'), loc: s('.debug_loc'), rnglists: s('.debug_rnglists'),
        ranges: s('.debug_ranges'), aranges: s('.debug_aranges'),
      }, (name) => this.symbols.addressOf(name)) : null;
    }
    return this.scopes;
  }

  /**
   * A file of a unit's line table by its index (DW_AT_call_file, DW_AT_decl_file), as the table names it;
   * undefined if the unit or the index is unknown.
   */
  unitFileName(unit: Unit, index: number): string | undefined {
    const at = unit.rootEntry().attrs.get(AT.stmt_list);
    if (at === undefined || typeof at.value !== 'number') return undefined;
    const offset = at.value;
    const units = this.lineTables === undefined ? this.readUnitLines() : null;
    return (units ? units.unit(offset) : this.lineUnits.find((u) => u.offset === offset))?.files[index];
  }

  /** The source line of an address, or null outside the line tables. */
  lineForAddress(addr: number): SourceLocation | null {
    return this.linesAt(addr >>> 0).lineForAddress(addr);
  }

  /** The statement beginning exactly at addr, or null (see LineIndex.statementAt). */
  statementAt(addr: number): SourceLocation | null {
    return this.linesAt(addr >>> 0).statementAt(addr);
  }

  /**
   * Where a breakpoint on file:line goes (the file as the editor names it,
   * an absolute path, or as the tables do); the line moves down to the next
   * one with code when it has none. See LineIndex.addressesForLine.
   */
  addressesForLine(file: string, line: number): BreakpointLines {
    return this.lines.addressesForLine(file, line, (a) => {
      const fn = this.symbols.functionRange(a);
      // Each inlined copy of a function's body is a place of its own for a breakpoint on its lines.
      const inlined = this.dwarf?.scopeAt(a)?.levels.find((l) => l.inlined);
      return fn && { ...fn, declLine: this.declLines().get(fn.start), instance: inlined?.die.offset };
    });
  }

  /** The lines of a file that a breakpoint can go on. */
  linesWithCode(file: string): number[] {
    return this.lines.linesWithCode(file);
  }

  /** The source files that have code in the line tables, as the tables name them, sorted. */
  sourceFiles(): string[] {
    return this.lines.files().sort();
  }

  /** A line table's file name on disk (see sources.ts), or undefined when no candidate exists. */
  resolveSource(name: string, elfPath: string, extraRoots: string[] = []): string | undefined {
    return resolveSource(name, elfPath, extraRoots);
  }

  symbolAt(addr: number): SymbolHit | null {
    return this.symbols.symbolAt(addr);
  }

  addressOf(name: string): number | undefined {
    return this.symbols.addressOf(name);
  }

  functions(): SymbolInfo[] {
    return this.symbols.functions();
  }

  /** The CFI rules in force at pc, or null where no FDE covers it. */
  cfiRowAt(pc: number): CfiRow | null {
    return this.cfi.rowAt(pc);
  }

  /**
   * The caller's registers. `pc` is where to look the frame's rules up:
   * regs.eip for the innermost frame and for one a trap interrupted,
   * eip - 1 for a caller's (its eip is a return address, which may lie past
   * the end of a function that ends in a call). Null when the caller cannot
   * be found or there is none.
   */
  unwind(pc: number, regs: FrameRegisters, read32: Read32): UnwoundFrame | null {
    pc >>>= 0;
    const sym = this.symbols.symbolAt(pc);
    const entry = sym && sym.kind !== 'object' ? sym.address : undefined;
    // Linux's entry code has no CFI: its frames are found through the pt_regs it pushed.
    if (sym && this.inLinuxEntryText(pc) && LINUX_ENTRY_SYMBOLS.has(sym.name) && !this.cfi.fdeFor(pc)) {
      return unwindPtRegs(sym.name, regs, read32);
    }
    return unwindStep(this.cfi, pc, regs, read32, entry);
  }

  /**
   * The call stack from the given registers, innermost first, up to
   * `maxFrames`. It ends where unwinding fails or the CFI says there is no
   * caller (an undefined return address: a _start), at a return address of
   * 0 or outside this ELF's code, and at a loop (a call's frame must be above
   * its callee's; a trap may come from another stack, but not twice from
   * the same place). A frame a trap interrupted in code this ELF does not
   * have (a user process under Linux) is shown and ends the stack.
   */
  backtrace(regs: FrameRegisters, read32: Read32, maxFrames = 64): BacktraceFrame[] {
    const frames: BacktraceFrame[] = [{ regs }];
    const seen = new Set([`${regs.eip}:${regs.esp}`]);
    let cur: BacktraceFrame = frames[0];
    while (frames.length < maxFrames) {
      const exact = frames.length === 1 || cur.trapped;
      const next = this.unwind(exact ? cur.regs.eip : cur.regs.eip - 1, cur.regs, read32);
      if (!next || next.eip === 0) break;
      const { method, trapped, ...nextRegs } = next;
      const key = `${next.eip}:${next.esp}`;
      if (trapped ? seen.has(key) : next.esp <= cur.regs.esp) break;
      const known = this.isCode(next.eip);
      if (!known && !trapped) break;
      cur = { regs: nextRegs, method, ...(trapped ? { trapped } : {}) };
      frames.push(cur);
      seen.add(key);
      if (!known) break;
    }
    return frames;
  }

  /** Is addr in an executable section of this ELF? (True for an ELF without section headers: nothing to say otherwise.) */
  isCode(addr: number): boolean {
    const code = this.elf.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0 && s.size > 0);
    return code.length === 0 || code.some((s) => addr >>> 0 >= s.addr && addr >>> 0 < s.addr + s.size);
  }

  /** Within Linux's entry code (the ELF has __entry_text_start and __entry_text_end around pc)? */
  private inLinuxEntryText(pc: number): boolean {
    const start = this.symbols.addressOf('__entry_text_start'), end = this.symbols.addressOf('__entry_text_end');
    return start !== undefined && end !== undefined && pc >= start && pc < end;
  }

  /** A section's contents, if it is there and has any in the file. */
  private sectionData(name: string): Uint8Array | undefined {
    const s = this.elf.section(name);
    return s && s.type !== SHT_NOBITS ? this.elf.sectionBytes(s) : undefined;
  }

  private declLines(): Map<number, number> {
    if (this.declLineMap) return this.declLineMap;
    const map = (this.declLineMap = new Map<number, number>());
    const s = (name: string) => this.sectionData(name);
    const info = s('.debug_info'), abbrev = s('.debug_abbrev');
    if (info && abbrev) {
      const decls = readFunctionDecls({ info, abbrev, str: s('.debug_str'), lineStr: s('.debug_line_str') });
      for (const f of decls.functions) if (f.declLine !== undefined) map.set(f.lowPc, f.declLine);
      this.errors.push(...decls.errors);
    }
    return map;
  }
}
