/**
 * Instruction prefixes as objdump shows them.
 *
 * objdump prints, in byte order, every prefix the instruction did not
 * "use": an operand-size prefix that changed no operand is `data16`, a
 * segment override with no memory operand is `cs`, `ds`... A used prefix
 * shows up elsewhere instead (in the operands' sizes, `%fs:(%eax)`, a `w`
 * suffix). Of repeated prefixes only the last one counts, as in the decoder.
 */
import type { Instr } from '../instr';

const SEG_BYTES = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
const SEG_NAMES: Record<number, string> = { 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds', 0x64: 'fs', 0x65: 'gs' };

export function isPrefix(b: number): boolean {
  return b === 0x66 || b === 0x67 || b === 0xf0 || b === 0xf2 || b === 0xf3 || SEG_BYTES.includes(b);
}

/** A prefix byte's name when it stands alone, or undefined. */
export function prefixName(b: number, code32: boolean): string | undefined {
  switch (b) {
    case 0x66: return code32 ? 'data16' : 'data32';
    case 0x67: return code32 ? 'addr16' : 'addr32';
    case 0xf0: return 'lock';
    case 0xf2: return 'repnz';
    case 0xf3: return 'repz';
    default: return SEG_NAMES[b];
  }
}

/** The prefix bytes at the start of an instruction's bytes. */
export function scanPrefixes(bytes: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length && isPrefix(bytes[i]); i++) out.push(bytes[i]);
  return out;
}

/** Without the bytes: one prefix for each effect the decoder recorded. */
export function reconstructPrefixes(ins: Instr, code32: boolean): number[] {
  const out: number[] = [];
  if (ins.o32 !== code32) out.push(0x66);
  if (ins.a32 !== code32) out.push(0x67);
  if (ins.segPrefix >= 0) out.push(SEG_BYTES[ins.segPrefix]);
  if (ins.lock) out.push(0xf0);
  if (ins.rep) out.push(ins.rep);
  return out;
}

/** What the instruction made of its (last) prefixes. */
export interface PrefixUse {
  /** 66 / 67 changed an operand or the mnemonic. */
  data: boolean;
  addr: boolean;
  /** The last segment prefix: applied to a memory operand (not printed), a branch hint or `notrack`, or unused. */
  seg: 'used' | 'hint' | 'notrack' | 'unused';
  /** F3: `rep` on ins/outs/movs/lods/stos, part of the opcode (`pause`, `tzcnt`), `xrelease` (lock elision), else `repz`. */
  f3: 'rep' | 'opcode' | 'xrelease' | 'repz';
  /** F2: `bnd` on near branches and returns, `xacquire` (lock elision), part of the opcode, else `repnz`. */
  f2: 'bnd' | 'xacquire' | 'opcode' | 'repnz';
  /** The last F0 changed an operand (`lock mov %cr0` is `%cr8`). */
  lock: boolean;
}

/** The names objdump prints before the mnemonic. */
export function prefixNames(prefixes: readonly number[], use: PrefixUse, code32: boolean): string[] {
  const last = (pred: (b: number) => boolean) => {
    for (let i = prefixes.length - 1; i >= 0; i--) if (pred(prefixes[i])) return i;
    return -1;
  };
  const last66 = last((b) => b === 0x66), last67 = last((b) => b === 0x67);
  const lastSeg = last((b) => SEG_BYTES.includes(b));
  const lastF3 = last((b) => b === 0xf3), lastF2 = last((b) => b === 0xf2), lastF0 = last((b) => b === 0xf0);
  const names: string[] = [];
  prefixes.forEach((b, i) => {
    let name = prefixName(b, code32)!;
    if (b === 0x66 && i === last66 && use.data) return;
    if (b === 0x67 && i === last67 && use.addr) return;
    if (b === 0xf3 && i === lastF3) {
      if (use.f3 === 'opcode') return;
      name = use.f3;
    }
    if (b === 0xf2 && i === lastF2) {
      if (use.f2 === 'opcode') return;
      name = use.f2;
    }
    if (b === 0xf0 && i === lastF0 && use.lock) return;
    if (i === lastSeg) {
      if (use.seg === 'used' || use.seg === 'hint') return;
      if (use.seg === 'notrack') name = 'notrack';
    }
    names.push(name);
  });
  return names;
}
