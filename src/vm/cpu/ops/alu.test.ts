/**
 * Integer arithmetic (alu.ts) against the Intel SDM Vol. 2 instruction
 * pages: results, the flags each page defines (undefined ones are masked),
 * and the faults (#DE, #UD).
 */
import { describe, it, expect } from 'vitest';
import { runCode, regs, flagNames, CODE, type Init, type TestCpu } from '../../../../test/cpu/harness';
import { CF, PF, AF, ZF, SF, OF, ARITH } from '../flags';

const DATA = 0x2000;
/** Flags left undefined by the logical ops (AF) and by MUL/IMUL (SF ZF AF PF). */
const LOGIC_DEFINED = ARITH & ~AF, MUL_DEFINED = CF | OF;

interface Case {
  name: string;
  code: string;
  init?: Init;
  /** A dword at DATA before the run. */
  mem?: number;
  out: Partial<ReturnType<typeof regs>>;
  /** The dword at DATA after the run. */
  memOut?: number;
  flags: string;
  defined?: number;
}

function runCase(k: Case): TestCpu {
  return runCode(k.code, k.init, (c) => { if (k.mem !== undefined) c.mem.write32(DATA, k.mem); });
}

function table(cases: Case[]): void {
  for (const k of cases) {
    it(k.name, () => {
      const t = runCase(k);
      expect(t.history).toEqual([]);
      expect(regs(t.cpu)).toMatchObject(k.out);
      if (k.memOut !== undefined) expect(t.mem.read32(DATA) >>> 0).toBe(k.memOut);
      expect(flagNames(t.flags() & (k.defined ?? ARITH))).toBe(k.flags);
    });
  }
}

/** Run code expected to fault: the vector, the EIP pushed, and the registers left as they were. */
function expectFault(code: string, init: Init, vector: number): TestCpu {
  const t = runCode(code, init);
  expect(t.history.map((d) => [d.vector, d.eip])).toEqual([[vector, CODE]]);
  return t;
}

