/**
 * The bare kernels lockstep covers (npm run oracle, and the recorded
 * checkpoints): all but those that run too many instructions for lockstep's
 * ~5,000 steps a second (arith, shifts, strings, bench: they are compared
 * with QEMU by their output only).
 */
export const DEFAULT_KERNELS = ['hello', 'uart', 'triplefault', 'exceptions', 'rings', 'paging', 'protmode'];
