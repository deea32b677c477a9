/**
 * Booting a Multiboot (v1) kernel the way QEMU's `-kernel` does, so the
 * same binary runs on both: the ELF's loadable segments go to their
 * physical addresses (or the a.out-kludge addresses of the header), and the
 * CPU starts in 32-bit protected mode with paging off, flat segments,
 * interrupts off, EAX = 0x2BADB002 and EBX = the Multiboot information.
 */
import { Elf32, ImageError } from './elf';
import type { PhysicalMemory } from './cpu/memory';
import type { Cpu } from './cpu/state';
import { CS, DS, ES, SS, FS, GS } from './cpu/state';

export const MULTIBOOT_MAGIC = 0x1badb002;
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;

/**
 * Where QEMU 7.2's loader puts what it hands the kernel: the information at
 * 0x9500, the memory map at 0x9000, the command line and the boot loader's
 * name in the first page after the kernel. We put them at the same places,
 * with the same contents, so a kernel runs the same instructions on both.
 */
const INFO_ADDR = 0x9500, MMAP_ADDR = 0x9000, GDT_ADDR = 0x9400;

export interface MultibootHeader {
  offset: number;
  flags: number;
  /** Present when flags bit 16 is set (the a.out kludge). */
  headerAddr?: number;
  loadAddr?: number;
  loadEndAddr?: number;
  bssEndAddr?: number;
  entryAddr?: number;
}

/** Find the Multiboot header: 4-byte aligned within the first 8 KiB, with a valid checksum. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | undefined {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let off = 0; off + 12 <= Math.min(image.length, 8192); off += 4) {
    if (dv.getUint32(off, true) !== MULTIBOOT_MAGIC) continue;
    const flags = dv.getUint32(off + 4, true), sum = dv.getUint32(off + 8, true);
    if (((MULTIBOOT_MAGIC + flags + sum) >>> 0) !== 0) continue;
    const h: MultibootHeader = { offset: off, flags };
    if ((flags & 0x10000) !== 0 && off + 32 <= image.length) {
      h.headerAddr = dv.getUint32(off + 12, true);
      h.loadAddr = dv.getUint32(off + 16, true);
      h.loadEndAddr = dv.getUint32(off + 20, true);
      h.bssEndAddr = dv.getUint32(off + 24, true);
      h.entryAddr = dv.getUint32(off + 28, true);
    }
    return h;
  }
  return undefined;
}

/**
 * Load the kernel into memory and set the CPU up at its entry point. The
 * command line is built as QEMU's -kernel builds it: the image's name, a
 * space, the arguments.
 */
export function bootMultiboot(image: Uint8Array, name: string, mem: PhysicalMemory, cpu: Cpu, args: string): void {
  const cmdline = `${name} ${args}`;
  const isElf = image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
  // An ELF file is checked as one first, so a 64-bit or non-i386 image is told so.
  const elf = isElf ? new Elf32(image, name) : null;
  const header = findMultibootHeader(image);
  if (!header) {
    throw new ImageError(isElf
      ? `${name}: no Multiboot header in the first 8 KiB (the bare machine boots Multiboot kernels)`
      : `${name}: not an ELF file, and no Multiboot header in its first 8 KiB`);
  }
  let entry: number, end: number;
  if (header.loadAddr !== undefined) {
    // The a.out kludge: the header says where the file goes. Each address is checked as QEMU checks it.
    const { headerAddr, loadAddr, loadEndAddr, bssEndAddr } = header as Required<MultibootHeader>;
    const hex = (v: number) => `0x${v.toString(16)}`;
    const refuse = (why: string) => new ImageError(`${name}: the Multiboot header's ${why}`);
    if (headerAddr < loadAddr) throw refuse(`header_addr ${hex(headerAddr)} is below its load_addr ${hex(loadAddr)}`);
    if (loadEndAddr !== 0 && loadEndAddr < loadAddr) {
      throw refuse(`load_end_addr ${hex(loadEndAddr)} is below its load_addr ${hex(loadAddr)}`);
    }
    const fileStart = header.offset - (headerAddr - loadAddr);
    const loadEnd = loadEndAddr === 0 ? loadAddr + (image.length - fileStart) : loadEndAddr;
    if (fileStart < 0 || fileStart + (loadEnd - loadAddr) > image.length) throw refuse('load addresses do not fit the file');
    if (bssEndAddr !== 0 && bssEndAddr < loadEnd) {
      throw refuse(`bss_end_addr ${hex(bssEndAddr)} is below the end of what it loads, ${hex(loadEnd)}`);
    }
    const bssEnd = bssEndAddr === 0 ? loadEnd : bssEndAddr;
    place(mem, name, loadAddr, image.subarray(fileStart, fileStart + (loadEnd - loadAddr)), bssEnd - loadAddr);
    entry = header.entryAddr!;
    end = bssEnd;
  } else {
    if (elf === null) throw new ImageError(`${name}: not an ELF file, and its Multiboot header gives no load addresses`);
    const segs = elf.loadSegments;
    if (segs.length === 0) throw new ImageError(`${name}: no loadable segments`);
    for (const s of segs) place(mem, name, s.paddr, image.subarray(s.offset, s.offset + s.filesz), s.memsz);
    entry = elf.entry;
    end = Math.max(...segs.map((s) => s.paddr + s.memsz));
  }
  // Rounded up as a number: (end + 0xfff) & ~0xfff would be negative at or above 2 GiB.
  writeInfo(mem, name, cmdline, Math.ceil(end / 0x1000) * 0x1000);
  setEntryState(mem, cpu, entry);
}

