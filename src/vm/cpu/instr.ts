/**
 * A decoded instruction: everything execution and the disassembler need,
 * computed once and cached with its block (executor.ts).
 */
import type { Cpu } from './state';

export type Handler = (c: Cpu, i: Instr) => void;

/** Flags of an opcode definition. */
export const enum Op {
  /** The instruction may change what the following bytes mean or whether interrupts are taken: end the block after it. */
  ENDS_BLOCK = 1,
  /** Transfers control: always the last instruction of a block. */
  BRANCH = 2,
  /** LOCK is allowed (with a memory destination). */
  LOCKABLE = 4,
  /** A string instruction: REP prefixes repeat it. */
  STRING = 8,
  /** x87 escape (D8-DF, WAIT): #NM / #UD per CR0.EM, MP, TS. */
  X87 = 16,
  /**
   * Loads CS (INT, IRET, far jumps, calls and returns): a compiled block never loops over it, and the
   * run loop goes on to the next block in the new code mode. It sets `exitBlock` when the run loop
   * must look (IRET that sets TF or RF, or opens interrupts with one waiting).
   */
  FAR = 32,
}

/**
 * One row of the opcode map. `ops` are operand specifications in the
 * notation of the Intel manual's opcode tables (Appendix A): `Eb`, `Gv`,
 * `Iz`, `Jb`... plus fixed registers (`AL`, `eAX`, `DX`, `CL`, `1`) and `Zb`/`Zv`
 * for a register coded in the opcode's low three bits.
 */
export interface OpDef {
  /** Intel mnemonic; `cbw|cwde` picks by operand size (16|32). */
  mnem: string;
  ops: readonly string[];
  fn32: Handler;
  fn16: Handler;
  flags: number;
}

export class Instr {
  fn: Handler;
  def: OpDef | null = null;
  /** Linear address of the first byte (for the disassembler and debug views). */
  addr = 0;
  len = 0;
  /** Offset from the start of its block. */
  off = 0;
  /** Opcode: 0x00-0xFF, or 0x100 | second byte for 0F xx. Immediates: `imm` (relative branches: the displacement), `imm2` (ENTER's level, a far pointer's selector). */
  opcode = 0;
  /** 32-bit operand and address size after prefixes. */
  o32 = true;
  a32 = true;
  /** Operand size in bytes for the instruction's main operand: 1, 2 or 4. */
  size = 4;
  /** Segment of the memory operand (override or default), and the override prefix (-1 none). */
  seg = 3;
  segPrefix = -1;
  /** 0, 0xF2 (REPNE) or 0xF3 (REP/REPE). */
  rep = 0;
  lock = false;
  hasModrm = false;
  mod = 0;
  reg = 0;
  rm = 0;
  /** Memory operand: base and index register (-1: none), scale as a shift, displacement. */
  base = -1;
  index = -1;
  scale = 0;
  disp = 0;
  imm = 0;
  imm2 = 0;
  /** Copied from the definition (Op flags). */
  flags = 0;

  constructor(fn: Handler) {
    this.fn = fn;
  }
}

/**
 * The segment register PUSH or POP of a segment register names: ES CS SS DS are bits 3-4 of the one-byte
 * opcodes (06/07, 0E, 16/17, 1E/1F), FS and GS have 0F A0/A1 and 0F A8/A9 (opcodes 0x1a0.. here).
 */
export function segOfPushPop(opcode: number): number {
  return opcode < 0x100 ? opcode >> 3 : opcode < 0x1a8 ? 4 : 5;
}

/** Effective address (offset within the segment) of the memory operand. */
export function ea(c: Cpu, i: Instr): number {
  let a = i.disp;
  if (i.base >= 0) a += c.r32[i.base];
  if (i.index >= 0) a += c.r32[i.index] << i.scale;
  return i.a32 ? a | 0 : a & 0xffff;
}
