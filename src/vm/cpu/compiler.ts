/**
 * The block compiler: a block run often enough becomes one JavaScript
 * function of its own (built with `new Function`), which the JavaScript
 * engine then compiles to machine code.
 *
 * The common instructions are written out inline, specialised for their
 * registers and immediates: here the 32-bit moves, ALU operations, INC/DEC,
 * LEA, PUSH/POP and the jumps that end blocks; in compile/ the byte ALU
 * forms, INC/DEC on memory, NOT, NEG, CMPXCHG, XADD (alu.ts), shifts,
 * rotates, SHLD, SHRD (shift.ts), IMUL, MUL, DIV, IDIV, CWDE, CDQ (mul.ts),
 * BT*, BSF, BSR, BSWAP, SETcc, CMOVcc (bits.ts), CLC, STC, CMC, CLD, STD
 * (flagops.ts), XCHG, LEAVE, PUSHA, POPA and the other moves (move.ts),
 * MOVS/STOS/LODS with REP as a loop (string.ts), LOOP, JECXZ, CALL r/m32,
 * RET imm16 (branch.ts). A conditional jump, SETcc or CMOVcc after the
 * compare or test that set its flags becomes a plain JavaScript comparison.
 * Every other instruction calls its handler, from a call site that only ever
 * calls that handler, so the engine can inline it too. The semantics are the
 * handlers' (ops/*.ts): compile/inline.test.ts runs each inline form against
 * its handler, and other tests run the kernels with everything compiled and
 * with nothing compiled and require the same output from both.
 *
 * Conventions shared with the run loop (executor.ts): on entry `c.eip` is
 * the block's first instruction; the function returns how many instructions
 * ran (fewer than all when one set `c.exitBlock`); a fault records the
 * faulting instruction's index in `c.faultIndex` and returns -1 (the run
 * loop delivers it: a second throw would cost a microsecond more). A block ending in a jump
 * back to its own start loops inside the function while the budget lasts.
 */
import type { Cpu } from './state';
import type { Instr } from './instr';
import { Op } from './instr';
import type { Block } from './executor';
import { condition, getCF, parity, ARITH, CF, ZF, SF } from './flags';
import { raise, FAULT } from './fault';
import { CC_NAMES } from './ops/conditions';
import { Known, type Ctx, eaExpr, lazy, reg8, rm8, plain } from './compile/common';
import { aluByte, unary, exchangeOp } from './compile/alu';
import { shiftRotate, shiftDouble } from './compile/shift';
import { mulDiv } from './compile/mul';
import { bitTest, bitScan, condMove } from './compile/bits';
import { flagOp } from './compile/flagops';
import { move, move16 } from './compile/move';
import { stringOp } from './compile/string';
import { branchMore } from './compile/branch';
import { HELPER_NAMES, HELPER_VALUES } from './compile/helpers';

/** Flags after a 32-bit shift by a constant: t is the value shifted by one less than the count, fr the result. */
function shiftFlags(cf: string): string {
  return `c.flagsRaw = (c.flagsRaw & ${~ARITH}) | (fr === 0 ? ${ZF} : 0) | (fr < 0 ? ${SF} : 0) | parity(fr) | ${cf} | (((t ^ fr) >>> 31) << 11); c.lazyMask = 0;`;
}

// Lazy kinds (flags.ts Lazy): ADD 0, ADC 1, SUB 2, SBB 3, LOGIC 4. ADC/SBB take CF before the record is replaced.
const ALU_EXPR: (string | null)[] = ['(fa + fb) | 0', 'fa | fb', '(fa + fb + (c.lazyCarry = getCF(c))) | 0', '(fa - fb - (c.lazyCarry = getCF(c))) | 0',
  'fa & fb', '(fa - fb) | 0', 'fa ^ fb', '(fa - fb) | 0'];
const ALU_LAZY = [0, 4, 1, 3, 4, 2, 4, 2];

