/**
 * One WebAssembly memory holds the machine: the CPU state that compiled
 * WebAssembly blocks read and write, then RAM. The TypeScript side sees the
 * same bytes through typed arrays (state.ts, memory.ts), so the registers,
 * the TLB and the code-page marks have one home whichever tier runs.
 *
 * Offsets are bytes from the memory's start; RAM starts at `ramBase`, a
 * multiple of 64 KiB after the state, so physical address p is at
 * ramBase + p (a load's constant offset, free in WebAssembly).
 */

/** r32: EAX..EDI, 8 × int32 (r16 and r8 overlay them). */
export const REGS = 0;
/** segFlatR, segFlatW: 6 bytes each. */
export const SEG_FLAT_R = 32;
export const SEG_FLAT_W = 40;
/** accR, accW as int32: the rights bit a data read or write needs at the current CPL; then stack32 (0 or 1). */
export const ACC_R = 48;
export const ACC_W = 52;
export const STACK32 = 56;
/** The CPL as an int32 (a segment load checks it against the descriptor's DPL). */
export const CPL = 60;
/** A compiled block's outputs: the next EIP, its passes, where it stopped (see wasm/cells.ts). */
export const CELLS = 64;
export const CELL_COUNT = 12;
/** segSel: the six segment selectors, uint16 each (PUSH of a segment register reads them). */
export const SEG_SEL = CELLS + CELL_COUNT * 4;
/**
 * The rest of the segment registers' descriptor caches, which a load of DS, ES, FS or GS writes: segBase
 * (int32 each), segLimit (uint32 each), segAttr (uint16 each). Then GDTR, IDTR and TR, each as its base,
 * limit, attributes and selector (uint32 each): a segment load finds its descriptor through GDTR, LGDT and
 * LIDT write theirs, INT finds its gate through IDTR and the inner ring's stack in the TSS TR names, LTR
 * writes TR.
 */
export const SEG_BASE = SEG_SEL + 16;
export const SEG_LIMIT = SEG_BASE + 24;
export const SEG_ATTR = SEG_LIMIT + 24;
export const GDTR_BASE = SEG_ATTR + 16;
export const GDTR_LIMIT = GDTR_BASE + 4;
export const IDTR_BASE = GDTR_BASE + 16;
export const IDTR_LIMIT = IDTR_BASE + 4;
export const TR_BASE = IDTR_BASE + 16;
export const TR_LIMIT = TR_BASE + 4;
export const TR_ATTR = TR_BASE + 8;
export const TR_SEL = TR_BASE + 12;
/**
 * CR0, CR3 and CR4, the number of TLB entries listed in TLB_USED, the data breakpoints DR7 enables (a
 * bit each) and the interrupt line, as int32s: the page walk written in WebAssembly (walk.ts) reads and keeps them as paging.ts does.
 */
export const CONTROL = TR_BASE + 16;
export const CR0_AT = CONTROL, CR3_AT = CONTROL + 4, CR4_AT = CONTROL + 8, TLB_USED_COUNT = CONTROL + 12, DB_DATA = CONTROL + 16;
/** 1 while a maskable interrupt line is raised (state.ts intrLine): an IRET that sets IF then leaves for the run loop. */
export const INTR_LINE = CONTROL + 20;
export const CONTROL_WORDS = 6;
/**
 * EFLAGS (flags.ts): the concrete bits, then the lazy record of the last instruction that set the arithmetic
 * flags (the mask of those still to be worked out from it, its kind, size, operands, result and carry in), as
 * int32s: one home for the interpreter, the compiled JavaScript and the compiled WebAssembly, which writes it
 * where a block stores its flags and works out conditions from it itself (wasm/lazyFlags.ts).
 */
export const FLAGS = CONTROL + 32;
export const FLAGS_RAW = FLAGS, LAZY_MASK = FLAGS + 4, LAZY_OP = FLAGS + 8, LAZY_SIZE = FLAGS + 12;
export const LAZY_A = FLAGS + 16, LAZY_B = FLAGS + 20, LAZY_RES = FLAGS + 24, LAZY_CARRY = FLAGS + 28;
export const FLAGS_WORDS = 8;

/** TLB entries (paging.ts): a power of two. */
export const TLB_ENTRIES = 4096;
/**
 * tlbTag and tlbPhys (int32 each), tlbRights, tlbGlobal and tlbLarge (a byte each), then tlbUsed (int32 each:
 * the entries filled since the last flush, TLB_USED_COUNT of them).
 */
export const TLB_TAG = 4096;
export const TLB_PHYS = TLB_TAG + TLB_ENTRIES * 4;
export const TLB_RIGHTS = TLB_PHYS + TLB_ENTRIES * 4;
export const TLB_GLOBAL = TLB_RIGHTS + TLB_ENTRIES;
export const TLB_LARGE = TLB_GLOBAL + TLB_ENTRIES;
export const TLB_USED = TLB_LARGE + TLB_ENTRIES;
/**
 * The WebAssembly tier's own (tier.ts): the jump cache, JUMP_ENTRIES of (EIP, table index, frame),
 * by a hash of EIP, through which its dispatcher goes from block to block (large, so that the blocks
 * of a Linux boot seldom share an entry: 4,096 entries missed 4 times as often); and a word per table
 * index, BLOCK_INFO (the block's length, NO_CHAIN, or 0 once the block is dropped).
 */
export const JUMP_ENTRIES = 65536;
export const JUMP_CACHE = TLB_USED + TLB_ENTRIES * 4;
export const MAX_CHAINED = 65536;
export const BLOCK_INFO = JUMP_CACHE + JUMP_ENTRIES * 12;
/**
 * Two words per table index, CHAIN_SLOTS: for each of the block's static exits to its own page (a jump's
 * target, a branch's two ways, a fall-through), the table index + 1 of the block there, once the dispatcher
 * has found it (0 until then): the block then goes straight on to it (dispatch.ts chainBytes).
 */
export const CHAIN_SLOTS = BLOCK_INFO + MAX_CHAINED * 4;
/**
 * A byte per 4 KiB linear page, 1 where the debugger has a breakpoint (executor.ts bpPages): with breakpoints
 * set, the dispatcher and the chains go on to a block only on a page without one (the run loop looks at the rest).
 */
export const BP_PAGES = CHAIN_SLOTS + MAX_CHAINED * 8;
/**
 * memory.ts's `written`: a byte per 4 KiB page of RAM (room for 4 GiB), 1 once the page may hold something
 * other than zeros. The page walk in WebAssembly gives write rights only to a page already marked.
 */
export const WRITTEN_PAGES = BP_PAGES + (1 << 20);
/** codePages (memory.ts): a byte per 4 KiB page of RAM. */
export const CODE_PAGES = WRITTEN_PAGES + (1 << 20);

const WASM_PAGE = 65536;

/** Where RAM of `ramBytes` starts. */
export function ramBase(ramBytes: number): number {
  return Math.ceil((CODE_PAGES + (ramBytes >>> 12)) / WASM_PAGE) * WASM_PAGE;
}

/** The whole memory for RAM of `ramBytes`, in 64 KiB WebAssembly pages. */
export function memoryPages(ramBytes: number): number {
  return Math.ceil((ramBase(ramBytes) + ramBytes) / WASM_PAGE);
}
