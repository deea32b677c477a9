/**
 * For the block compiler's tests (src/vm/cpu/compile/inline.test.ts): one
 * instruction run by its handler and by compiled code over many operands,
 * and everything compared. Two machines do it (the harness's, with paging on:
 * the data page at DATA is mapped, the page after it is not, so memory
 * operands near its end fault), one that never compiles and one that
 * compiles a block at its first run. The instruction is followed by SETcc of
 * every condition and a Jcc, so the flags it leaves are also read the way
 * compiled code reads them. The WebAssembly tier (src/vm/cpu/wasm/) is
 * compared the same way.
 */
import { expect } from 'vitest';
import { makeCpu, enablePaging, pteAddr, setFlags, STACK_TOP, CODE, type TestCpu } from './harness';
import { Executor } from '../../src/vm/cpu/executor';
import { compileBlock } from '../../src/vm/cpu/compiler';
import { blockBody } from '../../src/vm/cpu/wasm/block';
import { getFlags } from '../../src/vm/cpu/flags';
import type { Cpu } from '../../src/vm/cpu/state';

export const DATA = 0x4000, UNMAPPED = 0x5000;
/** The stack bytes compared (exception frames land there). */
const STACK_LOW = STACK_TOP - 0x100;

/** Values that find the edges: signs, carries, byte and word boundaries, shift counts. */
export const EDGES = [0, 1, 2, 7, 8, 9, 16, 31, 32, 33, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
  0x7fffffff, 0x80000000 | 0, 0x80000001 | 0, 0xfffffffe | 0, 0xffffffff | 0];

/** A small deterministic generator (xorshift32), so a failure names a case that comes back. */
export function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
    return s;
  };
}

/** An operand: an edge value, a random byte, or any 32 bits. */
export function value(r: () => number): number {
  const k = (r() >>> 0) % 10;
  if (k < 4) return EDGES[(r() >>> 0) % EDGES.length];
  if (k < 6) return r() & 0xff;
  return r();
}

/** An address for a memory operand: mostly inside the data page, sometimes across its end. */
export function address(r: () => number): number {
  return (r() >>> 0) % 8 === 0 ? UNMAPPED - 8 + ((r() >>> 0) % 12) : DATA + ((r() >>> 0) % 0xf00);
}

export interface Case {
  /** The general registers (ESP is set to the harness's stack unless given). */
  regs: number[];
  flags: number;
  /** The data page's contents, 1024 doublewords. */
  data: Int32Array;
}

/** A data page of operands, edge values and random ones. */
export function randomData(r: () => number): Int32Array {
  const data = new Int32Array(1024);
  for (let k = 0; k < data.length; k++) data[k] = value(r);
  return data;
}

/**
 * A random case over `data` (the memory operand's address varies from case to case); `adjust`
 * then fixes what the form needs (addresses in registers, small counts).
 */
export function randomCase(r: () => number, data: Int32Array, adjust?: (regs: number[], r: () => number) => void): Case {
  const regs = Array.from({ length: 8 }, () => value(r));
  regs[4] = STACK_TOP - 0x40;
  adjust?.(regs, r);
  // Any arithmetic flags, DF now and then (string direction); IF off: no interrupts here.
  const flags = (r() & 0x8d5) | ((r() >>> 0) % 4 === 0 ? 0x400 : 0);
  return { regs, flags, data };
}

/** Where the SETcc after the instruction store the sixteen conditions. */
const CONDS = 0x6000;

/** The compiled tier a comparison runs against the interpreter. */
/** 'wasm-locals': the WebAssembly tier with the registers in locals (ExecutorOptions.wasmLocals). */
export type Tier = 'js' | 'wasm' | 'wasm-locals';

/** The machines by tier (made once: a machine's memory and tables cost more than many cases). */
const pairs = new Map<Tier, [TestCpu, TestCpu]>();

function machine(tier: Tier | null): TestCpu {
  const t = makeCpu('f4', (c) => {
    enablePaging(c);
    c.mem.write32(pteAddr(UNMAPPED), 0);
  });
  t.exec = new Executor(t.cpu, tier === 'js' ? { compileAfter: 1 }
    : tier !== null ? { compileAfter: Infinity, wasmAfter: 1, wasmBatch: 1, wasmLocals: tier === 'wasm-locals' } : { compileAfter: Infinity });
  return t;
}

