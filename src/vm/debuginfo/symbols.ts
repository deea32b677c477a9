/**
 * The ELF symbol table as a debugger wants it: which function (or object)
 * an address is in, and where a name is. Sized symbols (C functions and
 * variables, and asm code declared with .type/.size) cover their range;
 * where none covers an address, the nearest label before it in the same
 * section names it (asm labels have size 0: "lguest_noirq_iret+0x4"), and a
 * sized symbol there names nothing past its end.
 * Lookups are binary searches over arrays sorted once.
 */
import type { ElfSymbol, SectionHeader } from '../elf';

export type SymbolKind = 'function' | 'object' | 'label';

export interface SymbolInfo {
  name: string;
  address: number;
  size: number;
  kind: SymbolKind;
  global: boolean;
}

export interface SymbolHit extends SymbolInfo {
  /** addr - address */
  offset: number;
}

const STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2;
const STB_LOCAL = 0;
const SHN_UNDEF = 0, SHN_LORESERVE = 0xff00;
const SHF_ALLOC = 2;

/** Higher is better, for symbols at the same address or covering the same byte. */
function rank(s: SymbolInfo): number {
  const kind = s.kind === 'function' ? 3 : s.kind === 'object' ? 2 : 1;
  const lead = /^_*/.exec(s.name)![0].length; // "__bss_start" is less telling than "kernel_pgdir"
  return kind * 1000 + (s.size > 0 ? 100 : 0) + (s.global ? 10 : 0) - Math.min(lead, 9);
}

export class SymbolIndex {
  /** Disjoint ranges of the address space, each with the best sized symbol covering it. */
  private readonly coverStart: number[] = [];
  private readonly coverEnd: number[] = [];
  private readonly cover: SymbolInfo[] = [];
  /** One symbol per address (the best), sorted, with the allocated section it lies in. */
  private readonly anchorAddr: number[] = [];
  private readonly anchors: { sym: SymbolInfo; section: number }[] = [];
  private readonly byName = new Map<string, SymbolInfo>();
  private readonly funcs: SymbolInfo[];
  private readonly sectionRanges: { start: number; end: number; index: number }[];
  private readonly sectionStarts: number[];

  constructor(symbols: ElfSymbol[], sections: SectionHeader[]) {
    this.sectionRanges = sections
      .map((s, index) => ({ start: s.addr, end: s.addr + s.size, index, alloc: (s.flags & SHF_ALLOC) !== 0 }))
      .filter((s) => s.alloc && s.end > s.start)
      .sort((a, b) => a.start - b.start);
    this.sectionStarts = this.sectionRanges.map((s) => s.start);

    const all: SymbolInfo[] = [];
    for (const e of symbols) {
      if (e.name === '' || e.shndx === SHN_UNDEF) continue;
      if (e.type !== STT_NOTYPE && e.type !== STT_OBJECT && e.type !== STT_FUNC) continue; // FILE, SECTION, TLS...
      const s: SymbolInfo = {
        name: e.name, address: e.value >>> 0, size: e.size,
        kind: e.type === STT_FUNC ? 'function' : e.type === STT_OBJECT ? 'object' : 'label',
        global: e.bind !== STB_LOCAL,
      };
      const known = this.byName.get(s.name);
      if (!known || (s.global && !known.global)) this.byName.set(s.name, s);
      // Absolute symbols (link-script constants such as physical addresses) name no code or data.
      if (e.shndx < SHN_LORESERVE) all.push(s);
    }
    this.funcs = dedupe(all.filter((s) => s.kind === 'function')).sort((a, b) => a.address - b.address);
    this.buildCover(all.filter((s) => s.size > 0));
    this.buildAnchors(all);
  }

