/**
 * Looking at the Host's and the Guest's state without touching it: what the
 * debugger's views and the trap log read. Nothing here kills the Guest,
 * changes an accessed bit or fills a TLB: a bad Guest address reads as
 * "not there", never as a reason to die.
 */
import { Lguest } from './lguest';
import {
  LGUEST_DATA, SWITCHER_PAGES, PAGES_GUEST_TSS, GDT_ENTRIES, GUEST_KERNEL_CS, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER,
  _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_GLOBAL, _PAGE_PSE, LHCALL_RING_SIZE, HCALL_ARGS_SIZE,
} from './layout';
import { directTrap } from './traps';

/** The flags of a page table entry, as words. */
export function entryFlags(e: number): string[] {
  const f: string[] = [];
  if (e & _PAGE_PRESENT) f.push('P');
  f.push(e & _PAGE_RW ? 'RW' : 'RO');
  f.push(e & _PAGE_USER ? 'U' : 'S');
  if (e & _PAGE_ACCESSED) f.push('A');
  if (e & _PAGE_DIRTY) f.push('D');
  if (e & _PAGE_PSE) f.push('PS');
  if (e & _PAGE_GLOBAL) f.push('G');
  return f;
}

export interface ShadowSlot {
  slot: number;
  /** The Guest page directory it shadows (Guest-physical). */
  gpgdir: number;
  /** The shadow directory (host-physical); 0 if the slot was never used. */
  pgdir: number;
  active: boolean;
  switcherMapped: boolean;
  /** Directory entries present in the shadow, the Switcher's included. */
  presentEntries: number;
}

/** The four cached shadow page directories. */
export function shadowSlots(lg: Lguest): ShadowSlot[] {
  const pt = lg.pageTables;
  return pt.pgdirs.map((p, slot) => {
    let present = 0;
    if (p.pgdir !== 0) {
      for (let i = 0; i < 1024; i++) if ((lg.mem.read32(p.pgdir + i * 4) & _PAGE_PRESENT) !== 0) present++;
    }
    return {
      slot, gpgdir: p.gpgdir, pgdir: p.pgdir, active: slot === pt.cpuPgd, switcherMapped: p.switcherMapped,
      presentEntries: present,
    };
  });
}

export interface IdtGate {
  vector: number;
  lo: number;
  hi: number;
  present: boolean;
  /** 0xe interrupt gate, 0xf trap gate. */
  type: number;
  dpl: number;
  selector: number;
  target: number;
  /** The CPU enters the Guest's handler itself; otherwise the gate leads to the Switcher and the Host. */
  direct: boolean;
}

function decodeGate(vector: number, lo: number, hi: number, direct: boolean): IdtGate {
  return {
    vector, lo, hi, present: (hi & 0x8000) !== 0, type: (hi >>> 8) & 0xf, dpl: (hi >>> 13) & 3, selector: lo >>> 16,
    target: ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0, direct,
  };
}

/** The Guest's IDT as it asked for it (sanitized): what its handlers are. */
export function guestIdt(lg: Lguest): IdtGate[] {
  return Array.from({ length: 256 }, (_, v) => {
    const hi = lg.idt[v * 2 + 1];
    return decodeGate(
      v, lg.idt[v * 2], hi,
      lg.options.directTraps && directTrap(v) && ((hi >>> 8) & 0xf) === 0xf && (hi & 0x8000) !== 0,
    );
  });
}

/** The IDT the CPU really uses while the Guest runs (in the state page, as of the last entry). */
export function realIdt(lg: Lguest): IdtGate[] {
  const base = lg.world.guestIdt;
  return Array.from({ length: 256 }, (_, v) => {
    const lo = lg.mem.read32(base + v * 8) >>> 0, hi = lg.mem.read32(base + v * 8 + 4) >>> 0;
    return decodeGate(v, lo, hi, (lo >>> 16) === GUEST_KERNEL_CS);
  });
}

/** The GDT the CPU uses while the Guest runs: the Host's slots and the Guest's (as of the last entry). */
export function realGdt(lg: Lguest): { index: number; lo: number; hi: number }[] {
  const base = lg.world.guestGdt;
  return Array.from({ length: GDT_ENTRIES }, (_, i) => ({
    index: i, lo: lg.mem.read32(base + i * 8) >>> 0, hi: lg.mem.read32(base + i * 8 + 4) >>> 0,
  }));
}

/** The Guest's TSS fields that matter: the stacks traps switch to. */
export function guestTss(
  lg: Lguest,
): { esp0: number; ss0: number; esp1: number; ss1: number; ioMapBase: number; virt: number } {
  const t = lg.world.guestTss, m = lg.mem;
  return {
    esp0: m.read32(t + 4) >>> 0, ss0: m.read16(t + 8), esp1: m.read32(t + 12) >>> 0, ss1: m.read16(t + 16),
    ioMapBase: m.read16(t + 0x66), virt: SWITCHER_PAGES + PAGES_GUEST_TSS,
  };
}

export interface LguestDataView {
  address: number;
  irq_enabled: number;
  blocked_interrupts: number;
  cr2: number;
  time: { sec: number; nsec: number };
  irq_pending: number;
  reserve_mem: number;
  tsc_khz: number;
  noirq_iret: number;
  kernel_address: number;
  syscall_vec: number;
  /** Slots of the asynchronous ring waiting for the Host, with their calls. */
  ring: { slot: number; args: number[] }[];
}

/** struct lguest_data, once the Guest has said where it is. */
export function lguestData(lg: Lguest): LguestDataView | null {
  if (lg.lguestData === null) return null;
  const a = lg.lguestData, m = lg.mem;
  const f = (k: keyof typeof LGUEST_DATA) => m.read32(a + LGUEST_DATA[k]) >>> 0;
  const ring: { slot: number; args: number[] }[] = [];
  for (let i = 0; i < LHCALL_RING_SIZE; i++) {
    if (m.read8(a + LGUEST_DATA.hcall_status + i) === 0xff) continue;
    const at = a + LGUEST_DATA.hcalls + i * HCALL_ARGS_SIZE;
    ring.push({ slot: i, args: [0, 1, 2, 3, 4].map((k) => m.read32(at + k * 4) >>> 0) });
  }
  return {
    address: a, irq_enabled: f('irq_enabled'), blocked_interrupts: f('blocked_interrupts'), cr2: f('cr2'),
    time: { sec: f('time'), nsec: m.read32(a + LGUEST_DATA.time + 4) >>> 0 }, irq_pending: f('irq_pending'),
    reserve_mem: f('reserve_mem'), tsc_khz: f('tsc_khz'), noirq_iret: f('noirq_iret'),
    kernel_address: f('kernel_address'), syscall_vec: f('syscall_vec'), ring,
  };
}
