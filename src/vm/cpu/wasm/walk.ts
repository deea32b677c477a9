/**
 * The page walk, written in WebAssembly: what compiled code does when the TLB has no entry for an address.
 *
 * Without it every miss left WebAssembly for paging.ts, through the slow paths of the memory accesses and
 * the dispatcher's `fill`: after each CR3 load (two on every trip through the lguest Switcher) a dozen of
 * them, each a call into JavaScript. Here the walk is paging.ts translate's for the common case, step for
 * step, with the same Accessed and Dirty bits and the same TLB entry (its rights, its place in TLB_USED);
 * anything else it leaves for paging.ts, which walks again from the start: paging off, a 4 MiB page, a
 * fault, a table or a frame outside RAM, an entry to mark on a page that holds code, a writable frame not
 * yet marked written (memory.ts markWritten keeps a list this cannot), armed data breakpoints (whose pages
 * stay out of the TLB). What it did by then (an Accessed bit) is what the walk from the start does first,
 * so doing it twice changes nothing.
 *
 * The slow paths the blocks call (cells.ts IMPORTS: rd32, wr32, push32, pop32...) come from here too: each
 * tries the TLB, then this walk, and does the access itself through a flat segment within one page; it
 * calls the CPU's own (tier.ts) for everything else, a fault included. And MOV CR3, whose TLB flush goes
 * through the same list of entries in use as state.ts flushTlb (the Switcher loads CR3 twice a trip).
 */
import { Code, OP, libraryModule, type ImportFn, type LibraryFn } from './emit';
import { tlbIndexOf } from './writer';
import { IMPORTS } from './cells';
import { R_S, W_S, R_U, W_U } from '../paging';
import {
  CR0_AT, CR3_AT, CR4_AT, TLB_USED_COUNT, DB_DATA, TLB_TAG, TLB_PHYS, TLB_RIGHTS, TLB_GLOBAL, TLB_LARGE, TLB_USED,
  TLB_ENTRIES, WRITTEN_PAGES, CODE_PAGES, SEG_FLAT_R, SEG_FLAT_W, ACC_R, ACC_W, STACK32, REGS, CPL,
} from './layout';

const P = 1, RW = 2, US = 4, PS = 0x80, ACCESSED = 0x20, DIRTY = 0x40, GLOBAL = 0x100;
const CR0_PG = 0x80000000 | 0, CR0_WP = 0x10000, CR4_PSE = 0x10, CR4_PGE = 0x80;
const SS = 2, ESP = 4;

/** The memory accesses' slow paths served here (their blocks' imports, cells.ts). */
const ACCESSES = ['rd8', 'rd16', 'rd32', 'rdW32', 'rdW8', 'wr8', 'wr32', 'wr16', 'push32', 'pop32'];
/** The CPU's own (tier.ts), for what the walk and the accesses here leave to it, and the dispatcher's fill. */
export const WALK_IMPORTS: ImportFn[] = [
  ...IMPORTS.filter((f) => ACCESSES.includes(f.name)),
  { name: 'fill', params: 1, result: true },
];
const CPU = Object.fromEntries(WALK_IMPORTS.map((f, k) => [f.name, k])) as Record<string, number>;
/** walk(lin, need) is the first function after the imports. */
const WALK = WALK_IMPORTS.length;

/**
 * walk(lin, need): 1 if the TLB now maps `lin`'s page with the right `need` (R_S, W_S, R_U or W_U), having
 * walked the page tables as paging.ts would; 0 if paging.ts must (then nothing was done that it would not
 * do first).
 */
