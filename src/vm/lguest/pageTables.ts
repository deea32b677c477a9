/**
 * Shadow page tables (lguest's page_tables.c).
 *
 * The Guest keeps ordinary two-level x86 page tables in its own memory, but
 * the CPU never walks them: it walks shadow tables the Host builds from
 * them, real page tables in Host memory whose entries point at the frames
 * behind the Guest's (here, the same frame numbers: Guest-physical is
 * host-physical). They start empty and fill on demand: a page fault comes
 * to the Host, which looks at the Guest's entry and copies it over if it
 * allows the access (demand_page), or hands the fault to the Guest.
 *
 * Four shadow page directories are kept, one per Guest page directory
 * recently loaded, so switching between processes does not start from
 * nothing. The kernel's half of the address space is the same in every
 * process, so it is kept when a slot is reused for another directory.
 */
import { Lguest, hexC } from './lguest';
import {
  PAGE_SIZE, PGDIR_CACHE, PTRS_PER_PGD, SWITCHER_ADDR, SWITCHER_PAGES, SWITCHER_PGD_INDEX, _PAGE_TABLE,
  _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PSE, _PAGE_GLOBAL,
  PAGE_KERNEL, PAGE_KERNEL_RO, PAGE_KERNEL_RX,
} from './layout';
import type { PageTableOp } from './events';
import { planDemandPage, badGpte, gpteToSpte, gpteInIomem, type PageFix } from './decide';

export interface ShadowPgdir {
  /** Guest-physical address of the Guest page directory this one shadows. */
  gpgdir: number;
  /** Host-physical address of the shadow page directory, 0 if this slot never got one. */
  pgdir: number;
  switcherMapped: boolean;
}

const FLAGS = 0xfff;

export class ShadowPageTables {
  readonly pgdirs: ShadowPgdir[] = Array.from({ length: PGDIR_CACHE }, () => ({
    gpgdir: 0, pgdir: 0, switcherMapped: false,
  }));
  /** The slot the CPU runs on. */
  cpuPgd = 0;
  /** Boot mode: virtual is physical until the Guest's first NEW_PGTABLE. */
  linearPages = false;
  /** The PRNG's state (xorshift): which slot the next new page directory takes. */
  rng: number;

  constructor(private readonly lg: Lguest) {
    this.rng = (lg.options.seed >>> 0) || 1;
  }

  private get mem() { return this.lg.mem; }
  private get pool() { return this.lg.world.pool; }

  /** Someone listens for events: only then are their words put together. */
  private get watched(): boolean {
    return this.lg.onEvent !== null;
  }

  private note(op: PageTableOp, vaddr: number, detail: string): void {
    this.lg.emit({ kind: 'pagetable', op, vaddr: vaddr >>> 0, detail, time: this.lg.now });
  }

  /** init_guest_pagetable: one empty shadow, linear mode, the Switcher mapped. */
  init(): void {
    this.pgdirs[0].gpgdir = 0;
    this.pgdirs[0].pgdir = this.pool.alloc();
    this.cpuPgd = 0;
    this.linearPages = true;
    this.allocateSwitcherMapping();
  }

  /** The CR3 the Switcher loads: the active shadow directory. */
  get shadowCr3(): number {
    return this.pgdirs[this.cpuPgd].pgdir;
  }

  // ---- Shadow entries ------------------------------------------------------------------

  private spgdAddr(idx: number, vaddr: number): number {
    return this.pgdirs[idx].pgdir + (vaddr >>> 22) * 4;
  }

  /**
   * find_spte: the host-physical address of the shadow PTE for `vaddr` in
   * slot `idx`, making the shadow page table (with `pgdFlags`) if there is
   * none and `allocate` says so; 0 if there is none.
   */
  private findSpte(idx: number, vaddr: number, allocate: boolean, pgdFlags: number): number {
    const spgd = this.spgdAddr(idx, vaddr);
    let pde = this.mem.read32(spgd) >>> 0;
    if ((pde & _PAGE_PRESENT) === 0) {
      if (!allocate) return 0;
      const page = this.pool.alloc();
      if (page === 0) {
        this.lg.kill('out of memory allocating pte page');
        return 0;
      }
      pde = (page | (pgdFlags & FLAGS)) >>> 0;
      this.mem.write32(spgd, pde);
    }
    return (pde & ~FLAGS) + ((vaddr >>> 12) & 0x3ff) * 4;
  }

  /** release_pgd: drop a shadow page table (its entries hold no references here: our frames are not counted). */
  private releasePgd(spgd: number): void {
    const pde = this.mem.read32(spgd) >>> 0;
    if ((pde & _PAGE_PRESENT) !== 0) {
      this.pool.release((pde & ~FLAGS) >>> 0);
      this.mem.write32(spgd, 0);
    }
  }

