/**
 * Our bare-metal test kernels print the same bytes, and end with the same
 * status, on our machine as on QEMU. QEMU's output is recorded in
 * guests/bare/expected/ (scripts/record-bare-expected.sh, for the runs listed
 * in guests/bare/runs.txt), so this runs without QEMU; where QEMU is
 * installed, it is also run live and must still print what was recorded.
 */
import { describe, it, expect } from 'vitest';
import { hasQemu } from '../helpers';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Machine } from '../../src/vm/machine';

const ROOT = join(__dirname, '../..');
const DIR = join(ROOT, 'guests/bare');
interface Run { name: string; kernel: string; cmdline: string }
const RUNS: Run[] = readFileSync(join(DIR, 'runs.txt'), 'utf8').split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((l) => { const [name, kernel, ...rest] = l.trim().split(/\s+/); return { name, kernel, cmdline: rest.join(' ') }; });
/** Runs too long for every test run: the full benchmarks are what `npm run bench` runs. */
const LONG = new Set(['bench', 'fpbench']);

function expected(name: string): { out: string; status: number } {
  return {
    out: readFileSync(join(DIR, 'expected', `${name}.out`)).toString('latin1'),
    status: Number(readFileSync(join(DIR, 'expected', `${name}.status`), 'utf8').trim()),
  };
}

function runOurs(run: Run, tier: { compileAfter?: number; wasmAfter?: number; wasmBatch?: number } = {}) {
  const bytes: number[] = [];
  const m = new Machine({ memoryMiB: 64, output: (b) => bytes.push(b), ...tier });
  // QEMU passes the kernel's path before the arguments; the kernels only look for words in it.
  m.bootMultiboot(new Uint8Array(readFileSync(join(DIR, 'build', `${run.kernel}.elf`))), run.kernel, run.cmdline);
  const result = m.run(2_000_000_000);
  return { out: Buffer.from(bytes).toString('latin1'), result };
}

describe('bare-metal kernels print what QEMU prints', () => {
  it('has runs to compare', () => {
    expect(RUNS.length).toBeGreaterThanOrEqual(10);
  });
  for (const run of RUNS.filter((r) => !LONG.has(r.name))) {
    it(run.name, () => {
      const want = expected(run.name);
      const ours = runOurs(run);
      expect(ours.out).toBe(want.out);
      if (want.status === 0) {
        // QEMU -no-reboot ends a triple-faulted machine with status 0; we stop it and say why.
        expect(ours.result).toMatchObject({ kind: 'fault', reason: expect.stringMatching(/^triple fault/) });
      } else {
        expect(ours.result).toEqual({ kind: 'exit', status: want.status });
      }
    });
  }
});

// The block compilers write the common instructions out again; they must agree with the handlers everywhere.
describe.each([
  ['compiled to JavaScript at once', { compileAfter: 1 }],
  ['compiled to WebAssembly at once', { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 }],
  ['never compiled', { compileAfter: Infinity }],
])('the same output with every block %s', (_label, tier) => {
  for (const run of RUNS.filter((r) => !LONG.has(r.name))) {
    it(run.name, () => {
      expect(runOurs(run, tier).out).toBe(expected(run.name).out);
    });
  }
});

describe('checks QEMU does not make, against the manual', () => {
  it('protmode limits: segment limit, type and null-selector faults on every access', () => {
    const ours = runOurs({ name: 'protmode-limits', kernel: 'protmode', cmdline: 'limits' });
    expect(ours.result).toEqual({ kind: 'exit', status: 1 });
  });
});

describe.runIf(hasQemu())('QEMU still prints what was recorded', () => {
  for (const run of RUNS.filter((r) => !LONG.has(r.name))) {
    it(run.name, () => {
      const args = [join(DIR, 'build', `${run.kernel}.elf`), ...(run.cmdline ? [run.cmdline] : [])];
      const q = spawnSync(join(ROOT, 'scripts/qemu-bare.sh'), args, { timeout: 90_000 });
      const want = expected(run.name);
      expect(q.stdout.toString('latin1')).toBe(want.out);
      expect(q.status).toBe(want.status);
    });
  }
});
