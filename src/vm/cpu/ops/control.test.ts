/**
 * Control flow (control.ts) against the Intel SDM Vol. 2 pages: Jcc for all
 * sixteen conditions, near and far JMP/CALL/RET, LOOP/LOOPE/LOOPNE/JECXZ,
 * INT n/INT3/INTO and IRET at the same privilege, and BOUND.
 */
import { describe, it, expect } from 'vitest';
import {
  runCode, regs, flagNames, poke, setDescriptor, setGate, installTss, enterRing3,
  CODE, GDT, STACK_TOP, TRAP_HLT, USER_STACK, TSS_BASE, SEL_CODE0, SEL_CODE3, SEL_DATA3, type TestCpu,
} from '../../../../test/cpu/harness';
import { CONDITIONS } from '../../../../test/cpu/conditions';
import { CS, SS, type Cpu } from '../state';
import { CF, ZF, OF, IF, ARITH, IOPL } from '../flags';

const DATA = 0x2000, TARGET = 0x3000;

function ok(t: TestCpu): TestCpu {
  expect(t.history).toEqual([]);
  return t;
}
const rd = (t: TestCpu, a: number) => t.mem.read32(a) >>> 0;
/** The (vector, error code, pushed EIP) of every delivery. */
const deliveries = (t: TestCpu) => t.history.map((d) => [d.vector, d.code, d.eip]);


describe('Jcc', () => {
  CONDITIONS.forEach(([name, yes, no], cc) => {
    it(`J${name.toUpperCase()} rel8 and rel32 jump exactly when the condition holds`, () => {
      const hx = cc.toString(16);
      // j<cc> +2; mov $1,%al; j<cc> near +2; mov $1,%ah
      const code = `7${hx} 02 b0 01 0f 8${hx} 02 00 00 00 b4 01`;
      for (const [flags, taken] of [...yes.map((f) => [f, true] as const), ...no.map((f) => [f, false] as const)]) {
        const t = ok(runCode(code, { eax: 0, flags }));
        expect([flagNames(flags), regs(t.cpu).eax]).toEqual([flagNames(flags), taken ? 0 : 0x0101]);
      }
    });
  });
  it('Jcc rel8 jumps backwards', () => {
    // inc %eax; cmp $5,%eax; jne -6
    const t = ok(runCode('40 83 f8 05 75 fa', { eax: 0 }));
    expect(regs(t.cpu).eax).toBe(5);
  });
});

describe('JMP CALL RET (near)', () => {
  it('JMP rel8 skips forward', () => {
    expect(regs(ok(runCode('eb 02 b0 01', { eax: 0 })).cpu).eax).toBe(0);
  });
  it('JMP rel32 goes to EIP + displacement', () => {
    const t = ok(runCode('e9 fb 1f 00 00', {}, (c) => poke(c, TARGET, 'b0 07 f4')));
    expect(t.cpu.eip >>> 0).toBe(TARGET + 3);
    expect(regs(t.cpu).eax & 0xff).toBe(7);
  });
  it('JMP r32 and JMP m32 jump to an absolute EIP', () => {
    const t = ok(runCode('ff e0', { eax: TARGET }, (c) => {
      poke(c, TARGET, 'ff 25 00 20 00 00');
      c.mem.write32(DATA, TARGET + 0x10);
      poke(c, TARGET + 0x10, 'b3 09 f4');
    }));
    expect(regs(t.cpu).ebx & 0xff).toBe(9);
    expect(t.cpu.eip >>> 0).toBe(TARGET + 0x13);
  });
  it('JMP rel16 (operand-size prefix) jumps within the first 64 KiB', () => {
    const t = ok(runCode('66 e9 fc 1f', {}, (c) => poke(c, TARGET, 'f4')));
    expect(t.cpu.eip >>> 0).toBe(TARGET + 1);
  });
  it('CALL rel32 pushes the return address; RET pops it', () => {
    const t = ok(runCode('e8 fb 1f 00 00 b3 01', {}, (c) => poke(c, TARGET, 'b8 07 00 00 00 c3')));
    expect(regs(t.cpu)).toMatchObject({ eax: 7, ebx: 1, esp: STACK_TOP });
    expect(rd(t, STACK_TOP - 4)).toBe(CODE + 5);
    expect(t.cpu.eip >>> 0).toBe(t.end + 1);
  });
  it('CALL r32 and CALL m32 push the next EIP', () => {
    const t = ok(runCode('ff d0 ff 15 00 20 00 00', { eax: TARGET }, (c) => {
      poke(c, TARGET, '43 c3'); // inc %ebx; ret
      c.mem.write32(DATA, TARGET);
    }));
    expect(regs(t.cpu)).toMatchObject({ ebx: 2, esp: STACK_TOP });
    expect(rd(t, STACK_TOP - 4)).toBe(CODE + 8);
  });
  it('RET imm16 pops the return address, then imm16 more bytes', () => {
    const t = ok(runCode('e8 fb 1f 00 00', {}, (c) => poke(c, TARGET, 'c2 08 00')));
    expect(regs(t.cpu).esp).toBe(STACK_TOP + 8);
    expect(t.cpu.eip >>> 0).toBe(t.end + 1);
  });
});

