/**
 * The EFLAGS bits the Intel manual leaves undefined after an instruction
 * ("Flags Affected" of each instruction's page in SDM Vol. 2), so lockstep
 * comparison ignores them. Ours, from the manual, not from either emulator.
 * Some depend on the operands (a shift's count), so this is asked before
 * the instruction runs, with the registers it will read.
 */
import type { Instr } from '../../src/vm/cpu/instr';
import type { Cpu } from '../../src/vm/cpu/state';
import { CF, PF, AF, ZF, SF, OF } from '../../src/vm/cpu/flags';

const ALL = CF | PF | AF | ZF | SF | OF;

/** Undefined flags after `i` runs (and completes) on `c` as it is now (only ECX is read: a shift's count). */
export function undefinedFlags(i: Instr, c: Pick<Cpu, 'r32'>): number {
  const op = i.opcode, reg = i.reg;
  // AND OR XOR TEST leave AF undefined.
  if (op < 0x40 && [1, 4, 6].includes(op >> 3) && (op & 7) <= 5) return AF;
  if ((op >= 0x80 && op <= 0x83) && [1, 4, 6].includes(reg)) return AF;
  if (op === 0x84 || op === 0x85 || op === 0xa8 || op === 0xa9) return AF;
  if ((op === 0xf6 || op === 0xf7) && reg <= 1) return AF;
  // MUL and IMUL: SF ZF AF PF; DIV and IDIV: all six.
  if ((op === 0xf6 || op === 0xf7) && (reg === 4 || reg === 5)) return SF | ZF | AF | PF;
  if (op === 0x1af || op === 0x69 || op === 0x6b) return SF | ZF | AF | PF;
  if ((op === 0xf6 || op === 0xf7) && reg >= 6) return ALL;
  // Shifts and rotates: nothing for a zero count; OF unless the count is 1.
  if (op === 0xc0 || op === 0xc1 || (op >= 0xd0 && op <= 0xd3)) {
    const raw = op === 0xd0 || op === 0xd1 ? 1 : op === 0xd2 || op === 0xd3 ? c.r32[1] & 0xff : i.imm & 0xff;
    const count = raw & 0x1f;
    if (count === 0) return 0;
    let u = count === 1 ? 0 : OF;
    if (reg >= 4) {
      u |= AF; // SHL SHR SAL SAR
      if ((reg === 4 || reg === 5 || reg === 6) && count >= i.size * 8) u |= CF;
    }
    return u;
  }
  // SHLD SHRD: AF, OF unless the count is 1; everything if the count exceeds the operand size.
  if (op === 0x1a4 || op === 0x1a5 || op === 0x1ac || op === 0x1ad) {
    const count = (op === 0x1a5 || op === 0x1ad ? c.r32[1] : i.imm) & 0x1f;
    if (count === 0) return 0;
    if (count > i.size * 8) return ALL;
    return AF | (count === 1 ? 0 : OF);
  }
  // BT BTS BTR BTC: OF SF AF PF (ZF is unaffected).
  if (op === 0x1a3 || op === 0x1ab || op === 0x1b3 || op === 0x1bb || (op === 0x1ba && reg >= 4)) return OF | SF | AF | PF;
  // BSF BSR: all but ZF.
  if (op === 0x1bc || op === 0x1bd) return CF | OF | SF | AF | PF;
  // Decimal adjustments.
  if (op === 0x27 || op === 0x2f) return OF;
  if (op === 0x37 || op === 0x3f) return OF | SF | ZF | PF;
  if (op === 0xd4 || op === 0xd5) return OF | AF | CF;
  return 0;
}
