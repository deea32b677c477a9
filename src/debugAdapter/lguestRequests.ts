/**
 * The shapes of lguest's own requests (custom.ts answers them, the
 * extension's views ask them): types only, so the views import nothing of
 * the adapter's code. Addresses and raw values are hex strings
 * (`0x0010a3c0`); docs/debug-adapter.md describes each field.
 */

/** A page table entry (or directory entry) in words. */
export interface EntryJson {
  value: string;
  flags: string[];
}

export interface FramedEntryJson extends EntryJson {
  frame: string;
}

/** `lguest/gdt`: each slot of the GDT the CPU runs the Guest on. */
export interface GdtEntryJson {
  index: number;
  selector: string;
  owner: 'host' | 'guest';
  raw: [string, string];
  present: boolean;
  base: string;
  limit: string;
  type: string;
  dpl: number;
  granularity: '4k' | 'byte';
  db: boolean;
  accessed: boolean;
  system: boolean;
}
export interface GdtBody {
  entries: GdtEntryJson[];
}

/** `lguest/idt`: each gate of the real IDT, and the Guest's handler for its vector. */
export interface IdtGateJson {
  vector: number;
  name: string;
  present: boolean;
  type: string;
  dpl: number;
  selector: string;
  target: string;
  direct: boolean;
  route: string;
  guestHandler: { target: string; symbol: string | null; type: string; dpl: number } | null;
}
export interface IdtBody {
  gates: IdtGateJson[];
}

/**
 * `lguest/pagetables`: the four shadow slots; with `slot`, its directory; with `directoryIndex` too, one page
 * table.
 */
export interface ShadowSlotJson {
  slot: number;
  gpgdir: string;
  shadow: string;
  active: boolean;
  used: boolean;
  switcherMapped: boolean;
  presentEntries: number;
}
export interface DirectoryEntryJson {
  index: number;
  virtual: string;
  guest: EntryJson | null;
  shadow: EntryJson | null;
  switcher: boolean;
}
export interface PageEntryJson {
  virtual: string;
  guest: FramedEntryJson | null;
  shadow: FramedEntryJson | null;
  note: string;
}
export interface PageTablesBody {
  linearMode: boolean;
  slots: ShadowSlotJson[];
  slot?: number;
  directory?: DirectoryEntryJson[];
  directoryIndex?: number;
  entries?: PageEntryJson[];
}
export interface PageTablesArgs {
  slot?: number;
  directoryIndex?: number;
}

/** One step of a walk: the entry's address, value and flags. */
export interface WalkStepJson extends EntryJson {
  address: string;
}
export interface WalkJson {
  pde: WalkStepJson | null;
  pte: WalkStepJson | null;
  physical: string | null;
}

/**
 * `lguest/translate`: an address through the Guest's tables and the shadow (bare machine: its physical address
 * only).
 */
export interface TranslateBody {
  address: string;
  physical?: string | null;
  symbol?: string | null;
  guest?: WalkJson;
  shadow?: WalkJson;
  note?: string;
}

/** `lguest/location`: where an address is in the sources. */
export interface LocationBody {
  address: string;
  symbol: string | null;
  path: string | null;
  line: number | null;
}

/** `lguest/traps`: the recent trap log, newest last. */
export interface TrapJson {
  time: number;
  trap: number;
  name: string;
  eip: string;
  symbol: string | null;
  errcode: string;
  cr2: string;
  action: string;
  direct: boolean;
  text: string;
}
export interface TrapsBody {
  traps: TrapJson[];
}

/** Addresses for `lguest/translate` and `lguest/location`: a number or a hex string. */
export interface AddressArgs {
  address: number | string;
}