describe('JMP CALL RET (far)', () => {
  const withSegments = (c: Cpu) => {
    setDescriptor(c, 0x30, 0, 0xfffff, 0x9b);        // flat ring-0 code
    setDescriptor(c, 0x38, 0, 0x2fff, 0x9b, 0x4);    // ring-0 code, byte limit 0x2fff
    setDescriptor(c, 0x40, 0, 0xfffff, 0x1b);        // not present
    setDescriptor(c, 0x48, 0, 0xfffff, 0xfb);        // ring-3 code
    setDescriptor(c, 0x50, 0, 0xfffff, 0x9f);        // conforming ring-0 code
    poke(c, TARGET, 'f4');
  };
  it('JMP ptr16:32 loads CS and EIP', () => {
    const t = ok(runCode('ea 00 30 00 00 30 00', {}, withSegments));
    expect(t.cpu.segSel[CS]).toBe(0x30);
    expect(t.cpu.eip >>> 0).toBe(TARGET + 1);
  });
  it('JMP m16:32 reads the far pointer from memory', () => {
    const t = ok(runCode('ff 2d 00 20 00 00', {}, (c) => {
      withSegments(c);
      c.mem.write32(DATA, TARGET); c.mem.write16(DATA + 4, 0x50);
    }));
    expect(t.cpu.segSel[CS]).toBe(0x50);
  });
  it('CALL ptr16:32 pushes CS and EIP; RETF returns', () => {
    const t = ok(runCode('9a 00 30 00 00 30 00 b3 01', {}, (c) => { withSegments(c); poke(c, TARGET, 'cb'); }));
    expect(t.mem.read16(STACK_TOP - 4)).toBe(0x08);
    expect(rd(t, STACK_TOP - 8)).toBe(CODE + 7);
    expect(regs(t.cpu)).toMatchObject({ ebx: 1, esp: STACK_TOP });
    expect(t.cpu.segSel[CS]).toBe(0x08);
  });
  it('CALL m16:32 then RETF imm16 releases the parameters', () => {
    const t = ok(runCode('ff 1d 00 20 00 00', {}, (c) => {
      withSegments(c); poke(c, TARGET, 'ca 08 00');
      c.mem.write32(DATA, TARGET); c.mem.write16(DATA + 4, 0x30);
    }));
    expect(regs(t.cpu).esp).toBe(STACK_TOP + 8);
    expect(t.cpu.eip >>> 0).toBe(t.end + 1);
  });
  it('RETF to ring 3 loads SS:ESP from the stack above CS:EIP', () => {
    // push $0x23; push $USER_STACK; push $0x1b; push $end; lret
    const t = runCode(`6a 23 68 00 00 06 00 6a 1b 68 ${le32(CODE + 15)} cb`, {}, (c) => installTss(c));
    expect(t.cpu.cpl).toBe(0); // back in ring 0 in the handler of the #GP the ring-3 HLT raised
    expect(deliveries(t)).toEqual([[13, 0, CODE + 15]]);
    expect(t.frame()).toMatchObject({ cs: SEL_CODE3, ss: SEL_DATA3, esp: USER_STACK, eip: CODE + 15 });
  });
  it('far JMP to a null selector raises #GP(0)', () => {
    expect(deliveries(runCode('ea 00 30 00 00 00 00', {}, withSegments))).toEqual([[13, 0, CODE]]);
  });
  it('far JMP to a data segment raises #GP(selector)', () => {
    expect(deliveries(runCode('ea 00 30 00 00 10 00', {}, withSegments))).toEqual([[13, 0x10, CODE]]);
  });
  it('far JMP to a non-present code segment raises #NP(selector)', () => {
    expect(deliveries(runCode('ea 00 30 00 00 40 00', {}, withSegments))).toEqual([[11, 0x40, CODE]]);
  });
  it('far JMP to a non-conforming segment of another DPL raises #GP(selector)', () => {
    expect(deliveries(runCode('ea 00 30 00 00 48 00', {}, withSegments))).toEqual([[13, 0x48, CODE]]);
  });
  it('far JMP beyond the code segment limit raises #GP(0)', () => {
    expect(deliveries(runCode('ea 00 30 00 00 38 00', {}, withSegments))).toEqual([[13, 0, CODE]]);
  });
  it('far CALL that faults leaves ESP unchanged', () => {
    const t = runCode('9a 00 30 00 00 40 00', {}, withSegments);
    expect(deliveries(t)).toEqual([[11, 0x40, CODE]]);
    expect(t.frame().eip).toBe(CODE);
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 16); // just the #NP frame: EFLAGS CS EIP code
  });
});

