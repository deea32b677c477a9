/**
 * x87 arithmetic and compares: FADD FMUL FSUB FSUBR FDIV FDIVR in all their
 * forms (ST(0) with ST(i) or memory, ST(i) with ST(0), the popping P forms,
 * the integer FI forms), FCOM FCOMP FCOMPP FUCOM FUCOMP FUCOMPP FICOM FICOMP,
 * FCOMI FCOMIP FUCOMI FUCOMIP and FTST (SDM Vol. 2, each instruction's page).
 *
 * The arithmetic itself is fpu/arith.ts; here are the operands, the stack
 * checks (§8.5.1.1), the responses to unmasked exceptions (x87.ts) and where
 * the result goes.
 */
import type { Cpu } from '../state';
import type { Instr } from '../instr';
import type { FpuState } from '../fpu/state';
import { type F80, type PC, type RC, type Result, DE, POS_ZERO, isNaN80, isUnsupported } from '../fpu/float80';
import { add, sub, mul, div, compare, type Relation } from '../fpu/arith';
import { operandF32, operandF64, fromInt } from '../fpu/convert';
import { SW_C0, SW_C2, SW_C3 } from '../fpu/state';
import { CF, PF, ZF, setArith } from '../flags';
import { memForm, regForm, mayWrite, registerResult } from './x87';
import { read32, read64, readInt } from './x87Memory';

type BinOp = (a: F80, b: F80, pc: PC, rc: RC) => Result;

/** By ModRM.reg as D8 codes them: ADD MUL (COM COMP) SUB SUBR DIV DIVR, each `a op b` or `b op a`. */
const OPS: readonly (BinOp | null)[] = [
  add, mul, null, null, sub, (a, b, pc, rc) => sub(b, a, pc, rc), div, (a, b, pc, rc) => div(b, a, pc, rc),
];

/** A memory source: the value and its conversion flags (DE for a denormal single or double). */
interface Source { value: F80; flags: number }

const SOURCES: ((c: Cpu, i: Instr) => Source)[] = [
  (c, i) => operandF32(read32(c, i)), // D8: m32fp
  (c, i) => ({ value: fromInt(readInt(c, i, 4)), flags: 0 }), // DA: m32int
  (c, i) => operandF64(read64(c, i)), // DC: m64fp
  (c, i) => ({ value: fromInt(readInt(c, i, 2)), flags: 0 }), // DE: m16int
];

/**
 * A source's DE counts unless an operand is a NaN or unsupported: those come
 * first in the priority of §4.9.2 and the operation then says all there is.
 */
function sourceFlags(src: number, a: F80, b: F80): number {
  if (src === 0 || isNaN80(a) || isNaN80(b) || isUnsupported(a) || isUnsupported(b)) return 0;
  return src & DE;
}

/**
 * dest := x op y, then pop if asked. A stack underflow (an empty source) has
 * its masked response in checkSources: the indefinite in dest (and the pop).
 * The operands are read before the check: an empty register still holds a
 * value, and it is not used then.
 */
function binary(f: FpuState, op: number, sts: readonly number[], dest: number, x: F80, y: F80, src: Source | null, pop: boolean): void {
  const check = f.checkSources(sts, dest);
  if (check !== 'ok') {
    if (check === 'masked' && pop) f.pop();
    return;
  }
  const r = registerResult(f, OPS[op]!(x, y, f.pc, f.rc));
  if (!mayWrite(f, r.flags | sourceFlags(src?.flags ?? 0, x, y))) return;
  f.setSt(dest, r.value);
  if (pop) f.pop();
}

// ---- Compares --------------------------------------------------------------------------

const CC: Record<Relation, number> = { gt: 0, lt: SW_C0, eq: SW_C3, un: SW_C3 | SW_C2 | SW_C0 };
const EFLAGS: Record<Relation, number> = { gt: 0, lt: CF, eq: ZF, un: ZF | PF | CF };

/**
 * Compares ST(0) with b into C3 C2 C0 (FCOM family) or ZF PF CF (FCOMI family,
 * which clears OF SF AF), C1 = 0, then pops `pops` times. An empty operand or
 * an invalid operation with IM masked answers "unordered"; unmasked, nothing
 * changes and nothing is popped.
 */
