/**
 * The dispatcher: the one function the run loop calls for every WebAssembly
 * block, `run(index, base, passes, left, chain)`. It runs table[index], and
 * then goes from block to block inside WebAssembly as the run loop would
 * (executor.ts nextBlock): `chain` set (no breakpoints anywhere) or the next
 * EIP on a page without a breakpoint (BP_PAGES), the next EIP found in the jump
 * cache, its block still there (in BLOCK_INFO, not DROPPED), the TLB still mapping
 * EIP's page to that block's frame with the right to fetch it at the CPL
 * (a page the TLB lost is walked again, through the imported `fill`), and
 * `left` instructions of budget for the whole block. It goes back to the
 * run loop when a block stopped early, ended in a handler (an instruction
 * that may change the mode, CS or how interrupts are taken) that found
 * something the run loop must see (tier.ts goOn: an interrupt to take, a
 * single step, CS no longer flat...), asked to leave (EXIT), or when the
 * next block is not found so: returning what the last block returned, with
 * that block's index and EIP in the cells, and every instruction beyond the
 * first block's first pass in RAN.
 *
 * A block that left by a static exit to its own page says so (CELL.EXIT_SLOT): the block found for it is
 * written into that exit's chain slot, and from then on the exit goes straight to it (`chainBytes`),
 * without coming back here.
 *
 * Going on through handlers and refilled TLB pages is what makes the lguest
 * path cheap: a trip through the Switcher is a dozen blocks that end in
 * LGDT, LTR, MOV CR3, IRET or INT, each of which used to go back to the run
 * loop.
 */
import { Code, OP, dispatcherModule, type ImportFn } from './emit';
import { CELL, CELL_AT } from './cells';
import { tlbIndexOf } from './writer';
import { TLB_TAG, TLB_PHYS, TLB_RIGHTS, ACC_R, JUMP_CACHE, JUMP_ENTRIES, BLOCK_INFO, CHAIN_SLOTS, BP_PAGES } from './layout';

/**
 * BLOCK_INFO: the length in the low 16 bits; NO_CHAIN when the block ends in an instruction after which
 * only its handler knows whether the dispatcher may go on (CELL.GO_ON); LOOPS when it may jump back to its
 * own start.
 */
export const NO_CHAIN = 0x10000;
export const LOOPS = 0x20000;
/**
 * DROPPED once the block is thrown away (its code written...): the dispatcher goes to it no more. Its length
 * stays, because the block may be the one that dropped itself, and its passes are counted by it after it returns.
 */
export const DROPPED = 0x40000;
const JUMP_BITS = Math.log2(JUMP_ENTRIES);

/** The jump cache's entry for `eip` (a byte offset into the memory): the dispatcher's hash, written once. */
export function jumpSlot(eip: number): number {
  return JUMP_CACHE + (Math.imul(eip, 0x9e3779b1) >>> (32 - JUMP_BITS)) * 12;
}

// Parameters, then locals.
const IDX = 0, BASE = 1, PASSES = 2, LEFT = 3, CHAIN = 4, DONE = 5, N = 6, EIP = 7, SLOT = 8, INFO = 9, X = 10, PAGE = 11, RAN = 12, AFTER = 13;

/**
 * What the dispatcher imports: `fill(eip)` walks the page tables for a fetch at EIP (tier.ts), as the
 * run loop would before the block there, and returns 1 if the TLB now holds its page.
 */
export const DISPATCH_IMPORTS: ImportFn[] = [{ name: 'fill', params: 1, result: true }];
const FILL = 0;
const BLOCK_TYPE = DISPATCH_IMPORTS.length + 1;

