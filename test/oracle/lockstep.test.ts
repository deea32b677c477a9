/**
 * A short live lockstep run against QEMU (when it is installed): every
 * step of these kernels must leave both CPUs in the same state. The long
 * runs are `npm run oracle`.
 */
import { describe, it, expect } from 'vitest';
import { hasQemu } from '../helpers';
import { join } from 'node:path';
import { lockstep } from './lockstep';


const kernel = (name: string) => join(__dirname, '../../guests/bare/build', `${name}.elf`);

describe.runIf(hasQemu())('lockstep with QEMU', () => {
  it('hello, to its end', async () => {
    const r = await lockstep(kernel('hello'));
    expect(r.report ?? '').toBe('');
    expect(r.end).toBe('exit');
    expect(r.steps).toBeGreaterThan(15_000);
  });
  it('rings: privilege changes, gates and the TSS, for 20,000 steps', async () => {
    const r = await lockstep(kernel('rings'), { maxSteps: 20_000 });
    expect(r.report ?? '').toBe('');
    expect(r.steps).toBe(20_000);
  });
});
