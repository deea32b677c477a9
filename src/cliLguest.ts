/**
 * lguest-vm run for an lguest Guest: the Host runs it in slices, so standard input (the Guest's keyboard,
 * cliConsole.ts) and the end of stdout are seen between them; a halted Guest with someone at the terminal
 * waits in wall-clock time. Its console input can be recorded with the facts of the run, or a recording
 * replayed, which gives the same run again (src/recording.ts).
 */
import { Host, MultibootKernelError } from './vm/lguest/host';
import { ImageError } from './vm/elf';
import { describeEvent, describeStats } from './vm/lguest/describe';
import { machineStateHash } from './vm/lguest/stateHash';
import { DEFAULT_EPOCH_SECONDS } from './vm/lguest/layout';
import type { HostEvent } from './vm/lguest/events';
import type { HostRunResult } from './vm/lguest/host';
import type { Initrd } from './vm/lguest/launcher';
import type { FileBlockBackend } from './vm/lguest/devices/blockFile';
import { ConsoleInput } from './cliConsole';
import { Recorder, runFacts, startRecording } from './recording';
import {
  GuestOutput, fail, printStats, EXIT_USAGE, EXIT_GUEST_STOPPED, EXIT_LIMIT, EXIT_INTERRUPTED,
} from './cliOutput';

export interface LguestRun {
  memoryMiB: number; maxInstructions: number; cmdline: string; stats: boolean; trace: Set<string>;
  directTraps: boolean; epochSeconds?: number; seed?: number; noRestart: boolean; initrd?: Initrd;
  block: FileBlockBackend[]; rng: boolean; record?: string; replay?: string; wasmAfter?: number;
}

/** Instructions between two looks at standard input and stdout: a few tens of milliseconds. */
const SLICE = 1_000_000;

export async function runLguest(image: Uint8Array, imagePath: string, out: GuestOutput, o: LguestRun): Promise<number> {
  const host = new Host({
    memoryMiB: o.memoryMiB, output: (b) => out.byte(b), directTraps: o.directTraps, epochSeconds: o.epochSeconds,
    seed: o.seed, noRestart: o.noRestart, block: o.block, rng: o.rng, wasmAfter: o.wasmAfter,
  });
  out.onClosed = () => host.requestStop();
  const recorder = setUpRecording(host, image, o);
  if (typeof recorder === 'number') return recorder;
  const listeners: ((e: HostEvent) => void)[] = [];
  if (recorder !== null) listeners.push((e) => { if (e.kind === 'input') recorder.input(e.time, e.bytes); });
  if (o.trace.size > 0) listeners.push(tracer(o.trace, out));
  if (listeners.length > 0) host.onEvent = (e) => listeners.forEach((l) => l(e));
  try {
    host.boot(image, imagePath, o.cmdline, o.initrd);
  } catch (e) {
    recorder?.close();
    if (e instanceof MultibootKernelError) return fail(`${e.message}: run it with --bare`, EXIT_USAGE);
    if (e instanceof ImageError) return fail(e.message, EXIT_USAGE);
    throw e;
  }
  // A replay's input is the recording's, not the keyboard's.
  const input = o.replay === undefined ? new ConsoleInput(host, process.stdin) : null;
  const start = process.hrtime.bigint();
  let result: HostRunResult | 'interrupted';
  try {
    result = await runSliced(host, o.maxInstructions, out, input);
  } finally {
    input?.close();
    recorder?.close();
    o.block.forEach((b) => b.close());
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  out.flush();
  if (o.stats) {
    printStats(host.cpu, host.executor, seconds, [
      ...describeStats(host.lg.stats), ...(host.restarts > 0 ? [`restarts: ${host.restarts}`] : []),
      `state hash: ${machineStateHash(host)}`,
    ]);
  }
  if (out.closed) return 0;
  if (result === 'interrupted') return fail('three Ctrl-C at the Guest\'s console: the run ends', EXIT_INTERRUPTED);
  switch (result.kind) {
    case 'exit': return result.status;
    case 'poweroff':
      if (result.message !== '') process.stderr.write(`${result.message}\n`);
      return 0;
    case 'restart':
      return fail(`the Guest asked to restart (--no-restart)${result.message !== '' ? `: ${result.message}` : ''}`, 0);
    case 'killed':
      process.stderr.write(`guest killed: ${result.reason}\n`);
      return EXIT_GUEST_STOPPED;
    case 'halted': return fail(`guest stopped: ${result.reason}`, EXIT_GUEST_STOPPED);
    case 'limit': return fail(`stopped after ${host.cpu.instructions} instructions (--max-instructions)`, EXIT_LIMIT);
    case 'stopped': case 'breakpoint': case 'stop': case 'step': case 'idle':
      return fail('guest stopped', EXIT_GUEST_STOPPED);
  }
}

/**
 * Run until the Guest ends or the limit: a slice at a time, with the event loop let in between (standard
 * input, stdout's end); a halted Guest's idle time waited for in wall-clock time when someone is at the console.
 */
async function runSliced(host: Host, max: number, out: GuestOutput, input: ConsoleInput | null): Promise<HostRunResult | 'interrupted'> {
  const end = host.cpu.instructions + max;
  for (;;) {
    if (input?.interrupted) return 'interrupted';
    const r = host.run(Math.min(SLICE, end - host.cpu.instructions));
    // A prompt has no newline: what the Guest said goes out at every slice.
    out.flush();
    if (r.kind === 'limit' && host.cpu.instructions < end) {
      input?.poll();
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    if (r.kind === 'idle' && input !== null) {
      host.passIdleTime(await input.waitIdle(r.until === null ? null : Math.min(r.until, end)));
      continue;
    }
    return r;
  }
}

/** --record opens its file with the run's facts; --replay checks them and schedules the input. A status if it fails. */
function setUpRecording(host: Host, image: Uint8Array, o: LguestRun): Recorder | null | number {
  if (o.record === undefined && o.replay === undefined) return null;
  const facts = runFacts({
    image, initrd: o.initrd?.data, blockPaths: o.block.map((b) => b.path), blockReadOnly: o.block.some((b) => b.readOnly),
    rng: o.rng, cmdline: o.cmdline, memoryMiB: o.memoryMiB, seed: o.seed ?? 1, epochSeconds: o.epochSeconds ?? DEFAULT_EPOCH_SECONDS,
  });
  const r = startRecording(host, facts, o.record, o.replay);
  return r !== null && 'error' in r ? fail(r.error, EXIT_USAGE) : r;
}

/** --trace: the Host's events of the kinds asked for, on stderr, stamped with the virtual time. */
function tracer(kinds: Set<string>, out: GuestOutput): (e: HostEvent) => void {
  const wanted = (e: HostEvent) => e.kind === 'trap' || e.kind === 'direct' || e.kind === 'interrupt' ? kinds.has('traps')
    : e.kind === 'hypercall' ? kinds.has('hypercalls') : e.kind === 'pagetable' ? kinds.has('pagetables')
      : e.kind === 'restart' || (e.kind === 'input' && kinds.has('traps'));
  return (e) => {
    if (!wanted(e)) return;
    out.flush();
    process.stderr.write(`[${'time' in e ? String(e.time).padStart(12) : ''} ns] ${describeEvent(e)}\n`);
  };
}
