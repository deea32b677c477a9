/**
 * From a decoded Instr to what objdump prints: prefixes, mnemonic and
 * operands, for one syntax. Everything comes from the decoder's Instr and
 * the opcode map's row (mnemonic + operand specs); the rules here are
 * objdump's presentation conventions, mostly about mnemonic suffixes:
 *
 * - AT&T adds a size suffix (`b`, `w`, `l`) only where no register operand
 *   tells the size: `addl $1,(%eax)` but `add %eax,(%ebx)`.
 * - Stack and control-transfer instructions (push/pop of immediates and
 *   segment registers, pushf, pusha, iret, ret, lret, leave, enter,
 *   call/jmp rel) take a suffix only when an operand-size prefix changed
 *   their size, in both syntaxes: `pushw $0x2`, `retw`, Intel `retd`.
 * - A few instructions have their own names in AT&T syntax (`cwtl`,
 *   `movzbl`, `lret`, `ljmp`), or always carry a suffix (`lgdtl`).
 */
import { Op, type Instr } from '../instr';
import { SREG, REG32, regName, sizeKeyword, type Mem, type MemSize, type Operand, type Syntax } from './operands';
import type { PrefixUse } from './prefixes';
import { X87_SIZED, x87Mem, x87Reg } from './x87';

export interface Context {
  syntax: Syntax;
  address: number;
  /** Whether the code segment is 32-bit (a 66/67 prefix then selects 16 bits). */
  code32: boolean;
  /** The instruction's prefix bytes, in order. */
  prefixes: readonly number[];
}

export interface Analysis {
  mnem: string;
  /** Operands in print order (already reversed for AT&T). */
  ops: Operand[];
  use: PrefixUse;
  /**
   * objdump rejected the instruction before reading its ModRM byte: its
   * listing then covers only the prefixes and the opcode bytes (`opcode`),
   * or even only the first of them (`first`).
   */
  cut?: 'opcode' | 'first';
}

const SEG_OF_PREFIX = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'];
const NO_USE: PrefixUse = { data: false, addr: false, seg: 'unused', f3: 'repz', f2: 'repnz', lock: false };
const BAD: Analysis = { mnem: '(bad)', ops: [], use: NO_USE, cut: 'opcode' };

/** Push/pop/flags/return/... whose suffix only appears with an operand-size prefix. */
const SUFFIX_IF_PREFIXED = new Set(['pushf', 'popf', 'pusha', 'popa', 'iret', 'ret', 'lret', 'leave', 'enter']);
/** `a|b` rows whose suffix-less name is the first one (a suffix is added by SUFFIX_IF_PREFIXED). */
const STACK_ALTS = new Set(['pushf', 'popf', 'pusha', 'popa', 'iret']);
/** Ew operands whose register form objdump prints (and the CPU writes) whole: `sldt %eax`, `mov %eax,%ds`. */
const REG_FORM_V = new Set(['smsw', 'sldt', 'str', 'lar', 'lsl', 'mov']);
const STRING_SUFFIXED = new Set(['movs', 'cmps', 'ins', 'outs']);
const REP_STRING = new Set(['movs', 'lods', 'stos', 'ins', 'outs']);
const AT_T_NAMES: Record<string, string> = { cbw: 'cbtw', cwde: 'cwtl', cwd: 'cwtd', cdq: 'cltd' };
const DESCRIPTOR_TABLE = new Set(['lgdt', 'lidt', 'sgdt', 'sidt']);
const NEAR_BRANCH = new Set(['call', 'jmp', 'ret']);
/** Operand specs that name a register: with one of these no AT&T size suffix is needed. */
const REGISTER_SPEC = /^(Gb|Gv|Gw|Gd|Zb|Zv|Sw|Cd|Dd|Rd|AL|eAX|ES|CS|SS|DS|FS|GS)$/;
/** Operand specs whose size follows the operand-size attribute: a 66 prefix is "used" by them. */
const SIZED_SPEC = /^(Gv|Iz|Iv|Jz|eAX|Zv|Xv|Yv|Ov|Ap|Mp|Ma)$/;