describe('ADD OR ADC SBB AND SUB XOR CMP', () => {
  table([
    { name: 'ADD r32 0x7fffffff + 1 sets OF SF AF PF (signed overflow), not CF', code: '01 d8', init: { eax: 0x7fffffff, ebx: 1 }, out: { eax: 0x80000000 }, flags: 'PF AF SF OF' },
    { name: 'ADD r32 0xffffffff + 1 wraps to 0 with CF ZF AF PF', code: '01 d8', init: { eax: 0xffffffff, ebx: 1 }, out: { eax: 0 }, flags: 'CF PF AF ZF' },
    { name: 'ADD r8 0x80 + 0x80 gives 0 with CF OF ZF and leaves the rest of EAX', code: '00 d8', init: { eax: 0x12345680, ebx: 0x80 }, out: { eax: 0x12345600 }, flags: 'CF PF ZF OF' },
    { name: 'ADD r16 0x7fff + 1 overflows in 16 bits and leaves the upper half', code: '66 01 d8', init: { eax: 0xabcd7fff, ebx: 1 }, out: { eax: 0xabcd8000 }, flags: 'PF AF SF OF' },
    { name: 'ADD AH,BH works on bits 8..15 and carries out of AH', code: '00 fc', init: { eax: 0x1234f078, ebx: 0x2000 }, out: { eax: 0x12341078 }, flags: 'CF' },
    { name: 'ADD AL,imm8 0xfb + 5 carries to 0', code: '04 05', init: { eax: 0xfb }, out: { eax: 0 }, flags: 'CF PF AF ZF' },
    { name: 'ADD EAX,imm32 without carries sets SF and PF of the low byte', code: '05 78 56 34 12', init: { eax: 0x87654321 }, out: { eax: 0x99999999 }, flags: 'PF SF' },
    { name: 'ADD AX,imm16 carries out of bit 15 and bit 3', code: '66 05 34 12', init: { eax: 0x5555ffff }, out: { eax: 0x55551233 }, flags: 'CF PF AF' },
    { name: 'ADD m8,imm8 0x80 + 0x80 touches only that byte', code: '80 05 00 20 00 00 80', mem: 0x11223380, out: {}, memOut: 0x11223300, flags: 'CF PF ZF OF' },
    { name: 'ADD m32,imm8 sign-extended 1 overflows 0x7fffffff', code: '83 05 00 20 00 00 01', mem: 0x7fffffff, out: {}, memOut: 0x80000000, flags: 'PF AF SF OF' },
    { name: 'ADD m16,imm16 0x8000 + 0x8000 touches only that word', code: '66 81 05 00 20 00 00 00 80', mem: 0x77778000, out: {}, memOut: 0x77770000, flags: 'CF PF ZF OF' },
    { name: 'ADD m32,r32 stores the sum in memory', code: '01 05 00 20 00 00', init: { eax: 0x10 }, mem: 0x20, out: { eax: 0x10 }, memOut: 0x30, flags: 'PF' },
    { name: 'OR clears CF and OF and sets SF PF from the result', code: '09 d8', init: { eax: 0x80000000, ebx: 1, flags: CF | OF }, out: { eax: 0x80000001 }, flags: 'SF', defined: LOGIC_DEFINED },
    { name: 'OR r8 of zeros sets ZF and PF', code: '08 d8', init: { eax: 0xffffff00, ebx: 0, flags: CF }, out: { eax: 0xffffff00 }, flags: 'PF ZF', defined: LOGIC_DEFINED },
    { name: 'OR m32,imm32', code: '81 0d 00 20 00 00 00 01 00 00', mem: 0x80000000, out: {}, memOut: 0x80000100, flags: 'PF SF', defined: LOGIC_DEFINED },
    { name: 'ADC adds the carry and sets OF on signed overflow', code: '11 d8', init: { eax: 0x7fffffff, ebx: 0, flags: CF }, out: { eax: 0x80000000 }, flags: 'PF AF SF OF' },
    { name: 'ADC 0xffffffff + 0xffffffff + CF gives 0xffffffff with CF', code: '11 d8', init: { eax: 0xffffffff, ebx: 0xffffffff, flags: CF }, out: { eax: 0xffffffff }, flags: 'CF PF AF SF' },
    { name: 'ADC r8 0xff + 0 + CF wraps to 0 with CF (carry from the carry-in alone)', code: '10 d8', init: { eax: 0xff, ebx: 0, flags: CF }, out: { eax: 0 }, flags: 'CF PF AF ZF' },
    { name: 'ADC r16 without carry-in is an ADD', code: '66 11 d8', init: { eax: 0x8000, ebx: 0x8000 }, out: { eax: 0 }, flags: 'CF PF ZF OF' },
    { name: 'ADC m32,r32 carries into memory', code: '11 1d 00 20 00 00', init: { ebx: 1, flags: CF }, mem: 0xfffffffe, out: {}, memOut: 0, flags: 'CF PF AF ZF' },
    { name: 'SBB subtracts the borrow: 0 - 0 - CF = 0xffffffff with CF', code: '19 d8', init: { eax: 0, ebx: 0, flags: CF }, out: { eax: 0xffffffff }, flags: 'CF PF AF SF' },
    { name: 'SBB r8 0x80 - 0 - CF overflows to 0x7f', code: '18 d8', init: { eax: 0x80, ebx: 0, flags: CF }, out: { eax: 0x7f }, flags: 'AF OF' },
    { name: 'SBB r16 with equal operands and CF borrows', code: '66 19 d8', init: { eax: 0x10005, ebx: 5, flags: CF }, out: { eax: 0x1ffff }, flags: 'CF PF AF SF' },
    { name: 'SBB without borrow-in is a SUB', code: '19 d8', init: { eax: 7, ebx: 7 }, out: { eax: 0 }, flags: 'PF ZF' },
    { name: 'AND clears CF and OF; a zero result sets ZF PF', code: '21 d8', init: { eax: 0xf0f0f0f0, ebx: 0x0f0f0f0f, flags: CF | OF }, out: { eax: 0 }, flags: 'PF ZF', defined: LOGIC_DEFINED },
    { name: 'AND r16 keeps the sign bit', code: '66 21 d8', init: { eax: 0x8001, ebx: 0x8003 }, out: { eax: 0x8001 }, flags: 'SF', defined: LOGIC_DEFINED },
    { name: 'AND r32,imm32', code: '81 e1 ff 00 00 00', init: { ecx: 0x12345680 }, out: { ecx: 0x80 }, flags: '', defined: LOGIC_DEFINED },
    { name: 'SUB 0x80000000 - 1 sets OF (signed overflow) and AF, not CF', code: '29 d8', init: { eax: 0x80000000, ebx: 1 }, out: { eax: 0x7fffffff }, flags: 'PF AF OF' },
    { name: 'SUB 1 - 2 borrows: CF SF AF', code: '29 d8', init: { eax: 1, ebx: 2 }, out: { eax: 0xffffffff }, flags: 'CF PF AF SF' },
    { name: 'SUB r8 0x10 - 1 borrows from bit 4 (AF)', code: '28 d8', init: { eax: 0x10, ebx: 1 }, out: { eax: 0x0f }, flags: 'PF AF' },
    { name: 'SUB r16 of equal values gives ZF', code: '66 29 d8', init: { eax: 0x8000, ebx: 0x8000 }, out: { eax: 0 }, flags: 'PF ZF' },
    { name: 'SUB r32,imm8 sign-extends the immediate (5 - 0xffffffff borrows)', code: '83 e9 ff', init: { ecx: 5 }, out: { ecx: 6 }, flags: 'CF PF AF' },
    { name: 'SUB r32,m32', code: '2b 05 00 20 00 00', init: { eax: 10 }, mem: 3, out: { eax: 7 }, memOut: 3, flags: '' },
    { name: 'XOR of equal values gives 0 with ZF PF and clears CF OF', code: '31 d8', init: { eax: 0x12345678, ebx: 0x12345678, flags: CF | OF }, out: { eax: 0 }, flags: 'PF ZF', defined: LOGIC_DEFINED },
    { name: 'XOR r8 sets SF', code: '30 d8', init: { eax: 0x0f, ebx: 0xf0 }, out: { eax: 0xff }, flags: 'PF SF', defined: LOGIC_DEFINED },
    { name: 'XOR AL,imm8', code: '34 55', init: { eax: 0xff }, out: { eax: 0xaa }, flags: 'PF SF', defined: LOGIC_DEFINED },
    { name: 'CMP sets the flags of a subtraction and keeps the operands', code: '39 d8', init: { eax: 1, ebx: 2 }, out: { eax: 1, ebx: 2 }, flags: 'CF PF AF SF' },
    { name: 'CMP r8 0x80 - 1 sets OF', code: '38 d8', init: { eax: 0x80, ebx: 1 }, out: { eax: 0x80 }, flags: 'AF OF' },
    { name: 'CMP r16 equal sets ZF', code: '66 39 d8', init: { eax: 0x1234, ebx: 0x1234 }, out: { eax: 0x1234 }, flags: 'PF ZF' },
    { name: 'CMP AL,imm8 0x7f - 0x80 overflows', code: '3c 80', init: { eax: 0x7f }, out: { eax: 0x7f }, flags: 'CF PF SF OF' },
    { name: 'CMP m32,imm8 does not write memory', code: '83 3d 00 20 00 00 01', mem: 0, out: {}, memOut: 0, flags: 'CF PF AF SF' },
  ]);
});

