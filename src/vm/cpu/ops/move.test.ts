/**
 * Data movement (move.ts) against the Intel SDM Vol. 2 pages: MOV, MOVZX,
 * MOVSX, XCHG, LEA, the stack (PUSH, POP, PUSHA, POPA, ENTER, LEAVE), XLAT,
 * CMOVcc, SETcc, LAHF and SAHF. Segment register loads are in
 * ../segments.test.ts.
 */
import { describe, it, expect } from 'vitest';
import { runCode, regs, flagNames, CODE, STACK_TOP, type Init, type TestCpu } from '../../../../test/cpu/harness';
import { CONDITIONS } from '../../../../test/cpu/conditions';
import { CF, PF, AF, ZF, SF, OF, ARITH } from '../flags';

const DATA = 0x2000;

function ok(t: TestCpu): TestCpu {
  expect(t.history).toEqual([]);
  return t;
}
function run(code: string, init: Init = {}, mem: Record<number, number> = {}): TestCpu {
  return ok(runCode(code, init, (c) => {
    for (const [a, v] of Object.entries(mem)) c.mem.write32(Number(a), v);
  }));
}
const rd = (t: TestCpu, a: number) => t.mem.read32(a) >>> 0;

describe('MOV', () => {
  it('MOV moffs32,EAX and MOV EAX,moffs32 move dwords to and from memory', () => {
    const t = run('a3 00 20 00 00 8b 1d 00 20 00 00', { eax: 0xdeadbeef });
    expect(rd(t, DATA)).toBe(0xdeadbeef);
    expect(regs(t.cpu).ebx).toBe(0xdeadbeef);
  });
  it('MOV m8,r8 writes one byte through a base register', () => {
    const t = run('88 03', { eax: 0x99, ebx: DATA }, { [DATA]: 0x11223344 });
    expect(rd(t, DATA)).toBe(0x11223399);
  });
  it('MOV m8,imm8 and MOV m16,imm16 write only their size', () => {
    const t = run('c6 05 00 20 00 00 99 66 c7 05 02 20 00 00 ef be', {}, { [DATA]: 0x11223344 });
    expect(rd(t, DATA)).toBe(0xbeef3399);
  });
  it('MOV r16 and MOV r8,imm8 keep the rest of the register', () => {
    const t = run('66 89 d8 b5 7f', { eax: 0xaaaa0000, ebx: 0x1234, ecx: 0x11223344 });
    expect(regs(t.cpu)).toMatchObject({ eax: 0xaaaa1234, ecx: 0x11227f44 });
  });
  it('MOV r32,imm32 and MOV r16,imm16', () => {
    const t = run('bf 78 56 34 12 66 be 34 12', { esi: 0xffffffff });
    expect(regs(t.cpu)).toMatchObject({ edi: 0x12345678, esi: 0xffff1234 });
  });
  it('MOV with base + index*4 + disp8 addressing', () => {
    const t = run('8b 54 8b 10', { ebx: 0x1f00, ecx: 0x40 }, { [0x1f00 + 0x100 + 0x10]: 0xcafef00d });
    expect(regs(t.cpu).edx).toBe(0xcafef00d);
  });
  it('MOV changes no flag', () => {
    const t = run('a1 00 20 00 00', { flags: CF | ZF | OF });
    expect(flagNames(t.flags() & ARITH)).toBe('CF ZF OF');
  });
});

describe('MOVZX MOVSX', () => {
  it('MOVZX r32,r8 zero-extends BH', () => {
    expect(regs(run('0f b6 c7', { eax: 0xffffffff, ebx: 0x8000 }).cpu).eax).toBe(0x80);
  });
  it('MOVSX r32,r8 sign-extends BL', () => {
    expect(regs(run('0f be c3', { ebx: 0x80 }).cpu).eax).toBe(0xffffff80);
  });
  it('MOVSX r32,r16 sign-extends BX', () => {
    expect(regs(run('0f bf c3', { ebx: 0x12348000 }).cpu).eax).toBe(0xffff8000);
  });
  it('MOVZX r32,r16 zero-extends BX', () => {
    expect(regs(run('0f b7 c3', { ebx: 0x1234f000 }).cpu).eax).toBe(0xf000);
  });
  it('MOVSX r16,r8 keeps the upper half of the destination', () => {
    expect(regs(run('66 0f be c3', { eax: 0x55555555, ebx: 0xfe }).cpu).eax).toBe(0x5555fffe);
  });
  it('MOVZX r32,m8 reads one byte', () => {
    expect(regs(run('0f b6 0d 00 20 00 00', { ecx: 0xffffffff }, { [DATA]: 0xffffff80 }).cpu).ecx).toBe(0x80);
  });
});

