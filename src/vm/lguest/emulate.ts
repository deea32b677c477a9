/**
 * Port I/O for the Guest kernel, as lguest's Host did it in its in-kernel
 * years (emulate_insn): the Guest's TSS has no I/O bitmap, so IN, OUT and
 * CLI at ring 1 raise #GP(0), and the Host does them instead.
 *
 * There is no PC here, only two ports: 0xE9, the Guest's console (what it
 * writes is printed), and 0xF4, the exit port (the run ends with status
 * (v << 1) | 1, as QEMU's isa-debug-exit in bare mode). Reads elsewhere see
 * nothing there (all ones), writes elsewhere vanish, CLI is skipped (the
 * Guest's interrupt flag is lguest_data.irq_enabled, not the CPU's).
 * The same instructions from ring 3 are the Guest's problem: its #GP.
 */
import { Lguest } from './lguest';
import type { Emulation } from './decide';

/** Carry out an emulation decide.ts planned. */
export function applyEmulation(lg: Lguest, e: Emulation): void {
  if (e.eax !== undefined) lg.setReg('eax', e.eax);
  if (e.consoleByte !== undefined) lg.onConsole(e.consoleByte);
  if (e.exitStatus !== undefined && lg.dead === null) lg.dead = { kind: 'exit', status: e.exitStatus };
  lg.setReg('eip', e.eip);
  lg.stats.emulated++;
}