function place(mem: PhysicalMemory, name: string, addr: number, data: Uint8Array, memsz: number): void {
  if (addr < 0 || addr + memsz > mem.size) {
    const where = `a segment at 0x${addr.toString(16)} of ${memsz} bytes`;
    throw new ImageError(`${name}: ${where} does not fit in ${mem.size >>> 20} MiB of memory`);
  }
  mem.load(addr, data);
  mem.bytes.fill(0, addr + data.length, addr + memsz);
}

function writeInfo(mem: PhysicalMemory, name: string, cmdline: string, stringsAt: number): void {
  const w32 = (a: number, v: number) => mem.write32(a, v);
  const enc = new TextEncoder();
  const text = enc.encode(cmdline.slice(0, 2000) + '\0');
  const loader = enc.encode('qemu\0');
  if (stringsAt + text.length + loader.length > mem.size) {
    throw new ImageError(`${name}: no room for the command line after the kernel in ${mem.size >>> 20} MiB of memory`);
  }
  mem.load(stringsAt, text);
  mem.load(stringsAt + text.length, loader);
  // The memory map, as QEMU's e820 table gives it.
  const map = [[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xf0000, 0x10000, 2], [0x100000, mem.size - 0x100000 - 0x20000, 1],
    [mem.size - 0x20000, 0x20000, 2], [0xfffc0000, 0x40000, 2]];
  map.forEach(([base, len, type], k) => {
    const e = MMAP_ADDR + k * 24;
    w32(e, 20); w32(e + 4, base); w32(e + 8, 0); w32(e + 12, len); w32(e + 16, 0); w32(e + 20, type);
  });
  mem.bytes.fill(0, INFO_ADDR, INFO_ADDR + 88);
  // flags: mem_*, boot_device, cmdline, mods (none), mmap, boot_loader_name.
  w32(INFO_ADDR, 0x1 | 0x2 | 0x4 | 0x8 | 0x40 | 0x200);
  // 639 KiB below the EBDA, and everything above 1 MiB but the 128 KiB QEMU reserves at the top.
  w32(INFO_ADDR + 4, 639);
  w32(INFO_ADDR + 8, (mem.size >>> 10) - 1024 - 128);
  w32(INFO_ADDR + 12, 0x8000ffff);
  w32(INFO_ADDR + 16, stringsAt);
  w32(INFO_ADDR + 24, stringsAt);
  w32(INFO_ADDR + 44, map.length * 24);
  w32(INFO_ADDR + 48, MMAP_ADDR);
  w32(INFO_ADDR + 64, stringsAt + text.length);
}

/** Protected mode, flat 4 GiB code (0x08) and data (0x10) segments from a small GDT, no IDT yet. */
function setEntryState(mem: PhysicalMemory, cpu: Cpu, entry: number): void {
  mem.write32(GDT_ADDR, 0); mem.write32(GDT_ADDR + 4, 0);
  mem.write32(GDT_ADDR + 8, 0x0000ffff); mem.write32(GDT_ADDR + 12, 0x00cf9b00);
  mem.write32(GDT_ADDR + 16, 0x0000ffff); mem.write32(GDT_ADDR + 20, 0x00cf9300);
  cpu.gdtr = { sel: 0, base: GDT_ADDR, limit: 0x17, attr: 0 };
  cpu.idtr = { sel: 0, base: 0, limit: 0x3ff, attr: 0 };
  cpu.cr0 = 0x11;
  cpu.setCpl(0);
  cpu.setSegmentCache(CS, 0x08, 0, 0xffffffff, 0xc09b);
  for (const s of [DS, ES, SS, FS, GS]) cpu.setSegmentCache(s, 0x10, 0, 0xffffffff, 0xc093);
  cpu.tr = { sel: 0, base: 0, limit: 0xffff, attr: 0x8b };
  // LDTR as the processor leaves it at reset: a null selector, but usable, base 0, limit 0xFFFF.
  cpu.ldtr = { sel: 0, base: 0, limit: 0xffff, attr: 0x82 };
  // The registers QEMU's option ROM leaves behind: only EAX and EBX mean anything, the rest are as QEMU has them.
  cpu.r32.set([MULTIBOOT_BOOTLOADER_MAGIC, entry, 0x511, INFO_ADDR, 0x6f08, 0, 0, 0x1000]);
  cpu.flagsRaw = 0x6;
  cpu.lazyMask = 0;
  cpu.eip = entry | 0;
}
