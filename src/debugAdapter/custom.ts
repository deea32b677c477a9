/**
 * lguest's own requests, for the extension's views (and any DAP client):
 *   lguest/state       where the machine is: Guest, Switcher or Host; mode; time; counters
 *   lguest/gdt         the GDT the CPU runs the Guest on, decoded, with whose each slot is
 *   lguest/idt         each gate: the Guest's handler, and whether it is direct or exits to the Host
 *   lguest/pagetables  the four shadow page directories (the active one marked), and for one of
 *                      them ({slot, directoryIndex}) its entries beside the Guest's
 *   lguest/translate   one address ({address}) through the Guest's tables and the shadow
 *   lguest/traps       the recent trap log ({count}), newest last, with what the Host did
 *   lguest/location    the source file and line of an address ({address}), or nulls
 * On the bare machine the GDT, IDT and page tables are the CPU's own (no Host, no shadows).
 * Their shapes are documented in docs/debug-adapter.md.
 */
import type { Target } from './runtime/target';
import type { Programs } from './programs';
import { realGdt, realIdt, guestIdt, shadowSlots, entryFlags, guestTss, lguestData } from '../vm/lguest/inspect';
import { guestWalk, shadowWalk, Walk } from '../vm/lguest/walk';
import { ignoredGdt } from '../vm/lguest/segments';
import { trapName, describeEvent } from '../vm/lguest/describe';
import type { HostEvent } from '../vm/lguest/events';
import { describeDescriptor, hex } from './registers';
import { describeValue } from './requestChecks';
import type {
  GdtBody, IdtBody, IdtGateJson, PageTablesBody, DirectoryEntryJson, PageEntryJson, TranslateBody, LocationBody, TrapsBody, WalkJson,
} from './lguestRequests';

const LOG_SIZE = 1000;

export interface TrapRecord {
  time: number;
  trap: number;
  name: string;
  eip: number;
  errcode: number;
  cr2: number;
  action: string;
  direct: boolean;
  text: string;
}

/** The most recent traps (exits to the Host and direct ones), and hypercall and page table events' texts. */
export class TrapLog {
  private readonly records: TrapRecord[] = [];
  private last: TrapRecord | null = null;

  add(e: HostEvent): void {
    let r: TrapRecord | null = null;
    if (e.kind === 'trap') {
      r = {
        time: e.time, trap: e.trap, name: trapName(e.trap), eip: e.eip, errcode: e.errcode, cr2: e.cr2,
        action: e.action, direct: false, text: describeEvent(e),
      };
    } else if (e.kind === 'direct') {
      r = {
        time: e.time, trap: e.vector, name: trapName(e.vector), eip: e.eip, errcode: 0, cr2: 0, action: 'direct',
        direct: true, text: describeEvent(e),
      };
    }
    if (r === null) return;
    this.records.push(r);
    if (this.records.length > LOG_SIZE) this.records.splice(0, this.records.length - LOG_SIZE);
    this.last = r;
  }

  recent(count: number): TrapRecord[] {
    return count >= 1 ? this.records.slice(-count) : [];
  }

  lastTrapText(): string {
    return this.last ? `${this.last.text} (at ${this.last.time} ns)` : 'none yet';
  }
}

function walkJson(w: Walk): WalkJson {
  const step = (s: { addr: number; value: number } | null) => (
    s === null ? null : { address: hex(s.addr), value: hex(s.value), flags: entryFlags(s.value) }
  );
  return { pde: step(w.pde), pte: step(w.pte), physical: w.phys === null ? null : hex(w.phys) };
}

type Result = { body: unknown } | { error: string } | null;

