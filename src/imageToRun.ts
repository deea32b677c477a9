/**
 * A kernel image read to be run, not debugged. A Linux vmlinux is 33 MB, of which the Guest runs 2:
 * the rest is its debug information, which only the debugger reads. So of an ELF file this reads the
 * first 8 KiB (the header, and where a Multiboot header must be), the program and section headers,
 * the section names and the loadable segments, into a
 * buffer of the file's size whose other bytes stay zero (the system hands those pages over untouched);
 * anything else (a bzImage, a file too short or not ELF32) is read whole. What the loaders look at
 * is the same byte for byte: Elf32 and its checks see the file's real length.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** A Multiboot header is looked for in a file's first 8 KiB (multiboot.ts). */
const MULTIBOOT_SEARCH = 8192;

export function readImageToRun(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(size);
    const fill = (offset: number, length: number): void => {
      const end = Math.min(size, offset + length);
      for (let at = offset; at < end;) {
        const n = readSync(fd, bytes, at, end - at, at);
        if (n === 0) break;
        at += n;
      }
    };
    fill(0, MULTIBOOT_SEARCH);
    const elf32 = size >= 52 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46 && bytes[4] === 1 && bytes[5] === 1;
    if (!elf32) {
      fill(MULTIBOOT_SEARCH, size);
      return bytes;
    }
    const dv = new DataView(bytes.buffer);
    const phoff = dv.getUint32(28, true), shoff = dv.getUint32(32, true);
    const phentsize = dv.getUint16(42, true), phnum = dv.getUint16(44, true);
    const shentsize = dv.getUint16(46, true), shnum = dv.getUint16(48, true), shstrndx = dv.getUint16(50, true);
    fill(phoff, phnum * phentsize);
    for (let k = 0; k < phnum && phentsize >= 32 && phoff + (k + 1) * phentsize <= size; k++) {
      const o = phoff + k * phentsize;
      if (dv.getUint32(o, true) === 1) fill(dv.getUint32(o + 4, true), dv.getUint32(o + 16, true)); // PT_LOAD: offset, filesz
    }
    if (shoff > 0 && shentsize >= 40) {
      fill(shoff, shnum * shentsize);
      const names = shoff + shstrndx * shentsize;
      if (shstrndx < shnum && names + 40 <= size) fill(dv.getUint32(names + 16, true), dv.getUint32(names + 20, true));
    }
    return bytes;
  } finally {
    closeSync(fd);
  }
}