describe('INC DEC NOT NEG TEST', () => {
  table([
    { name: 'INC keeps CF and sets OF at 0x7fffffff', code: '40', init: { eax: 0x7fffffff, flags: CF }, out: { eax: 0x80000000 }, flags: 'CF PF AF SF OF' },
    { name: 'INC of 0xffffffff gives 0 with ZF but does not set CF', code: '40', init: { eax: 0xffffffff }, out: { eax: 0 }, flags: 'PF AF ZF' },
    { name: 'INC r16 wraps within 16 bits', code: '66 40', init: { eax: 0x1234ffff, flags: CF }, out: { eax: 0x12340000 }, flags: 'CF PF AF ZF' },
    { name: 'INC m8 0x7f overflows and keeps CF', code: 'fe 05 00 20 00 00', mem: 0x5555557f, init: { flags: CF }, out: {}, memOut: 0x55555580, flags: 'CF AF SF OF' },
    { name: 'DEC keeps CF and sets OF at 0x80000000', code: '49', init: { ecx: 0x80000000, flags: CF }, out: { ecx: 0x7fffffff }, flags: 'CF PF AF OF' },
    { name: 'DEC r8 of 0 gives 0xff without setting CF', code: 'fe c9', init: { ecx: 0x12345600 }, out: { ecx: 0x123456ff }, flags: 'PF AF SF' },
    { name: 'DEC m32 to zero sets ZF and keeps CF', code: 'ff 0d 00 20 00 00', mem: 1, init: { flags: CF }, out: {}, memOut: 0, flags: 'CF PF ZF' },
    { name: 'NOT inverts every bit and changes no flag', code: 'f7 d0', init: { eax: 0x0f0f0f0f, flags: CF | ZF | OF }, out: { eax: 0xf0f0f0f0 }, flags: 'CF ZF OF' },
    { name: 'NOT m8 inverts one byte', code: 'f6 15 00 20 00 00', mem: 0x12345678, out: {}, memOut: 0x12345687, flags: '' },
    { name: 'NEG 0 gives 0 with CF clear', code: 'f7 d8', init: { eax: 0, flags: CF }, out: { eax: 0 }, flags: 'PF ZF' },
    { name: 'NEG 0x80000000 stays 0x80000000 with CF and OF', code: 'f7 d8', init: { eax: 0x80000000 }, out: { eax: 0x80000000 }, flags: 'CF PF SF OF' },
    { name: 'NEG r8 1 gives 0xff with CF SF AF', code: 'f6 db', init: { ebx: 0x1 }, out: { ebx: 0xff }, flags: 'CF PF AF SF' },
    { name: 'NEG m16 0x8000 overflows', code: '66 f7 1d 00 20 00 00', mem: 0x12348000, out: {}, memOut: 0x12348000, flags: 'CF PF SF OF' },
    { name: 'TEST ANDs without storing: SF PF from the result, CF OF cleared', code: '85 d8', init: { eax: 0x80000000, ebx: 0x80000001, flags: CF | OF }, out: { eax: 0x80000000, ebx: 0x80000001 }, flags: 'PF SF', defined: LOGIC_DEFINED },
    { name: 'TEST AL,imm8 with no common bit sets ZF', code: 'a8 80', init: { eax: 0x7f }, out: { eax: 0x7f }, flags: 'PF ZF', defined: LOGIC_DEFINED },
    { name: 'TEST m32,imm32', code: 'f7 05 00 20 00 00 00 00 00 80', mem: 0x80000000, out: {}, memOut: 0x80000000, flags: 'PF SF', defined: LOGIC_DEFINED },
  ]);
});

