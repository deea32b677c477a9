/**
 * Each instruction the WebAssembly tier writes agrees with its handler: the
 * same registers, flags, memory, faults (across an unmapped page) and
 * instruction count, over edge and random operands, on registers and in
 * memory, followed by SETcc of every condition and a Jcc reading the flags
 * it left. And each form is really taken by the tier. (compile/inline.test.ts
 * holds the tier to the same for every form the JavaScript tier writes.)
 */
import { describe, it, expect } from 'vitest';
import { disagreement, randomCase, randomData, rng, address, value, wasmWritesInline, agreeOnProgram, expectSameMachines, type Case } from '../../../../test/cpu/agree';
import { CODE } from '../../../../test/cpu/harness';

const EBX = 3;
const reg = (op: number[], r: number, rm: number, ...imm: number[]) => [...op, 0xc0 | (r << 3) | rm, ...imm];
const mem = (op: number[], r: number, ...imm: number[]) => [...op, 0x40 | (r << 3) | EBX, 0x10, ...imm];
const d32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
const memAt = (regs: number[], r: () => number) => { regs[EBX] = address(r) - 0x10; };
const hex = (b: number) => b.toString(16).padStart(2, '0');

interface Form { name: string; bytes: number[]; adjust?: (regs: number[], r: () => number) => void }

function both(name: string, op: number[], r: number, imm: number[] = [], adjust?: Form['adjust']): Form[] {
  return [
    { name: `${name} reg`, bytes: reg(op, r, 6, ...imm), adjust },
    { name: `${name} reg same`, bytes: reg(op, r, r === 4 ? 0 : r, ...imm), adjust },
    { name: `${name} mem`, bytes: mem(op, r, ...imm), adjust: (regs, g) => { adjust?.(regs, g); memAt(regs, g); } },
  ];
}

/** Every form against the interpreter, each with every Jcc after it; and taken by the tier. */
/** `inline`: each form must be written out (false for DIV and IDIV, whose #DE goes through their handler). */
function check(forms: Form[], cases = 16, inline = true): void {
  for (const f of forms) {
    if (inline) expect(wasmWritesInline(f.bytes), `${f.name} (${f.bytes.map(hex).join(' ')}) is written inline`).toBe(true);
    const r = rng(f.bytes.reduce((h, b) => (h * 31 + b) | 0, 11));
    const data = randomData(r);
    // Four of the sixteen Jcc each time, a different four for each form (SETcc reads all sixteen anyway).
    for (const cc of [0, 4, 8, 12].map((q) => q + ((r() >>> 0) % 4))) {
      const ks: Case[] = Array.from({ length: cases }, () => randomCase(r, data, f.adjust));
      // The registers in memory, and in locals (ExecutorOptions.wasmLocals).
      for (const tier of ['wasm', 'wasm-locals'] as const) {
        const why = disagreement(f.bytes, ks, cc, [10_000], tier);
        expect(why, `${f.name} (${f.bytes.map(hex).join(' ')}), jcc ${cc}, ${tier}`).toBeNull();
      }
    }
  }
}

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];
const WRITTEN = [0, 1, 2, 3, 4, 5, 6, 7];

