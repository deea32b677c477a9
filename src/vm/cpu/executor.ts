/**
 * The run loop: decoded blocks, cached by physical address, executed one
 * instruction after another until the instruction budget runs out or
 * something needs the machine's attention.
 *
 * A block is a straight run of instructions within one 4 KiB page, ending
 * at a branch, at an instruction that changes how what follows must be
 * decoded or whether interrupts are taken, or at the page's end. Blocks are
 * keyed by physical address (and the code size), so a page mapped at two
 * addresses or in two address spaces is decoded once; writing to bytes a
 * page's blocks were decoded from drops them all (PhysicalMemory.codePages),
 * writing beside them on the page (data, .bss) drops none. Only code run
 * through a flat CS is cached (Cpu.codeMode): elsewhere a limit could cut a
 * block short.
 *
 * A block remembers the blocks that followed it, by EIP. Such a link is
 * taken when the TLB still maps EIP's page to the next block's frame with
 * the right to fetch it, and the code mode is the block's: so a CS load
 * (INT, IRET, a far jump) to the same kind of segment keeps the links, and
 * a TLB flush or a change of address space drops them as the TLB forgets.
 */
import { Cpu, CS, SS } from './state';
import { Instr, Op } from './instr';
import { decode, NEED_MORE_BYTES, MAX_INSTR_LEN } from './decoder';
import { FAULT, raise, Vec } from './fault';
import { translate, tlbIndex } from './paging';
import { deliverException, externalInterrupt } from './interrupts';
import { IF, TF, RF } from './flags';
import { compileBlock } from './compiler';
import { WasmTier } from './wasm/tier';
import { BP_PAGES } from './wasm/layout';
import { CELL } from './wasm/cells';

const MAX_BLOCK = 128;
const CACHE_BITS = 14;
/**
 * Executions after which a block is compiled to a JavaScript function of its own. A new function
 * runs in V8's bytecode interpreter for its first hundreds of calls, slower than our handlers:
 * code run a few hundred times (a kernel booting) is better left to the interpreter. Measured
 * (CPU time): Linux to its first user instruction 9.8 s at 64, 3.7 s at 10,000; the bare bench
 * kernel's whole run 7 % slower.
 */
const COMPILE_AFTER = 10_000;
// (Blocks of 32-bit code go to WebAssembly first, below: the JavaScript tier takes 16-bit code, and
// 32-bit code when the WebAssembly table is full.)
/**
 * Executions after which a block of 32-bit code is compiled to WebAssembly: V8 compiles it in a few
 * microseconds (in a batch), so a block pays for itself soon. Measured (CPU time): the bare bench
 * kernel's whole run 1.82 -> 1.29 s, Linux to user space 3.9 -> 3.5 s, at 50; 20 and 200 no better.
 */
const WASM_AFTER = 50;
/** Blocks the WebAssembly tier compiles in one module: a module's own cost is tens of microseconds. */
const WASM_BATCH = 64;
/**
 * A block waiting in a batch that has run this many times WASM_AFTER is compiled with the batch at
 * once: a batch fills slowly once a Guest's hot code is compiled, and the hot blocks it holds were
 * interpreted meanwhile. A Linux boot's first 61.7 M instructions: 5.0 M interpreted before, 1.5 M
 * now; tour's system calls 35 -> 51 guest MIPS by CPU time (the more modules cost back part of it).
 */
const WAITING_TOO_HOT = 4;

export interface ExecutorOptions {
  /** Executions of a block before it is compiled to JavaScript (Infinity: never; 1: at once). For tests of the tiers. */
  compileAfter?: number;
  /**
   * Executions of a block of 32-bit code before it is compiled to WebAssembly (wasm/tier.ts;
   * Infinity: never). Default WASM_AFTER; never when `compileAfter` is given without it (a test
   * that picks the JavaScript tier, or the interpreter alone).
   */
  wasmAfter?: number;
  /** Blocks compiled to WebAssembly together (1: each at once). */
  wasmBatch?: number;
  /**
   * Keep the registers in WebAssembly locals while a compiled function runs (wasm/writer.ts spill).
   * Off by default (measured: a Linux boot 12 % slower, the bench kernel 3 % faster); the tests hold
   * every form to it too.
   */
  wasmLocals?: boolean;
}

