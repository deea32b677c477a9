/**
 * A region: the blocks of one batch decoded from the same page, written into
 * one function. The dispatcher calls it through any of their table indices;
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
 * The blocks of one page, in regions: those that go on to one another by a jump, a branch or a
 * fall-through (the exits known when written) together, the others alone.
 */
export function regionsOf<B extends { instrs: Instr[] }>(blocks: B[]): B[][] {
  const byAddr = new Map<number, number>();
  blocks.forEach((b, k) => byAddr.set(b.instrs[0].addr, k));
  // Union-find over the links.
  const root = blocks.map((_, k) => k);
  const find = (k: number): number => { while (root[k] !== k) k = root[k] = root[root[k]]; return k; };
  blocks.forEach((b, k) => {
    for (const to of staticExits(b.instrs)) {
      const j = byAddr.get(to);
      if (j !== undefined) root[find(j)] = find(k);
    }
  });
  const groups = new Map<number, B[]>();
  blocks.forEach((b, k) => {
    const r = find(k), g = groups.get(r);
    if (g === undefined) groups.set(r, [b]); else g.push(b);
  });
  const out: B[][] = [];
  for (const g of groups.values()) for (let k = 0; k < g.length; k += MAX_REGION) out.push(g.slice(k, k + MAX_REGION));
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
  if (count === 1) return [writeBlock(w, blocks[0].instrs, null)];
  const byAddr = new Map<number, RegionBlock>();
  blocks.forEach((b, k) => byAddr.set(b.instrs[0].addr, { cur: k, index: firstIndex + k, n: b.instrs.length, loops: loopsOnItself(b.instrs) }));
  c.i32(0).load32(CELL_AT(CELL.LAST_INDEX)).i32(firstIndex).op(OP.sub).set(CUR);
  c.loop();
  const region = { at: (addr: number) => byAddr.get(addr) ?? null, top: c.depth };
  // Body k follows the end of the k-th innermost block: br_table goes to the end for CUR.
  for (let k = 0; k < count; k++) c.block();
  c.get(CUR).brTable(blocks.map((_, k) => k), count - 1);
  const written: Written[] = [];
  for (const b of blocks) {
    c.end();
    written.push(writeBlock(w, b.instrs, region));
  }
  c.end();
  // Every body returns or goes round the loop: this is never reached, but a function must end with its result.
  c.i32(0);
  return written;
}
