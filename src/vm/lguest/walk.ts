/**
 * The two page walks of the Host, and the only ones: through the Guest's own
 * tables (what the Guest means by an address) and through a shadow (what the
 * CPU will do with it). The Host's demand_page, guest_pa and trap frames walk
 * the Guest's tables with the first; the debugger's views walk both.
 *
 * A walk only reads. Where the Host would kill the Guest for what it finds (a
 * table entry outside Guest memory), the walk says so and lets the caller
 * decide: the Host kills, a view shows "not there".
 */
import type { Lguest } from './lguest';
import { PAGE_SIZE, _PAGE_PRESENT } from './layout';

/** One level of a page walk: where the entry is and what it holds. */
export interface WalkStep {
  /** Physical address of the entry (Guest-physical for the Guest's tables, host-physical for shadows). */
  addr: number;
  value: number;
}

export interface Walk {
  pde: WalkStep | null;
  pte: WalkStep | null;
  /** Where the address goes, or null if this walk maps it nowhere. */
  phys: number | null;
}

export interface GuestWalk extends Walk {
  /** Boot mode: the Guest has no tables yet, and every address of its memory is its own physical address. */
  linear: boolean;
  /** An entry the walk needed lies outside Guest memory (the Host kills: "bad read address ADDR len 4"). */
  badRead: number | null;
}

const FLAGS = 0xfff;

function readGuestEntry(lg: Lguest, addr: number): number | null {
  return lg.addressOk(addr, 4) ? lg.mem.read32(addr) >>> 0 : null;
}

/**
 * The Guest's translation of `vaddr` through the page directory at `gpgdir`
 * (default: the one it runs on, or boot mode's identity if it has none yet).
 */
export function guestWalk(lg: Lguest, vaddr: number, gpgdir?: number): GuestWalk {
  vaddr >>>= 0;
  const pt = lg.pageTables;
  if (gpgdir === undefined && pt.linearPages) {
    return { linear: true, pde: null, pte: null, phys: vaddr < lg.pfnLimit * PAGE_SIZE ? vaddr : null, badRead: null };
  }
  const dir = gpgdir ?? pt.pgdirs[pt.cpuPgd].gpgdir;
  const pdeAddr = (dir + (vaddr >>> 22) * 4) >>> 0;
  const pde = readGuestEntry(lg, pdeAddr);
  if (pde === null) return { linear: false, pde: null, pte: null, phys: null, badRead: pdeAddr };
  const pdeStep = { addr: pdeAddr, value: pde };
  if ((pde & _PAGE_PRESENT) === 0) return { linear: false, pde: pdeStep, pte: null, phys: null, badRead: null };
  const pteAddr = ((pde & ~FLAGS) + ((vaddr >>> 12) & 0x3ff) * 4) >>> 0;
  const pte = readGuestEntry(lg, pteAddr);
  if (pte === null) return { linear: false, pde: pdeStep, pte: null, phys: null, badRead: pteAddr };
  const phys = (pte & _PAGE_PRESENT) !== 0 ? ((pte & ~FLAGS) | (vaddr & FLAGS)) >>> 0 : null;
  return { linear: false, pde: pdeStep, pte: { addr: pteAddr, value: pte }, phys, badRead: null };
}

/** The CPU's translation of `vaddr` through shadow slot `slot` (default: the active one). */
export function shadowWalk(lg: Lguest, vaddr: number, slot?: number): Walk {
  vaddr >>>= 0;
  const pt = lg.pageTables;
  const dir = pt.pgdirs[slot ?? pt.cpuPgd].pgdir;
  if (dir === 0) return { pde: null, pte: null, phys: null };
  const m = lg.mem;
  const pdeAddr = dir + (vaddr >>> 22) * 4;
  const pde = m.read32(pdeAddr) >>> 0;
  const pdeStep = { addr: pdeAddr, value: pde };
  if ((pde & _PAGE_PRESENT) === 0) return { pde: pdeStep, pte: null, phys: null };
  const pteAddr = ((pde & ~FLAGS) + ((vaddr >>> 12) & 0x3ff) * 4) >>> 0;
  const pte = m.read32(pteAddr) >>> 0;
  const phys = (pte & _PAGE_PRESENT) !== 0 ? ((pte & ~FLAGS) | (vaddr & FLAGS)) >>> 0 : null;
  return { pde: pdeStep, pte: { addr: pteAddr, value: pte }, phys };
}
