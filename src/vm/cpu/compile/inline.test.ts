/**
 * Each instruction the compiler writes inline agrees with its handler: the
 * same registers, flags (as the handler defines them, undefined ones
 * included), memory, faults and instruction count, over edge and random
 * operands, on registers and in memory, followed by a Jcc that reads the
 * flags the compiled way. And each is really written inline (no handler call).
 */
import { describe, it, expect } from 'vitest';
import { CODE } from '../../../../test/cpu/harness';
import { disagreement, compiledSource, randomCase, randomData, rng, address, value, UNMAPPED, type Case } from '../../../../test/cpu/agree';

const EBX = 3, ECX = 1, EDX = 2, EBP = 5, ESI = 6, EDI = 7;

/** ModRM with a register operand. */
const reg = (op: number[], r: number, rm: number, ...imm: number[]) => [...op, 0xc0 | (r << 3) | rm, ...imm];
/** ModRM with the memory operand [EBX+0x10]. */
const mem = (op: number[], r: number, ...imm: number[]) => [...op, 0x40 | (r << 3) | EBX, 0x10, ...imm];
/** Little-endian doubleword. */
const d32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];

/** EBX points at a doubleword in the data page (or across its end) for [EBX+0x10]. */
const memAt = (regs: number[], r: () => number) => { regs[EBX] = address(r) - 0x10; };

interface Form { name: string; bytes: number[]; adjust?: (regs: number[], r: () => number) => void; budgets?: number[] }

/** A register form (two different registers, not ESP) and a memory form of `op` with ModRM.reg `r`. */
function both(name: string, op: number[], r: number, imm: number[] = [], adjust?: Form['adjust']): Form[] {
  return [
    { name: `${name} reg`, bytes: reg(op, r, 6, ...imm), adjust },
    { name: `${name} reg same`, bytes: reg(op, r, r === 4 ? 0 : r, ...imm), adjust },
    { name: `${name} mem`, bytes: mem(op, r, ...imm), adjust: (regs, g) => { adjust?.(regs, g); memAt(regs, g); } },
  ];
}
const hex = (b: number) => b.toString(16).padStart(2, '0');

function check(forms: Form[], cases = 48): void {
  for (const f of forms) {
    const r = rng(f.bytes.reduce((h, b) => (h * 31 + b) | 0, 7));
    const data = randomData(r);
    const ks: Case[] = Array.from({ length: cases }, () => randomCase(r, data, f.adjust));
    const cc = (r() >>> 0) % 16;
    // The JavaScript tier, and the WebAssembly tier (which writes some inline and calls the handlers of the rest).
    for (const tier of ['js', 'wasm'] as const) {
      const why = disagreement(f.bytes, ks, cc, f.budgets, tier);
      expect(why, `${f.name} (${f.bytes.map(hex).join(' ')}), ${tier}`).toBeNull();
    }
  }
}
function inline(forms: Form[]): void {
  for (const f of forms) expect(compiledSource(f.bytes), `${f.name} is inline`).not.toMatch(/h0\(c, i0\)/);
}

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];