export class Block {
  valid = true;
  /** EIP wraps at 4 GiB in 32-bit code, at 64 KiB in 16-bit code. */
  readonly eipMask: number;
  /** The last instruction needs the run loop's attention afterwards (mode change, STI, HLT...). */
  readonly endsHard: boolean;
  /** Cpu.codeMode when it was decoded (1 16-bit, 2 32-bit): a link to it holds only in that mode. */
  readonly mode: number;
  /** The physical frame, as the TLB keeps it (an int32). */
  readonly frame: number;
  // The two most recent successors, for going from block to block without a lookup.
  succA: Block | null = null;
  succAEip = 0;
  succB: Block | null = null;
  succBEip = 0;
  /** Executions so far; a block run often enough is compiled (see compileBlock). */
  hits = 0;
  /** The compiled form: runs the whole block, returns how many instructions ran (fewer if one asked to leave). */
  run: ((c: Cpu) => number) | null = null;
  /** Its WebAssembly function's index in the tier's table (wasm/tier.ts), or -1. */
  wasmIndex = -1;
  /** Offered to the WebAssembly tier: queued there, or refused (then the JavaScript tier takes it when due). */
  wasmOffered = false;
  wasmQueued = false;

  constructor(readonly phys: number, readonly code32: boolean, readonly instrs: Instr[]) {
    this.eipMask = code32 ? -1 : 0xffff;
    this.mode = code32 ? 2 : 1;
    this.frame = (phys - (phys & 0xfff)) | 0;
    this.endsHard = instrs.length > 0 && (instrs[instrs.length - 1].flags & Op.ENDS_BLOCK) !== 0;
  }

  /** Mark a block that must not be cached (used once, then decoded again). */
  invalidated(): Block {
    this.valid = false;
    return this;
  }
}

/** Why `run` returned. */
export const enum Exit {
  /** The instruction budget is used up. */
  LIMIT = 0,
  /** HLT: the machine decides whether an interrupt can wake it. */
  HALTED = 1,
  /** The CPU cannot go on: triple fault, or a mode we do not emulate (see cpu.shutdownReason). */
  SHUTDOWN = 2,
  /** Someone asked to stop (a device, the debugger). */
  STOPPED = 3,
  /** EIP reached a breakpoint (see setBreakpoints); the instruction there has not run. */
  BREAKPOINT = 4,
}

export class Executor {
  private readonly cache: (Block | undefined)[] = new Array(1 << CACHE_BITS).fill(undefined);
  /** All blocks by physical page, so a write to the page can drop them. */
  private readonly byPage = new Map<number, Map<number, Block>>();
  /** For each page with blocks, which of its 4,096 bytes they were decoded from (a bit each). */
  private readonly codeBytes = new Map<number, Int32Array>();
  private readonly fetchBuf = new Uint8Array(MAX_INSTR_LEN);
  /** Set by `requestStop` (devices, the debugger); `run` returns STOPPED at the next instruction boundary. */
  stopRequested = false;
  /** Blocks decoded (each new block, or a block decoded again after its code was written). */
  blocksDecoded = 0;
  /** The WebAssembly tier, and its cells (the next EIP, the passes, the flags a block set). */
  private readonly wasm: WasmTier;
  private readonly cells: Int32Array;
  /** Blocks compiled to JavaScript functions (compiler.ts). */
  blocksCompiledJs = 0;
  /** Blocks compiled to WebAssembly. */
  get blocksCompiledWasm(): number { return this.wasm.compiled; }
  /** Regions of several blocks compiled to WebAssembly (wasm/region.ts). */
  get wasmRegions(): number { return this.wasm.regions; }
  /** WebAssembly modules made (one a batch): each costs V8 a compilation and an instance. */
  get wasmModules(): number { return this.wasm.modules; }
  /** Instructions run by their handlers one by one, in blocks not compiled (yet), not counting single steps. */
  instructionsInterpreted = 0;
  /** Calls from the run loop into WebAssembly (each then goes from block to block as long as it can: dispatch.ts). */
  wasmEntries = 0;
  /** Full look-ups of the block at CS:EIP (not through a link): what links save. For tests and profiles. */
  blockLookups = 0;
  /**
   * The debugger's breakpoints, by linear address. They are checked when a
   * block starts, and blocks are cut so that every breakpoint starts one;
   * a page map keeps the check down to one array load while none is near.
   */
  private breakpoints = new Set<number>();
  /** A byte per linear page, 1 where a breakpoint is (in the machine's memory: the dispatcher reads it too). */
  private readonly bpPages: Uint8Array;
  private hasBreakpoints = false;
  /** The run resumes from this breakpoint: the instruction there runs once without stopping. */
  resumeFrom = -1;

