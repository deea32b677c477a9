/**
 * Hardening item 2: the loaders refuse an image that does not fit, with an ImageError of one line (and the
 * command line with status 64 and that line), instead of throwing something else: a Multiboot a.out-kludge
 * header whose addresses contradict each other, an ELF segment at the very end of 3 GiB, or past 4 GiB.
 * A valid image that fits still loads, also at and above 2 GiB. The images are built here, byte by byte.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../../src/vm/machine';
import { Host } from '../../src/vm/lguest/host';
import { ImageError } from '../../src/vm/elf';
import { MULTIBOOT_MAGIC } from '../../src/vm/multiboot';

const CLI = join(__dirname, '../../dist/cli.js');
/** mov al, 0x21; out 0xf4, al: the bare machine exits with status 0x43. */
const EXIT = [0xb0, 0x21, 0xe6, 0xf4];
const EXIT_STATUS = 0x43;

interface Segment { paddr: number; bytes: number[]; memsz?: number }

/** An ELF32 i386 executable with these loadable segments, and a Multiboot header (no load addresses) if asked. */
function elf(entry: number, segments: Segment[], multiboot = true): Uint8Array {
  const phoff = 52, headerAt = phoff + 32 * segments.length, dataAt = headerAt + (multiboot ? 12 : 0);
  const out = new Uint8Array(dataAt + segments.reduce((n, s) => n + s.bytes.length, 0));
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 3, true); // EM_386
  dv.setUint32(20, 1, true);
  dv.setUint32(24, entry, true);
  dv.setUint32(28, phoff, true);
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, segments.length, true);
  let at = dataAt;
  segments.forEach((s, k) => {
    const ph = phoff + 32 * k;
    for (const [off, v] of [[0, 1], [4, at], [8, s.paddr], [12, s.paddr], [16, s.bytes.length],
      [20, s.memsz ?? s.bytes.length], [24, 7], [28, 0x1000]]) dv.setUint32(ph + off, v, true);
    out.set(s.bytes, at);
    at += s.bytes.length;
  });
  if (multiboot) {
    [MULTIBOOT_MAGIC, 0, -MULTIBOOT_MAGIC >>> 0].forEach((v, k) => dv.setUint32(headerAt + 4 * k, v, true));
  }
  return out;
}

interface AoutHeader { headerAddr: number; loadAddr: number; loadEndAddr: number; bssEndAddr: number; entryAddr: number }

/** A flat image starting with a Multiboot header that gives its load addresses (the a.out kludge). */
function aout(h: AoutHeader, body: number[] | Uint8Array): Uint8Array {
  const out = new Uint8Array(32 + body.length);
  const dv = new DataView(out.buffer);
  const flags = 0x10000;
  const words = [MULTIBOOT_MAGIC, flags, -(MULTIBOOT_MAGIC + flags) >>> 0,
    h.headerAddr, h.loadAddr, h.loadEndAddr, h.bssEndAddr, h.entryAddr];
  words.forEach((v, k) => dv.setUint32(4 * k, v, true));
  out.set(body, 32);
  return out;
}
/** Loaded at 1 MiB: the header, then EXIT. */
const AOUT_OK: AoutHeader = {
  headerAddr: 0x100000, loadAddr: 0x100000, loadEndAddr: 0, bssEndAddr: 0x101000, entryAddr: 0x100020,
};
/** Loaded 12 KiB before the end of 64 MiB: a body of 16 KiB ends past it. */
const AOUT_AT_END: AoutHeader = {
  headerAddr: 0x3ffd000, loadAddr: 0x3ffd000, loadEndAddr: 0, bssEndAddr: 0, entryAddr: 0x3ffd020,
};

const TEMP = mkdtempSync(join(tmpdir(), 'hardening-loaders-'));
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));
function cli(memoryMiB: number, image: Uint8Array, bare = true) {
  const path = join(TEMP, 'kernel.elf');
  writeFileSync(path, image);
  const r = spawnSync(process.execPath, [CLI, 'run', ...(bare ? ['--bare'] : []), '--mem', String(memoryMiB), path],
    { timeout: 60_000 });
  return { status: r.status, stderr: r.stderr.toString().replaceAll(path, 'kernel.elf') };
}

function bootError(boot: () => void): ImageError {
  try {
    boot();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return e as ImageError;
  }
  throw new Error('the image was loaded');
}

/** An ELF kernel of one segment, EXIT at its start. */
function segmentAt(paddr: number, memsz: number, multiboot = true): Uint8Array {
  return elf(paddr, [{ paddr, bytes: EXIT, memsz }], multiboot);
}

