/**
 * Checkpoints: QEMU's state at fixed points of a run (every so many steps,
 * and after every step that delivered an exception or interrupt), recorded
 * once with QEMU and committed, so that every test run checks our CPU
 * against QEMU even where QEMU is not installed.
 *
 * The recording runs a second machine of ours beside the lockstep, one
 * that is never touched (the lockstep copies QEMU's values of undefined
 * flags into its own machine; this one keeps its own, and compiles its
 * blocks as usual). At each checkpoint that free machine must equal QEMU in
 * everything but the arithmetic flags; those that differ are recorded as
 * the checkpoint's mask (they came from instructions that leave them
 * undefined).
 */
import { readFileSync } from 'node:fs';
import { Machine } from '../../src/vm/machine';
import { getFlags, ARITH } from '../../src/vm/cpu/flags';
import type { QemuRegs } from './rsp';
import { lockstep } from './lockstep';
import { pushRfAsQemu72 } from './qemuRf';

/** The order of the values in a recorded checkpoint. */
export const FIELDS = ['eip', 'eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eflags', 'es', 'cs', 'ss', 'ds', 'fs', 'gs', 'cr0', 'cr2', 'cr3', 'cr4'] as const;

export interface Recording {
  /** The kernel, relative to the repository, as the command line saw it. */
  kernel: string;
  args: string;
  recordedWith: string;
  /** [step, flag mask, ...FIELDS values] */
  checkpoints: number[][];
}

export function stateOf(m: Machine): Record<(typeof FIELDS)[number], number> {
  const c = m.cpu;
  const r = c.r32;
  return {
    eip: c.eip >>> 0, eax: r[0] >>> 0, ecx: r[1] >>> 0, edx: r[2] >>> 0, ebx: r[3] >>> 0, esp: r[4] >>> 0, ebp: r[5] >>> 0, esi: r[6] >>> 0, edi: r[7] >>> 0,
    eflags: getFlags(c) >>> 0, es: c.segSel[0], cs: c.segSel[1], ss: c.segSel[2], ds: c.segSel[3], fs: c.segSel[4], gs: c.segSel[5],
    cr0: c.cr0 >>> 0, cr2: c.cr2 >>> 0, cr3: c.cr3 >>> 0, cr4: c.cr4 >>> 0,
  };
}

/** The fields (other than the masked flags) in which our state differs from a checkpoint. */
export function mismatches(ours: Record<string, number>, values: number[], mask: number): string[] {
  const out: string[] = [];
  FIELDS.forEach((f, k) => {
    const want = values[k];
    if (f === 'eflags' ? ((ours.eflags ^ want) & ~mask) !== 0 : ours[f] !== want) out.push(`${f} ours ${ours[f].toString(16)} qemu ${want.toString(16)}`);
  });
  return out;
}

/** Record a kernel's checkpoints with QEMU. */
export async function record(kernel: string, args: string, every: number, qemuVersion: string): Promise<Recording> {
  const free = new Machine({ memoryMiB: 64 });
  free.bootMultiboot(new Uint8Array(readFileSync(kernel)), kernel, args);
  pushRfAsQemu72(free.cpu);
  const checkpoints: number[][] = [];
  let problem: string | null = null;
  const result = await lockstep(kernel, {
    args,
    onStep: ({ step, qemu, delivered }) => {
      if (problem !== null || (step % every !== 0 && !delivered)) return;
      free.executor.run(step - free.cpu.instructions);
      const ours = stateOf(free);
      const values = FIELDS.map((f) => (qemu as unknown as Record<string, number>)[f]);
      const mask = (ours.eflags ^ (qemu as QemuRegs).eflags) & ARITH;
      const bad = mismatches(ours, values, mask);
      if (bad.length > 0) problem = `our free-running machine left QEMU's path at step ${step}: ${bad.join(', ')}`;
      else checkpoints.push([step, mask, ...values]);
    },
  });
  if (result.end === 'divergence') throw new Error(`${kernel}: lockstep diverged:\n${result.report}`);
  if (problem !== null) throw new Error(`${kernel}: ${problem}`);
  return { kernel, args, recordedWith: qemuVersion, checkpoints };
}