describe('XCHG', () => {
  it('XCHG EAX,r32 swaps', () => {
    expect(regs(run('93', { eax: 1, ebx: 2 }).cpu)).toMatchObject({ eax: 2, ebx: 1 });
  });
  it('XCHG AX,r16 swaps the low words only', () => {
    expect(regs(run('66 91', { eax: 0x11110001, ecx: 0x22220002 }).cpu)).toMatchObject({ eax: 0x11110002, ecx: 0x22220001 });
  });
  it('XCHG r8,r8 swaps BL and AH', () => {
    expect(regs(run('86 dc', { eax: 0x1100, ebx: 0x22 }).cpu)).toMatchObject({ eax: 0x2200, ebx: 0x11 });
  });
  it('XCHG m32,r32 swaps with memory', () => {
    const t = run('87 0d 00 20 00 00', { ecx: 5 }, { [DATA]: 9 });
    expect([regs(t.cpu).ecx, rd(t, DATA)]).toEqual([9, 5]);
  });
});

describe('LEA', () => {
  it('LEA computes base + index*scale + disp without reading memory', () => {
    expect(regs(run('8d 4c 98 10', { eax: 0xfffff000, ebx: 0x1000 }).cpu).ecx).toBe(0x3010);
  });
  it('LEA r16 keeps the low 16 bits of a 32-bit address', () => {
    expect(regs(run('66 8d 4c 98 10', { eax: 0x1fff0, ebx: 0, ecx: 0xaaaaaaaa }).cpu).ecx).toBe(0xaaaa0000);
  });
  it('LEA with 16-bit addressing wraps the sum at 64 KiB and zero-extends it', () => {
    expect(regs(run('67 8d 88 ff 7f', { ebx: 0x12348000, esi: 0xffff0001, ecx: 0xffffffff }).cpu).ecx).toBe(0x0000);
  });
  it('LEA with 16-bit [BP+DI+disp8] addressing', () => {
    expect(regs(run('67 8d 4b fe', { ebp: 0x100, edi: 0x20 }).cpu).ecx).toBe(0x11e);
  });
  it('LEA with a 16-bit displacement only', () => {
    expect(regs(run('67 8d 0e 34 12').cpu).ecx).toBe(0x1234);
  });
  it('LEA with a register operand raises #UD', () => {
    const t = runCode('8d c3');
    expect(t.history.map((d) => [d.vector, d.eip])).toEqual([[6, CODE]]);
  });
});

