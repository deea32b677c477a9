/**
 * Watching the Host: the one interface through which it tells a debugger
 * what it is about to do, and lets it stop the run there.
 *
 * The Host asks at five moments: a trap came out of the Guest (with what the
 * Host has decided to do about it), the CPU delivered a trap straight to the
 * Guest's handler, a hypercall is about to run, a virtual interrupt is about
 * to be delivered, and the Guest is about to be reported killed. An observer
 * that answers true stops the run before the Host acts; the next run carries
 * on from exactly there (and does not ask again about that same moment).
 *
 * With no observer the Host builds none of these points: watching costs
 * nothing when nobody watches. What happened afterwards, for --trace and the
 * trap log, is told separately as HostEvents (events.ts).
 */
import type { TrapDecision } from './decide';

/** A trap out of the Guest, as the Switcher saved it, and the Host's decision about it. */
export interface TrapPoint {
  kind: 'trap';
  trap: number;
  errcode: number;
  cr2: number;
  eip: number;
  cs: number;
  eax: number;
  /** false: it came out to the Host; true: the CPU went straight into the Guest's handler. */
  direct: boolean;
  /** For the delivery of a virtual interrupt: which one (the vector is 32 + irq). */
  irq?: number;
  /** What the Host will do (traps that came out to the Host only). */
  decision?: TrapDecision;
}

export interface HypercallPoint {
  kind: 'hypercall';
  nr: number;
  args: [number, number, number, number];
  /** From the asynchronous ring, not the registers. */
  async: boolean;
}

export interface KilledPoint {
  kind: 'killed';
  reason: string;
}

/** A place where a debugger may stop the Host. */
export type StopPoint = TrapPoint | HypercallPoint | KilledPoint;

export interface HostObserver {
  /** The Host is about to act at `point`: true stops the run there. */
  stopAt(point: StopPoint): boolean;
}
