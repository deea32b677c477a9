/**
 * launch.json's attributes for an `lguest` session, checked. Whatever a
 * client sends, the adapter either gets a complete, valid set or an error
 * message that says which attribute is wrong and why; it never starts a
 * session on a guess. Attributes it does not know (VS Code adds its own,
 * such as `type`, `request`, `name`) are ignored.
 */
import { describeValue } from './requestChecks';

export interface LaunchArgs {
  /** The Guest's ELF file. */
  program: string;
  mode: 'lguest' | 'bare';
  /** Guest memory in MiB. */
  memory: number;
  cmdline: string;
  stopOnEntry: boolean;
  directTraps: boolean;
  disassemblyFlavor: 'att' | 'intel';
  stepIntoSwitcher: boolean;
  /** An initial ramdisk's file (lguest Guests), loaded at the top of Guest memory. */
  initrd?: string;
}

export const LAUNCH_DEFAULTS: Omit<LaunchArgs, 'program'> = {
  mode: 'lguest', memory: 64, cmdline: '', stopOnEntry: false, directTraps: true, disassemblyFlavor: 'att',
  stepIntoSwitcher: false,
};

/** The checked arguments, or what is wrong with them. */
export function checkLaunchArgs(raw: unknown): LaunchArgs | { error: string } {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { error: 'the launch arguments must be an object' };
  }
  const a = raw as Record<string, unknown>;
  const out: LaunchArgs = { program: '', ...LAUNCH_DEFAULTS };
  if (typeof a.program !== 'string' || a.program.trim() === '') {
    return {
      error: a.program === undefined
        ? "'program' is required: the path of the Guest's ELF file"
        : "'program' must be a non-empty string: the path of the Guest's ELF file",
    };
  }
  out.program = a.program;
  if (a.mode !== undefined) {
    if (a.mode !== 'lguest' && a.mode !== 'bare') {
      return { error: `'mode' must be "lguest" or "bare", not ${describeValue(a.mode)}` };
    }
    out.mode = a.mode;
  }
  const max = out.mode === 'bare' ? 3072 : 2048;
  if (a.memory !== undefined) {
    if (typeof a.memory !== 'number' || !Number.isInteger(a.memory) || a.memory < 2 || a.memory > max) {
      return { error: `'memory' must be a whole number of MiB from 2 to ${max}, not ${describeValue(a.memory)}` };
    }
    out.memory = a.memory;
  }
  if (a.cmdline !== undefined) {
    if (typeof a.cmdline !== 'string') return { error: `'cmdline' must be a string, not ${describeValue(a.cmdline)}` };
    out.cmdline = a.cmdline;
  }
  for (const k of ['stopOnEntry', 'directTraps', 'stepIntoSwitcher'] as const) {
    if (a[k] !== undefined) {
      if (typeof a[k] !== 'boolean') return { error: `'${k}' must be true or false, not ${describeValue(a[k])}` };
      out[k] = a[k] as boolean;
    }
  }
  if (a.disassemblyFlavor !== undefined) {
    if (a.disassemblyFlavor !== 'att' && a.disassemblyFlavor !== 'intel') {
      return { error: `'disassemblyFlavor' must be "att" or "intel", not ${describeValue(a.disassemblyFlavor)}` };
    }
    out.disassemblyFlavor = a.disassemblyFlavor;
  }
  if (a.initrd !== undefined) {
    if (typeof a.initrd !== 'string' || a.initrd.trim() === '') {
      return { error: `'initrd' must be the path of an initial ramdisk, not ${describeValue(a.initrd)}` };
    }
    out.initrd = a.initrd;
  }
  if (out.mode === 'bare' && (a.directTraps !== undefined || a.stepIntoSwitcher !== undefined || a.initrd !== undefined)) {
    return { error: "'directTraps', 'stepIntoSwitcher' and 'initrd' are for lguest Guests, not mode \"bare\"" };
  }
  return out;
}