  private readonly compileAfter: number;
  private readonly wasmAfter: number;
  /** The fewer of the two: below it, a block is only counted. */
  private readonly firstCompile: number;

  constructor(readonly cpu: Cpu, opts: ExecutorOptions = {}) {
    cpu.mem.onCodeWrite = (page, addr, size) => this.codeWrite(page, addr, size);
    this.compileAfter = opts.compileAfter ?? COMPILE_AFTER;
    this.wasmAfter = opts.wasmAfter ?? (opts.compileAfter !== undefined ? Infinity : WASM_AFTER);
    this.firstCompile = Math.min(this.compileAfter, this.wasmAfter);
    this.wasm = new WasmTier(cpu, opts.wasmBatch ?? WASM_BATCH, opts.wasmLocals ?? false);
    this.bpPages = new Uint8Array(cpu.mem.wasm.buffer, BP_PAGES, 1 << 20).fill(0);
    // After a handler ends a block, the dispatcher goes on only where the run loop would (mustReturn), in flat
    // 32-bit code (the jump cache's EIPs are linear addresses, and its blocks all 32-bit).
    this.wasm.goOn = () => !cpu.exitBlock && cpu.codeMode === 2 && !this.mustSeeFirst();
    this.cells = this.wasm.cells;
  }

  /** A block run `block.hits` times: to WebAssembly if it can go (tried once), else to JavaScript when due. */
  private compileNow(block: Block): void {
    if (block.hits >= this.wasmAfter && !block.wasmOffered) {
      block.wasmOffered = true;
      block.wasmQueued = this.wasm.offer(block);
    } else if (block.wasmQueued && block.wasmIndex < 0 && block.hits >= this.wasmAfter * WAITING_TOO_HOT) {
      this.wasm.flush();
    }
    if (block.wasmIndex < 0 && !block.wasmQueued && block.hits >= this.compileAfter) {
      block.run = compileBlock(block);
      this.blocksCompiledJs++;
    }
  }

  requestStop(): void {
    this.stopRequested = true;
    this.cpu.exitBlock = true;
  }

  /** Replace the breakpoints (linear addresses). Decoded blocks are dropped, so they can be cut anew. */
  setBreakpoints(addrs: Iterable<number>): void {
    this.breakpoints = new Set([...addrs].map((a) => a >>> 0));
    this.bpPages.fill(0);
    for (const a of this.breakpoints) this.bpPages[a >>> 12] = 1;
    this.hasBreakpoints = this.breakpoints.size > 0;
    this.flush();
  }

  /** Is there a breakpoint at this linear address? */
  isBreakpoint(lin: number): boolean {
    return this.hasBreakpoints && this.bpPages[lin >>> 12] !== 0 && this.breakpoints.has(lin >>> 0);
  }

  /** The current instruction's linear address. */
  private linearEip(): number {
    const c = this.cpu;
    return (c.segBase[CS] + c.eip) >>> 0;
  }

  /** Forget every decoded block (e.g. after the debugger rewrote memory). */
  flush(): void {
    for (const page of this.byPage.keys()) this.invalidatePage(page);
    this.wasm.reset();
  }

  /**
   * Physical bytes [addr, addr + size) of `page` were written: if any was decoded, the page's blocks
   * are dropped (returns true). A write beside the code on its page (data, .bss) drops nothing.
   */
  private codeWrite(page: number, addr: number, size: number): boolean {
    const bits = this.codeBytes.get(page);
    if (bits !== undefined) {
      const from = addr - page * 4096, to = Math.min(from + size, 4096);
      let hit = false;
      for (let b = Math.max(from, 0); b < to && !hit; b++) hit = (bits[b >>> 5] & (1 << (b & 31))) !== 0;
      if (!hit) return false;
    }
    this.invalidatePage(page);
    return true;
  }

  private invalidatePage(page: number): void {
    this.codeBytes.delete(page);
    const blocks = this.byPage.get(page);
    if (blocks) {
      for (const b of blocks.values()) {
        b.valid = false;
        if (b.wasmIndex >= 0) this.wasm.drop(b.wasmIndex);
      }
      this.byPage.delete(page);
    }
    this.cpu.mem.codePages[page] &= 2; // a watch stays
  }

