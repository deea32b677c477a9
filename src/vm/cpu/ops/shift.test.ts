/**
 * Shifts, rotates, double shifts, bit tests, bit scans and BSWAP (shift.ts)
 * against the Intel SDM Vol. 2 pages. Only the flags the manual defines for
 * the count used are compared: AF is undefined after any non-zero shift, OF
 * after a count other than 1, CF after SHL/SHR by the width or more; a
 * count of 0 changes no flag at all.
 */
import { describe, it, expect } from 'vitest';
import { runCode, regs, flagNames, type Init, type TestCpu } from '../../../../test/cpu/harness';
import { CF, PF, AF, ZF, SF, OF, ARITH } from '../flags';

const DATA = 0x2000;
/** Defined after a shift by 1, by more than 1, and by the width or more (SHL/SHR). */
const SH1 = ARITH & ~AF, SHN = ARITH & ~AF & ~OF, SHWIDE = SF | ZF | PF;
/** Rotates touch only CF and OF (OF only for a count of 1): the other flags must keep their values. */
const ROT1 = ARITH, ROTN = ARITH & ~OF;
/** Bit tests define CF and leave ZF alone; bit scans define ZF. */
const BT = CF | ZF, BS = ZF;

interface Case {
  name: string;
  code: string;
  init?: Init;
  /** Dwords at DATA + offset before the run. */
  mem?: Record<number, number>;
  out: Partial<ReturnType<typeof regs>>;
  memOut?: Record<number, number>;
  flags: string;
  defined: number;
}

function runCase(k: Case): TestCpu {
  return runCode(k.code, k.init, (c) => {
    for (const [off, v] of Object.entries(k.mem ?? {})) c.mem.write32(DATA + Number(off), v);
  });
}

function table(cases: Case[]): void {
  for (const k of cases) {
    it(k.name, () => {
      const t = runCase(k);
      expect(t.history).toEqual([]);
      expect(regs(t.cpu)).toMatchObject(k.out);
      for (const [off, v] of Object.entries(k.memOut ?? {})) expect(t.mem.read32(DATA + Number(off)) >>> 0).toBe(v);
      expect(flagNames(t.flags() & k.defined)).toBe(k.flags);
    });
  }
}

describe('SHL SHR SAR', () => {
  table([
    { name: 'SHL r32 by 1: CF = old bit 31, OF = CF xor new sign', code: 'd1 e0', init: { eax: 0x40000001, flags: CF }, out: { eax: 0x80000002 }, flags: 'SF OF', defined: SH1 },
    { name: 'SHL r32 by 1 of 0x80000000 gives 0 with CF, ZF and OF', code: 'd1 e0', init: { eax: 0x80000000 }, out: { eax: 0 }, flags: 'CF PF ZF OF', defined: SH1 },
    { name: 'SHL r8 by CL=3: CF is the last bit shifted out', code: 'd2 e0', init: { eax: 0xabcdef31, ecx: 3 }, out: { eax: 0xabcdef88 }, flags: 'CF PF SF', defined: SHN },
    { name: 'SHL r16 by CL=16 clears the word (CF undefined)', code: '66 d3 e0', init: { eax: 0x1234ffff, ecx: 16 }, out: { eax: 0x12340000 }, flags: 'PF ZF', defined: SHWIDE },
    { name: 'SHL r32 by CL=33 shifts by 1: the count is masked to 5 bits', code: 'd3 e0', init: { eax: 1, ecx: 33, flags: CF | OF }, out: { eax: 2 }, flags: '', defined: SH1 },
    { name: 'SHL by CL=0 changes neither the operand nor any flag', code: 'd3 e0', init: { eax: 0x1234, ecx: 0, flags: CF | ZF | OF | AF }, out: { eax: 0x1234 }, flags: 'CF AF ZF OF', defined: ARITH },
    { name: 'SHL by CL=32 is a count of 0: nothing changes', code: 'd3 e0', init: { eax: 0x80000000, ecx: 32, flags: SF | PF }, out: { eax: 0x80000000 }, flags: 'PF SF', defined: ARITH },
    { name: 'SHL m32 by imm8 4', code: 'c1 25 00 20 00 00 04', mem: { 0: 0x12345678 }, out: {}, memOut: { 0: 0x23456780 }, flags: 'CF', defined: SHN },
    { name: 'SHR r32 by 1: CF = old bit 0, OF = old sign', code: 'd1 e8', init: { eax: 0x80000001 }, out: { eax: 0x40000000 }, flags: 'CF PF OF', defined: SH1 },
    { name: 'SHR r8 by CL=4 shifts in zeros', code: 'd2 e8', init: { eax: 0xf8, ecx: 4 }, out: { eax: 0x0f }, flags: 'CF PF', defined: SHN },
    { name: 'SHR r8 by CL=8 clears the byte', code: 'd2 e8', init: { eax: 0x12345680, ecx: 8 }, out: { eax: 0x12345600 }, flags: 'PF ZF', defined: SHWIDE },
    { name: 'SHR r16 by CL=17 clears the word', code: '66 d3 e8', init: { eax: 0xffffffff, ecx: 17 }, out: { eax: 0xffff0000 }, flags: 'PF ZF', defined: SHWIDE },
    { name: 'SAR r32 by 1 keeps the sign; OF is cleared', code: 'd1 f8', init: { eax: 0x80000001, flags: OF }, out: { eax: 0xc0000000 }, flags: 'CF PF SF', defined: SH1 },
    { name: 'SAR r8 by CL=7 fills with the sign', code: 'd2 f8', init: { eax: 0x80, ecx: 7 }, out: { eax: 0xff }, flags: 'PF SF', defined: SHN },
    { name: 'SAR r8 by 9 (more than the width) leaves the sign everywhere and in CF', code: 'c0 f8 09', init: { eax: 0x80 }, out: { eax: 0xff }, flags: 'CF PF SF', defined: SHN },
    { name: 'SAR r16 by CL=31 of a positive word gives 0', code: '66 d3 f8', init: { eax: 0x7fff, ecx: 31 }, out: { eax: 0 }, flags: 'PF ZF', defined: SHN },
  ]);
});

