/**
 * INT n and IRET written out in WebAssembly (gates.ts): a system call loop from ring 3 through a gate into
 * ring 0 and back agrees with the interpreter at every budget, whatever the gate, the descriptors, the TSS
 * and the stacks are (every case gates.ts leaves to the handler included); the common case runs neither
 * instruction's handler; and the CPU's observers see what they see when the handlers run.
 */
import { describe, it, expect } from 'vitest';
import { agreeOnProgram, expectSameMachines } from '../../../../test/cpu/agree';
import { makeCpu, enablePaging, pteAddr, setGate, setDescriptor, enterRing3, installTss, CODE, GDT, TSS_BASE, type TestCpu } from '../../../../test/cpu/harness';
import { Executor } from '../executor';
import type { Cpu } from '../state';
import type { Instr } from '../instr';

const budgets = [1, 3, 7, 100, 100_000];
const hex = (b: number) => b.toString(16).padStart(2, '0');
/** l: inc %eax; int $0x80; dec %ecx; jnz l; hlt (at ring 3: #GP, whose gate halts); then the handler, at CODE + 7. */
const LOOP = '40 cd 80 49 75 fa f4';
const HANDLER = CODE + 7;
/** The handler's bodies: add $3,%ebx; ...; iret. */
const PLAIN = '83 c3 03 cf';
/** mov $0x10,%edx; mov %edx,%ds: back in ring 3, DS (DPL 0) must be cleared. */
const LOAD_DS0 = '83 c3 03 ba 10 00 00 00 8e da cf';
/** When ECX is 5 (the IRET compiled by then), pushf; orl $0x4000,(%esp); popf: NT set, the IRET is a return to a task. */
const SET_NT = '83 c3 03 83 f9 05 75 09 9c 81 0c 24 00 40 00 00 9d cf';
/** xorl $0x3000,8(%esp): each IRET at CPL 0 pops IOPL 3 and 0 in turn, which only CPL 0 may change. */
const SET_IOPL = '83 c3 03 81 74 24 08 00 30 00 00 cf';
/** When ECX is 5, orl $0x100,8(%esp): the IRET pops TF, a single step in ring 3 after it (its #DB halts). */
const SET_TF = '83 c3 03 83 f9 05 75 08 81 4c 24 08 00 01 00 00 cf';

interface Case {
  /** INT with a DS prefix (3 bytes): the handler one byte further on. */
  prefixed?: boolean;
  handler?: string;
  gate?: Parameters<typeof setGate>[2];
  more?: (c: Cpu) => void;
}

/** The loop at ring 3, 40 rounds, vector 0x80 an interrupt gate of DPL 3 to ring 0, the TSS's ring-0 stack at STACK_TOP. */
function syscalls(o: Case = {}) {
  return {
    code: `${o.prefixed ? '40 3e cd 80 49 75 f9 f4' : LOOP} ${o.handler ?? PLAIN}`,
    setup: (c: Cpu) => {
      setGate(c, 0x80, { offset: HANDLER + (o.prefixed ? 1 : 0), sel: 0x08, type: 0xe, dpl: 3, ...o.gate });
      c.r32[1] = 40;
      enterRing3(c);
      o.more?.(c);
    },
  };
}

const agrees = (o: Case = {}) => {
  const p = syscalls(o);
  for (const n of budgets) agreeOnProgram(p.code, n, p.setup);
};

/** A machine for the loop, in the tier (each block compiled at its first run). */
function tierMachine(o: Case = {}): TestCpu {
  const p = syscalls(o);
  const t = makeCpu(p.code, (c) => { enablePaging(c); p.setup(c); });
  t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
  return t;
}

/** The Instr at `eip`'s block's end (decoded now, and the same object the tier compiles). */
function lastOfBlockAt(t: TestCpu, eip: number): Instr {
  const saved = t.cpu.eip;
  t.cpu.eip = eip;
  const instrs = t.exec.blockAt().instrs;
  t.cpu.eip = saved;
  return instrs[instrs.length - 1];
}

/** How many times the INT's and the IRET's handlers run once their blocks are compiled (three rounds in). */
function handlerRuns(o: Case = {}): { int: number; iret: number; t: TestCpu } {
  const t = tierMachine(o);
  const int = lastOfBlockAt(t, CODE), iret = lastOfBlockAt(t, HANDLER);
  expect([int.opcode, iret.opcode]).toEqual([0xcd, 0xcf]);
  t.exec.run(3 * 6);
  expect(t.exec.blocksCompiledWasm).toBe(3);
  const runs = { int: 0, iret: 0, t };
  for (const [ins, k] of [[int, 'int'], [iret, 'iret']] as const) {
    const fn = ins.fn;
    ins.fn = (c, i) => { runs[k]++; fn(c, i); };
  }
  t.exec.run(100_000);
  expect(t.cpu.halted).toBe(true);
  return runs;
}

