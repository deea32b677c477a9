/**
 * Linux 4.10 as a bzImage (../shared/linux/bzImage), loaded as lguest's Launcher loaded one: the Guest unpacks
 * itself to 16 MiB, then boots as its vmlinux does. Without an initrd both end in the same panic ("VFS: Unable to
 * mount root fs"), a power-off carrying its text; the test compares the two runs, not a fixed text, so a Host
 * that gains devices changes both alike. A clone without ../shared/linux skips it, and its name says so.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from '../../src/vm/lguest/host';
import { Elf32 } from '../../src/vm/elf';
import { LHCALL } from '../../src/vm/lguest/layout';
import { LINUX, linuxHas, linuxTitle } from './helpers';

const HERE = linuxHas('bzImage', 'vmlinux');
/** Unpacking (xz) costs about 367 M instructions before the 45 M of the boot itself: room for both, and more. */
const MAX = 600_000_000;

/** A Host with one of the shared kernels loaded, no initrd. */
function boot(file: string): { host: Host; image: Uint8Array } {
  const host = new Host({ memoryMiB: 64 });
  const image = new Uint8Array(readFileSync(join(LINUX, file)));
  // loglevel=0 as ../shared/linux/README.md explains.
  host.boot(image, file, 'loglevel=0');
  return { host, image };
}

describe.skipIf(!HERE)(linuxTitle('Linux as a bzImage', HERE), () => {
  it('unpacks to its vmlinux, then ends as the vmlinux does: the same power-off, the same message', () => {
    const elf = boot('vmlinux');
    const elfResult = elf.host.run(MAX);
    expect(elfResult.kind).toBe('poweroff');

    // Stopped at its first hypercall (lguest_entry's LGUEST_INIT), the unpacked kernel's text is the vmlinux's.
    const bz = boot('bzImage');
    bz.host.observer = { stopAt: (p) => p.kind === 'hypercall' && p.nr === LHCALL.LGUEST_INIT };
    expect(bz.host.run(MAX).kind).toBe('stop');
    const text = new Elf32(elf.image, 'vmlinux').loadSegments[0];
    const unpacked = bz.host.mem.slice(text.paddr, text.filesz);
    expect(Buffer.compare(unpacked, elf.image.subarray(text.offset, text.offset + text.filesz))).toBe(0);

    bz.host.observer = null;
    expect(bz.host.run(MAX - bz.host.cpu.instructions)).toEqual(elfResult);
    // The same boot, after the unpacking's instructions.
    expect(bz.host.cpu.instructions).toBeGreaterThan(elf.host.cpu.instructions);
  });
});