  /** Run up to `budget` instructions. */
  run(budget: number): Exit {
    const c = this.cpu;
    const end = c.instructions + budget;
    c.instructionLimit = end;
    this.wasm.tick();
    // Leaving a breakpoint: its instruction runs once, on its own.
    if (this.resumeFrom !== -1) {
      const from = this.resumeFrom;
      this.resumeFrom = -1;
      if (budget > 0 && this.linearEip() === from && !c.halted && c.shutdownReason === null) this.stepOne();
    }
    while (c.instructions < end) {
      if (this.stopRequested) { this.stopRequested = false; return Exit.STOPPED; }
      if (c.shutdownReason !== null) return Exit.SHUTDOWN;
      if (c.intrLine && (c.flagsRaw & IF) !== 0 && !c.interruptShadow) {
        const vector = c.ackInterrupt();
        if (vector >= 0) {
          externalInterrupt(c, vector, c.repLeftOffAt === c.instructions);
          c.dbHit = 0; // the accesses of the delivery itself are not breakpoints
          this.repGoesOn = -1; // the handler's first instruction is not the string's next iteration
          continue;
        }
      }
      if (c.halted) return Exit.HALTED;
      // TF traps after each instruction; RF (set by an IRET) lasts until one instruction completes;
      // armed debug-register breakpoints are checked around each instruction. The debugger's
      // breakpoints stop here as in front of a block: RF is about the debug registers only.
      if ((c.flagsRaw & (TF | RF)) !== 0 || c.interruptShadow || c.dbArmed !== 0) {
        if (this.hasBreakpoints && this.isBreakpoint(this.linearEip())) return Exit.BREAKPOINT;
        this.stepOne();
        continue;
      }
      this.runBlocks(end);
      if (this.hitBreakpoint) {
        this.hitBreakpoint = false;
        return Exit.BREAKPOINT;
      }
    }
    if (this.stopRequested) { this.stopRequested = false; return Exit.STOPPED; }
    return c.shutdownReason !== null ? Exit.SHUTDOWN : c.halted ? Exit.HALTED : Exit.LIMIT;
  }

  /** Set by runBlocks when it stopped in front of a breakpoint. */
  private hitBreakpoint = false;

