/**
 * The decoder: bytes -> Instr, driven by the opcode map (optable.ts).
 *
 * It never faults by itself. Bytes that are not an instruction decode to a
 * handler raising #UD, an instruction longer than 15 bytes to one raising
 * #GP(0), so the fault happens when (and only if) the instruction executes.
 */
import { Instr, Op, type Handler } from './instr';
import { MAP, isGroup, Imm, type Row } from './optable';
import { raise, Vec } from './fault';
import { DS, SS } from './state';
import './ops/all';

export const MAX_INSTR_LEN = 15;

const undefinedOpcode: Handler = (c) => raise(c, Vec.UD);
const tooLong: Handler = (c) => raise(c, Vec.GP, 0);

/** Result codes besides a length. */
export const NEED_MORE_BYTES = -1;

/**
 * Decode one instruction from `bytes[pos..end)`. Returns its length, or
 * NEED_MORE_BYTES if the bytes ran out before the instruction did (and
 * fewer than 15 were available).
 */
export function decode(bytes: Uint8Array, pos: number, end: number, code32: boolean, out: Instr): number {
  const start = pos;
  const lim = Math.min(end, start + MAX_INSTR_LEN);
  let o32 = code32, a32 = code32, seg = -1, rep = 0, lock = false;
  let b = 0;
  // Prefixes.
  for (;;) {
    if (pos >= lim) return overrun(out, start, pos, end);
    b = bytes[pos++];
    switch (b) {
      case 0x66: o32 = !code32; continue;
      case 0x67: a32 = !code32; continue;
      case 0x26: seg = 0; continue;
      case 0x2e: seg = 1; continue;
      case 0x36: seg = 2; continue;
      case 0x3e: seg = 3; continue;
      case 0x64: seg = 4; continue;
      case 0x65: seg = 5; continue;
      case 0xf0: lock = true; continue;
      case 0xf2: case 0xf3: rep = b; continue;
    }
    break;
  }
  let opcode = b;
  if (b === 0x0f) {
    if (pos >= lim) return overrun(out, start, pos, end);
    opcode = 0x100 | bytes[pos++];
  }
  reset(out, opcode, o32, a32, seg, rep, lock);

  let entry = MAP[opcode];
  let row: Row | undefined;
  const needModrm = isGroup(entry) || (entry !== undefined && entry.modrm) || isX87(opcode);
  if (needModrm) {
    if (pos >= lim) return overrun(out, start, pos, end);
    const modrm = bytes[pos++];
    out.hasModrm = true;
    out.mod = modrm >> 6;
    out.reg = (modrm >> 3) & 7;
    out.rm = modrm & 7;
    // MOV to and from CRn/DRn ignore mod: their operand is a register, with no SIB or displacement.
    if (entry !== undefined && !isGroup(entry) && entry.regOnly) out.mod = 3;
    if (out.mod !== 3) {
      pos = a32 ? modrm32(bytes, pos, lim, out) : modrm16(bytes, pos, lim, out);
      if (pos < 0) return overrun(out, start, lim, end);
    }
    if (isGroup(entry)) row = (out.mod === 3 && entry.groupReg ? entry.groupReg : entry.group)[out.reg];
    else row = entry;
  } else {
    row = entry as Row | undefined;
  }
  entry = undefined;
  if (out.segPrefix >= 0) out.seg = out.segPrefix;

  if (row === undefined) {
    out.fn = undefinedOpcode;
    out.len = pos - start;
    return out.len;
  }
  out.def = row;
  out.flags = row.flags;
  // MOV to DS, ES, FS or GS changes nothing about the code that follows; only MOV SS holds interrupts off.
  if (out.opcode === 0x8e && out.reg !== SS) out.flags &= ~Op.ENDS_BLOCK;
  out.size = row.byteOp ? 1 : o32 ? 4 : 2;
  out.fn = o32 ? row.fn32 : row.fn16;

  if (row.immA !== Imm.NONE) {
    pos = immediate(bytes, pos, lim, row.immA, out, false);
    if (pos < 0) return overrun(out, start, lim, end);
    if (row.immB !== Imm.NONE) {
      pos = immediate(bytes, pos, lim, row.immB, out, true);
      if (pos < 0) return overrun(out, start, lim, end);
    }
  }
  // LOCK is only legal on a few instructions, and only with a memory destination.
  if (lock && ((row.flags & Op.LOCKABLE) === 0 || out.mod === 3 || !out.hasModrm)) out.fn = undefinedOpcode;
  out.len = pos - start;
  return out.len;
}

function isX87(opcode: number): boolean {
  return opcode >= 0xd8 && opcode <= 0xdf;
}