const refusedBare: [string, number, Uint8Array, RegExp][] = [
  ['an a.out-kludge header whose bss_end is below its load_end', 64, aout({ ...AOUT_OK, bssEndAddr: 0x100010 }, EXIT),
    /header's bss_end_addr 0x100010 is below the end of what it loads, 0x100024$/],
  ['an a.out-kludge header whose bss_end is below its load_end, which is past the end of memory', 64,
    aout({ ...AOUT_AT_END, bssEndAddr: 0x3fff000 }, new Uint8Array(0x4000)),
    /header's bss_end_addr 0x3fff000 is below the end of what it loads, 0x4001020$/],
  ['an a.out-kludge header whose load_end is below its load_addr', 64,
    aout({ ...AOUT_OK, loadEndAddr: 0xff000 }, EXIT), /header's load_end_addr 0xff000 is below its load_addr 0x100000$/],
  ['an a.out-kludge header whose header_addr is below its load_addr', 64,
    aout({ ...AOUT_OK, headerAddr: 0xff000 }, EXIT), /header's header_addr 0xff000 is below its load_addr 0x100000$/],
  ['an ELF segment that ends where 3 GiB of memory end: no room for the command line', 3072,
    segmentAt(0xbffff000, 0x1000),
    /no room for the command line after the kernel in 3072 MiB of memory$/],
  ['an ELF segment that ends above 3 GiB', 3072, segmentAt(0xbffff000, 0x2000),
    /a segment at 0xbffff000 of 8192 bytes does not fit in 3072 MiB of memory$/],
  ['an ELF segment whose end overflows 32 bits', 3072, segmentAt(0xfffff000, 0x2000),
    /a segment at 0xfffff000 of 8192 bytes does not fit in 3072 MiB of memory$/],
];

describe('hardening item 2: the Multiboot loader refuses what does not fit, in one line', () => {
  for (const [what, memoryMiB, image, message] of refusedBare) {
    it(`${what}: an ImageError`, () => {
      const e = bootError(() => new Machine({ memoryMiB }).bootMultiboot(image, 'kernel.elf'));
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain('\n');
    });

    it(`${what}: lguest-vm says so in one line, with status 64`, () => {
      const r = cli(memoryMiB, image);
      expect(r.stderr).toMatch(/^lguest-vm: kernel\.elf: [^\n]*\n$/);
      expect(r.stderr.trimEnd()).toMatch(message);
      expect(r.status).toBe(64);
    });
  }
});

describe('hardening item 2: a valid image that fits still loads and runs', () => {
  const nops = (n: number): number[] => new Array(n).fill(0x90);
  const fits: [string, number, Uint8Array][] = [
    ['an a.out-kludge image at 1 MiB', 64, aout(AOUT_OK, EXIT)],
    ['an ELF segment that ends at 2 GiB', 3072,
      elf(0x7ffffffc, [{ paddr: 0x7ffff000, bytes: [...nops(0xffc), ...EXIT] }])],
    ['an ELF segment above 2 GiB', 3072, segmentAt(0x80000000, 0x3000)],
  ];
  for (const [what, memoryMiB, image] of fits) {
    it(what, () => {
      const m = new Machine({ memoryMiB });
      m.bootMultiboot(image, 'kernel.elf');
      expect(m.run(10_000)).toEqual({ kind: 'exit', status: EXIT_STATUS });
    });
  }

  it('lguest-vm runs the one above 2 GiB with --mem 3072', () => {
    expect(cli(3072, fits[2][2])).toEqual({ status: EXIT_STATUS, stderr: '' });
  });
});

describe('hardening item 2: the lguest Launcher, with 2048 MiB of Guest memory', () => {
  const boot = (image: Uint8Array) => new Host({ memoryMiB: 2048 }).boot(image, 'guest.elf');

  it('loads a segment that ends at 2 GiB', () => {
    const host = new Host({ memoryMiB: 2048 });
    host.boot(segmentAt(0x7ffff000, 0x1000, false), 'guest.elf');
    expect(Array.from(host.mem.slice(0x7ffff000, 4))).toEqual(EXIT);
  });

  it('refuses one that ends past it, or past 4 GiB, in one line', () => {
    const refusal = (paddr: number) =>
      `a segment at 0x${paddr.toString(16)} of 8192 bytes does not fit in 2048 MiB of Guest memory`;
    for (const paddr of [0x7ffff000, 0xfffff000]) {
      expect(bootError(() => boot(segmentAt(paddr, 0x2000, false))).message).toBe(`guest.elf: ${refusal(paddr)}`);
    }
    const r = cli(2048, segmentAt(0xfffff000, 0x2000, false), false);
    expect(r).toEqual({ status: 64, stderr: `lguest-vm: kernel.elf: ${refusal(0xfffff000)}\n` });
  });
});