/**
 * The machines (interpreted, compiled) with a form's code: the instruction,
 * SETcc of every condition into CONDS (compiled, they read the flags the way
 * the instruction left them for a Jcc), then the Jcc `cc` over one HLT, and
 * two HLTs. Blocks of the form before are dropped.
 */
function machines(bytes: number[], cc: number, tier: Tier = 'js'): [TestCpu, TestCpu] {
  let pair = pairs.get(tier);
  if (pair === undefined) pairs.set(tier, pair = [machine(null), machine(tier)]);
  const sets: number[] = [];
  for (let k = 0; k < 16; k++) sets.push(0x0f, 0x90 | k, 0x05, ...[0, 8, 16, 24].map((s) => ((CONDS + k) >>> s) & 255));
  const code = new Uint8Array([...bytes, ...sets, 0x70 | cc, 0x01, 0xf4, 0xf4]);
  for (const t of pair) {
    t.mem.load(CODE, code);
    t.exec.flush();
  }
  return pair;
}

/** The memory compared: the data page, the conditions, the stack (exception frames land there). */
const SPANS: [number, number][] = [[DATA, 0x1000], [CONDS, 16], [STACK_LOW, STACK_TOP - STACK_LOW]];
const words = (t: TestCpu, at: number, len: number) => new Int32Array(t.mem.bytes.buffer, t.mem.bytes.byteOffset + at, len >> 2);

/** What differs between the two machines (an empty list: nothing). */
function differences(a: TestCpu, b: TestCpu, sa: number, sb: number): string[] {
  const out: string[] = [];
  const x = a.cpu, y = b.cpu, h = (v: number) => (v >>> 0).toString(16);
  for (let r = 0; r < 8; r++) if (x.r32[r] !== y.r32[r]) out.push(`r${r} ${h(x.r32[r])} vs ${h(y.r32[r])}`);
  if (x.eip !== y.eip) out.push(`eip ${h(x.eip)} vs ${h(y.eip)}`);
  if (getFlags(x) !== getFlags(y)) out.push(`flags ${h(getFlags(x))} vs ${h(getFlags(y))}`);
  if (x.instructions - sa !== y.instructions - sb) out.push(`count ${x.instructions - sa} vs ${y.instructions - sb}`);
  if (x.halted !== y.halted) out.push(`halted ${x.halted} vs ${y.halted}`);
  if (x.shutdownReason !== y.shutdownReason) out.push(`shutdown ${x.shutdownReason} vs ${y.shutdownReason}`);
  const va = a.history.map((d) => `${d.vector}/${d.code}@${h(d.eip)}`).join(','), vb = b.history.map((d) => `${d.vector}/${d.code}@${h(d.eip)}`).join(',');
  if (va !== vb) out.push(`vectors ${va} vs ${vb}`);
  for (const [at, len] of SPANS) {
    const p = words(a, at, len), q = words(b, at, len);
    for (let k = 0; k < p.length; k++) if (p[k] !== q[k]) out.push(`[${h(at + 4 * k)}] ${h(p[k])} vs ${h(q[k])}`);
  }
  return out;
}

function load(t: TestCpu, k: Case): number {
  const c = t.cpu;
  k.regs.forEach((v, r) => { c.r32[r] = v; });
  setFlags(c, k.flags);
  words(t, DATA, 0x1000).set(k.data);
  for (const [at, len] of SPANS.slice(1)) words(t, at, len).fill(0);
  c.eip = CODE;
  c.halted = false;
  // A case that ended in a triple fault must not leave the next one shut down before it starts.
  c.shutdownReason = null;
  c.interruptShadow = false;
  t.history.length = 0;
  return c.instructions;
}

/**
 * Run `cases` on both tiers (interpreted, compiled); the first disagreement
 * as text (null: none). `budgets` runs each case in slices of those sizes (a
 * REP string stopping at the budget and going on), comparing after each.
 */