describe('the WebAssembly tier agrees with the handlers', () => {
  it('byte MOVs, moffs MOVs, NOP', () => {
    check([
      ...both('mov Eb,Gb', [0x88], 1), { name: 'mov Eb,Gb high', bytes: reg([0x88], 7, 2) },
      ...both('mov Gb,Eb', [0x8a], 5), { name: 'mov Gb,Eb high', bytes: reg([0x8a], 4, 3) },
      ...both('mov Eb,Ib', [0xc6], 0, [0x9c]), { name: 'mov bh,imm', bytes: [0xb7, 0x81] }, { name: 'mov al,imm', bytes: [0xb0, 0x7f] },
      { name: 'mov eax,moffs', bytes: [0xa1, ...d32(0x4ff0)] }, { name: 'mov moffs,eax', bytes: [0xa3, ...d32(0x4ffe)] },
      { name: 'mov al,moffs', bytes: [0xa0, ...d32(0x4321)] }, { name: 'mov moffs,al', bytes: [0xa2, ...d32(0x5000)] },
      { name: 'nop', bytes: [0x90] },
    ]);
  });

  it('byte compares and tests; shifts of registers by a constant; SETcc; CMOVcc of registers', () => {
    const forms: Form[] = [
      ...both('cmp Eb,Ib', [0x80], 7, [0x80]), { name: 'cmp al,Ib', bytes: [0x3c, 0x7f] }, ...both('cmp Eb,Gb', [0x38], 3),
      ...both('cmp Gb,Eb', [0x3a], 6), ...both('test Eb,Ib', [0xf6], 0, [0x81]), ...both('test Eb,Gb', [0x84], 2),
      { name: 'test al,Ib', bytes: [0xa8, 0x80] }, { name: 'cmp ah,bh', bytes: reg([0x38], 7, 4) },
    ];
    for (const r of [4, 5, 7]) {
      forms.push({ name: `d1/${r}`, bytes: reg([0xd1], r, 3) });
      for (const n of [0, 1, 2, 7, 31, 32, 33]) forms.push({ name: `c1/${r} ${n}`, bytes: reg([0xc1], r, 3, n) });
    }
    forms.push({ name: 'shl; inc', bytes: [...reg([0xc1], 4, 0, 3), 0x40] }, { name: 'inc; shr', bytes: [0x40, ...reg([0xd1], 5, 0)] });
    for (let cc = 0; cc < 16; cc += 3) forms.push(...both(`set${cc}`, [0x0f, 0x90 | cc], 0), { name: `cmov${cc}`, bytes: reg([0x0f, 0x40 | cc], 2, 6) });
    forms.push({ name: 'cmp; cmovl', bytes: [0x39, 0xd8, ...reg([0x0f, 0x4c], 2, 6)] }, { name: 'shr; setc', bytes: [...reg([0xc1], 5, 0, 4), ...reg([0x0f, 0x92], 0, 1)] });
    check(forms);
  });

  it('MOV, LEA', () => {
    check([
      ...both('mov Ew,Gw', [0x66, 0x89], 2), ...both('mov Gw,Ew', [0x66, 0x8b], 2), ...both('mov Ew,Iw', [0x66, 0xc7], 0, [0x34, 0x92]),
      { name: 'mov dx,imm16', bytes: [0x66, 0xba, 0xff, 0x80] }, { name: 'mov sp,imm16', bytes: [0x66, 0xbc, 0x00, 0x10] },
      ...both('mov Ev,Gv', [0x89], 2), ...both('mov Gv,Ev', [0x8b], 2),
      { name: 'mov eax,imm', bytes: [0xb8, ...d32(0x12345678)] }, { name: 'mov edi,imm', bytes: [0xbf, ...d32(0x80000000)] },
      ...both('mov Ev,Iz', [0xc7], 0, d32(0xdeadbeef)),
      { name: 'lea', bytes: [0x8d, 0x44, 0x8b, 0x7c] }, { name: 'lea disp32', bytes: [0x8d, 0x05, ...d32(0x1234)] },
    ]);
  });

  it('ADD, OR, ADC, SBB, AND, SUB, XOR, CMP in all their doubleword forms; TEST', () => {
    const forms: Form[] = [];
    for (const aop of WRITTEN) {
      forms.push(...both(`${ALU[aop]} Ev,Gv`, [(aop << 3) | 1], 2), ...both(`${ALU[aop]} Gv,Ev`, [(aop << 3) | 3], 2));
      forms.push({ name: `${ALU[aop]} eAX,Iz`, bytes: [(aop << 3) | 5, ...d32(0x80000000)] });
      forms.push(...both(`${ALU[aop]} Ev,Iz`, [0x81], aop, d32(0xffffffff)), ...both(`${ALU[aop]} Ev,Ibs`, [0x83], aop, [0x80]));
    }
    forms.push(...both('test Ev,Gv', [0x85], 2), { name: 'test eax,Iz', bytes: [0xa9, ...d32(0x8000ffff)] }, ...both('test Ev,Iz', [0xf7], 0, d32(1)));
    check(forms);
  });

  it('INC and DEC of registers, after a flag-setter and alone', () => {
    const forms: Form[] = [];
    for (let op = 0x40; op < 0x50; op++) if ((op & 7) !== 4) forms.push({ name: `${hex(op)}`, bytes: [op] });
    forms.push({ name: 'add; inc', bytes: [0x01, 0xd0, 0x40] }, { name: 'sub; dec', bytes: [0x29, 0xd0, 0x48] });
    forms.push({ name: 'and; inc', bytes: [0x21, 0xd0, 0x40] }, { name: 'inc; dec', bytes: [0x40, 0x4b] });
    check(forms);
  });

  it('IMUL in its three forms, MUL and IMUL of EAX, DIV and IDIV (#DE by their handlers)', () => {
    const EDX = 2;
    const forms: Form[] = [...both('imul Gv,Ev', [0x0f, 0xaf], 2)];
    for (const imm of [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x10001]) forms.push(...both(`imul 69 ${imm}`, [0x69], 1, d32(imm)));
    for (const imm of [0, 1, 0x7f, 0x80, 0xff]) forms.push(...both(`imul 6b ${imm}`, [0x6b], 7, [imm]));
    forms.push(...both('imul Ev', [0xf7], 5), ...both('mul Ev', [0xf7], 4));
    check(forms);
    // DIV: a high half below the divisor half the time, so that most cases divide and some raise #DE.
    const divides = both('div Ev', [0xf7], 6, [], (regs, r) => { if (r() & 1) regs[EDX] = (r() & 1) ? 0 : value(r) & 0xffff; });
    // IDIV: EDX the sign of EAX half the time; -2^31 / -1 and a divisor of -1 now and then.
    divides.push(...both('idiv Ev', [0xf7], 7, [], (regs, r) => {
      if (r() & 1) regs[EDX] = regs[0] >> 31;
      if ((r() >>> 0) % 8 === 0) { regs[0] = 0x80000000 | 0; regs[EDX] = -1; regs[6] = -1; }
      if ((r() >>> 0) % 8 === 1) regs[6] = -1;
    }));
    check(divides, 32, false);
  });

  it('the eight ALU operations on bytes in every form (AH..BH too); TEST of bytes', () => {
    const forms: Form[] = [];
    for (const aop of WRITTEN) {
      forms.push(...both(`${ALU[aop]} Eb,Gb`, [aop << 3], 2), ...both(`${ALU[aop]} Gb,Eb`, [(aop << 3) | 2], 6));
      forms.push({ name: `${ALU[aop]} ah,bh`, bytes: reg([aop << 3], 7, 4) }, { name: `${ALU[aop]} AL,Ib`, bytes: [(aop << 3) | 4, 0x80] });
      forms.push(...both(`${ALU[aop]} Eb,Ib`, [0x80], aop, [0xff]));
    }
    forms.push(...both('test Eb,Gb', [0x84], 3), ...both('test Eb,Ib', [0xf6], 0, [0x80]), { name: 'test al,Ib', bytes: [0xa8, 0x01] });
    forms.push({ name: 'add; inc', bytes: [0x00, 0xd8, 0x40] }, { name: 'sub; adc', bytes: [0x28, 0xd8, 0x11, 0xc1] });
    forms.push({ name: 'add; adc', bytes: [0x01, 0xd8, 0x11, 0xca] }, { name: 'sub; sbb', bytes: [0x29, 0xd8, 0x19, 0xca] });
    forms.push({ name: 'inc; adc', bytes: [0x40, 0x11, 0xca] }, { name: 'shl; sbb', bytes: [...reg([0xc1], 4, 0, 3), 0x19, 0xca] });
    check(forms);
  });

  it('INC, DEC, NOT, NEG and PUSH of r/m32; shifts of registers by CL; CDQ, CWDE; NOP with prefixes', () => {
    const ECX = 1;
    const forms: Form[] = [];
    for (const r of [0, 1]) forms.push(...both(`ff/${r}`, [0xff], r));
    forms.push({ name: 'add; inc mem', bytes: [0x01, 0xd0, 0xff, 0x43, 0x10] });
    for (const r of [2, 3]) forms.push(...both(`f7/${r}`, [0xf7], r));
    forms.push(...both('push Ev', [0xff], 6));
    // Counts of 0 (flags and register untouched), 1, up to 31, and above (masked to 5 bits).
    const count = (regs: number[], g: () => number) => { regs[ECX] = [0, 1, 2, 31, 32, 33, 0xff][(g() >>> 0) % 7]; };
    for (const r of [4, 5, 7]) {
      forms.push({ name: `d3/${r}`, bytes: reg([0xd3], r, 3), adjust: count });
      forms.push({ name: `add; d3/${r}`, bytes: [0x01, 0xd0, ...reg([0xd3], r, 3)], adjust: count });
    }
    forms.push({ name: 'cdq', bytes: [0x99] }, { name: 'cwde', bytes: [0x98] });
    forms.push({ name: 'o16 nop', bytes: [0x66, 0x90] }, { name: 'pause', bytes: [0xf3, 0x90] });
    check(forms);
  });

  it('XCHG of registers and with memory; shifts of memory by a constant (0: the operand is still read)', () => {
    const forms: Form[] = [...both('xchg Ev,Gv', [0x87], 2), { name: 'xchg Eb,Gb', bytes: reg([0x86], 7, 1) }, { name: 'xchg al,bl', bytes: reg([0x86], 3, 0) }];
    for (let op = 0x91; op <= 0x97; op++) if (op !== 0x94) forms.push({ name: hex(op), bytes: [op] });
    for (const r of [4, 5, 7]) {
      forms.push({ name: `d1/${r} mem`, bytes: mem([0xd1], r) }, { name: `d1/${r} mem; jcc`, bytes: [...mem([0xd1], r), 0x0f, 0x92, 0xc0] });
      for (const n of [0, 1, 2, 31, 33]) forms.push({ name: `c1/${r} mem ${n}`, bytes: mem([0xc1], r, n), adjust: (regs, g) => memAt(regs, g) });
    }
    check(forms.map((f) => (f.adjust === undefined && f.name.includes('mem') ? { ...f, adjust: memAt } : f)));
  });

  it('PUSHA and POPA, with ESP anywhere (across a page end, into an unmapped page: the handler then)', () => {
    const anywhere = (regs: number[], r: () => number) => { regs[4] = address(r) + 32; };
    check([
      { name: 'pusha', bytes: [0x60], adjust: anywhere }, { name: 'popa', bytes: [0x61], adjust: anywhere },
      { name: 'pusha; popa', bytes: [0x60, 0x61], adjust: anywhere },
    ], 16, false);
  });

  it('LEAVE, with EBP anywhere (a fault leaves ESP as it was)', () => {
    // Written out for a 32-bit stack the TLB maps; its handler takes the rest, so it is not "inline" here.
    check([{ name: 'leave', bytes: [0xc9], adjust: (regs, r) => { regs[5] = address(r); } }], 16, false);
  });

  it('LOOP, LOOPE, LOOPNE, JECXZ, CALL r/m32 and RET imm16 ending a block', () => {
    // Taken, each skips the first SETcc after it (7 bytes); CALL's target is in ESI or at [EBX+0x10].
    const ECX = 1, ESI = 6, CALL_AT = CODE + 2 + 7;
    const small = (regs: number[], r: () => number) => { regs[ECX] = (r() >>> 0) % 3; };
    check([
      { name: 'loop', bytes: [0xe2, 7], adjust: small }, { name: 'loope', bytes: [0xe1, 7], adjust: small },
      { name: 'loopne', bytes: [0xe0, 7], adjust: small },
      { name: 'jecxz', bytes: [0xe3, 7], adjust: (regs, r) => { regs[ECX] = (r() >>> 0) % 2; } },
      { name: 'call esi', bytes: reg([0xff], 2, ESI), adjust: (regs, r) => { regs[ESI] = (r() >>> 0) % 4 === 0 ? value(r) : CALL_AT; } },
      { name: 'call [ebx+0x10]', bytes: mem([0xff], 2), adjust: memAt },
    ]);
    const ret = [0x68, ...d32(CODE + 5 + 3 + 7), 0xc2, 8, 0];
    expect(wasmWritesInline(ret.slice(5))).toBe(true);
    check([{ name: 'push; ret 8', bytes: ret }], 16, false);
  });

  it('PUSH (of segment registers too), PUSHF (after a flag-setter and alone), POP, MOVZX, MOVSX', () => {
    const forms: Form[] = [];
    for (let r = 0; r < 8; r++) forms.push({ name: `push r${r}`, bytes: [0x50 + r] }, { name: `pop r${r}`, bytes: [0x58 + r] });
    forms.push({ name: 'push imm', bytes: [0x68, ...d32(0xfedcba98)] }, { name: 'push imm8', bytes: [0x6a, 0x80] });
    forms.push({ name: 'pushf', bytes: [0x9c] }, { name: 'add; pushf', bytes: [0x01, 0xd8, 0x9c] }, { name: 'inc; pushf', bytes: [0x40, 0x9c] });
    forms.push(...[[0x06], [0x0e], [0x16], [0x1e], [0x0f, 0xa0], [0x0f, 0xa8]].map((b) => ({ name: `push sreg ${b.map(hex).join(' ')}`, bytes: b })));
    for (const op of [0xb6, 0xb7, 0xbe, 0xbf]) forms.push(...both(`${hex(op)}`, [0x0f, op], 2), { name: `${hex(op)} high`, bytes: reg([0x0f, op], 1, 7) });
    check(forms);
  });
});

