/**
 * What the Host knows about its Guest: lguest's struct lguest and its one
 * struct lg_cpu in one record, with the helpers every part of the Host uses
 * to touch the Guest's memory and to kill it.
 *
 * The Guest is never trusted. Every address it hands us is checked against
 * its memory before use (lguest_address_ok); a bad one kills it, and the
 * first reason it was killed for is the one reported (kill_guest). Host
 * code goes on after a kill as lguest's did: the run loop sees `dead` and
 * never enters the Guest again.
 */
import { PhysicalMemory } from '../cpu/memory';
import { Cpu } from '../cpu/state';
import { HostWorld } from './hostWorld';
import { RegName, regOffset, dataOffset, PAGES_REGS, GDT_ENTRIES, LGUEST_DATA, PAGE_SIZE } from './layout';
import type { ShadowPageTables } from './pageTables';
import type { LauncherDevices } from './devices/launcherDevices';
import type { HostEvent } from './events';
import { HostStats } from './events';

export const CHANGED_IDT = 1, CHANGED_GDT = 2, CHANGED_GDT_TLS = 4, CHANGED_ALL = 3;

/** How a Guest's life ended. */
export type Death =
  | { kind: 'killed'; reason: string }
  | { kind: 'poweroff'; message: string }
  | { kind: 'restart'; message: string }
  | { kind: 'exit'; status: number }
  | { kind: 'halted'; reason: string };

export interface LguestOptions {
  /** Let trap gates go straight to the Guest (lguest's direct traps); false routes every trap through the Host. */
  directTraps: boolean;
  /** Seconds since 1970 at virtual time 0 (lguest_data.time). */
  epochSeconds: number;
  /** Seed of the PRNG that picks which shadow page directory to replace. */
  seed: number;
}

export class Lguest {
  /** Guest memory ends here: frames at or above it are not the Guest's. */
  readonly pfnLimit: number;
  /** Guest-physical address of struct lguest_data, once LGUEST_INIT said it. */
  lguestData: number | null = null;
  noirqIret = 0;
  kernelAddress = 0;
  /** The Guest's ring 1 stack for traps from ring 3 (SET_STACK), and how many pages to keep mapped. */
  esp1 = 0;
  ss1 = 0;
  stackPages = 0;
  /** What copy_in_guest_info must copy into the real tables before the next entry. */
  changed = CHANGED_ALL;
  /**
   * CR0.TS as the Guest wants it (the TS hypercall: 0 or 8). While set, the Guest runs with TS and its #NM is
   * reflected to it; Linux 4.10 never asks.
   */
  ts = 0;
  halted = false;
  /** A synchronous hypercall is waiting to run (the registers hold it). */
  hcallPending = false;
  /** The next slot of the asynchronous ring to look at. */
  nextHcall = 0;
  /** Virtual interrupts waiting to be delivered, bit n = IRQ n. */
  irqsPending = 0;
  /** When the Guest's one-shot timer fires (virtual ns), or null. */
  timerDeadline: number | null = null;
  /** The Guest's GDT and IDT as it asked for them, sanitized (two words per entry). */
  readonly gdt = new Uint32Array(GDT_ENTRIES * 2);
  readonly idt = new Uint32Array(256 * 2);
  /** Set by the first kill, SHUTDOWN or the exit port; the Guest never runs again. */
  dead: Death | null = null;
  pageTables!: ShadowPageTables;
  readonly stats = new HostStats();
  /** Told of everything the Host does (for --trace and the debugger). */
  onEvent: ((e: HostEvent) => void) | null = null;
  /** Bytes the Guest wrote to its console. */
  onConsole: (byte: number) => void = () => {};

  private readonly regsBase: number;

  constructor(
    readonly mem: PhysicalMemory, readonly cpu: Cpu, readonly world: HostWorld, guestBytes: number,
    readonly options: LguestOptions,
    /** The Launcher's devices: the PCI bus, and the virtio devices whose registers lie above memory. */
    readonly devices: LauncherDevices,
  ) {
    this.pfnLimit = guestBytes / PAGE_SIZE;
    this.regsBase = world.regsPage + PAGES_REGS;
  }

  emit(e: HostEvent): void {
    if (this.onEvent !== null) this.onEvent(e);
  }

  // ---- The Guest's saved registers (struct lguest_regs in the register page) ----

  reg(name: RegName): number {
    return this.mem.read32(this.regsBase + regOffset(name)) >>> 0;
  }
  setReg(name: RegName, v: number): void {
    this.mem.write32(this.regsBase + regOffset(name), v);
  }

  // ---- Killing ------------------------------------------------------------------

  /** kill_guest: the first reason is the one that counts. */
  kill(reason: string): void {
    if (this.dead !== null) return;
    this.dead = { kind: 'killed', reason };
    this.emit({ kind: 'killed', reason });
  }

  // ---- Guest memory -------------------------------------------------------------

  /** lguest_address_ok: the whole range is Guest memory, and does not wrap. */
  addressOk(addr: number, len: number): boolean {
    addr >>>= 0;
    return addr + len <= this.pfnLimit * PAGE_SIZE && addr + len <= 0x100000000;
  }

  read32(addr: number): number {
    if (!this.addressOk(addr, 4)) { this.kill(`bad read address ${hexC(addr)} len 4`); return 0; }
    return this.mem.read32(addr) >>> 0;
  }
  read8(addr: number): number {
    if (!this.addressOk(addr, 1)) { this.kill(`bad read address ${hexC(addr)} len 1`); return 0; }
    return this.mem.read8(addr);
  }
  write32(addr: number, v: number): void {
    if (!this.addressOk(addr, 4)) { this.kill(`bad write address ${hexC(addr)} len 4`); return; }
    this.mem.write32(addr, v);
  }
  /** __lgread: a range, zero-filled if it is not all Guest memory (which kills). */
  readBytes(addr: number, len: number): Uint8Array {
    if (!this.addressOk(addr, len)) {
      this.kill(`bad read address ${hexC(addr)} len ${len}`);
      return new Uint8Array(len);
    }
    return this.mem.bytes.slice(addr >>> 0, (addr >>> 0) + len);
  }

  // ---- struct lguest_data (range-checked once, at LGUEST_INIT) ---------------------

  dataRead(field: keyof typeof LGUEST_DATA): number {
    return this.mem.read32(this.lguestData! + dataOffset(field)) >>> 0;
  }
  dataWrite(field: keyof typeof LGUEST_DATA, v: number): void {
    this.mem.write32(this.lguestData! + dataOffset(field), v);
  }

  /** Virtual time: one nanosecond per instruction executed. */
  get now(): number {
    return this.cpu.instructions;
  }

  /** write_timestamp: lguest_data.time, the wall clock from the epoch. */
  writeTimestamp(): void {
    if (this.lguestData === null) return;
    const ns = this.now;
    this.dataWrite('time', this.options.epochSeconds + Math.floor(ns / 1e9));
    this.mem.write32(this.lguestData + LGUEST_DATA.time + 4, ns % 1e9);
  }
}

/** C's %#lx: 0 is "0", anything else 0x-prefixed hex. */
export function hexC(v: number): string {
  v >>>= 0;
  return v === 0 ? '0' : `0x${v.toString(16)}`;
}
