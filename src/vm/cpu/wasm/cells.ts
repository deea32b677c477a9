/**
 * What a compiled WebAssembly block and the TypeScript around it (tier.ts)
 * pass each other: the cells (int32s at layout.ts CELLS) and the imports.
 */
import { CELLS } from './layout';

/** Cell numbers. (The flags are the CPU's own, in layout.ts FLAGS.) */
export const CELL = {
  /** The instruction under way: a fault a slow path throws is this one's. */
  INDEX: 0,
  /** EIP after the block, when it ran to its end. */
  EIP: 1,
  /** Further passes of a block that loops on itself. */
  PASSES: 2,
  /** 1 when the CPU asked to leave (exitBlock) during a slow path or handler: the dispatcher goes back to the run loop. */
  EXIT: 3,
  /** Instructions the dispatcher ran beyond the first block's first pass (further passes, chained blocks). */
  RAN: 4,
  /** The block under way (its table index, its EIP): the last one run when the dispatcher returns, or the one that faulted. */
  LAST_INDEX: 5,
  LAST_BASE: 6,
  /**
   * The dispatcher's: 1 when there are no breakpoints (else it, and the chains, go on to a block only on a page
   * without one; a region's blocks do not go on inside it at all), and the budget after the first block.
   */
  CHAIN: 7,
  BUDGET: 8,
  /**
   * 1 when the handler of a block's last instruction found that the dispatcher may go on to the next
   * block (tier.ts goOn); the dispatcher clears it before each block.
   */
  GO_ON: 9,
  /**
   * The chain slot (layout.ts CHAIN_SLOTS, by number) of the static exit the block left by, when that exit could
   * go straight on to the block there once known; -1 otherwise. The dispatcher fills the slot when it finds it.
   */
  EXIT_SLOT: 10,
} as const;

export const CELL_AT = (k: number) => CELLS + k * 4;

/** The imports, in the order of their function indices: the CPU's own slow paths. */
export const IMPORTS = [
  { name: 'rd8', params: 2, result: true },
  { name: 'rd16', params: 2, result: true },
  { name: 'rd32', params: 2, result: true },
  { name: 'rdW32', params: 2, result: true },
  { name: 'rdW8', params: 2, result: true },
  /**
   * Writes return 1 when the run loop wants the block left (code was written, a stop asked). These ten are
   * WebAssembly's (walk.ts), which calls the CPU's own for what the TLB and its page walk do not serve.
   */
  { name: 'wr8', params: 3, result: true },
  { name: 'wr32', params: 3, result: true },
  { name: 'wr16', params: 3, result: true },
  { name: 'push32', params: 1, result: true },
  { name: 'pop32', params: 0, result: true },
  /** Condition cc and CF from the CPU's flags (WebAssembly itself: lazyFlags.ts). */
  { name: 'cond', params: 1, result: true },
  { name: 'getCF', params: 0, result: true },
  /** An instruction's handler, by its id in the module's list; returns 1 to leave the block after it. */
  { name: 'call', params: 1, result: true },
  /** The block's last instruction's handler, given its EIP; returns the EIP after it. */
  { name: 'callLast', params: 2, result: true },
  /** EFLAGS whole, worked out from the CPU's flags: what INT pushes (WebAssembly itself: lazyFlags.ts). */
  { name: 'eflags', params: 0, result: true },
  /**
   * After an INT that gates.ts wrote out had pushed its frame and loaded CS and SS: the CPU's part
   * (vector, the new CPL, 1 for a trap gate, the INT's EIP, the EIP after it): EFLAGS, the CPL, the count and
   * observers.
   */
  { name: 'entered', params: 5, result: true },
  /**
   * A block's exit to its own page (the EIP there, the exit's chain slot, the block's length), tail-called: on to
   * the block in the slot if it may, else back to the dispatcher. WebAssembly itself (dispatch.ts chainBytes).
   */
  { name: 'chain', params: 3, result: true },
  /** MOV CR3 with its TLB flush, 1 if done; 0 leaves it to the handler (walk.ts, WebAssembly itself). */
  { name: 'movCr3', params: 1, result: true },
  /** The page walk for a linear address and a right (R_S, W_S...): 1 if the TLB now maps it so (walk.ts). */
  { name: 'walk', params: 2, result: true },
] as const;

export const IMPORT = Object.fromEntries(IMPORTS.map((f, k) => [f.name, k])) as { [K in (typeof IMPORTS)[number]['name']]: number };
