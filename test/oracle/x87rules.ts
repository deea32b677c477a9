/**
 * What the Intel manual says each x87 instruction does to the x87's state,
 * as far as the oracle needs it (SDM Vol. 2, each instruction's "FPU Flags
 * Affected"; Vol. 1 §8.1.8 for the instruction and data pointers, §8.5.1.1
 * for stack faults). Ours, from the manual, not from either emulator, like
 * undefinedFlags.ts for EFLAGS: the comparison (x87compare.ts) uses it to
 * know which condition codes an instruction leaves undefined, which
 * registers it needs non-empty (stack underflow) or empty (overflow), and
 * what it stores to memory.
 */
import type { Instr } from '../../src/vm/cpu/instr';

export const C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000;
export const CC_ALL = C0 | C1 | C2 | C3;

/** A memory operand's format. */
export type MemKind = 'f32' | 'f64' | 'f80' | 'i16' | 'i32' | 'i64' | 'bcd' | 'env' | 'save' | 'cw' | 'sw';

export interface X87Rule {
  /** The mnemonic (Intel's). */
  name: string;
  /** ST(i) the instruction reads: any of them empty is a stack underflow. */
  reads: number[];
  /** Pushes one value after reading: ST(7) non-empty is a stack overflow. */
  push: boolean;
  /** Registers popped. */
  pops: number;
  /** ST(i) written (before any pop), for the record. */
  writes: number[];
  /** The memory operand: its format, size in bytes (at this operand size), and whether it is stored. */
  mem: { kind: MemKind; bytes: number; store: boolean } | null;
  /**
   * A control instruction (SDM Vol. 1 §8.1.8: FINIT, FCLEX, FLDCW, FSTCW, FSTSW, FSTENV, FLDENV,
   * FSAVE, FRSTOR, WAIT): the instruction and data pointers stay as they were.
   */
  control: boolean;
  /** Condition codes the manual leaves undefined after it. */
  undefinedCC: number;
  /**
   * C1 is the manual's "round-up" bit after it (set if the result was rounded up, cleared otherwise,
   * cleared on stack underflow), or cleared outright (FABS, FCHS, FCOM...): the bits QEMU 7.2 leaves
   * as they were (x87compare.ts masks them).
   */
  c1RoundOrClear: boolean;
  /** Writes ZF PF CF (FCOMI and kin). */
  setsEflags: boolean;
  /** Reads EFLAGS (FCMOVcc). */
  readsEflags: boolean;
}

const MEM_FP = ['f32', 'i32', 'f64', 'i16'] as const;
const BYTES: Record<MemKind, number> = { f32: 4, f64: 8, f80: 10, i16: 2, i32: 4, i64: 8, bcd: 10, env: 28, save: 108, cw: 2, sw: 2 };
const ARITH = ['fadd', 'fmul', 'fcom', 'fcomp', 'fsub', 'fsubr', 'fdiv', 'fdivr'];

function rule(name: string, p: Partial<X87Rule> = {}): X87Rule {
  return {
    name, reads: [], push: false, pops: 0, writes: [], mem: null, control: false,
    undefinedCC: C0 | C2 | C3, c1RoundOrClear: true, setsEflags: false, readsEflags: false, ...p,
  };
}
function mem(kind: MemKind, store: boolean): X87Rule['mem'] {
  return { kind, bytes: BYTES[kind], store };
}
const COMPARE = { undefinedCC: 0 };
const CONTROL_ALL_UNDEFINED = { control: true, undefinedCC: CC_ALL, c1RoundOrClear: false };

