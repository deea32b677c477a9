/**
 * The WebAssembly tier: blocks of 32-bit code become WebAssembly functions
 * (block.ts writes their bodies; the blocks of a loop on one page share one,
 * region.ts), many to a module, in one table; the run
 * loop calls them all through one exported dispatcher, `run(index, EIP,
 * passes)`, so its call site stays the same whichever block runs.
 *
 * V8 compiles a module's functions in a few microseconds each, but a module
 * costs tens of microseconds of its own: blocks are queued when they become
 * hot and compiled together once `batch` of them wait (or when the oldest has
 * waited a million instructions, or one of them has gone on running: the
 * run loop then calls `flush`); until then they run as before.
 *
 * A block function returns how many instructions ran, as compiled JavaScript
 * does (fewer when a slow path asked to leave). The rest comes back through
 * the cells: the next EIP and the passes taken. The flags it sets are the
 * CPU's own (in the machine's memory: layout.ts FLAGS), stored where anything
 * may read them (writer.ts storeLazy). A fault in a slow path is thrown
 * through the block to the run loop, with the faulting instruction's index in a cell.
 */
import type { Cpu } from '../state';
import { translate, tlbIndex } from '../paging';
import { FAULT } from '../fault';
import type { Instr } from '../instr';
import type { Code } from './emit';
import { TF, NT, RF, VM, IF } from '../flags';
import { blocksModule } from './emit';
import { dispatcherBytes, chainBytes, jumpSlot, NO_CHAIN, LOOPS, DROPPED } from './dispatch';
import { LOCALS, LOCALS64 } from './block';
import { Writer } from './writer';
import { writeRegion, regionsOf, type Written } from './region';
import { walkBytes, WALK_IMPORTS } from './walk';
import { lazyFlagsBytes } from './lazyFlags';
import { CELL, IMPORTS } from './cells';
import { CELLS, CELL_COUNT, BLOCK_INFO, CHAIN_SLOTS, MAX_CHAINED, JUMP_CACHE, JUMP_ENTRIES } from './layout';

/** What the tier needs of a block: its instructions, and where it puts the function's table index. */
export interface WasmCandidate {
  readonly instrs: Instr[];
  /** The physical frame it was decoded from (its first instruction's EIP is its linear address: CS is flat). */
  readonly frame: number;
  readonly code32: boolean;
  readonly valid: boolean;
  wasmIndex: number;
}

/** Oldest waiting block's age (instructions) at which a partial batch is compiled. */
const MAX_WAIT = 1_000_000;

export class WasmTier {
  readonly cells: Int32Array;
  /** Runs table[index](base, passes) and, with `chain`, the blocks after it (dispatch.ts). */
  readonly dispatch: (index: number, base: number, passes: number, left: number, chain: number) => number;
  /** The blocks by table index. */
  private readonly blocks: WasmCandidate[] = [];
  /** BLOCK_INFO, and the jump cache as int32s (an entry: EIP, table index, frame). */
  private readonly info: Int32Array;
  /** CHAIN_SLOTS: a static exit's next block, found by the dispatcher (dispatch.ts chainBytes). */
  private readonly chainSlots: Int32Array;
  private readonly jumps: Int32Array;
  /** The slow paths every module imports; each module adds the calls of its own instructions' handlers. */
  private readonly slow: Record<string, (...a: number[]) => number>;
  private readonly memories: Record<string, WebAssembly.ImportValue>;
  /** Every block's function, at its index; only the dispatcher and `chain` import it (see emit.ts blocksModule). */
  private readonly table = new WebAssembly.Table({ element: 'anyfunc', initial: 256 });
  private readonly pages: number;
  private pending: WasmCandidate[] = [];
  private oldestAt = 0;
  /** The next free table index (the table is reused from 0 after a reset). */
  private next = 0;
  compiled = 0;
  /** Regions of more than one block compiled. */
  regions = 0;
  /** Modules made (batches compiled). */
  modules = 0;

