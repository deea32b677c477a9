/**
 * REP STOS and REP MOVS in bulk: the iterations that stay on one page already
 * in the TLB, run as one fill or one copy of RAM instead of one call each.
 * Clearing and copying pages is what a kernel does most while it boots.
 *
 * It does exactly what the iterations would, or nothing (the caller goes on
 * one iteration at a time): only forward (DF clear), 32-bit
 * addresses, flat segments, TLB hits with the rights the accesses need, and
 * a destination page that holds no decoded code and no watch (a write there
 * must go through the CPU's writes, which drop the code). Data breakpoints
 * need nothing here: their pages are never in the TLB. Each iteration counts
 * as one instruction, as one at a time: the first was counted by the run
 * loop, each further one is counted before it runs, while the budget lasts.
 */
import type { Cpu } from '../state';
import { ES, DS, ECX, ESI, EDI } from '../state';
import type { Instr } from '../instr';
import { DF } from '../flags';
import { tlbIndex } from '../paging';

/** The physical address of linear `lin` if the TLB has it with the right `need`, else -1. */
function phys(c: Cpu, lin: number, need: number): number {
  const page = lin >>> 12, t = tlbIndex(page);
  if (c.tlbTag[t] !== page || (c.tlbRights[t] & need) === 0) return -1;
  return (c.tlbPhys[t] | (lin & 0xfff)) >>> 0;
}
/** How many `size`-byte elements fit from linear `lin` to its page's end. */
const room = (lin: number, size: number) => Math.floor((0x1000 - (lin & 0xfff)) / size);

/** How many iterations may run now: `left` to do, `done` already run in this execution. */
function allowed(c: Cpu, left: number, done: number): number {
  if (done > 0 && c.exitBlock) return 0;
  const budget = c.instructionLimit - c.instructions + (done === 0 ? 1 : 0);
  return Math.max(0, Math.min(left >>> 0, budget));
}

/** Count k iterations that ran in bulk (the first of an execution is already counted). */
function count(c: Cpu, k: number, done: number): void {
  c.instructions += done === 0 ? k - 1 : k;
}

/**
 * What no iteration of this execution changes (address size, DF, the segments) allows a bulk run at
 * all. NEVER tells the caller to stop asking for this execution; 0 is for now only (a TLB miss,
 * the budget, a page holding code: the next page may do).
 */
export const NEVER = -1;
function eligible(c: Cpu, i: Instr, src: number): boolean {
  return i.a32 && (c.flagsRaw & DF) === 0 && c.segFlatW[ES] !== 0 && (src < 0 || c.segFlatR[src] !== 0);
}

/** REP STOS: iterations done in bulk (0: none now, NEVER: none in this execution). */
export function bulkStos(c: Cpu, i: Instr, left: number, done: number): number {
  if (!eligible(c, i, -1)) return NEVER;
  const size = i.size, to = c.r32[EDI], dst = phys(c, to, c.accW);
  if (dst < 0 || c.mem.codePages[dst >>> 12] !== 0) return 0;
  const k = Math.min(allowed(c, left, done), room(to, size));
  if (k === 0) return 0;
  const bytes = c.mem.bytes, v = c.r32[0];
  if (size === 1 || v === 0 || (size === 4 && v === Math.imul(v & 0xff, 0x01010101)) || (size === 2 && (v & 0xffff) === (v & 0xff) * 0x101)) {
    bytes.fill(v & 0xff, dst, dst + k * size);
  } else {
    // The first element written, then doubled up to the whole span.
    const view = c.mem.view;
    if (size === 4) view.setInt32(dst, v, true); else view.setUint16(dst, v, true);
    for (let have = size; have < k * size; have *= 2) bytes.copyWithin(dst + have, dst, dst + Math.min(have, k * size - have));
  }
  c.r32[EDI] = (c.r32[EDI] + k * size) | 0;
  c.r32[ECX] = (c.r32[ECX] - k) | 0;
  count(c, k, done);
  return k;
}

/** REP MOVS: iterations done in bulk (0: none now, NEVER: none in this execution). */
export function bulkMovs(c: Cpu, i: Instr, left: number, done: number): number {
  if (!eligible(c, i, i.segPrefix >= 0 ? i.segPrefix : DS)) return NEVER;
  const size = i.size, from = c.r32[ESI], to = c.r32[EDI];
  const src = phys(c, from, c.accR), dst = phys(c, to, c.accW);
  if (src < 0 || dst < 0 || c.mem.codePages[dst >>> 12] !== 0) return 0;
  let k = Math.min(allowed(c, left, done), room(from, size), room(to, size));
  // One element at a time, a destination just above its source repeats what was copied (a fill
  // pattern): a bulk copy only up to where the destination starts reading its own writes.
  if (dst > src && dst < src + k * size) k = Math.floor((dst - src) / size);
  if (k === 0) return 0;
  c.mem.bytes.copyWithin(dst, src, src + k * size);
  c.r32[ESI] = (c.r32[ESI] + k * size) | 0;
  c.r32[EDI] = (c.r32[EDI] + k * size) | 0;
  c.r32[ECX] = (c.r32[ECX] - k) | 0;
  count(c, k, done);
  return k;
}