  /** Sweeps the sized symbols' start and end points into disjoint ranges, each with its best symbol. */
  private buildCover(sized: SymbolInfo[]): void {
    const points = [...new Set(sized.flatMap((s) => [s.address, s.address + s.size]))].sort((a, b) => a - b);
    const byStart = [...sized].sort((a, b) => a.address - b.address);
    let next = 0;
    let active: SymbolInfo[] = [];
    for (let k = 0; k + 1 < points.length; k++) {
      const from = points[k], to = points[k + 1];
      while (next < byStart.length && byStart[next].address <= from) active.push(byStart[next++]);
      active = active.filter((s) => s.address + s.size > from);
      if (active.length === 0) continue;
      const best = active.reduce((a, b) => (rank(b) > rank(a) || (rank(b) === rank(a) && b.address > a.address) ? b : a));
      const last = this.cover.length - 1;
      if (last >= 0 && this.cover[last] === best && this.coverEnd[last] === from) {
        this.coverEnd[last] = to; // the same symbol goes on
      } else {
        this.coverStart.push(from);
        this.coverEnd.push(to);
        this.cover.push(best);
      }
    }
  }

  private buildAnchors(all: SymbolInfo[]): void {
    const sorted = [...all].sort((a, b) => a.address - b.address || rank(b) - rank(a));
    for (const s of sorted) {
      if (this.anchorAddr.length && this.anchorAddr[this.anchorAddr.length - 1] === s.address) continue; // a better one is there
      const section = this.sectionOf(s.address);
      if (section < 0) continue; // past the end of every section: __bss_end and friends
      this.anchorAddr.push(s.address);
      this.anchors.push({ sym: s, section });
    }
  }

  /** Index (in the ELF's section headers) of the allocated section holding addr, or -1. */
  sectionOf(addr: number): number {
    const k = lastAtOrBelow(this.sectionStarts, addr);
    for (let i = k; i >= 0; i--) {
      const s = this.sectionRanges[i];
      if (addr >= s.start && addr < s.end) return s.index;
    }
    return -1;
  }

  /** The symbol an address belongs to (see the header comment), or null. */
  symbolAt(addr: number): SymbolHit | null {
    addr >>>= 0;
    const c = lastAtOrBelow(this.coverStart, addr);
    if (c >= 0 && addr < this.coverEnd[c]) return hit(this.cover[c], addr);
    const a = lastAtOrBelow(this.anchorAddr, addr);
    if (a < 0) return null;
    const { sym, section } = this.anchors[a];
    // A sized symbol names its own bytes only (what follows a function is not "function+0x6e"); a label names
    // what comes after it, in its section.
    if (sym.size > 0 && addr >= sym.address + sym.size) return null;
    return this.sectionOf(addr) === section ? hit(sym, addr) : null;
  }

  /** A symbol's address (a global one if the name is also local somewhere), absolute symbols included. */
  addressOf(name: string): number | undefined {
    return this.byName.get(name)?.address;
  }

  lookup(name: string): SymbolInfo | undefined {
    return this.byName.get(name);
  }

  /** The function symbols (STT_FUNC), sorted by address. */
  functions(): SymbolInfo[] {
    return this.funcs;
  }

  /** The sized function symbol covering addr: its [start, end). */
  functionRange(addr: number): { start: number; end: number } | undefined {
    const c = lastAtOrBelow(this.coverStart, addr >>> 0);
    if (c < 0 || addr >>> 0 >= this.coverEnd[c] || this.cover[c].kind !== 'function') return undefined;
    const f = this.cover[c];
    return { start: f.address, end: f.address + f.size };
  }
}

function hit(s: SymbolInfo, addr: number): SymbolHit {
  return { ...s, offset: addr - s.address };
}

function dedupe(syms: SymbolInfo[]): SymbolInfo[] {
  const seen = new Set<string>();
  return syms.filter((s) => {
    const key = `${s.name}@${s.address}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Index of the last element <= x in an ascending array, or -1. */
export function lastAtOrBelow(sorted: ArrayLike<number>, x: number): number {
  let lo = 0, hi = sorted.length; // answer in [lo-1, hi-1]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