describe('call gates', () => {
  /** GDT 0x30: a 32-bit call gate, DPL 3, to `sel`:TARGET with 2 parameters; 0x38 ring-1 code; 0x40 ring-1 data, not present. */
  const gate = (sel: number) => (c: Cpu) => {
    c.mem.write32(GDT + 0x30, (sel << 16) | (TARGET & 0xffff));
    c.mem.write32(GDT + 0x34, (TARGET & 0xffff0000) | 0x8000 | (3 << 13) | (0xc << 8) | 2);
    setDescriptor(c, 0x38, 0, 0xfffff, 0xbb);
    setDescriptor(c, 0x40, 0, 0xfffff, 0x33);
    c.gdtr.limit = Math.max(c.gdtr.limit, 0x47);
  };
  // push $0x11111111; push $0x22222222; lcall $0x33,$0
  const CALL = '68 11 11 11 11 68 22 22 22 22 9a 00 00 00 00 33 00';
  it('CALL through a call gate from ring 3 to ring 0 switches to SS0:ESP0 and copies the parameters', () => {
    const t = runCode(CALL, {}, (c) => { gate(SEL_CODE0)(c); enterRing3(c); poke(c, TARGET, 'f4'); });
    expect(t.history).toEqual([]);
    expect([t.cpu.cpl, t.cpu.segSel[CS], t.cpu.segSel[SS]]).toEqual([0, SEL_CODE0, 0x10]);
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 24);
    const frame = [24, 20, 16, 12, 8, 4].map((k) => rd(t, STACK_TOP - k));
    expect(frame).toEqual([CODE + 17, SEL_CODE3, 0x22222222, 0x11111111, USER_STACK - 8, SEL_DATA3]);
  });
  it('RETF imm16 from the gate\'s handler returns to ring 3 and releases the parameters', () => {
    const t = runCode(CALL, {}, (c) => { gate(SEL_CODE0)(c); enterRing3(c); poke(c, TARGET, 'ca 08 00'); });
    // Back at ring 3, the final HLT raises #GP(0): its frame shows the ring-3 SS:ESP.
    expect(deliveries(t)).toEqual([[13, 0, t.end]]);
    expect(t.frame()).toMatchObject({ cs: SEL_CODE3, ss: SEL_DATA3, esp: USER_STACK });
  });
  it('a call gate to an inner ring whose stack segment is not present raises #SS(selector)', () => {
    const t = runCode(CALL, {}, (c) => {
      gate(0x38)(c); enterRing3(c);
      c.mem.write32(TSS_BASE + 12, 0x70000); c.mem.write32(TSS_BASE + 16, 0x41);
    });
    expect(deliveries(t)).toEqual([[12, 0x40, CODE + 10]]);
  });
  it('a call gate to an inner ring whose stack selector has the wrong RPL raises #TS(selector)', () => {
    const t = runCode(CALL, {}, (c) => {
      gate(0x38)(c); enterRing3(c);
      c.mem.write32(TSS_BASE + 12, 0x70000); c.mem.write32(TSS_BASE + 16, 0x40);
    });
    expect(deliveries(t)).toEqual([[10, 0x40, CODE + 10]]);
  });
});

