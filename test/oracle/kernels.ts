/**
 * The bare kernels lockstep covers (npm run oracle, and the recorded
 * checkpoints): all but those that run too many instructions for lockstep's
 * ~5,000 steps a second (arith, shifts, strings, bench: the log mode,
 * `npm run oracle -- --log`, compares those instruction by instruction).
 */
export const DEFAULT_KERNELS = ['hello', 'uart', 'triplefault', 'exceptions', 'rings', 'paging', 'protmode'];

/**
 * QEMU's command line for a bare kernel, as both oracle modes start it: the
 * devices of our bare machine (COM1 and the 0xE9 console, their output
 * discarded; isa-debug-exit), 64 MiB, no reboot on a triple fault.
 */
export function qemuArgs(kernel: string, args?: string): string[] {
  return ['-kernel', kernel, ...(args ? ['-append', args] : []), '-display', 'none', '-m', '64', '-no-reboot', '-nodefaults',
    '-serial', 'null', '-debugcon', 'file:/dev/null', '-device', 'isa-debug-exit,iobase=0xf4,iosize=1'];
}
