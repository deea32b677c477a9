/**
 * x87 escapes (D8-DF). The opcode map has one `fpu Ef` row per escape
 * byte; the instruction is picked by ModRM, as in objdump's float_mem /
 * float_reg tables, which these follow.
 */
import type { MemSize } from './operands';

/** Memory forms by (opcode - D8) * 8 + reg: AT&T mnemonic (size suffix included), Intel mnemonic, Intel size. */
type MemForm = readonly [att: string, intel: string, size: MemSize];

const arith = ['add', 'mul', 'com', 'comp', 'sub', 'subr', 'div', 'divr'];
const fArith = (suffix: string, size: MemSize): MemForm[] => arith.map((n) => [`f${n}${suffix}`, `f${n}`, size] as const);
const fiArith = (suffix: string, size: MemSize): MemForm[] => arith.map((n) => [`fi${n}${suffix}`, `fi${n}`, size] as const);
const BAD: MemForm = ['(bad)', '(bad)', ''];

const MEM: readonly MemForm[] = [
  ...fArith('s', 'DWORD'), // D8
  ['flds', 'fld', 'DWORD'], BAD, ['fsts', 'fst', 'DWORD'], ['fstps', 'fstp', 'DWORD'],
  ['fldenv', 'fldenv', ''], ['fldcw', 'fldcw', 'WORD'], ['fnstenv', 'fnstenv', ''], ['fnstcw', 'fnstcw', 'WORD'], // D9
  ...fiArith('l', 'DWORD'), // DA
  ['fildl', 'fild', 'DWORD'], ['fisttpl', 'fisttp', 'DWORD'], ['fistl', 'fist', 'DWORD'], ['fistpl', 'fistp', 'DWORD'],
  BAD, ['fldt', 'fld', 'TBYTE'], BAD, ['fstpt', 'fstp', 'TBYTE'], // DB
  ...fArith('l', 'QWORD'), // DC
  ['fldl', 'fld', 'QWORD'], ['fisttpll', 'fisttp', 'QWORD'], ['fstl', 'fst', 'QWORD'], ['fstpl', 'fstp', 'QWORD'],
  ['frstor', 'frstor', ''], BAD, ['fnsave', 'fnsave', ''], ['fnstsw', 'fnstsw', 'WORD'], // DD
  ...fiArith('s', 'WORD'), // DE
  ['filds', 'fild', 'WORD'], ['fisttps', 'fisttp', 'WORD'], ['fists', 'fist', 'WORD'], ['fistps', 'fistp', 'WORD'],
  ['fbld', 'fbld', 'TBYTE'], ['fildll', 'fild', 'QWORD'], ['fbstp', 'fbstp', 'TBYTE'], ['fistpll', 'fistp', 'QWORD'], // DF
];

/** The environment/state instructions whose layout follows the operand size: `fldenvs` (AT&T) / `fldenvw` (Intel) with 66. */
export const X87_SIZED = new Set(['fldenv', 'fnstenv', 'frstor', 'fnsave']);

export interface X87Mem { att: string; intel: string; size: MemSize }

export function x87Mem(opcode: number, reg: number): X87Mem {
  const [att, intel, size] = MEM[(opcode - 0xd8) * 8 + reg];
  return { att, intel, size };
}

/**
 * Register forms. Operands: `ST` is st(0) printed as `%st`, `STi` is st(rm).
 * In AT&T syntax the reversed-operand forms of DC/DE 4-7 print as the
 * other mnemonic (fsub <-> fsubr, fdiv <-> fdivr): the historical
 * UnixWare assembler bug that gas and objdump keep for compatibility.
 */
export interface X87Reg { att: string; intel: string; ops: ('ST' | 'STi')[] }

const STi_ST: ('ST' | 'STi')[] = ['STi', 'ST'];
const ST_STi: ('ST' | 'STi')[] = ['ST', 'STi'];
const STi: ('ST' | 'STi')[] = ['STi'];

function same(name: string, ops: ('ST' | 'STi')[] = []): X87Reg {
  return { att: name, intel: name, ops };
}

/** Register-form groups with one instruction per r/m (no operands); `(bad)` where undefined. */
const D9_NAMES: Record<number, (string | null)[]> = {
  2: ['fnop', null, null, null, null, null, null, null],
  4: ['fchs', 'fabs', null, null, 'ftst', 'fxam', null, null],
  5: ['fld1', 'fldl2t', 'fldl2e', 'fldpi', 'fldlg2', 'fldln2', 'fldz', null],
  6: ['f2xm1', 'fyl2x', 'fptan', 'fpatan', 'fxtract', 'fprem1', 'fdecstp', 'fincstp'],
  7: ['fprem', 'fyl2xp1', 'fsqrt', 'fsincos', 'frndint', 'fscale', 'fsin', 'fcos'],
};
const DB4_NAMES = ['fneni(8087 only)', 'fndisi(8087 only)', 'fnclex', 'fninit', 'fnsetpm(287 only)', 'frstpm(287 only)', null, null];

/** The register form, or null for `(bad)`. */
export function x87Reg(opcode: number, reg: number, rm: number): X87Reg | null {
  const bySwap = (att: string, intel: string, p: string) => ({ att: att + p, intel: intel + p, ops: STi_ST });
  switch (opcode) {
    case 0xd8:
      return same('f' + arith[reg], reg === 2 || reg === 3 ? STi : ST_STi);
    case 0xd9: {
      if (reg === 0) return same('fld', STi);
      if (reg === 1) return same('fxch', STi);
      const name = D9_NAMES[reg]?.[rm];
      return name ? same(name) : null;
    }
    case 0xda:
      if (reg < 4) return same(['fcmovb', 'fcmove', 'fcmovbe', 'fcmovu'][reg], ST_STi);
      return reg === 5 && rm === 1 ? same('fucompp') : null;
    case 0xdb: {
      if (reg < 4) return same(['fcmovnb', 'fcmovne', 'fcmovnbe', 'fcmovnu'][reg], ST_STi);
      if (reg === 5) return same('fucomi', ST_STi);
      if (reg === 6) return same('fcomi', ST_STi);
      const name = reg === 4 ? DB4_NAMES[rm] : null;
      return name ? same(name) : null;
    }
    case 0xdc:
    case 0xde: {
      const p = opcode === 0xde ? 'p' : '';
      switch (reg) {
        case 0: return same('fadd' + p, STi_ST);
        case 1: return same('fmul' + p, STi_ST);
        case 4: return bySwap('fsub', 'fsubr', p);
        case 5: return bySwap('fsubr', 'fsub', p);
        case 6: return bySwap('fdiv', 'fdivr', p);
        case 7: return bySwap('fdivr', 'fdiv', p);
        default: return opcode === 0xde && reg === 3 && rm === 1 ? same('fcompp') : null;
      }
    }
    case 0xdd:
      return [same('ffree', STi), null, same('fst', STi), same('fstp', STi), same('fucom', STi), same('fucomp', STi), null, null][reg];
    case 0xdf:
      if (reg === 0) return same('ffreep', STi);
      if (reg === 5) return same('fucomip', ST_STi);
      if (reg === 6) return same('fcomip', ST_STi);
      return null; // DF E0 (fnstsw %ax) is handled by the caller: its operand is a general register.
    default:
      return null;
  }
}
