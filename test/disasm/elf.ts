/** Just enough of ELF32 (little-endian) for the disassembler tests: sections and symbols. */

export interface ElfSection { name: string; type: number; flags: number; addr: number; offset: number; size: number; data: Uint8Array }
export interface ElfSymbol { name: string; value: number; type: number; bind: number; shndx: number }
export interface Elf { type: number; sections: ElfSection[]; symbols: ElfSymbol[] }

export const SHF_EXECINSTR = 4;
const SHT_SYMTAB = 2, SHT_NOBITS = 8;
export const STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3, STT_FILE = 4;
export const STB_LOCAL = 0, STB_GLOBAL = 1;

export function readElf(buf: Uint8Array): Elf {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0) !== 0x7f454c46 || buf[4] !== 1 || buf[5] !== 1) throw new Error('not a little-endian ELF32 file');
  const u16 = (o: number) => dv.getUint16(o, true), u32 = (o: number) => dv.getUint32(o, true);
  const shoff = u32(0x20), shentsize = u16(0x2e), shnum = u16(0x30), shstrndx = u16(0x32);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return { nameOff: u32(o), type: u32(o + 4), flags: u32(o + 8), addr: u32(o + 12), offset: u32(o + 16), size: u32(o + 20), link: u32(o + 24) };
  });
  const str = (sec: { offset: number }, off: number) => {
    let end = sec.offset + off;
    while (buf[end] !== 0) end++;
    return new TextDecoder().decode(buf.subarray(sec.offset + off, end));
  };
  const sections = raw.map((s) => ({
    name: str(raw[shstrndx], s.nameOff), type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size,
    data: s.type === SHT_NOBITS ? new Uint8Array(0) : buf.subarray(s.offset, s.offset + s.size),
  }));
  const symbols: ElfSymbol[] = [];
  for (const s of raw.filter((r) => r.type === SHT_SYMTAB)) {
    for (let o = s.offset + 16; o < s.offset + s.size; o += 16) {
      symbols.push({ name: str(raw[s.link], u32(o)), value: u32(o + 4), type: buf[o + 12] & 0xf, bind: buf[o + 12] >> 4, shndx: u16(o + 14) });
    }
  }
  return { type: u16(0x10), sections, symbols };
}
