/**
 * The code the debugger can name: the Guest's ELF, and under the Host the
 * Switcher's (its page at 0xFFC00000 and the Host's glue), each with its
 * symbols, line tables and call frame information. An address is looked up
 * in whichever one it belongs to.
 */
import { join } from 'node:path';
import type { Elf32 } from '../vm/elf';
import { DebugInfo, SourceLocation, BreakpointLines } from '../vm/debuginfo/debugInfo';
import { switcherImage } from '../vm/lguest/switcherImage';
import { SWITCHER_ADDR, HOST_TEXT_VIRT } from '../vm/lguest/layout';
import type { Scope } from '../vm/debuginfo/dwarfScopes';
import type { Unit } from '../vm/debuginfo/dwarfDies';

export interface Located extends SourceLocation {
  /** The file on disk, when it can be found. */
  path?: string;
}

interface Program {
  info: DebugInfo;
  elfPath: string;
  owns: (addr: number) => boolean;
  /** The address the ELF's symbols and lines use for code running at addr (see linkedAddress). */
  linked: (addr: number) => number;
}

const SHF_ALLOC = 2;

/**
 * Code that runs at its load (physical) address before paging is on (lguest's
 * linear boot mode: tour's _start at 0x100000, linked at 0xC0100000) is named
 * by its link address: where no section of the ELF lies at addr but a loadable
 * segment was loaded there (p_paddr) from elsewhere than it is linked
 * (p_vaddr), addr moves by the difference. Anywhere else it stays.
 */
export function linkedAddress(elf: Elf32): (addr: number) => number {
  const moved = elf.loadSegments.filter((p) => p.paddr !== p.vaddr);
  if (moved.length === 0) return (a) => a;
  const alloc = elf.sections.filter((s) => (s.flags & SHF_ALLOC) !== 0 && s.size > 0);
  return (addr) => {
    addr >>>= 0;
    if (alloc.some((s) => addr >= s.addr && addr < s.addr + s.size)) return addr;
    const seg = moved.find((p) => addr >= p.paddr && addr < p.paddr + p.memsz);
    return seg ? (addr - seg.paddr + seg.vaddr) >>> 0 : addr;
  };
}

export class Programs {
  private readonly list: Program[] = [];
  private readonly resolved = new Map<string, string | undefined>();

  /**
   * `elf`: the program's symbols and DWARF, from the file at `elfPath` (its sources are looked for from there):
   * the program itself, or launch.json's `symbols`. `repoRoot`: where the Switcher's sources are (this
   * extension's directory).
   */
  constructor(elfPath: string, elf: Elf32, withSwitcher: boolean, private readonly repoRoot: string) {
    if (withSwitcher) {
      const sw = switcherImage();
      this.list.push({
        info: new DebugInfo(sw.elf), elfPath: join(repoRoot, 'src/vm/lguest/switcher/build/switcher.elf'),
        owns: (a) => a >= SWITCHER_ADDR || (a >= HOST_TEXT_VIRT && a < HOST_TEXT_VIRT + 0x1000), linked: (a) => a,
      });
    }
    this.list.push({ info: new DebugInfo(elf), elfPath, owns: () => true, linked: linkedAddress(elf) });
  }

  /** The program an address belongs to. */
  private of(addr: number): Program {
    return this.list.find((p) => p.owns(addr >>> 0))!;
  }

  get program(): DebugInfo {
    return this.list[this.list.length - 1].info;
  }

  lineFor(addr: number): Located | null {
    const p = this.of(addr);
    const loc = p.info.lineForAddress(p.linked(addr));
    if (!loc) return null;
    return { ...loc, path: this.resolve(p, loc.file) };
  }

  /** The statement that begins exactly at addr (where a line step stops), or null. */
  statementAt(addr: number): Located | null {
    const p = this.of(addr);
    const loc = p.info.statementAt(p.linked(addr));
    return loc ? { ...loc, path: this.resolve(p, loc.file) } : null;
  }

  private resolve(p: Program, name: string): string | undefined {
    const key = `${p.elfPath}\0${name}`;
    if (!this.resolved.has(key)) this.resolved.set(key, p.info.resolveSource(name, p.elfPath, [this.repoRoot]));
    return this.resolved.get(key);
  }

  /** Where a breakpoint on file:line goes, in whichever program has that file. */
  breakpointLines(file: string, line: number): BreakpointLines {
    for (const p of [...this.list].reverse()) {
      const r = p.info.addressesForLine(file, line);
      if (r.addresses.length > 0) return r;
    }
    return { line, addresses: [] };
  }

  /** The symbol code at addr is in, its address where that code runs (physical, before paging: see linkedAddress). */
  symbolAt(addr: number): { name: string; offset: number; address: number } | null {
    const p = this.of(addr);
    const hit = p.info.symbolAt(p.linked(addr));
    return hit && { name: hit.name, offset: hit.offset, address: (addr - hit.offset) >>> 0 };
  }

  addressOf(name: string): number | undefined {
    for (const p of [...this.list].reverse()) {
      const a = p.info.addressOf(name);
      if (a !== undefined) return a;
    }
    return undefined;
  }

  /** "name+0x12" for an address, or undefined. */
  symbolize(addr: number): string | undefined {
    const s = this.symbolAt(addr);
    if (!s) return undefined;
    return s.offset === 0 ? s.name : `${s.name}+0x${s.offset.toString(16)}`;
  }

  infoFor(addr: number): DebugInfo {
    return this.of(addr).info;
  }

  /** The address its program's debug information knows code at addr by (its link address, see linkedAddress). */
  linked(addr: number): number {
    return this.of(addr).linked(addr >>> 0);
  }

  /** The C scopes at addr: the function and the inlined calls holding it (dwarfScopes.ts), if there is DWARF for it. */
  scopeAt(addr: number): Scope | undefined {
    const p = this.of(addr);
    return p.info.dwarf?.scopeAt(p.linked(addr >>> 0));
  }

  /** A file of a unit's line table (an inlined call's DW_AT_call_file), as a path on disk if found. */
  unitFile(addr: number, unit: Unit, index: number): { file: string; path?: string } | null {
    const p = this.of(addr);
    const name = p.info.unitFileName(unit, index);
    return name === undefined ? null : { file: name, path: this.resolve(p, name) };
  }
}
