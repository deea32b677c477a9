/**
 * Reading `objdump -d` listings, and comparing them line by line with our
 * decoder + disassembler run on the ELF's bytes.
 *
 * The listing says where objdump started each instruction, its bytes and
 * text, and which symbols it printed as labels (objdump never lets an
 * instruction run into the next symbol).
 */
import { decode, NEED_MORE_BYTES } from '../../src/vm/cpu/decoder';
import { Instr } from '../../src/vm/cpu/instr';
import { disassembleWithLength, truncatedText, type Syntax } from '../../src/vm/cpu/disasm';
import { SHF_EXECINSTR, STB_GLOBAL, STB_LOCAL, STT_FILE, STT_FUNC, STT_OBJECT, STT_SECTION, type Elf, type ElfSymbol } from './elf';

export interface ListedInsn {
  section: string;
  address: number;
  bytes: number[];
  text: string;
}

export interface Listing {
  labels: { address: number; name: string }[];
  insns: ListedInsn[];
}

const LABEL = /^([0-9a-f]+) <(.*)>:$/;
const INSN = /^ *([0-9a-f]+):\t([0-9a-f ]+?) *(?:\t(.*))?$/;

export function parseListing(text: string): Listing {
  const labels: { address: number; name: string }[] = [];
  const insns: ListedInsn[] = [];
  let section = '';
  let last: ListedInsn | undefined;
  for (const line of text.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) { section = sec[1]; last = undefined; continue; }
    const label = LABEL.exec(line);
    if (label) { labels.push({ address: parseInt(label[1], 16), name: label[2] }); last = undefined; continue; }
    const m = INSN.exec(line);
    if (!m) continue;
    const address = parseInt(m[1], 16);
    const bytes = m[2].split(' ').map((b) => parseInt(b, 16));
    // A line without text continues the bytes of a long instruction.
    if (m[3] === undefined && last && last.address + last.bytes.length === address) {
      last.bytes.push(...bytes);
    } else {
      last = { section, address, bytes, text: m[3] ?? '' };
      insns.push(last);
    }
  }
  labels.sort((a, b) => a.address - b.address);
  return { labels, insns };
}

/**
 * objdump's `<sym+0x10>` naming of branch targets: the closest symbol at
 * or below the address, among all the file's symbols but section and file
 * names; below every symbol, the first one with a negative offset. Of
 * several symbols at one address it takes one in the section being
 * disassembled, else the first in its sort order (objdump.c,
 * compare_symbols): functions, then objects, globals before locals, names
 * not starting with '.', then by name.
 */
export function symbolizer(elf: Elf, shndx: number): (addr: number) => string | undefined {
  const rank = (s: ElfSymbol) => [
    s.type === STT_FUNC ? 0 : 1, s.type === STT_OBJECT ? 0 : 1, s.bind === STB_LOCAL ? 1 : 0,
    s.bind === STB_GLOBAL ? 0 : 1, s.name.startsWith('.') ? 1 : 0,
  ];
  const order = (a: ElfSymbol, b: ElfSymbol) => {
    if (a.value !== b.value) return a.value - b.value;
    const ra = rank(a), rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  };
  const syms = elf.symbols
    .filter((s) => s.shndx !== 0 && s.name !== '' && s.type !== STT_SECTION && s.type !== STT_FILE)
    .sort(order);
  return (addr) => {
    if (syms.length === 0) return undefined;
    let lo = 0, hi = syms.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (syms[mid].value <= addr) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (best < 0) return `${syms[0].name}-0x${(syms[0].value - addr).toString(16)}`;
    let first = best;
    while (first > 0 && syms[first - 1].value === syms[best].value) first--;
    const ties = syms.slice(first, best + 1);
    const s = ties.find((t) => t.shndx === shndx) ?? ties[0];
    return addr === s.value ? s.name : `${s.name}+0x${(addr - s.value).toString(16)}`;
  };
}

export interface Compared {
  insn: ListedInsn;
  ours: string;
  ourLength: number;
  /** The decoder's own length (differs from ourLength only for `(bad)`; -1: ran out of bytes). */
  decodedLength: number;
}

export function hexBytes(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Decode and print every instruction objdump listed, at objdump's
 * addresses, from the ELF's bytes (which must be the listing's bytes).
 */
export function compareListing(listing: Listing, elf: Elf, syntax: Syntax, code32: boolean): Compared[] {
  const symbolizers = new Map<string, (addr: number) => string | undefined>();
  const labelAddrs = [...new Set(listing.labels.map((l) => l.address))].sort((a, b) => a - b);
  const ins = new Instr(() => {});
  const out: Compared[] = [];
  for (const insn of listing.insns) {
    const sec = elf.sections.find((s) => s.name === insn.section && (s.flags & SHF_EXECINSTR) !== 0);
    if (!sec) throw new Error(`listing section ${insn.section} is not an executable section of the ELF`);
    let symbolize = symbolizers.get(sec.name);
    if (!symbolize) symbolizers.set(sec.name, symbolize = symbolizer(elf, elf.sections.indexOf(sec)));
    const pos = insn.address - sec.addr;
    const listed = hexBytes(insn.bytes), actual = hexBytes(sec.data.subarray(pos, pos + insn.bytes.length));
    if (listed !== actual) throw new Error(`listing does not match the ELF at ${insn.address.toString(16)}: ${listed} vs ${actual}`);
    // objdump disassembles each symbol's range separately.
    const nextLabel = labelAddrs.find((a) => a > insn.address);
    const end = Math.min(sec.data.length, nextLabel === undefined ? sec.data.length : nextLabel - sec.addr);
    const n = decode(sec.data, pos, end, code32, ins);
    if (n === NEED_MORE_BYTES) {
      out.push({ insn, ours: truncatedText(sec.data[pos], code32), ourLength: 1, decodedLength: -1 });
      continue;
    }
    const { text, length } = disassembleWithLength(ins, {
      syntax, address: insn.address, symbolize, code32, bytes: sec.data.subarray(pos, end),
    });
    out.push({ insn, ours: text, ourLength: length, decodedLength: n });
  }
  return out;
}

/** A mismatch for a test message: address, objdump's bytes, our text and objdump's (and the lengths if they differ). */
export function formatMismatch(c: Compared): string {
  const addr = c.insn.address.toString(16);
  const decoded = c.decodedLength !== c.ourLength ? `, decoded ${c.decodedLength}` : '';
  const ours = c.ourLength === c.insn.bytes.length ? c.ours : `${c.ours}  [length ${c.ourLength}${decoded}, objdump ${c.insn.bytes.length}]`;
  return `${addr}: ${hexBytes(c.insn.bytes)}\n    ours:    ${ours}\n    objdump: ${c.insn.text}`;
}