describe('MUL and IMUL', () => {
  table([
    { name: 'MUL r8 puts AL*r8 in AX and sets CF OF when AH is not zero', code: 'f6 e3', init: { eax: 0x123456ff, ebx: 0xff }, out: { eax: 0x1234fe01 }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'MUL r8 with a product that fits AL clears CF OF', code: 'f6 e3', init: { eax: 0x12340010, ebx: 0x0f, flags: CF | OF }, out: { eax: 0x123400f0 }, flags: '', defined: MUL_DEFINED },
    { name: 'MUL r16 puts the product in DX:AX and keeps the upper halves', code: '66 f7 e3', init: { eax: 0xaaaa8000, ebx: 4, edx: 0xbbbb1111 }, out: { eax: 0xaaaa0000, edx: 0xbbbb0002 }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'MUL r32 0xffffffff * 0xffffffff = 0xfffffffe00000001 in EDX:EAX', code: 'f7 e3', init: { eax: 0xffffffff, ebx: 0xffffffff }, out: { eax: 1, edx: 0xfffffffe }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'MUL r32 with EDX = 0 clears CF OF', code: 'f7 e3', init: { eax: 0x10000, ebx: 0xffff, edx: 0x5555, flags: CF | OF }, out: { eax: 0xffff0000, edx: 0 }, flags: '', defined: MUL_DEFINED },
    { name: 'MUL m32', code: 'f7 25 00 20 00 00', init: { eax: 0x80000000 }, mem: 2, out: { eax: 0, edx: 1 }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'IMUL r8 -128 * -1 = 128 does not fit AL: CF OF', code: 'f6 eb', init: { eax: 0x80, ebx: 0xff }, out: { eax: 0x0080 }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'IMUL r8 -2 * 3 = -6 sign-extends into AH with CF OF clear', code: 'f6 eb', init: { eax: 0xfe, ebx: 3, flags: CF | OF }, out: { eax: 0xfffa }, flags: '', defined: MUL_DEFINED },
    { name: 'IMUL r16 -32768 * -32768 = 0x40000000 in DX:AX', code: '66 f7 eb', init: { eax: 0x8000, ebx: 0x8000 }, out: { eax: 0, edx: 0x4000 }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'IMUL r32 -1 * -1 = 1 with EDX = 0', code: 'f7 eb', init: { eax: 0xffffffff, ebx: 0xffffffff, edx: 7 }, out: { eax: 1, edx: 0 }, flags: '', defined: MUL_DEFINED },
    { name: 'IMUL r32 0x80000000 * 2 = -2^32 sets CF OF', code: 'f7 eb', init: { eax: 0x80000000, ebx: 2 }, out: { eax: 0, edx: 0xffffffff }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'IMUL r32 0x40000000 * -2 = -2^31 fits EAX: CF OF clear', code: 'f7 eb', init: { eax: 0x40000000, ebx: 0xfffffffe, flags: CF | OF }, out: { eax: 0x80000000, edx: 0xffffffff }, flags: '', defined: MUL_DEFINED },
    { name: 'IMUL r32,r32 truncates 0x10000 * 0x10000 to 0 with CF OF', code: '0f af cb', init: { ecx: 0x10000, ebx: 0x10000 }, out: { ecx: 0 }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'IMUL r32,r32 -3 * 5 = -15', code: '0f af cb', init: { ecx: 0xfffffffd, ebx: 5 }, out: { ecx: 0xfffffff1 }, flags: '', defined: MUL_DEFINED },
    { name: 'IMUL r16,r16 truncates and keeps the upper half of the destination', code: '66 0f af cb', init: { ecx: 0xabcd0100, ebx: 0x100 }, out: { ecx: 0xabcd0000 }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'IMUL r32,r32,imm8 sign-extends the immediate: 0x40000000 * -2 fits', code: '6b cb fe', init: { ebx: 0x40000000 }, out: { ecx: 0x80000000 }, flags: '', defined: MUL_DEFINED },
    { name: 'IMUL r32,r32,imm32 0x8000 * 0x10000 = 2^31 overflows', code: '69 cb 00 00 01 00', init: { ebx: 0x8000 }, out: { ecx: 0x80000000 }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'IMUL r16,r16,imm16 0x7fff * 2 overflows 16 bits', code: '66 69 cb ff 7f', init: { ebx: 2, ecx: 0x55550000 }, out: { ecx: 0x5555fffe }, flags: 'CF OF', defined: MUL_DEFINED },
    { name: 'IMUL r32,m32', code: '0f af 0d 00 20 00 00', init: { ecx: 6 }, mem: 7, out: { ecx: 42 }, flags: '', defined: MUL_DEFINED },
  ]);
});