describe('ROL ROR RCL RCR', () => {
  table([
    { name: 'ROL r32 by 1: CF = new bit 0, OF = new sign xor CF, other flags kept', code: 'd1 c0', init: { eax: 0x80000001, flags: ZF }, out: { eax: 3 }, flags: 'CF ZF OF', defined: ROT1 },
    { name: 'ROL r8 by CL=4 swaps the nibbles', code: 'd2 c0', init: { eax: 0x1e, ecx: 4 }, out: { eax: 0xe1 }, flags: 'CF', defined: ROTN },
    { name: 'ROL r8 by CL=8 leaves the byte but sets CF from its bit 0', code: 'd2 c0', init: { eax: 0x81, ecx: 8 }, out: { eax: 0x81 }, flags: 'CF', defined: ROTN },
    { name: 'ROL r16 by CL=17 rotates by 1', code: '66 d3 c0', init: { eax: 0x8000, ecx: 17 }, out: { eax: 0x0001 }, flags: 'CF', defined: ROTN },
    { name: 'ROL by CL=0 changes no flag', code: 'd3 c0', init: { eax: 0x80000001, ecx: 0, flags: OF | SF }, out: { eax: 0x80000001 }, flags: 'SF OF', defined: ARITH },
    { name: 'ROR r32 by 1: CF = new sign, OF = the two top bits differ', code: 'd1 c8', init: { eax: 1 }, out: { eax: 0x80000000 }, flags: 'CF OF', defined: ROT1 },
    { name: 'ROR r8 by CL=3', code: 'd2 c8', init: { eax: 0x0c, ecx: 3 }, out: { eax: 0x81 }, flags: 'CF', defined: ROTN },
    { name: 'ROR m16 by 4 clears CF when the new sign is 0', code: '66 c1 0d 00 20 00 00 04', init: { flags: CF }, mem: { 0: 0x55551234 }, out: {}, memOut: { 0: 0x55554123 }, flags: '', defined: ROTN },
    { name: 'RCL r32 by 1 moves bit 31 into CF and CF into bit 0', code: 'd1 d0', init: { eax: 0x80000000 }, out: { eax: 0 }, flags: 'CF OF', defined: ROT1 },
    { name: 'RCL r8 by 1 with CF set: OF = new sign xor new CF', code: 'd2 d0', init: { eax: 0x7f, ecx: 1, flags: CF }, out: { eax: 0xff }, flags: 'OF', defined: ROT1 },
    { name: 'RCL r8 by CL=9 is a full turn through CF: nothing changes', code: 'd2 d0', init: { eax: 0x55, ecx: 9, flags: CF }, out: { eax: 0x55 }, flags: 'CF', defined: ROTN },
    { name: 'RCL r16 by CL=4 rotates 17 bits', code: '66 d3 d0', init: { eax: 0x1234, ecx: 4, flags: CF }, out: { eax: 0x2348 }, flags: 'CF', defined: ROTN },
    { name: 'RCL r16 by CL=17 is a full turn', code: '66 d3 d0', init: { eax: 0x1234, ecx: 17 }, out: { eax: 0x1234 }, flags: '', defined: ROTN },
    { name: 'RCL r32 by CL=31 brings CF into bit 30', code: 'd3 d0', init: { eax: 2, ecx: 31, flags: CF }, out: { eax: 0x40000000 }, flags: 'CF', defined: ROTN },
    { name: 'RCR r32 by 1 with CF set: OF = old sign xor old CF', code: 'd1 d8', init: { eax: 1, flags: CF }, out: { eax: 0x80000000 }, flags: 'CF OF', defined: ROT1 },
    { name: 'RCR r8 by CL=2', code: 'd2 d8', init: { eax: 0x03, ecx: 2 }, out: { eax: 0x80 }, flags: 'CF', defined: ROTN },
    { name: 'RCR r8 by CL=9 is a full turn', code: 'd2 d8', init: { eax: 0xa5, ecx: 9 }, out: { eax: 0xa5 }, flags: '', defined: ROTN },
    { name: 'RCR r32 by CL=31', code: 'd3 d8', init: { eax: 0x80000001, ecx: 31 }, out: { eax: 5 }, flags: '', defined: ROTN },
  ]);
});

