/**
 * launch.json's lguest options that `lguest-vm run` has too: block, blockReadOnly, rng, seed, epoch, noRestart,
 * and symbols, the ELF that stands for a program with no symbols of its own. Each wrong value is refused in one
 * line that names it; what each does is seen through the protocol: the devices' registers (phys: reads of their
 * BARs), the Guest's clock in its own words, the end of a Guest that asks to restart, a breakpoint by name.
 */
import { describe, it, expect, afterEach, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { startClient, launchAndStop, topFrame, ROOT, TOUR } from './client';
import { linuxHas, linuxTitle, LINUX } from '../linux/helpers';

const HELLO = join(ROOT, 'guests/lguest/build/hello.elf');
const BARE = join(ROOT, 'guests/bare/build/hello.elf');
const TEMP = mkdtempSync(join(tmpdir(), 'lguest-adapter-options-'));
/** A disk of 5 sectors, and a directory where a disk should be. */
const DISK = join(TEMP, 'disk.img');
writeFileSync(DISK, new Uint8Array(5 * 512));
const DIR = join(TEMP, 'a-directory');
mkdirSync(DIR);
/** The tour Guest with its section headers cut off: no symbols, no DWARF, as a bzImage has none. */
const STRIPPED = join(TEMP, 'tour-stripped.elf');
const tour = new Uint8Array(readFileSync(TOUR));
new DataView(tour.buffer).setUint16(48, 0, true); // e_shnum
writeFileSync(STRIPPED, tour);

let dc: DebugClient;
afterEach(async () => { await dc?.stop(); });
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));

/** A launch that is to fail: its error message. */
async function refusal(args: Record<string, unknown>): Promise<string> {
  const err = await dc.launchRequest(args as DebugProtocol.LaunchRequestArguments).then(() => null, (e: Error) => e);
  expect(err, JSON.stringify(args)).not.toBeNull();
  return err!.message;
}