function compareTo(c: Cpu, f: FpuState, sts: readonly number[], y: F80, src: Source | null, quiet: boolean, pops: number, toEflags: boolean): void {
  const set = (rel: Relation): void => {
    if (toEflags) setArith(c, EFLAGS[rel]);
    else f.conditionCodes = CC[rel];
    f.setC1(false);
    for (let k = 0; k < pops; k++) f.pop();
  };
  const check = f.checkSources(sts);
  if (check !== 'ok') {
    if (check === 'masked') set('un');
    return;
  }
  const x = f.st(0);
  const r = compare(x, y, quiet);
  if (!mayWrite(f, r.flags | sourceFlags(src?.flags ?? 0, x, y))) return;
  set(r.rel);
}

// ---- Registration ----------------------------------------------------------------------

for (let s = 0; s < 4; s++) {
  const opcode = 0xd8 + 2 * s, read = SOURCES[s];
  for (let reg = 0; reg < 8; reg++) {
    if (reg === 2 || reg === 3) {
      memForm(opcode, reg, (c, i, f) => {
        const src = read(c, i);
        compareTo(c, f, [0], src.value, src, false, reg - 2, false);
      });
    } else {
      memForm(opcode, reg, (c, i, f) => {
        const src = read(c, i);
        binary(f, reg, [0], 0, f.st(0), src.value, src, false);
      });
    }
  }
}

for (let reg = 0; reg < 8; reg++) {
  if (reg === 2 || reg === 3) {
    // D8 D0+i FCOM ST(i), D8 D8+i FCOMP ST(i).
    regForm(0xd8, reg, (c, i, f) => compareTo(c, f, [0, i.rm], f.st(i.rm), null, false, reg - 2, false));
    continue;
  }
  // D8: ST(0) := ST(0) op ST(i).
  regForm(0xd8, reg, (_c, i, f) => binary(f, reg, [0, i.rm], 0, f.st(0), f.st(i.rm), null, false));
  // DC and DE: ST(i) := ST(i) op ST(0), where their SUB/SUBR and DIV/DIVR encodings are D8's swapped.
  const swapped = reg >= 4 ? reg ^ 1 : reg;
  regForm(0xdc, reg, (_c, i, f) => binary(f, swapped, [i.rm, 0], i.rm, f.st(i.rm), f.st(0), null, false));
  regForm(0xde, reg, (_c, i, f) => binary(f, swapped, [i.rm, 0], i.rm, f.st(i.rm), f.st(0), null, true));
}

// DE D9 FCOMPP; DD E0+i FUCOM, DD E8+i FUCOMP; DA E9 FUCOMPP.
regForm(0xde, 3, (c, _i, f) => compareTo(c, f, [0, 1], f.st(1), null, false, 2, false), 1);
regForm(0xdd, 4, (c, i, f) => compareTo(c, f, [0, i.rm], f.st(i.rm), null, true, 0, false));
regForm(0xdd, 5, (c, i, f) => compareTo(c, f, [0, i.rm], f.st(i.rm), null, true, 1, false));
regForm(0xda, 5, (c, _i, f) => compareTo(c, f, [0, 1], f.st(1), null, true, 2, false), 1);
// DB F0+i FCOMI, DB E8+i FUCOMI, DF F0+i FCOMIP, DF E8+i FUCOMIP (P6).
regForm(0xdb, 6, (c, i, f) => compareTo(c, f, [0, i.rm], f.st(i.rm), null, false, 0, true));
regForm(0xdb, 5, (c, i, f) => compareTo(c, f, [0, i.rm], f.st(i.rm), null, true, 0, true));
regForm(0xdf, 6, (c, i, f) => compareTo(c, f, [0, i.rm], f.st(i.rm), null, false, 1, true));
regForm(0xdf, 5, (c, i, f) => compareTo(c, f, [0, i.rm], f.st(i.rm), null, true, 1, true));
// D9 E4 FTST: ST(0) against +0.0, ordered.
regForm(0xd9, 4, (c, _i, f) => compareTo(c, f, [0], POS_ZERO, null, false, 0, false), 4);
