/**
 * The Host's stops: the exception filters (trap, hypercall, syscall,
 * guestKilled) and the function breakpoints that name them (`trap 14`,
 * `hypercall SET_PTE`). This is the Host's observer: at each point where
 * the Host is about to act, it asks here whether the user wants to see it.
 */
import type { Host, HostObserver, StopPoint } from '../../vm/lguest/host';
import { SYSCALL_VECTOR } from '../../vm/lguest/layout';
import { FILTER_IDS, FilterId, TrapFilters, NumberSet, parseNumberSet, unionSets, HYPERCALL_NAMES } from '../filters';
import { Counted, Judge, hitStops } from './hits';

/** A trap stop asked for as a function breakpoint, with its own condition and hit count. */
export interface NamedTrap extends Counted {
  filter: FilterId;
  set: NumberSet;
}

/** Whether one filter asked for could be set, and if not why. */
export interface FilterResult {
  verified: boolean;
  message?: string;
}

const matches = (set: NumberSet | undefined, n: number) => set !== undefined && (set === null || set(n));

export class TrapStops implements HostObserver {
  private filters: TrapFilters = {};
  private named: NamedTrap[] = [];
  private host: Host | null = null;

  constructor(private readonly judge: Judge) {}

  /** Become the Host's observer. */
  watch(host: Host): void {
    this.host = host;
    host.observer = this;
  }

  /** The exception filters, each with its condition (a set of numbers, or names of hypercalls). */
  setFilters(asked: { filter: string; condition?: string }[]): FilterResult[] {
    const filters: TrapFilters = {};
    const results = asked.map(({ filter: id, condition }): FilterResult => {
      if (!(FILTER_IDS as string[]).includes(id)) return { verified: false, message: `unknown filter '${id}'` };
      const f = id as FilterId;
      if (f === 'guestKilled') { filters.guestKilled = true; return { verified: true }; }
      const set = parseNumberSet(condition, f, f === 'hypercall' ? HYPERCALL_NAMES : undefined);
      if (set !== null && typeof set === 'object') return { verified: false, message: set.error };
      filters[f] = unionSets(filters[f], set);
      return { verified: true };
    });
    this.filters = filters;
    return results;
  }

  setNamed(named: NamedTrap[]): void {
    this.named = named;
  }

  /** The Host's question at each stop point: does the user want to stop here? */
  stopAt(p: StopPoint): boolean {
    // Which filter the point is for, and the number its condition is about.
    const kinds: [FilterId, number][] = [];
    switch (p.kind) {
      case 'trap': {
        kinds.push(['trap', p.trap]);
        const lg = this.host?.lg;
        const vec = lg && lg.lguestData !== null ? lg.dataRead('syscall_vec') : SYSCALL_VECTOR;
        if (p.trap === vec && (p.cs & 3) === 3) kinds.push(['syscall', p.eax]);
        break;
      }
      case 'hypercall': kinds.push(['hypercall', p.nr]); break;
      case 'killed': kinds.push(['guestKilled', 0]); break;
    }
    let stop = false;
    for (const [f, n] of kinds) {
      if (f === 'guestKilled' ? this.filters.guestKilled === true : matches(this.filters[f], n)) stop = true;
      // Function breakpoints named for traps count their hits and check their conditions, as any breakpoint.
      for (const b of this.named) {
        if (b.filter === f && (f === 'guestKilled' || matches(b.set, n)) && hitStops(b, this.judge)) stop = true;
      }
    }
    return stop;
  }
}
