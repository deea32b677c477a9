/**
 * The opcode map, as data. Each family of instructions (ops/*.ts) registers
 * its rows here with the mnemonic and operand specifications of the Intel
 * manual's opcode tables; the decoder and the disassembler both read the
 * same rows, so what the user reads is what runs.
 */
import type { Handler, OpDef } from './instr';

/** How an operand spec is encoded in the instruction bytes. */
export const enum Imm { NONE = 0, B = 1, BS = 2, W = 3, Z = 4, MOFFS = 5, FAR = 6 }

export interface Row extends OpDef {
  modrm: boolean;
  /** Immediates in encoding order (at most two). */
  immA: Imm;
  immB: Imm;
  /** Operand size is a byte (an `b` operand decides the size). */
  byteOp: boolean;
  /** The r/m operand is always a register, whatever ModRM.mod says (MOV to and from CRn/DRn). */
  regOnly: boolean;
}

/** An entry of the map: a row, or a group picked by ModRM.reg (and optionally a different group when mod = 3). */
export interface Group { group: (Row | undefined)[]; groupReg?: (Row | undefined)[] }
export type Entry = Row | Group | undefined;

export function isGroup(e: Entry): e is Group {
  return e !== undefined && (e as Group).group !== undefined;
}

/** One-byte map (0x00-0xFF) and two-byte map (0x100 | byte after 0F). */
export const MAP: Entry[] = new Array(512).fill(undefined);

/** Specs with a ModRM byte: an addressing-method letter followed by a lowercase size (fixed registers like `DS`, `CL` are all capitals). */
const MODRM_SPECS = /^[EGMRSCD]([a-z]|$)/;

function immOf(spec: string): Imm {
  switch (spec) {
    case 'Ib': case 'Jb_': return Imm.B;
    case 'Ibs': case 'Jb': return Imm.BS;
    case 'Iw': return Imm.W;
    case 'Iz': case 'Iv': case 'Jz': return Imm.Z;
    case 'Ob': case 'Ov': return Imm.MOFFS;
    case 'Ap': return Imm.FAR;
    default: return Imm.NONE;
  }
}

function makeRow(text: string, fn32: Handler, fn16: Handler, flags: number): Row {
  const sp = text.indexOf(' ');
  const mnem = sp < 0 ? text : text.slice(0, sp);
  const ops = sp < 0 ? [] : text.slice(sp + 1).split(',');
  const imms = ops.map(immOf).filter((k) => k !== Imm.NONE);
  return {
    mnem, ops, fn32, fn16, flags,
    modrm: ops.some((o) => MODRM_SPECS.test(o)),
    immA: imms[0] ?? Imm.NONE,
    immB: imms[1] ?? Imm.NONE,
    byteOp: ops.some((o) => /^[EGOXYZ]b$|^AL$/.test(o)) && !ops.some((o) => /^[EGIJMOXYZ]?[vz]$|^eAX$/.test(o)),
    regOnly: ops.includes('Rd'),
  };
}

/**
 * Register a row. `key` is the opcode in hex: `04`, `0F AF`, a group member
 * `80/3`, a register-form-only group member `0F 01/4r`, or `40+` for the
 * eight opcodes 40..47 that code a register in their low bits.
 */
export function def(key: string, text: string, fn32: Handler, fn16: Handler = fn32, flags = 0): void {
  const m = /^(0F )?([0-9A-F]{2})(\+|\/([0-7])(r?))?$/.exec(key);
  if (!m) throw new Error(`bad opcode key ${key}`);
  const opcode = (m[1] ? 0x100 : 0) | parseInt(m[2], 16);
  const row = makeRow(text, fn32, fn16, flags);
  if (m[3] === '+') {
    for (let k = 0; k < 8; k++) setEntry(opcode + k, row);
  } else if (m[4] !== undefined) {
    let g = MAP[opcode];
    if (g === undefined) { g = { group: new Array(8).fill(undefined) }; MAP[opcode] = g; }
    if (!isGroup(g)) throw new Error(`opcode ${key} is both a row and a group`);
    const reg = parseInt(m[4], 10);
    if (m[5] === 'r') {
      g.groupReg ??= g.group.slice();
      g.groupReg[reg] = row;
    } else {
      g.group[reg] = row;
      if (g.groupReg && g.groupReg[reg] === undefined) g.groupReg[reg] = row;
    }
  } else {
    setEntry(opcode, row);
  }
}

function setEntry(opcode: number, row: Row): void {
  if (MAP[opcode] !== undefined) throw new Error(`opcode 0x${opcode.toString(16)} defined twice`);
  MAP[opcode] = row;
}
