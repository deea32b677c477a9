/** What the debugger will read of the Host's state, stopped half-way through tour, and that reading it changes nothing. */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from '../../src/vm/lguest/host';
import { shadowSlots, realIdt, guestIdt, realGdt, guestTss, lguestData, entryFlags } from '../../src/vm/lguest/inspect';
import { guestWalk, shadowWalk } from '../../src/vm/lguest/walk';
import { ROOT } from './helpers';

const TOUR = new Uint8Array(readFileSync(join(ROOT, 'guests/lguest/tour/build/tour.elf')));

function bootTour(): Host {
  const h = new Host();
  h.boot(TOUR, 'tour.elf');
  return h;
}

describe('inspecting a running Guest', () => {
  const host = bootTour();
  expect(host.run(3_000_000)).toEqual({ kind: 'limit' });
  const lg = host.lg;

  it('walks the Guest\'s tables and the shadow to the same frame, the shadow without the global bit', () => {
    const g = guestWalk(lg, 0xc0100000);
    expect(g.phys).toBe(0x100000);
    expect(entryFlags(g.pte!.value)).toContain('G');
    const s = shadowWalk(lg, 0xc0100000);
    expect(s.phys).toBe(0x100000);
    expect(entryFlags(s.pte!.value)).not.toContain('G');
    // Addresses the Guest maps nowhere translate to nothing in either walk, without killing it.
    expect(guestWalk(lg, 0x00000000).phys).toBeNull();
    expect(shadowWalk(lg, 0x00000000).phys).toBeNull();
    expect(lg.dead).toBeNull();
  });

  it('lists the shadow directories, one active, each with the Switcher mapped', () => {
    const slots = shadowSlots(lg);
    expect(slots).toHaveLength(4);
    expect(slots.filter((s) => s.active)).toHaveLength(1);
    const active = slots.find((s) => s.active)!;
    expect(active.switcherMapped).toBe(true);
    expect(shadowWalk(lg, 0xffc00000).phys).toBe(host.world.switcherTextPage);
    // The Guest's CR3 is the directory the active slot shadows.
    expect(lg.pageTables.pgdirs[active.slot].gpgdir).toBe(active.gpgdir);
  });

  it('shows which gates go straight to the Guest', () => {
    const idt = realIdt(lg);
    expect(idt[0x80]).toMatchObject({ direct: true, dpl: 3, type: 0xf, selector: 0x61 });
    expect(idt[14]).toMatchObject({ direct: false, selector: 0x50, type: 0xe });
    expect(idt[32].direct).toBe(false);
    expect(idt[0x1f]).toMatchObject({ direct: false, dpl: 1 });
    expect(guestIdt(lg)[14]).toMatchObject({ present: true, type: 0xe, selector: 0x61, direct: false });
  });

  it('shows the GDT with the Guest\'s entries moved to ring 1 and the Host\'s own', () => {
    const gdt = realGdt(lg);
    expect((gdt[12].hi >>> 13) & 3).toBe(1); // tour loads its kernel code at DPL 0; the Host makes it 1
    expect((gdt[14].hi >>> 13) & 3).toBe(3);
    expect(gdt[10].hi).toBe(0x00cf9b00);     // LGUEST_CS, the Host's
  });

  it('shows the TSS: traps from the Guest land in the register page; no I/O bitmap', () => {
    expect(guestTss(lg)).toMatchObject({ esp0: 0xffc02000, ss0: 0x58, ss1: 0x69, ioMapBase: 104 });
  });

  it('reads lguest_data', () => {
    expect(lguestData(lg)).toMatchObject({ address: 0x103000, kernel_address: 0xc0000000, syscall_vec: 0x80, tsc_khz: 1000000, reserve_mem: 0x400000 });
  });

  it('changes nothing by looking', () => {
    const a = bootTour(), b = bootTour();
    a.run(2_000_000);
    b.run(2_000_000);
    for (let v = 0; v < 0x1000000; v += 0x1000) { guestWalk(b.lg, v); shadowWalk(b.lg, v); }
    realIdt(b.lg); shadowSlots(b.lg); lguestData(b.lg);
    const ra = a.run(), rb = b.run();
    expect(rb).toEqual(ra);
    expect(b.cpu.instructions).toBe(a.cpu.instructions);
  });
});