function walkBody(ramBytes: number, ramBase: number): LibraryFn {
  const LIN = 0, NEED = 1, PDE_AT = 2, PDE = 3, PTE_AT = 4, PTE = 5, ALLOW = 6, R = 7, I = 8, FRAME = 9;
  const c = new Code();
  const ctl = (at: number) => c.i32(0).load32(at);
  /**
   * Leave for paging.ts if the entry at local `at` is on a page holding code, whose writes the executor must
   * see (called one `if` deep in the block). A page with an entry in it is marked written already: only zeros
   * are ever written without marking (memory.ts).
   */
  const markable = (at: number) => {
    c.get(at).i32(12).op(OP.shrU).load8u(CODE_PAGES).brIf(1);
  };
  const nonZero = () => c.i32(0).op(OP.ne);
  c.block();
  ctl(CR0_AT).i32(CR0_PG).op(OP.and).op(OP.eqz).brIf(0);
  ctl(DB_DATA).brIf(0);
  // The directory entry: present, not a 4 MiB page, marked Accessed as soon as the walk uses it.
  ctl(CR3_AT).i32(~0xfff).op(OP.and).get(LIN).i32(22).op(OP.shrU).i32(2).op(OP.shl).op(OP.add).set(PDE_AT);
  c.get(PDE_AT).i32(ramBytes - 4).op(OP.gtU).brIf(0);
  c.get(PDE_AT).load32(ramBase).set(PDE);
  c.get(PDE).i32(P).op(OP.and).op(OP.eqz).brIf(0);
  c.get(PDE).i32(PS).op(OP.and).if(); ctl(CR4_AT).i32(CR4_PSE).op(OP.and).brIf(1); c.end();
  c.get(PDE).i32(ACCESSED).op(OP.and).op(OP.eqz).if();
  markable(PDE_AT);
  c.get(PDE).i32(ACCESSED).op(OP.or).set(PDE);
  c.get(PDE_AT).get(PDE).store32(ramBase);
  c.end();
  // The table entry.
  c.get(PDE).i32(~0xfff).op(OP.and).get(LIN).i32(10).op(OP.shrU).i32(0xffc).op(OP.and).op(OP.add).set(PTE_AT);
  c.get(PTE_AT).i32(ramBytes - 4).op(OP.gtU).brIf(0);
  c.get(PTE_AT).load32(ramBase).set(PTE);
  c.get(PTE).i32(P).op(OP.and).op(OP.eqz).brIf(0);
  // What both entries allow; a fault is paging.ts's to raise.
  c.get(PDE).get(PTE).op(OP.and).set(ALLOW);
  c.get(NEED).i32(R_U | W_U).op(OP.and).if();
  c.get(ALLOW).i32(US).op(OP.and).op(OP.eqz).brIf(1);
  c.end();
  c.get(NEED).i32(W_S | W_U).op(OP.and).if();
  c.get(ALLOW).i32(RW).op(OP.and).op(OP.eqz);
  c.get(NEED).i32(W_U).op(OP.and); ctl(CR0_AT).i32(CR0_WP).op(OP.and).op(OP.or); nonZero();
  c.op(OP.and).brIf(1);
  c.end();
  // Accessed, and Dirty for a write.
  c.get(PTE).i32(ACCESSED).op(OP.or);
  c.get(NEED).i32(W_S | W_U).op(OP.and).if(true).i32(DIRTY).else().i32(0).end();
  c.op(OP.or).set(R);
  c.get(R).get(PTE).op(OP.ne).if();
  markable(PTE_AT);
  c.get(PTE_AT).get(R).store32(ramBase);
  c.get(R).set(PTE);
  c.end();
  // A frame outside RAM is never cached.
  c.get(PTE).i32(~0xfff).op(OP.and).set(FRAME);
  c.get(FRAME).i32(ramBytes - 0x1000).op(OP.gtU).brIf(0);
  // The rights: write only once Dirty (and with WP clear, the supervisor writes read-only pages).
  c.i32(R_S).set(R);
  c.get(ALLOW).i32(US).op(OP.and).if().get(R).i32(R_U).op(OP.or).set(R).end();
  c.get(PTE).i32(DIRTY).op(OP.and).if();
  c.get(ALLOW).i32(RW).op(OP.and); nonZero(); ctl(CR0_AT).i32(CR0_WP).op(OP.and).op(OP.eqz).op(OP.or);
  c.if().get(R).i32(W_S).op(OP.or).set(R).end();
  c.get(ALLOW).i32(RW | US).op(OP.and).i32(RW | US).op(OP.eq);
  c.if().get(R).i32(W_U).op(OP.or).set(R).end();
  c.end();
  // Writes through the entry will not be seen one by one: memory.ts must know the frame is written already.
  c.get(R).i32(W_S | W_U).op(OP.and).if();
  c.get(FRAME).i32(12).op(OP.shrU).load8u(WRITTEN_PAGES).op(OP.eqz).brIf(1);
  c.end();
  // The entry, listed for the next flush if it was free.
  tlbIndexOf(c, LIN); c.i32(2).op(OP.shl).set(I);
  c.get(I).load32(TLB_TAG).i32(-1).op(OP.eq).if();
  ctl(TLB_USED_COUNT).i32(TLB_ENTRIES).op(OP.ltU).if();
  ctl(TLB_USED_COUNT).i32(2).op(OP.shl).get(I).i32(2).op(OP.shrU).store32(TLB_USED);
  c.i32(0); ctl(TLB_USED_COUNT).i32(1).op(OP.add).store32(TLB_USED_COUNT);
  c.end();
  c.end();
  c.get(I).get(LIN).i32(12).op(OP.shrU).store32(TLB_TAG);
  c.get(I).get(FRAME).store32(TLB_PHYS);
  c.get(I).i32(2).op(OP.shrU).set(I);
  c.get(I).get(R).store8(TLB_RIGHTS);
  c.get(I);
  c.get(PTE).i32(GLOBAL).op(OP.and); nonZero(); ctl(CR4_AT).i32(CR4_PGE).op(OP.and); nonZero(); c.op(OP.and);
  c.store8(TLB_GLOBAL);
  c.get(I).i32(0).store8(TLB_LARGE);
  c.get(R).get(NEED).op(OP.and).i32(0).op(OP.ne).return();
  c.end();
  c.i32(0);
  return { name: 'walk', params: 2, locals: 8, body: c };
}