export function dispatcherBytes(pages: number): Uint8Array {
  const c = new Code();
  const cell = (k: number, value: () => void) => { c.i32(0); value(); c.store32(CELL_AT(k)); };
  const load = (k: number) => c.i32(0).load32(CELL_AT(k));
  /** Back to the run loop (with the last block's result) if the condition on the stack holds. */
  const leaveIf = () => c.if().get(DONE).return().end();
  cell(CELL.RAN, () => c.i32(0));
  // For a region (tier.ts), which goes from block to block inside itself as this loop would.
  cell(CELL.CHAIN, () => c.get(CHAIN));
  cell(CELL.BUDGET, () => c.get(LEFT));
  c.loop();
  cell(CELL.LAST_INDEX, () => c.get(IDX));
  cell(CELL.LAST_BASE, () => c.get(BASE));
  cell(CELL.PASSES, () => c.i32(0));
  cell(CELL.GO_ON, () => c.i32(0));
  cell(CELL.EXIT_SLOT, () => c.i32(-1));
  c.get(BASE).get(PASSES).get(IDX).callIndirect(BLOCK_TYPE).set(DONE);
  // The block that ran last (a region may have gone on to others of its own).
  load(CELL.LAST_INDEX).set(IDX);
  c.get(IDX).i32(2).op(OP.shl).load32(BLOCK_INFO).set(INFO);
  c.get(INFO).i32(0xffff).op(OP.and).set(N);
  // Its further passes are counted. RAN is what ran after the first block, what handlers counted
  // themselves included (a REP string's iterations): the budget left is LEFT - RAN.
  load(CELL.RAN); load(CELL.PASSES); c.get(N).op(OP.mul).op(OP.add).set(RAN);
  cell(CELL.RAN, () => c.get(RAN));
  c.get(DONE).get(N).op(OP.ne); leaveIf();
  // A block ending in a handler (IRET, INT, a far jump, MOV CR3...) goes on only if the handler found
  // nothing the run loop must see first (tier.ts goOn).
  c.get(INFO).i32(NO_CHAIN).op(OP.and);
  c.if(); load(CELL.GO_ON).op(OP.eqz); leaveIf(); c.end();
  load(CELL.EXIT); leaveIf();
  // The next block, by the jump cache; not on a page with a breakpoint (the run loop looks there).
  load(CELL.EIP).set(EIP);
  c.get(CHAIN).op(OP.eqz).if(); c.get(EIP).i32(12).op(OP.shrU).load8u(BP_PAGES); leaveIf(); c.end();
  c.get(EIP).i32(0x9e3779b1 | 0).op(OP.mul).i32(32 - JUMP_BITS).op(OP.shrU).i32(12).op(OP.mul).set(SLOT);
  c.get(SLOT).load32(JUMP_CACHE).get(EIP).op(OP.ne); leaveIf();
  c.get(SLOT).load32(JUMP_CACHE + 4).set(IDX);
  c.get(IDX).i32(2).op(OP.shl).load32(BLOCK_INFO).set(INFO);
  c.get(INFO).i32(DROPPED).op(OP.and); leaveIf();
  c.get(INFO).i32(0xffff).op(OP.and).set(N);
  c.get(N).op(OP.eqz); leaveIf();
  // The budget holds the whole block: counted now, as the run loop counts a block before it runs.
  c.get(LEFT).get(RAN).op(OP.sub).get(N).op(OP.sub).set(AFTER);
  c.get(AFTER).i32(0).op(OP.ltS); leaveIf();
  // The TLB still maps EIP's page to the block's frame, with the right to fetch it at the CPL. A page
  // it lost (a CR3 load flushes it) is walked now, as the run loop's fetch would walk it.
  c.get(EIP).i32(12).op(OP.shrU).set(PAGE);
  tlbIndexOf(c, EIP); c.set(X);
  c.get(X).i32(2).op(OP.shl).load32(TLB_TAG).get(PAGE).op(OP.ne);
  c.if(); c.get(EIP).call(FILL).op(OP.eqz); leaveIf(); c.end();
  c.get(X).load8u(TLB_RIGHTS).i32(0).load32(ACC_R).op(OP.and).op(OP.eqz); leaveIf();
  c.get(X).i32(2).op(OP.shl).load32(TLB_PHYS).get(SLOT).load32(JUMP_CACHE + 8).op(OP.ne); leaveIf();
  // Found so: if the block before left by a static exit to its own page, that exit goes straight here from now
  // on (chainBytes).
  load(CELL.EXIT_SLOT).set(X);
  c.get(X).i32(0).op(OP.geS).if().get(X).i32(2).op(OP.shl).get(IDX).i32(1).op(OP.add).store32(CHAIN_SLOTS).end();
  cell(CELL.RAN, () => c.get(RAN).get(N).op(OP.add));
  // Passes only for a block that loops on itself: the division is rare.
  c.i32(0).set(PASSES);
  c.get(INFO).i32(LOOPS).op(OP.and).if().get(AFTER).get(N).op(OP.divU).set(PASSES).end();
  c.get(EIP).set(BASE);
  c.br(0);
  c.end();
  c.get(DONE);
  return dispatcherModule('dispatch', pages, 5, 9, c, DISPATCH_IMPORTS);
}