describe('LOOP LOOPE LOOPNE JECXZ', () => {
  it('LOOP decrements ECX and jumps while it is not zero', () => {
    const t = ok(runCode('40 e2 fd', { eax: 0, ecx: 3 }));
    expect(regs(t.cpu)).toMatchObject({ eax: 3, ecx: 0 });
  });
  it('LOOP with ECX = 0 wraps to 0xffffffff and jumps', () => {
    const t = ok(runCode('e2 02 b0 01', { eax: 0, ecx: 0 }));
    expect(regs(t.cpu)).toMatchObject({ eax: 0, ecx: 0xffffffff });
  });
  it('LOOP changes no flag', () => {
    const t = ok(runCode('e2 02 b0 01', { ecx: 1, flags: ZF | CF }));
    expect(flagNames(t.flags() & ARITH)).toBe('CF ZF');
  });
  it('LOOPE jumps while ECX != 0 and ZF = 1', () => {
    expect(regs(ok(runCode('e1 02 b0 01', { eax: 0, ecx: 5, flags: ZF })).cpu)).toMatchObject({ eax: 0, ecx: 4 });
    expect(regs(ok(runCode('e1 02 b0 01', { eax: 0, ecx: 5 })).cpu)).toMatchObject({ eax: 1, ecx: 4 });
    expect(regs(ok(runCode('e1 02 b0 01', { eax: 0, ecx: 1, flags: ZF })).cpu)).toMatchObject({ eax: 1, ecx: 0 });
  });
  it('LOOPNE jumps while ECX != 0 and ZF = 0', () => {
    expect(regs(ok(runCode('e0 02 b0 01', { eax: 0, ecx: 5 })).cpu)).toMatchObject({ eax: 0, ecx: 4 });
    expect(regs(ok(runCode('e0 02 b0 01', { eax: 0, ecx: 5, flags: ZF })).cpu)).toMatchObject({ eax: 1, ecx: 4 });
  });
  it('LOOP with a 16-bit address size counts in CX', () => {
    const t = ok(runCode('67 e2 02 b0 01', { eax: 0, ecx: 0x10000 }));
    expect(regs(t.cpu)).toMatchObject({ eax: 0, ecx: 0x1ffff });
  });
  it('JECXZ jumps only when ECX is zero', () => {
    expect(regs(ok(runCode('e3 02 b0 01', { eax: 0, ecx: 0 })).cpu).eax).toBe(0);
    expect(regs(ok(runCode('e3 02 b0 01', { eax: 0, ecx: 0x10000 })).cpu).eax).toBe(1);
  });
  it('JCXZ (16-bit address size) tests CX only', () => {
    expect(regs(ok(runCode('67 e3 02 b0 01', { eax: 0, ecx: 0x10000 })).cpu).eax).toBe(0);
  });
});

