/**
 * Console input through the Host: typed bytes wait in its queue until the console's driver is live, then go into
 * the receive queue's buffers at the Host's next turn, stamped with that virtual time (an 'input' event, which a
 * recording keeps); a replayed input goes in at its time, and wakes a halted Guest then; with someone at the
 * console (pacedIdle) a halted Guest's run returns `idle` and passIdleTime moves virtual time on.
 * The Guest is tour, which knows nothing of the console: the test is its driver, with rings of its own in a
 * corner of the Guest's memory tour does not use.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from '../../src/vm/lguest/host';
import { MMIO, STATUS } from '../../src/vm/lguest/devices/virtioPci';
import type { HostEvent } from '../../src/vm/lguest/events';
import { RingBuilder } from './ringBuilder';
import { ROOT } from './helpers';

const TOUR = new Uint8Array(readFileSync(join(ROOT, 'guests/lguest/tour/build/tour.elf')));
/** Rings and buffers near the top of tour's 64 MiB, which it never touches. */
const RINGS = 0x3f00000;

function tourWithConsoleDriver(opts: { pacedIdle?: boolean } = {}) {
  const host = new Host(opts);
  host.boot(TOUR, 'tour.elf');
  const events: HostEvent[] = [];
  host.onEvent = (e) => events.push(e);
  const dev = host.devices.virtio[0];
  const w = (off: number, v: number, mask: number) => dev.write(off, v, mask);
  const rb = new RingBuilder(host.mem, 8, RINGS, RINGS + 0x1000, RINGS + 0x2000);
  const driverUp = () => {
    w(MMIO.deviceStatus, STATUS.ACKNOWLEDGE, 0xff);
    w(MMIO.deviceStatus, STATUS.ACKNOWLEDGE | STATUS.DRIVER, 0xff);
    w(MMIO.guestFeatureSelect, 1, 0xffffffff);
    w(MMIO.guestFeature, 1, 0xffffffff);
    w(MMIO.deviceStatus, 0xb, 0xff);
    dev.read(MMIO.deviceStatus, 0xff);
    w(MMIO.queueSelect, 0, 0xffff);
    w(MMIO.queueSize, rb.num, 0xffff);
    w(MMIO.queueDescLo, rb.desc, 0xffffffff);
    w(MMIO.queueAvailLo, rb.avail, 0xffffffff);
    w(MMIO.queueUsedLo, rb.used, 0xffffffff);
    w(MMIO.queueEnable, 1, 0xffff);
    w(MMIO.deviceStatus, 0xf, 0xff);
  };
  /** An empty 8-byte buffer for the device to fill. */
  const offerBuffer = (k: number) => rb.offer(rb.chain(k, [{ addr: RINGS + 0x3000 + 16 * k, len: 8, write: true }]));
  const buffer = (k: number, len: number) => String.fromCharCode(...host.mem.slice(RINGS + 0x3000 + 16 * k, len));
  return { host, events, rb, driverUp, offerBuffer, buffer };
}

describe('console input through the Host', () => {
  it('waits for the driver, then goes into the receive queue at the next turn, stamped with its time', () => {
    const { host, events, rb, driverUp, offerBuffer, buffer } = tourWithConsoleDriver();
    host.input(new TextEncoder().encode('ls\n'));
    expect(host.run(200_000)).toEqual({ kind: 'limit' });
    expect(events.filter((e) => e.kind === 'input')).toEqual([]); // no driver yet: it waits
    driverUp();
    offerBuffer(0);
    host.run(200_000);
    const input = events.filter((e) => e.kind === 'input');
    expect(input).toHaveLength(1);
    expect(Array.from((input[0] as { bytes: Uint8Array }).bytes)).toEqual([0x6c, 0x73, 0x0a]);
    expect(input[0]).toMatchObject({ time: expect.any(Number) });
    expect(rb.usedIdx).toBe(1);
    expect(rb.usedElem(0)).toEqual({ id: 0, len: 3 });
    expect(buffer(0, 3)).toBe('ls\n');
    expect(host.lg.stats.inputBytes).toBe(3);
    expect(host.lg.irqsPending & 2).toBe(2); // the console's IRQ 1, raised with ISR set
    expect(host.devices.peek(host.devices.virtio[0].barAddress + MMIO.isr)).toBe(1);
    expect(host.inputWaiting).toBe(false);
  });

  it('puts in what the buffers hold, and the rest when the Guest gives more', () => {
    const { host, events, rb, driverUp, offerBuffer, buffer } = tourWithConsoleDriver();
    driverUp();
    offerBuffer(0);
    host.input(new TextEncoder().encode('0123456789AB'));
    host.run(200_000);
    expect(buffer(0, 8)).toBe('01234567');
    expect(host.inputWaiting).toBe(true);
    offerBuffer(1);
    host.run(200_000);
    expect(buffer(1, 4)).toBe('89AB');
    expect(rb.usedElem(1)).toEqual({ id: 1, len: 4 });
    expect(events.filter((e) => e.kind === 'input').map((e) => (e as { bytes: Uint8Array }).bytes.length)).toEqual([8, 4]);
  });

  it('replays input at its recorded time: not before, and at the first turn at or after it', () => {
    const { host, events, driverUp, offerBuffer } = tourWithConsoleDriver();
    driverUp();
    offerBuffer(0);
    const at = host.cpu.instructions + 1_000_000;
    host.scheduleInput(at, new Uint8Array([0x41]));
    host.run(500_000);
    expect(events.some((e) => e.kind === 'input')).toBe(false);
    host.run(2_000_000);
    const input = events.find((e) => e.kind === 'input') as { time: number };
    expect(input.time).toBeGreaterThanOrEqual(at);
  });

  it('with someone at the console, a halted Guest\'s run returns idle, and passIdleTime moves time on to its timer', () => {
    const { host } = tourWithConsoleDriver({ pacedIdle: true });
    let r = host.run(50_000_000);
    for (let i = 0; i < 1000 && r.kind === 'limit'; i++) r = host.run(50_000_000);
    expect(r.kind).toBe('idle');
    const until = (r as { until: number | null }).until!;
    const now = host.cpu.instructions;
    expect(until).toBeGreaterThan(now);
    host.passIdleTime(1000);
    expect(host.cpu.instructions).toBe(now + 1000);
    host.passIdleTime(10 * (until - now)); // never past the timer
    expect(host.cpu.instructions).toBe(until);
    // The timer fires: the Guest runs its tick, and halts again until its next one.
    const again = host.run(1_000_000);
    expect(host.cpu.instructions).toBeGreaterThan(until);
    expect(again).toMatchObject({ kind: 'idle', until: expect.any(Number) });
    expect((again as { until: number }).until).toBeGreaterThan(until);
  });
});