function reset(out: Instr, opcode: number, o32: boolean, a32: boolean, seg: number, rep: number, lock: boolean): void {
  out.def = null;
  out.opcode = opcode;
  out.o32 = o32;
  out.a32 = a32;
  out.segPrefix = seg;
  out.seg = DS;
  out.rep = rep;
  out.lock = lock;
  out.hasModrm = false;
  out.mod = 0; out.reg = 0; out.rm = 0;
  out.base = -1; out.index = -1; out.scale = 0; out.disp = 0;
  out.imm = 0; out.imm2 = 0;
  out.flags = 0;
  out.size = 4;
}

/** Ran out of bytes: either the window ended (ask for more) or the 15-byte limit was hit (#GP). */
function overrun(out: Instr, start: number, pos: number, end: number): number {
  if (end - start < MAX_INSTR_LEN && pos >= end) return NEED_MORE_BYTES;
  out.def = null;
  out.fn = tooLong;
  out.len = MAX_INSTR_LEN;
  return MAX_INSTR_LEN;
}

function modrm32(bytes: Uint8Array, pos: number, lim: number, out: Instr): number {
  const mod = out.mod;
  let rm = out.rm;
  if (rm === 4) {
    if (pos >= lim) return -1;
    const sib = bytes[pos++];
    out.scale = sib >> 6;
    const index = (sib >> 3) & 7;
    out.index = index === 4 ? -1 : index;
    rm = sib & 7;
    if (rm === 5 && mod === 0) {
      out.base = -1;
      if (pos + 4 > lim) return -1;
      out.disp = read32(bytes, pos); pos += 4;
      return pos;
    }
    out.base = rm;
  } else if (rm === 5 && mod === 0) {
    if (pos + 4 > lim) return -1;
    out.disp = read32(bytes, pos); pos += 4;
    return pos;
  } else {
    out.base = rm;
  }
  if (out.base === 4 || out.base === 5) out.seg = SS;
  if (mod === 1) {
    if (pos >= lim) return -1;
    out.disp = (bytes[pos++] << 24) >> 24;
  } else if (mod === 2) {
    if (pos + 4 > lim) return -1;
    out.disp = read32(bytes, pos); pos += 4;
  }
  return pos;
}

// 16-bit addressing: rm selects one of eight base+index pairs.
const BASE16 = [3, 3, 5, 5, 6, 7, 5, 3]; // BX BX BP BP SI DI BP BX
const INDEX16 = [6, 7, 6, 7, -1, -1, -1, -1]; // SI DI SI DI

function modrm16(bytes: Uint8Array, pos: number, lim: number, out: Instr): number {
  const mod = out.mod, rm = out.rm;
  if (mod === 0 && rm === 6) {
    if (pos + 2 > lim) return -1;
    out.disp = bytes[pos] | (bytes[pos + 1] << 8); pos += 2;
    return pos;
  }
  out.base = BASE16[rm];
  out.index = INDEX16[rm];
  if (rm === 2 || rm === 3 || rm === 6) out.seg = SS;
  if (mod === 1) {
    if (pos >= lim) return -1;
    out.disp = (bytes[pos++] << 24) >> 24;
  } else if (mod === 2) {
    if (pos + 2 > lim) return -1;
    out.disp = (bytes[pos] | (bytes[pos + 1] << 8)) << 16 >> 16; pos += 2;
  }
  return pos;
}

function read32(bytes: Uint8Array, pos: number): number {
  return bytes[pos] | (bytes[pos + 1] << 8) | (bytes[pos + 2] << 16) | (bytes[pos + 3] << 24);
}

function immediate(bytes: Uint8Array, pos: number, lim: number, kind: Imm, out: Instr, second: boolean): number {
  let v = 0;
  switch (kind) {
    case Imm.B:
      if (pos >= lim) return -1;
      v = bytes[pos++];
      break;
    case Imm.BS:
      if (pos >= lim) return -1;
      v = (bytes[pos++] << 24) >> 24;
      break;
    case Imm.W:
      if (pos + 2 > lim) return -1;
      v = bytes[pos] | (bytes[pos + 1] << 8); pos += 2;
      break;
    case Imm.Z:
      if (out.o32) {
        if (pos + 4 > lim) return -1;
        v = read32(bytes, pos); pos += 4;
      } else {
        if (pos + 2 > lim) return -1;
        v = bytes[pos] | (bytes[pos + 1] << 8); pos += 2;
      }
      break;
    case Imm.MOFFS:
      if (out.a32) {
        if (pos + 4 > lim) return -1;
        v = read32(bytes, pos); pos += 4;
      } else {
        if (pos + 2 > lim) return -1;
        v = bytes[pos] | (bytes[pos + 1] << 8); pos += 2;
      }
      out.disp = v;
      return pos;
    case Imm.FAR:
      pos = immediate(bytes, pos, lim, Imm.Z, out, false);
      if (pos < 0 || pos + 2 > lim) return -1;
      out.imm2 = bytes[pos] | (bytes[pos + 1] << 8);
      return pos + 2;
  }
  if (second) out.imm2 = v;
  else out.imm = v;
  return pos;
}