describe('DIV and IDIV', () => {
  table([
    { name: 'DIV r8 divides AX: quotient in AL, remainder in AH', code: 'f6 f3', init: { eax: 0x77770100, ebx: 3 }, out: { eax: 0x77770155 }, flags: '', defined: 0 },
    { name: 'DIV r16 divides DX:AX and keeps the upper halves', code: '66 f7 f3', init: { eax: 0xaaaa0000, edx: 0xbbbb0001, ebx: 0x100 }, out: { eax: 0xaaaa0100, edx: 0xbbbb0000 }, flags: '', defined: 0 },
    { name: 'DIV r32 divides EDX:EAX', code: 'f7 f3', init: { eax: 5, edx: 1, ebx: 0x10 }, out: { eax: 0x10000000, edx: 5 }, flags: '', defined: 0 },
    { name: 'DIV r32 0xfffffffeffffffff / 0xffffffff gives the largest quotient', code: 'f7 f3', init: { eax: 0xffffffff, edx: 0xfffffffe, ebx: 0xffffffff }, out: { eax: 0xffffffff, edx: 0xfffffffe }, flags: '', defined: 0 },
    { name: 'DIV m32', code: 'f7 35 00 20 00 00', init: { eax: 100, edx: 0 }, mem: 7, out: { eax: 14, edx: 2 }, flags: '', defined: 0 },
    { name: 'IDIV r8 -7 / 2 = -3 remainder -1 (truncation toward zero)', code: 'f6 fb', init: { eax: 0xfff9, ebx: 2 }, out: { eax: 0xfffd }, flags: '', defined: 0 },
    { name: 'IDIV r8 -256 / 2 = -128, the smallest quotient that fits', code: 'f6 fb', init: { eax: 0xff00, ebx: 2 }, out: { eax: 0x0080 }, flags: '', defined: 0 },
    { name: 'IDIV r16 DX:AX = -65536 / 256 = -256', code: '66 f7 fb', init: { eax: 0x0000, edx: 0xffff, ebx: 0x100 }, out: { eax: 0xff00, edx: 0 }, flags: '', defined: 0 },
    { name: 'IDIV r32 -7 / 2 = -3 remainder -1', code: 'f7 fb', init: { eax: 0xfffffff9, edx: 0xffffffff, ebx: 2 }, out: { eax: 0xfffffffd, edx: 0xffffffff }, flags: '', defined: 0 },
    { name: 'IDIV r32 7 / -2 = -3 remainder 1 (sign of the dividend)', code: 'f7 fb', init: { eax: 7, edx: 0, ebx: 0xfffffffe }, out: { eax: 0xfffffffd, edx: 1 }, flags: '', defined: 0 },
  ]);

  it('DIV by zero raises #DE with EIP at the instruction and registers unchanged', () => {
    const t = expectFault('f7 f3', { eax: 0x1234, edx: 0x5678, ebx: 0 }, 0);
    expect(regs(t.cpu)).toMatchObject({ eax: 0x1234, edx: 0x5678 });
  });
  it('DIV r8 with a quotient above 0xff raises #DE and leaves AX', () => {
    const t = expectFault('f6 f3', { eax: 0x0300, ebx: 2 }, 0);
    expect(regs(t.cpu).eax).toBe(0x0300);
  });
  it('DIV r16 with a quotient above 0xffff raises #DE', () => {
    const t = expectFault('66 f7 f3', { eax: 0, edx: 0x0002, ebx: 2 }, 0);
    expect(regs(t.cpu)).toMatchObject({ eax: 0, edx: 2 });
  });
  it('DIV r32 with EDX >= divisor raises #DE and leaves EDX:EAX', () => {
    const t = expectFault('f7 f3', { eax: 9, edx: 0x10, ebx: 0x10 }, 0);
    expect(regs(t.cpu)).toMatchObject({ eax: 9, edx: 0x10 });
  });
  it('IDIV r32 of -2^31 by -1 overflows: #DE, registers unchanged', () => {
    const t = expectFault('f7 fb', { eax: 0x80000000, edx: 0xffffffff, ebx: 0xffffffff }, 0);
    expect(regs(t.cpu)).toMatchObject({ eax: 0x80000000, edx: 0xffffffff });
  });
  it('IDIV r8 of -128 by -1 overflows: #DE', () => {
    const t = expectFault('f6 fb', { eax: 0xff80, ebx: 0xff }, 0);
    expect(regs(t.cpu).eax).toBe(0xff80);
  });
  it('IDIV r16 with a quotient of +32768 overflows: #DE', () => {
    const t = expectFault('66 f7 fb', { eax: 0x0000, edx: 0x0001, ebx: 2 }, 0);
    expect(regs(t.cpu)).toMatchObject({ eax: 0, edx: 1 });
  });
  it('IDIV by zero raises #DE', () => {
    expectFault('f6 fb', { eax: 5, ebx: 0x100 }, 0);
  });
});

