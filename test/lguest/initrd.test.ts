/**
 * --initrd, as lguest's Launcher loads one: at the top of Guest memory, its size rounded up to a page, with
 * boot_params.hdr's ramdisk_image, ramdisk_size and type_of_loader (0xff) saying so; loaded again at a restart.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host } from '../../src/vm/lguest/host';
import { ImageError } from '../../src/vm/elf';
import { ROOT, guestPath } from './helpers';

const HELLO = new Uint8Array(readFileSync(guestPath('hello')));
const MIB = 1024 * 1024;
/** 5,000 bytes of a pattern: two pages once rounded up. */
const RAMDISK = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7 + 3) & 0xff);

const TEMP = mkdtempSync(join(tmpdir(), 'lguest-initrd-'));
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));

describe('the initrd', () => {
  it('goes at the top of Guest memory, page-rounded, and boot_params says where', () => {
    const h = new Host({ memoryMiB: 8 });
    h.boot(HELLO, 'hello.elf', '', { data: RAMDISK, name: 'ramdisk' });
    const at = 8 * MIB - 8192;
    expect(h.mem.read32(0x218) >>> 0).toBe(at);
    expect(h.mem.read32(0x21c) >>> 0).toBe(8192);
    expect(h.mem.read8(0x210)).toBe(0xff);
    expect(h.mem.slice(at, RAMDISK.length)).toEqual(RAMDISK);
  });

  it('is not there without --initrd: the fields stay zero', () => {
    const h = new Host({ memoryMiB: 8 });
    h.boot(HELLO, 'hello.elf');
    expect([h.mem.read32(0x218), h.mem.read32(0x21c), h.mem.read8(0x210)]).toEqual([0, 0, 0]);
  });

  it('is refused, in one line, when it does not fit above the kernel', () => {
    const h = new Host({ memoryMiB: 2 });
    const big = new Uint8Array(1.5 * MIB);
    expect(() => h.boot(HELLO, 'hello.elf', '', { data: big, name: 'big.cpio' })).toThrow(ImageError);
    expect(() => h.boot(HELLO, 'hello.elf', '', { data: big, name: 'big.cpio' }))
      .toThrow(/^big\.cpio: an initrd of 1572864 bytes does not fit above the kernel in 2 MiB of Guest memory$/);
  });

  it('is loaded again when the Guest restarts', () => {
    const h = new Host({ memoryMiB: 8 });
    let restarts = 0;
    h.onEvent = (e) => { if (e.kind === 'restart') restarts++; };
    h.boot(new Uint8Array(readFileSync(join(ROOT, 'guests/lguest/faults/build/restart.elf'))), 'restart.elf', '',
      { data: RAMDISK, name: 'ramdisk' });
    h.run(3_000_000);
    expect(restarts).toBeGreaterThan(0);
    expect(h.mem.slice(8 * MIB - 8192, RAMDISK.length)).toEqual(RAMDISK);
    expect(h.mem.read32(0x21c) >>> 0).toBe(8192);
  });

  it('comes from --initrd FILE on the command line, which says in one line what is wrong with it', () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), ...args], { encoding: 'utf8' });
    const file = join(TEMP, 'ramdisk.cpio');
    writeFileSync(file, RAMDISK);
    expect(cli('run', '--initrd', file, guestPath('hello')).status).toBe(0);
    const missing = cli('run', '--initrd', join(TEMP, 'none.cpio'), guestPath('hello'));
    expect(missing.stderr).toBe(`lguest-vm: cannot read the initrd ${join(TEMP, 'none.cpio')}: no such file\n`);
    expect(missing.status).toBe(64);
    const bare = cli('run', '--bare', '--initrd', file, join(ROOT, 'guests/bare/build/hello.elf'));
    expect(bare.stderr).toBe('lguest-vm: --initrd is for lguest Guests, not --bare\n');
    expect(bare.status).toBe(64);
  });
});