export function customRequest(command: string, args: unknown, t: Target, programs: Programs, log: TrapLog): Result {
  const a = (typeof args === 'object' && args !== null ? args : {}) as Record<string, unknown>;
  const host = t.host;
  switch (command) {
    case 'lguest/state': {
      const c = t.cpu;
      return {
        body: {
          mode: host ? 'lguest' : 'bare',
          context: !host ? 'bare' : t.inHostContext ? 'host' : host.inGuestCode ? 'guest' : 'switcher',
          time: c.instructions,
          eip: hex(t.guestEip),
          cpl: host && t.inHostContext ? host.lg.reg('cs') & 3 : c.cpl,
          dead: host?.lg.dead ?? null,
          stats: host ? {
            entries: host.lg.stats.entries, pageFaultsFixed: host.lg.stats.pageFaultsFixed,
            pageFaultsReflected: host.lg.stats.pageFaultsReflected,
            exits: Object.fromEntries([...host.lg.stats.exits].map((n, i) => [i, n]).filter(([, n]) => n > 0)),
            direct: Object.fromEntries([...host.lg.stats.direct].map((n, i) => [i, n]).filter(([, n]) => n > 0)),
            hypercalls: Object.fromEntries(host.lg.stats.hypercalls),
          } : null,
          lguestData: host ? lguestData(host.lg) : null,
          tss: host ? guestTss(host.lg) : null,
        },
      };
    }
    case 'lguest/gdt': {
      // The bare machine's is the CPU's own (GDTR): every slot is the program's.
      const table = host ? realGdt(host.lg) : bareTable(t, t.cpu.gdtr, GDT_MAX);
      return {
        body: {
          entries: table.map((e) => {
            const d = describeDescriptor(e.lo, e.hi);
            return {
              index: e.index, selector: hex(e.index * 8, 4), owner: host && ignoredGdt(e.index) ? 'host' : 'guest',
              raw: [hex(e.lo), hex(e.hi)], present: d.present, base: hex(d.base), limit: hex(d.limit), type: d.type,
              dpl: d.dpl, granularity: d.g ? '4k' : 'byte', db: d.db, accessed: d.accessed, system: d.system,
            } as const;
          }),
        } satisfies GdtBody,
      };
    }
    case 'lguest/idt': {
      if (!host) return { body: { gates: bareIdt(t, programs) } satisfies IdtBody };
      const mine = guestIdt(host!.lg);
      return {
        body: {
          gates: realIdt(host!.lg).map((g, v) => ({
            vector: v, name: trapName(v), present: g.present,
            type: g.type === 0xe ? 'interrupt' : g.type === 0xf ? 'trap' : `type ${g.type}`, dpl: g.dpl,
            selector: hex(g.selector, 4), target: hex(g.target), direct: g.direct,
            route: g.direct ? 'direct to the Guest' : 'exits to the Host through the Switcher',
            guestHandler: mine[v].present ? {
              target: hex(mine[v].target), symbol: programs.symbolize(mine[v].target) ?? null,
              type: mine[v].type === 0xe ? 'interrupt' : 'trap', dpl: mine[v].dpl,
            } : null,
          })),
        } satisfies IdtBody,
      };
    }
    case 'lguest/pagetables': {
      if (!host) return barePageTables(t, a);
      const lg = host.lg;
      const slots = shadowSlots(lg).map((s) => ({
        slot: s.slot, gpgdir: hex(s.gpgdir), shadow: hex(s.pgdir), active: s.active, used: s.pgdir !== 0,
        switcherMapped: s.switcherMapped, presentEntries: s.presentEntries,
      }));
      const slot = typeof a.slot === 'number' ? a.slot : lg.pageTables.cpuPgd;
      if (!Number.isInteger(slot) || slot < 0 || slot > 3) return { error: `slot must be 0 to 3, not ${slot}` };
      const sp = lg.pageTables.pgdirs[slot];
      const body: PageTablesBody = { linearMode: lg.pageTables.linearPages, slots };
      // Linear boot mode's slot, left behind by the Guest's first NEW_PGTABLE (its gpgdir is the 0 that mode
      // put there): it shadows no Guest directory, so there is no Guest side to read (physical page 0 is not one).
      const bootLeftover = !lg.pageTables.linearPages && sp.gpgdir === 0;
      if (sp.pgdir === 0) return { body };
      if (typeof a.directoryIndex === 'number') {
        // One directory entry's page table: each page, the Guest's entry beside the shadow's.
        const i = a.directoryIndex;
        if (!Number.isInteger(i) || i < 0 || i > 1023) return { error: `directoryIndex must be 0 to 1023, not ${i}` };
        const entries: PageEntryJson[] = [];
        for (let j = 0; j < 1024; j++) {
          const va = ((i << 22) | (j << 12)) >>> 0;
          const g = bootLeftover ? { pte: null } : guestWalk(
            lg, va, lg.pageTables.linearPages && slot === lg.pageTables.cpuPgd ? undefined : sp.gpgdir,
          );
          const s = shadowWalk(lg, va, slot);
          if ((g.pte === null || (g.pte.value & 1) === 0) && (s.pte === null || s.pte.value === 0)) continue;
          entries.push({
            virtual: hex(va),
            guest: g.pte
              ? { value: hex(g.pte.value), frame: hex(g.pte.value & ~0xfff), flags: entryFlags(g.pte.value) } : null,
            shadow: s.pte
              ? { value: hex(s.pte.value), frame: hex(s.pte.value & ~0xfff), flags: entryFlags(s.pte.value) } : null,
            note: pteNote(g.pte?.value ?? 0, s.pte?.value ?? 0),
          });
        }
        return { body: { ...body, slot, directoryIndex: i, entries } satisfies PageTablesBody };
      }
      // The directory: each entry present in the Guest's or in the shadow.
      const dir: DirectoryEntryJson[] = [];
      for (let i = 0; i < 1024; i++) {
        const va = (i << 22) >>> 0;
        const g = lg.pageTables.linearPages || bootLeftover ? null : guestWalk(lg, va, sp.gpgdir).pde;
        const s = shadowWalk(lg, va, slot).pde;
        if ((g === null || (g.value & 1) === 0) && (s === null || (s.value & 1) === 0)) continue;
        dir.push({
          index: i, virtual: hex(va),
          guest: g && g.value & 1 ? { value: hex(g.value), flags: entryFlags(g.value) } : null,
          shadow: s && s.value & 1 ? { value: hex(s.value), flags: entryFlags(s.value) } : null,
          switcher: va >= 0xffc00000,
        });
      }
      return { body: { ...body, slot, directory: dir } satisfies PageTablesBody };
    }
    case 'lguest/translate': {
      const addr = typeof a.address === 'string' ? Number(a.address) : typeof a.address === 'number' ? a.address : NaN;
      if (!Number.isFinite(addr) || addr < 0 || addr > 0xffffffff) {
        return { error: `address must be a number or a hex string, not ${describeValue(a.address)}` };
      }
      if (!host) {
        // The bare machine: the CPU's own walk (none with paging off), and no shadow.
        const p = t.translate(addr), w = bareWalk(t, addr);
        return {
          body: {
            address: hex(addr), physical: p === null ? null : hex(p), symbol: programs.symbolize(addr) ?? null,
            ...(w ? { guest: w } : {}),
            note: w ? 'bare machine: no shadow' : 'bare machine, paging off: linear is physical',
          } satisfies TranslateBody,
        };
      }
      const g = guestWalk(host.lg, addr), s = shadowWalk(host.lg, addr);
      return {
        body: {
          address: hex(addr), symbol: programs.symbolize(addr) ?? null, guest: walkJson(g), shadow: walkJson(s),
          note: pteNote(g.pte?.value ?? (g.phys !== null ? 0x63 : 0), s.pte?.value ?? 0),
        } satisfies TranslateBody,
      };
    }
    case 'lguest/location': {
      const addr = typeof a.address === 'string' ? Number(a.address) : typeof a.address === 'number' ? a.address : NaN;
      if (!Number.isFinite(addr) || addr < 0 || addr > 0xffffffff) {
        return { error: `address must be a number or a hex string, not ${describeValue(a.address)}` };
      }
      const loc = programs.lineFor(addr);
      return {
        body: {
          address: hex(addr), symbol: programs.symbolize(addr) ?? null, path: loc?.path ?? null,
          line: loc?.line ?? null,
        } satisfies LocationBody,
      };
    }
    case 'lguest/traps': {
      const count = typeof a.count === 'number' ? a.count : 100;
      return {
        body: {
          traps: log.recent(count).map((r) => ({
            ...r, eip: hex(r.eip), cr2: hex(r.cr2), errcode: hex(r.errcode, 4),
            symbol: programs.symbolize(r.eip) ?? null,
          })),
        } satisfies TrapsBody,
      };
    }
  }
  return null;
}

