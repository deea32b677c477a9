#!/usr/bin/env node
/**
 * lguest-vm: run a guest headless.
 *
 *   lguest-vm run IMAGE [--bare] [--mem MIB] [--max-instructions N] [--cmdline TEXT] [--stats]
 *
 * stdout carries only what the guest printed, byte for byte, so it can be
 * compared with QEMU's. Everything else goes to stderr. Exit status: the
 * guest's own (isa-debug-exit: always odd), or 2 when the machine stopped a
 * misbehaving guest, 124 when the instruction limit was reached, 64 for bad
 * arguments or a bad image.
 */
import { readFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Machine } from './vm/machine';
import { ImageError } from './vm/elf';
import { EXCEPTION_NAMES } from './vm/cpu/fault';

const USAGE = `usage: lguest-vm run IMAGE [--bare] [--mem MIB] [--max-instructions N] [--cmdline TEXT] [--stats]

  --bare                 boot IMAGE as a Multiboot kernel on the bare machine (the only mode for now)
  --mem MIB              guest memory in MiB (default 64)
  --max-instructions N   stop after N instructions (exit status 124)
  --cmdline TEXT         arguments for the kernel's command line (which starts with IMAGE, as QEMU's does)
  --stats                print instructions, wall time, MIPS and exceptions to stderr`;

export const EXIT_GUEST_STOPPED = 2, EXIT_LIMIT = 124, EXIT_USAGE = 64;

class UsageError extends Error {}

function fail(message: string, status: number): number {
  process.stderr.write(`lguest-vm: ${message}\n`);
  return status;
}

function positiveInt(name: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) throw new UsageError(`--${name} wants a whole number from 1 to ${max}, not '${value}'`);
  return Number(value);
}

export function main(argv: string[]): number {
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
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    return fail(`${(e as Error).message}\n${USAGE}`, EXIT_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals[0] !== 'run' || positionals.length !== 2) return fail(`expected 'run IMAGE'\n${USAGE}`, EXIT_USAGE);
  const imagePath = positionals[1];

  let memoryMiB: number, maxInstructions: number;
  try {
    memoryMiB = positiveInt('mem', values.mem, 3072) ?? 64;
    maxInstructions = positiveInt('max-instructions', values['max-instructions'], Number.MAX_SAFE_INTEGER) ?? Infinity;
  } catch (e) {
    return fail((e as Error).message, EXIT_USAGE);
  }
  if (memoryMiB < 2) return fail('--mem must be at least 2 MiB (a Multiboot kernel loads at 1 MiB)', EXIT_USAGE);

  let image: Uint8Array;
  try {
    image = new Uint8Array(readFileSync(imagePath));
  } catch (e) {
    return fail(`cannot read ${imagePath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, EXIT_USAGE);
  }

  const out = new GuestOutput();
  const machine = new Machine({ memoryMiB, output: (b) => out.byte(b) });
  // If stdout goes away (a pipe into `head`), there is no one left to run the guest for.
  out.onClosed = () => machine.requestStop();
  try {
    machine.bootMultiboot(image, imagePath, values.cmdline ?? '');
  } catch (e) {
    if (e instanceof ImageError) return fail(e.message, EXIT_USAGE);
    throw e;
  }

  const start = process.hrtime.bigint();
  const result = machine.run(maxInstructions);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  out.flush();

  if (values.stats) printStats(machine, seconds);
  if (out.closed) return 0;
  switch (result.kind) {
    case 'exit': return result.status;
    case 'limit': return fail(`stopped after ${machine.cpu.instructions} instructions (--max-instructions)`, EXIT_LIMIT);
    case 'fault': return fail(`guest stopped: ${result.reason}`, EXIT_GUEST_STOPPED);
    case 'stopped': return fail('guest stopped', EXIT_GUEST_STOPPED);
  }
}

/** Guest bytes to stdout, buffered, written synchronously so nothing is lost at exit. */
class GuestOutput {
  private buf = new Uint8Array(4096);
  private n = 0;
  closed = false;
  onClosed: () => void = () => {};
  byte(b: number): void {
    if (this.closed) return;
    this.buf[this.n++] = b;
    if (this.n === this.buf.length || b === 10) this.flush();
  }
  flush(): void {
    try {
      let off = 0;
      while (off < this.n) off += writeSync(1, this.buf, off, this.n - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
      this.closed = true;
      this.onClosed();
    }
    this.n = 0;
  }
}

function printStats(m: Machine, seconds: number): void {
  const n = m.cpu.instructions;
  const lines = [
    `instructions: ${n}`,
    `wall time: ${seconds.toFixed(3)} s`,
    `guest MIPS: ${(n / seconds / 1e6).toFixed(1)}`,
  ];
  m.cpu.vectorCounts.forEach((count, v) => {
    if (count > 0) lines.push(`vector ${v}${v < EXCEPTION_NAMES.length ? ` ${EXCEPTION_NAMES[v]}` : ''}: ${count}`);
  });
  process.stderr.write(lines.join('\n') + '\n');
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
