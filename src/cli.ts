#!/usr/bin/env node
/**
 * lguest-vm: run a guest headless.
 *
 *   lguest-vm run IMAGE [--bare] [--mem MIB] [--max-instructions N] [--cmdline TEXT] [--stats] [lguest options]
 *
 * By default IMAGE is an lguest Guest run under the Host; --bare boots a
 * Multiboot kernel on the bare machine instead. stdout carries only what
 * the guest printed, byte for byte, so it can be compared with QEMU's.
 * Everything else goes to stderr. Exit status: the guest's own (the exit
 * port: always odd; an lguest power-off: 0), or 2 when the machine stopped
 * or killed a misbehaving guest, 124 when the instruction limit was
 * reached, 64 for bad arguments or a bad image.
 */
import { version } from '../package.json';
import { parseArgsErrorLine } from './cliArgs';
import { readErrorText, readBytes } from './fileErrors';
import { readImageToRun } from './imageToRun';
import { parseEpoch, EPOCH_WANTED, EPOCH_TOO_LATE } from './launchOptions';
import { parseArgs } from 'node:util';
import { Machine } from './vm/machine';
import { ImageError } from './vm/elf';
import type { Initrd } from './vm/lguest/launcher';
import { FileBlockBackend } from './vm/lguest/devices/blockFile';
import { runLguest } from './cliLguest';
import { GuestOutput, fail, printStats, EXIT_USAGE, EXIT_GUEST_STOPPED, EXIT_LIMIT } from './cliOutput';

export { EXIT_GUEST_STOPPED, EXIT_LIMIT, EXIT_USAGE };

const USAGE = `usage: lguest-vm run IMAGE [options]
       lguest-vm --help | --version

Runs IMAGE, an lguest Guest (an ELF32 i386 kernel, or a Linux bzImage), under the lguest Host.

  --bare                 boot IMAGE as a Multiboot kernel on the bare machine instead
  --mem MIB              guest memory in MiB (default 64)
  --max-instructions N   stop after N instructions, virtual nanoseconds (exit status 124)
  --cmdline TEXT         the kernel's command line (bare: after IMAGE, as QEMU's)
  --no-wasm              compile to JavaScript only, not to WebAssembly (the same machine: for
                         comparing the two tiers' speed)
  --stats                instructions, wall time, MIPS; in lguest mode the Host's counters:
                         exits per trap, hypercalls, page faults fixed or reflected, direct traps
  --trace KINDS          lguest: print Host events as they happen, to stderr; KINDS is a comma list
                         of traps, hypercalls, pagetables (or all)
  --no-direct-traps      lguest: route every trap through the Host
  --epoch TIME           lguest: the Guest's wall clock at time 0, ISO 8601 or seconds since 1970
                         (default 2000-01-01T00:00:00Z)
  --seed N               lguest: seed for the Host's random choices (default 1)
  --no-restart           lguest: a Guest asking to restart ends the run instead (status 0)
  --initrd FILE          lguest: an initial ramdisk, at the top of Guest memory (as lguest's Launcher)
  --block FILE           lguest: a virtio block device on FILE (repeatable: /dev/vda, /dev/vdb...);
                         writes reach the file at once; it is never grown or truncated
  --block-readonly       lguest: the block devices are read-only (VIRTIO_BLK_F_RO; a write gets an I/O error)
  --rng                  lguest: a virtio entropy device (/dev/hwrng), its bytes from a stream seeded by --seed
  --record FILE          lguest: write the console input with its virtual times, and the run's facts, to FILE
  --replay FILE          lguest: run again as recorded (the facts must match): the same input at the same times

Standard input is the Guest's console input. A terminal goes raw once the Guest's console driver is up
(then three Ctrl-C within a second end the run, status 130), and a halted Guest then waits in real time.

Exit status: the Guest's (isa-debug-exit / port 0xf4: odd; lguest power-off: 0), 2 when the
Guest was killed or stopped, 124 at the instruction limit, 64 for bad arguments or a bad image.`;


const TRACE_KINDS = ['traps', 'hypercalls', 'pagetables'] as const;

class UsageError extends Error {}


function positiveInt(name: string, value: string | undefined, max: number, min = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`--${name} wants a whole number from ${min} to ${max}, not '${value}'`);
  return Number(value);
}

function epochOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = parseEpoch(value);
  if (seconds === 'wrong') throw new UsageError(`--epoch wants ${EPOCH_WANTED}, not '${value}'`);
  if (seconds === 'too late') throw new UsageError(`--epoch '${value}' is ${EPOCH_TOO_LATE}`);
  return seconds;
}

function parseTrace(value: string | undefined): Set<string> {
  const kinds = new Set<string>();
  if (value === undefined) return kinds;
  for (const k of value.split(',')) {
    if (k === 'all') TRACE_KINDS.forEach((t) => kinds.add(t));
    else if ((TRACE_KINDS as readonly string[]).includes(k)) kinds.add(k);
    else throw new UsageError(`--trace wants a comma list of ${TRACE_KINDS.join(', ')} or all, not '${k}'`);
  }
  return kinds;
}

