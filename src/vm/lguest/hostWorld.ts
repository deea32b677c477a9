/**
 * The Host's world, built once when the Host "boots": its GDT, IDT and TSS,
 * its page tables, its stack, and the Switcher's pages mapped at
 * SWITCHER_ADDR, all in the emulated machine's physical memory above the
 * Guest's RAM. Then the CPU is put in the state a Host kernel runs in:
 * ring 0, paging on with write protection (so the read-only shadow entries
 * and the read-only state page mean something at ring 1), interrupts off.
 *
 * This is what lguest found already there when its module loaded, plus
 * what its init did to each CPU (lguest_arch_host_init): the per-CPU
 * state page with the Guest's default GDT entries, IDT and TSS.
 */
import { Cpu, CS, DS, ES, SS, FS, GS, CR0_PE, CR0_MP, CR0_ET, CR0_NE, CR0_WP, CR0_PG } from '../cpu/state';
import { PhysicalMemory } from '../cpu/memory';
import {
  HOST, HOST_VIRT, HOST_IDT_OFF, HOST_GDT_OFF, HOST_TSS_OFF, SWITCHER_ADDR, SWITCHER_PAGES, PAGE_SIZE, POOL_PAGES,
  PAGES_HOST_IDT_DESC, PAGES_HOST_GDT_DESC, PAGES_GUEST_IDT_DESC, PAGES_GUEST_GDT_DESC, PAGES_GUEST_TSS,
  PAGES_GUEST_IDT, PAGES_GUEST_GDT,
  GDT_ENTRY_LGUEST_CS, GDT_ENTRY_LGUEST_DS, GDT_ENTRY_KERNEL_CS, GDT_ENTRY_KERNEL_DS, GDT_ENTRY_TSS, GDT_ENTRIES,
  HOST_KERNEL_CS, HOST_KERNEL_DS, LGUEST_CS, LGUEST_DS, TSS_SEL, FLAT_LO, FLAT_CODE_HI, FLAT_DATA_HI,
  LGUEST_TRAP_ENTRY, GUEST_PL, PAGE_KERNEL, PAGE_KERNEL_RX, _PAGE_TABLE, HOST_REGION_SIZE,
} from './layout';
import { switcherImage, SwitcherImage } from './switcherImage';

/** The TSS's size, and so the I/O bitmap offset that says "no bitmap": every IN and OUT above IOPL faults. */
const TSS_SIZE = 104;

/**
 * The Host's CR0, which is the Guest's too: the Switcher never touches CR0.
 * Linux's own (CR0_STATE) less AM: paging with WP, and an x87 that is there
 * (EM clear) and reports its errors as #MF (NE); MP makes WAIT fault with
 * the x87 instructions while TS is set. The Host adds TS at entry only while
 * the Guest has asked for it (LHCALL_TS; x86.ts) and takes it off on exit.
 */
export const HOST_CR0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;

export class HostWorld {
  readonly image: SwitcherImage;
  /** Host-physical address of each part (see HOST in layout.ts). */
  readonly regsPage: number;
  readonly statePage: number;
  readonly switcherTextPage: number;
  readonly hostPgdir: number;
  readonly hostStackTop: number;
  readonly pool: PagePool;

  constructor(readonly mem: PhysicalMemory, readonly base: number) {
    if (base % PAGE_SIZE !== 0 || base + HOST_REGION_SIZE > mem.size) {
      throw new Error('the Host region does not fit in physical memory');
    }
    this.image = switcherImage();
    this.switcherTextPage = base + HOST.switcherText;
    this.regsPage = base + HOST.regsPage;
    this.statePage = base + HOST.statePage;
    this.hostPgdir = base + HOST.pgdir;
    this.hostStackTop = HOST_VIRT + HOST.stackTop;
    this.pool = new PagePool(mem, base + HOST.pool, POOL_PAGES);
    this.build();
  }

  /** Host-virtual address of an offset in the Host's region. */
  static virt(off: number): number {
    return (HOST_VIRT + off) >>> 0;
  }

