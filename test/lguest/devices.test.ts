/** lguest-vm run's device options (--block, --block-readonly, --rng, and what they refuse), and the devices at a restart. */
import { describe, it, expect, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, guestPath } from './helpers';
import { Host } from '../../src/vm/lguest/host';
import { MMIO, STATUS } from '../../src/vm/lguest/devices/virtioPci';

const CLI = join(ROOT, 'dist/cli.js');
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { timeout: 60_000 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

let dir = '';
afterEach(() => { if (dir !== '') rmSync(dir, { recursive: true, force: true }); dir = ''; });

describe('lguest-vm run with devices', () => {
  it('runs a Guest with block and rng devices beside it (a Guest without drivers does not notice them)', () => {
    dir = mkdtempSync(join(tmpdir(), 'lguest-cli-'));
    writeFileSync(join(dir, 'a.img'), new Uint8Array(4096));
    const r = run(guestPath('hello'), '--block', join(dir, 'a.img'), '--block', join(dir, 'a.img'), '--block-readonly', '--rng');
    expect(r.stdout).toMatch(/^Hello from an lguest Guest!\n/);
    expect(r.status).toBe(0);
  });

  it('refuses a block file it cannot open, or that is no file, in one line with status 64', () => {
    dir = mkdtempSync(join(tmpdir(), 'lguest-cli-'));
    const missing = run(guestPath('hello'), '--block', join(dir, 'none.img'));
    expect(missing.stderr).toMatch(/^lguest-vm: cannot open block device file .*none\.img: ENOENT: no such file or directory\n$/);
    expect(missing.status).toBe(64);
    mkdirSync(join(dir, 'adir'));
    const notFile = run(guestPath('hello'), '--block', join(dir, 'adir'));
    expect(notFile.stderr).toMatch(/^lguest-vm: cannot (open|use) .*adir.*\n$/);
    expect(notFile.status).toBe(64);
  });

  it('refuses --block-readonly without --block, and the device options with --bare', () => {
    const lonely = run(guestPath('hello'), '--block-readonly');
    expect(lonely.stderr).toBe('lguest-vm: --block-readonly makes the --block devices read-only, but there is no --block FILE\n');
    expect(lonely.status).toBe(64);
    for (const opt of [['--rng'], ['--block', 'x.img'], ['--block-readonly']]) {
      const r = run(join(ROOT, 'guests/bare/build/hello.elf'), '--bare', ...opt);
      expect(r.stderr).toBe(`lguest-vm: ${opt[0]} is for lguest Guests, not --bare\n`);
      expect(r.status).toBe(64);
    }
  });
});

describe('a Guest restart', () => {
  it('powers the devices on again, as the Launcher re-executing itself did', () => {
    const host = new Host({ memoryMiB: 16, rng: true });
    host.boot(new Uint8Array(readFileSync(join(ROOT, 'guests/lguest/faults/build/restart.elf'))), 'restart.elf');
    // A driver's traces: the console acknowledged, the PCI latch set.
    const consoleDevice = host.devices.virtio[0];
    consoleDevice.write(MMIO.deviceStatus, STATUS.ACKNOWLEDGE, 0xff);
    host.devices.bus.address = 0x80000800;
    expect(host.run(200_000)).toEqual({ kind: 'limit' });
    expect(host.restarts).toBeGreaterThan(0);
    expect(consoleDevice.regs[MMIO.deviceStatus]).toBe(0);
    expect(host.devices.bus.address).toBe(0);
    expect(host.devices.virtio.map((d) => d.model.name)).toEqual(['console', 'rng']);
  });
});

describe('a bad driver\'s message', () => {
  it('names the Guest\'s EIP where the Launcher\'s did (its getreg(eip))', () => {
    const host = new Host({ memoryMiB: 16 });
    host.boot(new Uint8Array(readFileSync(guestPath('hello'))), 'hello.elf');
    host.lg.setReg('eip', 0xc0101234);
    expect(() => host.devices.virtio[0].read(MMIO.padding, 0xff)).toThrow('console: bad driver: read from padding (0xc0101234)');
  });
});
