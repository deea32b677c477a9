/**
 * The Guest's GDT (lguest's segments.c).
 *
 * The Guest may not load a GDT: the CPU runs on one the Host keeps in the
 * read-only state page. The Guest asks for entries one at a time
 * (LOAD_GDT_ENTRY) and its three TLS entries at once (LOAD_TLS); the Host
 * keeps them and copies them in before the Guest next runs. Four slots are
 * never the Guest's: the TSS, lguest's two segments, the double-fault TSS.
 *
 * There is little to check. A segment with DPL 0 would let the Guest run at
 * ring 0, so DPL 0 becomes 1. The accessed bit is set in advance, because
 * the CPU would otherwise write it into a table the Guest sees read-only.
 * Anything else wrong only hurts the Guest: a bad selector faults when the
 * Switcher reloads it, and that kills the Guest ("unhandled trap 256").
 */
import { Lguest, CHANGED_GDT, CHANGED_GDT_TLS } from './lguest';
import {
  GDT_ENTRIES, GDT_ENTRY_TSS, GDT_ENTRY_LGUEST_CS, GDT_ENTRY_LGUEST_DS, GDT_ENTRY_DOUBLEFAULT_TSS, GDT_ENTRY_KERNEL_CS,
  GDT_ENTRY_KERNEL_DS, GDT_ENTRY_TLS_MIN, GDT_ENTRY_TLS_ENTRIES, GUEST_PL, FLAT_LO, FLAT_CODE_HI, FLAT_DATA_HI,
} from './layout';

/** Slots the Host owns in the Guest's GDT. */
export function ignoredGdt(i: number): boolean {
  return i === GDT_ENTRY_TSS || i === GDT_ENTRY_LGUEST_CS || i === GDT_ENTRY_LGUEST_DS
    || i === GDT_ENTRY_DOUBLEFAULT_TSS;
}

/** fixup_gdt_table: DPL 0 becomes the Guest's ring, and every entry is marked accessed. */
function fixup(lg: Lguest, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    if (ignoredGdt(i)) continue;
    let hi = lg.gdt[i * 2 + 1];
    if ((hi & 0x6000) === 0) hi |= GUEST_PL << 13;
    lg.gdt[i * 2 + 1] = hi | 0x100;
  }
}

/** setup_guest_gdt: the Guest starts with flat kernel code and data at ring 1. */
export function setupGuestGdt(lg: Lguest): void {
  lg.gdt.fill(0);
  lg.gdt[GDT_ENTRY_KERNEL_CS * 2] = FLAT_LO;
  lg.gdt[GDT_ENTRY_KERNEL_CS * 2 + 1] = (FLAT_CODE_HI | (GUEST_PL << 13)) >>> 0;
  lg.gdt[GDT_ENTRY_KERNEL_DS * 2] = FLAT_LO;
  lg.gdt[GDT_ENTRY_KERNEL_DS * 2 + 1] = (FLAT_DATA_HI | (GUEST_PL << 13)) >>> 0;
}

/** LOAD_GDT_ENTRY. */
export function loadGuestGdtEntry(lg: Lguest, num: number, lo: number, hi: number): void {
  num >>>= 0;
  if (num >= GDT_ENTRIES) {
    lg.kill(`too many gdt entries ${num | 0}`);
    return;
  }
  lg.gdt[num * 2] = lo;
  lg.gdt[num * 2 + 1] = hi;
  fixup(lg, num, num + 1);
  lg.changed |= CHANGED_GDT;
}

/** LOAD_TLS: three descriptors from Guest memory into slots 6 to 8. */
export function guestLoadTls(lg: Lguest, addr: number): void {
  const bytes = lg.readBytes(addr, GDT_ENTRY_TLS_ENTRIES * 8);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < GDT_ENTRY_TLS_ENTRIES * 2; i++) lg.gdt[GDT_ENTRY_TLS_MIN * 2 + i] = dv.getUint32(i * 4, true);
  fixup(lg, GDT_ENTRY_TLS_MIN, GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES);
  lg.changed |= CHANGED_GDT_TLS;
}

/** copy_gdt / copy_gdt_tls: the Guest's entries into the real GDT in the state page. */
export function copyGdt(lg: Lguest, tlsOnly: boolean): void {
  const base = lg.world.guestGdt;
  const first = tlsOnly ? GDT_ENTRY_TLS_MIN : 0;
  const end = tlsOnly ? GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES : GDT_ENTRIES;
  for (let i = first; i < end; i++) {
    if (ignoredGdt(i)) continue;
    lg.mem.write32(base + i * 8, lg.gdt[i * 2]);
    lg.mem.write32(base + i * 8 + 4, lg.gdt[i * 2 + 1]);
  }
}