describe('INT INT3 INTO IRET (same privilege)', () => {
  it('INT n pushes EFLAGS, CS and the next EIP; an interrupt gate clears IF', () => {
    const t = runCode('cd 40', { flags: IF | CF });
    expect(deliveries(t)).toEqual([[0x40, -1, CODE + 2]]);
    expect(t.frame()).toEqual({ eip: CODE + 2, cs: 0x08, eflags: IF | CF | 2 });
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 12);
    expect(t.cpu.eip >>> 0).toBe(TRAP_HLT + 1);
    expect(t.flags() & IF).toBe(0);
  });
  it('INT3 raises vector 3 with the EIP after the one-byte instruction', () => {
    expect(deliveries(runCode('90 cc'))).toEqual([[3, -1, CODE + 2]]);
  });
  it('INTO raises vector 4 after the instruction when OF is set', () => {
    expect(deliveries(runCode('ce', { flags: OF }))).toEqual([[4, -1, CODE + 1]]);
  });
  it('INTO does nothing when OF is clear', () => {
    expect(deliveries(runCode('ce b0 01', { eax: 0 }))).toEqual([]);
  });
  it('IRET returns to the interrupted code and restores EFLAGS and ESP', () => {
    const t = runCode('cd 40 b8 01 00 00 00', { flags: IF }, (c) => {
      setGate(c, 0x40, { offset: TARGET });
      poke(c, TARGET, 'bb 02 00 00 00 f9 cf'); // mov $2,%ebx; stc; iret
    });
    expect(deliveries(t)).toEqual([[0x40, -1, CODE + 2]]);
    expect(regs(t.cpu)).toMatchObject({ eax: 1, ebx: 2, esp: STACK_TOP });
    expect(flagNames(t.flags() & (ARITH | IF))).toBe('IF');
    expect(t.cpu.eip >>> 0).toBe(t.end + 1);
  });
  it('IRET at CPL 0 may change IF and IOPL', () => {
    // push $0x3202; push $8; push $next; iret
    const next = CODE + 13;
    const t = ok(runCode(`68 02 32 00 00 6a 08 68 ${le32(next)} cf`));
    expect(t.flags() & (IF | IOPL)).toBe(IF | IOPL);
    expect(t.cpu.eip >>> 0).toBe(next + 1);
  });
});

describe('BOUND', () => {
  const bounds = (c: Cpu) => {
    c.mem.write32(DATA, -10); c.mem.write32(DATA + 4, 100);
  };
  it('BOUND r32 within [lower, upper] (inclusive) does nothing', () => {
    for (const eax of [-10, 0, 100]) expect(deliveries(runCode('62 05 00 20 00 00', { eax }, bounds))).toEqual([]);
  });
  it('BOUND r32 below the lower bound raises #BR with EIP at the instruction', () => {
    expect(deliveries(runCode('62 05 00 20 00 00', { eax: -11 }, bounds))).toEqual([[5, -1, CODE]]);
  });
  it('BOUND r32 above the upper bound raises #BR (signed compare)', () => {
    expect(deliveries(runCode('62 05 00 20 00 00', { eax: 101 }, bounds))).toEqual([[5, -1, CODE]]);
    expect(deliveries(runCode('62 05 00 20 00 00', { eax: 0x80000000 }, bounds))).toEqual([[5, -1, CODE]]);
  });
  it('BOUND r16 uses word bounds', () => {
    const words = (c: Cpu) => { c.mem.write16(DATA, 0xfff6); c.mem.write16(DATA + 2, 0x0064); };
    expect(deliveries(runCode('66 62 05 00 20 00 00', { eax: 0x1234fff6 }, words))).toEqual([]);
    expect(deliveries(runCode('66 62 05 00 20 00 00', { eax: 0x0065 }, words))).toEqual([[5, -1, CODE]]);
  });
  it('BOUND with a register operand raises #UD', () => {
    expect(deliveries(runCode('62 c0'))).toEqual([[6, -1, CODE]]);
  });
});

/** A dword as little-endian hex bytes. */
function le32(v: number): string {
  return [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff).toString(16).padStart(2, '0')).join(' ');
}

describe('returning to an outer ring', () => {
  it('RET far to ring 3 clears a null DS of nonzero RPL (as QEMU and Bochs) and leaves a null FS alone (as QEMU)', () => {
    // mov $3,%ax; mov %ax,%ds; mov %ax,%fs; push $0x23; push $0x5f000; push $0x1b; push $end; lret  (end: the HLT, which faults at ring 3)
    const t = runCode('66 b8 03 00 8e d8 8e e0 6a 23 68 00 f0 05 00 6a 1b 68 17 10 00 00 cb', {}, (c) => installTss(c));
    expect(t.history.map((d) => [d.vector, d.code, d.eip])).toEqual([[13, 0, CODE + 23]]);
    expect(t.cpu.segSel[3]).toBe(0);
    expect(t.cpu.segSel[4]).toBe(3);
  });
});