  constructor(private readonly c: Cpu, private readonly batch: number, private readonly locals = false) {
    this.cells = new Int32Array(c.mem.wasm.buffer, CELLS, CELL_COUNT);
    this.info = new Int32Array(c.mem.wasm.buffer, BLOCK_INFO, MAX_CHAINED);
    this.chainSlots = new Int32Array(c.mem.wasm.buffer, CHAIN_SLOTS, MAX_CHAINED * 2);
    this.jumps = new Int32Array(c.mem.wasm.buffer);
    this.forgetJumps();
    this.pages = c.mem.wasm.buffer.byteLength / 65536;
    // Each slow path sees the clock as the run loop would have it (sync), and may ask to leave.
    const exit = () => this.leaveAsked();
    const read = (v: number) => { this.leaveAsked(); return v; };
    const f: Record<string, (...a: number[]) => number> = {
      rd8: (seg, off) => { this.sync(); return read(c.rd8(seg, off)); },
      rd16: (seg, off) => { this.sync(); return read(c.rd16(seg, off)); },
      rd32: (seg, off) => { this.sync(); return read(c.rd32(seg, off)); },
      rdW32: (seg, off) => { this.sync(); return read(c.rdW32(seg, off)); },
      rdW8: (seg, off) => { this.sync(); return read(c.rdW8(seg, off)); },
      wr8: (seg, off, v) => { this.sync(); c.wr8(seg, off, v); return exit(); },
      wr32: (seg, off, v) => { this.sync(); c.wr32(seg, off, v); return exit(); },
      wr16: (seg, off, v) => { this.sync(); c.wr16(seg, off, v); return exit(); },
      push32: (v) => { this.sync(); c.push32(v); return exit(); },
      pop32: () => { this.sync(); return read(c.pop32()); },
      entered: (vector, cpl, trap, eip, next) => this.entered(vector, cpl, trap, eip, next),
    };
    this.memories = { mem: c.mem.wasm, tbl: this.table };
    // The memory accesses' slow paths and the dispatcher's TLB refill try the page walk in WebAssembly first
    // (walk.ts), and come here only for what it leaves to the CPU.
    const walks = new WebAssembly.Instance(new WebAssembly.Module(walkBytes(this.pages, c.mem.size, c.mem.ramBase)), {
      m: { mem: c.mem.wasm }, f: { ...f, fill: (eip: number) => this.fill(eip) },
    }).exports as Record<string, (...a: number[]) => number>;
    for (const name of WALK_IMPORTS.map((i) => i.name)) if (name !== 'fill') f[name] = walks[name];
    f.movCr3 = walks.movCr3;
    f.walk = walks.walk;
    // EFLAGS, conditions and CF worked out from the CPU's flags in WebAssembly (lazyFlags.ts).
    const flags = new WebAssembly.Instance(new WebAssembly.Module(lazyFlagsBytes(this.pages)), {
      m: { mem: c.mem.wasm }, f: {},
    }).exports as Record<string, (...a: number[]) => number>;
    f.cond = flags.cond;
    f.getCF = flags.getCF;
    f.eflags = flags.eflags;
    this.slow = f;
    const d = new WebAssembly.Instance(new WebAssembly.Module(dispatcherBytes(this.pages)), { m: this.memories, f: { fill: walks.fill } });
    this.dispatch = d.exports.run as WasmTier['dispatch'];
    // Every block's exits to its own page go through it (WebAssembly calling WebAssembly: no JavaScript between).
    f.chain = new WebAssembly.Instance(new WebAssembly.Module(chainBytes(this.pages)), { m: this.memories }).exports.run as (...a: number[]) => number;
  }

  /**
   * After the handler of a block's last instruction (IRET, INT, a far jump, MOV CR3...): may the
   * dispatcher go straight on to the next block, as the run loop would (nothing for it to do first:
   * no interrupt to take, no single step, no stop asked, CS still flat)? The executor sets it.
   */
  goOn: () => boolean = () => false;