  /** flush_user_mappings: the user half of a shadow (below the Guest's kernel_address). */
  private flushUserMappings(idx: number): void {
    const end = this.lg.kernelAddress >>> 22;
    for (let i = 0; i < end; i++) this.releasePgd(this.pgdirs[idx].pgdir + i * 4);
  }

  // ---- demand_page ----------------------------------------------------------------------

  /**
   * A page fault at `vaddr` with error code `errcode`: if the Guest's entry
   * allows the access, copy it into the shadow (decide.ts says how) and
   * return true; false when the fault is the Guest's (or killed it).
   */
  demandPage(vaddr: number, errcode: number): boolean {
    const plan = planDemandPage(this.lg, vaddr, errcode);
    if (plan.kind === 'kill') this.lg.kill(plan.reason);
    if (plan.kind !== 'fix') return false;
    this.applyFix(plan);
    return true;
  }

  /** Carry out a fix planDemandPage planned: the shadow entry, and the Guest's accessed and dirty bits. */
  applyFix(fix: PageFix): void {
    const spte = this.findSpte(this.cpuPgd, fix.vaddr, true, fix.pgdFlags);
    if (spte === 0) return;
    this.mem.write32(spte, fix.spte);
    if (fix.gpteAddr !== null) this.mem.write32(fix.gpteAddr, fix.gpte);
    if (this.watched) this.note('demand', fix.vaddr, `${fix.write ? 'write' : 'read'} -> frame ${hexC(fix.gpte & ~FLAGS)} `
      + `${fix.writable ? 'writable' : 'read-only until dirty'}`);
  }

  /** page_writable + pin_page: make sure a kernel stack page is mapped writable now. */
  private pinPage(vaddr: number): void {
    const spte = this.findSpte(this.cpuPgd, vaddr, false, 0);
    if (spte !== 0) {
      const e = this.mem.read32(spte);
      if ((e & (_PAGE_PRESENT | _PAGE_RW)) === (_PAGE_PRESENT | _PAGE_RW)) return;
    }
    if (!this.demandPage(vaddr, 2)) this.lg.kill(`bad stack page ${hexC(vaddr)}`);
  }

  /**
   * pin_stack_pages: a trap from ring 3 makes the CPU push onto the Guest's
   * kernel stack with no chance to fault it in (a fault there would be a
   * double fault), so those pages stay mapped.
   */
  pinStackPages(): void {
    for (let i = 0; i < this.lg.stackPages; i++) this.pinPage((this.lg.esp1 - 1 - i * PAGE_SIZE) >>> 0);
  }

  // ---- The Switcher's mapping ------------------------------------------------------

  /** allocate_switcher_mapping: the shadow page table for the top 4 MiB, with the Switcher's text. */
  allocateSwitcherMapping(): boolean {
    for (let i = 0; i < 3; i++) {
      const pte = this.findSpte(this.cpuPgd, SWITCHER_ADDR + i * PAGE_SIZE, true, _PAGE_TABLE);
      if (pte === 0) {
        this.lg.kill('Cannot populate switcher mapping');
        return false;
      }
      if (i === 0 && (this.mem.read32(pte) & _PAGE_PRESENT) === 0) {
        this.mem.write32(pte, this.lg.world.switcherTextPage | PAGE_KERNEL_RX);
      }
    }
    this.pgdirs[this.cpuPgd].switcherMapped = true;
    return true;
  }

  /** map_switcher_in_guest: this CPU's register page (writable) and state page (read-only). */
  mapSwitcherInGuest(): void {
    if (
      !this.pgdirs[this.cpuPgd].switcherMapped
      || (this.mem.read32(this.spgdAddr(this.cpuPgd, SWITCHER_ADDR)) & _PAGE_PRESENT) === 0
    ) {
      this.pgdirs[this.cpuPgd].switcherMapped = false;
      if (!this.allocateSwitcherMapping()) return;
    }
    const regs = this.findSpte(this.cpuPgd, SWITCHER_PAGES, false, 0);
    this.mem.write32(regs, this.lg.world.regsPage | PAGE_KERNEL);
    this.mem.write32(regs + 4, this.lg.world.statePage | PAGE_KERNEL_RO);
  }

  // ---- Hypercalls -------------------------------------------------------------------------

  private releaseAllPagetables(): void {
    for (const p of this.pgdirs) {
      if (p.pgdir === 0) continue;
      for (let j = 0; j < PTRS_PER_PGD; j++) this.releasePgd(p.pgdir + j * 4);
      p.switcherMapped = false;
    }
  }

  /** guest_pagetable_clear_all: FLUSH_TLB(1), LGUEST_INIT: every shadow, emptied. */
  clearAll(): void {
    this.releaseAllPagetables();
    if (this.watched) this.note('flush_all', 0, 'every shadow page table dropped');
    this.pinStackPages();
    this.allocateSwitcherMapping();
  }

  /** guest_pagetable_flush_user: FLUSH_TLB(0). */
  flushUser(): void {
    this.flushUserMappings(this.cpuPgd);
    if (this.watched) this.note('flush_user', 0, `user half of slot ${this.cpuPgd} dropped`);
  }