/**
 * `chain(to, slot, n)`, which a block of `n` instructions tail-calls to leave by a static exit to EIP `to` on
 * its own page, whose chain slot is `slot`: on to the block in the slot (a tail call, so that block's result is
 * the block's own, and the cells say it ran last) if the dispatcher would go there now (no breakpoint on its page, no
 * request to leave, the block still there, the budget holds it), counted as the dispatcher counts it; else the
 * block's own end (EIP `to`, the slot in EXIT_SLOT for the dispatcher to fill once it has found the block there).
 * (A code write drops every block of its page, the ones that chain to each other together: DROPPED is looked at
 * all the same, as the dispatcher looks.)
 * One function for every block, so that each exit costs a call in the block's code, not this.
 */
export function chainBytes(pages: number): Uint8Array {
  const TO = 0, SLOT = 1, N = 2, NEXT = 3, INFO = 4, RA = 5, LEFT = 6;
  const c = new Code();
  const cell = (k: number, value: () => void) => { c.i32(0); value(); c.store32(CELL_AT(k)); };
  const load = (k: number) => c.i32(0).load32(CELL_AT(k));
  c.block();
  load(CELL.CHAIN).op(OP.eqz).if().get(TO).i32(12).op(OP.shrU).load8u(BP_PAGES).brIf(1).end();
  load(CELL.EXIT).brIf(0);
  c.get(SLOT).i32(2).op(OP.shl).load32(CHAIN_SLOTS).i32(1).op(OP.sub).set(NEXT);
  c.get(NEXT).i32(0).op(OP.ltS).brIf(0);
  c.get(NEXT).i32(2).op(OP.shl).load32(BLOCK_INFO).set(INFO);
  c.get(INFO).i32(DROPPED).op(OP.and).brIf(0);
  load(CELL.RAN); load(CELL.PASSES).get(N).op(OP.mul).op(OP.add).set(RA);
  load(CELL.BUDGET).get(RA).op(OP.sub).get(INFO).i32(0xffff).op(OP.and).op(OP.sub).set(LEFT);
  c.get(LEFT).i32(0).op(OP.ltS).brIf(0);
  cell(CELL.RAN, () => c.get(RA).get(INFO).i32(0xffff).op(OP.and).op(OP.add));
  cell(CELL.LAST_INDEX, () => c.get(NEXT));
  cell(CELL.LAST_BASE, () => c.get(TO));
  cell(CELL.PASSES, () => c.i32(0));
  cell(CELL.GO_ON, () => c.i32(0));
  c.get(TO);
  // Passes only for a block that loops on itself: the division is rare.
  c.get(INFO).i32(LOOPS).op(OP.and).if(true).get(LEFT).get(INFO).i32(0xffff).op(OP.and).op(OP.divU).else().i32(0).end();
  c.get(NEXT).returnCallIndirect(1);
  c.end();
  cell(CELL.EIP, () => c.get(TO));
  cell(CELL.EXIT_SLOT, () => c.get(SLOT));
  c.get(N);
  return dispatcherModule('chain', pages, 3, 4, c);
}
