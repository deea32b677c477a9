/**
 * The Runner lets the event loop in by the clock, not by a count of instructions: a slow Guest (one that
 * traps to the Host all the time runs at a few MIPS) must not keep a pause waiting for tens of milliseconds.
 * The clock here is vitest's: each run of the stand-in target takes 1 ms per 10,000 instructions.
 */
import { describe, it, expect, vi, afterEach } from 'vitest';
import { Runner, nextTurn } from './running';
import type { Target } from './target';
import type { Breakpoints } from './breakpoints';

afterEach(() => { vi.useRealTimers(); });

function slowTarget(mips: number) {
  const ran: number[] = [];
  const target = {
    inHostContext: true,
    run(budget: number) {
      ran.push(performance.now());
      vi.advanceTimersByTime(budget / (mips * 1000));
      return { kind: 'running' };
    },
  };
  return { target: target as unknown as Target, ran };
}

describe('the Runner', () => {
  it('lets the event loop in every few milliseconds of the Guest\'s time, however slowly the Guest runs', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    for (const mips of [2, 10, 500]) {
      const { target, ran } = slowTarget(mips);
      const runner = new Runner(target, {} as Breakpoints, false);
      const outcome = runner.runFree();
      // The event loop's turns, in the Guest's time: a request (a pause) waits at most the gap between two.
      const turns: number[] = [];
      for (let k = 0; k < 20; k++) {
        await nextTurn();
        turns.push(performance.now());
      }
      runner.pauseRequested = true;
      expect((await outcome).kind).toBe('paused');
      const gaps = turns.slice(1).map((t, k) => t - turns[k]);
      // Two milliseconds, or one look at the clock's worth of instructions (20,000) when that is longer.
      expect(Math.max(...gaps), `${mips} MIPS`).toBeLessThanOrEqual(Math.max(2, 20_000 / (mips * 1000)) + 20_000 / (mips * 1000));
      expect(Math.min(...gaps), `${mips} MIPS: the Guest ran between turns`).toBeGreaterThan(0);
      expect(ran.length).toBeGreaterThan(19);
    }
  });
});
