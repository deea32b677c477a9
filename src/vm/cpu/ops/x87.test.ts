/**
 * The x87 instructions as the CPU runs them: CR0's rules, the stack faults,
 * the masked and unmasked responses, the pointers, the images, and the
 * disassembler's agreement with what executes. Each expectation is the
 * SDM's (cited); the arithmetic's own bit patterns are tested in fpu/ and
 * against QEMU in test/oracle.
 */
import { describe, it, expect } from 'vitest';
import { runCode, CODE, type TestCpu } from '../../../../test/cpu/harness';
import { CR0_EM, CR0_MP, CR0_TS, CR0_NE, EAX, type Cpu } from '../state';
import { CF, PF, ZF } from '../flags';
import { type F80, decodeF80, encodeF80, makeF80, INDEFINITE, EXP_BIAS, J_BIT } from '../fpu/float80';
import { SW_C0, SW_C1, SW_C2, SW_C3, SW_SF, SW_ES, TAG_EMPTY } from '../fpu/state';
import { x87Kind } from './x87';
import { x87Mem, x87Reg } from '../disasm/x87';

const DATA = 0x2000, IMAGE = 0x3000;
const hex80 = (x: F80): string => Buffer.from(encodeF80(x)).reverse().toString('hex');
const ONE = makeF80(0, EXP_BIAS, J_BIT), TWO = makeF80(0, EXP_BIAS + 1, J_BIT);
const addr = (a: number) => [a & 0xff, (a >>> 8) & 0xff, 0, 0].map((b) => b.toString(16).padStart(2, '0')).join(' ');

function run(code: string, setup?: (c: Cpu) => void): TestCpu {
  return runCode(code, {}, setup);
}
const fldcw = (cw: number) => (c: Cpu) => { c.mem.write16(DATA + 0x40, cw); };
const FLDCW = `d9 2d ${addr(DATA + 0x40)}`;

describe('x87 and CR0 (SDM Vol. 3 Table 2-2)', () => {
  it('an x87 instruction raises #NM when CR0.EM or CR0.TS is set, and runs when both are clear', () => {
    expect(run('d9 e8', (c) => { c.cr0 |= CR0_EM; }).lastVector).toBe(7);
    expect(run('d9 e8', (c) => { c.cr0 |= CR0_TS; }).lastVector).toBe(7);
    const t = run('d9 e8');
    expect(t.history).toEqual([]);
    expect(hex80(t.cpu.fpu.st(0))).toBe(hex80(ONE));
  });
  it('WAIT raises #NM only when MP and TS are both set', () => {
    expect(run('9b', (c) => { c.cr0 |= CR0_MP | CR0_TS; }).lastVector).toBe(7);
    expect(run('9b', (c) => { c.cr0 |= CR0_TS; }).history).toEqual([]);
    expect(run('9b', (c) => { c.cr0 |= CR0_MP; }).history).toEqual([]);
  });
  it('FISTTP (SSE3) and the encodings no P6 documents raise #UD', () => {
    expect(run(`db 0d ${addr(DATA)}`).lastVector).toBe(6);
    expect(run('dc d1').lastVector).toBe(6); // "fcom2": objdump says (bad)
    expect(run('d9 d1').lastVector).toBe(6);
  });
});

