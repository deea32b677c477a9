/**
 * A Multiboot (v1) kernel as the smallest ELF32 QEMU's `-kernel` and our
 * bare machine both accept: the ELF header, one program header, and one
 * PT_LOAD segment with the image's bytes at their physical address. The
 * image must start with its Multiboot header (see multibootHeader), which
 * then sits at file offset 0x1000, inside the first 8 KiB as the
 * specification wants. No section headers: nothing here needs them.
 */
const EHDR = 52, PHDR = 32, DATA_OFFSET = 0x1000;

export const MULTIBOOT_MAGIC = 0x1badb002;

/** The 12-byte Multiboot header: magic, flags 0 (the ELF says where things go), checksum. */
export function multibootHeader(): number[] {
  const words = [MULTIBOOT_MAGIC, 0, (-MULTIBOOT_MAGIC) >>> 0];
  return words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);
}

/** An ELF32 i386 executable loading `image` at `addr` and starting at `entry`. */
export function multibootElf(image: Uint8Array, addr: number, entry: number): Uint8Array {
  const file = new Uint8Array(DATA_OFFSET + image.length);
  const dv = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, 1 /* 32-bit */, 1 /* little-endian */, 1 /* version */], 0);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 3, true); // EM_386
  dv.setUint32(20, 1, true); // EV_CURRENT
  dv.setUint32(24, entry, true);
  dv.setUint32(28, EHDR, true); // program headers right after this header
  dv.setUint16(40, EHDR, true);
  dv.setUint16(42, PHDR, true);
  dv.setUint16(44, 1, true);
  dv.setUint16(46, 40, true); // e_shentsize, though there are no sections

  const ph = EHDR;
  dv.setUint32(ph, 1, true); // PT_LOAD
  dv.setUint32(ph + 4, DATA_OFFSET, true);
  dv.setUint32(ph + 8, addr, true); // vaddr
  dv.setUint32(ph + 12, addr, true); // paddr: where Multiboot loaders put it
  dv.setUint32(ph + 16, image.length, true);
  dv.setUint32(ph + 20, image.length, true);
  dv.setUint32(ph + 24, 7, true); // RWX
  dv.setUint32(ph + 28, 0x1000, true);

  file.set(image, DATA_OFFSET);
  return file;
}