  /**
   * The hot loop: run blocks one after another until the budget is used or
   * something sets `exitBlock` (a fault, a device, an instruction that
   * changes how the next ones run). Everything else is checked outside.
   *
   * Inside a block, EIP and the instruction count are brought up to date
   * once per block, not per instruction: only the block's last instruction
   * (a branch, INT, IRET, a string instruction...) looks at EIP, and it gets
   * `c.eip` = its own address and `c.eipNext` = the next one's, as usual. A
   * fault in the middle sets them from the faulting instruction's offset.
   */
  private runBlocks(end: number): void {
    const c = this.cpu;
    c.exitBlock = false;
    let blockEip = c.eip, k = -1, n = 0;
    let block: Block | null = null;
    try {
      block = this.blockAt();
      for (;;) {
        if (this.hasBreakpoints && this.bpPages[((c.segBase[CS] + c.eip) >>> 12) & 0xfffff] !== 0 && this.breakpoints.has(this.linearEip())) {
          this.hitBreakpoint = true;
          return;
        }
        const instrs = block.instrs, mask = block.eipMask;
        n = instrs.length;
        if (end - c.instructions < n) {
          k = -3; // runPartial keeps EIP and the count exact itself, faults included
          this.runPartial(block, end);
          return;
        }
        blockEip = c.eip;
        c.instructions += n;
        if (block.wasmIndex >= 0 || block.run !== null) {
          let done: number;
          if (block.wasmIndex >= 0) {
            // WebAssembly throws a fault through to the catch below; the cells hold the rest.
            // The dispatcher may go on to the blocks after it (not to a page with a breakpoint: those are checked here).
            k = -4;
            const cells = this.cells;
            cells[CELL.EXIT] = 0;
            this.wasm.remember(blockEip, block.wasmIndex, block.frame);
            const left = Math.min(0x7fffffff, end - c.instructions);
            this.wasm.clockBase = c.instructions;
            this.wasmEntries++;
            done = this.wasm.dispatch(block.wasmIndex, blockEip, Math.floor(left / n), left, this.hasBreakpoints ? 0 : 1);
            c.instructions = this.wasm.clockBase + cells[CELL.RAN];
            // An IRET written out asks the run loop to look (TF, RF, an interrupt let in) through EXIT.
            if (cells[CELL.EXIT] !== 0) c.exitBlock = true;
            // What follows is about the last block it ran.
            block = this.wasm.blockAt(cells[CELL.LAST_INDEX]) as Block;
            blockEip = cells[CELL.LAST_BASE];
            n = block.instrs.length;
            if (done === n) c.eip = cells[CELL.EIP];
          } else {
            k = -2;
            done = block.run!(c);
            if (done < 0) {
              // It faulted (caught inside, so nothing is thrown twice).
              this.deliverFault(block, c.faultIndex, blockEip, n);
              return;
            }
          }
          if (done < n) {
            // Instruction done - 1 pended a fault, or asked to leave after it.
            if (c.faultPending) {
              this.deliverPending(block, done - 1, blockEip, n);
              if (this.mustReturn(end)) return;
              k = -1;
              block = this.blockAt();
              continue;
            }
            c.eip = (blockEip + block.instrs[done].off) & block.eipMask;
            c.instructions -= n - done;
            return;
          }
          k = -1; // a fault from here on is the next block's fetch
          if (c.exitBlock || block.endsHard || c.instructions >= end) {
            const faulted = c.faultPending;
            if (faulted) this.deliverPending(block, n - 1, blockEip, n);
            if (this.mustReturn(end)) return;
            if (faulted) {
              block = this.blockAt();
              continue;
            }
          }
          block = this.nextBlock(block);
          continue;
        }
        this.instructionsInterpreted += n;
        if (++block.hits >= this.firstCompile && block.valid) this.compileNow(block);
        for (k = 0; k < n - 1; k++) {
          const ins = instrs[k];
          ins.fn(c, ins);
          if (c.exitBlock) {
            // Leave after this instruction (code written, stop asked), or at it if it pended a fault.
            if (c.faultPending) this.deliverPending(block, k, blockEip, n);
            else {
              c.eip = (blockEip + instrs[k + 1].off) & mask;
              c.instructions -= n - k - 1;
            }
            return;
          }
        }
        const last = instrs[k];
        c.eip = (blockEip + last.off) & mask;
        c.eipNext = (c.eip + last.len) & mask;
        last.fn(c, last);
        if (c.exitBlock && c.faultPending) {
          this.deliverPending(block, k, blockEip, n);
          if (this.mustReturn(end)) return;
          k = -1;
          block = this.blockAt();
          continue;
        }
        c.eip = c.eipNext;
        k = -1; // a fault from here on is the next block's fetch
        if ((c.exitBlock || block.endsHard || c.instructions >= end) && this.mustReturn(end)) return;
        block = this.nextBlock(block);
      }
    } catch (e) {
      if (k === -4) {
        // A WebAssembly block (the first the dispatcher ran, or one after it): its flags, the
        // instructions run so far, and the instruction that faulted.
        const cells = this.cells;
        block = this.wasm.blockAt(cells[CELL.LAST_INDEX]) as Block;
        blockEip = cells[CELL.LAST_BASE];
        n = block.instrs.length;
        c.instructions = this.wasm.clockBase + cells[CELL.RAN] + cells[CELL.PASSES] * n;
        k = cells[CELL.INDEX];
      }
      if (e !== FAULT) throw e;
      if (k === -2) k = c.faultIndex;
      this.deliverFault(block, k, blockEip, n);
    }
  }

  /**
   * A block ended where the run loop may have to look (an instruction that ends blocks hard, a
   * request to leave, a delivered fault): return to it if the budget is used or something there
   * needs it (a stop, a shutdown, HLT, an interrupt to take, a single step, RF, an interrupt
   * shadow, armed debug registers); otherwise go on here, as the run loop would. The Switcher's
   * LGDT, LIDT and MOV CR3 end blocks, so this saves several returns on every lguest trip.
   */
  private mustReturn(end: number): boolean {
    const c = this.cpu;
    if (c.instructions >= end || this.mustSeeFirst()) return true;
    c.exitBlock = false;
    return false;
  }

  /** What `run` must look at before the next block, the budget aside: a stop, an interrupt, a single step... */
  private mustSeeFirst(): boolean {
    const c = this.cpu;
    return this.stopRequested || c.shutdownReason !== null || c.halted || c.interruptShadow || c.dbArmed !== 0
      || (c.flagsRaw & (TF | RF)) !== 0 || (c.intrLine && (c.flagsRaw & IF) !== 0);
  }

