/**
 * The x87's memory operands: 2-, 4-, 8- and 10-byte values and the 14- to
 * 108-byte environment images, read and written through the CPU's checked
 * accesses. A store checks its whole destination before it writes a byte,
 * so a page fault in its second page leaves memory and the x87 as they were
 * (the instruction is restarted from scratch).
 */
import type { Cpu } from '../state';
import { type Instr, ea } from '../instr';
import { type F80, decodeF80, encodeF80 } from '../fpu/float80';

export function readBytes(c: Cpu, i: Instr, n: number): Uint8Array {
  const off = ea(c, i), out = new Uint8Array(n);
  for (let k = 0; k < n; k++) out[k] = c.rd8(i.seg, off + k);
  return out;
}

/** Checks that all n bytes may be written (at most two pages), then writes them. */
export function writeBytes(c: Cpu, i: Instr, bytes: Uint8Array): void {
  const off = ea(c, i);
  probe(c, i, off, bytes.length);
  for (let k = 0; k < bytes.length; k++) c.wr8(i.seg, off + k, bytes[k]);
}

function probe(c: Cpu, i: Instr, off: number, n: number): void {
  c.probeWrite(i.seg, off, 1);
  c.probeWrite(i.seg, off + n - 1, 1);
}

export function read16(c: Cpu, i: Instr): number { return c.rd16(i.seg, ea(c, i)); }
export function read32(c: Cpu, i: Instr): number { return c.rd32(i.seg, ea(c, i)); }
export function read64(c: Cpu, i: Instr): bigint {
  const off = ea(c, i);
  const lo = c.rd32(i.seg, off) >>> 0, hi = c.rd32(i.seg, off + 4) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}
export function read80(c: Cpu, i: Instr): F80 { return decodeF80(readBytes(c, i, 10)); }

export function write16(c: Cpu, i: Instr, v: number): void { c.wr16(i.seg, ea(c, i), v); }
export function write32(c: Cpu, i: Instr, v: number): void { c.wr32(i.seg, ea(c, i), v); }
export function write64(c: Cpu, i: Instr, v: bigint): void {
  const off = ea(c, i);
  probe(c, i, off, 8);
  c.wr32(i.seg, off, Number(v & 0xffffffffn));
  c.wr32(i.seg, off + 4, Number((v >> 32n) & 0xffffffffn));
}
export function write80(c: Cpu, i: Instr, x: F80): void { writeBytes(c, i, encodeF80(x)); }

/** An integer of `bytes` bytes, signed. */
export function readInt(c: Cpu, i: Instr, bytes: 2 | 4 | 8): bigint {
  if (bytes === 2) return BigInt((read16(c, i) << 16) >> 16);
  if (bytes === 4) return BigInt(read32(c, i) | 0);
  return BigInt.asIntN(64, read64(c, i));
}
export function writeInt(c: Cpu, i: Instr, bytes: 2 | 4 | 8, v: bigint): void {
  if (bytes === 2) write16(c, i, Number(BigInt.asUintN(16, v)));
  else if (bytes === 4) write32(c, i, Number(BigInt.asUintN(32, v)));
  else write64(c, i, BigInt.asUintN(64, v));
}
