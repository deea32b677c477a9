/**
 * The interpreter is the reference for Linux too: the shared kernel, with its initrd, run with every block
 * compiled at once (and with the WebAssembly tier) and with nothing ever compiled, is the same machine at the
 * same instruction, to the bit (the console, the clock, the whole state hash), through its early boot, the
 * Switcher's trips for its port I/O and page faults, and its first timer interrupts. A clone without ../shared/linux skips it, and its name
 * says so.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from '../../src/vm/lguest/host';
import { machineStateHash } from '../../src/vm/lguest/stateHash';
import { LINUX, linuxHas, linuxTitle } from './helpers';

const HERE = linuxHas('vmlinux', 'initrd.cpio');
/** Far enough for 140,000 trips to the Host (port I/O, page faults, hypercalls) and the first timer interrupts. */
const INSTRUCTIONS = 30_000_000;

function run(tier: { compileAfter: number; wasmAfter?: number }) {
  const out: number[] = [];
  const host = new Host({ ...tier, output: (b) => out.push(b) });
  host.boot(new Uint8Array(readFileSync(join(LINUX, 'vmlinux'))), 'vmlinux', '', {
    name: 'initrd.cpio', data: new Uint8Array(readFileSync(join(LINUX, 'initrd.cpio'))),
  });
  const result = host.run(INSTRUCTIONS);
  const stats = host.lg.stats;
  return {
    result, console: Buffer.from(out).toString('latin1'), instructions: host.cpu.instructions, hash: machineStateHash(host),
    entries: stats.entries, pageFaults: stats.exits[14], timerIrqs: stats.interrupts[0], wasmBlocks: host.executor.blocksCompiledWasm,
  };
}

describe.skipIf(!HERE)(linuxTitle('Linux: compiled at once and never compiled agree', HERE), () => {
  it(`the first ${INSTRUCTIONS} instructions end in the same machine`, () => {
    const compiled = run({ compileAfter: 1 }), interpreted = run({ compileAfter: Infinity });
    expect(compiled.result).toEqual({ kind: 'limit' });
    expect(interpreted.result).toEqual({ kind: 'limit' });
    // The run went through the Host many times, page faults and timer interrupts among them, and printed the banner.
    expect(compiled.entries).toBeGreaterThan(100_000);
    expect(compiled.pageFaults).toBeGreaterThan(1000);
    expect(compiled.timerIrqs).toBeGreaterThan(0);
    expect(compiled.console).toContain('Linux version');
    expect(compiled.console).toBe(interpreted.console);
    expect(compiled.instructions).toBe(interpreted.instructions);
    expect(compiled.hash).toBe(interpreted.hash);
    // The WebAssembly tier (experimental, off by default) after 20 runs of a block, in its batches.
    const wasm = run({ compileAfter: Infinity, wasmAfter: 20 });
    expect(wasm.console).toBe(interpreted.console);
    expect(wasm.instructions).toBe(interpreted.instructions);
    expect(wasm.hash).toBe(interpreted.hash);
    expect(wasm.wasmBlocks).toBeGreaterThan(1000);
  }, 180_000);
});