export function disagreement(bytes: number[], cases: Case[], cc: number, budgets: number[] = [10_000], tier: Tier = 'js'): string | null {
  const [a, b] = machines(bytes, cc, tier);
  // The first run of a block compiles it (and interprets it that once); both run it, so that memory
  // outside what is compared (a bit string far away) stays alike too.
  for (const t of [a, b]) {
    load(t, cases[0]);
    t.exec.run(10_000);
  }
  for (const k of cases) {
    const sa = load(a, k), sb = load(b, k);
    for (let s = 0; s < 100 && !(a.cpu.halted && b.cpu.halted); s++) {
      const n = budgets[s % budgets.length];
      a.exec.run(n);
      b.exec.run(n);
      const diff = differences(a, b, sa, sb);
      if (diff.length > 0) {
        return `case regs ${k.regs.map((v) => (v >>> 0).toString(16)).join(' ')} flags ${k.flags.toString(16)}, slice ${s}: `
          + `interpreted vs compiled: ${diff.slice(0, 8).join('; ')}`;
      }
    }
  }
  return null;
}

/** Does the WebAssembly tier write the form (the block's first instruction) out itself, not by calling its handler? */
export function wasmWritesInline(bytes: number[]): boolean {
  const t = machines(bytes, 0, 'wasm')[1];
  t.cpu.eip = CODE;
  const block = t.exec.blockAt();
  const called: unknown[] = [];
  blockBody(block.instrs, t.mem.ramBase, (i) => called.push(i));
  return !called.includes(block.instrs[0]);
}

/** The source of the block compiled at CODE: to check that a form is written inline (no call of h0). */
export function compiledSource(bytes: number[]): string {
  const t = machines(bytes, 0)[1];
  t.cpu.eip = CODE;
  return compileBlock(t.exec.blockAt()).toString();
}

/**
 * Two machines that ran the same program (one interpreted, one compiled) are alike: registers, segment
 * registers with their caches, CPL, EIP, flags, count, HLT, deliveries, memory.
 */
export function expectSameMachines(a: TestCpu, b: TestCpu, where: string): void {
  const x = a.cpu, y = b.cpu;
  expect([...y.r32], where).toEqual([...x.r32]);
  const segments = (c: typeof x) => [c.cpl, c.accR, c.accW, c.stack32, c.code32, c.codeMode, [...c.segSel], [...c.segBase], [...c.segLimit], [...c.segAttr], [...c.segFlatR], [...c.segFlatW]];
  expect(segments(y), `segments, ${where}`).toEqual(segments(x));
  const system = (c: typeof x) => [c.gdtr, c.idtr, c.tr, c.ldtr].map((s) => [s.sel, s.base, s.limit, s.attr]);
  expect(system(y), `GDTR, IDTR, TR, LDTR, ${where}`).toEqual(system(x));
  expect([...y.vectorCounts], `vector counts, ${where}`).toEqual([...x.vectorCounts]);
  expect([y.eip >>> 0, getFlags(y), y.instructions, y.halted], where).toEqual([x.eip >>> 0, getFlags(x), x.instructions, x.halted]);
  expect(b.history, where).toEqual(a.history);
  expect(Buffer.compare(b.mem.bytes, a.mem.bytes), `memory, ${where}`).toBe(0);
}

/**
 * A program run interpreted and in the WebAssembly tier (each block compiled at its first run), in slices
 * of `budget`, the machines compared after each slice; it must end halted. Paging is on, UNMAPPED is not
 * mapped. Returns how many blocks the tier compiled.
 */
export function agreeOnProgram(code: string, budget: number, setup?: (c: Cpu) => void): number {
  const make = (wasmAfter: number) => {
    const t = makeCpu(code, (c) => { enablePaging(c); c.mem.write32(pteAddr(UNMAPPED), 0); setup?.(c); });
    t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter, wasmBatch: 1 });
    return t;
  };
  const a = make(Infinity), b = make(1);
  for (let s = 0; s < 2000 && !(a.cpu.halted && b.cpu.halted); s++) {
    a.exec.run(budget);
    b.exec.run(budget);
    expectSameMachines(a, b, `slice ${s}`);
  }
  expect(a.cpu.halted).toBe(true);
  return b.exec.blocksCompiledWasm;
}
