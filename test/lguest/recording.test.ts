/**
 * Recordings (src/recording.ts, lguest-vm --record/--replay): the file's form and every way it can be wrong,
 * the facts a replay checks, and a recorded run replayed to the same final state.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Recorder, readRecording, factsMismatch, type RunFacts } from '../../src/recording';
import { ROOT, guestPath } from './helpers';

const TMP = mkdtempSync(join(tmpdir(), 'lguest-recording-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
const CLI = join(ROOT, 'dist/cli.js');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { timeout: 60_000 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
};

const FACTS: RunFacts = {
  image: 'a'.repeat(64), initrd: null, block: [], blockReadOnly: false, rng: false, cmdline: 'quiet', memoryMiB: 64,
  seed: 1, epochSeconds: 946684800,
};

describe('a recording', () => {
  it('is the facts, then each input with its time, and reads back as written', () => {
    const file = join(TMP, 'a.rec');
    const r = new Recorder(file, FACTS);
    r.input(100, new Uint8Array([0x6c, 0x73, 0x0a]));
    r.input(250, new Uint8Array([0xe2, 0x82, 0xac]));
    r.close();
    const text = readFileSync(file, 'utf8').split('\n');
    expect(JSON.parse(text[0])).toEqual({ lguestRecording: 1, facts: FACTS });
    expect(JSON.parse(text[1])).toEqual({ time: 100, input: 'bHMK' });
    const back = readRecording(file);
    expect(back.facts).toEqual(FACTS);
    expect(back.inputs.map((i) => [i.time, Array.from(i.bytes)])).toEqual([[100, [0x6c, 0x73, 0x0a]], [250, [0xe2, 0x82, 0xac]]]);
  });

  it('says what is wrong with a file that is not one, and where', () => {
    const bad = (name: string, text: string) => {
      const f = join(TMP, name);
      writeFileSync(f, text);
      return () => readRecording(f);
    };
    expect(() => readRecording(join(TMP, 'none.rec'))).toThrow(/^cannot read the recording .*none\.rec: ENOENT: no such file or directory$/);
    expect(bad('empty.rec', '\n')).toThrow(/empty\.rec is empty: not a recording$/);
    expect(bad('other.rec', '{"hello":1}\n')).toThrow(/other\.rec is not a recording of lguest-vm's/);
    expect(bad('json.rec', `${JSON.stringify({ lguestRecording: 1, facts: FACTS })}\nnot json\n`)).toThrow(/json\.rec:2: not a line of a recording/);
    expect(bad('back.rec', `${JSON.stringify({ lguestRecording: 1, facts: FACTS })}\n{"time":9,"input":""}\n{"time":8,"input":""}\n`))
      .toThrow(/back\.rec:3: an input wants a "time" \(a whole number, not before the one above\)/);
  });

  it('names the first fact a run differs in', () => {
    expect(factsMismatch(FACTS, FACTS)).toBeNull();
    expect(factsMismatch(FACTS, { ...FACTS, memoryMiB: 128 })).toBe("the recording's memory (MiB) 64 is not this run's 128");
    expect(factsMismatch(FACTS, { ...FACTS, image: 'b'.repeat(64) }))
      .toBe(`the recording's kernel image ${'a'.repeat(12)}… is not this run's ${'b'.repeat(12)}…`);
    expect(factsMismatch(FACTS, { ...FACTS, cmdline: '' })).toBe('the recording\'s command line "quiet" is not this run\'s ""');
  });
});

describe('lguest-vm --record and --replay', () => {
  it('replays a recorded run to the same output and the same final state', () => {
    const file = join(TMP, 'tour.rec'), tour = join(ROOT, 'guests/lguest/tour/build/tour.elf');
    const a = run(tour, '--record', file, '--stats');
    const b = run(tour, '--replay', file, '--stats');
    expect(a.status).toBe(0);
    expect(b.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const hash = (s: string) => /^state hash: ([0-9a-f]{64})$/m.exec(s)![1];
    expect(hash(b.stderr)).toBe(hash(a.stderr));
  });

  it('refuses what cannot be: both at once, a missing or foreign file, with --bare', () => {
    expect(run(guestPath('hello'), '--record', join(TMP, 'x'), '--replay', join(TMP, 'y'))).toMatchObject({
      status: 64, stderr: 'lguest-vm: --record and --replay do not go together: a replay is the recording\n',
    });
    const missing = run(guestPath('hello'), '--replay', join(TMP, 'missing.rec'));
    expect(missing.status).toBe(64);
    expect(missing.stderr).toMatch(/^lguest-vm: cannot read the recording .*missing\.rec: ENOENT: no such file or directory\n$/);
    const unwritable = run(guestPath('hello'), '--record', join(TMP, 'no-such-dir', 'x.rec'));
    expect(unwritable.status).toBe(64);
    expect(unwritable.stderr).toMatch(/^lguest-vm: cannot write the recording .*x\.rec: ENOENT: no such file or directory\n$/);
    const bare = run(join(ROOT, 'guests/bare/build/hello.elf'), '--bare', '--record', join(TMP, 'b.rec'));
    expect(bare).toMatchObject({ status: 64, stderr: 'lguest-vm: --record is for lguest Guests, not --bare\n' });
  });
});