describe('x87 loads, stores and arithmetic', () => {
  it('FLD1, FLD1, FADDP gives 2.0 and pops: TOP back at 7, one register in use', () => {
    const f = run('db e3 d9 e8 d9 e8 de c1').cpu.fpu;
    expect(hex80(f.st(0))).toBe(hex80(TWO));
    expect(f.top).toBe(7);
    expect(f.stTag(1)).toBe(TAG_EMPTY);
  });
  it('FLDPI is rounded by RC from the P6\'s 66-bit constant (SDM Vol. 1 §8.3.8)', () => {
    const pi = (rc: number) => hex80(run(`${FLDCW} d9 eb`, fldcw(0x037f | (rc << 10))).cpu.fpu.st(0));
    expect(pi(0)).toBe('4000c90fdaa22168c235');
    expect(pi(1)).toBe('4000c90fdaa22168c234');
    expect(pi(2)).toBe('4000c90fdaa22168c235');
    expect(pi(3)).toBe('4000c90fdaa22168c234');
  });
  it('FILD m32 then FISTP m32 rounds 2.5 to even, and by RC', () => {
    // fild [DATA]; fild [DATA+4]; fdivp -> 5/2; fistp [DATA+8]
    const code = `${FLDCW} db 05 ${addr(DATA)} db 05 ${addr(DATA + 4)} de f9 db 1d ${addr(DATA + 8)}`;
    const result = (rc: number) => {
      const t = run(code, (c) => { fldcw(0x037f | (rc << 10))(c); c.mem.write32(DATA, 5); c.mem.write32(DATA + 4, 2); });
      return { v: t.cpu.mem.read32(DATA + 8), sw: t.cpu.fpu.statusWord };
    };
    expect(result(0).v).toBe(2);
    expect(result(0).sw & 0x20).toBe(0x20); // PE
    expect(result(0).sw & SW_C1).toBe(0); // rounded down: C1 clear
    expect(result(2).v).toBe(3);
    expect(result(2).sw & SW_C1).toBe(SW_C1); // rounded up: C1 set (SDM Vol. 1 Table 8-1)
    expect(result(1).v).toBe(2);
  });
  it('FLD m64 / FSTP m64 keeps the bits of a double, an SNaN load is IE and comes in quiet', () => {
    const t = run(`dd 05 ${addr(DATA)} dd 1d ${addr(DATA + 8)}`, (c) => {
      c.mem.write32(DATA, 0x00000001); c.mem.write32(DATA + 4, 0x7ff00000); // SNaN
    });
    expect(t.cpu.mem.read32(DATA + 12) >>> 0).toBe(0x7ff80000);
    expect(t.cpu.mem.read32(DATA + 8)).toBe(1);
    expect(t.cpu.fpu.statusWord & 1).toBe(1);
  });
  it('FCOM sets C3 C2 C0 and FNSTSW AX reads them; FCOMI sets ZF PF CF', () => {
    // fld1; fldz; fcom st1 (0 < 1: C0); fnstsw ax
    const t = run('db e3 d9 e8 d9 ee d8 d1 df e0');
    expect(t.cpu.r32[EAX] & (SW_C3 | SW_C2 | SW_C0)).toBe(SW_C0);
    const u = run('db e3 d9 e8 d9 ee db f1');
    expect(u.flags() & (ZF | PF | CF)).toBe(CF);
    const eq = run('db e3 d9 e8 d9 e8 db f1');
    expect(eq.flags() & (ZF | PF | CF)).toBe(ZF);
  });
  it('FCMOVB moves only when CF is set', () => {
    expect(hex80(run('db e3 d9 e8 d9 ee f9 da c1').cpu.fpu.st(0))).toBe(hex80(ONE));
    expect(run('db e3 d9 e8 d9 ee f8 da c1').cpu.fpu.st(0).exp).toBe(0);
  });
  it('FBSTP then FBLD gives back an integer, and FXAM reads classes', () => {
    // fild [DATA]; fbstp [DATA+16]; fbld [DATA+16]
    const t = run(`db e3 db 05 ${addr(DATA)} df 35 ${addr(DATA + 16)} df 25 ${addr(DATA + 16)} d9 e5`, (c) => { c.mem.write32(DATA, -1234567); });
    expect([...t.cpu.mem.bytes.slice(DATA + 16, DATA + 26)]).toEqual([0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0, 0x80]);
    expect(t.cpu.fpu.conditionCodes & (SW_C3 | SW_C2 | SW_C0)).toBe(SW_C2); // normal
    expect(t.cpu.fpu.statusWord & SW_C1).toBe(SW_C1); // negative
    expect(run('db e3 d9 e5').cpu.fpu.conditionCodes & (SW_C3 | SW_C2 | SW_C0)).toBe(SW_C3 | SW_C0); // empty
  });
  it('FSIN of 2^63 sets C2 and leaves the operand; FPTAN pushes 1.0', () => {
    const t = run(`db e3 db 2d ${addr(DATA)} d9 fe`, (c) => { c.mem.bytes.set(encodeF80(makeF80(0, EXP_BIAS + 63, J_BIT)), DATA); });
    expect(t.cpu.fpu.conditionCodes & SW_C2).toBe(SW_C2);
    expect(t.cpu.fpu.st(0).exp).toBe(EXP_BIAS + 63);
    const u = run('db e3 d9 ee d9 f2');
    expect(hex80(u.cpu.fpu.st(0))).toBe(hex80(ONE));
    expect(u.cpu.fpu.st(1).exp).toBe(0);
  });
});