/**
 * Into local P the physical address of local O, if the TLB maps its page (after a walk, if it did not) with
 * the right in cell `acc` (ACC_R or ACC_W); else a branch out of the enclosing block (depth 0). Uses I.
 */
function mapped(c: Code, o: number, p: number, i: number, acc: number): void {
  tlbIndexOf(c, o); c.set(i);
  c.get(i).i32(2).op(OP.shl).load32(TLB_TAG).get(o).i32(12).op(OP.shrU).op(OP.ne).if();
  c.get(o).i32(0).load32(acc).call(WALK).op(OP.eqz).brIf(1);
  c.end();
  c.get(i).load8u(TLB_RIGHTS).i32(0).load32(acc).op(OP.and).op(OP.eqz).brIf(0);
  c.get(i).i32(2).op(OP.shl).load32(TLB_PHYS).get(o).i32(0xfff).op(OP.and).op(OP.or).set(p);
}

type Width = 1 | 2 | 4;

/** rd8, rd16, rd32 (`write`: rdW8, rdW32, read for a read-modify-write) through a flat segment. */
function readBody(name: string, size: Width, write: boolean, ramBase: number): LibraryFn {
  const SEG = 0, OFF = 1, I = 2, PA = 3;
  const c = new Code();
  c.block();
  c.get(SEG).load8u(write ? SEG_FLAT_W : SEG_FLAT_R).op(OP.eqz).brIf(0);
  c.get(OFF).i32(0xfff).op(OP.and).i32(0x1000 - size).op(OP.gtU).brIf(0);
  mapped(c, OFF, PA, I, write ? ACC_W : ACC_R);
  c.get(PA);
  if (size === 4) c.load32(ramBase); else if (size === 2) c.load16u(ramBase); else c.load8u(ramBase);
  c.return();
  c.end();
  c.get(SEG).get(OFF).call(CPU[name]);
  return { name, params: 2, locals: 2, body: c };
}

/** wr8, wr16, wr32 through a flat segment, not onto a page holding code: 0 (the block goes on). */
function writeBody(name: string, size: Width, ramBase: number): LibraryFn {
  const SEG = 0, OFF = 1, V = 2, I = 3, PA = 4;
  const c = new Code();
  c.block();
  c.get(SEG).load8u(SEG_FLAT_W).op(OP.eqz).brIf(0);
  c.get(OFF).i32(0xfff).op(OP.and).i32(0x1000 - size).op(OP.gtU).brIf(0);
  mapped(c, OFF, PA, I, ACC_W);
  c.get(PA).i32(12).op(OP.shrU).load8u(CODE_PAGES).brIf(0);
  c.get(PA).get(V);
  if (size === 4) c.store32(ramBase); else if (size === 2) c.store16(ramBase); else c.store8(ramBase);
  c.i32(0).return();
  c.end();
  c.get(SEG).get(OFF).get(V).call(CPU[name]);
  return { name, params: 3, locals: 2, body: c };
}