describe('PUSH POP', () => {
  it('PUSH r32 stores at ESP - 4', () => {
    const t = run('50', { eax: 0x12345678 });
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 4);
    expect(rd(t, STACK_TOP - 4)).toBe(0x12345678);
  });
  it('PUSH imm8 is sign-extended to 32 bits', () => {
    const t = run('6a ff');
    expect(rd(t, STACK_TOP - 4)).toBe(0xffffffff);
  });
  it('PUSH imm32', () => {
    expect(rd(run('68 78 56 34 12'), STACK_TOP - 4)).toBe(0x12345678);
  });
  it('PUSH r16 and PUSH imm16 move ESP by 2', () => {
    const t = run('66 50 66 68 34 12', { eax: 0xaaaabbbb }, { [STACK_TOP - 4]: 0 });
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 4);
    expect(rd(t, STACK_TOP - 4)).toBe(0xbbbb1234);
  });
  it('PUSH m32 and POP m32', () => {
    const t = run('ff 35 00 20 00 00 8f 05 04 20 00 00', {}, { [DATA]: 0xfeedface, [DATA + 4]: 0 });
    expect(rd(t, DATA + 4)).toBe(0xfeedface);
    expect(regs(t.cpu).esp).toBe(STACK_TOP);
  });
  it('PUSH ESP pushes the value ESP had before the push', () => {
    const t = run('54');
    expect(rd(t, STACK_TOP - 4)).toBe(STACK_TOP);
  });
  it('POP ESP loads ESP with the popped value', () => {
    const t = run('5c', {}, { [STACK_TOP]: 0x12340 });
    expect(regs(t.cpu).esp).toBe(0x12340);
  });
  it('POP (%esp) computes the address with the incremented ESP', () => {
    const t = run('8f 04 24', {}, { [STACK_TOP]: 0xabcdef01, [STACK_TOP + 4]: 0 });
    expect(regs(t.cpu).esp).toBe(STACK_TOP + 4);
    expect(rd(t, STACK_TOP + 4)).toBe(0xabcdef01);
    expect(rd(t, STACK_TOP)).toBe(0xabcdef01);
  });
  it('POP 4(%esp) writes 8 bytes above the old ESP', () => {
    const t = run('8f 44 24 04', {}, { [STACK_TOP]: 7, [STACK_TOP + 8]: 0 });
    expect(rd(t, STACK_TOP + 8)).toBe(7);
  });
  it('POP r32 moves ESP up by 4', () => {
    const t = run('58', {}, { [STACK_TOP]: 0x55 });
    expect(regs(t.cpu)).toMatchObject({ eax: 0x55, esp: STACK_TOP + 4 });
  });
});

describe('PUSHA POPA', () => {
  const init = { eax: 1, ecx: 2, edx: 3, ebx: 4, ebp: 6, esi: 7, edi: 8 };
  it('PUSHAD pushes EAX ECX EDX EBX, the original ESP, EBP ESI EDI', () => {
    const t = run('60', init);
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 32);
    const stack = Array.from({ length: 8 }, (_, k) => rd(t, STACK_TOP - 4 * (k + 1)));
    expect(stack).toEqual([1, 2, 3, 4, STACK_TOP, 6, 7, 8]);
  });
  it('POPAD loads the registers in reverse and skips the saved ESP', () => {
    const mem: Record<number, number> = {};
    [8, 7, 6, 0x999, 4, 3, 2, 1].forEach((v, k) => { mem[STACK_TOP - 32 + 4 * k] = v; });
    const t = run('61', { esp: STACK_TOP - 32 }, mem);
    expect(regs(t.cpu)).toEqual({ eax: 1, ecx: 2, edx: 3, ebx: 4, esp: STACK_TOP, ebp: 6, esi: 7, edi: 8 });
  });
  it('PUSHAW and POPAW move words and keep the upper halves', () => {
    const t = run('66 60 66 61', { eax: 0xaaaa0001, ecx: 0xbbbb0002 });
    expect(regs(t.cpu)).toMatchObject({ eax: 0xaaaa0001, ecx: 0xbbbb0002, esp: STACK_TOP });
    expect(t.mem.read16(STACK_TOP - 2)).toBe(1);
    expect(t.mem.read16(STACK_TOP - 4)).toBe(2);
    expect(t.mem.read16(STACK_TOP - 10)).toBe(STACK_TOP & 0xffff);
  });
});

