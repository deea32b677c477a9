/**
 * The interpreter is the reference: lguest Guests run with every block compiled at once (to
 * JavaScript; or to WebAssembly at the second run) and with nothing ever compiled end the same way, to the bit (output, how the run ended, the clock and
 * the whole machine's state hash), through system calls, page faults, the Switcher and the Host, and
 * through what the fuzz Guest throws at them. test/linux/tiers.test.ts does the same for Linux.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from './host';
import { machineStateHash } from './stateHash';

const GUESTS = join(__dirname, '../../../guests/lguest');

function run(file: string, cmdline: string, tier: { compileAfter: number; wasmAfter?: number; wasmBatch?: number }, directTraps = true) {
  const out: number[] = [];
  const host = new Host({ ...tier, directTraps, output: (b) => out.push(b), noRestart: true });
  host.boot(new Uint8Array(readFileSync(join(GUESTS, file))), file, cmdline);
  const result = host.run(200_000_000);
  return {
    result, output: Buffer.from(out).toString('latin1'), instructions: host.cpu.instructions, hash: machineStateHash(host),
    wasmBlocks: host.executor.blocksCompiledWasm,
  };
}

describe('compiled (to JavaScript, to WebAssembly) and never compiled agree on lguest Guests', () => {
  const cases: [string, string, boolean][] = [
    ['tour/build/tour.elf', '', true],
    ['tour/build/tour.elf', 'bench=getpid:300', false],
    ['tour/build/tour.elf', 'bench=fault:50', true],
    ['build/hello.elf', '', true],
    ['faults/build/pf_handler.elf', '', true],
    ['faults/build/gp_not_io.elf', '', true],
    ['pagerules/build/pagerules.elf', '', true],
    ['fpu/build/fpu.elf', '', true],
    // The fuzz Guest: random instructions, hypercalls, faults and page-table writes at both privilege levels.
    ...[1, 2, 3, 4, 5, 6].map((seed): [string, string, boolean] => ['fuzz/build/fuzz.elf', `seed=${seed}`, seed % 2 === 0]),
  ];
  for (const [file, cmdline, direct] of cases) {
    it(`${file} ${cmdline}${direct ? '' : ' (no direct traps)'}`, () => {
      const b = run(file, cmdline, { compileAfter: Infinity }, direct);
      // JavaScript at the first run; WebAssembly at the second (test/linux/tiers.test.ts has it in its batches).
      for (const tier of [{ compileAfter: 1 }, { compileAfter: Infinity, wasmAfter: 2, wasmBatch: 1 }]) {
        const a = run(file, cmdline, tier, direct);
        expect(a.result.kind).not.toBe('limit');
        expect(a.output).toBe(b.output);
        expect(a.result).toEqual(b.result);
        expect(a.instructions).toBe(b.instructions);
        expect(a.hash).toBe(b.hash);
        if (tier.wasmAfter !== undefined) expect(a.wasmBlocks).toBeGreaterThan(0);
      }
    });
  }
});