// ---- The bare machine: its tables are the CPU's own, read through its registers (no Host, no shadows) ----

const GDT_MAX = 8192;
const PG = 0x80000000;

/** The 8-byte descriptors of a table at a linear base (GDTR, IDTR), as far as its limit and memory go. */
function bareTable(t: Target, r: { base: number; limit: number }, max: number): { index: number; lo: number; hi: number }[] {
  const out: { index: number; lo: number; hi: number }[] = [];
  for (let i = 0; i < Math.min(max, Math.floor((r.limit + 1) / 8)); i++) {
    const lo = t.read32(r.base + i * 8), hi = t.read32(r.base + i * 8 + 4);
    if (lo === undefined || hi === undefined) break;
    out.push({ index: i, lo, hi });
  }
  return out;
}

/** The CPU's IDT, in lguest/idt's shape: each gate leads straight to the program's own handler. */
function bareIdt(t: Target, programs: Programs): IdtGateJson[] {
  return bareTable(t, t.cpu.idtr, 256).map(({ index: v, lo, hi }) => {
    const present = (hi & 0x8000) !== 0, type = (hi >>> 8) & 0xf, dpl = (hi >>> 13) & 3;
    const target = ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0;
    const kind = type === 0xe ? 'interrupt' : type === 0xf ? 'trap' : `type ${type}`;
    return {
      // 0x1f is lguest's hypercall, not the bare machine's.
      vector: v, name: v === 0x1f ? 'vector 31' : trapName(v), present, type: kind, dpl, selector: hex(lo >>> 16, 4),
      target: hex(target), direct: true, route: present ? 'the CPU enters the handler (a bare machine: no Host)'
        : 'not present: the CPU raises #GP (a bare machine: no Host)',
      guestHandler: present ? { target: hex(target), symbol: programs.symbolize(target) ?? null, type: kind, dpl } : null,
    };
  });
}

