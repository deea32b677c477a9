/**
 * Port I/O: IN and OUT, and the permission check they share with INS/OUTS.
 *
 * At CPL <= IOPL any port may be used. Otherwise the TSS's I/O permission
 * bitmap decides, bit by bit for every byte of the access; a TSS without a
 * bitmap (its offset beyond the limit) denies everything with #GP(0).
 */
import type { Cpu } from '../state';
import { EAX, EDX } from '../state';
import type { Instr } from '../instr';
import { def } from '../optable';
import { raise, pendFault, Vec } from '../fault';
import { getReg, setReg } from './operands';

/** May this access go to the port? false: #GP(0). (Reading the TSS may itself fault.) */
function ioAllowed(c: Cpu, port: number, size: number): boolean {
  if (c.cpl <= ((c.flagsRaw >> 12) & 3)) return true;
  const tr = c.tr;
  // Only a 32-bit TSS has a bitmap; its offset is at 0x66.
  if ((tr.attr & 0x8) === 0 || tr.limit < 0x67) return false;
  const mapBase = c.rdSys16((tr.base + 0x66) | 0);
  const byteOff = mapBase + (port >>> 3);
  if (byteOff + 1 > tr.limit) return false;
  const bits = c.rdSys16((tr.base + byteOff) | 0);
  return ((bits >>> (port & 7)) & ((1 << size) - 1)) === 0;
}

export function checkIoPermission(c: Cpu, port: number, size: number): void {
  if (!ioAllowed(c, port, size)) raise(c, Vec.GP, 0);
}

// IN and OUT at a ring the bitmap denies are how an lguest Guest reaches its devices: that #GP is pended, not thrown.
function inOp(c: Cpu, i: Instr, port: number): void {
  if (!ioAllowed(c, port, i.size)) { pendFault(c, Vec.GP, 0); return; }
  setReg(c, EAX, i.size, c.io.in(port, i.size as 1 | 2 | 4));
  if (c.dbIo !== 0) c.ioBreak(port, i.size);
}
function outOp(c: Cpu, i: Instr, port: number): void {
  if (!ioAllowed(c, port, i.size)) { pendFault(c, Vec.GP, 0); return; }
  c.io.out(port, i.size as 1 | 2 | 4, getReg(c, EAX, i.size));
  if (c.dbIo !== 0) c.ioBreak(port, i.size);
}

def('E4', 'in AL,Ib', (c, i) => inOp(c, i, i.imm & 0xff));
def('E5', 'in eAX,Ib', (c, i) => inOp(c, i, i.imm & 0xff));
def('EC', 'in AL,DX', (c, i) => inOp(c, i, c.r16[EDX << 1]));
def('ED', 'in eAX,DX', (c, i) => inOp(c, i, c.r16[EDX << 1]));
def('E6', 'out Ib,AL', (c, i) => outOp(c, i, i.imm & 0xff));
def('E7', 'out Ib,eAX', (c, i) => outOp(c, i, i.imm & 0xff));
def('EE', 'out DX,AL', (c, i) => outOp(c, i, c.r16[EDX << 1]));
def('EF', 'out DX,eAX', (c, i) => outOp(c, i, c.r16[EDX << 1]));