describe('INT and IRET written out in WebAssembly', () => {
  it('a system call from ring 3 and its return run neither handler, through an interrupt gate and a trap gate', () => {
    for (const type of [0xe, 0xf]) {
      const r = handlerRuns({ gate: { type } });
      expect([r.int, r.iret]).toEqual([0, 0]);
      expect([r.t.cpu.r32[0], r.t.cpu.r32[3], r.t.cpu.vectorCounts[0x80]]).toEqual([40, 120, 40]);
      agrees({ gate: { type } });
    }
  });

  it('with FS and GS null in ring 3 the IRET still runs inline; with DS of DPL 0 its handler clears DS', () => {
    const nullFsGs = (c: Cpu) => { c.setSegmentCache(4, 0, 0, 0, 0); c.setSegmentCache(5, 3, 0, 0, 0); };
    expect(handlerRuns({ more: nullFsGs }).iret).toBe(0);
    agrees({ more: nullFsGs });
    const r = handlerRuns({ handler: LOAD_DS0 });
    expect(r.iret).toBeGreaterThanOrEqual(37);
    expect(r.t.cpu.segSel[3]).toBe(0);
    agrees({ handler: LOAD_DS0 });
  });

  it('an IRET at the same privilege runs inline (the INT at the same privilege is its handler\'s)', () => {
    // The loop at ring 0: the HLT halts.
    const p = { code: `${LOOP} ${PLAIN}`, setup: (c: Cpu) => { setGate(c, 0x80, { offset: HANDLER, sel: 0x08, dpl: 0 }); c.r32[1] = 40; } };
    const t = makeCpu(p.code, (c) => { enablePaging(c); p.setup(c); });
    t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
    const int = lastOfBlockAt(t, CODE), iret = lastOfBlockAt(t, HANDLER);
    t.exec.run(3 * 6);
    let ints = 0, irets = 0;
    const f = int.fn, g = iret.fn;
    int.fn = (c, i) => { ints++; f(c, i); };
    iret.fn = (c, i) => { irets++; g(c, i); };
    t.exec.run(100_000);
    expect([t.cpu.halted, t.cpu.r32[3], ints, irets]).toEqual([true, 120, 37, 0]);
    for (const n of budgets) agreeOnProgram(p.code, n, p.setup);
  });

  it('an IRET in ring 3 does not change IF, which IOPL 0 keeps from it', () => {
    // The loop and its handler both at ring 3; the handler flips IF in the image the IRET pops.
    const p = {
      code: `${LOOP} 83 c3 03 81 74 24 08 00 02 00 00 cf`,
      setup: (c: Cpu) => { setGate(c, 0x80, { offset: HANDLER, sel: 0x1b, dpl: 3 }); c.r32[1] = 40; enterRing3(c); },
    };
    for (const n of budgets) agreeOnProgram(p.code, n, p.setup);
  });

  it('a far call to a flat code segment of the same ring runs inline; the ones it leaves agree with the interpreter', () => {
    // At ring 0, l: lcall *0x6000; dec %ecx; jnz l; hlt; then the target: add $3,%ebx; and when ECX is 5,
    // movw $SEL,0x6004 (the far pointer's selector, 0x08 until then); lret.
    const program = (sel: number) => ({
      code: `ff 1d 00 60 00 00 49 75 f7 f4 83 c3 03 83 f9 05 75 09 66 c7 05 04 60 00 00 ${hex(sel & 255)} 00 cb`,
      setup: (c: Cpu) => {
        c.r32[1] = 40;
        c.mem.write32(0x6000, CODE + 10); c.mem.write16(0x6004, 0x08);
        setDescriptor(c, 0x30, 0, 0xffff, 0x9b, 0x0); // 16-bit code
        setDescriptor(c, 0x38, 0, 0xfffff, 0x9f); // conforming code
      },
    });
    const p = program(0x08);
    const t = makeCpu(p.code, (c) => { enablePaging(c); p.setup(c); });
    t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
    const call = lastOfBlockAt(t, CODE);
    expect(call.opcode).toBe(0xff);
    t.exec.run(3 * 5);
    let calls = 0;
    const fn = call.fn;
    call.fn = (c, i) => { calls++; fn(c, i); };
    t.exec.run(100_000);
    expect([t.cpu.halted, t.cpu.r32[3], calls]).toEqual([true, 120, 0]);
    // From the 36th call on: RPL 3 above the CPL (#GP), ring 3's code (DPL 3, #GP), a 16-bit code segment, a
    // conforming one: the handler's.
    for (const sel of [0x08, 0x0b, 0x18, 0x30, 0x38]) for (const n of budgets) agreeOnProgram(program(sel).code, n, program(sel).setup);
  });

  it('gates the handler must refuse or fault on agree with the interpreter', () => {
    agrees({ gate: { dpl: 0 } }); // #GP(0x402): the gate's DPL is below the CPL
    agrees({ gate: { present: false } }); // #NP
    agrees({ gate: { type: 0x6 } }); // a 16-bit interrupt gate
    agrees({ more: (c) => { c.idtr = { sel: 0, base: c.idtr.base, limit: 0x80 * 8 + 6, attr: 0 }; } }); // beyond IDTR's limit
    agrees({ gate: { sel: 0 } }); // a null code selector
    agrees({ gate: { sel: 0x0c } }); // an LDT selector
  });

  it('code and stack segments the fast path does not take agree with the interpreter', () => {
    // Code not yet accessed: the first INT's handler sets the bit, the next ones run inline.
    agrees({ gate: { sel: 0x30 }, more: (c) => setDescriptor(c, 0x30, 0, 0xfffff, 0x9a) });
    const notAccessed = handlerRuns({ gate: { sel: 0x30 }, more: (c) => setDescriptor(c, 0x30, 0, 0xfffff, 0x9a) });
    expect(notAccessed.int).toBe(0);
    expect((notAccessed.t.mem.read32(GDT + 0x34) >>> 8) & 1).toBe(1);
    // Code with a base (the handler runs through a CS that is not flat), conforming code, a 16-bit code segment.
    agrees({ gate: { sel: 0x30, offset: HANDLER - 0x1000 }, more: (c) => setDescriptor(c, 0x30, 0x1000, 0xfffff, 0x9b) });
    agrees({ gate: { sel: 0x30 }, more: (c) => setDescriptor(c, 0x30, 0, 0xfffff, 0x9f) });
    agrees({ gate: { sel: 0x30 }, more: (c) => setDescriptor(c, 0x30, 0, 0xfffff, 0x9b, 0x8) });
    // The TSS's SS0: not accessed, of DPL 3, read-only, with RPL 1, not present.
    for (const [access, rpl] of [[0x92, 0], [0xf3, 0], [0x91, 0], [0x93, 1], [0x13, 0]]) {
      agrees({ more: (c) => { setDescriptor(c, 0x38, 0, 0xfffff, access); installTss(c, { ss0: 0x38 | rpl }); } });
    }
  });

  it('ring-0 stacks the fast path does not take agree with the interpreter', () => {
    // The frame across a page end, the next page mapped to another frame, where a frame is read wrongly
    // from the physical page after (ESP 0x1234, SS 0x23): the INT and the IRET are their handlers'.
    const acrossPages = (c: Cpu) => {
      installTss(c, { esp0: 0x7008 });
      c.mem.write32(pteAddr(0x7000), 0x9000 | 7);
      c.mem.write32(0x7000, 0x1234); c.mem.write32(0x7004, 0x23);
    };
    agrees({ more: acrossPages });
    expect(handlerRuns({ more: acrossPages })).toMatchObject({ int: 37, iret: 37 });
    // On a page not mapped (a double fault, then a triple fault).
    agrees({ more: (c) => installTss(c, { esp0: 0x5800 }) });
    // On a page holding decoded code: the frame is written by the CPU, which drops what it overwrites.
    agrees({ more: (c) => installTss(c, { esp0: CODE + 0x800 }) });
    expect(handlerRuns({ more: (c) => installTss(c, { esp0: CODE + 0x800 }) }).int).toBe(37);
    // A 16-bit TSS: SS0:SP0 at 4 and 2 (0x38, a flat ring-0 stack, and 0xf000), where a 32-bit TSS would
    // give ESP0 = 0x38 and SS0 = 0x10 (page 0 dirty, so that the TLB would let the supervisor write there).
    agrees({
      more: (c) => {
        c.mem.write32(pteAddr(0), 0x47);
        setDescriptor(c, 0x38, 0, 0xfffff, 0x93);
        c.tr = { sel: c.tr.sel, base: c.tr.base, limit: c.tr.limit, attr: 0x83 };
        c.mem.write16(TSS_BASE + 2, 0xf000); c.mem.write32(TSS_BASE + 4, 0x38);
      },
    });
  });

  it('an IRET that pops TF, one that pops IOPL, and one with NT set (the handler\'s), agree with the interpreter', () => {
    agrees({ handler: SET_TF });
    agrees({ handler: SET_IOPL });
    agrees({ handler: SET_NT });
    const t = tierMachine({ handler: SET_TF });
    t.exec.run(100_000);
    expect(t.history.map((d) => d.vector).filter((v) => v !== 0x80)).toEqual([1]);
  });

  it('the lguest Host\'s and the debugger\'s observer sees the same at each INT in both tiers', () => {
    const seen = (wasmAfter: number, prefixed: boolean) => {
      const p = syscalls({ prefixed });
      const t = makeCpu(p.code, (c) => { enablePaging(c); p.setup(c); });
      t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter, wasmBatch: 1 });
      const log: number[][] = [];
      const c = t.cpu;
      c.onVector = (vector, code, eip) => log.push([vector, code, eip, c.eip, c.segSel[1], c.segSel[2], c.r32[4], c.cpl, c.instructions, c.r32[0]]);
      t.exec.run(100_000);
      return { t, log };
    };
    // Also with a prefix on the INT: the return EIP the observer gets is after all of its bytes.
    for (const prefixed of [false, true]) {
      const a = seen(Infinity, prefixed), b = seen(1, prefixed);
      expect(b.log.length).toBe(41); // 40 system calls, the #GP at the end
      expect(b.log).toEqual(a.log);
      expectSameMachines(a.t, b.t, 'at the end');
    }
  });
});