async function initialized(): Promise<void> {
  dc = await startClient();
  await dc.initializeRequest({ adapterID: 'lguest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
}

/** The Guest's console, as the session's output events carry it. */
function guestOutput(): () => string {
  let text = '';
  dc.on('output', (e: DebugProtocol.OutputEvent) => { text += e.body.output; });
  return () => text;
}

describe('launch.json\'s lguest options, refused when wrong', () => {
  it('names the attribute and what it must be, in one line', async () => {
    await initialized();
    const files = (n: number) => Array.from({ length: n }, () => DISK);
    const bad: [Record<string, unknown>, string][] = [
      [{ block: 3 }, "'block' must be the path of a disk image or a list of them, not 3"],
      [{ block: { file: DISK } }, "'block' must be the path of a disk image or a list of them, not an object"],
      [{ block: [DISK, ''] }, "'block[1]' must be the path of a disk image, not \"\""],
      [{ blockReadOnly: 'yes', block: DISK }, "'blockReadOnly' must be true or false, not \"yes\""],
      [{ blockReadOnly: true }, "'blockReadOnly' makes the 'block' devices read-only, but there is no 'block' file"],
      [{ block: files(31) }, "'block' names 31 files, but at most 30 fit: there are 31 PCI slots and the console takes one"],
      [{ block: files(30), rng: true }, "'block' names 30 files, but at most 29 fit: there are 31 PCI slots and the console and rng take two"],
      [{ rng: 1 }, "'rng' must be true or false, not 1"],
      [{ noRestart: 'no' }, "'noRestart' must be true or false, not \"no\""],
      [{ seed: -1 }, "'seed' must be a whole number from 0 to 4294967295, not -1"],
      [{ seed: 1.5 }, "'seed' must be a whole number from 0 to 4294967295, not 1.5"],
      [{ seed: '7' }, "'seed' must be a whole number from 0 to 4294967295, not \"7\""],
      [{ seed: 2 ** 32 }, "'seed' must be a whole number from 0 to 4294967295, not 4294967296"],
      [{ epoch: 'yesterday' }, "'epoch' must be an ISO 8601 time after 1970 or seconds since 1970, not \"yesterday\""],
      [{ epoch: -5 }, "'epoch' must be an ISO 8601 time after 1970 or seconds since 1970, not -5"],
      [{ epoch: true }, "'epoch' must be an ISO 8601 time after 1970 or seconds since 1970, not true"],
      [{ epoch: 2 ** 31 }, "'epoch' 2147483648 is past 2038-01-19T03:14:07Z, where the Guest's 32-bit clock ends"],
      [{ epoch: '2038-01-19T03:14:08Z' }, "'epoch' \"2038-01-19T03:14:08Z\" is past 2038-01-19T03:14:07Z, where the Guest's 32-bit clock ends"],
      [{ symbols: '' }, "'symbols' must be the path of an ELF file with the program's symbols, not \"\""],
      [{ symbols: 5 }, "'symbols' must be the path of an ELF file with the program's symbols, not 5"],
    ];
    for (const [args, message] of bad) {
      expect(await refusal({ program: HELLO, ...args })).toBe(`invalid launch configuration: ${message}`);
    }
  });

  it('refuses each with mode "bare", as lguest-vm run --bare does', async () => {
    await initialized();
    const given = { block: DISK, blockReadOnly: false, rng: false, seed: 1, epoch: 0, noRestart: false, symbols: BARE };
    for (const [k, v] of Object.entries(given)) {
      expect(await refusal({ program: BARE, mode: 'bare', [k]: v }))
        .toBe(`invalid launch configuration: '${k}' is for lguest Guests, not mode "bare"`);
    }
  });

  it('refuses a block file it cannot open, and symbols it cannot read or that are no ELF', async () => {
    await initialized();
    const none = join(TEMP, 'none.img');
    expect(await refusal({ program: HELLO, block: [DISK, none] }))
      .toBe(`cannot open block device file ${none}: ENOENT: no such file or directory`);
    // Read-write, a directory cannot even be opened; read-only it can, and is then seen not to be a file.
    expect(await refusal({ program: HELLO, block: DIR })).toMatch(/^cannot open block device file .*a-directory: EISDIR/);
    expect(await refusal({ program: HELLO, block: DIR, blockReadOnly: true }))
      .toBe(`cannot use ${DIR} as a block device: not a regular file`);
    expect(await refusal({ program: HELLO, symbols: join(TEMP, 'none.elf') }))
      .toBe(`cannot read symbols '${join(TEMP, 'none.elf')}': no such file`);
    expect(await refusal({ program: HELLO, symbols: DISK })).toBe(`bad symbols: ${DISK}: not an ELF file`);
  });
});

describe('launch.json\'s lguest options, at work', () => {
  /** BAR0 of each device in slot order (console first): the bytes that read, up to the first that does not. */
  async function bars(memoryMiB: number): Promise<Buffer[]> {
    // The devices' registers start 1 MiB above Guest memory, each BAR a power of two after the one before.
    let at = memoryMiB * 1024 * 1024 + 1024 * 1024;
    const found: Buffer[] = [];
    for (;;) {
      const r = await dc.customRequest('readMemory', { memoryReference: `phys:0x${at.toString(16)}`, count: 4096 });
      const bytes = Buffer.from(r.body.data, 'base64');
      if (bytes.length === 0) return found;
      found.push(bytes);
      at += 2 ** Math.ceil(Math.log2(bytes.length));
    }
  }

  it('gives the Guest a block device per file, with its size, then an entropy device with rng', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: HELLO, memory: 8, stopOnEntry: true, block: [DISK, DISK], blockReadOnly: true, rng: true });
    const [cons, vda, vdb, rng, ...more] = await bars(8);
    expect(more).toEqual([]);
    // Each device's configuration follows the 60 bytes of registers: a disk's begins with its capacity in sectors.
    expect(vda.readBigUInt64LE(60)).toBe(5n);
    expect(vdb.readBigUInt64LE(60)).toBe(5n);
    expect(rng).toHaveLength(60);
    expect(cons).toHaveLength(60 + 12);
  });

  it('has only the console without block and rng', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: HELLO, memory: 8, stopOnEntry: true });
    expect(await bars(8)).toHaveLength(1);
  });

  it('sets the Guest\'s clock from epoch, as ISO 8601 or seconds', async () => {
    for (const [epoch, seconds] of [['2026-11-23T00:00:00Z', 1795392000], [12345, 12345], ['12345', 12345]] as const) {
      await initialized();
      const said = guestOutput();
      const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
      await Promise.all([
        dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
        dc.launchRequest({ program: HELLO, memory: 8, epoch } as DebugProtocol.LaunchRequestArguments),
      ]);
      expect((await exited).body.exitCode).toBe(0);
      expect(said()).toContain(`time: ${seconds} s since 1970\n`);
      await dc.stop();
    }
  });

  it('ends the session when the Guest asks to restart, with noRestart', async () => {
    await initialized();
    const said = guestOutput();
    // Both listeners go on first: the Guest ends within a moment, and an event before its listener is lost.
    const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
    const terminated = dc.waitForEvent('terminated');
    await Promise.all([
      dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
      dc.launchRequest({ program: join(ROOT, 'guests/lguest/faults/build/restart.elf'), memory: 8, noRestart: true } as DebugProtocol.LaunchRequestArguments),
    ]);
    expect((await exited).body.exitCode).toBe(0);
    await terminated;
    expect(said()).toBe('boot, generation 0x00000001\nthe Guest asked to restart: restart\n');
  });

  it('runs the tour Guest alike with any seed (it only picks which shadow page table to evict)', async () => {
    dc = await startClient();
    const bp = { breakpoints: [{ name: 'timer_tick', hitCondition: '3' }] };
    const stop = await launchAndStop(dc, { program: TOUR, seed: 4294967295 }, () => dc.setFunctionBreakpointsRequest(bp));
    expect(stop.body.reason).toBe('function breakpoint');
    expect((await topFrame(dc)).name).toMatch(/^timer_tick/);
  });

  it('takes source, names and frames from symbols for a program that has none', async () => {
    dc = await startClient();
    const bp = { breakpoints: [{ name: 'timer_tick' }] };
    const asked = await launchAndStop(dc, { program: STRIPPED, symbols: TOUR }, async () => {
      const r = await dc.setFunctionBreakpointsRequest(bp);
      expect(r.body.breakpoints[0].verified).toBe(true);
    });
    expect(asked.body.reason).toBe('function breakpoint');
    const top = await topFrame(dc);
    expect(top.name).toMatch(/^timer_tick/);
    expect(top.source?.path).toMatch(/guests\/lguest\/tour\/.*\.c$/);
    await dc.stop();

    // Without them, the name means nothing.
    dc = await startClient();
    await launchAndStop(dc, { program: STRIPPED, stopOnEntry: true }, async () => {
      const r = await dc.setFunctionBreakpointsRequest(bp);
      expect(r.body.breakpoints[0].verified).toBe(false);
    });
  });
});

const LINUX_HERE = linuxHas('bzImage', 'vmlinux');
describe.skipIf(!LINUX_HERE)(linuxTitle('a bzImage with its vmlinux as symbols', LINUX_HERE), () => {
  it('stops at start_kernel by name; without symbols the launch says what to add', async () => {
    dc = await startClient();
    const program = join(LINUX, 'bzImage');
    const bp = { breakpoints: [{ name: 'start_kernel' }] };
    const stop = await launchAndStop(dc, { program, symbols: join(LINUX, 'vmlinux'), cmdline: 'loglevel=0' },
      () => dc.setFunctionBreakpointsRequest(bp));
    expect(stop.body.reason).toBe('function breakpoint');
    expect((await topFrame(dc)).name).toMatch(/^start_kernel/);
    await dc.stop();

    await initialized();
    expect(await refusal({ program })).toBe(
      `bad program: ${program}: not an ELF file, so it has no symbols: name its ELF (a bzImage's vmlinux) in 'symbols'`,
    );
  }, 60_000);
});
