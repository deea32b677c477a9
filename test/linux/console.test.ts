/**
 * Linux 4.10 as an lguest Guest with the final Launcher's devices: its console (the early console through the
 * PCI configuration window, then the virtio console's queue), a block device on a copy of the shared ext2 disk,
 * the entropy device and the initramfs. /init runs its checks (lguest_test=1) and powers off. The kernel boots with
 * the emulated x87 (no `no387`): user programs compute in it, as busybox's awk does.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { LINUX, linuxHas, linuxTitle, runLinux } from './helpers';

const HERE = linuxHas('vmlinux', 'initrd.cpio', 'disk.img');

describe.skipIf(!HERE)(linuxTitle('Linux with its console, a disk and an entropy device', HERE), () => {
  let dir = '', disk = '';
  let run: ReturnType<typeof runLinux>;

  beforeAll(() => {
    // CI runs as root, which would write the shared image: the Guest gets a copy.
    dir = mkdtempSync(join(tmpdir(), 'lguest-linux-'));
    disk = join(dir, 'disk.img');
    copyFileSync(join(LINUX, 'disk.img'), disk);
    run = runLinux([
      join(LINUX, 'vmlinux'), '--initrd', join(LINUX, 'initrd.cpio'), '--block', disk, '--rng',
      '--cmdline', 'lguest_test=1',
    ]);
  });
  afterAll(() => { if (dir !== '') rmSync(dir, { recursive: true, force: true }); });

  it('prints its boot log on the console, from the first line (the early console through emerg_wr)', () => {
    expect(run.stdout).toMatch(/^\[ +0\.000000\] Reserving virtual address space above 0xffc00000/);
    expect(run.stdout).toContain('x86/fpu: Legacy x87 FPU detected.');
    expect(run.stdout).toContain('Linux version 4.10.17');
    expect(run.stdout).toContain('lguest: Console via virtio-pci emerg_wr');
    expect(run.stdout).toContain('console [hvc0] enabled');
    expect(run.stdout).toContain('PCI: Using configuration type 1 for base access');
  });

  it('runs /init on /dev/console and every check passes, the x87 one (awk) included', () => {
    // A tty's output turns each newline into CR LF.
    expect(run.stdout).toContain('lguest-linux: init started\r\n');
    const out = run.stdout.replace(/\r\n/g, '\n');
    expect(out).toContain('lguest-linux: init started\n');
    expect(out).toContain('lguest-linux: console: yes\n');
    expect(out).toContain('lguest-linux: check file ok\n');
    expect(out).toMatch(/lguest-linux: check hwrng ok \(16 bytes from virtio_rng\.0\)\n/);
    expect(out).toContain('lguest-linux: check disk ok\n');
    expect(out).toContain('hello from the virtio disk\n');
    // The check that needs an FPU: busybox's awk computes in doubles, in the x87.
    expect(out).toContain('lguest-linux: check awk ok (sum 15)\n');
    expect(out).toContain('lguest-linux: result: all passed\n');
    expect(out).toContain('lguest-linux: test done\n');
  });

  it('powers off: "Power down" on stderr, status 0; the disk is as it was (mounted read-only)', () => {
    expect(run.stderr).toBe('Power down\n');
    expect(run.status).toBe(0);
    const sha = (f: string) => createHash('sha256').update(readFileSync(f, 'latin1'), 'latin1').digest('hex');
    expect(sha(disk)).toBe(sha(join(LINUX, 'disk.img')));
  });
});
