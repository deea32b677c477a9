/**
 * The Launcher's part (lguest's tools/lguest/lguest.c): put the Guest's
 * kernel in its memory and tell it where it is.
 *
 * The image is an ELF32 i386 executable, each loadable segment at its
 * physical address (map_elf), or else a bzImage, whose protected-mode part
 * goes at 1 MiB and is entered at its code32_start (load_bzimage). The Guest
 * finds a Linux-style boot_params page at physical 0 (one e820 entry covering
 * its memory, boot protocol 2.07, hardware_subarch 1 = lguest, KEEP_SEGMENTS,
 * the command line's address) and its command line at 0x1000.
 */
import { Elf32, ImageError } from '../elf';
import { PhysicalMemory } from '../cpu/memory';
import {
  BOOT_PARAMS, CMDLINE_ADDR, BP_E820_ENTRIES, BP_E820_TABLE, BP_VERSION, BP_LOADFLAGS, BP_CMD_LINE_PTR,
  BP_HARDWARE_SUBARCH, BOOT_PROTOCOL, KEEP_SEGMENTS, SUBARCH_LGUEST, PAGE_SIZE, BP_TYPE_OF_LOADER, BP_RAMDISK_IMAGE,
  BP_RAMDISK_SIZE, LOADER_UNDEFINED, BP_KERNEL_ALIGNMENT, KERNEL_ALIGNMENT, BP_TBOOT_ADDR, BP_APM_BIOS_VERSION,
  BP_SETUP_SECTS, BP_HEADER, BP_CODE32_START, HDRS_MAGIC, BZIMAGE_LOAD_ADDR,
} from './layout';

/**
 * The longest command line: Linux 4.10 i386's COMMAND_LINE_SIZE is 2048 with the NUL, and the Guest would cut a
 * longer line short without a word (its head_32.S copies 2048 bytes, setup_arch keeps 2047), so it is refused.
 */
export const CMDLINE_MAX = 2048 - 1;

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
  const line = new TextEncoder().encode(cmdline);
  if (line.length > CMDLINE_MAX) {
    throw new ImageError(`the command line is ${line.length} bytes; Linux takes at most ${CMDLINE_MAX}`);
  }
  // Guest memory is zero already: fresh, or cleared by the Host for a restart.
  const isElf = image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
  const kernel = isElf ? loadElf(mem, guestBytes, image, name) : loadBzImage(mem, guestBytes, image, name);
  // boot_params, with Linux's zero-page offsets.
  mem.write8(BOOT_PARAMS + BP_E820_ENTRIES, 1);
  mem.write32(BOOT_PARAMS + BP_E820_TABLE, 0);        // address (u64)
  mem.write32(BOOT_PARAMS + BP_E820_TABLE + 4, 0);
  mem.write32(BOOT_PARAMS + BP_E820_TABLE + 8, guestBytes); // size (u64)
  mem.write32(BOOT_PARAMS + BP_E820_TABLE + 12, 0);
  mem.write32(BOOT_PARAMS + BP_E820_TABLE + 16, 1);   // type: RAM
  // A relocatable bzImage rounds where it unpacks itself up to this: 16 MiB, which lguest set for every kernel.
  mem.write32(BOOT_PARAMS + BP_KERNEL_ALIGNMENT, KERNEL_ALIGNMENT);
  mem.write16(BOOT_PARAMS + BP_VERSION, BOOT_PROTOCOL);
  mem.write8(BOOT_PARAMS + BP_LOADFLAGS, KEEP_SEGMENTS);
  mem.write32(BOOT_PARAMS + BP_CMD_LINE_PTR, CMDLINE_ADDR);
  mem.write32(BOOT_PARAMS + BP_HARDWARE_SUBARCH, SUBARCH_LGUEST);
  // No tboot, and APM's version 0 keeps the APM driver away. Zero already, but lguest's Launcher wrote them.
  mem.write32(BOOT_PARAMS + BP_TBOOT_ADDR, 0);
  mem.write16(BOOT_PARAMS + BP_APM_BIOS_VERSION, 0);
  mem.load(CMDLINE_ADDR, line);
  if (initrd !== undefined) loadInitrd(mem, guestBytes, kernel.end, initrd);
  return kernel.entry;
}

/** A kernel in Guest memory: where to enter it, and where it ends (an initrd must go above). */
interface Kernel {
  entry: number;
  end: number;
}

/** map_elf: each loadable segment at its physical address; the entry is the ELF header's. */
function loadElf(mem: PhysicalMemory, guestBytes: number, image: Uint8Array, name: string): Kernel {
  const elf = new Elf32(image, name);
  const segs = elf.loadSegments;
  if (segs.length === 0) throw new ImageError(`${name}: no loadable segments`);
  let end = 0;
  for (const s of segs) {
    end = Math.max(end, s.paddr + s.memsz);
    // A segment past 4 GiB needs no check of its own: these are plain numbers, which do not wrap.
    if (s.paddr + s.memsz > guestBytes) {
      const where = `a segment at 0x${s.paddr.toString(16)} of ${s.memsz} bytes`;
      throw new ImageError(`${name}: ${where} does not fit in ${guestBytes >>> 20} MiB of Guest memory`);
    }
    mem.load(s.paddr, image.subarray(s.offset, s.offset + s.filesz));
  }
  return { entry: elf.entry, end };
}

/**
 * load_bzimage: a bzImage is entered, not loaded, and unpacks itself. Its boot header (boot.txt) says how many
 * sectors of real-mode setup follow the boot sector; everything after them goes at 1 MiB, entered at
 * code32_start. None of the header is copied into boot_params: lguest's Launcher copied none.
 */
function loadBzImage(mem: PhysicalMemory, guestBytes: number, image: Uint8Array, name: string): Kernel {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (image.length < BP_HEADER + 4 || dv.getUint32(BP_HEADER, true) !== HDRS_MAGIC) {
    throw new ImageError(`${name}: not an ELF file or a bzImage (no "HdrS" boot header)`);
  }
  const headerEnd = BP_CODE32_START + 4;
  if (image.length < headerEnd) {
    throw new ImageError(`${name}: a bzImage of ${image.length} bytes ends inside its boot header (${headerEnd} bytes)`);
  }
  const setupSects = image[BP_SETUP_SECTS];
  // boot.txt reads 0 as 4; lguest's Launcher did not, so such a (pre-2.6) header is refused, not misread.
  if (setupSects === 0) throw new ImageError(`${name}: the bzImage's setup_sects is 0 (boot.txt's old "4"): not supported`);
  const start = (setupSects + 1) * 512;
  if (image.length <= start) {
    const where = `ends at ${image.length} bytes, before its protected-mode part at ${start} (setup_sects ${setupSects})`;
    throw new ImageError(`${name}: the bzImage ${where}`);
  }
  const kernel = image.subarray(start);
  // The end of what is loaded: the kernel unpacks itself to 16 MiB later, which only the Guest can check.
  const end = BZIMAGE_LOAD_ADDR + kernel.length;
  if (end > guestBytes) {
    const what = `the protected-mode part at 0x${BZIMAGE_LOAD_ADDR.toString(16)} of ${kernel.length} bytes`;
    throw new ImageError(`${name}: ${what} does not fit in ${guestBytes >>> 20} MiB of Guest memory`);
  }
  mem.load(BZIMAGE_LOAD_ADDR, kernel);
  return { entry: dv.getUint32(BP_CODE32_START, true), end };
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