describe('SHLD SHRD', () => {
  table([
    { name: 'SHLD r32 by 4 shifts in the top bits of the source', code: '0f a4 d8 04', init: { eax: 0x12345678, ebx: 0x9abcdef0 }, out: { eax: 0x23456789, ebx: 0x9abcdef0 }, flags: 'CF', defined: SHN },
    { name: 'SHLD r32 by CL=1 sets OF on a sign change', code: '0f a5 d8', init: { eax: 0x40000000, ebx: 0x80000000, ecx: 1 }, out: { eax: 0x80000001 }, flags: 'SF OF', defined: SH1 },
    { name: 'SHRD r32 by 8 shifts in the low bits of the source', code: '0f ac d8 08', init: { eax: 0x12345678, ebx: 0x9abcdef0 }, out: { eax: 0xf0123456 }, flags: 'PF SF', defined: SHN },
    { name: 'SHRD by CL=0 (or 32) changes nothing', code: '0f ad d8', init: { eax: 0x12345678, ebx: 0xffffffff, ecx: 32, flags: ZF | CF }, out: { eax: 0x12345678 }, flags: 'CF ZF', defined: ARITH },
    { name: 'SHLD r16 by 16 replaces the word with the source; CF = old bit 0', code: '66 0f a4 d8 10', init: { eax: 0x55551234, ebx: 0xabcd, flags: CF }, out: { eax: 0x5555abcd }, flags: 'SF', defined: SHN },
    { name: 'SHRD r16 by 4', code: '66 0f ac d8 04', init: { eax: 0x1234, ebx: 0xabcd }, out: { eax: 0xd123 }, flags: 'SF', defined: SHN },
    { name: 'SHLD m32 by 8', code: '0f a4 1d 00 20 00 00 08', init: { ebx: 0xaabbccdd }, mem: { 0: 0x11223344 }, out: {}, memOut: { 0: 0x223344aa }, flags: 'CF PF', defined: SHN },
  ]);
});

