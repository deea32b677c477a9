/**
 * The hang watch (hangWatch.ts) itself: it must stop a Host that takes the
 * same exit for ever, and must not mistake for one a Guest that goes round
 * through the Host (instructions run in between), nor one stuck reflecting
 * faults to a handler it cannot reach (a frame more on its stack each time).
 * The pagerules Guest provides both of those.
 */
import { it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from '../../src/vm/lguest/host';
import { Elf32 } from '../../src/vm/elf';
import type { HostEvent } from '../../src/vm/lguest/events';
import { HangWatch, HANG_EXITS } from './hangWatch';
import { runGuest, ROOT } from './helpers';

const PATH = join(ROOT, 'guests/lguest/pagerules/build/pagerules.elf');
const IMAGE = new Uint8Array(readFileSync(PATH));

/** The longest run of consecutive exits with the same trap, cr2 and eip. */
function longestRun(events: HostEvent[]): number {
  let key = '', n = 0, longest = 0;
  for (const e of events) {
    if (e.kind !== 'trap') continue;
    const k = `${e.trap} ${e.cr2} ${e.eip}`;
    n = k === key ? n + 1 : 1;
    key = k;
    longest = Math.max(longest, n);
  }
  return longest;
}

it('a Host that says it fixed a page fault it never touched hangs, and the watch stops it at the 65th exit', () => {
  const host = new Host({ memoryMiB: 8 });
  const events: HostEvent[] = [];
  const watch = new HangWatch(host, IMAGE, () => host.requestStop());
  host.onEvent = (e) => {
    events.push(e);
    watch.see(e);
  };
  host.boot(IMAGE, 'pagerules.elf');
  host.lg.pageTables.applyFix = () => {};
  expect(host.run(10_000_000)).toEqual({ kind: 'stopped' });
  // The Guest's very first fetch: the shadow page tables start empty.
  const entry = new Elf32(IMAGE, 'pagerules.elf').entry;
  expect(watch.hang).toMatchObject({ trap: 14, cr2: entry, eip: entry });
  expect(events.filter((e) => e.kind === 'trap')).toHaveLength(HANG_EXITS + 1);
  expect(longestRun(events)).toBe(HANG_EXITS + 1);
});

it('a Guest printing a long line takes the same exit for each character, with its loop in between: no hang', () => {
  const r = runGuest(PATH, { memoryMiB: 8 });
  expect(longestRun(r.events)).toBeGreaterThan(HANG_EXITS);
  expect(r.hang).toBeNull();
  expect(r.result).toEqual({ kind: 'poweroff', message: 'pagerules: done' });
});

it('a Guest whose #PF handler faults takes the same exit again and again, each time a frame lower: no hang', () => {
  const r = runGuest(PATH, { memoryMiB: 8, cmdline: 'lost_handler=1' });
  expect(longestRun(r.events)).toBeGreaterThan(HANG_EXITS);
  expect(r.hang).toBeNull();
  // 2 KiB of stack, 16 bytes a frame: then the frame has nowhere to go.
  expect(r.result).toEqual({ kind: 'killed', reason: 'Bad address 0x403ff0' });
});
