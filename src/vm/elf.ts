/**
 * A reader for ELF32 i386 executables: the header, program headers (what to
 * load where), section headers and the symbol table. Anything that is not a
 * well-formed 32-bit little-endian i386 executable is refused with an
 * ImageError that says what is wrong, never a stack trace.
 */
export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

export interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
}
export interface SectionHeader {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}
export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  /** STT_* (0 none, 1 object, 2 function, 3 section, 4 file). */
  type: number;
  /** STB_* (0 local, 1 global, 2 weak). */
  bind: number;
  shndx: number;
}

export const PT_LOAD = 1;
export const SHT_SYMTAB = 2;
export const SHF_EXECINSTR = 4;

export class Elf32 {
  readonly entry: number;
  readonly programHeaders: ProgramHeader[] = [];
  readonly sections: SectionHeader[] = [];

  constructor(readonly bytes: Uint8Array, readonly name = 'image') {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 52 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
      throw new ImageError(`${name}: not an ELF file`);
    }
    if (bytes[4] !== 1) throw new ImageError(`${name}: a ${bytes[4] === 2 ? '64-bit' : 'non-32-bit'} ELF; only 32-bit i386 images run here`);
    if (bytes[5] !== 1) throw new ImageError(`${name}: a big-endian ELF; i386 images are little-endian`);
    const type = dv.getUint16(16, true), machine = dv.getUint16(18, true);
    if (machine !== 3) throw new ImageError(`${name}: ELF for machine ${machine}, not i386 (3)`);
    if (type !== 2) throw new ImageError(`${name}: ELF type ${type} is not an executable (ET_EXEC)`);
    this.entry = dv.getUint32(24, true);
    const phoff = dv.getUint32(28, true), shoff = dv.getUint32(32, true);
    const phentsize = dv.getUint16(42, true), phnum = dv.getUint16(44, true);
    const shentsize = dv.getUint16(46, true), shnum = dv.getUint16(48, true), shstrndx = dv.getUint16(50, true);
    if (phnum > 0 && (phentsize < 32 || phoff + phnum * phentsize > bytes.length)) throw new ImageError(`${name}: program headers run past the end of the file`);
    for (let k = 0; k < phnum; k++) {
      const o = phoff + k * phentsize;
      const ph: ProgramHeader = {
        type: dv.getUint32(o, true), offset: dv.getUint32(o + 4, true), vaddr: dv.getUint32(o + 8, true), paddr: dv.getUint32(o + 12, true),
        filesz: dv.getUint32(o + 16, true), memsz: dv.getUint32(o + 20, true), flags: dv.getUint32(o + 24, true),
      };
      if (ph.type === PT_LOAD && (ph.offset + ph.filesz > bytes.length || ph.filesz > ph.memsz)) {
        throw new ImageError(`${name}: a loadable segment (at 0x${ph.paddr.toString(16)}) runs past the end of the file`);
      }
      this.programHeaders.push(ph);
    }
    if (shnum > 0 && shoff > 0 && shentsize >= 40 && shoff + shnum * shentsize <= bytes.length) {
      const raw = [];
      for (let k = 0; k < shnum; k++) {
        const o = shoff + k * shentsize;
        raw.push({
          nameOff: dv.getUint32(o, true), type: dv.getUint32(o + 4, true), flags: dv.getUint32(o + 8, true), addr: dv.getUint32(o + 12, true),
          offset: dv.getUint32(o + 16, true), size: dv.getUint32(o + 20, true), link: dv.getUint32(o + 24, true), entsize: dv.getUint32(o + 36, true),
        });
      }
      const strtab = raw[shstrndx];
      for (const s of raw) {
        const nm = strtab && strtab.offset + strtab.size <= bytes.length ? cString(bytes, strtab.offset + s.nameOff, strtab.offset + strtab.size) : '';
        this.sections.push({ name: nm, type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size, link: s.link, entsize: s.entsize });
      }
    }
  }

  get loadSegments(): ProgramHeader[] {
    return this.programHeaders.filter((p) => p.type === PT_LOAD && p.memsz > 0);
  }

  section(name: string): SectionHeader | undefined {
    return this.sections.find((s) => s.name === name);
  }

  sectionBytes(s: SectionHeader): Uint8Array {
    return this.bytes.subarray(s.offset, Math.min(this.bytes.length, s.offset + s.size));
  }

  symbols(): ElfSymbol[] {
    const tab = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!tab) return [];
    const str = this.sections[tab.link];
    if (!str) return [];
    const dv = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const out: ElfSymbol[] = [];
    for (let o = tab.offset; o + 16 <= tab.offset + tab.size && o + 16 <= this.bytes.length; o += 16) {
      const info = this.bytes[o + 12];
      out.push({
        name: cString(this.bytes, str.offset + dv.getUint32(o, true), str.offset + str.size),
        value: dv.getUint32(o + 4, true), size: dv.getUint32(o + 8, true), type: info & 0xf, bind: info >> 4, shndx: dv.getUint16(o + 14, true),
      });
    }
    return out;
  }
}

function cString(bytes: Uint8Array, start: number, end: number): string {
  let e = start;
  const lim = Math.min(end, bytes.length);
  while (e < lim && bytes[e] !== 0) e++;
  return new TextDecoder().decode(bytes.subarray(start, e));
}