describe('x87 stack faults and unmasked exceptions (SDM Vol. 1 §8.5.1.1, §8.7)', () => {
  it('an empty source is a stack underflow: IE, SF, C1 = 0, and with IM masked the indefinite', () => {
    const f = run('db e3 d8 c1').cpu.fpu; // fadd st0, st1 on an empty stack
    expect(f.statusWord & (1 | SW_SF | SW_C1)).toBe(1 | SW_SF);
    expect(hex80(f.st(0))).toBe(hex80(INDEFINITE));
  });
  it('a ninth push is a stack overflow: IE, SF, C1 = 1, the indefinite pushed', () => {
    const f = run(`db e3 ${'d9 e8 '.repeat(9)}`).cpu.fpu;
    expect(f.statusWord & (1 | SW_SF | SW_C1)).toBe(1 | SW_SF | SW_C1);
    expect(hex80(f.st(0))).toBe(hex80(INDEFINITE));
  });
  it('with IM unmasked the fault changes nothing but the flags; the next waiting instruction takes #MF when CR0.NE = 1', () => {
    // fninit; fldcw 037e; fld st(1) (empty: unmasked underflow); fld1
    const code = `db e3 ${FLDCW} d9 c1 d9 e8`;
    const t = run(code, (c) => { fldcw(0x037e)(c); c.cr0 |= CR0_NE; });
    expect(t.lastVector).toBe(16);
    expect(t.frame().eip).toBe(CODE + 2 + 6 + 2); // at the FLD1
    expect(t.cpu.fpu.top).toBe(0); // nothing was pushed
    expect(t.cpu.fpu.statusWord & (SW_ES | 1 | SW_SF)).toBe(SW_ES | 1 | SW_SF);
  });
  it('with CR0.NE = 0 the waiting instruction goes on and the exception stays pending', () => {
    const t = run(`db e3 ${FLDCW} d9 c1 d9 e8`, fldcw(0x037e));
    expect(t.history).toEqual([]);
    expect(hex80(t.cpu.fpu.st(0))).toBe(hex80(ONE));
    expect(t.cpu.fpu.statusWord & SW_ES).toBe(SW_ES);
  });
  it('FNSTSW, FNSTENV and FNINIT do not wait; FNCLEX clears the pending exception', () => {
    const t = run(`db e3 ${FLDCW} d9 c1 df e0 db e2 d9 e8`, (c) => { fldcw(0x037e)(c); c.cr0 |= CR0_NE; });
    expect(t.history).toEqual([]);
    expect(t.cpu.r32[EAX] & SW_ES).toBe(SW_ES);
  });
  it('an unmasked zero divide leaves the destination as it was', () => {
    const t = run(`db e3 ${FLDCW} d9 ee d9 e8 d8 f1`, fldcw(0x037b)); // fldz; fld1; fdiv st0, st1 with ZM clear
    expect(hex80(t.cpu.fpu.st(0))).toBe(hex80(ONE));
    expect(t.cpu.fpu.statusWord & 4).toBe(4);
  });
});

