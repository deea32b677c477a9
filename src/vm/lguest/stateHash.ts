/**
 * One number for the whole machine: a SHA-256 of its memory (the Guest's, the devices' window, the Host's
 * region), the CPU's registers and clock, and the Host's state (state.ts, the devices' included). Two runs
 * that end with the same hash ended the same, to the bit: what a replay of a recorded session must give.
 */
import { createHash } from 'node:crypto';
import type { Host } from './host';
import { captureHostState } from './state';
import { getFlags } from '../cpu/flags';
import type { FpuState } from '../cpu/fpu/state';
import { encodeF80 } from '../cpu/fpu/float80';

export function machineStateHash(host: Host): string {
  const c = host.cpu;
  const cpu = {
    r32: [...c.r32], eip: c.eip >>> 0, eflags: getFlags(c) >>> 0, segSel: [...c.segSel],
    cr0: c.cr0 >>> 0, cr2: c.cr2 >>> 0, cr3: c.cr3 >>> 0, cr4: c.cr4 >>> 0, instructions: c.instructions,
    fpu: fpuFacts(c.fpu),
  };
  return createHash('sha256')
    .update(host.mem.bytes)
    .update(JSON.stringify(cpu))
    .update(JSON.stringify(captureHostState(host)))
    .digest('hex');
}

/** The x87's whole state: its registers' 80 bits each (empty ones too: FRSTOR can bring them back), words and pointers. */
function fpuFacts(f: FpuState): unknown {
  const regs = Array.from({ length: 8 }, (_, p) => Buffer.from(encodeF80(f.physical(p))).toString('hex'));
  return { regs, cw: f.controlWord, sw: f.statusWord, tw: f.tagWord, fip: f.fip, fcs: f.fcs, fop: f.fop, fdp: f.fdp, fds: f.fds };
}