/** A straight-line instruction written out inline, or null to call its handler. Sets ctx.known. */
function inline(i: Instr, ctx: Ctx): string | null {
  // LOCK changes nothing on one CPU once the decoder accepted it (plain: not the #UD it gives otherwise).
  if (!i.a32 || i.rep !== 0 || !plain(i)) return null;
  if (!i.o32) return move16(i);
  const op = i.opcode, mem = i.mod !== 3, seg = i.seg;
  const rd = (o: string) => `c.rd32(${seg}, ${o})`;
  switch (true) {
    case op === 0x89: ctx.known = Known.NONE; return mem ? `c.wr32(${seg}, ${eaExpr(i)}, R[${i.reg}]);` : `R[${i.rm}] = R[${i.reg}];`;
    case op === 0x8b: ctx.known = Known.NONE; return `R[${i.reg}] = ${mem ? rd(eaExpr(i)) : `R[${i.rm}]`};`;
    case op >= 0xb8 && op <= 0xbf: ctx.known = Known.NONE; return `R[${op & 7}] = ${i.imm | 0};`;
    case op === 0xc7 && i.reg === 0: ctx.known = Known.NONE; return mem ? `c.wr32(${seg}, ${eaExpr(i)}, ${i.imm | 0});` : `R[${i.rm}] = ${i.imm | 0};`;
    case op === 0x8d && mem: ctx.known = Known.NONE; return `R[${i.reg}] = ${eaExpr(i)};`;
    case op >= 0x50 && op <= 0x57: ctx.known = Known.NONE; return `c.push32(R[${op & 7}]);`;
    case op >= 0x58 && op <= 0x5f: ctx.known = Known.NONE; return `R[${op & 7}] = c.pop32();`;
    case op >= 0x40 && op <= 0x4f: {
      // INC/DEC keep CF: make it concrete before the lazy record takes over the others.
      const r = op & 7, dec = op >= 0x48;
      ctx.known = Known.INCDEC;
      return `{ const cf = getCF(c); c.flagsRaw = (c.flagsRaw & ${~CF}) | cf; fa = R[${r}]; fb = 1; fr = (fa ${dec ? '-' : '+'} 1) | 0; R[${r}] = fr; ${lazy(dec ? 2 : 0, true)} }`;
    }
    case op < 0x40 && (op & 7) <= 5 && (op & 7) % 2 === 1 && ALU_EXPR[op >> 3] !== null: {
      // op Ev,Gv (x1), op Gv,Ev (x3), op eAX,Iz (x5).
      const aop = op >> 3, form = op & 7;
      return aluInline(aop, form === 1 ? (mem ? 'M' : `R[${i.rm}]`) : `R[${form === 5 ? 0 : i.reg}]`,
        form === 1 ? `R[${i.reg}]` : form === 3 ? (mem ? rd(eaExpr(i)) : `R[${i.rm}]`) : String(i.imm | 0), form === 1 && mem ? i : null, ctx);
    }
    case (op === 0x81 || op === 0x83) && ALU_EXPR[i.reg] !== null:
      return aluInline(i.reg, mem ? 'M' : `R[${i.rm}]`, String(i.imm | 0), mem ? i : null, ctx);
    case op === 0x85:
      ctx.known = Known.LOGIC;
      return `fa = ${mem ? rd(eaExpr(i)) : `R[${i.rm}]`}; fb = R[${i.reg}]; fr = fa & fb; ${lazy(4)}`;
    case op === 0xa9 || (op === 0xf7 && i.reg === 0):
      ctx.known = Known.LOGIC;
      return `fa = ${op === 0xa9 ? 'R[0]' : mem ? rd(eaExpr(i)) : `R[${i.rm}]`}; fb = ${i.imm | 0}; fr = fa & fb; ${lazy(4)}`;
    case op === 0x68 || op === 0x6a: ctx.known = Known.NONE; return `c.push32(${i.imm | 0});`;
    case op === 0x1b6 || op === 0x1be: {
      const v = rm8(i);
      ctx.known = Known.NONE;
      return `R[${i.reg}] = ${op === 0x1b6 ? v : `(${v} << 24) >> 24`};`;
    }
    case op === 0x1b7 || op === 0x1bf: {
      const v = mem ? `c.rd16(${seg}, ${eaExpr(i)})` : `(R[${i.rm}] & 65535)`;
      ctx.known = Known.NONE;
      return `R[${i.reg}] = ${op === 0x1b7 ? v : `(${v} << 16) >> 16`};`;
    }
    case op === 0xc6 && i.reg === 0 && mem: ctx.known = Known.NONE; return `c.wr8(${seg}, ${eaExpr(i)}, ${i.imm & 255});`;
    case op === 0x88 && mem: ctx.known = Known.NONE; return `c.wr8(${seg}, ${eaExpr(i)}, ${reg8(i.reg)});`;
    case op === 0x8a: ctx.known = Known.NONE; return `c.setR8(${i.reg}, ${rm8(i)});`;
    case (op === 0x80 && i.reg === 7) || op === 0x3c || op === 0x38 || op === 0x3a: {
      // Byte compares.
      const [a, b] = op === 0x80 ? [rm8(i), String(i.imm & 255)] : op === 0x3c ? [reg8(0), String(i.imm & 255)]
        : op === 0x38 ? [rm8(i), reg8(i.reg)] : [reg8(i.reg), rm8(i)];
      ctx.known = Known.SUB8;
      return `fa = ${a}; fb = ${b}; fr = (fa - fb) & 255; ${lazy(2, false, 1)}`;
    }
    case op === 0x84 || op === 0xa8 || (op === 0xf6 && i.reg === 0): {
      const [a, b] = op === 0x84 ? [rm8(i), reg8(i.reg)] : op === 0xa8 ? [reg8(0), String(i.imm & 255)] : [rm8(i), String(i.imm & 255)];
      ctx.known = Known.NONE;
      return `fa = ${a}; fb = ${b}; fr = fa & fb; ${lazy(4, false, 1)}`;
    }
    case op === 0xc1 && !mem && (i.reg === 4 || i.reg === 5 || i.reg === 7): {
      const n = i.imm & 31, r = i.rm;
      if (n === 0) return '';
      ctx.known = Known.INCDEC; // ZF and SF as fr says
      if (i.reg === 4) return `{ fa = R[${r}]; const t = fa << ${n - 1}; fr = t << 1; R[${r}] = fr; ${shiftFlags('((t >>> 31) & 1)')} }`;
      if (i.reg === 5) return `{ fa = R[${r}]; const t = fa >>> ${n - 1}; fr = (t >>> 1) | 0; R[${r}] = fr; ${shiftFlags('(t & 1)')} }`;
      return `{ fa = R[${r}]; const t = fa >> ${n - 1}; fr = t >> 1; R[${r}] = fr; ${shiftFlags('(t & 1)')} }`;
    }
    default:
      return aluByte(i, ctx) ?? unary(i, ctx) ?? exchangeOp(i, ctx) ?? shiftRotate(i, ctx) ?? shiftDouble(i, ctx) ?? mulDiv(i, ctx)
        ?? bitTest(i, ctx) ?? bitScan(i, ctx) ?? condMove(i, (cc) => condExpr(cc, ctx.known)) ?? flagOp(i, ctx) ?? move(i);
  }
}

