/**
 * The run loop: blocks, compiled blocks, self-modifying code, exact
 * instruction counts, and faults reported at the right EIP whatever tier
 * (interpreted or compiled) runs the code.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, setDescriptor, setGate, CODE, TRAP_HLT } from '../../../test/cpu/harness';
import type { Cpu } from './state';
import { Exit, Executor } from './executor';

describe('executor', () => {
  it('counts each instruction once, whether its block is interpreted or compiled', () => {
    // mov $1000,%ecx; l: add %ecx,%eax; dec %ecx; jnz l; hlt  -> 1 + 3*1000 instructions, then HLT
    const t = makeCpu('b9 e8 03 00 00 01 c8 49 75 fb');
    t.run(1_000_000);
    expect(t.cpu.r32[0]).toBe(500500);
    expect(t.cpu.instructions).toBe(1 + 3000 + 1);
    expect(t.exec.blocksCompiledWasm).toBeGreaterThan(0);
  });

  it('stops exactly at the budget, even inside a compiled loop', () => {
    const code = 'b9 e8 03 00 00 01 c8 49 75 fb';
    const whole = makeCpu(code);
    whole.run(1501);
    const stepped = makeCpu(code);
    for (let k = 0; k < 1501; k++) stepped.exec.run(1);
    expect(whole.cpu.instructions).toBe(1501);
    expect(stepped.cpu.instructions).toBe(1501);
    expect(whole.cpu.r32[0]).toBe(stepped.cpu.r32[0]);
    expect(whole.cpu.r32[1]).toBe(stepped.cpu.r32[1]);
    expect(whole.cpu.eip).toBe(stepped.cpu.eip);
  });

  it('reports a fault in the middle of a block at the faulting instruction, counting it once', () => {
    // inc %eax; inc %eax; div %ebx (EBX=0: #DE); inc %eax
    const t = makeCpu('40 40 f7 f3 40');
    t.run();
    expect(t.lastVector).toBe(0);
    // The handler frame holds the faulting EIP: the DIV at CODE+2.
    expect(t.mem.read32(t.cpu.r32[4] >>> 0)).toBe(CODE + 2);
    expect(t.cpu.r32[0]).toBe(2);
    expect(t.cpu.eip >>> 0).toBe(TRAP_HLT + 1);
    expect(t.cpu.instructions).toBe(3 + 1);
  });

  it('counts a faulting instruction once when stepping one instruction at a time', () => {
    // inc %eax; inc %eax; div %ebx (EBX=0: #DE); inc %eax
    const t = makeCpu('40 40 f7 f3 40');
    for (let k = 0; k < 4; k++) t.exec.run(1);
    expect(t.lastVector).toBe(0);
    expect(t.cpu.instructions).toBe(4); // inc, inc, the faulting div, the handler's HLT
    expect(t.cpu.halted).toBe(true);
  });

  it('counts a REP string the same in one run as in single steps, through a fault in its middle', () => {
    // mov $0x30,%ax; mov %ax,%es; rep stosb into a segment that ends at 0x2004: the sixth iteration raises #GP(0).
    const code = '66 b8 30 00 8e c0 f3 aa';
    const setup = (c: Cpu) => {
      setDescriptor(c, 0x30, 0, 0x2004, 0x92, 0x4);
      c.r32[7] = 0x2000; // EDI
      c.r32[1] = 10; // ECX
    };
    const whole = makeCpu(code, setup);
    whole.run();
    const stepped = makeCpu(code, setup);
    for (let k = 0; k < 100 && !stepped.cpu.halted; k++) stepped.exec.run(1);
    expect(whole.lastVector).toBe(13);
    expect(whole.cpu.r32[1]).toBe(5);
    // mov, mov, five stores, the faulting sixth, the handler's HLT.
    expect(whole.cpu.instructions).toBe(2 + 6 + 1);
    expect(stepped.cpu.instructions).toBe(whole.cpu.instructions);
  });

  for (const [tier, options] of [['WebAssembly', { wasmAfter: 10, wasmBatch: 1 }], ['JavaScript', { compileAfter: 10 }]] as const) {
    it(`reports a fault in a block compiled to ${tier} at the faulting instruction`, () => {
      // A loop whose body divides by zero on its 100th pass, long after the block was compiled:
      // mov $100,%ecx; l: mov $1,%eax; xor %edx,%edx; dec %ecx; div %ecx; jmp l
      const t = makeCpu('b9 64 00 00 00 b8 01 00 00 00 31 d2 49 f7 f1 eb f4');
      t.exec = new Executor(t.cpu, options);
      t.run(100_000);
      expect(t.lastVector).toBe(0);
      expect(tier === 'WebAssembly' ? t.exec.blocksCompiledWasm : t.exec.blocksCompiledJs).toBeGreaterThan(0);
      expect(t.mem.read32(t.cpu.r32[4] >>> 0)).toBe(CODE + 13);
      expect(t.cpu.r32[1]).toBe(0);
      // mov; 99 whole passes; mov, xor, dec and the faulting div; then the HLT.
      expect(t.cpu.instructions).toBe(1 + 5 * 99 + 4 + 1);
    });
  }

  it('reports a fault on fetching the target of a branch at the target', () => {
    // jmp to 0x200000: beyond 1 MiB of RAM is open bus, which decodes as FF FF: #UD at the target.
    const t = makeCpu('e9 fb ff 1f 00'); // jmp 0x201000 (CODE + 5 + 0x1ffffb)
    t.run();
    expect(t.lastVector).toBe(6);
    expect(t.mem.read32(t.cpu.r32[4] >>> 0)).toBe(0x201000);
  });

  it('sees code that the guest rewrote, even inside the running block', () => {
    // movb $0x43,CODE+8 (rewrites the inc %eax below into inc %ebx); nop; nop; inc %eax
    const t = makeCpu('c6 05 08 10 00 00 43 90 40');
    t.run();
    expect(t.cpu.r32[0]).toBe(0);
    expect(t.cpu.r32[3]).toBe(1);
  });

  it('drops compiled code when its page is written', () => {
    // Run a loop until compiled, then patch its increment and run it again.
    const loop = 'b9 c8 00 00 00 40 49 75 fc'; // mov $200,%ecx; l: inc %eax; dec %ecx; jnz l
    const t = makeCpu(loop);
    t.run();
    expect(t.cpu.r32[0]).toBe(200);
    t.mem.write8(CODE + 5, 0x43); // inc %ebx
    t.cpu.eip = CODE;
    t.cpu.halted = false;
    t.run();
    expect(t.cpu.r32[0]).toBe(200);
    expect(t.cpu.r32[3]).toBe(200);
  });

  it('single-steps with TF: a #DB trap after each instruction', () => {
    // pushf; orl $0x100,(%esp); popf; nop; nop
    const t = makeCpu('9c 81 0c 24 00 01 00 00 9d 90 90');
    let traps = 0;
    t.cpu.onVector = (v) => { if (v === 1) traps++; };
    t.run();
    expect(traps).toBe(1); // the first trap comes after the instruction following POPF
    expect(t.mem.read32(t.cpu.r32[4] >>> 0)).toBe(CODE + 10);
  });

  it('returns HALTED on HLT and SHUTDOWN on a triple fault', () => {
    const h = makeCpu('90');
    expect(h.exec.run(100)).toBe(Exit.HALTED);
    const t = makeCpu('0f 0b', (c) => { c.idtr = { sel: 0, base: 0, limit: 0, attr: 0 }; });
    expect(t.exec.run(100)).toBe(Exit.SHUTDOWN);
    expect(t.cpu.shutdownReason).toMatch(/^triple fault/);
  });
});

describe('RF', () => {
  it('an IRET that loads RF keeps it for the next instruction, which then clears it', () => {
    // push $0x10002 (EFLAGS with RF); push %cs; push $next; iret; next: nop; nop
    const t = makeCpu('68 02 00 01 00 0e 68 0c 10 00 00 cf 90 90');
    t.exec.run(4); // the three pushes and the IRET
    expect(t.cpu.flagsRaw & 0x10000).toBe(0x10000);
    t.exec.run(1); // the first NOP
    expect(t.cpu.flagsRaw & 0x10000).toBe(0);
    expect(t.cpu.eip >>> 0).toBe(CODE + 13);
  });
});

describe('breakpoints', () => {
  // mov $1000,%ecx; l: add %ecx,%eax; dec %ecx; jnz l; hlt: the loop body starts at CODE+5, DEC is at CODE+7.
  const code = 'b9 e8 03 00 00 01 c8 49 75 fb';
  for (const compileAfter of [1, Infinity]) {
    it(`stop in front of the instruction, in the middle of a hot loop (compileAfter ${compileAfter})`, () => {
      const t = makeCpu(code);
      const exec = new Executor(t.cpu, { compileAfter });
      exec.setBreakpoints([CODE + 7]);
      let hits = 0;
      while (exec.run(1_000_000) === Exit.BREAKPOINT) {
        hits++;
        expect(t.cpu.eip >>> 0).toBe(CODE + 7);
        // mov, then per pass: add (and dec/jnz of the passes before).
        expect(t.cpu.instructions).toBe(1 + hits + 2 * (hits - 1));
        exec.resumeFrom = CODE + 7;
      }
      expect(hits).toBe(1000);
      expect(t.cpu.r32[0]).toBe(500500);
      expect(t.cpu.instructions).toBe(1 + 3000 + 1);
    });
  }

  // Each of these runs one instruction at a time: a breakpoint there stopped nothing before.
  const oneAtATime: Array<[string, string, number]> = [
    ['after STI (the interrupt shadow)', 'fb 90 90', CODE + 1],
    ['with TF set (the Guest single-steps itself)', '9c 81 0c 24 00 01 00 00 9d 90 90', CODE + 9],
    // push $0x10002 (EFLAGS with RF); push %cs; push $next; iret; next: nop; nop
    ['after an IRET that loaded RF', '68 02 00 01 00 0e 68 0c 10 00 00 cf 90 90', CODE + 12],
    // ud2, whose #UD frame has RF; the handler skips it: addl $2,(%esp); iret
    ['after a fault handler returned with RF', '0f 0b 90 90', CODE + 2],
  ];
  for (const [when, bytes, at] of oneAtATime) {
    it(`stop in front of the instruction ${when}`, () => {
      const t = makeCpu(bytes, (c) => {
        c.mem.load(0x5000, new Uint8Array([0x83, 0x04, 0x24, 0x02, 0xcf]));
        setGate(c, 6, { offset: 0x5000 });
      });
      t.exec.setBreakpoints([at]);
      expect(t.exec.run(100)).toBe(Exit.BREAKPOINT);
      expect(t.cpu.eip >>> 0).toBe(at);
    });
  }

  it('stops again at the same place unless told it resumes from there, and not at all once cleared', () => {
    const t = makeCpu(code);
    t.exec.setBreakpoints([CODE + 5]);
    expect(t.exec.run(100)).toBe(Exit.BREAKPOINT);
    expect(t.exec.run(100)).toBe(Exit.BREAKPOINT);
    expect(t.cpu.instructions).toBe(1);
    t.exec.setBreakpoints([]);
    t.exec.run(1_000_000);
    expect(t.cpu.r32[0]).toBe(500500);
  });
});