describe('inline instructions agree with their handlers', () => {
  it('byte ALU forms: r/m8,r8 and r8,r/m8 (AH..BH too), AL,imm8, 80 and 82', () => {
    const forms: Form[] = [];
    ALU.forEach((name, aop) => {
      forms.push(...both(`${name} Eb,Gb`, [aop << 3], 1), { name: `${name} Eb,Gb high`, bytes: reg([aop << 3], 7, 2) });
      forms.push(...both(`${name} Gb,Eb`, [(aop << 3) | 2], 5), { name: `${name} Gb,Eb high`, bytes: reg([(aop << 3) | 2], 4, 3) });
      for (const imm of [0, 1, 0x7f, 0x80, 0xff]) forms.push({ name: `${name} AL,${imm}`, bytes: [(aop << 3) | 4, imm] });
      forms.push(...both(`${name} Eb,Ib`, [0x80], aop, [0x81]), { name: `${name} 82`, bytes: reg([0x82], aop, 5, 0x7f) });
    });
    check(forms);
    inline(forms);
  });

  it('ADC and SBB on doublewords', () => {
    const forms: Form[] = [];
    for (const aop of [2, 3]) {
      forms.push(...both(`${ALU[aop]} Ev,Gv`, [(aop << 3) | 1], 2), ...both(`${ALU[aop]} Gv,Ev`, [(aop << 3) | 3], 2));
      forms.push({ name: `${ALU[aop]} eAX,Iz`, bytes: [(aop << 3) | 5, ...d32(0x80000000)] });
      forms.push(...both(`${ALU[aop]} Ev,Iz`, [0x81], aop, d32(0xffffffff)), ...both(`${ALU[aop]} Ev,Ibs`, [0x83], aop, [0x80]));
    }
    check(forms);
    inline(forms);
  });

  it('INC, DEC (bytes, memory), NOT, NEG, CMPXCHG, XADD, and LOCKed forms', () => {
    const forms: Form[] = [];
    for (const op of [0xfe, 0xff]) for (const r of [0, 1]) forms.push(...both(`${hex(op)}/${r}`, [op], r));
    for (const op of [0xf6, 0xf7]) for (const r of [2, 3]) forms.push(...both(`${hex(op)}/${r}`, [op], r));
    forms.push({ name: 'inc ah', bytes: reg([0xfe], 0, 4) }, { name: 'neg bh', bytes: reg([0xf6], 3, 7) });
    forms.push(...both('cmpxchg', [0x0f, 0xb1], 2), ...both('xadd', [0x0f, 0xc1], 2), { name: 'cmpxchg eax', bytes: reg([0x0f, 0xb1], 1, 0) });
    // LOCK on a memory destination changes nothing here; on a register it is #UD (the handler's way).
    for (const op of [[0x01], [0x0f, 0xb1], [0x0f, 0xc1], [0xff], [0x87], [0x0f, 0xab], [0x80]]) {
      const r = op[0] === 0xff ? 0 : op[0] === 0x80 ? 1 : 2, imm = op[0] === 0x80 ? [0x41] : [];
      forms.push({ name: `lock ${op.map(hex).join(' ')}`, bytes: mem([0xf0, ...op], r, ...imm), adjust: memAt });
      check([{ name: `lock ${op.map(hex).join(' ')} reg`, bytes: reg([0xf0, ...op], r, 6, ...imm) }], 4);
    }
    check(forms);
    inline(forms);
  });

  it('shifts and rotates by 1, by CL and by imm8, on registers and memory, bytes and doublewords; SHLD, SHRD', () => {
    const forms: Form[] = [];
    for (let op = 0; op < 8; op++) {
      for (const w of [0, 1]) {
        forms.push(...both(`d${w}/${op}`, [0xd0 | w], op));
        if (op !== 2 && op !== 3) {
          forms.push(...both(`d${2 | w}/${op}`, [0xd2 | w], op));
          for (const n of [0, 1, 2, 7, 8, 9, 16, 31, 32, 33, 255]) forms.push(...both(`c${w}/${op} ${n}`, [0xc0 | w], op, [n]));
        }
      }
      if (op !== 2 && op !== 3) forms.push({ name: `d2/${op} ch`, bytes: reg([0xd2], op, 5) });
    }
    check(forms, 32);
    inline(forms);
    const doubles: Form[] = [];
    for (const op of [0xa5, 0xad]) doubles.push(...both(`shxd ${hex(op)} cl`, [0x0f, op], 2));
    for (const op of [0xa4, 0xac]) for (const n of [0, 1, 7, 31, 32, 33]) doubles.push(...both(`shxd ${hex(op)} ${n}`, [0x0f, op], 2, [n]));
    check(doubles, 32);
    inline(doubles);
    // RCL and RCR by more than 1 go through CF a bit at a time: their handler, which must still agree.
    check([2, 3].flatMap((op) => [...both(`d3/${op}`, [0xd3], op), ...both(`c1/${op}`, [0xc1], op, [5])]), 32);
  });

  it('IMUL in all its forms, MUL, DIV and IDIV of doublewords, MUL and IMUL of bytes, CWDE, CDQ', () => {
    const forms: Form[] = [...both('imul Gv,Ev', [0x0f, 0xaf], 2)];
    for (const imm of [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x10001]) forms.push(...both(`imul 69 ${imm}`, [0x69], 1, d32(imm)));
    for (const imm of [0, 1, 0x7f, 0x80, 0xff]) forms.push(...both(`imul 6b ${imm}`, [0x6b], 7, [imm]));
    forms.push(...both('imul Ev', [0xf7], 5), ...both('mul Ev', [0xf7], 4));
    // DIV: a high half below the divisor half the time, so that most cases divide and some raise #DE.
    forms.push(...both('div Ev', [0xf7], 6, [], (regs, r) => { if (r() & 1) regs[EDX] = (r() & 1) ? 0 : value(r) & 0xffff; }));
    forms.push({ name: 'div ebx', bytes: reg([0xf7], 6, EBX) }, { name: 'cwde', bytes: [0x98] }, { name: 'cdq', bytes: [0x99] });
    // IDIV: EDX the sign of EAX half the time (the dividend fits in 32 bits); -2^31 / -1 now and then.
    forms.push(...both('idiv Ev', [0xf7], 7, [], (regs, r) => {
      if (r() & 1) regs[EDX] = regs[0] >> 31;
      if ((r() >>> 0) % 8 === 0) { regs[0] = 0x80000000 | 0; regs[EDX] = -1; regs[6] = -1; }
    }));
    forms.push(...both('mul Eb', [0xf6], 4), ...both('imul Eb', [0xf6], 5), { name: 'imul ah', bytes: reg([0xf6], 5, 4) });
    check(forms);
    inline(forms);
  });

  it('BT, BTS, BTR, BTC by a register (memory: any doubleword around) and by imm8; BSF, BSR, BSWAP', () => {
    const near = (regs: number[], r: () => number) => { regs[ECX] = ((r() >>> 0) % 2048) - 1024; };
    const forms: Form[] = [];
    for (const op of [0xa3, 0xab, 0xb3, 0xbb]) forms.push(...both(`0f ${hex(op)}`, [0x0f, op], ECX, [], near));
    for (let r = 4; r < 8; r++) for (const n of [0, 1, 31, 32, 33]) forms.push(...both(`0f ba/${r} ${n}`, [0x0f, 0xba], r, [n]));
    forms.push(...both('bsf', [0x0f, 0xbc], 1), ...both('bsr', [0x0f, 0xbd], 7));
    for (let r = 0; r < 8; r++) if (r !== 4) forms.push({ name: `bswap ${r}`, bytes: [0x0f, 0xc8 | r] });
    check(forms);
    inline(forms);
  });

  it('SETcc and CMOVcc', () => {
    const forms: Form[] = [];
    for (let cc = 0; cc < 16; cc++) forms.push(...both(`set ${cc}`, [0x0f, 0x90 | cc], 0), ...both(`cmov ${cc}`, [0x0f, 0x40 | cc], 1));
    // After a compare: the condition from what the compare left in the locals.
    for (let cc = 0; cc < 16; cc++) forms.push({ name: `cmp; set ${cc}`, bytes: [0x39, 0xd1, 0x0f, 0x90 | cc, 0xc3] }, { name: `cmp8; cmov ${cc}`, bytes: [0x38, 0xd1, 0x0f, 0x40 | cc, 0xc3] });
    check(forms);
    inline(forms);
  });

  it('XCHG, LEAVE, PUSHA, POPA, moffs MOVs, byte and 16-bit MOVs, PUSH and POP r/m32, NOPs, CLC STC CMC CLD STD', () => {
    const forms: Form[] = [...both('xchg Ev,Gv', [0x87], 2), ...both('xchg Eb,Gb', [0x86], 6), { name: 'xchg ah,bl', bytes: reg([0x86], 4, 3) }];
    for (let r = 1; r < 8; r++) if (r !== 4) forms.push({ name: `xchg ${r}`, bytes: [0x90 | r] });
    forms.push({ name: 'leave', bytes: [0xc9], adjust: (regs, r) => { regs[EBP] = address(r); } });
    // PUSHA/POPA, also with the stack running into the unmapped page in the middle: PUSHA from 0x6010 down, POPA from 0x4ff0 up.
    const stack = (regs: number[], r: () => number) => { regs[4] = [regs[4], UNMAPPED + 0x1010, UNMAPPED - 16][(r() >>> 0) % 3]; };
    forms.push({ name: 'pusha', bytes: [0x60], adjust: stack }, { name: 'popa', bytes: [0x61], adjust: stack }, { name: 'pusha; popa', bytes: [0x60, 0x61] });
    for (const op of [0xa0, 0xa1, 0xa2, 0xa3]) forms.push({ name: `moffs ${hex(op)}`, bytes: [op, ...d32(0x4ffd)] }, { name: `moffs ${hex(op)} in`, bytes: [op, ...d32(0x4100)] });
    forms.push({ name: 'mov bh,dl', bytes: reg([0x88], 2, 7) }, { name: 'mov ch,imm', bytes: [0xb5, 0x9c] }, { name: 'mov dl,imm (c6)', bytes: reg([0xc6], 0, 2, 0x80) });
    forms.push(...both('mov Ew,Gw', [0x66, 0x89], 2), ...both('mov Gw,Ew', [0x66, 0x8b], 7), ...both('mov Ew,Iw', [0x66, 0xc7], 0, [0x34, 0x92]));
    forms.push({ name: 'mov si,imm', bytes: [0x66, 0xbe, 0xff, 0x80] }, ...both('push Ev', [0xff], 6).slice(2));
    // POP r/m32 of what a PUSH left: to a register, to memory (faults put ESP back), to [ESP+4] after ESP moved.
    forms.push({ name: 'push; pop esi', bytes: [0x68, ...d32(0x12345678), ...reg([0x8f], 0, ESI)] });
    forms.push({ name: 'push; pop [ebx+0x10]', bytes: [0x68, ...d32(0x80000001), ...mem([0x8f], 0)], adjust: memAt });
    forms.push({ name: 'push; pop [esp+4]', bytes: [0x6a, 0x7f, 0x8f, 0x44, 0x24, 0x04] });
    for (const op of [0xf5, 0xf8, 0xf9, 0xfc, 0xfd]) forms.push({ name: `flag op ${hex(op)}`, bytes: [op] }, { name: `cmp; flag op ${hex(op)}`, bytes: [0x39, 0xd1, op] });
    forms.push({ name: 'nop', bytes: [0x90] }, { name: 'xchg ax,ax', bytes: [0x66, 0x90] }, { name: 'nopl', bytes: [0x0f, 0x1f, 0x44, 0x00, 0x00] }, { name: 'nopw', bytes: [0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00] });
    check(forms);
    inline(forms);
  });

  it('MOVS, STOS, LODS with and without REP: faults in the middle, and the instruction budget in slices (REP MOVS, REP STOS by their handler)', () => {
    const strings = (regs: number[], r: () => number) => {
      regs[ESI] = address(r); regs[EDI] = address(r);
      regs[ECX] = (r() >>> 0) % 8 === 0 ? 0 : (r() >>> 0) % 24;
    };
    const forms: Form[] = [];
    for (const op of [0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad]) {
      forms.push({ name: hex(op), bytes: [op], adjust: strings });
      forms.push({ name: `rep ${hex(op)}`, bytes: [0xf3, op], adjust: strings });
      forms.push({ name: `rep ${hex(op)} in slices`, bytes: [0xf3, op], adjust: strings, budgets: [1, 3, 2, 7] });
    }
    forms.push({ name: 'repne stosd', bytes: [0xf2, 0xab], adjust: strings }, { name: 'rep movsb es:', bytes: [0x26, 0xf3, 0xa4], adjust: strings });
    check(forms);
    // REP MOVS and REP STOS call their handler, which runs a page at a time (ops/stringBulk.ts).
    const bulk = (f: Form) => f.bytes.some((b) => b === 0xf3 || b === 0xf2) && [0xa4, 0xa5, 0xaa, 0xab].includes(f.bytes[f.bytes.length - 1]);
    inline(forms.filter((f) => !bulk(f)));
    for (const f of forms.filter(bulk)) expect(compiledSource(f.bytes), `${f.name} calls its handler`).toMatch(/h0\(c, i0\)/);
  });
  it('LOOP, JECXZ, CALL r/m32, RET imm16 ending a block, and a LOCKed jump is #UD as its handler says', () => {
    // Taken, each skips the first SETcc after it (7 bytes); CALL's target is in ESI or at [EBX+0x10].
    const CALL_AT = CODE + 2 + 7;
    const forms: Form[] = [
      { name: 'loop', bytes: [0xe2, 7], adjust: (regs, r) => { regs[ECX] = (r() >>> 0) % 3; } },
      { name: 'jecxz', bytes: [0xe3, 7], adjust: (regs, r) => { regs[ECX] = (r() >>> 0) % 2; } },
      { name: 'call esi', bytes: reg([0xff], 2, ESI), adjust: (regs, r) => { regs[ESI] = (r() >>> 0) % 4 === 0 ? value(r) : CALL_AT; } },
      { name: 'call [ebx+0x10]', bytes: mem([0xff], 2), adjust: memAt },
      { name: 'push; ret 8', bytes: [0x68, ...d32(CODE + 5 + 3 + 7), 0xc2, 8, 0] },
      { name: 'lock jmp', bytes: [0xf0, 0xeb, 7] },
    ];
    check(forms);
    inline(forms.slice(0, 4));
  });

});