export function analyze(ins: Instr, ctx: Context): Analysis {
  const def = ins.def;
  if (def === null) return BAD;
  const att = ctx.syntax === 'att';
  const osz = ins.o32 ? 4 : 2;
  const dataPrefix = ins.o32 !== ctx.code32;
  const addrPrefix = ins.a32 !== ctx.code32;
  const specs = def.ops;
  const hasMem = ins.hasModrm && ins.mod !== 3 && specs.some((s) => s[0] === 'E' || s[0] === 'M');
  const alts = def.mnem.split('|');

  if (alts[0] === 'fpu') return x87(ins, ctx, osz, dataPrefix);
  // Memory-only operands (M, Mp, Ma, Mq, Ms) with a register ModRM: objdump stops at the opcode.
  if (ins.hasModrm && ins.mod === 3 && specs.some((s) => s[0] === 'M')) {
    // (cmpxchg8b gets as far as printing its mnemonic, and then keeps only the 0F byte.)
    return alts[0] === 'cmpxchg8b' ? { mnem: 'cmpxchg8b', ops: [{ kind: 'bad' }], use: NO_USE, cut: 'first' } : BAD;
  }
  // Opcodes objdump decodes through a table indexed by the last F2/F3 (else
  // 66) prefix, which is then part of the opcode; (bad) where undefined.
  const mandatory = ins.rep !== 0 ? ins.rep : ins.o32 !== ctx.code32 ? 0x66 : 0;
  if ((ins.opcode === 0x109 && mandatory !== 0 && mandatory !== 0xf3) || ((ins.opcode === 0x1bc || ins.opcode === 0x1bd) && mandatory === 0xf2)) {
    return { ...BAD, use: { ...NO_USE, data: mandatory === 0x66, f2: mandatory === 0xf2 ? 'opcode' : 'repnz' } };
  }

  // The mnemonic before any suffix: `a|b` rows pick by operand size, jecxz|jcxz by address size.
  let base = alts[0];
  if (alts.length > 1) {
    if (base === 'jecxz') base = ins.a32 ? 'jecxz' : 'jcxz';
    else if (!STACK_ALTS.has(base)) base = osz === 4 ? alts[1] : alts[0];
  }
  if (base === 'sal') base = 'shl'; // objdump names /6 of the shift groups shl, like /4
  const movSeg = base === 'mov' && specs.includes('Sw');

  const use: PrefixUse = {
    data: alts.length > 1 && base !== 'jcxz' && base !== 'jecxz',
    addr: hasMem && addressUses67(ins),
    seg: hasMem ? 'used' : 'unused',
    f3: 'repz',
    f2: 'repnz',
    lock: false,
  };

  // ---- Operands, in Intel order ----
  const ops: Operand[] = [];
  let immIndex = 0;
  const nextImm = () => (immIndex++ === 0 ? ins.imm : ins.imm2);
  const mem = (size: MemSize): Operand => ({ kind: 'mem', mem: modrmMem(ins), size });
  for (const spec of specs) {
    if (SIZED_SPEC.test(spec)) use.data = true;
    switch (spec) {
      case 'Eb': case 'Ev': case 'Ew':
        if (hasMem) {
          // 8C stores a selector: 16 bits whatever the operand size.
          const size = spec === 'Eb' ? 1 : spec === 'Ev' && !movSeg ? osz : 2;
          if (spec === 'Ev' && !movSeg) use.data = true;
          ops.push(mem(sizeKeyword(size)));
        } else {
          // A few Ew operands print (and write) the whole register: `sldt %eax`, `mov %eax,%ds`.
          const wide = spec === 'Ev' || (spec === 'Ew' && REG_FORM_V.has(base));
          if (wide) use.data = true;
          ops.push({ kind: 'reg', name: regName(ins.rm, spec === 'Eb' ? 1 : wide ? osz : 2) });
        }
        break;
      case 'Gb': ops.push({ kind: 'reg', name: regName(ins.reg, 1) }); break;
      case 'Gv': ops.push({ kind: 'reg', name: regName(ins.reg, osz) }); break;
      case 'Gw': ops.push({ kind: 'reg', name: regName(ins.reg, 2) }); break;
      case 'M': ops.push(mem(base === 'invlpg' ? 'BYTE' : '')); break; // lea: no size
      case 'Ms': ops.push(mem('')); use.data = true; break; // lgdt...: 6 bytes, no size either
      case 'Mb': ops.push(mem('BYTE')); break;
      case 'Mw': ops.push(mem('WORD')); break;
      case 'Md': ops.push(mem('DWORD')); break;
      case 'Mq': ops.push(mem('QWORD')); break;
      case 'Ma': ops.push(mem(osz === 4 ? 'QWORD' : 'DWORD')); break; // bound: two words or dwords
      case 'Mp': ops.push(mem(osz === 4 ? 'FWORD' : 'DWORD')); break; // far pointer: offset + selector
      case 'Ed': ops.push(hasMem ? mem('DWORD') : { kind: 'reg', name: REG32[ins.rm] }); break;
      case 'Gd': ops.push({ kind: 'reg', name: REG32[ins.reg] }); break;
      // MOV to/from control and debug registers ignores mod: always a register.
      case 'Rd': ops.push({ kind: 'reg', name: REG32[ins.rm] }); break;
      case 'Cd':
        // LOCK MOV CRn is AMD's way to reach CR8-15 (here: #UD); objdump shows it that way.
        ops.push({ kind: 'reg', name: 'cr' + (ins.reg + (ins.lock ? 8 : 0)) });
        use.lock = ins.lock;
        break;
      case 'Dd': ops.push({ kind: 'reg', name: (att ? 'db' : 'dr') + ins.reg }); break;
      case 'Sw': ops.push({ kind: 'reg', name: SREG[ins.reg] }); break;
      case 'Ib': ops.push({ kind: 'imm', value: nextImm() & 0xff }); break;
      case 'Ibs': ops.push({ kind: 'imm', value: mask(nextImm(), osz) }); break;
      case 'Iw': ops.push({ kind: 'imm', value: nextImm() & 0xffff }); break;
      case 'Iz': case 'Iv': ops.push({ kind: 'imm', value: mask(nextImm(), osz) }); break;
      case 'Jb': case 'Jz': ops.push({ kind: 'target', addr: branchTarget(ins, ctx, spec === 'Jz', nextImm()) }); break;
      case 'Ob': case 'Ov':
        // The offset's size follows the address size, but objdump still shows the addr16 prefix.
        ops.push({ kind: 'mem', mem: { ...bareMem(ins), kind: 'moffs' }, size: '' });
        use.seg = 'used';
        break;
      case 'Ap': {
        const off = nextImm(), sel = nextImm();
        ops.push({ kind: 'far', sel, off: mask(off, osz) });
        break;
      }
      case 'Xb': case 'Xv': case 'Yb': case 'Yv': {
        // String operands always show their segment; only the source's can be overridden.
        const src = spec[0] === 'X';
        const seg = src && ins.segPrefix >= 0 ? SEG_OF_PREFIX[ins.segPrefix] : src ? 'ds' : 'es';
        ops.push(stringMem(ins, src ? 6 : 7, seg, spec[1] === 'b' ? 1 : osz));
        use.addr = true;
        if (src) use.seg = 'used';
        break;
      }
      case 'AL': ops.push({ kind: 'reg', name: 'al' }); break;
      case 'CL': ops.push({ kind: 'reg', name: 'cl' }); break;
      case 'eAX': ops.push({ kind: 'reg', name: regName(0, osz) }); break;
      case 'DX': ops.push({ kind: 'port' }); break;
      case '1': ops.push({ kind: 'one' }); break;
      case 'Zb': ops.push({ kind: 'reg', name: regName(ins.opcode & 7, 1) }); break;
      case 'Zv': ops.push({ kind: 'reg', name: regName(ins.opcode & 7, osz) }); break;
      case 'ES': case 'CS': case 'SS': case 'DS': case 'FS': case 'GS':
        ops.push({ kind: 'reg', name: spec.toLowerCase() });
        break;
      default:
        // A spec this file does not know yet: show it rather than fail (the objdump tests will not pass).
        ops.push({ kind: 'reg', name: `?${spec}` });
    }
  }
  if (base === 'xlat') {
    // objdump shows xlat's implicit table operand.
    ops.push(stringMem(ins, 3, ins.segPrefix >= 0 ? SEG_OF_PREFIX[ins.segPrefix] : 'ds', 1));
    use.addr = true;
    use.seg = 'used';
  }

  // ---- Mnemonic ----
  const ifPrefixed = (letters: string) => (dataPrefix ? letters[osz === 4 ? 1 : 0] : '');
  const sizeLetter = (n: number) => (n === 1 ? 'b' : n === 2 ? 'w' : 'l');
  const eSpec = specs.find((s) => /^E[bvwd]$/.test(s));
  const indirect = (base === 'call' || base === 'jmp') && eSpec !== undefined;
  const far = base === 'ljmp' || base === 'lcall';
  let mnem = base;

  if (base === 'nop' && ins.opcode === 0x90) {
    // 90 is xchg %eax,%eax: objdump shows `pause` with F3, and the xchg with an operand-size prefix.
    if (ins.rep === 0xf3) {
      mnem = 'pause';
      use.f3 = 'opcode';
    } else if (dataPrefix) {
      mnem = 'xchg';
      ops.push({ kind: 'reg', name: regName(0, osz) }, { kind: 'reg', name: regName(0, osz) });
      use.data = true;
    }
  } else if (SUFFIX_IF_PREFIXED.has(base) || ((base === 'push' || base === 'pop') && !eSpec && specs[0][0] !== 'Z') ||
      ((base === 'call' || base === 'jmp') && specs[0] === 'Jz')) {
    use.data = true;
    mnem = (!att && base === 'lret' ? 'retf' : base) + ifPrefixed(att ? 'wl' : 'wd');
  } else if ((base === 'push' || base === 'pop' || indirect) && eSpec) {
    // push/pop/call/jmp with a ModRM operand: only AT&T's memory form takes a suffix, and only when prefixed.
    use.data = true;
    if (att && hasMem) mnem += ifPrefixed('wl');
  } else if (far) {
    use.data = true;
    mnem = att ? base + ifPrefixed('wl') : base.slice(1); // Intel: plain call/jmp with a far operand
  } else if (DESCRIPTOR_TABLE.has(base)) {
    mnem += att ? sizeLetter(osz) : osz === 4 ? 'd' : 'w';
  } else if (base === 'movzx' || base === 'movsx') {
    if (att) mnem = base.slice(0, 4) + (specs[1] === 'Eb' ? 'b' : 'w') + sizeLetter(osz);
  } else if (STRING_SUFFIXED.has(base)) {
    if (att) mnem += sizeLetter(specs.some((s) => /^[XY]b$/.test(s)) ? 1 : osz);
  } else if (att && AT_T_NAMES[base]) {
    mnem = AT_T_NAMES[base];
  } else if (att && hasMem && (eSpec === 'Eb' || eSpec === 'Ev') && !base.startsWith('set') &&
      !specs.some((s) => REGISTER_SPEC.test(s))) {
    // Nothing else gives the operand size: addl $1,(%eax), incb (%ebx),
    // shll %cl,(%eax). (Fixed-size operands, as sldt's, go without.)
    mnem += sizeLetter(eSpec === 'Eb' ? 1 : osz);
  }

  if ((ins.opcode === 0x1bc || ins.opcode === 0x1bd) && ins.rep === 0xf3) {
    // F3 0F BC/BD is tzcnt/lzcnt (which CPUs without BMI1/LZCNT, like this one, run as bsf/bsr).
    mnem = ins.opcode === 0x1bc ? 'tzcnt' : 'lzcnt';
    use.f3 = 'opcode';
  } else if (ins.opcode === 0x109 && ins.rep === 0xf3) {
    mnem = 'wbnoinvd'; // (run as wbinvd by CPUs that predate it)
    use.f3 = 'opcode';
  }
  if (REP_STRING.has(base)) use.f3 = 'rep';

  // Branch prefixes: F2 is `bnd` on near branches and returns, 3E `notrack`
  // on indirect ones, 2E or 3E on conditional ones a hint (AT&T `je,pt`).
  // As in objdump, any 3E / a lone 2E or 3E among the prefixes counts, and
  // it is the last segment prefix that stops being printed as such.
  const has = (b: number) => ctx.prefixes.includes(b);
  const jcc = base[0] === 'j' && base !== 'jmp' && base !== 'jecxz' && base !== 'jcxz';
  const hinted = jcc || base.startsWith('loop') || base === 'jecxz' || base === 'jcxz';
  if (has(0xf2) && (jcc || NEAR_BRANCH.has(base))) use.f2 = 'bnd';
  if (base.startsWith('loop') && addrPrefix && att) {
    // loop counts with CX or ECX: AT&T says which with a suffix, Intel leaves the addr16 prefix showing.
    mnem += ins.a32 ? 'l' : 'w';
    use.addr = true;
  }
  if (base === 'jecxz' || base === 'jcxz') use.addr = true;
  if (indirect && has(0x3e)) {
    use.seg = 'notrack';
    const t = ops[0];
    if (t.kind === 'mem') t.mem.seg = null;
  } else if (hinted && att && has(0x2e) !== has(0x3e)) {
    mnem += has(0x2e) ? ',pn' : ',pt';
    use.seg = 'hint';
  }
  // Hardware lock elision: F2/F3 on a locked (or xchg) memory operation are
  // xacquire/xrelease, and F3 on a store (mov to memory) xrelease.
  if (hasMem && ((def.flags & Op.LOCKABLE) !== 0 && (ins.lock || base === 'xchg'))) {
    if (has(0xf3)) use.f3 = 'xrelease';
    if (has(0xf2)) use.f2 = 'xacquire';
  } else if (hasMem && base === 'mov' && [0x88, 0x89, 0xc6, 0xc7].includes(ins.opcode) && ins.rep === 0xf3) {
    use.f3 = 'xrelease';
  }
  if (indirect || (far && specs[0] === 'Mp')) {
    const t = ops[0];
    if (t.kind === 'reg' || t.kind === 'mem') t.indirect = true;
  }

  if (!att) return { mnem, ops, use };
  // AT&T lists the source first (objdump keeps Intel order for enter and
  // bound), and leaves out the implicit count of shift-by-one.
  const attOps = ops.filter((o) => o.kind !== 'one');
  if (base !== 'bound' && base !== 'enter') attOps.reverse();
  return { mnem, ops: attOps, use };
}

