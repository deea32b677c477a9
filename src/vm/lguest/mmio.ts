/**
 * MMIO: the Guest touched a page its tables map into [memory size,
 * device_limit), where the devices' registers are. The shadow never maps
 * those pages, so every access faults, and the Host plays the device
 * (lguest's Host handed the fault to the Launcher's emulate_mmio).
 *
 * Only the instructions a driver's ioread and iowrite compile to are done
 * here: MOV between a register and memory (opcodes 88, 89, 8A, 8B, with an
 * optional 0x66 operand-size prefix), in every ModRM, SIB and displacement
 * form (lguest's Launcher knew no SIB byte and read mod 0, r/m 5's
 * displacement as 2 bytes; we decode as the CPU does). Anything else, or an
 * address where no device register lies, is the Guest's own page fault.
 */
import type { Lguest } from './lguest';
import { hexC } from './lguest';
import { guestPa } from './decide';
import type { Emulation } from './decide';
import type { RegName } from './layout';

const REG32: RegName[] = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];

/** A MOV to or from a device register, decoded. */
export interface MmioMove {
  /** The access is a store (89, 88) rather than a load (8B, 8A). */
  store: boolean;
  size: 1 | 2 | 4;
  /** The ModRM reg field: the register loaded or stored (for bytes, AL..BH). */
  reg: number;
  length: number;
}

/** Decode the instruction bytes `b` (as many as are readable) as an MMIO MOV; null if it is not one. */
export function decodeMmioMove(b: number[]): MmioMove | null {
  let k = 0, wide = false;
  if (b[k] === 0x66) { wide = true; k++; }
  const op = b[k];
  if (op !== 0x88 && op !== 0x89 && op !== 0x8a && op !== 0x8b) return null;
  const modrm = b[k + 1];
  if (modrm === undefined) return null;
  const mod = modrm >>> 6, rm = modrm & 7;
  // A register operand touches no memory: it cannot be what faulted.
  if (mod === 3) return null;
  let len = k + 2;
  if (rm === 4) {
    const sib = b[k + 2];
    if (sib === undefined) return null;
    len++;
    if (mod === 0 && (sib & 7) === 5) len += 4;
  } else if (mod === 0 && rm === 5) {
    len += 4;
  }
  if (mod === 1) len += 1;
  else if (mod === 2) len += 4;
  if (len > b.length) return null;
  const byteOp = op === 0x88 || op === 0x8a;
  return { store: op === 0x88 || op === 0x89, size: byteOp ? 1 : wide ? 2 : 4, reg: (modrm >>> 3) & 7, length: len };
}

/** The longest MOV decodeMmioMove takes: prefix, opcode, ModRM, SIB and a 32-bit displacement. */
const MAX_MOVE = 8;

/** A register's value at the width of the access (AH..BH for reg 4-7 of a byte access). */
export function registerValue(lg: Lguest, reg: number, size: 1 | 2 | 4): number {
  if (size === 1) return reg < 4 ? lg.reg(REG32[reg]) & 0xff : (lg.reg(REG32[reg - 4]) >>> 8) & 0xff;
  return size === 2 ? lg.reg(REG32[reg]) & 0xffff : lg.reg(REG32[reg]);
}

/** Put a loaded value into the register, the rest of it unchanged. */
export function setRegisterValue(lg: Lguest, reg: number, size: 1 | 2 | 4, v: number): void {
  if (size === 1) {
    const r = REG32[reg & 3], shift = reg < 4 ? 0 : 8;
    lg.setReg(r, ((lg.reg(r) & ~(0xff << shift)) | ((v & 0xff) << shift)) >>> 0);
  } else if (size === 2) {
    lg.setReg(REG32[reg], ((lg.reg(REG32[reg]) & ~0xffff) | (v & 0xffff)) >>> 0);
  } else {
    lg.setReg(REG32[reg], v >>> 0);
  }
}

function registerName(reg: number, size: 1 | 2 | 4): string {
  return size === 1 ? REG8[reg] : size === 2 ? REG16[reg] : REG32[reg];
}

/** What the Host does with an MMIO fault at Guest-physical `phys`: the MOV, done for the Guest; null = its #PF. */
export function planMmio(lg: Lguest, phys: number): Emulation | { kind: 'kill'; reason: string } | null {
  const target = lg.devices.target(phys);
  if (target === null) return null;
  const eip = lg.reg('eip');
  const bytes: number[] = [];
  for (let k = 0; k < MAX_MOVE; k++) {
    const at = guestPa(lg, (eip + k) >>> 0);
    if (at.kind === 'kill' || !lg.addressOk(at.pa, 1)) break;
    bytes.push(lg.mem.read8(at.pa));
  }
  if (bytes.length === 0) return { kind: 'kill', reason: `bad read address ${hexC(eip)} len 1` };
  const mv = decodeMmioMove(bytes);
  if (mv === null) return null;
  const d = target.device, where = () => `${d.model.name} register ${target.offset} (phys ${hexC(phys)})`;
  const reg = () => registerName(mv.reg, mv.size);
  return {
    kind: 'emulate', eip: (eip + mv.length) >>> 0,
    describe: () => mv.store ? `MMIO: ${mv.size}-byte store of ${reg()} to ${where()}` : `MMIO: ${mv.size}-byte load of ${where()} into ${reg()}`,
    io: mv.store
      ? { kind: 'mmio-write', phys, size: mv.size, value: registerValue(lg, mv.reg, mv.size) }
      : { kind: 'mmio-read', phys, size: mv.size, reg: mv.reg },
  };
}
