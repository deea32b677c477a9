/**
 * launch.json's lguest options inside the adapter, where the protocol cannot see: the Target gives the Host its
 * seed, epoch, devices and noRestart, and the Debuggee gives the block devices' files back when the session
 * ends, or when a launch fails after opening some.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, readdirSync, readlinkSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Target } from './target';
import { Debuggee } from './debuggee';
import { LAUNCH_DEFAULTS, LaunchArgs } from '../launch';
import { FileBlockBackend } from '../../vm/lguest/devices/blockFile';

const ROOT = join(__dirname, '../../..');
const HELLO = join(ROOT, 'guests/lguest/build/hello.elf');
const TEMP = mkdtempSync(join(tmpdir(), 'lguest-adapter-target-'));
const DISK = join(TEMP, 'disk.img');
writeFileSync(DISK, new Uint8Array(4096));
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));

function target(more: Partial<ConstructorParameters<typeof Target>[0]> = {}): Target {
  const t = new Target({ mode: 'lguest', memoryMiB: 8, directTraps: true, output: () => {}, ...more });
  t.boot(new Uint8Array(readFileSync(HELLO)), HELLO, '');
  return t;
}

describe('the Target makes the Host launch.json asks for', () => {
  it('with the block devices after the console, then rng', () => {
    const names = (t: Target) => t.host!.devices.virtio.map((d) => d.model.name);
    expect(names(target())).toEqual(['console']);
    expect(names(target({ rng: true }))).toEqual(['console', 'rng']);
    const disk = new FileBlockBackend(DISK, true);
    try {
      expect(names(target({ block: [disk, disk], rng: true }))).toEqual(['console', 'block', 'block', 'rng']);
    } finally {
      disk.close();
    }
  });

  it('with its seed and epoch (the Host\'s own defaults without them)', () => {
    expect(target().host!.lg.options).toMatchObject({ seed: 1, epochSeconds: 946684800 });
    expect(target({ seed: 0xffffffff, epochSeconds: 12345 }).host!.lg.options).toMatchObject({ seed: 0xffffffff, epochSeconds: 12345 });
  });

  it('with noRestart: a Guest asking to restart ends the run', () => {
    const restart = join(ROOT, 'guests/lguest/faults/build/restart.elf');
    const t = new Target({ mode: 'lguest', memoryMiB: 8, directTraps: true, output: () => {}, noRestart: true });
    t.boot(new Uint8Array(readFileSync(restart)), restart, '');
    expect(t.run(1_000_000)).toEqual({ kind: 'ended', status: 0, message: 'the Guest asked to restart: restart' });
  });
});

/** How many of this process's descriptors are open on the disk (Linux's /proc shows them). */
const openOnDisk = () => readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`) === DISK;
  } catch {
    return false; // the descriptor readdir itself used, closed by now
  }
}).length;

describe.skipIf(!existsSync('/proc/self/fd'))('the Debuggee and the block devices\' files', () => {
  const debuggee = () => new Debuggee({ stopped: () => {}, output: () => {}, exited: () => {} });
  const args = (more: Partial<LaunchArgs>): LaunchArgs => ({ ...LAUNCH_DEFAULTS, program: HELLO, memory: 8, ...more });

  it('keeps them open while the session lasts, and closes them at terminate or disconnect', () => {
    for (const end of ['terminate', 'disconnect'] as const) {
      const d = debuggee();
      expect(d.launch(args({ block: [DISK, DISK] }), ROOT)).toBeNull();
      expect(openOnDisk()).toBe(2);
      d[end]();
      expect(openOnDisk(), end).toBe(0);
    }
  });

  it('closes those it opened when the launch fails after them', () => {
    const missing = join(TEMP, 'none.img');
    expect(debuggee().launch(args({ block: [DISK, missing] }), ROOT)).toMatch(/^cannot open block device file .*none\.img/);
    expect(openOnDisk()).toBe(0);
    const notElf = join(TEMP, 'not-a-kernel');
    writeFileSync(notElf, 'not a kernel');
    expect(debuggee().launch(args({ program: notElf, block: [DISK] }), ROOT)).toMatch(/^bad program: /);
    expect(openOnDisk()).toBe(0);
  });
});