  /**
   * The fault raised (FaultState on the CPU) by instruction `k` of `block`, which started at
   * `blockEip` and was counted whole (`n`): EIP and the count as at that instruction, then the
   * delivery. k = -1: the next block's fetch faulted; -3: runPartial kept EIP and the count exact.
   */
  private deliverFault(block: Block | null, k: number, blockEip: number, n: number): void {
    const c = this.cpu;
    if (k >= 0 && block !== null) {
      c.eip = (blockEip + block.instrs[k].off) & block.eipMask;
      c.instructions -= n - k - 1;
    } else if (k === -1) {
      c.instructions++; // the fetch itself faulted
    }
    deliverException(c, c.faultVector, c.faultCode, c.eip, c.faultRf);
  }

  /** A fault pended by instruction `k` (fault.ts pendFault): delivered as a thrown one would be. */
  private deliverPending(block: Block, k: number, blockEip: number, n: number): void {
    this.cpu.faultPending = false;
    this.deliverFault(block, k, blockEip, n);
  }

  /** The end of the budget falls inside this block: run it instruction by instruction. */
  private runPartial(block: Block, end: number): void {
    const c = this.cpu, instrs = block.instrs;
    for (let k = 0; k < instrs.length && c.instructions < end; k++) {
      const ins = instrs[k];
      c.eipNext = (c.eip + ins.len) & block.eipMask;
      c.instructions++;
      ins.fn(c, ins);
      if (c.exitBlock && c.faultPending) {
        // EIP is still the instruction's, which is counted: as a thrown fault leaves them.
        c.faultPending = false;
        deliverException(c, c.faultVector, c.faultCode, c.eip, c.faultRf);
        return;
      }
      c.eip = c.eipNext;
      if (c.exitBlock) return;
    }
  }

  /**
   * The block after `prev`: one of its remembered successors if the TLB still maps EIP to it and
   * the code mode is its own (CS flat, so EIP is the linear address), else a lookup.
   */
  private nextBlock(prev: Block): Block {
    const c = this.cpu, eip = c.eip, mode = c.codeMode;
    const page = eip >>> 12, t = tlbIndex(page);
    if (mode !== 0 && c.tlbTag[t] === page && (c.tlbRights[t] & c.accR) !== 0) {
      const frame = c.tlbPhys[t];
      let b = prev.succA;
      if (b !== null && prev.succAEip === eip && b.frame === frame && b.mode === mode && b.valid) return b;
      b = prev.succB;
      if (b !== null && prev.succBEip === eip && b.frame === frame && b.mode === mode && b.valid) return b;
    }
    const b = this.blockAt();
    if (b.valid) {
      prev.succB = prev.succA; prev.succBEip = prev.succAEip;
      prev.succA = b; prev.succAEip = eip;
    }
    return b;
  }

  /**
   * MOV SS or POP SS ran last: its debug exceptions (the single-step trap, data breakpoints) wait
   * until after the next instruction, and that instruction's breakpoint is not checked (SDM Vol. 3
   * §6.8.3, §17.3.1.1).
   */
  private debugShadow = false;
  /**
   * The instruction count at which a REP string left off after an iteration with nothing delivered,
   * and its linear address: the next step at both goes on with the same instruction.
   */
  private repGoesOn = -1;
  private repGoesOnAt = -1;

