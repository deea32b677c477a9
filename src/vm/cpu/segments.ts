/**
 * Segmentation: reading descriptors from the GDT and LDT, and loading
 * segment registers with every check the manual lists (null selectors,
 * table limits, type, DPL/RPL/CPL, present). Control transfers that load CS
 * (far JMP/CALL/RET, IRET, interrupts) use the helpers here too.
 */
import type { Cpu } from './state';
import { CS, SS, ATTR_P, ATTR_S, ATTR_ACCESSED } from './state';
import { raise, Vec } from './fault';

/** The descriptor read by the last `readDescriptor`: its two dwords. */
export const desc = { lo: 0, hi: 0, addr: 0 };

export function descBase(lo: number, hi: number): number {
  return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
}
export function descLimit(lo: number, hi: number): number {
  const raw = (lo & 0xffff) | (hi & 0xf0000);
  return (hi & 0x800000) !== 0 ? ((raw << 12) | 0xfff) >>> 0 : raw;
}
/** Attributes as a descriptor cache keeps them: type, S, DPL, P, AVL, L, D/B, G. */
export function descAttr(hi: number): number {
  return (hi >>> 8) & 0xf0ff;
}
export function attrDpl(attr: number): number {
  return (attr >> 5) & 3;
}
export const isCodeAttr = (attr: number) => (attr & (ATTR_S | 0x8)) === (ATTR_S | 0x8);
export const isDataAttr = (attr: number) => (attr & (ATTR_S | 0x8)) === ATTR_S;
export const isConforming = (attr: number) => (attr & 0xc) === 0xc;

/**
 * Read the descriptor a selector names into `desc`. A selector beyond its
 * table's limit raises `vector` with the selector as error code (plus `ext`,
 * the EXT bit, while delivering an exception or external interrupt).
 */
export function readDescriptor(c: Cpu, sel: number, vector: number = Vec.GP, ext = 0): void {
  const index = sel & 0xfff8;
  let base: number, limit: number;
  if ((sel & 4) !== 0) {
    // An LDT selector needs a usable LDTR (LLDT with a null selector makes it unusable; at reset it is usable, limit 0xFFFF).
    if ((c.ldtr.attr & ATTR_P) === 0) raise(c, vector, (sel & 0xfffc) | ext);
    base = c.ldtr.base; limit = c.ldtr.limit;
  } else {
    base = c.gdtr.base; limit = c.gdtr.limit;
  }
  if (index + 7 > limit) raise(c, vector, (sel & 0xfffc) | ext);
  desc.addr = (base + index) | 0;
  desc.lo = c.rdSys32(desc.addr);
  desc.hi = c.rdSys32((desc.addr + 4) | 0);
}

/** Set the Accessed bit of the descriptor last read, as loading it does. */
export function markAccessed(c: Cpu): void {
  if ((desc.hi & 0x100) === 0) {
    desc.hi |= 0x100;
    c.wrSys8((desc.addr + 5) | 0, (desc.hi >>> 8) & 0xff);
  }
}

/** Load the segment cache from `desc`. */
export function loadCacheFromDesc(c: Cpu, seg: number, sel: number): void {
  c.setSegmentCache(seg, sel, descBase(desc.lo, desc.hi), descLimit(desc.lo, desc.hi), descAttr(desc.hi) | ATTR_ACCESSED);
}

/** MOV/POP/LDS... into DS, ES, FS or GS. */
export function loadDataSegment(c: Cpu, seg: number, sel: number): void {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) {
    // A null selector loads fine; using it faults later.
    c.setSegmentCache(seg, sel, 0, 0, 0);
    return;
  }
  readDescriptor(c, sel);
  const attr = descAttr(desc.hi);
  if ((attr & ATTR_S) === 0 || (isCodeAttr(attr) && (attr & 0x2) === 0)) raise(c, Vec.GP, sel & 0xfffc);
  if (!isConforming(attr)) {
    const dpl = attrDpl(attr);
    if ((sel & 3) > dpl || c.cpl > dpl) raise(c, Vec.GP, sel & 0xfffc);
  }
  if ((attr & ATTR_P) === 0) raise(c, Vec.NP, sel & 0xfffc);
  markAccessed(c);
  loadCacheFromDesc(c, seg, sel);
}

/**
 * Check a selector for SS at privilege `cpl` and leave its descriptor in
 * `desc` (not loaded). A bad selector raises `vector` (#GP for MOV SS and
 * returns, #TS for the stack switch of an interrupt or call gate); a
 * segment that is not present raises #SS in every case. `ext` is the EXT
 * bit for the error codes.
 */
export function checkStackSegment(c: Cpu, sel: number, cpl: number, vector: number = Vec.GP, ext = 0): void {
  if ((sel & 0xfffc) === 0) raise(c, vector, ext);
  readDescriptor(c, sel, vector, ext);
  const attr = descAttr(desc.hi);
  if ((sel & 3) !== cpl || attrDpl(attr) !== cpl || !isDataAttr(attr) || (attr & 0x2) === 0) raise(c, vector, (sel & 0xfffc) | ext);
  if ((attr & ATTR_P) === 0) raise(c, Vec.SS, (sel & 0xfffc) | ext);
}

/** MOV SS / POP SS / LSS. */
export function loadStackSegment(c: Cpu, sel: number): void {
  sel &= 0xffff;
  checkStackSegment(c, sel, c.cpl);
  markAccessed(c);
  loadCacheFromDesc(c, SS, sel);
}

export function loadSegment(c: Cpu, seg: number, sel: number): void {
  if (seg === SS) loadStackSegment(c, sel);
  else if (seg === CS) raise(c, Vec.UD);
  else loadDataSegment(c, seg, sel);
}

/**
 * After a return to an outer privilege level, data segment registers the
 * new CPL may not use are nulled, so an outer ring cannot keep a handle on
 * an inner ring's data.
 */
export function dropInnerSegments(c: Cpu): void {
  dropIfInner(c, 0); dropIfInner(c, 3); dropIfInner(c, 4); dropIfInner(c, 5);
}
function dropIfInner(c: Cpu, seg: number): void {
  const attr = c.segAttr[seg];
  if ((c.segSel[seg] & 0xfffc) === 0) {
    // A null selector counts as ring-0 data: DS and ES are cleared to 0 (whatever their RPL
    // was), as QEMU and Bochs do; FS and GS keep theirs, as QEMU does (Bochs clears them too).
    if (seg === 0 || seg === 3) c.setSegmentCache(seg, 0, 0, 0, 0);
    return;
  }
  if ((isDataAttr(attr) || !isConforming(attr)) && attrDpl(attr) < c.cpl) c.setSegmentCache(seg, 0, 0, 0, 0);
}
