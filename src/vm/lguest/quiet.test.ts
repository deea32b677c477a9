/**
 * With nobody listening (no onEvent, no observer) the Host builds no event: not for a direct
 * trap, a trap through the Host, a hypercall, a virtual interrupt or a shadow page table change.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from './host';

const TOUR = join(__dirname, '../../../guests/lguest/tour/build/tour.elf');

describe('the Host without listeners', () => {
  for (const directTraps of [true, false]) {
    it(`emits nothing on the way (direct traps ${directTraps ? 'on' : 'off'})`, () => {
      const host = new Host({ directTraps });
      host.boot(new Uint8Array(readFileSync(TOUR)), 'tour.elf', 'bench=getpid:200');
      let emitted = 0;
      host.lg.emit = () => { emitted++; };
      const r = host.run(50_000_000);
      expect(r.kind).toBe('poweroff');
      expect(host.lg.stats.entries).toBeGreaterThan(200);
      expect(emitted).toBe(0);
    });
  }
});
