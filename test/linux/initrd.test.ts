/**
 * Linux 4.10 as an lguest Guest (../shared/linux/, prebuilt: its source cannot be fetched here), booted with
 * its initramfs through --initrd, runs its /init to the end: the checks of lguest_test=1, then a power-off.
 * Without a console device yet, what /init says is read from the kernel's log buffer (__log_buf) in Guest
 * memory. A clone without ../shared/linux skips these tests, and their names say so.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from '../../src/vm/lguest/host';

const LINUX = join(__dirname, '../../../shared/linux');
const HERE = existsSync(join(LINUX, 'vmlinux')) && existsSync(join(LINUX, 'initrd.cpio'));
const PAGE_OFFSET = 0xc0000000;

/** A symbol's address from System.map. */
function symbol(name: string): number {
  const line = readFileSync(join(LINUX, 'System.map'), 'utf8').split('\n').find((l) => l.endsWith(` ${name}`));
  if (line === undefined) throw new Error(`System.map has no ${name}`);
  return parseInt(line.split(' ')[0], 16);
}

describe.skipIf(!HERE)(`Linux with its initrd${HERE ? '' : ' (skipped: ../shared/linux/ is not here)'}`, () => {
  it('runs /init to its end: the checks, then "Power down"', () => {
    const host = new Host({ memoryMiB: 64 });
    const initrd = { data: new Uint8Array(readFileSync(join(LINUX, 'initrd.cpio'))), name: 'initrd.cpio' };
    // no387 until the x87 exists (issue 14); loglevel=0 as ../shared/linux/README.md explains.
    host.boot(new Uint8Array(readFileSync(join(LINUX, 'vmlinux'))), 'vmlinux', 'no387 loglevel=0 lguest_test=1', initrd);
    const result = host.run(300_000_000);
    expect(result).toEqual({ kind: 'poweroff', message: 'Power down' });
    // The log buffer's records hold the text of each line; reading it as bytes is enough to find them.
    const logBuf = symbol('__log_buf') - PAGE_OFFSET, end = symbol('clear_idx') - PAGE_OFFSET;
    const log = Buffer.from(host.mem.slice(logBuf, end - logBuf)).toString('latin1');
    expect(log).toContain('lguest-linux: init started');
    expect(log).toContain('lguest-linux: check file ok');
    expect(log).toContain('lguest-linux: test done');
    // The initrd was unpacked from where the Launcher put it.
    expect(log).toMatch(/Unpacking initramfs|Trying to unpack rootfs/);
  });
});
