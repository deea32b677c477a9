/**
 * The WebAssembly tier: blocks of 32-bit code become WebAssembly functions
 * (block.ts writes their bodies), many to a module, in one table; the run
 * loop calls them all through one exported dispatcher, `run(index, EIP,
 * passes)`, so its call site stays the same whichever block runs.
 *
 * V8 compiles a module's functions in a few microseconds each, but a module
 * costs tens of microseconds of its own: blocks are queued when they become
 * hot and compiled together once `batch` of them wait (or when the oldest has
 * waited a million instructions); until then they run as before.
 *
 * A block function returns how many instructions ran, as compiled JavaScript
 * does (fewer when a slow path asked to leave). The rest comes back through
 * the cells: the next EIP, the passes taken, and the lazy flags the block
 * set, which `pull` copies into the CPU's fields after the block and before
 * anything of the CPU's that reads them (a condition, CF, a fault's
 * delivery). A fault in a slow path is thrown through the block to the run
 * loop, with the faulting instruction's index in a cell.
 */
import type { Cpu } from '../state';
import type { Instr } from '../instr';
import type { Code } from './emit';
import { condition, getCF, ARITH } from '../flags';
import { blocksModule, dispatcherModule } from './emit';
import { blockBody, LOCALS } from './block';
import { CELL, IMPORTS } from './cells';
import { CELLS, CELL_COUNT } from './layout';

/** What the tier needs of a block: its instructions, and where it puts the function's table index. */
export interface WasmCandidate {
  readonly instrs: Instr[];
  readonly code32: boolean;
  readonly valid: boolean;
  wasmIndex: number;
}

/** Oldest waiting block's age (instructions) at which a partial batch is compiled. */
const MAX_WAIT = 1_000_000;

export class WasmTier {
  readonly cells: Int32Array;
  /** Calls table[index](base, passes). */
  readonly dispatch: (index: number, base: number, passes: number) => number;
  /** The slow paths every module imports; each module adds the calls of its own instructions' handlers. */
  private readonly slow: Record<string, (...a: number[]) => number>;
  private readonly memories: Record<string, WebAssembly.ImportValue>;
  private readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 0 });
  private readonly pages: number;
  private pending: { block: WasmCandidate; body: Code }[] = [];
  /** The instructions the waiting blocks call handlers for, by id. */
  private handlers: Instr[] = [];
  private oldestAt = 0;
  compiled = 0;

  constructor(private readonly c: Cpu, private readonly batch: number) {
    this.cells = new Int32Array(c.mem.wasm.buffer, CELLS, CELL_COUNT);
    this.cells[CELL.CARRY] = -1;
    this.cells[CELL.LAZY_MASK] = -1;
    this.cells[CELL.ARITH] = -1;
    this.pages = c.mem.wasm.buffer.byteLength / 65536;
    const f: Record<string, (...a: number[]) => number> = {
      rd8: (seg, off) => c.rd8(seg, off),
      rd16: (seg, off) => c.rd16(seg, off),
      rd32: (seg, off) => c.rd32(seg, off),
      rdW32: (seg, off) => c.rdW32(seg, off),
      wr8: (seg, off, v) => { c.wr8(seg, off, v); return c.exitBlock ? 1 : 0; },
      wr32: (seg, off, v) => { c.wr32(seg, off, v); return c.exitBlock ? 1 : 0; },
      push32: (v) => { c.push32(v); return c.exitBlock ? 1 : 0; },
      pop32: () => c.pop32(),
      cond: (cc) => { this.pull(); return condition(c, cc) ? 1 : 0; },
      getCF: () => { this.pull(); return getCF(c); },
    };
    this.slow = f;
    this.memories = { mem: c.mem.wasm, tbl: this.table };
    const d = new WebAssembly.Instance(new WebAssembly.Module(dispatcherModule(this.pages)), { m: this.memories });
    this.dispatch = d.exports.run as (index: number, base: number, passes: number) => number;
  }

  /** Queue a hot block; false if it is not one this tier takes (16-bit code: the JavaScript tier's then). */
  offer(block: WasmCandidate): boolean {
    if (!block.code32) return false;
    const handlers = this.handlers;
    const body = blockBody(block.instrs, this.c.mem.ramBase, (i) => handlers.push(i) - 1);
    if (this.pending.length === 0) this.oldestAt = this.c.instructions;
    this.pending.push({ block, body });
    if (this.pending.length >= this.batch) this.flush();
    return true;
  }

  /** Compile a partial batch whose oldest block has waited long enough (the run loop asks between runs). */
  tick(): void {
    if (this.pending.length > 0 && this.c.instructions - this.oldestAt >= MAX_WAIT) this.flush();
  }

  /** Compile the waiting blocks that are still valid, into one module, and give each its index. */
  flush(): void {
    const live = this.pending.filter((p) => p.block.valid);
    const handlers = this.handlers;
    this.pending = [];
    this.handlers = [];
    if (live.length === 0) return;
    const at = this.table.length;
    this.table.grow(live.length);
    const bytes = blocksModule(this.pages, at, [...IMPORTS], LOCALS, live.map((p) => p.body));
    new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: this.memories, f: { ...this.slow, ...this.handlerCalls(handlers) } });
    live.forEach((p, k) => { p.block.wasmIndex = at + k; });
    this.compiled += live.length;
  }

  /** The handler calls of one module, over its instructions. */
  private handlerCalls(handlers: Instr[]): Record<string, (...a: number[]) => number> {
    const c = this.c;
    return {
      call: (id) => {
        this.pull();
        const i = handlers[id];
        i.fn(c, i);
        return c.exitBlock ? 1 : 0;
      },
      callLast: (id, eip) => {
        this.pull();
        const i = handlers[id];
        c.eip = eip;
        c.eipNext = (eip + i.len) | 0;
        i.fn(c, i);
        return c.eipNext;
      },
    };
  }

  /** Copy the flags a block set (if it set any) into the CPU. */
  pull(): void {
    const c = this.c, cells = this.cells;
    // A shift's concrete flags, then CF as an INC/DEC after it kept it, then the lazy record (which a
    // shift leaves with mask 0: every flag concrete).
    if (cells[CELL.ARITH] !== -1) {
      c.flagsRaw = (c.flagsRaw & ~ARITH) | cells[CELL.ARITH];
      cells[CELL.ARITH] = -1;
    }
    if (cells[CELL.CARRY] !== -1) {
      c.flagsRaw = (c.flagsRaw & ~1) | cells[CELL.CARRY];
      cells[CELL.CARRY] = -1;
    }
    if (cells[CELL.LAZY_MASK] !== -1) {
      c.lazyOp = cells[CELL.LAZY_OP]; c.lazySize = cells[CELL.LAZY_SIZE];
      c.lazyA = cells[CELL.LAZY_A]; c.lazyB = cells[CELL.LAZY_B]; c.lazyRes = cells[CELL.LAZY_RES];
      c.lazyMask = cells[CELL.LAZY_MASK];
      cells[CELL.LAZY_MASK] = -1;
    }
  }
}