describe('x87 unmasked overflow and underflow (SDM Vol. 1 §4.9.1.5, §8.5.4, §8.5.5)', () => {
  const load80 = (x: F80, at = DATA) => (c: Cpu) => { c.mem.bytes.set(encodeF80(x), at); };
  const MAX = makeF80(0, 0x7ffe, (1n << 64n) - 1n), MIN_NORMAL = makeF80(0, 1, J_BIT), HALF = makeF80(0, EXP_BIAS - 1, J_BIT);
  it('an overflow to a register with OE unmasked gives the result divided by 2^24576, OE and PE', () => {
    // fld tbyte [DATA] (the largest finite); fmul st0, st0 with OM clear
    const t = run(`db e3 ${FLDCW} db 2d ${addr(DATA)} d8 c8`, (c) => { load80(MAX)(c); fldcw(0x0377)(c); });
    expect(hex80(t.cpu.fpu.st(0))).toBe('5ffefffffffffffffffe');
    expect(t.cpu.fpu.statusWord & 0x3f).toBe(0x08 | 0x20);
    // Masked, the same multiply gives infinity.
    const u = run(`db e3 db 2d ${addr(DATA)} d8 c8`, load80(MAX));
    expect(hex80(u.cpu.fpu.st(0))).toBe('7fff8000000000000000');
  });
  it('a tiny exact result with UE unmasked is an underflow: UE alone, the result multiplied by 2^24576', () => {
    // fld tbyte [DATA+16] (1/2); fld tbyte [DATA] (the smallest normal); fmul st0, st1
    const code = `db e3 ${FLDCW} db 2d ${addr(DATA + 16)} db 2d ${addr(DATA)} d8 c9`;
    const setup = (cw: number) => (c: Cpu) => { load80(MIN_NORMAL)(c); load80(HALF, DATA + 16)(c); fldcw(cw)(c); };
    const t = run(code, setup(0x036f));
    expect(hex80(t.cpu.fpu.st(0))).toBe('60008000000000000000');
    expect(t.cpu.fpu.statusWord & 0x3f).toBe(0x10);
    // Masked: the exact denormal, and no flag at all (tiny but exact).
    const u = run(code, setup(0x037f));
    expect(hex80(u.cpu.fpu.st(0))).toBe('00004000000000000000');
    expect(u.cpu.fpu.statusWord & 0x3f).toBe(0);
  });
  it('a store of a tiny value with UE unmasked stores nothing and pops nothing, even when exact', () => {
    // fld tbyte [DATA] (2^-140, a single denormal exactly); fstp dword [DATA+32]
    const tiny = makeF80(0, EXP_BIAS - 140, J_BIT);
    const code = `db e3 ${FLDCW} db 2d ${addr(DATA)} d9 1d ${addr(DATA + 32)}`;
    const t = run(code, (c) => { load80(tiny)(c); c.mem.write32(DATA + 32, 0x12345678); fldcw(0x036f)(c); });
    expect(t.cpu.mem.read32(DATA + 32)).toBe(0x12345678);
    expect(t.cpu.fpu.isEmpty(0)).toBe(false);
    expect(t.cpu.fpu.statusWord & 0x3f).toBe(0x10);
    const u = run(code, (c) => { load80(tiny)(c); fldcw(0x037f)(c); });
    expect(u.cpu.mem.read32(DATA + 32)).toBe(1 << (149 - 140));
    expect(u.cpu.fpu.statusWord & 0x3f).toBe(0);
  });
});

describe('x87 pointers and images (SDM Vol. 1 §8.1.8-§8.1.10)', () => {
  it('FNSTENV stores FIP, FCS, FOP and FDP, FDS of the last non-control instruction, then masks everything', () => {
    // fninit; fldcw 0360 (all unmasked); fld dword [DATA]; fnstenv [IMAGE]
    const t = run(`db e3 ${FLDCW} d9 05 ${addr(DATA)} d9 35 ${addr(IMAGE)}`, fldcw(0x0360));
    const m = t.cpu.mem;
    expect(m.read32(IMAGE + 12)).toBe(CODE + 2 + 6); // FIP: the FLD, not FLDCW or FNSTENV
    expect(m.read32(IMAGE + 16) >>> 0).toBe((0x105 << 16) | 0x08); // FOP d9 05 -> 105h, FCS
    expect(m.read32(IMAGE + 20)).toBe(DATA);
    expect(m.read32(IMAGE + 24) & 0xffff).toBe(0x10);
    expect(m.read16(IMAGE) & 0x3f).toBe(0x20); // the image has the old masks
    expect(t.cpu.fpu.controlWord & 0x3f).toBe(0x3f);
  });
  it('FNSAVE stores the registers and reinitializes; FRSTOR puts everything back', () => {
    const t = run(`db e3 d9 e8 d9 eb dd 35 ${addr(IMAGE)} d9 ee dd 25 ${addr(IMAGE)}`);
    const f = t.cpu.fpu;
    expect(f.top).toBe(6);
    expect(f.st(0).exp).toBe(EXP_BIAS + 1); // pi
    expect(hex80(f.st(1))).toBe(hex80(ONE));
    expect(f.stTag(2)).toBe(TAG_EMPTY);
    expect(hex80(decodeF80(t.cpu.mem.bytes, IMAGE + 28 + 10))).toBe(hex80(ONE));
  });
});