describe('sign extension', () => {
  table([
    { name: 'CBW sign-extends AL into AX', code: '66 98', init: { eax: 0x12345680 }, out: { eax: 0x1234ff80 }, flags: '', defined: 0 },
    { name: 'CWDE sign-extends AX into EAX', code: '98', init: { eax: 0x12348000 }, out: { eax: 0xffff8000 }, flags: '', defined: 0 },
    { name: 'CWD fills DX with the sign of AX', code: '66 99', init: { eax: 0x8000, edx: 0x12345678 }, out: { edx: 0x1234ffff }, flags: '', defined: 0 },
    { name: 'CDQ fills EDX with the sign of EAX', code: '99', init: { eax: 0x7fffffff, edx: 0xffffffff }, out: { edx: 0 }, flags: '', defined: 0 },
  ]);
});

describe('XADD CMPXCHG CMPXCHG8B', () => {
  table([
    { name: 'XADD r32 stores the sum in the destination and the old destination in the source', code: '0f c1 d8', init: { eax: 1, ebx: 0x7fffffff }, out: { eax: 0x80000000, ebx: 1 }, flags: 'PF AF SF OF' },
    { name: 'XADD m32,r32', code: '0f c1 05 00 20 00 00', init: { eax: 7 }, mem: 5, out: { eax: 5 }, memOut: 12, flags: 'PF' },
    { name: 'XADD r8 between BL and BH', code: '0f c0 df', init: { ebx: 0x1020 }, out: { ebx: 0x3010 }, flags: 'PF' },
    { name: 'CMPXCHG success: equal to EAX, the source goes to the destination, ZF set', code: '0f b1 cb', init: { eax: 5, ebx: 5, ecx: 9 }, out: { eax: 5, ebx: 9, ecx: 9 }, flags: 'PF ZF' },
    { name: 'CMPXCHG failure: the destination is loaded into EAX, ZF clear, flags of EAX - dest', code: '0f b1 cb', init: { eax: 5, ebx: 7, ecx: 9 }, out: { eax: 7, ebx: 7, ecx: 9 }, flags: 'CF AF SF' },
    { name: 'CMPXCHG r8 success', code: '0f b0 cb', init: { eax: 0x10, ebx: 0x10, ecx: 0x99 }, out: { eax: 0x10, ebx: 0x99 }, flags: 'PF ZF' },
    { name: 'CMPXCHG m16 failure loads AX and keeps memory', code: '66 0f b1 0d 00 20 00 00', init: { eax: 0x12340001, ecx: 0x5555 }, mem: 0xabcd0002, out: { eax: 0x12340002 }, memOut: 0xabcd0002, flags: 'CF PF AF SF' },
  ]);

  it('CMPXCHG8B success stores ECX:EBX and sets ZF, other flags unchanged', () => {
    const t = runCode('0f c7 0d 00 20 00 00', { eax: 0x11111111, edx: 0x22222222, ebx: 0x33333333, ecx: 0x44444444, flags: CF | SF }, (c) => {
      c.mem.write32(DATA, 0x11111111); c.mem.write32(DATA + 4, 0x22222222);
    });
    expect(t.history).toEqual([]);
    expect([t.mem.read32(DATA) >>> 0, t.mem.read32(DATA + 4) >>> 0]).toEqual([0x33333333, 0x44444444]);
    expect(flagNames(t.flags() & ARITH)).toBe('CF ZF SF');
  });
  it('CMPXCHG8B failure loads EDX:EAX from memory and clears ZF', () => {
    const t = runCode('0f c7 0d 00 20 00 00', { eax: 0x11111111, edx: 0x22222222, ebx: 0x33333333, ecx: 0x44444444, flags: ZF | CF }, (c) => {
      c.mem.write32(DATA, 0x11111111); c.mem.write32(DATA + 4, 0x99999999);
    });
    expect(regs(t.cpu)).toMatchObject({ eax: 0x11111111, edx: 0x99999999 });
    expect([t.mem.read32(DATA) >>> 0, t.mem.read32(DATA + 4) >>> 0]).toEqual([0x11111111, 0x99999999]);
    expect(flagNames(t.flags() & ARITH)).toBe('CF');
  });
  it('CMPXCHG8B with a register operand raises #UD', () => {
    expectFault('0f c7 c9', {}, 6);
  });
});