describe('ENTER LEAVE', () => {
  it('ENTER size,0 pushes EBP, points EBP at it and reserves size bytes', () => {
    const t = run('c8 08 00 00', { ebp: 0x7ff00 });
    expect(regs(t.cpu)).toMatchObject({ ebp: STACK_TOP - 4, esp: STACK_TOP - 4 - 8 });
    expect(rd(t, STACK_TOP - 4)).toBe(0x7ff00);
  });
  it('ENTER size,1 also pushes the new frame pointer', () => {
    const t = run('c8 08 00 01', { ebp: 0x7ff00 });
    expect(regs(t.cpu)).toMatchObject({ ebp: STACK_TOP - 4, esp: STACK_TOP - 8 - 8 });
    expect([rd(t, STACK_TOP - 4), rd(t, STACK_TOP - 8)]).toEqual([0x7ff00, STACK_TOP - 4]);
  });
  it('ENTER size,3 copies two outer frame pointers from the old frame, then pushes the new one', () => {
    const t = run('c8 10 00 03', { ebp: 0x7ff00 }, { [0x7ff00 - 4]: 0xaaaa, [0x7ff00 - 8]: 0xbbbb });
    expect(regs(t.cpu)).toMatchObject({ ebp: STACK_TOP - 4, esp: STACK_TOP - 16 - 0x10 });
    const pushed = [4, 8, 12, 16].map((k) => rd(t, STACK_TOP - k));
    expect(pushed).toEqual([0x7ff00, 0xaaaa, 0xbbbb, STACK_TOP - 4]);
  });
  it('LEAVE sets ESP to EBP and pops EBP', () => {
    const t = run('c9', { ebp: 0x7fff0, esp: 0x7ff00 }, { [0x7fff0]: 0x12345 });
    expect(regs(t.cpu)).toMatchObject({ ebp: 0x12345, esp: 0x7fff4 });
  });
  it('ENTER then LEAVE restores ESP and EBP', () => {
    const t = run('c8 10 00 03 c9', { ebp: 0x7ff00 });
    expect(regs(t.cpu)).toMatchObject({ ebp: 0x7ff00, esp: STACK_TOP });
  });
});

describe('XLAT', () => {
  it('XLAT loads AL from [EBX + AL] (AL unsigned)', () => {
    const t = run('d7', { eax: 0x12345680, ebx: DATA }, { [DATA + 0x80]: 0x5a });
    expect(regs(t.cpu).eax).toBe(0x1234565a);
  });
});


describe('SETcc CMOVcc LAHF SAHF', () => {
  CONDITIONS.forEach(([name, yes, no], cc) => {
    it(`SETcc and CMOVcc with condition '${name}' (cc ${cc})`, () => {
      const hx = cc.toString(16);
      // setcc %al; cmovcc %ebx,%ecx
      const code = `0f 9${hx} c0 0f 4${hx} cb`;
      for (const [flags, holds] of [...yes.map((f) => [f, true] as const), ...no.map((f) => [f, false] as const)]) {
        const t = run(code, { eax: 0xffffffff, ebx: 0x600d, ecx: 0xbad, flags });
        expect([flagNames(flags), regs(t.cpu).eax, regs(t.cpu).ecx]).toEqual([flagNames(flags), holds ? 0xffffff01 : 0xffffff00, holds ? 0x600d : 0xbad]);
        expect(t.flags() & ARITH).toBe(flags);
      }
    });
  });
  it('SETcc m8 writes one byte', () => {
    const t = run('0f 94 05 00 20 00 00', { flags: ZF }, { [DATA]: 0xffffffff });
    expect(rd(t, DATA)).toBe(0xffffff01);
  });
  it('CMOVcc r16 moves only the low word', () => {
    const t = run('66 0f 44 c3', { eax: 0x11112222, ebx: 0x33334444, flags: ZF });
    expect(regs(t.cpu).eax).toBe(0x11114444);
  });
  it('CMOVcc m32 loads from memory when the condition holds', () => {
    const t = run('0f 44 05 00 20 00 00', { eax: 0, flags: ZF }, { [DATA]: 0x12345678 });
    expect(regs(t.cpu).eax).toBe(0x12345678);
  });
  it('LAHF loads SF ZF AF PF CF into AH with bit 1 set', () => {
    const t = run('9f', { eax: 0xffffffff, flags: SF | ZF | AF | PF | CF | OF });
    expect(regs(t.cpu).eax).toBe(0xffffd7ff);
    expect(regs(run('9f', { eax: 0, flags: OF }).cpu).eax).toBe(0x0200);
  });
  it('SAHF stores AH into SF ZF AF PF CF and leaves OF', () => {
    const t = run('9e', { eax: 0xff00, flags: OF });
    expect(flagNames(t.flags() & ARITH)).toBe('CF PF AF ZF SF OF');
    expect(flagNames(run('9e', { eax: 0x0000, flags: CF | ZF }).flags() & ARITH)).toBe('');
  });
});