  private build(): void {
    const m = this.mem, b = this.base;
    m.bytes.fill(0, b, b + HOST.pool);
    m.load(this.switcherTextPage, this.image.text);
    m.load(b + HOST.hostText, this.image.hostText);

    // The Host's GDT: lguest's two segments, the Host kernel's, and its TSS.
    const gdt = b + HOST.tables + HOST_GDT_OFF;
    const setDesc = (table: number, i: number, lo: number, hi: number) => {
      m.write32(table + i * 8, lo);
      m.write32(table + i * 8 + 4, hi);
    };
    setDesc(gdt, GDT_ENTRY_LGUEST_CS, FLAT_LO, FLAT_CODE_HI);
    setDesc(gdt, GDT_ENTRY_LGUEST_DS, FLAT_LO, FLAT_DATA_HI);
    setDesc(gdt, GDT_ENTRY_KERNEL_CS, FLAT_LO, FLAT_CODE_HI);
    setDesc(gdt, GDT_ENTRY_KERNEL_DS, FLAT_LO, FLAT_DATA_HI);
    const hostTss = HostWorld.virt(HOST.tables + HOST_TSS_OFF);
    setDesc(gdt, GDT_ENTRY_TSS, ...tssDescriptor(hostTss, true));
    // Its TSS: only the ring 0 stack matters, and the Host never leaves ring 0.
    const tss = b + HOST.tables + HOST_TSS_OFF;
    m.write32(tss + 4, this.hostStackTop);
    m.write32(tss + 8, HOST_KERNEL_DS);
    m.write16(tss + 0x66, TSS_SIZE);
    // Its IDT: every vector to the one handler, an interrupt gate at ring 0.
    const idt = b + HOST.tables + HOST_IDT_OFF;
    for (let v = 0; v < 256; v++) setDesc(idt, v, ...gate(HOST_KERNEL_CS, this.image.hostInterrupt, 0x8e00));

    // Its page tables: its own pages at HOST_VIRT, the Switcher's at the top.
    m.write32(this.hostPgdir + (HOST_VIRT >>> 22) * 4, b + HOST.pteKernel | _PAGE_TABLE);
    for (let off = 0; off < HOST.pool; off += PAGE_SIZE) {
      m.write32(b + HOST.pteKernel + (off >>> 12) * 4, (b + off) | PAGE_KERNEL);
    }
    m.write32(this.hostPgdir + (SWITCHER_ADDR >>> 22) * 4, b + HOST.pteSwitcher | _PAGE_TABLE);
    const swPte = b + HOST.pteSwitcher;
    m.write32(swPte + 0, this.switcherTextPage | PAGE_KERNEL_RX);
    // The Host writes both per-CPU pages (host_sp, the TSS busy bits), so it maps them writable.
    m.write32(swPte + 4, this.regsPage | PAGE_KERNEL);
    m.write32(swPte + 8, this.statePage | PAGE_KERNEL);

    this.buildStatePage();
  }

  /**
   * The read-only state page as lguest's module init leaves it: where the
   * Host's GDT and IDT are, the Guest's GDT with lguest's own segments and the
   * TSS, the Guest's TSS, and an IDT where every vector goes to its Switcher
   * stub (copy_traps lets some go straight to the Guest later).
   */
  private buildStatePage(): void {
    const m = this.mem, s = this.statePage - 0x1000; // offsets below are from SWITCHER_PAGES
    const desc = (off: number, limit: number, base: number) => {
      m.write16(s + off, limit);
      m.write32(s + off + 2, base);
    };
    desc(PAGES_HOST_IDT_DESC, 256 * 8 - 1, HostWorld.virt(HOST.tables + HOST_IDT_OFF));
    desc(PAGES_HOST_GDT_DESC, GDT_ENTRIES * 8 - 1, HostWorld.virt(HOST.tables + HOST_GDT_OFF));
    desc(PAGES_GUEST_IDT_DESC, 256 * 8 - 1, SWITCHER_PAGES + PAGES_GUEST_IDT);
    desc(PAGES_GUEST_GDT_DESC, GDT_ENTRIES * 8 - 1, SWITCHER_PAGES + PAGES_GUEST_GDT);
    const tss = s + PAGES_GUEST_TSS;
    // A trap from the Guest lands at the end of the register page, in struct lguest_regs.
    m.write32(tss + 4, SWITCHER_PAGES + 0x1000);
    m.write32(tss + 8, LGUEST_DS);
    m.write16(tss + 0x66, TSS_SIZE);
    const gdt = s + PAGES_GUEST_GDT;
    m.write32(gdt + GDT_ENTRY_LGUEST_CS * 8, FLAT_LO); m.write32(gdt + GDT_ENTRY_LGUEST_CS * 8 + 4, FLAT_CODE_HI);
    m.write32(gdt + GDT_ENTRY_LGUEST_DS * 8, FLAT_LO); m.write32(gdt + GDT_ENTRY_LGUEST_DS * 8 + 4, FLAT_DATA_HI);
    const [lo, hi] = tssDescriptor(SWITCHER_PAGES + PAGES_GUEST_TSS, false);
    m.write32(gdt + GDT_ENTRY_TSS * 8, lo); m.write32(gdt + GDT_ENTRY_TSS * 8 + 4, hi);
    for (let v = 0; v < 256; v++) this.setGuestIdtEntry(v, ...this.defaultIdtEntry(v, 0));
  }

