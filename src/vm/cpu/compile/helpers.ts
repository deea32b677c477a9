/**
 * Small functions the generated code calls by name (compileBlock passes
 * them in): what is too long to write out at every use. Kept small, so the
 * engine inlines them into the block.
 */
import type { Cpu } from '../state';
import { materialize } from '../flags';
import { raise } from '../fault';

const TWO32 = 4294967296;

/** The high 32 bits of the unsigned 64-bit product of a and b (any int32, taken unsigned). */
export function mulHighU(a: number, b: number): number {
  a >>>= 0; b >>>= 0;
  const p = a * b;
  if (p <= 9007199254740992) return Math.floor(p / TWO32) | 0; // exact below 2^53
  // In 16-bit halves: every partial product and sum is exact.
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 0x10000)) | 0;
}

/** The high 32 bits of the signed 64-bit product of int32 a and b. */
export function mulHighS(a: number, b: number): number {
  const p = a * b;
  if (p <= 9007199254740992 && p >= -9007199254740992) return Math.floor(p / TWO32) | 0;
  return (mulHighU(a, b) - (a < 0 ? b : 0) - (b < 0 ? a : 0)) | 0;
}

/**
 * DIV's 64-by-32 case with a non-zero high half (hi < d, so the quotient fits): EAX and EDX get
 * the quotient and remainder. Long division in two 16-bit steps, each exact in doubles.
 */
export function div64(r: Int32Array, hi: number, d: number): void {
  const lo = r[0] >>> 0;
  let t = hi * 0x10000 + (lo >>> 16);
  const q1 = Math.floor(t / d);
  t = (t - q1 * d) * 0x10000 + (lo & 0xffff);
  const q0 = Math.floor(t / d);
  r[0] = q1 * 0x10000 + q0;
  r[2] = t - q0 * d;
}

/**
 * IDIV's 64-by-32 case where EDX:EAX does not fit in 32 bits (ops/alu.ts idivE): the magnitudes
 * divided, then the signs given; #DE (nothing written) when the quotient does not fit.
 */
export function idiv64(c: Cpu, d: number): void {
  const r = c.r32;
  let hi = r[2] >>> 0, lo = r[0] >>> 0;
  const negN = hi >= 0x80000000;
  if (negN) {
    lo = (~lo + 1) >>> 0;
    hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
  }
  const ad = Math.abs(d);
  if (hi >= ad) raise(c, 0);
  let t = hi * 0x10000 + (lo >>> 16);
  const q1 = Math.floor(t / ad);
  t = (t - q1 * ad) * 0x10000 + (lo & 0xffff);
  const q0 = Math.floor(t / ad), q = q1 * 0x10000 + q0, rem = t - q0 * ad;
  const negQ = negN !== d < 0;
  if (q > (negQ ? 0x80000000 : 0x7fffffff)) raise(c, 0);
  r[0] = negQ ? -q : q;
  r[2] = negN ? -rem : rem;
}

/** Names and values in scope in every generated block, beside those compileBlock passes itself. */
export const HELPER_NAMES = ['materialize', 'mulHighU', 'mulHighS', 'div64', 'idiv64'];
export const HELPER_VALUES: unknown[] = [materialize, mulHighU, mulHighS, div64, idiv64];