  /**
   * One instruction on its own (one iteration of a REP string): with TF set (then a single-step #DB
   * trap follows it), in an interrupt shadow (then interrupts open after it), after an IRET that set
   * RF, or while debug-register breakpoints are armed: an instruction breakpoint is a fault before
   * the instruction, data and I/O breakpoints a trap after it, reported with the single step in one
   * #DB (SDM Vol. 3 §17.3.1).
   */
  private stepOne(): void {
    const c = this.cpu;
    const trap = (c.flagsRaw & TF) !== 0;
    const shadowed = this.debugShadow;
    this.debugShadow = false;
    // A REP string going on after an iteration is the same instruction: its breakpoint is not checked again.
    const goesOn = this.repGoesOn === c.instructions && this.repGoesOnAt === this.linearEip();
    this.repGoesOn = -1;
    const savedLimit = c.instructionLimit;
    c.instructionLimit = c.instructions + 1;
    const before = c.instructions, eipBefore = c.eip;
    let faulted = false, holdTrap = false, loadsRf = false, ssLoad = false, midRep = false;
    let ins: Instr | null = null, csBefore = 0, eipFlow = 0;
    try {
      if (c.dbInstr !== 0 && (c.flagsRaw & RF) === 0 && !shadowed && !goesOn) {
        const hit = this.instructionBreakpoints();
        if (hit !== 0) {
          // Fault-class, yet RF is pushed as it is (0), the one fault that does not set it (§17.3.1.1).
          debugEntry(c, hit);
          raise(c, Vec.DB, 0, false);
        }
      }
      const block = this.blockAt();
      ins = block.instrs[0];
      c.exitBlock = false;
      c.eipNext = (c.eip + ins.len) & block.eipMask;
      c.instructions++;
      c.interruptShadow = false;
      csBefore = c.segSel[CS];
      eipFlow = c.eipNext;
      ins.fn(c, ins);
      if (c.faultPending) {
        c.faultPending = false;
        faulted = true;
      }
    } catch (e) {
      if (e !== FAULT) throw e;
      if (c.instructions === before) c.instructions++;
      faulted = true;
    }
    if (faulted) {
      c.dbHit = 0; // the instruction did not complete: no data breakpoint
      deliverException(c, c.faultVector, c.faultCode, c.eip, c.faultRf);
      c.dbHit = 0;
    } else if (ins !== null) {
      c.eip = c.eipNext;
      // An INT n already went to its handler (with TF cleared): no single-step trap for it.
      if ((ins.flags & Op.BRANCH) !== 0 && (ins.opcode === 0xcd || ins.opcode === 0xcc || ins.opcode === 0xce) && (c.segSel[CS] !== csBefore || c.eip !== eipFlow)) holdTrap = true;
      // MOV SS and POP SS hold the single-step trap and data breakpoints until after the next instruction.
      ssLoad = (ins.opcode === 0x8e && ins.reg === SS) || ins.opcode === 0x17;
      // IRET loads RF for the instruction after it; every other completed instruction clears it.
      loadsRf = ins.opcode === 0xcf;
      // A REP string with iterations left: EIP stays on it.
      midRep = (ins.flags & Op.STRING) !== 0 && ins.rep !== 0 && c.eip === eipBefore && c.segSel[CS] === csBefore;
    }
    c.instructionLimit = savedLimit;
    if (!faulted && !loadsRf) c.flagsRaw &= ~RF;
    if (faulted || c.shutdownReason !== null) return;
    if (ssLoad) {
      this.debugShadow = true;
      return;
    }
    const bits = c.dbHit | (trap && !holdTrap ? DR6_BS : 0);
    if (bits === 0) {
      if (midRep) { this.repGoesOn = c.instructions; this.repGoesOnAt = this.linearEip(); }
      return;
    }
    c.dbHit = 0;
    debugEntry(c, bits);
    // A trap after an iteration of a REP string that is not its last pushes RF = 1, so that the
    // string goes on without its instruction breakpoint again (§17.3.1.1).
    deliverException(c, Vec.DB, 0, c.eip, midRep);
    c.dbHit = 0;
  }

  /** B0-B3 of the enabled instruction breakpoints at the current instruction's linear address. */
  private instructionBreakpoints(): number {
    const c = this.cpu, lin = this.linearEip();
    let hit = 0;
    for (let n = 0; n < 4; n++) {
      if (((c.dbInstr >> n) & 1) !== 0 && c.dr[n] >>> 0 === lin) hit |= 1 << n;
    }
    return hit;
  }

  /** The block at CS:EIP, decoding it if needed. May fault (#GP beyond CS's limit, #PF on the fetch). */
  blockAt(): Block {
    const c = this.cpu;
    this.blockLookups++;
    const eip = c.eip >>> 0;
    if (eip > c.segLimit[CS]) raise(c, Vec.GP, 0);
    const lin = (c.segBase[CS] + c.eip) | 0;
    const page = lin >>> 12, t = tlbIndex(page);
    const hit = c.tlbTag[t] === page && (c.tlbRights[t] & c.accR) !== 0;
    const phys = hit ? (c.tlbPhys[t] | (lin & 0xfff)) >>> 0 : translate(c, lin, c.accR);
    const slot = (Math.imul(phys, 0x9e3779b1) >>> (32 - CACHE_BITS));
    const mode = c.codeMode;
    if (mode !== 0) {
      const cached = this.cache[slot];
      if (cached !== undefined && cached.phys === phys && cached.mode === mode && cached.valid) return cached;
      const known = this.byPage.get(phys >>> 12)?.get((phys & 0xfff) | (mode === 2 ? 0x1000 : 0));
      if (known !== undefined) {
        this.cache[slot] = known;
        return known;
      }
    }
    const block = this.compile(lin, phys);
    if (block.valid) this.cache[slot] = block;
    return block;
  }

