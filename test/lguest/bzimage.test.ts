/**
 * A bzImage, loaded as lguest's Launcher's load_bzimage did: the boot header's "HdrS", setup_sects and
 * code32_start are read; everything after the boot sector and the setup sectors goes at 1 MiB, entered at
 * code32_start. The images are built here: a header and a payload, either of marked bytes (the loader's work,
 * checked in memory) or the hello Guest's segments laid out flat (run under the Host, as its ELF runs).
 * Also boot_params' kernel_alignment, tboot_addr and APM version for both formats, the refusals, each in one
 * line, and the command line's limit of 2047 bytes (Linux's COMMAND_LINE_SIZE, 2048 with its NUL).
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PhysicalMemory } from '../../src/vm/cpu/memory';
import { Elf32, ImageError } from '../../src/vm/elf';
import { launch, CMDLINE_MAX, type Initrd } from '../../src/vm/lguest/launcher';
import { ROOT, guestPath, runGuest } from './helpers';

const MIB = 1024 * 1024;
const HELLO = new Uint8Array(readFileSync(guestPath('hello')));
/** Bytes that say where they came from: the loaded part must be exactly these. */
const PAYLOAD = Uint8Array.from({ length: 5000 }, (_, i) => (i * 13 + 5) & 0xff);

interface BzOptions {
  setupSects?: number;
  code32Start?: number;
  payload?: Uint8Array;
  magic?: string;
}

/** A bzImage: the boot sector and setup sectors (0xee: none of it may be loaded) with the header, then the payload. */
function bzImage({ setupSects = 4, code32Start = 0x100000, payload = PAYLOAD, magic = 'HdrS' }: BzOptions = {}) {
  const start = (setupSects + 1) * 512;
  const out = new Uint8Array(start + payload.length).fill(0xee, 0, start);
  const dv = new DataView(out.buffer);
  out.set(payload, start); // first: with setup_sects 0 the header overlaps it
  out[0x1f1] = setupSects;
  out.set(new TextEncoder().encode(magic), 0x202);
  dv.setUint32(0x214, code32Start, true);
  return out;
}

/** Load into fresh memory of `mib` MiB (all of it the Guest's); returns the memory and the entry. */
function load(image: Uint8Array, opts: { mib?: number; cmdline?: string; initrd?: Initrd } = {}) {
  const mem = new PhysicalMemory((opts.mib ?? 4) * MIB);
  const entry = launch(mem, (opts.mib ?? 4) * MIB, image, 'bz', opts.cmdline ?? '', opts.initrd);
  return { mem, entry };
}