import { makeCpu, enablePaging, pteAddr, setGate, setDescriptor, enterRing3, PAGE_DIR, PAGE_TABLE, GDT } from '../../../../test/cpu/harness';
import { Executor, Exit } from '../executor';
import { CHAIN_SLOTS, MAX_CHAINED } from './layout';
import { jumpSlot } from './dispatch';

/**
 * A loop through an INT and the IRET of its handler, both blocks ending in handlers. When ECX is `at`, the
 * handler ORs `flag` (in ESI) into the EFLAGS the IRET pops, in the same block, compiled by then:
 * l: inc %eax; int $0x40; dec %ecx; jnz l; hlt; h: add $3,%ebx; cmp $at,%ecx; cmove %esi,%edx; or %edx,8(%esp); iret
 */
function intIretLoop(at: number, flag: number, setup?: (c: import('../state').Cpu) => void) {
  const code = `40 cd 40 49 75 fa f4 83 c3 03 83 f9 ${hex(at & 0xff)} 0f 44 d6 09 54 24 08 cf`;
  return {
    code,
    setup: (c: import('../state').Cpu) => {
      setGate(c, 0x40, { offset: CODE + 7, sel: 0x08, type: 0xe, dpl: 0 });
      c.r32[1] = 40; c.r32[2] = 0; c.r32[6] = flag;
      setup?.(c);
    },
  };
}

