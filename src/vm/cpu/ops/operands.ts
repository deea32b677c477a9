/**
 * Operand access shared by the instruction families: registers and the
 * ModRM r/m operand by size (1, 2 or 4 bytes), and read-modify-write.
 */
import type { Cpu } from '../state';
import { ea, type Instr } from '../instr';

export function getReg(c: Cpu, r: number, size: number): number {
  return size === 4 ? c.r32[r] : size === 2 ? c.r16[r << 1] : c.getR8(r);
}
export function setReg(c: Cpu, r: number, size: number, v: number): void {
  if (size === 4) c.r32[r] = v;
  else if (size === 2) c.r16[r << 1] = v;
  else c.setR8(r, v);
}

export function rdMem(c: Cpu, seg: number, off: number, size: number): number {
  return size === 4 ? c.rd32(seg, off) : size === 2 ? c.rd16(seg, off) : c.rd8(seg, off);
}
export function wrMem(c: Cpu, seg: number, off: number, size: number, v: number): void {
  if (size === 4) c.wr32(seg, off, v);
  else if (size === 2) c.wr16(seg, off, v);
  else c.wr8(seg, off, v);
}

export function getRm(c: Cpu, i: Instr, size: number): number {
  return i.mod === 3 ? getReg(c, i.rm, size) : rdMem(c, i.seg, ea(c, i), size);
}
export function setRm(c: Cpu, i: Instr, size: number, v: number): void {
  if (i.mod === 3) setReg(c, i.rm, size, v);
  else wrMem(c, i.seg, ea(c, i), size, v);
}

/** The address of the last rmwRead, for the rmwWrite that completes it. */
let rmwAddr = 0;

/** Read the r/m operand of a read-modify-write: memory is checked for writing first. */
export function rmwRead(c: Cpu, i: Instr, size: number): number {
  if (i.mod === 3) return getReg(c, i.rm, size);
  rmwAddr = ea(c, i);
  return size === 4 ? c.rdW32(i.seg, rmwAddr) : size === 2 ? c.rdW16(i.seg, rmwAddr) : c.rdW8(i.seg, rmwAddr);
}
export function rmwWrite(c: Cpu, i: Instr, size: number, v: number): void {
  if (i.mod === 3) setReg(c, i.rm, size, v);
  else wrMem(c, i.seg, rmwAddr, size, v);
}

export function mask(size: number): number {
  return size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
}
/** Sign-extend a value of `size` bytes to 32 bits. */
export function sext(v: number, size: number): number {
  return size === 4 ? v | 0 : size === 2 ? (v << 16) >> 16 : (v << 24) >> 24;
}
