/**
 * The x87's arithmetic on its 80-bit register format, as pure functions:
 * the value type and its classes (float80.ts), rounding (round.ts), the
 * arithmetic and compares (arith.ts), and the memory formats (convert.ts).
 * It knows nothing of the CPU: the x87 will pass PC and RC from its control
 * word and OR the returned flags into its status word.
 */
export * from './float80';
export { type Format, type Rounded, type Tininess, SINGLE, DOUBLE, EXT64, extFormat, roundExact, packExt, roundToExt, shiftRound } from './round';
export * from './arith';
export * from './convert';
// The architectural state (state.ts) and its FSTENV/FSAVE memory images (environment.ts).
export * from './state';
export * from './environment';
// FPREM, FPREM1, FSCALE, FXTRACT (remainder.ts) and the transcendental instructions
// (transcendental.ts, computed in the ball arithmetic of ball.ts, which stays internal).
export * from './remainder';
export * from './transcendental';
