/**
 * Recording a run's console input, and replaying it (`--record FILE`, `--replay FILE`; launch.json's `record`
 * and `replay`). The machine is deterministic: virtual time is the instruction count, the Host's random choices
 * are seeded, and input is stamped with the virtual time it went into the Guest. So the input and the facts that
 * decide a run (the images, the disks, the command line, memory, seed, epoch, devices) are all a run needs to
 * happen again, byte for byte.
 *
 * The file is JSON lines: first `{"lguestRecording":1,"facts":{...}}`, then one `{"time":N,"input":"BASE64"}`
 * per delivery, in order.
 */
import { createHash } from 'node:crypto';
import { openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { readBytes } from './fileErrors';

/** The settings of a run that decide it, as lguest-vm and launch.json both take them. */
interface RunSettings {
  blockReadOnly: boolean;
  rng: boolean;
  cmdline: string;
  memoryMiB: number;
  seed: number;
  epochSeconds: number;
}

/** What decides a run besides its input. Files by SHA-256 (the block devices' as they were at the start). */
export interface RunFacts extends RunSettings {
  image: string;
  initrd: string | null;
  block: string[];
}

export interface RecordedInput {
  time: number;
  bytes: Uint8Array;
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** What a run is launched with: its files' bytes (the disks' read now: their contents at the start count). */
export interface RunLaunch extends RunSettings {
  image: Uint8Array;
  initrd?: Uint8Array;
  blockPaths: string[];
}

export function runFacts(l: RunLaunch): RunFacts {
  return {
    image: sha256(l.image), initrd: l.initrd === undefined ? null : sha256(l.initrd),
    block: l.blockPaths.map((p) => sha256(readBytes(p))), blockReadOnly: l.blockReadOnly, rng: l.rng,
    cmdline: l.cmdline, memoryMiB: l.memoryMiB, seed: l.seed, epochSeconds: l.epochSeconds,
  };
}

/**
 * --record or --replay (record/replay in launch.json) for a Host about to boot: a Recorder to give each 'input'
 * event to, null for a replay (its input is scheduled on the Host), or an Error's message (the file cannot be
 * written or read, or the run is not the recorded one).
 */
export function startRecording(
  host: { scheduleInput(time: number, bytes: Uint8Array): void }, facts: RunFacts, record?: string, replay?: string,
): Recorder | null | { error: string } {
  try {
    if (record !== undefined) return new Recorder(record, facts);
    if (replay === undefined) return null;
    const rec = readRecording(replay);
    const mismatch = factsMismatch(rec.facts, facts);
    if (mismatch !== null) return { error: `cannot replay ${replay}: ${mismatch}` };
    for (const i of rec.inputs) host.scheduleInput(i.time, i.bytes);
    return null;
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A recording being written: the facts at once, then each input as it goes into the Guest. */
export class Recorder {
  private fd: number;

  /** Throws an Error naming the file if it cannot be written. */
  constructor(readonly path: string, facts: RunFacts) {
    try {
      this.fd = openSync(path, 'w');
    } catch (e) {
      throw new Error(`cannot write the recording ${path}: ${(e as Error).message.replace(/, open '.*'$/s, '')}`);
    }
    this.line({ lguestRecording: 1, facts });
  }

  input(time: number, bytes: Uint8Array): void {
    this.line({ time, input: Buffer.from(bytes).toString('base64') });
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private line(v: unknown): void {
    if (this.fd >= 0) writeSync(this.fd, `${JSON.stringify(v)}\n`);
  }
}

/** A recording read back. Throws an Error that says what is wrong with the file, and where. */
export function readRecording(path: string): { facts: RunFacts; inputs: RecordedInput[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the recording ${path}: ${(e as Error).message.replace(/, open '.*'$/s, '')}`);
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const parse = (l: string, n: number): Record<string, unknown> => {
    try {
      const v: unknown = JSON.parse(l);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch { /* said below */ }
    throw new Error(`${path}:${n}: not a line of a recording (a JSON object)`);
  };
  if (lines.length === 0) throw new Error(`${path} is empty: not a recording`);
  const head = parse(lines[0], 1);
  if (head.lguestRecording !== 1 || typeof head.facts !== 'object' || head.facts === null) {
    throw new Error(`${path} is not a recording of lguest-vm's (its first line has no "lguestRecording": 1 and facts)`);
  }
  const inputs: RecordedInput[] = [];
  let last = 0;
  lines.slice(1).forEach((l, i) => {
    const v = parse(l, i + 2);
    if (typeof v.time !== 'number' || !Number.isSafeInteger(v.time) || v.time < last || typeof v.input !== 'string') {
      throw new Error(`${path}:${i + 2}: an input wants a "time" (a whole number, not before the one above) and an "input" (base64)`);
    }
    last = v.time;
    inputs.push({ time: v.time, bytes: new Uint8Array(Buffer.from(v.input, 'base64')) });
  });
  return { facts: head.facts as RunFacts, inputs };
}

/** The first fact in which a run differs from its recording, in words; null if none does. */
export function factsMismatch(recorded: RunFacts, now: RunFacts): string | null {
  const names: Record<keyof RunFacts, string> = {
    image: 'kernel image', initrd: 'initrd', block: 'block devices', blockReadOnly: 'read-only block devices', rng: 'rng device',
    cmdline: 'command line', memoryMiB: 'memory (MiB)', seed: 'seed', epochSeconds: 'epoch',
  };
  for (const k of Object.keys(names) as (keyof RunFacts)[]) {
    const a = JSON.stringify(recorded[k] ?? null), b = JSON.stringify(now[k] ?? null);
    if (a !== b) return `the recording's ${names[k]} ${short(a)} is not this run's ${short(b)}`;
  }
  return null;
}

/** A fact for a message: hashes cut to 12 digits. */
function short(json: string): string {
  return json.replace(/"([0-9a-f]{12})[0-9a-f]{52}"/g, '$1…');
}
