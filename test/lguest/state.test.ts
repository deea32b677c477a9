/**
 * The Host's state is plain data (state.ts): it survives a structured clone
 * and JSON alike, two Hosts that ran the same Guest the same way hold equal
 * states, and a state put back reads back the same.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from '../../src/vm/lguest/host';
import { captureHostState, restoreHostState } from '../../src/vm/lguest/state';
import { ROOT } from './helpers';
import { MMIO, STATUS } from '../../src/vm/lguest/devices/virtioPci';
import type { RngDevice } from '../../src/vm/lguest/devices/rng';

const TOUR = new Uint8Array(readFileSync(join(ROOT, 'guests/lguest/tour/build/tour.elf')));

/** tour, stopped at its 50th page fault (in the Host's context, a trap decided but not handled). */
function atFault(n = 50): Host {
  const h = new Host();
  h.boot(TOUR, 'tour.elf');
  let seen = 0;
  h.observer = { stopAt: (p) => p.kind === 'trap' && p.trap === 14 && !p.direct && ++seen === n };
  expect(h.run()).toMatchObject({ kind: 'stop', point: { kind: 'trap', trap: 14 } });
  return h;
}

describe('the Host\'s state', () => {
  it('is plain data: a structured clone and a JSON round trip give it back whole', () => {
    const s = captureHostState(atFault());
    expect(structuredClone(s)).toEqual(s);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.run.trapCr2).not.toBeNull();
  });

  it('is the same in two Hosts that ran the same Guest to the same place, and differs from a later one', () => {
    const a = captureHostState(atFault()), b = captureHostState(atFault());
    expect(b).toEqual(a);
    expect(captureHostState(atFault(51))).not.toEqual(a);
  });

  it('is a copy: running on does not change a captured state, and restoring it brings the Host\'s state back', () => {
    const h = atFault();
    const s = captureHostState(h);
    const again = structuredClone(s);
    h.observer = null;
    h.run(2_000_000);
    const later = captureHostState(h);
    expect(later).not.toEqual(s);
    expect(s).toEqual(again);
    restoreHostState(h, s);
    expect(captureHostState(h)).toEqual(s);
  });
});

describe('the devices\' part of it', () => {
  it('holds the PCI latch, the registers, the queues and the entropy stream, and puts them back', () => {
    const h = new Host({ rng: true });
    h.boot(TOUR, 'tour.elf');
    const rng = h.devices.virtio[1];
    const before = captureHostState(h);
    // What a driver leaves behind: a latch, a status, a queue's registers, the stream moved on.
    h.devices.bus.address = 0x80001010;
    rng.write(MMIO.deviceStatus, STATUS.ACKNOWLEDGE, 0xff);
    rng.queues[0].regs.descLo = 0x5000;
    rng.queues[0].lastAvail = 3;
    (rng.model as RngDevice).restoreState([1, 2, 3, 4, 0, 0]);
    const driven = captureHostState(h);
    expect(driven.devices).not.toEqual(before.devices);
    expect(JSON.parse(JSON.stringify(driven.devices))).toEqual(driven.devices);
    restoreHostState(h, before);
    expect(captureHostState(h).devices).toEqual(before.devices);
    restoreHostState(h, driven);
    expect(captureHostState(h).devices).toEqual(driven.devices);
    expect(rng.regs[MMIO.deviceStatus]).toBe(STATUS.ACKNOWLEDGE);
    expect((rng.model as RngDevice).captureState().slice(0, 4)).toEqual([1, 2, 3, 4]);
  });
});
