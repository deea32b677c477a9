/**
 * What lguest-vm says: the Guest's bytes on stdout (buffered, written synchronously so nothing is lost at
 * exit), one-line errors and the statistics on stderr, and the exit statuses.
 */
import { writeSync } from 'node:fs';
import { EXCEPTION_NAMES } from './vm/cpu/fault';
import type { Cpu } from './vm/cpu/state';
import type { Executor } from './vm/cpu/executor';

export const EXIT_GUEST_STOPPED = 2, EXIT_LIMIT = 124, EXIT_USAGE = 64;
/** Three Ctrl-C within a second at the Guest's console end the run, as lguest's Launcher did: as a SIGINT would. */
export const EXIT_INTERRUPTED = 130;

export function fail(message: string, status: number): number {
  process.stderr.write(`lguest-vm: ${message}\n`);
  return status;
}

/** Guest bytes to stdout, buffered, written synchronously so nothing is lost at exit. */
export class GuestOutput {
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

export function printStats(cpu: Cpu, exec: Executor, seconds: number, extra: string[]): void {
  const n = cpu.instructions;
  const lines = [
    `instructions: ${n}`,
    `wall time: ${seconds.toFixed(3)} s`,
    `guest MIPS: ${(n / seconds / 1e6).toFixed(1)}`,
    // Where the instructions ran: what tells a slow run's warm-up from its steady state.
    `instructions interpreted: ${exec.instructionsInterpreted}`,
    `blocks decoded: ${exec.blocksDecoded}; compiled to WebAssembly: ${exec.blocksCompiledWasm}, in ${exec.wasmModules} modules (${exec.wasmRegions} loops as regions); entered ${exec.wasmEntries} times`,
  ];
  cpu.vectorCounts.forEach((count, v) => {
    if (count > 0) lines.push(`vector ${v}${v < EXCEPTION_NAMES.length ? ` ${EXCEPTION_NAMES[v]}` : ''}: ${count}`);
  });
  lines.push(...extra);
  process.stderr.write(lines.join('\n') + '\n');
}