/** push32(v) and pop32() on a flat 32-bit stack, within one page. */
function stackBody(push: boolean, ramBase: number): LibraryFn {
  const c = new Code();
  const V = 0, O = push ? 1 : 0, I = O + 1, PA = O + 2;
  c.block();
  c.i32(0).load32(STACK32).op(OP.eqz).brIf(0);
  c.i32(SS).load8u(push ? SEG_FLAT_W : SEG_FLAT_R).op(OP.eqz).brIf(0);
  c.i32(0).load32(REGS + ESP * 4);
  if (push) c.i32(4).op(OP.sub);
  c.set(O);
  c.get(O).i32(0xfff).op(OP.and).i32(0xffc).op(OP.gtU).brIf(0);
  mapped(c, O, PA, I, push ? ACC_W : ACC_R);
  if (push) {
    c.get(PA).i32(12).op(OP.shrU).load8u(CODE_PAGES).brIf(0);
    c.get(PA).get(V).store32(ramBase);
    c.i32(0).get(O).store32(REGS + ESP * 4);
    c.i32(0).return();
  } else {
    c.i32(0).get(O).i32(4).op(OP.add).store32(REGS + ESP * 4);
    c.get(PA).load32(ramBase).return();
  }
  c.end();
  if (push) c.get(V).call(CPU.push32); else c.call(CPU.pop32);
  return { name: push ? 'push32' : 'pop32', params: push ? 1 : 0, locals: 3, body: c };
}

/** fill(eip), the dispatcher's: the walk for a fetch at the CPL, else paging.ts's (tier.ts fill). */
function fillBody(): LibraryFn {
  const c = new Code();
  c.get(0).i32(0).load32(ACC_R).call(WALK).if(true).i32(1).else().get(0).call(CPU.fill).end();
  return { name: 'fill', params: 1, locals: 0, body: c };
}

/**
 * movCr3(v), MOV CR3 at CPL 0 as ops/system.ts movToCr does it: CR3 = v, and the TLB flushed through its
 * list of entries in use (the global ones kept with CR4.PGE). 1 if done, 0 for the handler (not CPL 0, or the
 * list overflowed: the whole table must be gone through).
 */
function movCr3Body(): LibraryFn {
  const V = 0, N = 1, K = 2, KEPT = 3, I = 4, KEEP = 5;
  const c = new Code();
  c.block();
  c.i32(0).load32(CPL).brIf(0);
  c.i32(0).load32(TLB_USED_COUNT).set(N);
  c.get(N).i32(TLB_ENTRIES).op(OP.geU).brIf(0);
  c.i32(0).get(V).store32(CR3_AT);
  c.i32(0).load32(CR4_AT).i32(CR4_PGE).op(OP.and).set(KEEP);
  c.block().loop();
  c.get(K).get(N).op(OP.geU).brIf(1);
  c.get(K).i32(2).op(OP.shl).load32(TLB_USED).set(I);
  c.get(KEEP).if(true).get(I).load8u(TLB_GLOBAL).else().i32(0).end();
  c.if(true).get(I).i32(2).op(OP.shl).load32(TLB_TAG).i32(-1).op(OP.ne).else().i32(0).end();
  c.if().get(KEPT).i32(2).op(OP.shl).get(I).store32(TLB_USED).get(KEPT).i32(1).op(OP.add).set(KEPT);
  c.else().get(I).i32(2).op(OP.shl).i32(-1).store32(TLB_TAG).end();
  c.get(K).i32(1).op(OP.add).set(K);
  c.br(0);
  c.end().end();
  c.i32(0).get(KEPT).store32(TLB_USED_COUNT);
  c.i32(1).return();
  c.end();
  c.i32(0);
  return { name: 'movCr3', params: 1, locals: 5, body: c };
}

/** The module's bytes, for a machine of `pages` 64 KiB pages whose RAM of `ramBytes` starts at `ramBase`. */
export function walkBytes(pages: number, ramBytes: number, ramBase: number): Uint8Array {
  return libraryModule(pages, WALK_IMPORTS, [
    walkBody(ramBytes, ramBase),
    readBody('rd8', 1, false, ramBase), readBody('rd16', 2, false, ramBase), readBody('rd32', 4, false, ramBase),
    readBody('rdW32', 4, true, ramBase), readBody('rdW8', 1, true, ramBase),
    writeBody('wr8', 1, ramBase), writeBody('wr32', 4, ramBase), writeBody('wr16', 2, ramBase),
    stackBody(true, ramBase), stackBody(false, ramBase), fillBody(), movCr3Body(),
  ]);
}
