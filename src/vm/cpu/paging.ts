/**
 * Paging: the two-level page-table walk and the software TLB it fills.
 *
 * The TLB is direct-mapped on the linear page number. Each entry keeps the
 * physical page and four rights bits: supervisor read, supervisor write, user
 * read, user write. A right is only granted when using it needs no further
 * work from the walk: write rights only once the Dirty bit is set, so the
 * first write to a clean page still comes here and sets it, as hardware does.
 * Pages outside RAM are never cached, so the TLB's fast paths only touch RAM.
 */
import type { Cpu } from './state';
import { raisePF } from './fault';
import { TLB_ENTRIES } from './wasm/layout';

/** The TLB's size is set where its arrays live, in the machine's memory (wasm/layout.ts). */
export const TLB_SIZE = TLB_ENTRIES;
export const TLB_BITS = Math.log2(TLB_SIZE);
export const TLB_MASK = TLB_SIZE - 1;

/**
 * The TLB entry of a linear page: its low bits with its high bits folded in. The low bits alone made
 * pages 16 MiB apart share an entry, and programs often sit so (tour's user code at 0x30000000 and
 * 0x46000000 threw each other out on every system call; Linux's kernel text and its direct map too).
 * Consecutive pages still take consecutive entries. Compiled WebAssembly works it out the same way
 * (wasm/writer.ts tlbIndexOf).
 */
export function tlbIndex(page: number): number {
  return (page ^ (page >>> TLB_BITS)) & TLB_MASK;
}

/** Rights bits: what an access needs (one of these) and what an entry grants. */
export const R_S = 1, W_S = 2, R_U = 4, W_U = 8;

export const PTE_P = 0x1, PTE_W = 0x2, PTE_U = 0x4, PTE_PWT = 0x8, PTE_PCD = 0x10, PTE_A = 0x20, PTE_D = 0x40, PTE_PS = 0x80, PTE_G = 0x100;
/** #PF error code bits. */
export const PF_P = 1, PF_W = 2, PF_U = 4;

const CR0_PG = 0x80000000 | 0, CR0_WP = 0x10000, CR4_PSE = 0x10, CR4_PGE = 0x80;

/**
 * Translate a linear address for an access needing `need` (R_S, W_S, R_U or
 * W_U). Returns the physical address, or raises #PF with CR2 set.
 */
export function translate(c: Cpu, lin: number, need: number): number {
  const page = lin >>> 12;
  if ((c.cr0 & CR0_PG) === 0) {
    fill(c, page, (lin & ~0xfff) >>> 0, R_S | W_S | R_U | W_U, false);
    return lin >>> 0;
  }
  const write = (need & (W_S | W_U)) !== 0;
  const user = (need & (R_U | W_U)) !== 0;
  const mem = c.mem;
  const pdeAddr = (c.cr3 & ~0xfff) + ((lin >>> 22) << 2);
  let pde = mem.read32(pdeAddr);
  const errBase = (write ? 2 : 0) | (user ? 4 : 0);
  if ((pde & PTE_P) === 0) pageFault(c, lin, errBase);

  let entry: number, entryAddr: number, frame: number, allowUser: boolean, allowWrite: boolean;
  if ((pde & PTE_PS) !== 0 && (c.cr4 & CR4_PSE) !== 0) {
    entry = pde; entryAddr = pdeAddr;
    frame = ((pde & 0xffc00000) | (lin & 0x3ff000)) >>> 0;
    allowUser = (pde & PTE_U) !== 0;
    allowWrite = (pde & PTE_W) !== 0;
  } else {
    // The directory entry is marked Accessed as soon as the walk uses it, even
    // if the table entry then faults (what P6-class parts and QEMU do).
    if ((pde & PTE_A) === 0) { pde |= PTE_A; mem.write32(pdeAddr, pde); }
    entryAddr = (pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2);
    entry = mem.read32(entryAddr);
    if ((entry & PTE_P) === 0) pageFault(c, lin, errBase);
    frame = (entry & ~0xfff) >>> 0;
    allowUser = (pde & entry & PTE_U) !== 0;
    allowWrite = (pde & entry & PTE_W) !== 0;
  }

  if (user && !allowUser) pageFault(c, lin, errBase | PF_P);
  if (write && !allowWrite && (user || (c.cr0 & CR0_WP) !== 0)) pageFault(c, lin, errBase | PF_P);

  const newEntry = entry | PTE_A | (write ? PTE_D : 0);
  if (newEntry !== entry) mem.write32(entryAddr, newEntry);

  const dirty = (newEntry & PTE_D) !== 0;
  let rights = R_S;
  if (dirty && (allowWrite || (c.cr0 & CR0_WP) === 0)) rights |= W_S;
  if (allowUser) {
    rights |= R_U;
    if (dirty && allowWrite) rights |= W_U;
  }
  const large = entry === pde && (pde & PTE_PS) !== 0;
  fill(c, page, frame, rights, (entry & PTE_G) !== 0 && (c.cr4 & CR4_PGE) !== 0, large);
  return (frame | (lin & 0xfff)) >>> 0;
}

function fill(c: Cpu, page: number, frame: number, rights: number, global: boolean, large = false): void {
  if (frame + 0x1000 > c.mem.size) return;
  // A page with a data breakpoint stays out, so each access to it is checked (Cpu.dataBreak).
  if (c.dbData !== 0 && c.dataBreakPage(page)) return;
  // Writes through this entry will not be seen one by one: the page counts as written from now on.
  if ((rights & (W_S | W_U)) !== 0) c.mem.markWritten(frame >>> 12);
  const i = tlbIndex(page);
  // Remember which entries are in use, so a flush only has to clear those.
  if (c.tlbTag[i] === -1 && c.tlbUsedCount < TLB_SIZE) c.tlbUsed[c.tlbUsedCount++] = i;
  c.tlbTag[i] = page;
  c.tlbPhys[i] = frame;
  c.tlbRights[i] = rights;
  c.tlbGlobal[i] = global ? 1 : 0;
  c.tlbLarge[i] = large ? 1 : 0;
}

function pageFault(c: Cpu, lin: number, code: number): never {
  c.cr2 = lin | 0;
  return raisePF(c, code);
}

/** A walk with no side effects (no A/D bits, no TLB fill), for debuggers: physical address or -1. */
export function peekTranslate(c: Cpu, lin: number): number {
  if ((c.cr0 & CR0_PG) === 0) return lin >>> 0;
  const pde = c.mem.read32((c.cr3 & ~0xfff) + ((lin >>> 22) << 2));
  if ((pde & PTE_P) === 0) return -1;
  if ((pde & PTE_PS) !== 0 && (c.cr4 & CR4_PSE) !== 0) return ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
  const pte = c.mem.read32((pde & ~0xfff) + (((lin >>> 12) & 0x3ff) << 2));
  if ((pte & PTE_P) === 0) return -1;
  return ((pte & ~0xfff) | (lin & 0xfff)) >>> 0;
}
