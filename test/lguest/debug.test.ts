/** The Host under a debugger: breakpoints, stop points (traps, system calls, hypercalls, a kill) and stepping. */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host, StopPoint } from '../../src/vm/lguest/host';
import { Elf32 } from '../../src/vm/elf';
import { LHCALL, SWITCHER_ADDR } from '../../src/vm/lguest/layout';
import { switcherImage } from '../../src/vm/lguest/switcherImage';
import { decode } from '../../src/vm/cpu/decoder';
import { Instr } from '../../src/vm/cpu/instr';
import { ROOT } from './helpers';

const TOUR_PATH = join(ROOT, 'guests/lguest/tour/build/tour.elf');
const TOUR = new Uint8Array(readFileSync(TOUR_PATH));
const symbols = new Map(new Elf32(TOUR).symbols().map((s) => [s.name, s.value]));
const sym = (n: string) => symbols.get(n)!;

function tour(): Host {
  const h = new Host();
  h.boot(TOUR, 'tour.elf');
  return h;
}

/** The addresses of switch_to_guest's instructions, decoded from the Switcher's image, up to its IRET (it has no branch). */
function switchToGuestPath(start: number): number[] {
  const text = switcherImage().text, ins = new Instr(() => {});
  const path: number[] = [];
  for (let at = start; ; at += ins.len) {
    decode(text, at - SWITCHER_ADDR, text.length, true, ins);
    path.push(at);
    if (ins.def?.mnem === 'iret|iretd') return path;
  }
}

/** Run to the end, collecting every stop, resuming after each. */
function collect(h: Host, stop: (p: StopPoint) => boolean): StopPoint[] {
  h.observer = { stopAt: stop };
  const seen: StopPoint[] = [];
  for (;;) {
    const r = h.run(100_000_000);
    if (r.kind !== 'stop') {
      expect(r.kind).toBe('poweroff');
      return seen;
    }
    seen.push(r.point);
  }
}

describe('debugging a Guest under the Host', () => {
  it('stops at a breakpoint in the Guest kernel every time it is reached, and goes on from it', () => {
    const h = tour();
    h.executor.setBreakpoints([sym('timer_tick')]);
    let hits = 0;
    for (;;) {
      const r = h.run(100_000_000);
      if (r.kind !== 'breakpoint') { expect(r.kind).toBe('poweroff'); break; }
      expect(h.cpu.eip >>> 0).toBe(sym('timer_tick'));
      expect(h.cpu.cpl).toBe(1);
      hits++;
      h.executor.resumeFrom = sym('timer_tick');
    }
    expect(hits).toBe(h.lg.stats.interrupts[0]);
  });

  it('stops at every page fault before the Host handles it, with CR2 and the Guest\'s registers as saved', () => {
    const h = tour();
    const stops = collect(h, (p) => p.kind === 'trap' && p.trap === 14);
    expect(stops.length).toBe(h.lg.stats.exits[14]);
    const first = stops[0] as Extract<StopPoint, { kind: 'trap' }>;
    expect(first).toMatchObject({ trap: 14, direct: false, cr2: 0x100000, eip: 0x100000, errcode: 0 });
    // The crasher's write to 0 is among them, from ring 3.
    expect(stops.some((p) => p.kind === 'trap' && p.cr2 === 0 && p.errcode === 6 && (p.cs & 3) === 3)).toBe(true);
  });

  it('stops at system calls that go straight to the Guest, in the handler, with the call number', () => {
    const h = tour();
    const stops = collect(h, (p) => p.kind === 'trap' && p.trap === 0x80);
    expect(stops.length).toBe(h.lg.stats.direct[0x80]);
    expect(stops.every((p) => p.kind === 'trap' && p.direct && (p.cs & 3) === 3)).toBe(true);
    // hello's first call is write (4), its last exit (1).
    expect(stops.map((p) => (p as { eax: number }).eax)).toContain(4);
    expect(stops.map((p) => (p as { eax: number }).eax)).toContain(20);
  });

  it('stops at every virtual interrupt the Host delivers, as at vector 32', () => {
    const h = tour();
    const stops = collect(h, (p) => p.kind === 'trap' && p.trap === 32);
    expect(stops.length).toBe(h.lg.stats.interrupts[0]);
    expect(stops.every((p) => p.kind === 'trap' && p.irq === 0 && !p.direct)).toBe(true);
  });

  it('stops at hypercalls, those from the ring included', () => {
    const h = tour();
    const stops = collect(h, (p) => p.kind === 'hypercall' && p.nr === LHCALL.SET_PTE);
    expect(stops.length).toBeGreaterThan(0);
    expect(stops.some((p) => p.kind === 'hypercall' && p.async)).toBe(true);
    expect(stops.some((p) => p.kind === 'hypercall' && !p.async)).toBe(true);
  });

  it('stops just before a kill, with the reason, and then ends the run', () => {
    const h = new Host({ memoryMiB: 8 });
    h.boot(new Uint8Array(readFileSync(join(ROOT, 'guests/lguest/faults/build/ud2.elf'))), 'ud2.elf');
    h.observer = { stopAt: (p) => p.kind === 'killed' };
    const r = h.run();
    expect(r).toMatchObject({ kind: 'stop', point: { kind: 'killed', reason: expect.stringMatching(/^unhandled trap 6 at 0x/) } });
    expect(h.run()).toMatchObject({ kind: 'killed' });
  });

  it('steps Guest instructions, going through the Host and back as one step', () => {
    const h = tour();
    // From the start: the first step enters the Guest, and runs its first instruction (the Host fixes the
    // page fault its fetch raises on the way).
    const entry = h.lg.reg('eip');
    expect(h.stepInstruction(false)).toEqual({ kind: 'step' });
    expect(h.cpu.cpl).toBe(1);
    expect(h.cpu.eip >>> 0).toBe(entry + 1); // cld
    const before = h.cpu.instructions;
    expect(h.stepInstruction(false)).toEqual({ kind: 'step' });
    expect(h.cpu.eip >>> 0).toBe(entry + 6); // mov $PA(boot_stack_top),%esp
    expect(h.cpu.instructions).toBe(before + 1);
  });

  it('steps through the Switcher instruction by instruction when asked', () => {
    const h = tour();
    const seen: number[] = [];
    for (let i = 0; i < 100 && !h.inGuestCode; i++) {
      expect(h.stepInstruction(true)).toEqual({ kind: 'step' });
      if (h.inGuest) seen.push(h.cpu.eip >>> 0);
    }
    expect(h.inGuestCode).toBe(true);
    const sw = h.world.image.symbols;
    // Each instruction of switch_to_guest is one step, in order, from its first to the IRET into the Guest.
    expect(seen.filter((e) => e >= SWITCHER_ADDR)).toEqual(switchToGuestPath(sw.get('switch_to_guest')!));
  });
});
