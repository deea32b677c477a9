/**
 * The Launcher's part (lguest's tools/lguest/lguest.c): put the Guest's
 * kernel in its memory and tell it where it is.
 *
 * The image is an ELF32 i386 executable; each loadable segment goes to its
 * physical address. The Guest finds a Linux-style boot_params page at
 * physical 0 (one e820 entry covering its memory, boot protocol 2.07,
 * hardware_subarch 1 = lguest, KEEP_SEGMENTS, the command line's address)
 * and its command line at 0x1000.
 */
import { Elf32, ImageError } from '../elf';
import { PhysicalMemory } from '../cpu/memory';
import {
  BOOT_PARAMS, CMDLINE_ADDR, BP_E820_ENTRIES, BP_E820_TABLE, BP_VERSION, BP_LOADFLAGS, BP_CMD_LINE_PTR,
  BP_HARDWARE_SUBARCH, BOOT_PROTOCOL, KEEP_SEGMENTS, SUBARCH_LGUEST, PAGE_SIZE, BP_TYPE_OF_LOADER, BP_RAMDISK_IMAGE,
  BP_RAMDISK_SIZE, LOADER_UNDEFINED,
} from './layout';

/** The longest command line that fits its page. */
export const CMDLINE_MAX = PAGE_SIZE - 1;

/** An initial ramdisk for the Guest (`--initrd`): its bytes, and its file's name for messages. */
export interface Initrd {
  data: Uint8Array;
  name: string;
}

/**
 * Load the Guest's kernel, its initrd if any, and the boot information into the first `guestBytes` of (zeroed)
 * memory; returns the entry point.
 */
export function launch(
  mem: PhysicalMemory, guestBytes: number, image: Uint8Array, name: string, cmdline: string, initrd?: Initrd,
): number {
  const isElf = image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
  if (!isElf) throw new ImageError(`${name}: not an ELF file (an lguest Guest is an ELF32 i386 executable)`);
  const elf = new Elf32(image, name);
  const segs = elf.loadSegments;
  if (segs.length === 0) throw new ImageError(`${name}: no loadable segments`);
  const line = new TextEncoder().encode(cmdline);
  if (line.length > CMDLINE_MAX) {
    throw new ImageError(`the command line is ${line.length} bytes; at most ${CMDLINE_MAX} fit`);
  }
  // Guest memory is zero already: fresh, or cleared by the Host for a restart.
  let kernelEnd = 0;
  for (const s of segs) {
    kernelEnd = Math.max(kernelEnd, s.paddr + s.memsz);
    // A segment past 4 GiB needs no check of its own: these are plain numbers, which do not wrap.
    if (s.paddr + s.memsz > guestBytes) {
      const where = `a segment at 0x${s.paddr.toString(16)} of ${s.memsz} bytes`;
      throw new ImageError(`${name}: ${where} does not fit in ${guestBytes >>> 20} MiB of Guest memory`);
    }
    mem.load(s.paddr, image.subarray(s.offset, s.offset + s.filesz));
  }
  // boot_params, with Linux's zero-page offsets.
  mem.write8(BOOT_PARAMS + BP_E820_ENTRIES, 1);
  mem.write32(BOOT_PARAMS + BP_E820_TABLE, 0);        // address (u64)
  mem.write32(BOOT_PARAMS + BP_E820_TABLE + 4, 0);
  mem.write32(BOOT_PARAMS + BP_E820_TABLE + 8, guestBytes); // size (u64)
  mem.write32(BOOT_PARAMS + BP_E820_TABLE + 12, 0);
  mem.write32(BOOT_PARAMS + BP_E820_TABLE + 16, 1);   // type: RAM
  mem.write16(BOOT_PARAMS + BP_VERSION, BOOT_PROTOCOL);
  mem.write8(BOOT_PARAMS + BP_LOADFLAGS, KEEP_SEGMENTS);
  mem.write32(BOOT_PARAMS + BP_CMD_LINE_PTR, CMDLINE_ADDR);
  mem.write32(BOOT_PARAMS + BP_HARDWARE_SUBARCH, SUBARCH_LGUEST);
  mem.load(CMDLINE_ADDR, line);
  if (initrd !== undefined) loadInitrd(mem, guestBytes, kernelEnd, initrd);
  return elf.entry;
}

/**
 * load_initrd, as lguest's Launcher: the ramdisk goes at the top of Guest memory, its size rounded up to a
 * page, and boot_params says where (the kernel unpacks it from there, then frees those pages).
 */
function loadInitrd(mem: PhysicalMemory, guestBytes: number, kernelEnd: number, initrd: Initrd): void {
  const size = Math.ceil(initrd.data.length / PAGE_SIZE) * PAGE_SIZE;
  const at = guestBytes - size;
  if (initrd.data.length === 0) throw new ImageError(`${initrd.name}: the initrd is empty`);
  if (at < kernelEnd) {
    const mib = guestBytes >>> 20;
    const what = `an initrd of ${initrd.data.length} bytes`;
    throw new ImageError(`${initrd.name}: ${what} does not fit above the kernel in ${mib} MiB of Guest memory`);
  }
  mem.load(at, initrd.data);
  mem.write32(BOOT_PARAMS + BP_RAMDISK_IMAGE, at);
  mem.write32(BOOT_PARAMS + BP_RAMDISK_SIZE, size);
  mem.write8(BOOT_PARAMS + BP_TYPE_OF_LOADER, LOADER_UNDEFINED);
}