/** An entry of the CPU's tables, by its physical address; null outside memory. */
function barePhys(t: Target, p: number): number | null {
  return p + 4 <= t.mem.size ? t.mem.read32(p) >>> 0 : null;
}

/** The CPU's walk of a linear address through CR3's tables; null with paging off. */
function bareWalk(t: Target, addr: number): WalkJson | null {
  const c = t.cpu;
  if ((c.cr0 & PG) === 0) return null;
  const step = (at: number) => {
    const v = barePhys(t, at);
    return v === null ? null : { address: hex(at), value: hex(v), flags: entryFlags(v) };
  };
  const pdeAt = ((c.cr3 & ~0xfff) + (addr >>> 22) * 4) >>> 0, pde = barePhys(t, pdeAt);
  const big = pde !== null && (pde & 0x81) === 0x81 && (c.cr4 & 0x10) !== 0;
  const pteAt = pde !== null && (pde & 1) && !big ? (((pde & ~0xfff) + ((addr >>> 12) & 0x3ff) * 4) >>> 0) : null;
  const p = t.translate(addr);
  return { pde: step(pdeAt), pte: pteAt === null ? null : step(pteAt), physical: p === null ? null : hex(p) };
}

/**
 * lguest/pagetables on the bare machine: no slots (no shadows); the directory and page tables are the CPU's, at
 * CR3, as the `guest` side, and `linearMode` says paging is off (linear is physical, as in lguest's boot mode).
 */
function barePageTables(t: Target, a: Record<string, unknown>): Result {
  const c = t.cpu, paging = (c.cr0 & PG) !== 0, dir = (c.cr3 & ~0xfff) >>> 0;
  const body: PageTablesBody = { linearMode: !paging, slots: [] };
  if (!paging) return { body };
  if (typeof a.directoryIndex === 'number') {
    const i = a.directoryIndex;
    if (!Number.isInteger(i) || i < 0 || i > 1023) return { error: `directoryIndex must be 0 to 1023, not ${i}` };
    const pde = barePhys(t, dir + i * 4) ?? 0;
    const entries: PageEntryJson[] = [];
    for (let j = 0; j < 1024 && (pde & 0x81) === 1; j++) {
      const v = barePhys(t, ((pde & ~0xfff) + j * 4) >>> 0);
      if (v === null || (v & 1) === 0) continue;
      entries.push({
        virtual: hex(((i << 22) | (j << 12)) >>> 0), guest: { value: hex(v), frame: hex(v & ~0xfff), flags: entryFlags(v) },
        shadow: null, note: 'the CPU\'s (no shadow)',
      });
    }
    return { body: { ...body, directoryIndex: i, entries } };
  }
  const directory: DirectoryEntryJson[] = [];
  for (let i = 0; i < 1024; i++) {
    const v = barePhys(t, dir + i * 4);
    if (v === null || (v & 1) === 0) continue;
    directory.push({ index: i, virtual: hex((i << 22) >>> 0), guest: { value: hex(v), flags: entryFlags(v) }, shadow: null, switcher: false });
  }
  return { body: { ...body, directory } };
}

/** What differs between a Guest entry and its shadow, in words. */
export function pteNote(guest: number, shadow: number): string {
  if ((guest & 1) === 0) return (shadow & 1) === 0 ? 'not mapped' : 'shadow without a Guest entry';
  if ((shadow & 1) === 0) return 'not yet faulted in';
  if ((guest & ~0xfff) !== (shadow & ~0xfff)) return 'different frames';
  if ((guest & 2) !== 0 && (shadow & 2) === 0) return 'read-only until dirty';
  if ((guest & 0x100) !== 0 && (shadow & 0x100) === 0) return 'global bit dropped';
  return 'same';
}