function x87(ins: Instr, ctx: Context, osz: number, dataPrefix: boolean): Analysis {
  const att = ctx.syntax === 'att';
  const use: PrefixUse = { ...NO_USE };
  if (ins.mod !== 3) {
    const m = x87Mem(ins.opcode, ins.reg);
    let mnem = att ? m.att : m.intel;
    if (X87_SIZED.has(m.intel) && dataPrefix) {
      mnem += att ? (osz === 4 ? 'l' : 's') : osz === 4 ? 'd' : 'w';
      use.data = true;
    }
    use.addr = addressUses67(ins);
    use.seg = 'used';
    return { mnem, ops: [{ kind: 'mem', mem: modrmMem(ins), size: m.size }], use };
  }
  if (ins.opcode === 0xdf && ins.reg === 4 && ins.rm === 0) {
    return { mnem: 'fnstsw', ops: [{ kind: 'reg', name: 'ax' }], use };
  }
  const r = x87Reg(ins.opcode, ins.reg, ins.rm);
  if (r === null) return { mnem: '(bad)', ops: [], use }; // after the ModRM byte, unlike BAD
  const ops: Operand[] = r.ops.map((o) => ({ kind: 'reg', name: o === 'ST' ? 'st' : `st(${ins.rm})` }));
  if (att) ops.reverse();
  return { mnem: att ? r.att : r.intel, ops, use };
}

