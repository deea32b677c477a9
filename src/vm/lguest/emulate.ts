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
import { GUEST_PL, CONSOLE_PORT, EXIT_PORT } from './layout';

/** Emulate the instruction at the Guest's EIP if it is one of ours; false if the #GP is the Guest's. */
export function emulateInsn(lg: Lguest): boolean {
  if ((lg.reg('cs') & 3) !== GUEST_PL) return false;
  const eip = lg.reg('eip');
  const physaddr = lg.pageTables.guestPa(eip);
  if (lg.dead !== null) return false;
  let insn = lg.read8(physaddr);
  if (insn === 0xfa) {
    // cli
    lg.setReg('eip', eip + 1);
    return true;
  }
  let len = 0, small = false;
  if (insn === 0x66) {
    small = true;
    len = 1;
    insn = lg.read8(physaddr + 1);
  }
  let isIn: boolean, port: number;
  switch (insn & 0xfe) {
    case 0xe4: isIn = true; port = lg.read8(physaddr + len + 1); len += 2; break;  // in $imm8
    case 0xec: isIn = true; port = lg.reg('edx') & 0xffff; len += 1; break;         // in (%dx)
    case 0xe6: isIn = false; port = lg.read8(physaddr + len + 1); len += 2; break;  // out $imm8
    case 0xee: isIn = false; port = lg.reg('edx') & 0xffff; len += 1; break;        // out (%dx)
    default: return false;
  }
  const size = (insn & 1) === 0 ? 1 : small ? 2 : 4;
  const eax = lg.reg('eax');
  if (isIn) {
    // Nothing answers but the console port, which reads as its own number (as QEMU's and Bochs's do).
    const v = port === CONSOLE_PORT ? CONSOLE_PORT : 0xffffffff;
    const mask = size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
    lg.setReg('eax', ((eax & ~mask) | (v & mask)) >>> 0);
  } else if (port === CONSOLE_PORT) {
    lg.onConsole(eax & 0xff);
  } else if (port === EXIT_PORT) {
    const v = size === 1 ? eax & 0xff : size === 2 ? eax & 0xffff : eax >>> 0;
    if (lg.dead === null) lg.dead = { kind: 'exit', status: ((v << 1) | 1) >>> 0 };
  }
  lg.setReg('eip', eip + len);
  lg.stats.emulated++;
  return true;
}
