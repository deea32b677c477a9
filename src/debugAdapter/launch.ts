/**
 * launch.json's attributes for an `lguest` session, checked. Whatever a
 * client sends, the adapter either gets a complete, valid set or an error
 * message that says which attribute is wrong and why; it never starts a
 * session on a guess. Attributes it does not know (VS Code adds its own,
 * such as `type`, `request`, `name`) are ignored.
 */
import { describeValue } from './requestChecks';
import { parseEpoch, EPOCH_WANTED, EPOCH_TOO_LATE } from '../launchOptions';

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
  /** Files behind virtio block devices, /dev/vda first (lguest Guests). */
  block: string[];
  blockReadOnly: boolean;
  /** A virtio entropy device. */
  rng: boolean;
  /** Seeds the Host's random choices and the entropy device's stream. */
  seed: number;
  /** The Guest's wall clock at time 0, in seconds since 1970; the Host's own default when absent. */
  epoch?: number;
  /** A Guest asking to restart ends the session instead of booting again. */
  noRestart: boolean;
  /** An ELF file whose symbols and DWARF stand for the program's (a bzImage has none). */
  symbols?: string;
  /** Write the console input, with its virtual times and the run's facts, to this file (as --record). */
  record?: string;
  /** Run again as this recording says: its input at its times, the facts checked (as --replay). */
  replay?: string;
}

export const LAUNCH_DEFAULTS: Omit<LaunchArgs, 'program'> = {
  mode: 'lguest', memory: 64, cmdline: '', stopOnEntry: false, directTraps: true, disassemblyFlavor: 'att',
  stepIntoSwitcher: false, block: [], blockReadOnly: false, rng: false, seed: 1, noRestart: false,
};

/** Attributes only the lguest Host has a use for, in the order a refusal looks for them. */
const LGUEST_ONLY = [
  'directTraps', 'stepIntoSwitcher', 'initrd', 'block', 'blockReadOnly', 'rng', 'seed', 'epoch', 'noRestart', 'symbols',
  'record', 'replay',
] as const;

/** lguest's Launcher had 31 PCI slots after the host bridge; the console always takes one. */
const MAX_DEVICES = 31;

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
  for (const k of ['stopOnEntry', 'directTraps', 'stepIntoSwitcher', 'blockReadOnly', 'rng', 'noRestart'] as const) {
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
  // As the command line refuses each with --bare: the bare machine has no Host, Launcher or devices to give them to.
  const unused = out.mode === 'bare' ? LGUEST_ONLY.find((k) => a[k] !== undefined) : undefined;
  if (unused !== undefined) return { error: `'${unused}' is for lguest Guests, not mode "bare"` };
  const error = checkFiles(a, out) ?? checkHost(a, out);
  return error === null ? out : { error };
}

const isPath = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** initrd, block, blockReadOnly and symbols: the files besides the program; what is wrong, or null. */
function checkFiles(a: Record<string, unknown>, out: LaunchArgs): string | null {
  if (a.initrd !== undefined) {
    if (!isPath(a.initrd)) return `'initrd' must be the path of an initial ramdisk, not ${describeValue(a.initrd)}`;
    out.initrd = a.initrd;
  }
  if (a.block !== undefined) {
    // One file, or a list of them: /dev/vda, /dev/vdb, ... in that order.
    const files: unknown[] = Array.isArray(a.block) ? a.block : [a.block];
    const bad = files.findIndex((f) => !isPath(f));
    if (bad >= 0) {
      return Array.isArray(a.block)
        ? `'block[${bad}]' must be the path of a disk image, not ${describeValue(files[bad])}`
        : `'block' must be the path of a disk image or a list of them, not ${describeValue(a.block)}`;
    }
    out.block = files as string[];
  }
  if (out.blockReadOnly && out.block.length === 0) {
    return "'blockReadOnly' makes the 'block' devices read-only, but there is no 'block' file";
  }
  const room = MAX_DEVICES - 1 - (out.rng ? 1 : 0);
  if (out.block.length > room) {
    const taken = out.rng ? 'the console and rng take two' : 'the console takes one';
    return `'block' names ${out.block.length} files, but at most ${room} fit: `
      + `there are ${MAX_DEVICES} PCI slots and ${taken}`;
  }
  if (a.symbols !== undefined) {
    if (!isPath(a.symbols)) {
      return `'symbols' must be the path of an ELF file with the program's symbols, not ${describeValue(a.symbols)}`;
    }
    out.symbols = a.symbols;
  }
  for (const k of ['record', 'replay'] as const) {
    if (a[k] === undefined) continue;
    if (!isPath(a[k])) return `'${k}' must be the path of a recording, not ${describeValue(a[k])}`;
    out[k] = a[k];
  }
  if (out.record !== undefined && out.replay !== undefined) {
    return "'record' and 'replay' do not go together: a replay is the recording";
  }
  return null;
}

/** seed and epoch: the Host's options; what is wrong, or null. */
function checkHost(a: Record<string, unknown>, out: LaunchArgs): string | null {
  if (a.seed !== undefined) {
    if (typeof a.seed !== 'number' || !Number.isInteger(a.seed) || a.seed < 0 || a.seed > 0xffffffff) {
      return `'seed' must be a whole number from 0 to 4294967295, not ${describeValue(a.seed)}`;
    }
    out.seed = a.seed;
  }
  if (a.epoch !== undefined) {
    const seconds = typeof a.epoch === 'string' || typeof a.epoch === 'number' ? parseEpoch(a.epoch) : 'wrong';
    if (seconds === 'wrong') return `'epoch' must be ${EPOCH_WANTED}, not ${describeValue(a.epoch)}`;
    if (seconds === 'too late') return `'epoch' ${describeValue(a.epoch)} is ${EPOCH_TOO_LATE}`;
    out.epoch = seconds;
  }
  return null;
}
