/**
 * Our CPU against QEMU's recorded checkpoints (test/fixtures/oracle/,
 * written by `npm run oracle:record`): this needs no QEMU. Each kernel runs
 * freely, as the product runs it, and at every checkpoint its state must be
 * QEMU's, but for flags the manual leaves undefined.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Machine } from '../../src/vm/machine';
import { stateOf, mismatches, type Recording } from './checkpoints';
import { DEFAULT_KERNELS } from './kernels';
import { pushRfAsQemu72 } from './qemuRf';

const ROOT = join(__dirname, '../..');
const DIR = join(ROOT, 'test/fixtures/oracle');

describe('our CPU at QEMU\'s recorded checkpoints', () => {
  it('has a recording for every lockstep kernel', () => {
    expect(readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort()).toEqual([...DEFAULT_KERNELS].sort());
  });
  for (const name of DEFAULT_KERNELS) {
    it(name, () => {
      const rec = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Recording;
      expect(rec.checkpoints.length).toBeGreaterThan(5);
      const m = new Machine({ memoryMiB: 64 });
      // The recorded command line starts with the kernel's path relative to the repository.
      m.bootMultiboot(new Uint8Array(readFileSync(join(ROOT, rec.kernel))), rec.kernel, rec.args);
      pushRfAsQemu72(m.cpu);
      for (const [step, mask, ...values] of rec.checkpoints) {
        m.executor.run(step - m.cpu.instructions);
        const bad = mismatches(stateOf(m), values, mask);
        expect(bad, `${name} at step ${step}`).toEqual([]);
      }
    });
  }
});