describe('BT BTS BTR BTC', () => {
  table([
    { name: 'BT r32 copies the bit into CF and keeps ZF', code: '0f a3 d8', init: { eax: 0x80000000, ebx: 31, flags: ZF }, out: { eax: 0x80000000 }, flags: 'CF ZF', defined: BT },
    { name: 'BT r32 takes a register bit offset modulo 32', code: '0f a3 d8', init: { eax: 0x80000000, ebx: 63 }, out: { eax: 0x80000000 }, flags: 'CF', defined: BT },
    { name: 'BTS r32 sets the bit; CF = its old value', code: '0f ab d8', init: { eax: 0, ebx: 4, flags: CF }, out: { eax: 0x10 }, flags: '', defined: BT },
    { name: 'BTR r32 clears the bit', code: '0f b3 d8', init: { eax: 0xff, ebx: 3 }, out: { eax: 0xf7 }, flags: 'CF', defined: BT },
    { name: 'BTC r32 complements the bit', code: '0f bb d8', init: { eax: 0xff, ebx: 8 }, out: { eax: 0x1ff }, flags: '', defined: BT },
    { name: 'BT r16 takes the offset modulo 16', code: '66 0f a3 d8', init: { eax: 0x0002, ebx: 17 }, out: { eax: 2 }, flags: 'CF', defined: BT },
    { name: 'BT r32,imm8 takes the offset modulo 32', code: '0f ba e0 25', init: { eax: 0x20 }, out: { eax: 0x20 }, flags: 'CF', defined: BT },
    { name: 'BTS m32,imm8 stays within the operand (35 is bit 3)', code: '0f ba 2d 00 20 00 00 23', mem: { 0: 0, 4: 0 }, out: {}, memOut: { 0: 8, 4: 0 }, flags: '', defined: BT },
    { name: 'BTR m16,imm8 takes the offset modulo 16', code: '66 0f ba 35 00 20 00 00 11', mem: { 0: 0xffffffff }, out: {}, memOut: { 0: 0xfffffffd }, flags: 'CF', defined: BT },
    { name: 'BTS m32,r32 with offset 35 reaches bit 3 of the next dword', code: '0f ab 1d 00 20 00 00', init: { ebx: 35 }, mem: { 0: 0, 4: 0 }, out: {}, memOut: { 0: 0, 4: 8 }, flags: '', defined: BT },
    { name: 'BT m32,r32 with offset 256 reads 32 bytes further', code: '0f a3 1d 00 20 00 00', init: { ebx: 256 }, mem: { 0: 0, 0x20: 1 }, out: {}, flags: 'CF', defined: BT },
    { name: 'BT m32,r32 with offset -1 reads bit 31 of the dword below', code: '0f a3 1d 00 20 00 00', init: { ebx: 0xffffffff }, mem: { [-4]: 0x80000000, 0: 0 }, out: {}, flags: 'CF', defined: BT },
    { name: 'BTR m32,r32 with offset -33 clears bit 31 two dwords below', code: '0f b3 1d 00 20 00 00', init: { ebx: 0xffffffdf }, mem: { [-8]: 0xffffffff, [-4]: 0xffffffff, 0: 0xffffffff }, out: {}, memOut: { [-8]: 0x7fffffff, [-4]: 0xffffffff, 0: 0xffffffff }, flags: 'CF', defined: BT },
    { name: 'BTC m16,r16 with offset -1 complements bit 15 of the word below', code: '66 0f bb 1d 00 20 00 00', init: { ebx: 0xffff }, mem: { [-4]: 0, 0: 0 }, out: {}, memOut: { [-4]: 0x80000000, 0: 0 }, flags: '', defined: BT },
  ]);
});

describe('BSF BSR BSWAP', () => {
  table([
    { name: 'BSF finds the lowest set bit and clears ZF', code: '0f bc c3', init: { ebx: 0x00018000, flags: ZF }, out: { eax: 15 }, flags: '', defined: BS },
    { name: 'BSR finds the highest set bit', code: '0f bd c3', init: { ebx: 0x00018000 }, out: { eax: 16 }, flags: '', defined: BS },
    { name: 'BSR of 0x80000000 is 31', code: '0f bd c3', init: { ebx: 0x80000000 }, out: { eax: 31 }, flags: '', defined: BS },
    { name: 'BSF of a zero source sets ZF', code: '0f bc c3', init: { ebx: 0 }, out: {}, flags: 'ZF', defined: BS },
    { name: 'BSR of a zero source sets ZF', code: '0f bd c3', init: { ebx: 0 }, out: {}, flags: 'ZF', defined: BS },
    { name: 'BSR r16 writes only the low word', code: '66 0f bd c3', init: { eax: 0xaaaa0000, ebx: 0x12348001 }, out: { eax: 0xaaaa000f }, flags: '', defined: BS },
    { name: 'BSF r16 of a zero word sets ZF (upper half ignored)', code: '66 0f bc c3', init: { ebx: 0xffff0000 }, out: {}, flags: 'ZF', defined: BS },
    { name: 'BSF m32', code: '0f bc 05 00 20 00 00', mem: { 0: 0x80000000 }, out: { eax: 31 }, flags: '', defined: BS },
    { name: 'BSWAP reverses the bytes of EAX', code: '0f c8', init: { eax: 0x12345678 }, out: { eax: 0x78563412 }, flags: '', defined: 0 },
    { name: 'BSWAP reverses the bytes of ESI', code: '0f ce', init: { esi: 0xaabbccdd }, out: { esi: 0xddccbbaa }, flags: '', defined: 0 },
  ]);
});