/**
 * dst OP src for a 32-bit ALU operation. `dst` is a register expression, or
 * 'M' for the memory operand of `memIns` (read checked for writing first,
 * so the write that follows cannot fault after the flags changed).
 */
function aluInline(aop: number, dst: string, src: string, memIns: Instr | null, ctx: Ctx): string {
  const isCmp = aop === 7;
  ctx.known = ALU_LAZY[aop] === 4 ? Known.LOGIC : Known.SUB;
  if (aop === 0 || aop === 2 || aop === 3) ctx.known = Known.NONE; // ADD, ADC, SBB: the fast Jcc forms below are for compares
  const calc = `fr = ${ALU_EXPR[aop]}; ${lazy(ALU_LAZY[aop])}`;
  if (memIns !== null) {
    const seg = memIns.seg;
    return isCmp
      ? `fa = c.rd32(${seg}, ${eaExpr(memIns)}); fb = ${src}; ${calc}`
      : `{ const o = ${eaExpr(memIns)}; fa = c.rdW32(${seg}, o); fb = ${src}; ${calc} c.wr32(${seg}, o, fr); }`;
  }
  return `fa = ${dst}; fb = ${src}; ${calc}${isCmp ? '' : ` ${dst} = fr;`}`;
}

/** The condition of Jcc `cc` as a JavaScript expression, fast when the flags' origin is known. */
function condExpr(cc: number, known: Known): string {
  const name = CC_NAMES[cc];
  if (known === Known.SUB) {
    const t: Record<string, string> = {
      e: 'fr === 0', ne: 'fr !== 0', b: '(fa >>> 0) < (fb >>> 0)', ae: '(fa >>> 0) >= (fb >>> 0)',
      be: '(fa >>> 0) <= (fb >>> 0)', a: '(fa >>> 0) > (fb >>> 0)', s: 'fr < 0', ns: 'fr >= 0',
      l: 'fa < fb', ge: 'fa >= fb', le: 'fa <= fb', g: 'fa > fb',
    };
    if (t[name]) return t[name];
  } else if (known === Known.SUB8) {
    const t: Record<string, string> = {
      e: 'fr === 0', ne: 'fr !== 0', b: 'fa < fb', ae: 'fa >= fb', be: 'fa <= fb', a: 'fa > fb',
    };
    if (t[name]) return t[name];
  } else if (known === Known.LOGIC) {
    const t: Record<string, string> = {
      e: 'fr === 0', ne: 'fr !== 0', b: 'false', ae: 'true', be: 'fr === 0', a: 'fr !== 0',
      s: 'fr < 0', ns: 'fr >= 0', l: 'fr < 0', ge: 'fr >= 0', le: 'fr <= 0', g: 'fr > 0',
    };
    if (t[name]) return t[name];
  } else if (known === Known.INCDEC) {
    const t: Record<string, string> = { e: 'fr === 0', ne: 'fr !== 0', s: 'fr < 0', ns: 'fr >= 0' };
    if (t[name]) return t[name];
  }
  return `condition(c, ${cc})`;
}