  private compile(lin: number, phys: number): Block {
    const c = this.cpu, mem = c.mem, code32 = c.code32;
    const instrs: Instr[] = [];
    const flatCs = c.codeMode !== 0;
    const pageEnd = phys - (phys & 0xfff) + 0x1000; // not (phys & ~0xfff): negative at or above 2 GiB
    // Every byte fetched must be within CS's limit (SDM Vol. 3 §5.3): the bytes are read only up to it.
    const fetchEnd = Math.min(pageEnd, phys + (c.segLimit[CS] - (c.eip >>> 0)) + 1);
    const inRam = pageEnd <= mem.size;
    let pos = phys;
    while (instrs.length < MAX_BLOCK && inRam && pos < fetchEnd) {
      // A breakpoint must start a block: end this one in front of it.
      if (this.hasBreakpoints && instrs.length > 0 && this.isBreakpoint(lin + (pos - phys))) break;
      const ins = new Instr(undefinedFn);
      const len = decode(mem.bytes, pos, fetchEnd, code32, ins);
      if (len === NEED_MORE_BYTES) {
        // Cut by the limit: the instruction starts the next block, whose fetch faults.
        if (fetchEnd < pageEnd && instrs.length === 0) raise(c, Vec.GP, 0);
        break;
      }
      ins.addr = (lin + (pos - phys)) | 0;
      ins.off = pos - phys;
      instrs.push(ins);
      pos += len;
      // Only a block's last instruction may look at EIP: branches, and string instructions (REP repeats itself).
      if ((ins.flags & (Op.BRANCH | Op.ENDS_BLOCK | Op.STRING)) !== 0 || pos >= pageEnd) break;
    }
    if (instrs.length === 0) {
      // The instruction crosses into the next page (or this is not RAM): fetch it byte by byte, uncached.
      return new Block(phys, code32, [this.decodeAcrossPages(lin)]).invalidated();
    }
    const block = new Block(phys, code32, instrs);
    this.blocksDecoded++;
    if (!flatCs) return block.invalidated();
    const page = phys >>> 12;
    let blocks = this.byPage.get(page);
    if (!blocks) { blocks = new Map(); this.byPage.set(page, blocks); }
    blocks.set((phys & 0xfff) | (code32 ? 0x1000 : 0), block);
    let bits = this.codeBytes.get(page);
    if (bits === undefined) { bits = new Int32Array(128); this.codeBytes.set(page, bits); }
    for (let b = phys & 0xfff; b < (pos - pageEnd + 0x1000); b++) bits[b >>> 5] |= 1 << (b & 31);
    mem.codePages[page] |= 1;
    return block;
  }

  private decodeAcrossPages(lin: number): Instr {
    const c = this.cpu;
    const buf = this.fetchBuf;
    const ins = new Instr(undefinedFn);
    let have = 0;
    for (;;) {
      if ((c.eip >>> 0) + have > c.segLimit[CS]) raise(c, Vec.GP, 0);
      // A fetch, not a data read: straight through the page tables, never a data breakpoint.
      buf[have] = c.mem.read8(translate(c, (lin + have) | 0, c.accR));
      have++;
      const len = decode(buf, 0, have, c.code32, ins);
      if (len !== NEED_MORE_BYTES) break;
    }
    ins.addr = lin;
    return ins;
  }
}

const DR6_BS = 0x4000, DR7_GD = 0x2000;

/**
 * DR6 and DR7 as the #DB handler finds them: B0-B3 are the breakpoints this #DB reports (the SDM
 * lets a debug exception clear the others, and QEMU does); BD, BS, BT are only ever set; GD is
 * cleared on entry to the handler (SDM Vol. 3 §17.2.3, §17.2.4).
 */
export function debugEntry(c: Cpu, bits: number): void {
  c.dr[6] = (c.dr[6] & ~0xf) | bits;
  c.dr[7] &= ~DR7_GD;
}

function undefinedFn(c: Cpu): void {
  raise(c, Vec.UD);
}