  /**
   * The dispatcher's TLB refill: the walk the run loop's fetch at EIP would make (CS is flat there).
   * A walk that would fault leaves everything as it was but the Accessed bit a directory entry gets
   * either way: the run loop walks again and delivers the fault.
   */
  private fill(eip: number): number {
    const c = this.c, cr2 = c.cr2;
    try {
      translate(c, eip, c.accR);
    } catch (e) {
      if (e !== FAULT) throw e;
      c.cr2 = cr2;
      return 0;
    }
    const page = eip >>> 12;
    return c.tlbTag[tlbIndex(page)] === page ? 1 : 0;
  }

  /**
   * What interrupts.ts deliver does after the frame is pushed and CS and SS loaded, for an INT through
   * an interrupt or trap gate into an inner ring that gates.ts wrote out (EFLAGS is concrete: `eflags`
   * ran just before); then, as callLast, whether the dispatcher may go on.
   */
  private entered(vector: number, cpl: number, trap: number, eip: number, next: number): number {
    const c = this.c;
    c.setCpl(cpl);
    c.setStack32(true);
    c.vectorCounts[vector]++;
    c.eip = eip;
    c.eipNext = next;
    if (c.onVector !== null) {
      const now = this.sync();
      c.onVector(vector, -1, c.eipNext);
      this.counted(now);
    }
    c.flagsRaw &= trap !== 0 ? ~(TF | NT | RF | VM) : ~(TF | NT | RF | VM | IF);
    c.halted = false;
    this.leaveAsked();
    this.cells[CELL.GO_ON] = this.goOn() ? 1 : 0;
    return 0;
  }

  /** Queue a hot block; false if it is not one this tier takes (16-bit code: the JavaScript tier's then). */
  offer(block: WasmCandidate): boolean {
    // The table is capped where BLOCK_INFO ends; beyond, blocks stay with the JavaScript tier.
    if (!block.code32 || this.next + this.pending.length >= MAX_CHAINED) return false;
    if (this.pending.length === 0) this.oldestAt = this.c.instructions;
    this.pending.push(block);
    if (this.pending.length >= this.batch) this.flush();
    return true;
  }

  /** Compile a partial batch whose oldest block has waited long enough (the run loop asks between runs). */
  tick(): void {
    if (this.pending.length > 0 && this.c.instructions - this.oldestAt >= MAX_WAIT) this.flush();
  }