/** The rule for an x87 instruction (D8-DF), or null for an encoding the manual does not define (or FISTTP, SSE3's). */
export function x87Rule(i: Pick<Instr, 'opcode' | 'mod' | 'reg' | 'rm' | 'o32'>): X87Rule | null {
  const esc = i.opcode - 0xd8, reg = i.reg, rm = i.rm;
  if (esc < 0 || esc > 7) return null;
  if (i.mod !== 3) {
    // Memory forms.
    if (esc === 0 || esc === 2 || esc === 4 || esc === 6) {
      const kind = MEM_FP[esc >> 1];
      const name = (esc & 2 ? 'fi' : 'f') + ARITH[reg].slice(1) + ` m${kind}`;
      const cmp = reg === 2 || reg === 3;
      return rule(name, { reads: [0], pops: reg === 3 ? 1 : 0, writes: cmp ? [] : [0], mem: mem(kind, false), ...(cmp ? COMPARE : {}) });
    }
    const load = (kind: MemKind) => rule(`fld m${kind}`, { push: true, writes: [0], mem: mem(kind, false) });
    const store = (kind: MemKind, pop: boolean, name = pop ? 'fstp' : 'fst') => rule(`${name} m${kind}`, { reads: [0], pops: pop ? 1 : 0, mem: mem(kind, true) });
    const env = (name: string, kind: 'env' | 'save', st: boolean, p: Partial<X87Rule>) =>
      rule(name, { mem: { kind, bytes: (kind === 'env' ? 14 : 94) + (i.o32 ? (kind === 'env' ? 14 : 14) : 0), store: st }, ...CONTROL_ALL_UNDEFINED, ...p });
    switch (esc * 8 + reg) {
      case 1 * 8 + 0: return load('f32');
      case 1 * 8 + 2: return store('f32', false);
      case 1 * 8 + 3: return store('f32', true);
      case 1 * 8 + 4: return env('fldenv', 'env', false, { undefinedCC: 0 });
      case 1 * 8 + 5: return rule('fldcw', { mem: mem('cw', false), ...CONTROL_ALL_UNDEFINED });
      case 1 * 8 + 6: return env('fnstenv', 'env', true, {});
      case 1 * 8 + 7: return rule('fnstcw', { mem: mem('cw', true), ...CONTROL_ALL_UNDEFINED });
      case 3 * 8 + 0: return rule('fild m32', { push: true, writes: [0], mem: mem('i32', false) });
      case 3 * 8 + 2: return store('i32', false, 'fist');
      case 3 * 8 + 3: return store('i32', true, 'fistp');
      case 3 * 8 + 5: return load('f80');
      case 3 * 8 + 7: return store('f80', true);
      case 5 * 8 + 0: return load('f64');
      case 5 * 8 + 2: return store('f64', false);
      case 5 * 8 + 3: return store('f64', true);
      case 5 * 8 + 4: return env('frstor', 'save', false, { undefinedCC: 0 });
      case 5 * 8 + 6: return env('fnsave', 'save', true, { undefinedCC: 0 });
      case 5 * 8 + 7: return rule('fnstsw m16', { mem: mem('sw', true), ...CONTROL_ALL_UNDEFINED });
      case 7 * 8 + 0: return rule('fild m16', { push: true, writes: [0], mem: mem('i16', false) });
      case 7 * 8 + 2: return store('i16', false, 'fist');
      case 7 * 8 + 3: return store('i16', true, 'fistp');
      case 7 * 8 + 4: return rule('fbld', { push: true, writes: [0], mem: mem('bcd', false) });
      case 7 * 8 + 5: return rule('fild m64', { push: true, writes: [0], mem: mem('i64', false) });
      case 7 * 8 + 6: return store('bcd', true, 'fbstp');
      case 7 * 8 + 7: return store('i64', true, 'fistp');
      default: return null; // FISTTP (DB/1, DD/1, DF/1: SSE3), and the undefined DB/4, DB/6, DD/5, D9/1
    }
  }
  // Register forms.
  const st = rm;
  switch (esc) {
    case 0: {
      const cmp = reg === 2 || reg === 3;
      return rule(`${ARITH[reg]} st(${st})`, { reads: [0, st], pops: reg === 3 ? 1 : 0, writes: cmp ? [] : [0], ...(cmp ? COMPARE : {}) });
    }
    case 1:
      if (reg === 0) return rule(`fld st(${st})`, { reads: [st], push: true, writes: [0] });
      if (reg === 1) return rule(`fxch st(${st})`, { reads: [0, st], writes: [0, st] });
      if (reg === 2 && rm === 0) return rule('fnop', { undefinedCC: CC_ALL, c1RoundOrClear: false });
      if (reg === 4) {
        if (rm === 0) return rule('fchs', { reads: [0], writes: [0] });
        if (rm === 1) return rule('fabs', { reads: [0], writes: [0] });
        if (rm === 4) return rule('ftst', { reads: [0], ...COMPARE });
        if (rm === 5) return rule('fxam', { undefinedCC: 0, c1RoundOrClear: false });
        return null;
      }
      if (reg === 5 && rm < 7) return rule(['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz'][rm], { push: true, writes: [0] });
      if (reg === 6) {
        switch (rm) {
          case 0: return rule('f2xm1', { reads: [0], writes: [0] });
          case 1: return rule('fyl2x', { reads: [0, 1], writes: [1], pops: 1 });
          case 2: return rule('fptan', { reads: [0], push: true, writes: [0, 1], undefinedCC: C0 | C3 });
          case 3: return rule('fpatan', { reads: [0, 1], writes: [1], pops: 1 });
          case 4: return rule('fxtract', { reads: [0], push: true, writes: [0, 1] });
          case 5: return rule('fprem1', { reads: [0, 1], writes: [0], undefinedCC: 0, c1RoundOrClear: false });
          case 6: return rule('fdecstp', { undefinedCC: C0 | C2 | C3, c1RoundOrClear: false });
          default: return rule('fincstp', { undefinedCC: C0 | C2 | C3, c1RoundOrClear: false });
        }
      }
      if (reg === 7) {
        switch (rm) {
          case 0: return rule('fprem', { reads: [0, 1], writes: [0], undefinedCC: 0, c1RoundOrClear: false });
          case 1: return rule('fyl2xp1', { reads: [0, 1], writes: [1], pops: 1 });
          case 2: return rule('fsqrt', { reads: [0], writes: [0] });
          case 3: return rule('fsincos', { reads: [0], push: true, writes: [0, 1], undefinedCC: C0 | C3 });
          case 4: return rule('frndint', { reads: [0], writes: [0] });
          case 5: return rule('fscale', { reads: [0, 1], writes: [0] });
          case 6: return rule('fsin', { reads: [0], writes: [0], undefinedCC: C0 | C3 });
          default: return rule('fcos', { reads: [0], writes: [0], undefinedCC: C0 | C3 });
        }
      }
      return null; // D9 D8+i (FSTP1), D9 D1-D7, D9 E2/E3/E6/E7, D9 EF: undocumented or undefined
    case 2:
      if (reg < 4) return rule(`${['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu'][reg]} st(${st})`, { reads: [0, st], writes: [0], readsEflags: true });
      if (reg === 5 && rm === 1) return rule('fucompp', { reads: [0, 1], pops: 2, ...COMPARE });
      return null;
    case 3:
      if (reg < 4) return rule(`${['fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'][reg]} st(${st})`, { reads: [0, st], writes: [0], readsEflags: true });
      if (reg === 4 && rm === 2) return rule('fnclex', { ...CONTROL_ALL_UNDEFINED });
      if (reg === 4 && rm === 3) return rule('fninit', { control: true, undefinedCC: 0, c1RoundOrClear: false });
      if (reg === 5) return rule(`fucomi st(${st})`, { reads: [0, st], undefinedCC: 0, setsEflags: true });
      if (reg === 6) return rule(`fcomi st(${st})`, { reads: [0, st], undefinedCC: 0, setsEflags: true });
      return null; // DB E0/E1/E4 (FENI, FDISI, FSETPM of the 8087/287), the rest undefined
    case 4:
      if (reg === 2 || reg === 3) return null; // DC D0+i, D8+i: undocumented aliases of FCOM, FCOMP
      return rule(`${['fadd', 'fmul', '', '', 'fsubr', 'fsub', 'fdivr', 'fdiv'][reg]} st(${st}),st`, { reads: [0, st], writes: [st] });
    case 5:
      if (reg === 0) return rule(`ffree st(${st})`, { undefinedCC: CC_ALL, c1RoundOrClear: false });
      if (reg === 2) return rule(`fst st(${st})`, { reads: [0], writes: [st] });
      if (reg === 3) return rule(`fstp st(${st})`, { reads: [0], writes: [st], pops: 1 });
      if (reg === 4) return rule(`fucom st(${st})`, { reads: [0, st], ...COMPARE });
      if (reg === 5) return rule(`fucomp st(${st})`, { reads: [0, st], pops: 1, ...COMPARE });
      return null; // DD C8+i: undocumented FXCH alias
    case 6:
      if (reg === 3) return rm === 1 ? rule('fcompp', { reads: [0, 1], pops: 2, ...COMPARE }) : null;
      if (reg === 2) return null; // DE D0+i: undocumented FCOMP alias
      return rule(`${['faddp', 'fmulp', '', '', 'fsubrp', 'fsubp', 'fdivrp', 'fdivp'][reg]} st(${st}),st`, { reads: [0, st], writes: [st], pops: 1 });
    default:
      if (reg === 4 && rm === 0) return rule('fnstsw ax', { ...CONTROL_ALL_UNDEFINED });
      if (reg === 5) return rule(`fucomip st(${st})`, { reads: [0, st], pops: 1, undefinedCC: 0, setsEflags: true });
      if (reg === 6) return rule(`fcomip st(${st})`, { reads: [0, st], pops: 1, undefinedCC: 0, setsEflags: true });
      return null; // DF C0+i (FFREEP), C8+i, D0+i, D8+i: undocumented
  }
}

/** Whether the instruction is an x87 escape (D8-DF). */
export function isX87(i: Pick<Instr, 'opcode'>): boolean {
  return i.opcode >= 0xd8 && i.opcode <= 0xdf;
}