describe('WebAssembly blocks in programs', () => {
  const budgets = [1, 3, 7, 100, 100_000];
  it('a block looping on itself: every budget stops it at the same instruction', () => {
    // l: add %ebx,%eax; dec %ecx; jnz l; hlt
    for (const n of budgets) expect(agreeOnProgram('01 d8 49 75 fb f4', n, (c) => { c.r32[1] = 500; c.r32[3] = 7; })).toBeGreaterThan(0);
  });
  it('CALL, RET, JMP through a register and through memory', () => {
    // call f (+8); inc %edx; mov $0x1013,%eax; jmp *%eax; f: add $1,%esi; ret  (0x1013:) jmp *0x4000; (0x1019) hlt
    const code = 'e8 0b 00 00 00 42 b8 13 10 00 00 ff e0 f4 f4 f4 83 c6 01 c3 f4 ff 25 00 40 00 00 f4';
    for (const n of budgets) {
      agreeOnProgram(code, n, (c) => { c.mem.write32(0x4000, CODE + 27); });
    }
  });
  it('blocks that chain into each other inside WebAssembly, with every budget', () => {
    // l: add $1,%eax; jmp m; (hlt) m: add %eax,%ebx; dec %ecx; jnz l; hlt
    for (const n of budgets) agreeOnProgram('83 c0 01 eb 01 f4 01 c3 49 75 f5 f4', n, (c) => { c.r32[1] = 300; });
  });
  describe('a static exit to its own page goes straight to the next block once the dispatcher has found it', () => {
    // l: add $1,%eax; jmp m; (hlt) m: add %eax,%ebx; dec %ecx; jnz l; hlt: blocks A (l) and B (m), each its own module.
    const code = '83 c0 01 eb 01 f4 01 c3 49 75 f5 f4';
    const A = CODE, B = CODE + 6;
    const machine = () => {
      const t = makeCpu(code, (c) => { enablePaging(c); c.r32[1] = 300; });
      t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
      return t;
    };
    const slots = (t: ReturnType<typeof machine>) => new Int32Array(t.mem.wasm.buffer, CHAIN_SLOTS, MAX_CHAINED * 2);
    const indexAt = (t: ReturnType<typeof machine>, eip: number) => {
      const saved = t.cpu.eip;
      t.cpu.eip = eip;
      const b = t.exec.blockAt();
      t.cpu.eip = saved;
      return b.wasmIndex;
    };
    it('the exits\' slots name the blocks they lead to', () => {
      const t = machine();
      t.exec.run(30);
      const a = indexAt(t, A), b = indexAt(t, B), s = slots(t);
      expect(a >= 0 && b >= 0).toBe(true);
      // A's jump to m; B's branch back to l (taken); B's fall-through to the HLT is never taken.
      expect([s[a * 2], s[b * 2], s[b * 2 + 1]]).toEqual([b + 1, a + 1, 0]);
    });
    it('then the jump cache is not read: a wrong entry in it for m changes nothing', () => {
      const t = machine();
      t.exec.run(30);
      const a = indexAt(t, A);
      // The entry for m now names block A (frame alike): a look-up there would run A's code at m.
      const j = new Int32Array(t.mem.wasm.buffer);
      const at = jumpSlot(B) >> 2;
      expect(j[at]).toBe(B);
      j[at + 1] = a;
      t.exec.run(100_000);
      expect([t.cpu.halted, t.cpu.r32[0], t.cpu.r32[1]]).toEqual([true, 300, 0]);
      expect(t.cpu.r32[3]).toBe((300 * 301) / 2);
    });
    it('with a breakpoint on another page they go on; with one on their page each block goes back to the run loop', () => {
      const far = machine();
      far.exec.setBreakpoints([0x300000]);
      far.exec.run(100_000);
      expect([far.cpu.halted, far.cpu.r32[3]]).toEqual([true, (300 * 301) / 2]);
      expect(far.exec.wasmEntries).toBeLessThan(10);
      // A breakpoint at m: every round stops in front of it, at the instruction the interpreter would.
      const t = machine();
      t.exec.setBreakpoints([B]);
      let hits = 0;
      while (t.exec.run(100_000) === Exit.BREAKPOINT) {
        hits++;
        expect([t.cpu.eip >>> 0, t.cpu.instructions, t.cpu.r32[0]]).toEqual([B, 5 * hits - 3, hits]);
        t.exec.resumeFrom = B;
      }
      expect([hits, t.cpu.halted, t.cpu.r32[3]]).toEqual([300, true, (300 * 301) / 2]);
      // The block at a breakpoint never runs as a block (its instruction is stepped alone), so it is never compiled:
      // nothing can go to it but the run loop. The dispatcher and the chains also stay off its page (BP_PAGES).
      expect([indexAt(t, A) >= 0, indexAt(t, B)]).toEqual([true, -1]);
    });
    it('a block that looped on itself chains on with its passes counted, the next block\'s from none; every budget agrees', () => {
      // o: mov $5,%edx; jmp i; i: dec %edx; jnz i (passes); inc %ebx; dec %ecx; jnz o; hlt
      for (const n of budgets) agreeOnProgram('ba 05 00 00 00 eb 00 4a 75 fd 43 49 75 f2 f4', n, (c) => { c.r32[1] = 50; });
    });
    it('a block written over while others chain to it is not gone to; every budget agrees', () => {
      // l: inc %eax; test $7,%al; jnz s; mov %al,m+2; s: jmp m; (hlt) m: add $1,%ebx; dec %ecx; jnz l; hlt.
      // Every eighth round the jump's target block is written over (its immediate), dropped and compiled again.
      const smc = '40 a8 07 75 05 a2 0f 10 00 00 eb 01 f4 83 c3 01 49 75 ed f4';
      for (const n of budgets) agreeOnProgram(smc, n, (c) => { c.r32[1] = 100; });
      const t = makeCpu(smc, (c) => { enablePaging(c); c.r32[1] = 100; });
      t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
      t.exec.run(100_000);
      // The sum of the immediates: 1 for the first 8 rounds, then the round number written every eighth round.
      let sum = 0, imm = 1;
      for (let r = 1; r <= 100; r++) { if ((r & 7) === 0) imm = r & 0xff; sum += imm; }
      expect([t.cpu.halted, t.cpu.r32[3]]).toEqual([true, sum]);
    });
  });
  it('an empty jump cache entry is no block: a jump to EIP 0 (whose entry is all zeros) runs the code there', () => {
    // At 0x1000: inc %eax; cmp $5,%eax; je end; jmp 0.  At 0: inc %ebx; jmp 0x1000.  end: hlt
    const rel = (from: number, to: number) => d32((to - from) | 0).map(hex).join(' ');
    const code = `40 83 f8 05 0f 84 ${rel(0x100a, 0x100f)} e9 ${rel(0x100f, 0)} f4`;
    for (const n of budgets) {
      agreeOnProgram(code, n, (c) => { c.mem.load(0, Uint8Array.of(0x43, 0xe9, ...d32((0x1000 - 6) | 0))); });
    }
  });
  it('a REP STOSB by its handler that faults midway: the iterations it ran stay counted', () => {
    // mov $0x4f00,%edi; mov $0x200,%ecx; rep stosb (0x5000 is not mapped: #PF after 0x100 bytes)
    for (const n of budgets) agreeOnProgram('bf 00 4f 00 00 b9 00 02 00 00 f3 aa f4', n, (c) => { c.r32[0] = 0x5a; });
  });
  it('blocks ending in REP STOSB and RDTSC handlers chain on, and what the string counted itself comes off the budget', () => {
    // l: mov $0x40,%ecx; mov $0x4000,%edi; rep stosb; rdtsc; add %eax,%ebx; dec %esi; jnz l; hlt
    const code = 'b9 40 00 00 00 bf 00 40 00 00 f3 aa 0f 31 01 c3 4e 75 ed f4';
    for (const n of [...budgets, 50, 65]) agreeOnProgram(code, n, (c) => { c.r32[6] = 20; c.r32[0] = 0x11; });
  });
  it('RET imm16 on a 16-bit stack releases the arguments from SP, keeping ESP\'s high word', () => {
    // l: push %eax; push %eax; call f; dec %ecx; jnz l; hlt; f: ret $8 — SS a 16-bit segment, ESP 0xabcd0004:
    // SP goes below 0 (to 0xfff8) and RET's release takes it back over 0xffff to 4, the high word untouched.
    const code = '50 50 e8 04 00 00 00 49 75 f6 f4 c2 08 00';
    for (const n of budgets) {
      expect(agreeOnProgram(code, n, (c) => {
        c.setSegmentCache(2, 0x10, 0, 0xffff, 0x0093);
        c.r32[4] = 0xabcd0004 | 0; c.r32[1] = 20;
      })).toBeGreaterThan(0);
    }
  });
  it('PUSH of each segment register pushes its own selector', () => {
    // l: push es; push cs; push ss; push ds; push fs; push gs; pop %eax %ebx %edx %esi %edi %ebp; dec %ecx; jnz l; hlt
    // Six different selectors (the caches stay as they are).
    const code = '06 0e 16 1e 0f a0 0f a8 58 5b 5a 5e 5f 5d 49 75 ef f4';
    for (const n of budgets) {
      const compiled = agreeOnProgram(code, n, (c) => { c.r32[1] = 5; for (let s = 0; s < 6; s++) c.segSel[s] = 0x1000 + s * 0x111; });
      expect(compiled).toBeGreaterThan(0);
    }
  });
  it('PUSHA and POPA in a loop: what POPA restores is what PUSHA saved', () => {
    // l: inc %eax; pusha; xor %eax,%eax; popa; cmp $100,%eax; jne l; hlt
    for (const n of budgets) expect(agreeOnProgram('40 60 31 c0 61 83 f8 64 75 f6 f4', n, (c) => { c.r32[4] = 0x4800; })).toBeGreaterThan(0);
  });
  it('a hot block waiting in a batch that does not fill is compiled once it has run 4 × wasmAfter times', () => {
    // l: add %ebx,%eax; dec %ecx; jnz l; hlt  — one block that loops 1,000 times, a batch of 64 that never fills
    const t = makeCpu('01 d8 49 75 fb f4', (c) => { c.r32[1] = 1000; c.r32[3] = 3; });
    t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 10, wasmBatch: 64 });
    t.exec.run(3 * 45);
    expect(t.exec.blocksCompiledWasm).toBe(1);
    t.exec.run(100_000);
    expect(t.cpu.halted).toBe(true);
    expect(t.cpu.r32[0]).toBe(3000);
  });
  it('a handler in the middle of a block, and a carry the CPU works out, see the flags of the instruction before', () => {
    // The lazy record goes to the cells only where it may be read (writer.ts lazy).
    // l: add %ebx,%eax; lahf (its handler reads them); add %eax,%ecx; dec %esi; jnz l; hlt
    for (const n of budgets) {
      agreeOnProgram('01 d8 9f 01 c1 4e 75 f8 f4', n, (c) => { c.r32[6] = 40; c.r32[3] = 0x3fffffff; c.r32[0] = 0x40000001; });
    }
    // l: add %ebx,%eax; pusha (kind unknown after it); adc %ecx,%edx (CF from the CPU); add $32,%esp; dec %esi; jnz l; hlt
    for (const n of budgets) {
      agreeOnProgram('01 d8 60 11 ca 83 c4 20 4e 75 f5 f4', n, (c) => { c.r32[6] = 40; c.r32[3] = 0x3fffffff; c.r32[0] = 0x40000001; c.r32[4] = 0x4800; });
    }
  });
  it('through blocks ending in INT and IRET the dispatcher goes on inside WebAssembly', () => {
    const p = intIretLoop(-1, 0);
    const t = makeCpu(p.code, (c) => { enablePaging(c); p.setup(c); });
    t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
    t.exec.run(100_000);
    expect(t.cpu.halted).toBe(true);
    expect(t.cpu.r32[3]).toBe(120);
    // 80 blocks ended in a handler; once the loop's blocks are compiled, one entry runs the rest of it.
    expect(t.exec.wasmEntries).toBeLessThan(10);
    for (const n of budgets) expect(agreeOnProgram(p.code, n, p.setup)).toBeGreaterThan(0);
  });
  it('after an IRET that sets TF or IF, the dispatcher leaves: the single step, the interrupt waiting come first', () => {
    // TF: the #DB after the next instruction (its gate halts). IF: the interrupt waiting on the line, at once.
    const tf = intIretLoop(5, 0x100);
    for (const n of budgets) expect(agreeOnProgram(tf.code, n, tf.setup)).toBeGreaterThan(0);
    const irq = intIretLoop(5, 0x200, (c) => { c.intrLine = true; c.ackInterrupt = () => 0x41; });
    for (const n of budgets) expect(agreeOnProgram(irq.code, n, irq.setup)).toBeGreaterThan(0);
  });
  it('after STI the dispatcher leaves: the interrupt waiting comes after one more instruction', () => {
    // l: cli; cmp $5,%ecx; sete %al; out %al,$0x80 (a device raises the line when AL is 1); test $1,%cl; jz n2;
    // sti; n: inc %ebx; dec %ecx; jnz l; hlt; n2: jmp n. The block at n is compiled (even rounds jump there), so
    // the dispatcher could go on to it from the STI; the fifth time round, the interrupt (its gate halts) must
    // come after the INC.
    for (const n of budgets) {
      expect(agreeOnProgram('fa 83 f9 05 0f 94 c0 e6 80 f6 c1 01 74 06 fb 43 49 75 ed f4 eb f9', n, (c) => {
        (c.io as import('../../ioports').IoPorts).register(0x80, 1, { read: () => 0xff, write: (_p, _s, v) => { c.intrLine = v !== 0; } });
        c.ackInterrupt = () => 0x41;
        c.r32[1] = 40;
      })).toBeGreaterThan(0);
    }
  });
  it('after a far jump to a CS that is not flat, the dispatcher leaves: EIP there is not a linear address', () => {
    // l: inc %eax; ljmp $0x30,$0x1000; m: dec %ecx; jnz l; hlt. CS 0x30 has base 0x2000, so EIP 0x1000 is linear
    // 0x3000: add $7,%edx; ljmp $0x08,$m. Were EIP taken as linear, the block at l would run instead.
    for (const n of budgets) {
      expect(agreeOnProgram('40 ea 00 10 00 00 30 00 49 75 f5 f4', n, (c) => {
        setDescriptor(c, 0x30, 0x2000, 0xfffff, 0x9b);
        c.mem.load(0x3000, Uint8Array.of(0x83, 0xc2, 0x07, 0xea, ...d32(CODE + 8), 0x08, 0x00));
        c.r32[1] = 30;
      })).toBeGreaterThan(0);
    }
  });
  it('after MOV CR3 the dispatcher walks the page tables again for the next block, faults included', () => {
    // l: inc %eax; mov %esi,%cr3; n: add $1,%ebx; xchg %esi,%edi; dec %ecx; jnz l; hlt. The second page directory
    // maps the code's page to a copy at 0x6000 where n adds 100: n alternates between two frames.
    const code = '40 0f 22 de 83 c3 01 87 f7 49 75 f4 f4';
    const second = (c: import('../state').Cpu, dir: number, codeFrame: number) => {
      for (let k = 0; k < 1024; k++) c.mem.write32(dir + 0x1000 + 4 * k, c.mem.read32(PAGE_TABLE + 4 * k));
      c.mem.write32(dir + 0x1000 + 4, codeFrame);
      for (let k = 0; k < 1024; k++) c.mem.write32(dir + 4 * k, c.mem.read32(PAGE_DIR + 4 * k));
      c.mem.write32(dir, (dir + 0x1000) | 7);
    };
    const twoFrames = (c: import('../state').Cpu) => {
      for (let k = 0; k < 0x20; k++) c.mem.write8(0x6000 + k, c.mem.read8(CODE + k));
      c.mem.write8(0x6006, 100);
      second(c, 0x22000, 0x6000 | 7);
      c.r32[6] = 0x22000; c.r32[7] = PAGE_DIR; c.r32[1] = 30;
    };
    for (const n of budgets) agreeOnProgram(code, n, twoFrames);
    // Two directories that map the code alike: after each of the 30 CR3 loads the dispatcher walks the tables
    // for the next block itself and goes on, a handful of entries into WebAssembly in all.
    const t = makeCpu(code, (c) => { enablePaging(c); second(c, 0x22000, CODE | 7); c.r32[6] = 0x22000; c.r32[7] = PAGE_DIR; c.r32[1] = 30; });
    t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
    t.exec.run(100_000);
    expect(t.cpu.halted).toBe(true);
    expect(t.cpu.r32[3]).toBe(30);
    expect(t.exec.wasmEntries).toBeLessThan(10);
    // The second directory does not map the code's page: the fetch at n faults (#PF, CR2 = n), the third time round.
    for (const n of budgets) {
      agreeOnProgram(code, n, (c) => {
        second(c, 0x24000, 0);
        c.r32[6] = PAGE_DIR; c.r32[7] = 0x24000; c.r32[1] = 30;
      });
    }
  });
  it('POP r/m32: into memory at an address that uses ESP (after it moved), into ESP, and a write that faults or hits code', () => {
    // l: popl (%esi); popl 4(%esp); pop %esp; push %eax (x3); add $0x400,%esi; dec %ecx; jnz l; hlt. The stack at
    // S - 12 holds x, y, S and EAX is S, so every round leaves ESP at S - 12 again; ESI walks up 1 KiB a round.
    const code = '8f 06 8f 44 24 04 5c 50 50 50 81 c6 00 04 00 00 49 75 ed f4';
    const S = 0x7ff00;
    const stack = (esi: number) => (c: import('../state').Cpu) => {
      c.r32[4] = S - 12; c.mem.write32(S - 12, 0x1111); c.mem.write32(S - 8, 0x2222); c.mem.write32(S - 4, S);
      c.r32[0] = S; c.r32[1] = 12; c.r32[6] = esi;
    };
    // Into memory that is there; into the unmapped page at 0x5000 the sixth round (#PF: ESP as before the
    // POP); from page 0 up over the code itself, the third round (which then runs what was written).
    for (const esi of [0x40000, 0x5000 - 5 * 0x400, CODE + 0x800 - 0x1000]) {
      for (const n of budgets) expect(agreeOnProgram(code, n, stack(esi))).toBeGreaterThan(0);
    }
    const t = makeCpu(code, (c) => { enablePaging(c); stack(0x40000)(c); });
    t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
    const pops = t.exec.blockAt().instrs.slice(0, 3);
    t.exec.run(10);
    let runs = 0;
    for (const ins of pops) { const fn = ins.fn; ins.fn = (c, i) => { runs++; fn(c, i); }; }
    t.exec.run(100_000);
    // Of the 33 POPs after the first round, only the first write to each of the two pages ESI reaches later (not
    // yet in the TLB) goes through the handler.
    expect([t.cpu.halted, t.cpu.r32[1], t.cpu.r32[4], runs]).toEqual([true, 0, S - 12, 2]);
  });
  it('a block looping on itself that writes over its own code in a later pass counts every pass', () => {
    // l: mov %eax,(%esi); pop %eax; nop x4; push %eax x3; add $0x400,%esi; dec %ecx; jnz l; hlt, from ESI 0x800: the
    // third pass writes four NOPs over its first three instructions (the block drops itself). The dispatcher
    // read the dropped block's length as 0 and lost the passes it had run.
    const code = '89 06 58 90 90 90 90 50 50 50 81 c6 00 04 00 00 49 75 ed f4';
    for (const n of budgets) {
      agreeOnProgram(code, n, (c) => { c.r32[4] = 0x7fef4; c.r32[0] = 0x90909090 | 0; c.mem.write32(0x7fef4, 0x90909090 | 0); c.r32[1] = 12; c.r32[6] = 0x800; });
    }
  });
  describe('compiled code and the dispatcher find a page in the TLB entry paging.ts gives it', () => {
    /** PAGE_DIR's fifth entry maps 16 MiB up to 20 MiB as the first does 0 to 4 MiB: pages 16 MiB apart. */
    const HIGH = 0x1000000;
    const alias = (c: import('../state').Cpu) => { enablePaging(c); c.mem.write32(PAGE_DIR + 4 * 4, PAGE_TABLE | 7); };
    it('loads from two pages 16 MiB apart take no slow path once compiled', () => {
      // l: mov (%esi),%eax; add (%edi),%eax; dec %ecx; jnz l; hlt
      const t = makeCpu('8b 06 03 07 49 75 f9', (c) => { alias(c); c.r32[6] = 0x5000; c.r32[7] = HIGH + 0x5010; c.r32[1] = 50; });
      t.mem.write32(0x5000, 1); t.mem.write32(0x5010, 2);
      t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
      t.exec.run(4);
      expect(t.exec.blocksCompiledWasm).toBe(1);
      let slow = 0;
      const rd32 = t.cpu.rd32.bind(t.cpu);
      t.cpu.rd32 = (seg, off) => { slow++; return rd32(seg, off); };
      t.exec.run(100_000);
      expect([t.cpu.halted, t.cpu.r32[0], t.cpu.r32[1]]).toEqual([true, 3, 0]);
      expect(slow).toBe(0);
    });
    it('after MOV CR3 the dispatcher refills the page of code 16 MiB up and goes on', () => {
      // m: inc %eax; mov %edx,%cr3; dec %ecx; jnz m; hlt, run at CODE + 16 MiB
      const t = makeCpu('40 0f 22 da 49 75 f9', (c) => { alias(c); c.r32[2] = PAGE_DIR; c.r32[1] = 30; c.eip = HIGH + CODE; });
      t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
      t.exec.run(100_000);
      expect([t.cpu.halted, t.cpu.r32[0], t.cpu.eip >>> 0]).toEqual([true, 30, HIGH + CODE + 8]);
      expect(t.exec.wasmEntries).toBeLessThan(10);
    });
  });
  describe('loads of ES, DS, FS and GS (MOV from a register or memory, POP) agree with their handlers', () => {
    // Descriptors for each way a load can go: written out (flat or not), or left to the handler (a fault, the
    // accessed bit to set, an LDT selector, conforming code).
    const descriptors = (c: import('../state').Cpu) => {
      setDescriptor(c, 0x30, 0x3000, 0xfff, 0x91, 0x4); // read-only data at 0x3000, 4 KiB
      setDescriptor(c, 0x38, 0, 0xfff, 0x97); // expand-down data
      setDescriptor(c, 0x40, 0, 0xfffff, 0x9b); // readable code, flat
      setDescriptor(c, 0x48, 0, 0xfffff, 0x99); // execute-only code
      setDescriptor(c, 0x50, 0, 0xfffff, 0x9f); // conforming readable code
      setDescriptor(c, 0x58, 0, 0xfffff, 0x13); // not present
      setDescriptor(c, 0x60, 0, 0xfffff, 0x92); // not accessed yet
      setDescriptor(c, 0x68, 0x1000, 0xfffff, 0xf3); // ring-3 data at 0x1000
      setDescriptor(c, 0x70, 0x10000, 0x67, 0x89, 0); // a TSS: no segment to load
      setDescriptor(c, 0x78, 0x10000, 0xfff, 0x82, 0); // an LDT: none either
      setDescriptor(c, 0x80, 0, 0xfffff, 0x97); // expand-down, base 0, limit 4 GiB: not flat (no offset is in it)
      setDescriptor(c, 0x88, 0x10000, 0x67, 0x81, 0); // an available 16-bit TSS (its type's low bit set)
    };
    const selectors = [0, 3, 0x10, 0x13, 0x23, 0x30, 0x38, 0x40, 0x48, 0x50, 0x58, 0x60, 0x68, 0x6b, 0x70, 0x78, 0x80, 0x88, 0x14, 0x7f8];
    const hex2 = (v: number) => hex(v & 0xff);
    /**
     * Two rounds: l: mov (%esi),%eax; add $2,%esi; <load sreg>; mov %sreg:(%ebx),%edx; dec %ecx; jnz l; hlt — the
     * first loads `first` (the block is compiled after it), the second the selector under test.
     */
    const program = (sreg: number, how: 'reg' | 'mem' | 'pop') => {
      const load = how === 'reg' ? [0x8e, 0xc0 | (sreg << 3)] : how === 'mem' ? [0x8e, 0x46 | (sreg << 3), 0xfe]
        : [0x50, ...(sreg === 0 ? [0x07] : sreg === 3 ? [0x1f] : sreg === 4 ? [0x0f, 0xa1] : [0x0f, 0xa9])];
      const body = [0x8b, 0x06, 0x83, 0xc6, 0x02, ...load, [0x26, 0, 0, 0x3e, 0x64, 0x65][sreg], 0x8b, 0x13, 0x49];
      return [...body, 0x75, (-(body.length + 2)) & 0xff, 0xf4].map(hex2).join(' ');
    };
    const run = (how: 'reg' | 'mem' | 'pop', ring3: boolean, moveGdt?: (c: import('../state').Cpu) => void) => {
      for (const sreg of [0, 3, 4, 5]) {
        for (const sel of selectors) {
          for (const n of [100_000]) {
            agreeOnProgram(program(sreg, how), n, (c) => {
              descriptors(c);
              c.mem.write16(0x4000, ring3 ? 0x23 : 0x10); c.mem.write16(0x4002, sel);
              c.r32[6] = 0x4000; c.r32[3] = 0x100; c.r32[1] = 2;
              if (ring3) enterRing3(c);
              moveGdt?.(c);
            });
          }
        }
      }
    };
    /** How many times the load's handler runs in the 49 rounds of good selectors after the first (compiled by then). */
    const handlerRuns = (sreg: number, how: 'reg' | 'mem' | 'pop') => {
      const t = makeCpu(program(sreg, how), (c) => {
        enablePaging(c); descriptors(c);
        c.mem.write16(0x4000, 0x10);
        for (let k = 1; k < 50; k++) c.mem.write16(0x4000 + 2 * k, [0x10, 0x40, 0x23][k % 3]);
        c.r32[6] = 0x4000; c.r32[3] = 0x100; c.r32[1] = 50;
      });
      t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
      const instrs = t.exec.blockAt().instrs;
      // The first round interpreted (its block compiled as it starts), then a count of the handler's runs.
      t.exec.run(how === 'pop' ? 7 : 6);
      expect([t.cpu.r32[1], t.exec.blocksCompiledWasm]).toEqual([49, 1]);
      const ins = instrs[instrs.findIndex((i) => i.opcode === 0x8e || i.opcode === 0x50) + (how === 'pop' ? 1 : 0)];
      let runs = 0;
      const fn = ins.fn;
      ins.fn = (c, i) => { runs++; fn(c, i); };
      t.exec.run(100_000);
      expect(t.cpu.halted).toBe(true);
      expect(t.cpu.r32[1]).toBe(0);
      return runs;
    };
    it('from a register', () => {
      for (const sreg of [0, 3, 4, 5]) expect(handlerRuns(sreg, 'reg')).toBe(0);
      run('reg', false);
    });
    it('from memory', () => {
      for (const sreg of [0, 3, 4, 5]) expect(handlerRuns(sreg, 'mem')).toBe(0);
      run('mem', false);
    });
    it('by POP', () => {
      for (const sreg of [0, 3, 4, 5]) expect(handlerRuns(sreg, 'pop')).toBe(0);
      run('pop', false);
    });
    it('at CPL 3', () => run('reg', true));
    it('with the GDT across a page end, and on a page the TLB has not got', () => {
      // The descriptor of 0x10 straddles linear 0x6fff/0x7000, and page 0x7000 is the frame at 0x9000 (what
      // lies at 0x7000 is another descriptor's second word, with another base). Then the GDT on a page no
      // access has walked yet.
      const copy = (c: import('../state').Cpu, to: number, phys: (lin: number) => number) => {
        for (let k = 0; k < 0x90; k++) c.mem.write8(phys(to + k), c.mem.read8(GDT + k));
        c.gdtr.base = to;
      };
      run('pop', false, (c) => {
        c.mem.write32(pteAddr(0x7000), 0x9000 | 7);
        c.mem.write32(0x7000, 0x55cf9300);
        copy(c, 0x6ffc - 0x10, (lin) => (lin < 0x7000 ? lin : lin - 0x7000 + 0x9000));
      });
      run('reg', false, (c) => copy(c, 0x8000, (lin) => lin));
    });
  });
  describe('LGDT and LIDT agree with their handlers', () => {
    // l: lgdt (%esi); lidt 6(%esi); add $12,%esi; mov %eax,%ds (EAX 0x10, through the GDT just loaded);
    // sgdt (%ebp); sidt 8(%ebp); add $16,%ebp; dec %ecx; jnz l; hlt
    const code = '0f 01 16 0f 01 5e 06 83 c6 0c 8e d8 0f 01 45 00 0f 01 4d 08 83 c5 10 49 75 e6 f4';
    /** Rounds of (GDT limit, base; IDT limit, base) from `table`, the GDT copied to 0x6000 too. */
    const setup = (table: number, rounds: [number, number, number, number][], ring3 = false) => (c: import('../state').Cpu) => {
      for (let k = 0; k < 0x28; k++) c.mem.write8(0x6000 + k, c.mem.read8(GDT + k));
      rounds.forEach(([gl, gb, il, ib], r) => {
        const at = table + 12 * r;
        c.mem.write16(at, gl); c.mem.write32(at + 2, gb); c.mem.write16(at + 6, il); c.mem.write32(at + 8, ib);
      });
      c.r32[6] = table; c.r32[5] = 0x4800; c.r32[0] = 0x10; c.r32[1] = rounds.length;
      if (ring3) enterRing3(c);
    };
    const rounds: [number, number, number, number][] = [
      [0x27, GDT, 0x7ff, 0], [0x27, 0x6000, 0x3ff, 0x7000], [0x27, GDT, 0xffff, 0xfedcb000], [0x0f, GDT, 0x7ff, 0],
    ];
    it('at CPL 0, and the segment load after them reads the GDT they loaded (the last round: beyond its limit, #GP)', () => {
      for (const n of budgets) expect(agreeOnProgram(code, n, setup(0x4000, rounds))).toBeGreaterThan(0);
    });
    it('at CPL 3 (#GP), and with an operand across the end of a page into one not mapped (#PF)', () => {
      // A round at CPL 0 (the block is compiled), then the same block at CPL 3.
      const make = (wasmAfter: number) => {
        const t = makeCpu(code, (c) => { enablePaging(c); setup(0x4000, rounds)(c); });
        t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter, wasmBatch: 1 });
        return t;
      };
      const a = make(Infinity), b = make(1);
      for (const t of [a, b]) {
        t.exec.run(9);
        enterRing3(t.cpu);
        t.cpu.eip = CODE;
        t.exec.run(100_000);
      }
      expect(b.exec.blocksCompiledWasm).toBeGreaterThan(0);
      expect(a.history.map((d) => d.vector)).toEqual([13]);
      expectSameMachines(a, b, 'at CPL 3');
      // The second round's LGDT reads 0x4ffc..0x5001.
      for (const n of budgets) agreeOnProgram(code, n, setup(0x4ffc - 12, [[0x27, GDT, 0x7ff, 0], [0x27, GDT, 0x7ff, 0]]));
    });
    it('written out: the handlers do not run once the block is compiled', () => {
      const many = Array.from({ length: 40 }, (_, r) => [0x27, r % 2 === 0 ? GDT : 0x6000, 0x7ff, r * 8] as [number, number, number, number]);
      const t = makeCpu(code, (c) => { enablePaging(c); setup(0x4000, many)(c); });
      t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1 });
      const instrs = t.exec.blockAt().instrs;
      t.exec.run(9); // the first round, one block: interpreted, and compiled as it starts
      expect(t.exec.blocksCompiledWasm).toBe(1);
      let runs = 0;
      for (const ins of instrs.slice(0, 2)) {
        const fn = ins.fn;
        ins.fn = (c, i) => { runs++; fn(c, i); };
      }
      t.exec.run(100_000);
      expect(t.cpu.halted).toBe(true);
      expect(runs).toBe(0);
      expect([t.cpu.gdtr.base, t.cpu.gdtr.limit, t.cpu.idtr.base, t.cpu.idtr.limit]).toEqual([0x6000, 0x27, 39 * 8, 0x7ff]);
    });
  });
  it('a fault in the middle of a block and a store into the block itself', () => {
    // mov %eax,(%ebx) with EBX in the unmapped page: #PF, the handler halts.
    for (const n of budgets) agreeOnProgram('40 89 03 41 f4', n, (c) => { c.r32[3] = 0x5008; });
    // A compiled block's last instruction faulting in its slow path, after another: the fifth time round,
    // EBX points into the unmapped page. l: inc %eax; cmp $5,%eax; jne m; mov $0x5000,%ebx; m: inc %ecx; jmp *(%ebx) (or call)
    for (const jump of ['ff 23', 'ff 13']) {
      for (const n of budgets) {
        agreeOnProgram(`40 83 f8 05 75 05 bb 00 50 00 00 41 ${jump}`, n, (c) => { c.r32[3] = 0x4000; c.mem.write32(0x4000, CODE); });
      }
    }
    // mov %eax,(%ebx) onto the instructions after it (inc %ecx; inc %ecx -> inc %edx; inc %ecx), the first write to the page
    for (const n of budgets) agreeOnProgram('89 03 41 41 f4', n, (c) => { c.r32[3] = CODE + 2; c.r32[0] = 0xf4414142 | 0; });
  });
});
