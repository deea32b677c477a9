/**
 * The Host's state as one plain value: everything lguest's struct lguest
 * and struct lg_cpu hold (and the run loop's own flags), as numbers,
 * arrays and plain objects, with no references into the machine and no
 * functions. It can be copied (structuredClone), compared (deep equality)
 * and put back. With the CPU's registers and the memory, it is the whole
 * machine: what time travel will keep.
 */
import type { Host } from './host';
import type { Death } from './lguest';
import type { ShadowPgdir } from './pageTables';
import type { StopPoint } from './observer';
import type { DevicesState } from './devices/launcherDevices';

export interface RunState {
  inGuest: boolean;
  restarts: number;
  trapCr2: number | null;
  resumingFrom: StopPoint['kind'] | null;
}

export interface HostState {
  lguest: {
    lguestData: number | null; noirqIret: number; kernelAddress: number; esp1: number; ss1: number; stackPages: number;
    changed: number; ts: number; halted: boolean; hcallPending: boolean; nextHcall: number; irqsPending: number;
    timerDeadline: number | null; gdt: number[]; idt: number[]; dead: Death | null;
  };
  pageTables: { pgdirs: ShadowPgdir[]; cpuPgd: number; linearPages: boolean; rng: number };
  pool: { free: number[]; inUse: number };
  stats: {
    exits: number[]; hypercalls: [number, number][]; pageFaultsFixed: number; pageFaultsReflected: number;
    direct: number[]; interrupts: number[]; emulated: number; portIo: number; mmio: number; entries: number; idleNs: number; inputBytes: number;
  };
  /**
   * The run loop's own: the CPU is in the Switcher or the Guest; a trap waits (its CR2); the stop a run goes on
   * from.
   */
  run: RunState;
  /** The Launcher's devices: the PCI latch, configuration spaces, BAR0 registers, queues, the entropy stream. */
  devices: DevicesState;
}

/** A copy of the Host's state, taken now. */
export function captureHostState(host: Host): HostState {
  const lg = host.lg, pt = lg.pageTables, st = lg.stats;
  return {
    lguest: {
      lguestData: lg.lguestData, noirqIret: lg.noirqIret, kernelAddress: lg.kernelAddress, esp1: lg.esp1, ss1: lg.ss1,
      stackPages: lg.stackPages, changed: lg.changed, ts: lg.ts, halted: lg.halted, hcallPending: lg.hcallPending,
      nextHcall: lg.nextHcall, irqsPending: lg.irqsPending, timerDeadline: lg.timerDeadline, gdt: [...lg.gdt],
      idt: [...lg.idt], dead: lg.dead === null ? null : { ...lg.dead },
    },
    pageTables: {
      pgdirs: pt.pgdirs.map((p) => ({ ...p })), cpuPgd: pt.cpuPgd, linearPages: pt.linearPages, rng: pt.rng,
    },
    pool: { free: [...lg.world.pool.free], inUse: lg.world.pool.inUse },
    stats: {
      exits: [...st.exits], hypercalls: [...st.hypercalls], pageFaultsFixed: st.pageFaultsFixed,
      pageFaultsReflected: st.pageFaultsReflected, direct: [...st.direct], interrupts: [...st.interrupts],
      emulated: st.emulated, portIo: st.portIo, mmio: st.mmio, entries: st.entries, idleNs: st.idleNs, inputBytes: st.inputBytes,
    },
    run: host.runState(),
    devices: host.devices.capture(),
  };
}

/** Put a captured state back (the memory and the CPU's registers are the caller's to put back with it). */
export function restoreHostState(host: Host, s: HostState): void {
  const lg = host.lg, pt = lg.pageTables, st = lg.stats, l = s.lguest;
  lg.lguestData = l.lguestData;
  lg.noirqIret = l.noirqIret;
  lg.kernelAddress = l.kernelAddress;
  lg.esp1 = l.esp1;
  lg.ss1 = l.ss1;
  lg.stackPages = l.stackPages;
  lg.changed = l.changed;
  lg.ts = l.ts;
  lg.halted = l.halted;
  lg.hcallPending = l.hcallPending;
  lg.nextHcall = l.nextHcall;
  lg.irqsPending = l.irqsPending;
  lg.timerDeadline = l.timerDeadline;
  lg.gdt.set(l.gdt);
  lg.idt.set(l.idt);
  lg.dead = l.dead === null ? null : { ...l.dead };
  s.pageTables.pgdirs.forEach((p, i) => Object.assign(pt.pgdirs[i], p));
  pt.cpuPgd = s.pageTables.cpuPgd;
  pt.linearPages = s.pageTables.linearPages;
  pt.rng = s.pageTables.rng;
  lg.world.pool.free.splice(0, Infinity, ...s.pool.free);
  lg.world.pool.inUse = s.pool.inUse;
  st.exits.set(s.stats.exits);
  st.hypercalls.clear();
  for (const [nr, n] of s.stats.hypercalls) st.hypercalls.set(nr, n);
  st.pageFaultsFixed = s.stats.pageFaultsFixed;
  st.pageFaultsReflected = s.stats.pageFaultsReflected;
  st.direct.set(s.stats.direct);
  st.interrupts.set(s.stats.interrupts);
  st.emulated = s.stats.emulated;
  st.portIo = s.stats.portIo;
  st.mmio = s.stats.mmio;
  st.entries = s.stats.entries;
  st.idleNs = s.stats.idleNs;
  st.inputBytes = s.stats.inputBytes;
  host.devices.restore(s.devices);
  host.setRunState(s.run);
}