describe('x87 rules where QEMU 7.2 departs from the manual (test/oracle/random/EXCLUSIONS.md)', () => {
  it('FST ST(i) into an empty register fills it: its tag comes from the value (SDM Vol. 2 FST; Vol. 1 §8.1.7)', () => {
    const f = run('db e3 d9 e8 dd d2').cpu.fpu; // fld1; fst st(2)
    expect(f.stTag(2)).toBe(0); // valid
    expect(hex80(f.st(2))).toBe(hex80(ONE));
  });
  it('FNSTSW AX is a control instruction: FIP stays the last non-control one\'s (SDM Vol. 1 §8.1.8)', () => {
    const t = run(`db e3 d9 e8 df e0 d9 35 ${addr(IMAGE)}`); // fld1 at CODE+2; fnstsw ax; fnstenv
    expect(t.cpu.mem.read32(IMAGE + 12)).toBe(CODE + 2);
  });
  it('FDP of a 16-bit address is the 16-bit offset (SDM Vol. 1 §8.1.8)', () => {
    // addr16 fld dword [bx+si] with EBX = 0x1fff0, ESI = 0x20: the offset wraps to 0x0010
    const t = run(`db e3 67 d9 00 d9 35 ${addr(IMAGE)}`, (c) => { c.r32[3] = 0x1fff0; c.r32[6] = 0x20; });
    expect(t.cpu.mem.read32(IMAGE + 20)).toBe(0x0010);
  });
  it('FCOMI clears OF, SF and AF (SDM Vol. 2 FCOMI/FCOMIP/FUCOMI/FUCOMIP)', () => {
    const t = run('db e3 d9 e8 d9 ee db f1', (c) => { c.flagsRaw |= 0x800 | 0x80 | 0x10; c.lazyMask = 0; });
    expect(t.flags() & (0x800 | 0x80 | 0x10)).toBe(0);
  });
  it('an SNaN m32fp operand against a QNaN in ST(0) gives the QNaN, with IE (SDM Vol. 1 Table 4-7)', () => {
    // fld tbyte [DATA] (a QNaN with a small significand); fadd dword [DATA+16] (an SNaN with a larger one)
    const qnan = makeF80(0, 0x7fff, 0xc000000000000001n);
    const t = run(`db e3 db 2d ${addr(DATA)} d8 05 ${addr(DATA + 16)}`, (c) => {
      c.mem.bytes.set(encodeF80(qnan), DATA);
      c.mem.write32(DATA + 16, 0x7fbfffff);
    });
    expect(hex80(t.cpu.fpu.st(0))).toBe(hex80(qnan));
    expect(t.cpu.fpu.statusWord & 1).toBe(1);
  });
});

describe('the disassembler and execution agree on every x87 encoding', () => {
  it('a form executes exactly when objdump names it, FISTTP aside (SSE3: named, #UD here)', () => {
    const disagree: string[] = [];
    for (let op = 0xd8; op <= 0xdf; op++) {
      for (let reg = 0; reg < 8; reg++) {
        const named = x87Mem(op, reg).att !== '(bad)' && !x87Mem(op, reg).att.startsWith('fisttp');
        if (named !== (x87Kind(op, 0, reg, 0) !== null)) disagree.push(`${op.toString(16)} /${reg} memory`);
        for (let rm = 0; rm < 8; rm++) {
          const r = x87Reg(op, reg, rm);
          const isFnstswAx = op === 0xdf && reg === 4 && rm === 0;
          const regNamed = isFnstswAx || (r !== null && !r.att.includes('only'));
          const runs = x87Kind(op, 3, reg, rm) !== null;
          // The 8087/287 leftovers (fneni, fndisi, fsetpm) are named and run as no-ops.
          if (regNamed !== runs && !(r !== null && r.att.includes('only') && runs)) disagree.push(`${op.toString(16)} ${((0xc0 | (reg << 3) | rm)).toString(16)}`);
        }
      }
    }
    expect(disagree).toEqual([]);
  });
});