  private findPgdir(gpgdir: number): number {
    for (let i = 0; i < PGDIR_CACHE; i++) if (this.pgdirs[i].pgdir !== 0 && this.pgdirs[i].gpgdir === gpgdir) return i;
    return PGDIR_CACHE;
  }

  /** A xorshift PRNG, seeded, standing in for lguest's prandom. */
  private random(): number {
    let x = this.rng;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  /** new_pgdir: a random slot for a directory we do not shadow yet; its user half emptied. */
  private newPgdir(gpgdir: number): { idx: number; blank: boolean } {
    let next = this.random() % PGDIR_CACHE, blank = false;
    if (this.pgdirs[next].pgdir === 0) {
      const page = this.pool.alloc();
      if (page === 0) next = this.cpuPgd;
      else { this.pgdirs[next].pgdir = page; blank = true; }
    }
    this.pgdirs[next].gpgdir = gpgdir >>> 0;
    this.flushUserMappings(next);
    return { idx: next, blank };
  }

  /** guest_new_pagetable: NEW_PGTABLE, the Guest's "mov to %cr3". */
  newPagetable(gpgdir: number): void {
    let idx: number, repin = false;
    if (this.linearPages) {
      this.releaseAllPagetables();
      this.linearPages = false;
      idx = PGDIR_CACHE;
    } else {
      idx = this.findPgdir(gpgdir >>> 0);
    }
    const hit = idx !== PGDIR_CACHE;
    if (!hit) ({ idx, blank: repin } = this.newPgdir(gpgdir));
    this.cpuPgd = idx;
    if (this.watched) this.note('new_pgtable', 0, `${hexC(gpgdir)} -> slot ${idx}${hit ? ' (cached)' : ''}`);
    if (repin) this.pinStackPages();
    if (!this.pgdirs[idx].switcherMapped) this.allocateSwitcherMapping();
  }

  /** __guest_set_pte: one shadow; only if it has a page table there already. */
  private setPteIn(idx: number, vaddr: number, gpte: number): void {
    const spgd = this.spgdAddr(idx, vaddr);
    const pde = this.mem.read32(spgd) >>> 0;
    if ((pde & _PAGE_PRESENT) === 0) return;
    const spte = (pde & ~FLAGS) + ((vaddr >>> 12) & 0x3ff) * 4;
    // An entry the Guest has used already (accessed or dirty) goes in at once; else on demand. An entry for a
    // device's registers never goes in: accesses there must fault, so the Host can play the device.
    if ((gpte & (_PAGE_DIRTY | _PAGE_ACCESSED)) !== 0 && !gpteInIomem(this.lg, gpte)) {
      if (badGpte(this.lg, gpte)) {
        this.lg.kill('bad page table entry');
        return;
      }
      this.mem.write32(spte, gpteToSpte(gpte));
    } else {
      this.mem.write32(spte, 0);
    }
  }

  /** guest_set_pte: SET_PTE; kernel addresses are the same in every shadow, so all of them. */
  setPte(gpgdir: number, vaddr: number, gpte: number): void {
    vaddr >>>= 0;
    gpte >>>= 0;
    if (vaddr >= SWITCHER_ADDR) {
      this.lg.kill('attempt to set pte into Switcher pages');
      return;
    }
    if (vaddr >= this.lg.kernelAddress >>> 0) {
      for (let i = 0; i < PGDIR_CACHE; i++) if (this.pgdirs[i].pgdir !== 0) this.setPteIn(i, vaddr, gpte);
    } else {
      const idx = this.findPgdir(gpgdir >>> 0);
      if (idx !== PGDIR_CACHE) this.setPteIn(idx, vaddr, gpte);
    }
    if (this.watched) this.note('set_pte', vaddr, `${hexC(gpte)} in ${hexC(gpgdir)}`);
  }

  /**
   * guest_set_pgd: SET_PGD drops one directory entry's shadow. lguest lets
   * index 1024 through (its check is off by one) and touches the word past
   * the directory; here that index changes nothing.
   */
  setPgd(gpgdir: number, idx: number): void {
    idx >>>= 0;
    if (idx > PTRS_PER_PGD) {
      this.lg.kill(`Attempt to set pgd ${idx}/${PTRS_PER_PGD}`);
      return;
    }
    const slot = this.findPgdir(gpgdir >>> 0);
    if (slot < PGDIR_CACHE) {
      if (idx < PTRS_PER_PGD) this.releasePgd(this.pgdirs[slot].pgdir + idx * 4);
      if (idx === SWITCHER_PGD_INDEX) this.pgdirs[slot].switcherMapped = false;
      if (slot === this.cpuPgd && !this.pgdirs[slot].switcherMapped) this.allocateSwitcherMapping();
    }
    if (this.watched) this.note('set_pgd', (idx << 22) >>> 0, `entry ${idx} of ${hexC(gpgdir)}`);
  }
}
