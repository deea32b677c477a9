/**
 * Linux's shell at a terminal (issue 13): lguest-vm on a pseudo-terminal, the shared kernel's /init starting an
 * interactive busybox shell (no lguest_test=1). Typed keys reach the shell; the console's IRQ counts them; three
 * Ctrl-C end the run; idle time at a terminal is real time; a recorded session replays to the same bytes and the
 * same final state; and with no terminal, idle time is skipped as before.
 */
import { describe, it, expect, afterEach, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { LINUX, CLI, linuxHas, linuxTitle } from './helpers';
import { PtySession, pause } from './pty';

const HERE = linuxHas('vmlinux', 'initrd.cpio');
const SCRIPT = spawnSync('sh', ['-c', 'command -v script']).status === 0;
const TMP = mkdtempSync(join(tmpdir(), 'lguest-interactive-'));
const BOOT = [join(LINUX, 'vmlinux'), '--initrd', join(LINUX, 'initrd.cpio'), '--cmdline', 'quiet'];
const PROMPT = '/ # ';

let session: PtySession | null = null;
afterEach(() => { session?.kill(); session = null; });
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** The count on the console's line (IRQ 1, virtio0) in /proc/interrupts. */
const consoleIrqs = (text: string) => Number(/^ +1: +(\d+) +lguest-level +virtio0/m.exec(text.replace(/\r/g, ''))?.[1]);
/** Terminal text as lines: a tty's CR LF (and ONLCR's extra CR) as LF. */
const lines = (text: string) => text.replace(/\r+\n/g, '\n');

const title = SCRIPT ? linuxTitle('Linux at a terminal', HERE) : 'Linux at a terminal (skipped: no util-linux script here)';
describe.skipIf(!HERE || !SCRIPT)(title, () => {
  it('takes typed commands, counts the console\'s interrupts, and powers off with status 0; the session replays', async () => {
    const record = join(TMP, 'session.rec');
    session = new PtySession([...BOOT, '--record', record, '--stats']);
    await session.expect('lguest-linux: starting a shell on the console');
    await session.expect(PROMPT);
    session.type('echo $((6*7))\r');
    expect(lines(await session.expect(PROMPT))).toMatch(/^\x1b\[6necho \$\(\(6\*7\)\)\n42\n$/);
    session.type('cat /proc/interrupts\r');
    const first = consoleIrqs(await session.expect(PROMPT));
    session.type('cat /proc/interrupts\r');
    const second = consoleIrqs(await session.expect(PROMPT));
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    session.type('poweroff -f\r');
    expect(await session.exited).toBe(0);
    const hash = /^state hash: ([0-9a-f]{64})/m.exec(session.output)![1];

    // The recording, replayed without a terminal: the Guest's bytes and its final state are the same.
    const replay = spawnSync(process.execPath, [CLI, 'run', ...BOOT, '--replay', record, '--stats'], { timeout: 120_000 });
    expect(replay.status).toBe(0);
    const guestPart = lines(session.output.slice(0, session.output.indexOf('instructions: ')));
    expect(lines(replay.stdout.toString('latin1'))).toBe(guestPart);
    expect(/^state hash: ([0-9a-f]{64})/m.exec(replay.stderr.toString())![1]).toBe(hash);

    // A replay of another run's facts is refused before it starts.
    const other = spawnSync(process.execPath, [CLI, 'run', ...BOOT, '--seed', '2', '--replay', record], { timeout: 60_000 });
    expect(other.status).toBe(64);
    expect(other.stderr.toString()).toBe(`lguest-vm: cannot replay ${record}: the recording's seed 1 is not this run's 2\n`);
  }, 240_000);

  it('ends the run at three Ctrl-C within a second, with status 130', async () => {
    session = new PtySession(BOOT);
    await session.expect(PROMPT);
    for (let i = 0; i < 3; i++) {
      session.type('\x03');
      await pause(100);
    }
    expect(await session.exited).toBe(130);
    expect(session.output).toContain("lguest-vm: three Ctrl-C at the Guest's console: the run ends");
  }, 240_000);

  it('lets idle time pass in real time at a terminal: 2 s at the prompt are about 2 s for the Guest', async () => {
    session = new PtySession(BOOT);
    await session.expect(PROMPT);
    session.type('date +%s\r');
    const before = Number(/(\d{9,})/.exec(await session.expect(PROMPT))![1]);
    await pause(2000);
    session.type('date +%s\r');
    const after = Number(/(\d{9,})/.exec(await session.expect(PROMPT))![1]);
    expect(after - before).toBeGreaterThanOrEqual(1);
    expect(after - before).toBeLessThanOrEqual(6);
  }, 240_000);

  it('skips idle time without a terminal: the run is the same to the bit each time', () => {
    // busybox's sleep (which parses its argument in the x87) halts the Guest for 2 s of its time. A halted Guest's
    // time passing in real time would make each run end at another instruction count, in another state.
    const run = () => spawnSync(process.execPath, [CLI, 'run', ...BOOT, '--stats'], {
      input: 'date +%s; sleep 2; date +%s; poweroff -f\n', timeout: 120_000,
    });
    const a = run(), b = run();
    expect(a.status).toBe(0);
    const [before, after] = [...a.stdout.toString().matchAll(/^(\d{9,})\r?$/gm)].map((m) => Number(m[1]));
    expect(after - before).toBeGreaterThanOrEqual(2);
    expect(b.stdout.toString()).toBe(a.stdout.toString());
    const facts = (r: typeof a) => r.stderr.toString().split('\n').filter((l) => /^(instructions|idle time skipped|state hash):/.test(l));
    expect(facts(a)).toHaveLength(3);
    expect(facts(b)).toEqual(facts(a));
  }, 240_000);
});