  /**
   * Compile the waiting blocks that are still valid into one module: those of one page together, as
   * one region (region.ts), with consecutive table indices.
   */
  flush(): void {
    if (this.pending.length === 0) return;
    const byFrame = new Map<number, WasmCandidate[]>();
    for (const b of this.pending) {
      if (!b.valid) continue;
      const same = byFrame.get(b.frame);
      if (same === undefined) byFrame.set(b.frame, [b]); else same.push(b);
    }
    this.pending = [];
    const regions = [...byFrame.values()].flatMap((page) => regionsOf(page));
    const live = regions.flat();
    if (live.length === 0) return;
    const at = this.next;
    this.next += live.length;
    const handlers: Instr[] = [];
    const bodies: Code[] = [], names: string[] = [], slots: number[] = [], written: Written[] = [];
    for (const region of regions) {
      if (region.length > 1) this.regions++;
      const w = new Writer(this.c.mem.ramBase, (i) => handlers.push(i) - 1);
      written.push(...writeRegion(w, region, at + slots.length, this.locals));
      for (let k = 0; k < region.length; k++) slots.push(bodies.length);
      bodies.push(w.c);
      // A profile names the function by the Guest's address of its first block (and its blocks' count).
      names.push(`eip_${(region[0].instrs[0].addr >>> 0).toString(16)}${region.length > 1 ? `_x${region.length}` : ''}`);
    }
    // The table grows by doubling, so a long run grows it a few times, not once a batch.
    if (at + live.length > this.table.length) this.table.grow(Math.max(at + live.length, Math.min(MAX_CHAINED, this.table.length * 2)) - this.table.length);
    const bytes = blocksModule(this.pages, [...IMPORTS], LOCALS, LOCALS64, bodies, names);
    const fns = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { mem: this.c.mem.wasm }, f: { ...this.slow, ...this.handlerCalls(handlers) } }).exports;
    slots.forEach((f, k) => this.table.set(at + k, fns[String(f)]));
    live.forEach((b, k) => {
      b.wasmIndex = at + k;
      this.blocks[at + k] = b;
      this.info[at + k] = b.instrs.length | (written[k].endsInHandler ? NO_CHAIN : 0) | (written[k].loops ? LOOPS : 0);
      // Known to the dispatcher at once, not only once the run loop has entered it.
      this.remember(b.instrs[0].addr, at + k, b.frame);
    });
    this.compiled += live.length;
    this.modules++;
  }

  /**
   * The clock when the dispatcher was called, its first block counted (the run loop sets it). While
   * the dispatcher runs, the instructions it counted are in the cells (RAN, and the passes of the
   * block under way); `sync` makes the CPU's count what the run loop would have it be, for the CPU's
   * code that reads it (RDTSC, a device, a REP string's budget), and `counted` keeps what such code
   * counted itself (a REP string's iterations).
   */
  clockBase = 0;
  private sync(): number {
    const cells = this.cells;
    const now = this.clockBase + cells[CELL.RAN] + cells[CELL.PASSES] * (this.info[cells[CELL.LAST_INDEX]] & 0xffff);
    this.c.instructions = now;
    return now;
  }
  private counted(now: number): void {
    this.cells[CELL.RAN] += this.c.instructions - now;
  }

  /** The block at a table index. */
  blockAt(index: number): WasmCandidate {
    return this.blocks[index];
  }

  /**
   * Every block was dropped (a flush: the debugger's breakpoints changed, the Guest restarted): the
   * table is filled from its start again, so the modules of the old blocks can go.
   */
  reset(): void {
    this.pending = [];
    this.info.fill(0, 0, this.next);
    this.chainSlots.fill(0, 0, this.next * 2);
    for (const b of this.blocks) if (b !== undefined) b.wasmIndex = -1; // their indices will be others'
    this.blocks.length = 0;
    this.next = 0;
    this.forgetJumps();
  }

  /** An empty jump cache: every entry's frame is 1, which no TLB entry holds, so none is taken. */
  private forgetJumps(): void {
    const j = this.jumps, from = JUMP_CACHE >> 2;
    for (let k = 0; k < JUMP_ENTRIES; k++) {
      j[from + k * 3] = 0; j[from + k * 3 + 1] = 0; j[from + k * 3 + 2] = 1;
    }
  }

  /** The block is dropped (its code written, a flush): the dispatcher no longer goes to it. */
  drop(index: number): void {
    this.info[index] |= DROPPED;
  }

  /** Note that the block at `index` runs at `eip` from `frame`, for the dispatcher's jump cache. */
  remember(eip: number, index: number, frame: number): void {
    const at = jumpSlot(eip) >> 2, j = this.jumps;
    j[at] = eip; j[at + 1] = index; j[at + 2] = frame;
  }

  /** The handler calls of one module, over its instructions. */
  private handlerCalls(handlers: Instr[]): Record<string, (...a: number[]) => number> {
    const c = this.c;
    return {
      call: (id) => {
        const now = this.sync(), i = handlers[id];
        // What the handler counted stays counted, a fault's delivery included (a REP string's iterations).
        try {
          i.fn(c, i);
        } finally {
          this.counted(now);
        }
        return this.leaveAsked();
      },
      callLast: (id, eip) => {
        const now = this.sync(), i = handlers[id];
        c.eip = eip;
        c.eipNext = (eip + i.len) | 0;
        try {
          i.fn(c, i);
        } finally {
          this.counted(now);
        }
        this.leaveAsked();
        this.cells[CELL.GO_ON] = this.goOn() ? 1 : 0;
        return c.eipNext;
      },
    };
  }

  /**
   * 1 if the CPU asked to leave (code written, a device's stop, a pended fault), noted in EXIT so the
   * dispatcher goes back to the run loop; else 0.
   */
  private leaveAsked(): number {
    if (!this.c.exitBlock) return 0;
    this.cells[CELL.EXIT] = 1;
    return 1;
  }
}