describe('decimal adjustment', () => {
  table([
    { name: 'DAA after 0x79 + 0x35 gives 0x14 with CF and AF (79 + 35 = 114)', code: '04 35 27', init: { eax: 0x79 }, out: { eax: 0x14 }, flags: 'CF PF AF', defined: ARITH & ~OF },
    { name: 'DAA after 0x38 + 0x29 (AF set by the add) gives 0x67', code: '04 29 27', init: { eax: 0x38 }, out: { eax: 0x67 }, flags: 'AF', defined: ARITH & ~OF },
    { name: 'DAA with nothing to adjust clears CF and AF', code: '27', init: { eax: 0x45 }, out: { eax: 0x45 }, flags: '', defined: ARITH & ~OF },
    { name: 'DAS after 0x35 - 0x47 gives 0x88 with CF (35 - 47 = -12)', code: '2c 47 2f', init: { eax: 0x35 }, out: { eax: 0x88 }, flags: 'CF PF AF SF', defined: ARITH & ~OF },
    { name: 'DAS after 0x42 - 0x13 gives 0x29', code: '2c 13 2f', init: { eax: 0x42 }, out: { eax: 0x29 }, flags: 'AF', defined: ARITH & ~OF },
    { name: 'AAA after 9 + 8 gives AX = 0x0107 with CF AF', code: '04 08 37', init: { eax: 0x09 }, out: { eax: 0x0107 }, flags: 'CF AF', defined: CF | AF },
    { name: 'AAA adds 0x106 to AX when AL > 9', code: '37', init: { eax: 0x00fa }, out: { eax: 0x0200 }, flags: 'CF AF', defined: CF | AF },
    { name: 'AAA with nothing to adjust clears CF AF and the high nibble of AL', code: '37', init: { eax: 0x1235, flags: CF }, out: { eax: 0x1205 }, flags: '', defined: CF | AF },
    { name: 'AAS after 2 - 5 gives AH = AH - 1, AL = 7 with CF AF', code: '2c 05 3f', init: { eax: 0x0002 }, out: { eax: 0xff07 }, flags: 'CF AF', defined: CF | AF },
    { name: 'AAS with nothing to adjust clears CF AF', code: '3f', init: { eax: 0x0308, flags: CF }, out: { eax: 0x0308 }, flags: '', defined: CF | AF },
    { name: 'AAM splits AL into decimal digits AH, AL', code: 'd4 0a', init: { eax: 0x4f }, out: { eax: 0x0709 }, flags: 'PF', defined: SF | ZF | PF },
    { name: 'AAM 16 splits AL into nibbles', code: 'd4 10', init: { eax: 0xab }, out: { eax: 0x0a0b }, flags: '', defined: SF | ZF | PF },
    { name: 'AAM of 0 sets ZF', code: 'd4 0a', init: { eax: 0x1200 }, out: { eax: 0 }, flags: 'PF ZF', defined: SF | ZF | PF },
    { name: 'AAD combines AH, AL: AL = AL + AH * 10, AH = 0', code: 'd5 0a', init: { eax: 0x0709 }, out: { eax: 0x004f }, flags: '', defined: SF | ZF | PF },
    { name: 'AAD 16 combines nibbles', code: 'd5 10', init: { eax: 0x0a0b }, out: { eax: 0x00ab }, flags: 'SF', defined: SF | ZF | PF },
    { name: 'AAD keeps only the low byte of the sum', code: 'd5 0a', init: { eax: 0xff01 }, out: { eax: 0x00f7 }, flags: 'SF', defined: SF | ZF | PF },
  ]);

  it('AAM 0 raises #DE with AX unchanged', () => {
    const t = expectFault('d4 00', { eax: 0x1234 }, 0);
    expect(regs(t.cpu).eax).toBe(0x1234);
  });
});

describe('LOCK', () => {
  it('LOCK ADD to memory executes', () => {
    const t = runCode('f0 83 05 00 20 00 00 01', {}, (c) => c.mem.write32(DATA, 41));
    expect(t.history).toEqual([]);
    expect(t.mem.read32(DATA)).toBe(42);
  });
  it('LOCK on a register destination raises #UD', () => {
    const t = expectFault('f0 01 d8', { eax: 1, ebx: 2 }, 6);
    expect(regs(t.cpu).eax).toBe(1);
  });
  it('LOCK on an instruction that cannot be locked raises #UD', () => {
    expectFault('f0 8b 05 00 20 00 00', {}, 6); // lock mov 0x2000,%eax
  });
});