/**
 * Whether a ModRM memory operand shows the address size. A bare 32-bit
 * displacement reads the same either way, so objdump leaves an addr32
 * prefix showing (`addr32 mov 0x12345678,%ax` in 16-bit code).
 */
function addressUses67(ins: Instr): boolean {
  return !ins.a32 || ins.base >= 0 || ins.index >= 0 || ins.rm === 4;
}

function mask(v: number, size: number): number {
  return size === 4 ? v >>> 0 : size === 2 ? v & 0xffff : v & 0xff;
}

function bareMem(ins: Instr): Mem {
  return {
    a32: ins.a32, seg: ins.segPrefix >= 0 ? SEG_OF_PREFIX[ins.segPrefix] : null,
    base: -1, index: -1, scale: 0, disp: ins.disp, sib: false, hasDisp: true, kind: 'modrm',
  };
}

function stringMem(ins: Instr, base: number, seg: string, size: number): Operand {
  return { kind: 'mem', mem: { ...bareMem(ins), base, seg, hasDisp: false, kind: 'string' }, size: sizeKeyword(size) };
}

function modrmMem(ins: Instr): Mem {
  const sib = ins.a32 && ins.rm === 4;
  return {
    ...bareMem(ins),
    base: ins.base, index: ins.index, scale: ins.scale, sib,
    hasDisp: ins.mod !== 0 || ins.base < 0,
  };
}

/**
 * Where a relative branch goes, as objdump computes it: a 16-bit
 * displacement wraps within the current 64 KiB (to 0-FFFF when an
 * operand-size prefix made it 16-bit in 32-bit code); an 8-bit one does not wrap.
 */
function branchTarget(ins: Instr, ctx: Context, wide: boolean, disp: number): number {
  const next = ctx.address + ins.len;
  if (!wide || ins.o32) return (next + disp) >>> 0;
  const seg = ins.o32 !== ctx.code32 ? 0 : next & ~0xffff;
  return (((next + ((disp << 16) >> 16)) & 0xffff) | seg) >>> 0;
}

