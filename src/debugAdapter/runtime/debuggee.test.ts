/**
 * The runtime driven directly, with no protocol in between: breakpoints with conditions and hit counts, a step over
 * a call, a stop at a trap, and the events that tell each.
 */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { Debuggee, Stopped } from './debuggee';
import { LAUNCH_DEFAULTS } from '../launch';
import { evaluate } from '../expression';

const ROOT = join(__dirname, '../../..');
const TOUR = join(ROOT, 'guests/lguest/tour/build/tour.elf');
const TOUR_SRC = join(ROOT, 'guests/lguest/tour');

/** A debuggee of the tour Guest, and what it has told so far. */
function tour() {
  const told = { stopped: [] as Stopped[], output: [] as string[], exited: [] as number[] };
  const d = new Debuggee({
    stopped: (s) => told.stopped.push(s),
    output: (text) => told.output.push(text),
    exited: (status) => told.exited.push(status),
  });
  expect(d.launch({ ...LAUNCH_DEFAULTS, program: TOUR }, ROOT)).toBeNull();
  const value = (expr: string) => {
    const r = evaluate(expr, d.env());
    if ('error' in r) throw new Error(r.error);
    return r.value;
  };
  const where = () => {
    const { target, programs } = d.loaded!;
    // The line as a stack frame shows it: at a source breakpoint, the one it was set on.
    const eip = target.guestEip;
    const line = d.breakpoints.sourceLineAt(eip)?.line ?? programs.lineFor(eip)?.line;
    return { fn: programs.symbolAt(eip)?.name, line };
  };
  return { d, told, value, where };
}

describe('the debuggee, without the protocol', () => {
  it('stops at a function breakpoint only when its condition holds, on the hit its count says', async () => {
    const { d, told, value, where } = tour();
    // The condition is C, in the frame where the Guest stands: stat_ticks is the variable.
    const asked = { name: 'timer_tick', condition: 'stat_ticks >= 5', hitCondition: '2' };
    const [bp] = d.breakpoints.setFunctions([asked]);
    expect(bp).toMatchObject({ verified: true, address: value('timer_tick') });
    await d.start(false);
    expect(told.stopped).toEqual([{ reason: 'function breakpoint', hitBreakpointIds: [bp.id] }]);
    expect(where().fn).toBe('timer_tick');
    // The first hit was with stat_ticks at 5, the second (the one that stops) at 6.
    expect(value('*(u32 *)stat_ticks')).toBe(6);
    expect(told.exited).toEqual([]);
  });

  it('steps over a call to the next line of the same function, and out of a function to its caller', async () => {
    const { d, told, where } = tour();
    const heap = join(TOUR_SRC, 'user/heap.c');
    const [bp] = d.breakpoints.setSource(heap, [{ line: 19 }]);
    expect(bp.verified).toBe(true);
    await d.start(false);
    expect(told.stopped.at(-1)).toEqual({ reason: 'breakpoint', hitBreakpointIds: [bp.id] });
    expect(where()).toMatchObject({ fn: 'heap_main', line: 19 });
    // Line 19 calls printf, which makes a system call: over both.
    await d.step({ kind: 'over', instruction: false });
    expect(told.stopped.at(-1)).toEqual({ reason: 'step' });
    expect(where().fn).toBe('heap_main');
    expect(where().line).toBeGreaterThan(19);
    // Into a function (a line with a call on it), then out again.
    d.breakpoints.setSource(heap, []);
    d.breakpoints.setFunctions([{ name: 'brk' }]);
    const back = d.backtrace().length;
    await d.continue();
    expect(where().fn).toBe('brk');
    expect(d.backtrace().length).toBe(back + 1);
    d.breakpoints.setFunctions([]);
    await d.step({ kind: 'out', instruction: false });
    expect(told.stopped.at(-1)).toEqual({ reason: 'step' });
    expect(where().fn).toBe('heap_main');
  });

  it('stops where the Host is about to handle a trap, and tells why in one line', async () => {
    const { d, told } = tour();
    expect(d.breakpoints.traps.setFilters([{ filter: 'trap', condition: '14' }, { filter: 'nonsense' }]))
      .toEqual([{ verified: true }, { verified: false, message: "unknown filter 'nonsense'" }]);
    await d.start(false);
    const s = told.stopped.at(-1)!;
    expect(s.reason).toBe('exception');
    expect(s.text).toMatch(/^trap 14: page fault at 0x/);
    expect(d.story?.hostFrame).toMatch(/^trap 14 \(page fault \(#PF\)\): will copy /);
    expect(d.loaded!.target.inHostContext).toBe(true);
  });
});

describe('the Guest console\'s input', () => {
  it('makes a halted Guest wait in wall-clock time once someone is at the console, and the run goes on to its end', async () => {
    const { d, told } = tour();
    const host = d.loaded!.target.host!;
    // The console opening says someone is there: from now on the Host hands the halts to the runner.
    expect(d.input('')).toBeNull();
    expect(host.pacedIdle).toBe(true);
    const waited: number[] = [];
    const passIdleTime = host.passIdleTime.bind(host);
    host.passIdleTime = (ns: number) => { waited.push(ns); passIdleTime(ns); };
    await d.start(false);
    expect(told.exited).toEqual([0]);
    // tour's sleeper halts the CPU: each halt was waited out, not skipped.
    expect(waited.length).toBeGreaterThan(0);
    expect(host.lg.stats.idleNs).toBeGreaterThan(0);
  });

  it('queues input typed while stopped, for the Host to deliver when the Guest runs on; a bare machine has none', () => {
    const { d } = tour();
    const host = d.loaded!.target.host!;
    expect(d.input('ls\n')).toBeNull();
    expect(host.inputWaiting).toBe(true);
    const bare = new Debuggee({ stopped: () => {}, output: () => {}, exited: () => {} });
    expect(bare.launch({ ...LAUNCH_DEFAULTS, program: join(ROOT, 'guests/bare/build/hello.elf'), mode: 'bare' }, ROOT)).toBeNull();
    expect(bare.input('x')).toBe('lguest/input is for lguest Guests (this session is mode "bare")');
  });
});
