/**
 * Regions (region.ts): the blocks of a page that go on to one another, in one
 * function. Run against the interpreter slice by slice, with every budget:
 * loops across several blocks, a fault in a later block of a region, a store
 * into the region's own code, a string instruction's handler in the loop,
 * breakpoints (which keep the region from going on by itself) and a page
 * whose blocks do not link.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, enablePaging, pteAddr, CODE } from '../../../../test/cpu/harness';
import { Executor, Exit } from '../executor';
import { expectSameMachines } from '../../../../test/cpu/agree';
import { decode } from '../decoder';
import { Instr } from '../instr';
import { regionsOf } from './region';
import type { Cpu } from '../state';

const budgets = [1, 3, 7, 100, 100_000];
const d32 = (v: number) => [0, 8, 16, 24].map((k) => ((v >>> k) & 255).toString(16).padStart(2, '0')).join(' ');

/**
 * Run `code` interpreted and with every block in WebAssembly after one run (in batches of `batch`: a
 * loop's blocks are compiled together), in slices of `budget`, comparing after each.
 */
function agree(code: string, budget: number, setup?: (c: Cpu) => void, batch = 2, breakAt: number[] = [], regions = true): { regions: number; exits: Exit[] } {
  agreeOnce(code, budget, setup, batch, breakAt, true, regions);
  return agreeOnce(code, budget, setup, batch, breakAt, false, regions);
}

/** `agree` with the registers in memory, or in locals (ExecutorOptions.wasmLocals). */
function agreeOnce(code: string, budget: number, setup: ((c: Cpu) => void) | undefined, batch: number, breakAt: number[], locals: boolean, regions: boolean): { regions: number; exits: Exit[] } {
  const make = (wasmAfter: number) => {
    const t = makeCpu(code, (c) => { enablePaging(c); c.mem.write32(pteAddr(0x5000), 0); setup?.(c); });
    t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter, wasmBatch: batch, wasmLocals: locals });
    return t;
  };
  const a = make(Infinity), b = make(1);
  const exits: Exit[] = [];
  let armed = false;
  for (let s = 0; s < 5000 && !(a.cpu.halted && b.cpu.halted); s++) {
    // The breakpoints once the regions exist (setting them drops every block: they are compiled again).
    if (!armed && breakAt.length > 0 && b.exec.wasmRegions > 0) {
      a.exec.setBreakpoints(breakAt);
      b.exec.setBreakpoints(breakAt);
      armed = true;
    }
    // A first slice long enough for the blocks to be compiled, then slices of `budget`.
    const n = s === 0 ? 200 : budget;
    const ea = a.exec.run(n), eb = b.exec.run(n);
    expect(eb, `slice ${s}`).toBe(ea);
    exits.push(eb);
    if (eb === Exit.BREAKPOINT) {
      // Stopped in front of it: the next run goes on from there, as the debugger's continue does.
      a.exec.resumeFrom = a.cpu.eip >>> 0;
      b.exec.resumeFrom = b.cpu.eip >>> 0;
    }
    expectSameMachines(a, b, `slice ${s}`);
  }
  expect(a.cpu.halted).toBe(true);
  if (regions) expect(b.exec.wasmRegions, 'regions compiled').toBeGreaterThan(0);
  return { regions: b.exec.wasmRegions, exits };
}