  /** The Switcher's gate for a vector: ring 0, except the hypercall (ring 1), or `dpl` copied from the Guest's gate. */
  defaultIdtEntry(vector: number, guestHi: number): [number, number] {
    let flags = 0x8e00;
    if (vector === LGUEST_TRAP_ENTRY) flags |= GUEST_PL << 13;
    else flags |= guestHi & 0x6000;
    return gate(LGUEST_CS, this.image.stubs[vector], flags);
  }

  /** Host-physical address of the Guest's real IDT and GDT in the state page. */
  get guestIdt(): number { return this.statePage - 0x1000 + PAGES_GUEST_IDT; }
  get guestGdt(): number { return this.statePage - 0x1000 + PAGES_GUEST_GDT; }
  get guestTss(): number { return this.statePage - 0x1000 + PAGES_GUEST_TSS; }

  setGuestIdtEntry(vector: number, lo: number, hi: number): void {
    this.mem.write32(this.guestIdt + vector * 8, lo);
    this.mem.write32(this.guestIdt + vector * 8 + 4, hi);
  }

  /**
   * Put the CPU in the Host's state, as a Host kernel would be running when
   * it decides to run the Guest: ring 0 on its flat segments, its tables
   * loaded, paging on with WP, interrupts off.
   */
  enterHostState(c: Cpu): void {
    const b = this.base;
    c.cr0 = HOST_CR0;
    c.cr4 = 0;
    c.cr3 = this.hostPgdir;
    c.flushTlb(false);
    c.gdtr = { sel: 0, base: HostWorld.virt(HOST.tables + HOST_GDT_OFF), limit: GDT_ENTRIES * 8 - 1, attr: 0 };
    c.idtr = { sel: 0, base: HostWorld.virt(HOST.tables + HOST_IDT_OFF), limit: 256 * 8 - 1, attr: 0 };
    c.ldtr = { sel: 0, base: 0, limit: 0, attr: 0 };
    // The Host's TSS is loaded, so its descriptor is busy.
    const tssHi = b + HOST.tables + HOST_GDT_OFF + GDT_ENTRY_TSS * 8 + 4;
    this.mem.write32(tssHi, this.mem.read32(tssHi) | 0x200);
    c.tr = { sel: TSS_SEL, base: HostWorld.virt(HOST.tables + HOST_TSS_OFF), limit: TSS_SIZE - 1, attr: 0x8b };
    c.setCpl(0);
    c.setSegmentCache(CS, HOST_KERNEL_CS, 0, 0xffffffff, FLAT_CODE_HI >>> 8 & 0xffff);
    for (const s of [DS, ES, SS]) c.setSegmentCache(s, HOST_KERNEL_DS, 0, 0xffffffff, FLAT_DATA_HI >>> 8 & 0xffff);
    for (const s of [FS, GS]) c.setSegmentCache(s, 0, 0, 0, 0);
    c.flagsRaw = 0x2;
    c.msrSysenterCs = HOST_KERNEL_CS;
  }
}

/** An interrupt or trap gate: selector and handler, and the high word's flags (P, DPL, type). */
export function gate(sel: number, handler: number, flags: number): [number, number] {
  return [((sel << 16) | (handler & 0xffff)) >>> 0, ((handler & 0xffff0000) | flags) >>> 0];
}

/** An available (or busy) 32-bit TSS descriptor, limit 103, DPL 0. */
function tssDescriptor(base: number, busy: boolean): [number, number] {
  const lo = ((base << 16) | (TSS_SIZE - 1)) >>> 0;
  const hi = ((base & 0xff000000) | ((base >>> 16) & 0xff) | (busy ? 0x8b00 : 0x8900)) >>> 0;
  return [lo, hi];
}

/**
 * Pages for shadow page tables: what lguest got from get_zeroed_page. A
 * free list over a fixed pool, big enough for every shadow directory and
 * every shadow page table the four cached directories could hold at once.
 */
export class PagePool {
  /** The free pages, the next to go last. */
  readonly free: number[] = [];
  inUse = 0;

  constructor(private readonly mem: PhysicalMemory, readonly first: number, readonly count: number) {
    for (let i = count - 1; i >= 0; i--) this.free.push(first + i * PAGE_SIZE);
  }

  /** Pages left to allocate. */
  get available(): number {
    return this.free.length;
  }

  /** A zeroed page's host-physical address, or 0 when none is left. */
  alloc(): number {
    const p = this.free.pop();
    if (p === undefined) return 0;
    this.mem.bytes.fill(0, p, p + PAGE_SIZE);
    this.inUse++;
    return p;
  }

  release(page: number): void {
    this.free.push(page);
    this.inUse--;
  }
}
