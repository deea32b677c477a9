/**
 * The PCI bus as Linux sees it: an initramfs made by our own builder (scripts/mkinitramfs.sh, busybox from
 * Debian's busybox-static:i386) with scripts/linux-test-init.sh as /init, which prints each PCI device's
 * vendor, device, class and IRQ from sysfs and /proc/interrupts. They must be docs/guest-abi.md's table:
 * the console at 00:01.0, then the block device, then the entropy device, IRQ n at slot n; the host bridge
 * (vendor 0) is not listed.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINUX, ROOT, linuxHas, linuxTitle, runLinux } from './helpers';

const HERE = linuxHas('vmlinux', 'disk.img');
const APT = spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
const title = APT ? linuxTitle('the PCI devices as Linux lists them', HERE)
  : 'the PCI devices as Linux lists them (skipped: no apt-get here to fetch busybox-static:i386)';

describe.skipIf(!HERE || !APT)(title, () => {
  let dir = '';
  let run: ReturnType<typeof runLinux>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lguest-pci-'));
    const cpio = join(dir, 'pci.cpio');
    const built = spawnSync('bash', [join(ROOT, 'scripts/mkinitramfs.sh'), '--init', join(ROOT, 'scripts/linux-test-init.sh'), '-o', cpio]);
    if (built.status !== 0) throw new Error(`mkinitramfs.sh failed: ${built.stderr.toString()}`);
    const disk = join(dir, 'disk.img');
    copyFileSync(join(LINUX, 'disk.img'), disk);
    run = runLinux([join(LINUX, 'vmlinux'), '--initrd', cpio, '--block', disk, '--rng', '--cmdline', 'quiet']);
  }, 300_000);
  afterAll(() => { if (dir !== '') rmSync(dir, { recursive: true, force: true }); });

  it('lists the console, the disk and the entropy device with their identities, classes and IRQs', () => {
    const lines = run.stdout.replace(/\r\n/g, '\n').split('\n').filter((l) => l.startsWith('lguest-pci: 0000'));
    expect(lines).toEqual([
      'lguest-pci: 0000:00:01.0 vendor=0x1af4 device=0x1043 class=0x070000 irq=1',
      'lguest-pci: 0000:00:02.0 vendor=0x1af4 device=0x1042 class=0x018000 irq=2',
      'lguest-pci: 0000:00:03.0 vendor=0x1af4 device=0x1044 class=0xff0000 irq=3',
    ]);
  });

  it('counts interrupts on the devices\' lines in /proc/interrupts', () => {
    const out = run.stdout.replace(/\r\n/g, '\n');
    // The console has interrupted (its transmit queue), and so has the disk (the kernel reads its partition table).
    expect(out).toMatch(/^ +1: +[1-9]\d* +lguest-level +virtio0$/m);
    expect(out).toMatch(/^ +2: +[1-9]\d* +lguest-level +virtio1$/m);
    expect(out).toMatch(/^ +3: +\d+ +lguest-level +virtio2$/m);
    expect(out).toContain('lguest-pci: done\n');
    expect(run.status).toBe(0);
  });
});
