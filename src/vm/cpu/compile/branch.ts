/**
 * Block-ending jumps beside the ones compiler.ts writes (Jcc, JMP, CALL rel,
 * RET): LOOP, JECXZ, CALL r/m32 and RET imm16, with 32-bit operands. As
 * ops/control.ts: LOOP decrements ECX before the target is checked against
 * CS's limit; CALL and RET check the target before the stack moves.
 */
import type { Instr } from '../instr';
import { eaExpr } from './common';

/**
 * The jump `i` (EIP on it), given the next instruction's address, the
 * relative target and the limit check of a target `t` as code; or null.
 */
export function branchMore(i: Instr, next: string, target: string, check: string): string | null {
  const op = i.opcode;
  const jump = (cond: string) => `if (${cond}) { const t = ${target}; ${check} c.eip = t; } else c.eip = ${next};`;
  if (op === 0xe2 && i.a32) return `{ const n = (R[1] - 1) | 0; R[1] = n; ${jump('n !== 0')} }`;
  if (op === 0xe3 && i.a32) return jump('R[1] === 0');
  if (op === 0xff && i.reg === 2 && i.a32) {
    return `{ const t = ${i.mod === 3 ? `R[${i.rm}]` : `c.rd32(${i.seg}, ${eaExpr(i)})`}; ${check} c.push32(${next}); c.eip = t; }`;
  }
  if (op === 0xc2) return `{ const t = c.peek32(0); ${check} c.addSP(${4 + (i.imm & 0xffff)}); c.eip = t; }`;
  return null;
}