describe('regions: the blocks of a page that go on to one another, in one function', () => {
  // l: add %ecx,%eax; test $1,%cl; jz even; inc %ebx; jmp tail; even: add $2,%edx; tail: dec %ecx; jnz l; hlt
  const LOOP = '01 c8 f6 c1 01 74 03 43 eb 03 83 c2 02 49 75 f0 f4';

  it('a loop of four blocks runs as one region and agrees at every budget', () => {
    for (const n of budgets) agree(LOOP, n, (c) => { c.r32[1] = 300; }, 4);
  });

  it('a fault in a later block of a region: EIP, the count and the flags are the faulting instruction\'s', () => {
    // l: add $0x100,%esi; jmp m; m: mov (%esi),%edx; add %edx,%ebx; jmp l  (ESI reaches the unmapped 0x5000: #PF in m)
    const code = '81 c6 00 01 00 00 eb 00 8b 16 01 d3 eb f2';
    for (const n of budgets) agree(code, n, (c) => { c.r32[6] = 0x4000 - 0x100; });
  });

  it('a store into the region\'s own code leaves the region, and what runs next is the new code', () => {
    // l: nop; dec %ecx; jz end; mov %al,(%edi); jmp l; end: hlt. EDI = l and AL = 0x43: the nop becomes inc %ebx.
    const code = '90 49 74 04 88 07 eb f8 f4';
    for (const n of budgets) agree(code, n, (c) => { c.r32[1] = 50; c.r32[7] = CODE; c.r32[0] = 0x43; });
  });

  it('a block cut at 128 instructions whose last stores into the next block\'s code does not go on into its old body', () => {
    // l: 126 nops; inc %ebx; mov %bl,(%edi) (the cap). next: inc %eax; cmp $2,%ecx; cmove %esi,%edi; dec %ecx; jnz l; hlt
    // EDI points at data until the last pass, which stores BL = 0x42 over "inc %eax": inc %edx runs instead.
    const code = `${'90 '.repeat(126)}43 88 1f 40 83 f9 02 0f 44 fe 49 0f 85 ${d32(-143)} f4`;
    for (const n of budgets) agree(code, n, (c) => { c.r32[1] = 10; c.r32[3] = 0x38; c.r32[7] = 0x4000; c.r32[6] = CODE + 129; });
  });

  it('PUSH and POP through the CPU (a stack page the TLB does not map yet) keep ESP right in a region', () => {
    // l: sub $0x1000,%esp; push %eax; inc %eax; jmp m; m: pop %ebx; dec %ecx; jnz l; hlt
    const code = '81 ec 00 10 00 00 50 40 eb 00 5b 49 75 f2 f4';
    for (const n of budgets) agree(code, n, (c) => { c.r32[1] = 16; });
  });

  it('a REP STOSB by its handler in a loop: what it counted comes off the budget', () => {
    // l: mov $0x4000,%edi; mov $0x10,%ecx; rep stosb; dec %esi; jnz l; hlt. The string's block goes on by
    // its handler (no exit known when written), so these two blocks are no region: the dispatcher chains them.
    const code = 'bf 00 40 00 00 b9 10 00 00 00 f3 aa 4e 75 f1 f4';
    for (const n of [...budgets, 40, 41]) agree(code, n, (c) => { c.r32[6] = 30; }, 2, [], false);
  });

  it('a breakpoint inside a region stops there at the same instruction as interpreted', () => {
    // The breakpoint on "inc %ebx" (the odd passes' block), armed once the region has run.
    const { exits } = agree(LOOP, 500, (c) => { c.r32[1] = 3000; }, 4, [CODE + 7]);
    expect(exits.filter((e) => e === Exit.BREAKPOINT).length).toBeGreaterThan(100);
  });
});

describe('regionsOf', () => {
  /** Blocks decoded from `code` at CODE, cut where `starts` say (offsets). */
  function blocks(code: number[], starts: number[]): { instrs: Instr[] }[] {
    return starts.map((from, k) => {
      const to = k + 1 < starts.length ? starts[k + 1] : code.length, instrs: Instr[] = [];
      for (let at = from; at < to;) {
        const i = new Instr(() => {});
        const len = decode(Uint8Array.from(code), at, code.length, true, i);
        i.addr = CODE + at; i.off = at - from;
        instrs.push(i);
        at += len;
      }
      return { instrs };
    });
  }

  it('groups the blocks of a loop (linked by jumps, branches and fall-throughs), and leaves the others alone', () => {
    const code = [0x01, 0xc8, 0xf6, 0xc1, 0x01, 0x74, 0x03, 0x43, 0xeb, 0x03, 0x83, 0xc2, 0x02, 0x49, 0x75, 0xf0, 0xf4];
    const bs = blocks(code, [0, 7, 10, 13, 16]).slice(0, 4);
    const regions = regionsOf(bs);
    expect(regions.length).toBe(1);
    expect(regions[0].length).toBe(4);
    // Without "tail" (dec; jnz l) there is no loop: the others go on to one another only once, so each is alone.
    expect(regionsOf([bs[1], bs[2]]).map((r) => r.length)).toEqual([1, 1]);
    expect(regionsOf([bs[0], bs[1], bs[2]]).map((r) => r.length)).toEqual([1, 1, 1]);
    // "l", "inc; jmp tail" and "tail" still make a loop; "even" alone is not part of one.
    expect(regionsOf([bs[0], bs[3], bs[1]]).map((r) => r.length)).toEqual([3]);
    expect(regionsOf([bs[2], bs[3]]).map((r) => r.length)).toEqual([1, 1]);
  });

  it('a ret, an indirect jump or a handler links nothing', () => {
    // ret; jmp *%eax; hlt
    const bs = blocks([0xc3, 0xff, 0xe0, 0xf4], [0, 1, 3]);
    expect(regionsOf(bs).map((r) => r.length)).toEqual([1, 1, 1]);
  });
});
