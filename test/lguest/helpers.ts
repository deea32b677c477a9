/**
 * Running lguest Guests in tests: boot an image under a fresh Host and run
 * it to its end, or until the Host hangs (hangWatch.ts): then the run
 * stops at once, and says where.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host, HostOptions, HostRunResult } from '../../src/vm/lguest/host';
import type { HostEvent } from '../../src/vm/lguest/events';
import { HangWatch, Hang } from './hangWatch';

export const ROOT = join(__dirname, '../..');
export const guestPath = (name: string) => join(ROOT, 'guests/lguest/build', `${name}.elf`);

export interface GuestRun {
  host: Host;
  result: HostRunResult;
  output: string;
  events: HostEvent[];
  hang: Hang | null;
}

/** Boot `image` (a path or bytes) and run it for at most `max` instructions, keeping every Host event. */
export function runGuest(image: string | Uint8Array, opts: HostOptions & { cmdline?: string; max?: number } = {}): GuestRun {
  let output = '';
  const events: HostEvent[] = [];
  const host = new Host({ ...opts, output: (b) => { output += String.fromCharCode(b); } });
  const bytes = typeof image === 'string' ? new Uint8Array(readFileSync(image)) : image;
  const watch = new HangWatch(host, bytes, () => host.requestStop());
  host.onEvent = (e) => {
    events.push(e);
    watch.see(e);
  };
  host.boot(bytes, typeof image === 'string' ? image : 'guest.elf', opts.cmdline ?? '');
  const result = host.run(opts.max ?? 50_000_000);
  return { host, result, output, events, hang: watch.hang };
}