/** The ImageError's message, checked to be one line. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('it was loaded');
}

describe('a bzImage', () => {
  it('goes at 1 MiB from after its setup sectors, and is entered at code32_start', () => {
    for (const setupSects of [1, 4, 30]) {
      const { mem, entry } = load(bzImage({ setupSects, code32Start: 0x100200 }));
      expect(entry).toBe(0x100200);
      expect(mem.slice(0x100000, PAYLOAD.length)).toEqual(PAYLOAD);
      // Nothing of the header or the setup sectors, before or after.
      expect(mem.read8(0x100000 + PAYLOAD.length)).toBe(0);
      expect(mem.read8(0xfffff)).toBe(0);
    }
  });

  it('gets the same boot_params as an ELF kernel, with kernel_alignment 16 MiB, no tboot and no APM', () => {
    for (const image of [bzImage(), HELLO]) {
      const { mem } = load(image, { cmdline: 'console=hvc0' });
      expect(mem.read8(0x1e8)).toBe(1); // e820_entries
      expect([mem.read32(0x2d0 + 8), mem.read32(0x2d0 + 16)]).toEqual([4 * MIB, 1]); // RAM, all of it
      expect(mem.read16(0x206)).toBe(0x207);
      expect(mem.read8(0x211)).toBe(0x40); // KEEP_SEGMENTS
      expect(mem.read32(0x228)).toBe(0x1000);
      expect(mem.read32(0x23c)).toBe(1); // lguest
      expect(mem.read32(0x230)).toBe(0x1000000);
      expect(mem.read32(0x058)).toBe(0);
      expect(mem.read16(0x040)).toBe(0);
      expect(new TextDecoder().decode(mem.slice(0x1000, 13))).toBe('console=hvc0\0');
    }
  });

  it('runs under the Host as its ELF does: the hello Guest, laid out flat at 1 MiB', () => {
    const elf = new Elf32(HELLO, 'hello.elf');
    const segs = elf.loadSegments;
    const flat = new Uint8Array(Math.max(...segs.map((s) => s.paddr + s.filesz)) - 0x100000);
    for (const s of segs) flat.set(HELLO.subarray(s.offset, s.offset + s.filesz), s.paddr - 0x100000);
    const cmdline = 'console=hvc0 answer=42';
    const asBz = runGuest(bzImage({ code32Start: elf.entry, payload: flat }), { cmdline });
    const asElf = runGuest(HELLO, { cmdline });
    expect(asBz.result).toEqual(asElf.result);
    expect(asBz.result.kind).toBe('poweroff');
    expect(asBz.output).toBe(asElf.output);
    expect(asBz.output).toContain('command line: "console=hvc0 answer=42"');
  });

  it('has its initrd above it: the end of the loaded part is the kernel\'s end', () => {
    // In 2 MiB, a kernel at 1 MiB that leaves one page: an initrd of a page fits there, one byte more does not.
    const kernel = bzImage({ payload: new Uint8Array(MIB - 4096) });
    const { mem } = load(kernel, { mib: 2, initrd: { data: new Uint8Array(4096).fill(7), name: 'initrd' } });
    expect(mem.read32(0x218)).toBe(2 * MIB - 4096);
    const big = { data: new Uint8Array(4097), name: 'initrd' };
    expect(refusal(() => load(kernel, { mib: 2, initrd: big })))
      .toBe('initrd: an initrd of 4097 bytes does not fit above the kernel in 2 MiB of Guest memory');
  });
});

describe('a bzImage is refused in one line', () => {
  it('when there is no "HdrS": neither an ELF file nor a bzImage', () => {
    const none = 'bz: not an ELF file or a bzImage (no "HdrS" boot header)';
    for (const image of [new Uint8Array(0), new Uint8Array(3), new Uint8Array(0x205), bzImage({ magic: 'HdrZ' })]) {
      expect(refusal(() => load(image))).toBe(none);
    }
  });

  it('when the file ends inside the boot header, or before its protected-mode part', () => {
    expect(refusal(() => load(bzImage().subarray(0, 0x210))))
      .toBe('bz: a bzImage of 528 bytes ends inside its boot header (536 bytes)');
    expect(refusal(() => load(bzImage({ setupSects: 4, payload: new Uint8Array(0) }))))
      .toBe('bz: the bzImage ends at 2560 bytes, before its protected-mode part at 2560 (setup_sects 4)');
  });

  it('when setup_sects is 0, which boot.txt reads as 4 and lguest\'s Launcher did not', () => {
    expect(refusal(() => load(bzImage({ setupSects: 0 }))))
      .toBe('bz: the bzImage\'s setup_sects is 0 (boot.txt\'s old "4"): not supported');
  });

  it('when the protected-mode part does not fit in Guest memory: to its last byte, and one byte more', () => {
    expect(load(bzImage({ payload: new Uint8Array(MIB).fill(1) }), { mib: 2 }).mem.read8(2 * MIB - 1)).toBe(1);
    expect(refusal(() => load(bzImage({ payload: new Uint8Array(MIB + 1) }), { mib: 2 })))
      .toBe('bz: the protected-mode part at 0x100000 of 1048577 bytes does not fit in 2 MiB of Guest memory');
  });
});

describe('the command line', () => {
  it('holds 2047 bytes, NUL-terminated, and refuses 2048 (counted in bytes, as UTF-8)', () => {
    expect(CMDLINE_MAX).toBe(2047);
    const { mem } = load(bzImage(), { cmdline: 'x'.repeat(2047) });
    expect(mem.read8(0x1000 + 2046)).toBe(0x78);
    expect(mem.read8(0x1000 + 2047)).toBe(0);
    for (const line of ['x'.repeat(2048), 'é'.repeat(1024)]) {
      expect(refusal(() => load(bzImage(), { cmdline: line })))
        .toBe('the command line is 2048 bytes; Linux takes at most 2047');
      expect(refusal(() => load(HELLO, { cmdline: line })))
        .toBe('the command line is 2048 bytes; Linux takes at most 2047');
    }
  });
});

const TEMP = mkdtempSync(join(tmpdir(), 'lguest-bzimage-'));
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));

describe('lguest-vm run', () => {
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'run', ...args], { encoding: 'utf8' });
    return { status: r.status, stderr: r.stderr };
  };

  it('refuses a command line of 2048 bytes, and an image that is neither, with status 64 and one line', () => {
    expect(cli('--cmdline', 'x'.repeat(2048), guestPath('hello')))
      .toEqual({ status: 64, stderr: 'lguest-vm: the command line is 2048 bytes; Linux takes at most 2047\n' });
    expect(cli('--cmdline', 'x'.repeat(2047), guestPath('hello')).status).toBe(0);
    const file = join(TEMP, 'kernel.bin');
    writeFileSync(file, bzImage({ magic: 'Hdr?' }));
    expect(cli(file))
      .toEqual({ status: 64, stderr: `lguest-vm: ${file}: not an ELF file or a bzImage (no "HdrS" boot header)\n` });
  });
});