export function main(argv: string[]): number | Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        bare: { type: 'boolean' },
        mem: { type: 'string' },
        'max-instructions': { type: 'string' },
        cmdline: { type: 'string' },
        stats: { type: 'boolean' },
        'no-wasm': { type: 'boolean' },
        trace: { type: 'string' },
        'no-direct-traps': { type: 'boolean' },
        epoch: { type: 'string' },
        seed: { type: 'string' },
        'no-restart': { type: 'boolean' },
        initrd: { type: 'string' },
        block: { type: 'string', multiple: true },
        'block-readonly': { type: 'boolean' },
        rng: { type: 'boolean' },
        record: { type: 'string' },
        replay: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (e) {
    const line = parseArgsErrorLine(e, 'lguest-vm');
    if (line === null) throw e;
    return fail(line, EXIT_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (values.version) {
    process.stdout.write(`lguest-vm ${version}\n`);
    return 0;
  }
  const wrongCommand = commandLineError(positionals);
  if (wrongCommand !== null) return fail(wrongCommand, EXIT_USAGE);
  const imagePath = positionals[1];
  const bare = values.bare === true;
  if (bare) {
    for (const o of ['trace', 'no-direct-traps', 'epoch', 'seed', 'no-restart', 'initrd', 'block', 'block-readonly', 'rng', 'record', 'replay'] as const) {
      if (values[o] !== undefined) return fail(`--${o} is for lguest Guests, not --bare`, EXIT_USAGE);
    }
  }

  let memoryMiB: number, maxInstructions: number, epochSeconds: number | undefined, seed: number | undefined, trace: Set<string>;
  let wasmAfter: number | undefined;
  try {
    // A kernel loads at 1 MiB: 2 MiB is the least that can hold one.
    memoryMiB = positiveInt('mem', values.mem, bare ? 3072 : 2048, 2) ?? 64;
    maxInstructions = positiveInt('max-instructions', values['max-instructions'], Number.MAX_SAFE_INTEGER) ?? Infinity;
    epochSeconds = epochOption(values.epoch);
    seed = positiveInt('seed', values.seed, 0xffffffff, 0);
    trace = parseTrace(values.trace);
    wasmAfter = values['no-wasm'] === true ? Infinity : undefined;
  } catch (e) {
    return fail((e as Error).message, EXIT_USAGE);
  }

  let image: Uint8Array;
  try {
    // A recording names the image by its whole file's hash; a run needs only what is loaded.
    image = values.record !== undefined || values.replay !== undefined ? readBytes(imagePath) : readImageToRun(imagePath);
  } catch (e) {
    return fail(`cannot read ${imagePath}: ${readErrorText(e, 'a kernel image')}`, EXIT_USAGE);
  }
  let initrd: Initrd | undefined;
  if (values.initrd !== undefined) {
    try {
      initrd = { data: readBytes(values.initrd), name: values.initrd };
    } catch (e) {
      return fail(`cannot read the initrd ${values.initrd}: ${readErrorText(e, 'an initrd')}`, EXIT_USAGE);
    }
  }
  if (values['block-readonly'] === true && values.block === undefined) {
    return fail('--block-readonly makes the --block devices read-only, but there is no --block FILE', EXIT_USAGE);
  }
  const block: FileBlockBackend[] = [];
  try {
    for (const f of values.block ?? []) block.push(new FileBlockBackend(f, values['block-readonly'] === true));
  } catch (e) {
    block.forEach((b) => b.close());
    return fail((e as Error).message, EXIT_USAGE);
  }
  if (values.record !== undefined && values.replay !== undefined) {
    block.forEach((b) => b.close());
    return fail('--record and --replay do not go together: a replay is the recording', EXIT_USAGE);
  }
  const out = new GuestOutput();
  if (bare) return runBare(image, imagePath, memoryMiB, maxInstructions, values.cmdline ?? '', values.stats === true, out, wasmAfter);
  return runLguest(image, imagePath, out, {
    memoryMiB, maxInstructions, cmdline: values.cmdline ?? '', stats: values.stats === true, trace,
    directTraps: values['no-direct-traps'] !== true, epochSeconds, seed, noRestart: values['no-restart'] === true, initrd,
    block, rng: values.rng === true, record: values.record, replay: values.replay, wasmAfter,
  });
}

/** What is wrong with the words that are not options, or null: the one command is `run IMAGE`. */
function commandLineError(words: string[]): string | null {
  if (words.length === 0) return 'nothing to do: lguest-vm run IMAGE runs a Guest (--help lists the options)';
  if (words[0] !== 'run') return `unknown command '${words[0]}': the command is lguest-vm run IMAGE`;
  if (words.length === 1) return 'run wants an IMAGE: lguest-vm run IMAGE';
  if (words.length > 2) return `run takes one IMAGE, not also '${words.slice(2).join("' '")}' (quote a --cmdline with spaces)`;
  return null;
}


function runBare(image: Uint8Array, imagePath: string, memoryMiB: number, maxInstructions: number, cmdline: string, stats: boolean, out: GuestOutput, wasmAfter?: number): number {
  const machine = new Machine({ memoryMiB, output: (b) => out.byte(b), wasmAfter });
  // If stdout goes away (a pipe into `head`), there is no one left to run the guest for.
  out.onClosed = () => machine.requestStop();
  try {
    machine.bootMultiboot(image, imagePath, cmdline);
  } catch (e) {
    if (e instanceof ImageError) return fail(e.message, EXIT_USAGE);
    throw e;
  }
  const start = process.hrtime.bigint();
  const result = machine.run(maxInstructions);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  out.flush();
  if (stats) printStats(machine.cpu, machine.executor, seconds, []);
  if (out.closed) return 0;
  switch (result.kind) {
    case 'exit': return result.status;
    case 'limit': return fail(`stopped after ${machine.cpu.instructions} instructions (--max-instructions)`, EXIT_LIMIT);
    case 'fault': return fail(`guest stopped: ${result.reason}`, EXIT_GUEST_STOPPED);
    case 'stopped': case 'breakpoint': return fail('guest stopped', EXIT_GUEST_STOPPED);
  }
}


if (require.main === module) {
  void Promise.resolve(main(process.argv.slice(2))).then((status) => { process.exitCode = status; });
}
