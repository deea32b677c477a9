/**
 * A region: the blocks of a loop, compiled in one batch from the same page,
 * written into one function. The dispatcher calls it through any of their table indices;
 * it starts at the body of the block the dispatcher meant (CELL.LAST_INDEX),
 * and where a block ends in a jump, a branch or a fall-through to another
 * block of the region on the same page it goes on to that block's body inside
 * the function (block.ts `into`): no return, no jump-cache look-up, no TLB
 * check (the same page, fetched at the same CPL a moment ago: anything that
 * could change that ends a block in a handler, which goes back to the
 * dispatcher). The loops of a program's inner loops run so without leaving
 * WebAssembly, as v86 runs a page of code in one function.
 */
import type { Instr } from '../instr';
import { OP } from './emit';
import { CELL, CELL_AT } from './cells';
import { Writer, CUR } from './writer';
import { writeBlock, loopsOnItself, staticExits, type RegionBlock } from './block';

/** Regions are capped: V8 compiles a function whole, and a big one waits longer to be optimized. */
const MAX_REGION = 32;

/**
 * The blocks of one page, in regions: the blocks of each loop (a strongly connected part of the graph
 * of their exits known when written: jumps, branches, fall-throughs) together, every other block
 * alone. A block that goes on to another only once gains nothing from sharing a function with it,
 * and V8 spends more on a bigger one.
 */
export function regionsOf<B extends { instrs: Instr[] }>(blocks: B[]): B[][] {
  const byAddr = new Map<number, number>();
  blocks.forEach((b, k) => byAddr.set(b.instrs[0].addr, k));
  const exits = blocks.map((b) => staticExits(b.instrs).map((to) => byAddr.get(to)).filter((j): j is number => j !== undefined));
  // Tarjan's strongly connected components (the graph is a batch's: at most 64 blocks).
  const index: number[] = blocks.map(() => -1), low: number[] = blocks.map(() => 0), onStack = blocks.map(() => false);
  const stack: number[] = [], out: B[][] = [];
  let next = 0;
  const visit = (v: number): void => {
    index[v] = low[v] = next++;
    stack.push(v); onStack[v] = true;
    for (const w of exits[v]) {
      if (index[w] < 0) { visit(w); low[v] = Math.min(low[v], low[w]); } else if (onStack[w]) low[v] = Math.min(low[v], index[w]);
    }
    if (low[v] !== index[v]) return;
    const part: B[] = [];
    let w: number;
    do { w = stack.pop()!; onStack[w] = false; part.push(blocks[w]); } while (w !== v);
    // In address order: a loop's fall-throughs and forward jumps are then branches forward (writeRegion).
    part.sort((a, b) => (a.instrs[0].addr >>> 0) - (b.instrs[0].addr >>> 0));
    for (let k = 0; k < part.length; k += MAX_REGION) out.push(part.slice(k, k + MAX_REGION));
  };
  blocks.forEach((_, v) => { if (index[v] < 0) visit(v); });
  return out;
}

/** What a region's blocks give back: for each, whether it ends in a handler that changes how the CPU goes on, and whether it loops on itself. */
export interface Written { endsInHandler: boolean; loops: boolean }

/**
 * Write the region of `blocks` (table indices firstIndex, firstIndex + 1, ...) as one function into
 * `w`: `run(base, passes)` for the block at index CELL.LAST_INDEX. `locals`: the registers are kept in
 * WebAssembly locals while it runs.
 */
export function writeRegion(w: Writer, blocks: { instrs: Instr[] }[], firstIndex: number, locals = false): Written[] {
  const c = w.c, count = blocks.length;
  // With `locals`, the registers in locals for all the bodies, so that a loop across them keeps them
  // there (writer.ts spill). Off by default: measured, the bench kernel gained 3 % and the Linux boot
  // lost 12 % (the loads and stores around every call and handler, and V8's time on the bigger code).
  if (locals) {
    w.cached.fill(true);
    w.reload();
  }
  // A block alone is a function of its own: nothing to choose between.
  if (count === 1) return [writeBlock(w, blocks[0].instrs, null, firstIndex)];
  const byAddr = new Map<number, RegionBlock>();
  blocks.forEach((b, k) => byAddr.set(b.instrs[0].addr, { cur: k, index: firstIndex + k, n: b.instrs.length, loops: loopsOnItself(b.instrs) }));
  c.i32(0).load32(CELL_AT(CELL.LAST_INDEX)).i32(firstIndex).op(OP.sub).set(CUR);
  c.loop();
  const region = { at: (addr: number) => byAddr.get(addr) ?? null, top: c.depth, count, cur: 0 };
  // Body k follows the end of the k-th innermost block: br_table goes to the end for CUR.
  for (let k = 0; k < count; k++) c.block();
  c.get(CUR).brTable(blocks.map((_, k) => k), count - 1);
  const written: Written[] = [];
  blocks.forEach((b, k) => {
    c.end();
    region.cur = k;
    written.push(writeBlock(w, b.instrs, region, firstIndex + k));
  });
  c.end();
  // Every body returns or goes round the loop: this is never reached, but a function must end with its result.
  c.i32(0);
  return written;
}
