/**
 * Going to a more privileged ring through a gate (an interrupt or trap
 * gate, or a call gate): the inner ring's stack comes from the TSS, the
 * old SS:ESP and the rest of the frame are pushed there, and only when
 * every push has succeeded do SS:ESP, CS and the CPL change. A fault on
 * the way leaves the CPU as it was, so the exception it raises is reported
 * at the instruction (or the delivery) that tried.
 */
import type { Cpu } from './state';
import { CS, SS, ESP } from './state';
import { raise, Vec } from './fault';
import { desc, descAttr, descBase, descLimit, checkStackSegment, markAccessed, loadCacheFromDesc } from './segments';

/**
 * What goes on the new stack after the old SS:ESP, first pushed first: the caller fills
 * FRAME[0..count) (EFLAGS, CS, EIP, an error code; or a call gate's parameters), so an
 * interrupt allocates nothing.
 */
export const FRAME = new Int32Array(40);

/**
 * Switch to ring `newCpl` (numerically below the current CPL) for the code
 * segment whose descriptor (read by `readDescriptor`) is csLo, csHi at csAddr,
 * selector `sel`, pushing the old SS:ESP and FRAME[0..count) in units of `n`
 * bytes on the stack the TSS gives for that ring. `ext` is the EXT bit of the
 * error codes this can raise.
 */
export function switchToInnerRing(c: Cpu, newCpl: number, csLo: number, csHi: number, csAddr: number, sel: number, n: number, count: number, ext: number): void {
  // The new stack: ssN:espN in a 32-bit TSS, ssN:spN in a 16-bit one.
  const tss32 = (c.tr.attr & 0x8) !== 0;
  const spOff = tss32 ? 4 + newCpl * 8 : 2 + newCpl * 4;
  if (spOff + (tss32 ? 5 : 3) > c.tr.limit) raise(c, Vec.TS, (c.tr.sel & 0xfffc) | ext);
  const newEsp = tss32 ? c.rdSys32((c.tr.base + spOff) | 0) : c.rdSys16((c.tr.base + spOff) | 0);
  const newSs = c.rdSys16((c.tr.base + spOff + (tss32 ? 4 : 2)) | 0);
  checkStackSegment(c, newSs, newCpl, Vec.TS, ext);
  const ssLo = desc.lo, ssHi = desc.hi, ssAddr = desc.addr;
  const ssBase = descBase(ssLo, ssHi), ssLimit = descLimit(ssLo, ssHi), ssAttr = descAttr(ssHi);
  const ss32 = (ssAttr & 0x4000) !== 0;

  // The inner ring is supervisor (ring 0, 1 or 2): its stack is written as such.
  let sp = ss32 ? newEsp : newEsp & 0xffff;
  const oldSs = c.segSel[SS], oldEsp = c.r32[ESP];
  for (let k = -2; k < count; k++) {
    const v = k === -2 ? oldSs : k === -1 ? oldEsp : FRAME[k];
    sp = ss32 ? (sp - n) | 0 : (sp - n) & 0xffff;
    if (!stackFits(sp >>> 0, n, ssLimit, ssAttr)) raise(c, Vec.SS, (newSs & 0xfffc) | ext);
    if (n === 4) c.wrSys32((ssBase + sp) | 0, v); else c.wrSys16((ssBase + sp) | 0, v);
  }

  // Committed: nothing below can fault.
  desc.lo = ssLo; desc.hi = ssHi; desc.addr = ssAddr;
  markAccessed(c);
  loadCacheFromDesc(c, SS, (newSs & 0xfffc) | newCpl);
  if (ss32) c.r32[ESP] = sp; else c.r16[ESP << 1] = sp;
  desc.lo = csLo; desc.hi = csHi; desc.addr = csAddr;
  markAccessed(c);
  loadCacheFromDesc(c, CS, (sel & 0xfffc) | newCpl);
  c.setCpl(newCpl);
}

/** Does an n-byte push at sp fit the stack segment (expand-up or expand-down)? */
export function stackFits(sp: number, n: number, limit: number, attr: number): boolean {
  if ((attr & 0x4) !== 0) {
    const upper = (attr & 0x4000) !== 0 ? 0xffffffff : 0xffff;
    return sp > limit && sp + n - 1 <= upper;
  }
  return sp + n - 1 <= limit;
}
