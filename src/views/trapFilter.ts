/**
 * The Traps view's filter: trap numbers (ranges too, decimal or 0x-hex) and the Host's actions, in one line
 * as the user types it: `14`, `13,14 reflected`, `0x20-0x2f direct`. A trap is shown when its number is
 * listed (or none is) and its action is listed (or none is).
 */
export const ACTIONS = ['fixed', 'emulated', 'reflected', 'hypercall', 'host-interrupt', 'killed', 'direct'] as const;

export interface TrapFilter {
  /** Inclusive ranges of trap numbers; empty: any. */
  ranges: [number, number][];
  /** Host actions; empty: any. */
  actions: string[];
  /** The line it was read from, normalized, for the input box's next default. */
  text: string;
}

const NUMBER = /^(0x[0-9a-f]+|\d+)$/i;

/** Reads a filter line; a string saying what is wrong when it cannot. An empty line is no filter (null). */
export function parseTrapFilter(line: string): TrapFilter | null | string {
  const words = line.split(/[\s,]+/).filter((w) => w !== '');
  if (words.length === 0) return null;
  const ranges: [number, number][] = [], actions: string[] = [];
  for (const w of words) {
    const lower = w.toLowerCase();
    if ((ACTIONS as readonly string[]).includes(lower)) {
      if (!actions.includes(lower)) actions.push(lower);
      continue;
    }
    const [a, b, more] = w.split('-');
    if (more !== undefined || !NUMBER.test(a) || (b !== undefined && !NUMBER.test(b))) {
      return `"${w}" is neither a trap number or range (14, 0x20-0x2f) nor a Host action (${ACTIONS.join(', ')})`;
    }
    const lo = Number(a), hi = b === undefined ? lo : Number(b);
    if (lo > 255 || hi > 255 || lo > hi) return `"${w}": trap numbers go from 0 to 255, low to high`;
    ranges.push([lo, hi]);
  }
  return { ranges, actions, text: words.join(' ') };
}

export function matchesTrapFilter(f: TrapFilter, trap: number, action: string): boolean {
  return (f.ranges.length === 0 || f.ranges.some(([lo, hi]) => trap >= lo && trap <= hi))
    && (f.actions.length === 0 || f.actions.includes(action));
}

/** The filter in words, for the view's description: `trap 14, 0x20-0x2f; reflected`. */
export function describeTrapFilter(f: TrapFilter): string {
  const r = f.ranges.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)).join(', ');
  return [r && `trap ${r}`, f.actions.join(', ')].filter((x) => x).join('; ');
}