/** A block-ending jump written out inline (EIP already points at it), or null. */
function inlineBranch(i: Instr, ctx: Ctx, mask: number): string | null {
  if (!i.o32 || !plain(i)) return null; // not plain: #UD for a LOCK prefix, the handler raises it
  const op = i.opcode;
  const next = `((c.eip + ${i.len}) & ${mask})`;
  const target = `((c.eip + ${i.len + i.imm}) & ${mask})`;
  const check = 'if ((t >>> 0) > c.segLimit[1]) raise(c, 13, 0);';
  if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f)) {
    return `if (${condExpr(op & 0xf, ctx.known)}) { const t = ${target}; ${check} c.eip = t; } else c.eip = ${next};`;
  }
  if (op === 0xeb || op === 0xe9) return `{ const t = ${target}; ${check} c.eip = t; }`;
  if (op === 0xe8) return `{ const t = ${target}; ${check} c.push32(${next}); c.eip = t; }`;
  if (op === 0xc3) return `{ const t = c.peek32(0); ${check} c.addSP(4); c.eip = t; }`;
  if (op === 0xff && i.reg === 4 && i.a32) {
    return `{ const t = ${i.mod === 3 ? `R[${i.rm}]` : `c.rd32(${i.seg}, ${eaExpr(i)})`}; ${check} c.eip = t; }`;
  }
  return branchMore(i, next, target, check);
}

export function compileBlock(block: Block): (c: Cpu) => number {
  const instrs = block.instrs, n = instrs.length, mask = block.eipMask;
  const last = instrs[n - 1];
  const loops = (last.flags & Op.BRANCH) !== 0 && (last.flags & (Op.ENDS_BLOCK | Op.FAR)) === 0;
  const ctx: Ctx = { known: Known.NONE };
  const body: string[] = [];
  for (let k = 0; k < n - 1; k++) {
    const code = inline(instrs[k], ctx);
    if (code !== null) {
      // Only instructions that write memory can make the run loop want us to stop (code written, a device).
      const writes = /c\.wr(8|16|32)|c\.push32|c\.pop32/.test(code);
      body.push(`${code} k = ${k + 1};${writes ? ` if (c.exitBlock) return ${k + 1};` : ''}`);
    } else {
      ctx.known = Known.NONE;
      body.push(`h${k}(c, i${k}); k = ${k + 1}; if (c.exitBlock) return ${k + 1};`);
    }
  }
  body.push(`c.eip = (base + ${last.off}) & ${mask};`);
  const branch = inlineBranch(last, ctx, mask);
  if (branch !== null) {
    body.push(branch);
  } else {
    const str = (last.flags & Op.STRING) !== 0 && plain(last) ? stringOp(last) : null;
    body.push(`c.eipNext = (c.eip + ${last.len}) & ${mask};`, str ?? `h${n - 1}(c, i${n - 1});`, 'c.eip = c.eipNext;');
  }
  const lines = ['const R = c.r32, base = c.eip;', 'let k = 0, fa = 0, fb = 0, fr = 0;', 'try {'];
  if (loops) {
    // Each further pass is counted before it starts, as the run loop counts the first.
    lines.push('for (;;) {', ...body.map((l) => '  ' + l),
      `  if (c.eip !== base || c.exitBlock || c.instructions + ${n} > c.instructionLimit) return ${n};`,
      `  c.instructions += ${n}; k = 0;`, '}');
  } else {
    lines.push(...body, `return ${n};`);
  }
  lines.push('} catch (e) { c.faultIndex = k; if (e !== FAULT) throw e; return -1; }');
  const names = ['condition', 'getCF', 'parity', 'raise', 'FAULT', ...HELPER_NAMES], values: unknown[] = [condition, getCF, parity, raise, FAULT, ...HELPER_VALUES];
  instrs.forEach((ins, k) => {
    names.push(`h${k}`, `i${k}`);
    values.push(ins.fn, ins);
  });
  const source = `return function block(c) {\n${lines.join('\n')}\n};`;
  const factory = new Function(...names, source) as (...args: unknown[]) => (c: Cpu) => number;
  return factory(...values);
}
