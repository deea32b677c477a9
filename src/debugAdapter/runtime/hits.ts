/**
 * When a breakpoint the machine reached counts, and when a count stops it:
 * first its condition (an expression; false, and the hit does not count),
 * then its hit condition, as VS Code writes them. Every kind of breakpoint
 * goes through here, the Host's trap stops as much as the CPU's addresses.
 */
import { evaluate, EvalEnv } from '../expression';

/** What every breakpoint has: a condition, a hit condition, and the hits counted so far. */
export interface Counted {
  condition?: string;
  hitCondition?: string;
  hits: number;
}

/** What judging a hit needs: the machine's values for the condition, and a way to say it cannot be evaluated. */
export interface Judge {
  env(): EvalEnv;
  say(text: string): void;
}

/**
 * One breakpoint reached: false if its condition is false; else the hit is
 * counted, and true if the hit count says to stop. A condition that cannot
 * be evaluated is reported, and stops: better a stop too many than one lost.
 */
export function hitStops(b: Counted, judge: Judge): boolean {
  if (b.condition) {
    const r = evaluate(b.condition, judge.env());
    if ('error' in r) judge.say(`breakpoint condition '${b.condition}': ${r.error}`);
    else if (r.value === 0) return false;
  }
  b.hits++;
  return !b.hitCondition || hitConditionMet(b.hitCondition, b.hits);
}

/** VS Code's hit conditions: "5" (from the fifth hit on), ">5", ">=5", "==5", "<5", "%5". */
export function hitConditionMet(cond: string, hits: number): boolean {
  const m = /^\s*(>=|<=|==|>|<|%)?\s*(\d+)\s*$/.exec(cond);
  if (!m) return true;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>': return hits > n;
    case '<': return hits < n;
    case '<=': return hits <= n;
    case '==': return hits === n;
    case '%': return n > 0 && hits % n === 0;
    default: return hits >= n;
  }
}
