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
  GdtBody, IdtBody, PageTablesBody, DirectoryEntryJson, PageEntryJson, TranslateBody, LocationBody, TrapsBody, WalkJson,
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
  const needHost = (): { error: string } | null => (
    host ? null : { error: `${command} is for lguest Guests (this session is mode "bare")` }
  );
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
      const err = needHost();
      if (err) return err;
      return {
        body: {
          entries: realGdt(host!.lg).map((e) => {
            const d = describeDescriptor(e.lo, e.hi);
            return {
              index: e.index, selector: hex(e.index * 8, 4), owner: ignoredGdt(e.index) ? 'host' : 'guest',
              raw: [hex(e.lo), hex(e.hi)], present: d.present, base: hex(d.base), limit: hex(d.limit), type: d.type,
              dpl: d.dpl, granularity: d.g ? '4k' : 'byte', db: d.db, accessed: d.accessed, system: d.system,
            } as const;
          }),
        } satisfies GdtBody,
      };
    }
    case 'lguest/idt': {
      const err = needHost();
      if (err) return err;
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
      const err = needHost();
      if (err) return err;
      const lg = host!.lg;
      const slots = shadowSlots(lg).map((s) => ({
        slot: s.slot, gpgdir: hex(s.gpgdir), shadow: hex(s.pgdir), active: s.active, used: s.pgdir !== 0,
        switcherMapped: s.switcherMapped, presentEntries: s.presentEntries,
      }));
      const slot = typeof a.slot === 'number' ? a.slot : lg.pageTables.cpuPgd;
      if (!Number.isInteger(slot) || slot < 0 || slot > 3) return { error: `slot must be 0 to 3, not ${slot}` };
      const sp = lg.pageTables.pgdirs[slot];
      const body: PageTablesBody = { linearMode: lg.pageTables.linearPages, slots };
      if (sp.pgdir === 0) return { body };
      if (typeof a.directoryIndex === 'number') {
        // One directory entry's page table: each page, the Guest's entry beside the shadow's.
        const i = a.directoryIndex;
        if (!Number.isInteger(i) || i < 0 || i > 1023) return { error: `directoryIndex must be 0 to 1023, not ${i}` };
        const entries: PageEntryJson[] = [];
        for (let j = 0; j < 1024; j++) {
          const va = ((i << 22) | (j << 12)) >>> 0;
          const g = guestWalk(
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
        const g = lg.pageTables.linearPages ? null : guestWalk(lg, va, sp.gpgdir).pde;
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
        return {
          body: {
            address: hex(addr), physical: t.translate(addr) === null ? null : hex(t.translate(addr)!),
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

/** What differs between a Guest entry and its shadow, in words. */
export function pteNote(guest: number, shadow: number): string {
  if ((guest & 1) === 0) return (shadow & 1) === 0 ? 'not mapped' : 'shadow without a Guest entry';
  if ((shadow & 1) === 0) return 'not yet faulted in';
  if ((guest & ~0xfff) !== (shadow & ~0xfff)) return 'different frames';
  if ((guest & 2) !== 0 && (shadow & 2) === 0) return 'read-only until dirty';
  if ((guest & 0x100) !== 0 && (shadow & 0x100) === 0) return 'global bit dropped';
  return 'same';
}
