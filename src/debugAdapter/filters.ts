/**
 * Trap breakpoints: the exception filters `trap`, `hypercall`, `syscall`
 * and `guestKilled`, their conditions, and the same stops asked for as
 * function breakpoints (`trap 14`, `hypercall SET_PTE`, `syscall 4`).
 *
 * Conditions are lists of numbers and ranges, decimal or 0x-hex
 * (`13,14,0x20-0x2f`); hypercalls may also be named as in REFERENCE.md
 * without the LHCALL_ prefix, in any case (`set_pte`, `SET_PTE`).
 */
import { LHCALL } from '../vm/lguest/layout';

export type FilterId = 'trap' | 'hypercall' | 'syscall' | 'guestKilled';
export const FILTER_IDS: FilterId[] = ['trap', 'hypercall', 'syscall', 'guestKilled'];

/** A set of numbers: null means "any". */
export type NumberSet = null | ((n: number) => boolean);

function parseNumber(s: string, names?: Record<string, number>): number | null {
  const t = s.trim();
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t.slice(2), 16);
  if (/^\d+$/.test(t)) return parseInt(t, 10);
  if (names) {
    const key = t.toUpperCase().replace(/^LHCALL_/, '');
    if (key in names) return names[key];
  }
  return null;
}

/** Parse a condition; an empty one means every number. */
export function parseNumberSet(
  condition: string | undefined, what: string, names?: Record<string, number>,
): NumberSet | { error: string } {
  if (condition === undefined || condition.trim() === '') return null;
  const ranges: [number, number][] = [];
  for (const part of condition.split(',')) {
    const dash = part.indexOf('-', part.trim().startsWith('-') ? 1 : 0);
    const lo = parseNumber(dash >= 0 ? part.slice(0, dash) : part, names);
    const hi = dash >= 0 ? parseNumber(part.slice(dash + 1), names) : lo;
    if (lo === null || hi === null || hi < lo) {
      const hint = names
        ? 'numbers, ranges such as 0x20-0x2f, or names such as SET_PTE'
        : 'numbers or ranges such as 13,14,0x20-0x2f';
      return { error: `bad ${what} condition '${part.trim()}': use ${hint}` };
    }
    ranges.push([lo, hi]);
  }
  return (n: number) => ranges.some(([lo, hi]) => n >= lo && n <= hi);
}

/** The names of the hypercalls, for conditions. */
export const HYPERCALL_NAMES: Record<string, number> = { ...LHCALL };

/** What stops the machine: each filter that is on, with its numbers. */
export interface TrapFilters {
  trap?: NumberSet;
  hypercall?: NumberSet;
  syscall?: NumberSet;
  guestKilled?: true;
}

/** A function breakpoint that names a trap stop instead of a function, or null. */
export function parseTrapFunctionBreakpoint(
  name: string,
): { filter: FilterId; set: NumberSet } | { error: string } | null {
  const m = /^\s*(trap|hypercall|syscall)\s+(.+?)\s*$/i.exec(name);
  if (!m) return /^\s*guestKilled\s*$/i.test(name) ? { filter: 'guestKilled', set: null } : null;
  const filter = m[1].toLowerCase() as FilterId;
  const set = parseNumberSet(m[2], filter, filter === 'hypercall' ? HYPERCALL_NAMES : undefined);
  if (set !== null && typeof set === 'object') return set;
  return { filter, set };
}

/** Join sets: a stop matches if any does. */
export function unionSets(a: NumberSet | undefined, b: NumberSet): NumberSet {
  if (a === undefined) return b;
  if (a === null || b === null) return null;
  return (n) => a(n) || b(n);
}
