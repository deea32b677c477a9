/**
 * The Runner lets the event loop in by the clock, not by a count of instructions: a slow Guest (one that
 * traps to the Host all the time runs at a few MIPS) must not keep a pause waiting for tens of milliseconds.
 * The clock here is the stand-in target's own: a run of n instructions takes n / (1,000 × MIPS) ms.
 */
import { describe, it, expect } from 'vitest';
import { Runner, nextTurn } from './running';
import type { Target } from './target';
import type { Breakpoints } from './breakpoints';

function slowTarget(mips: number) {
  const clock = { ms: 0 };
  const target = {
    inHostContext: true,
    run(budget: number) {
      clock.ms += budget / (mips * 1000);
      return { kind: 'running' };
    },
  };
  return { target: target as unknown as Target, clock };
}

describe('the Runner', () => {
  it('lets the event loop in every few milliseconds of the Guest\'s time, however slowly the Guest runs', async () => {
    for (const mips of [2, 10, 500]) {
      const { target, clock } = slowTarget(mips);
      const runner = new Runner(target, {} as Breakpoints, false, () => clock.ms);
      const outcome = runner.runFree();
      // The event loop's turns, in the Guest's time: a request (a pause) waits at most the gap between two.
      const turns: number[] = [];
      for (let k = 0; k < 20; k++) {
        await nextTurn();
        turns.push(clock.ms);
      }
      runner.pauseRequested = true;
      expect((await outcome).kind).toBe('paused');
      const gaps = turns.slice(1).map((t, k) => t - turns[k]);
      // Two milliseconds, or one look at the clock's worth of instructions (20,000) when that is longer.
      const chunk = 20_000 / (mips * 1000);
      expect(Math.max(...gaps), `${mips} MIPS`).toBeLessThanOrEqual(Math.max(2, chunk) + chunk);
      expect(Math.min(...gaps), `${mips} MIPS: the Guest ran between turns`).toBeGreaterThan(0);
    }
  });
});
