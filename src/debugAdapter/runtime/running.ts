/**
 * Running the machine until something stops it. The Guest runs in slices of
 * a few milliseconds, with the event loop let in between, so a pause (or any
 * request) is answered within a slice's time even while the Guest spins.
 *
 * A breakpoint whose condition is false, a logpoint, or a watched write that
 * does not count: the run goes on. Standing on a breakpoint, the machine
 * first leaves it: its instruction runs once without stopping there again.
 */
import type { Target, Outcome } from './target';
import type { Breakpoints } from './breakpoints';

/**
 * Wall time the Guest runs between two turns of the event loop: what a pause waits at most. A slice of
 * so many instructions would last from half a millisecond (a loop in WebAssembly) to tens (a Guest
 * trapping to the Host all the time); the clock is read every CHUNK instructions instead.
 */
const SLICE_MS = 2;
/** Instructions between two looks at the clock: a millisecond at the slowest, microseconds at best. */
const CHUNK = 20_000;

/** A halted Guest's wall-clock wait is cut into waits this long, so a pause is seen within one. */
const IDLE_POLL_MS = 20;

/** Let the event loop in (a request, a pause) before going on. */
export const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

export class Runner {
  /** Set by a pause (or the session's end): the loops see it between slices. */
  pauseRequested = false;
  /** When the event loop was last let in (by `clock`). */
  private lastTurn: number;
  /** Ends a halted Guest's wait early (input came). */
  private wakeIdle: (() => void) | null = null;

  /** `clock`: milliseconds, for the slices (a test gives its own). */
  constructor(
    readonly target: Target, private readonly breakpoints: Breakpoints, readonly intoSwitcher: boolean,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.lastTurn = clock();
  }

  /** Leave a breakpoint the machine stands on: its instruction runs once without stopping again. */
  leaveBreakpoint(): void {
    const t = this.target;
    if (!t.inHostContext) t.executor.resumeFrom = (t.cpu.segBase[1] + t.cpu.eip) >>> 0;
  }

  /** One instruction, off any breakpoint here (under the Host, see Host.stepInstruction for what one is). */
  stepInstruction(): Outcome {
    this.leaveBreakpoint();
    return this.target.step(this.intoSwitcher);
  }

  /** Run in slices until a stop the user wants. */
  async runFree(): Promise<Outcome> {
    const t = this.target;
    this.leaveBreakpoint();
    for (;;) {
      if (this.pauseRequested) return { kind: 'paused' };
      const o = this.runSlice();
      if (o.kind === 'running') {
        await this.turn();
        continue;
      }
      if (o.kind === 'idle') {
        await this.idle(o.until);
        continue;
      }
      if (o.kind === 'breakpoint' && !this.breakpoints.stopsAt(t.guestEip)) {
        this.leaveBreakpoint();
        await this.turnIfDue();
        continue;
      }
      if (o.kind === 'data' && !this.breakpoints.dataStops(o.address)) {
        await this.turnIfDue();
        continue;
      }
      return o;
    }
  }

  /**
   * Run until `address` with the stack back above `esp` (a step over or out), or any other stop. Address 0 (no
   * return address known): one instruction.
   */
  async runTo(address: number, esp: number): Promise<Outcome> {
    const t = this.target;
    if (address === 0) return t.step(this.intoSwitcher);
    this.breakpoints.setTemporary(address);
    try {
      this.leaveBreakpoint();
      for (;;) {
        if (this.pauseRequested) return { kind: 'paused' };
        const o = this.runSlice();
        if (o.kind === 'running') { await this.turn(); continue; }
        if (o.kind === 'idle') { await this.idle(o.until); continue; }
        if (o.kind === 'breakpoint') {
          if (t.guestEip === address && !t.inHostContext && t.reg('esp')! >= esp) return { kind: 'step' };
          if (!this.breakpoints.stopsAt(t.guestEip)) {
            this.leaveBreakpoint();
            await this.turnIfDue();
            continue;
          }
        }
        return o;
      }
    } finally {
      this.breakpoints.setTemporary(null);
    }
  }

  /** Run until something other than the budget stops the machine, or a slice's time is up ('running'). */
  private runSlice(): Outcome {
    const t = this.target, until = this.lastTurn + SLICE_MS;
    for (;;) {
      const o = t.run(CHUNK);
      if (o.kind !== 'running' || this.clock() >= until) return o;
    }
  }

  /** Input came for the Guest: a halted Guest's wait ends now. */
  inputCame(): void {
    this.wakeIdle?.();
  }

  /**
   * The Guest is halted and someone is at its console: wait in wall-clock time, until its timer (virtual time
   * `until`, one instruction a nanosecond) or input, a short while at a time; virtual time moves on as much.
   */
  private async idle(until: number | null): Promise<void> {
    const t = this.target, start = process.hrtime.bigint();
    const ms = until === null ? IDLE_POLL_MS : Math.min(IDLE_POLL_MS, Math.max(0, (until - t.cpu.instructions) / 1e6));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.wakeIdle = null; resolve(); }, ms);
      this.wakeIdle = () => { clearTimeout(timer); this.wakeIdle = null; resolve(); };
    });
    t.host!.passIdleTime(Number(process.hrtime.bigint() - start));
    this.lastTurn = this.clock();
  }

  private async turn(): Promise<void> {
    await nextTurn();
    this.lastTurn = this.clock();
  }

  /**
   * After a run that a breakpoint cut short but that goes on (a false condition, a logpoint, a recursive call
   * on the way out of a step over): the event loop is let in once a slice's time has passed since it last was,
   * or a breakpoint hit all the time would shut out a pause, a disconnect, even SIGTERM.
   */
  private async turnIfDue(): Promise<void> {
    if (this.clock() - this.lastTurn >= SLICE_MS) await this.turn();
  }
}
