/**
 * The x87 is the Guest's. The Host runs it with CR0 = PE|MP|ET|NE|WP|PG,
 * adds TS at entry only while the Guest's last TS hypercall asked for it
 * (older ABIs; Linux 4.10 never asks), reflects #NM to the Guest only then,
 * and otherwise clears TS and lets the Guest go on (trap log: fixed), as
 * lguest's Host did after restoring its own lazily switched FPU. The Host's
 * TypeScript never touches the x87's state: the fpu Guest
 * (guests/lguest/fpu/) loads it, makes the Host do every kind of thing it
 * does, and prints an FSAVE image before and after; here the two must be
 * the same, and so must the x87 as it stands at every point where the Host
 * was about to act in between.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host, HostRunResult } from '../../src/vm/lguest/host';
import type { HostEvent } from '../../src/vm/lguest/events';
import type { TrapDecision } from '../../src/vm/lguest/decide';
import { HOST_CR0 } from '../../src/vm/lguest/hostWorld';
import { LHCALL, HOST_TIMER_VECTOR } from '../../src/vm/lguest/layout';
import { CR0_TS } from '../../src/vm/cpu/state';
import { save } from '../../src/vm/cpu/fpu/environment';
import { Elf32 } from '../../src/vm/elf';
import { ROOT } from './helpers';

const PATH = join(ROOT, 'guests/lguest/fpu/build/fpu.elf');
const IMAGE = new Uint8Array(readFileSync(PATH));
const symbols = new Map(new Elf32(IMAGE).symbols().map((s) => [s.name, s.value]));
const sym = (n: string) => symbols.get(n)!;
const LIMIT = 20_000_000;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Run {
  host: Host;
  result: HostRunResult;
  output: string;
  events: HostEvent[];
  /** The x87's FSAVE image at every point where the Host was about to act, in order, with the point. */
  snapshots: { what: string; fpu: string }[];
  /** The Host's decisions about traps that came out of the Guest. */
  decisions: { trap: number; eip: number; decision: TrapDecision }[];
  /** At each breakpoint: where, CR0, and the TS the Guest asked for. */
  breaks: { at: string; cr0: number; ts: number }[];
}

/**
 * Run the fpu Guest to its end with an observer that never stops it but
 * looks at the x87 each time, and with breakpoints at `breakAt` (called
 * there, to look or to meddle).
 */
function run(cmdline = '', breakAt: string[] = [], atBreak?: (h: Host, at: string) => void): Run {
  let output = '';
  const events: HostEvent[] = [];
  const host = new Host({ output: (b) => { output += String.fromCharCode(b); } });
  host.onEvent = (e) => events.push(e);
  const snapshots: Run['snapshots'] = [], decisions: Run['decisions'] = [], breaks: Run['breaks'] = [];
  host.observer = {
    stopAt: (p) => {
      const what = p.kind === 'hypercall' ? `hypercall ${p.nr}${p.async ? ' async' : ''}` : p.kind === 'trap'
        ? `trap ${p.trap}${p.direct ? ' direct' : ''}${p.irq !== undefined ? ` irq ${p.irq}` : ''}` : p.kind;
      snapshots.push({ what, fpu: hex(save(host.cpu.fpu, true)) });
      if (p.kind === 'trap' && p.decision !== undefined) decisions.push({ trap: p.trap, eip: p.eip, decision: p.decision });
      return false;
    },
  };
  host.boot(IMAGE, PATH, cmdline);
  const names = new Map(breakAt.map((n) => [sym(n), n]));
  host.executor.setBreakpoints(names.keys());
  for (;;) {
    const result = host.run(LIMIT - host.cpu.instructions);
    if (result.kind !== 'breakpoint') return { host, result, output, events, snapshots, decisions, breaks };
    const eip = host.cpu.eip >>> 0, at = names.get(eip)!;
    breaks.push({ at, cr0: host.cpu.cr0 >>> 0, ts: host.lg.ts });
    atBreak?.(host, at);
    host.executor.resumeFrom = eip;
  }
}

/** The Guest's FSAVE image on its line `name: HEX`. */
function image(r: Run, name: string): string {
  const m = new RegExp(`^${name}: +([0-9a-f]+)$`, 'm').exec(r.output);
  expect(m, `no ${name} line in ${r.output}`).not.toBeNull();
  return m![1];
}

/** What happened between the Guest's two FLUSH_ASYNC hypercalls, which bracket the x87's round trips. */
function window<T>(list: T[], isMarker: (x: T) => boolean): T[] {
  const at = list.flatMap((x, i) => (isMarker(x) ? [i] : []));
  expect(at).toHaveLength(2);
  return list.slice(at[0], at[1] + 1);
}
const eventWindow = (r: Run) => window(r.events, (e) => e.kind === 'hypercall' && e.nr === LHCALL.FLUSH_ASYNC);

/** Words of a 108-byte FSAVE image (protected mode, 32-bit) in hex: the 16-bit word at byte `at`, ST(i)'s ten bytes. */
const word = (img: string, at: number) => parseInt(img.slice(2 * at + 2, 2 * at + 4) + img.slice(2 * at, 2 * at + 2), 16);
function st(img: string, i: number): string {
  const b = Buffer.from(img.slice(2 * (28 + 10 * i), 2 * (38 + 10 * i)), 'hex');
  return `${b.readUInt16LE(8).toString(16).padStart(4, '0')} ${b.readBigUInt64LE(0).toString(16).padStart(16, '0')}`;
}

const CR0_PE_MP_ET_NE_WP_PG = 0x80010033;

describe('the x87 under the Host', () => {
  const plain = run();

  it('the Guest runs to its end, with its #NM handler entered only for the TS it asked for', () => {
    expect(plain.result).toEqual({ kind: 'poweroff', message: 'fpu: done' });
    expect(plain.output).toContain('counts: nm 2, ud 1, bp 1, pf 1 at 0x003ff000, ticks 2\n');
  });

  it('the state the Guest loaded comes back the same after every kind of trip to the Host', () => {
    const before = image(plain, 'before'), after = image(plain, 'after');
    expect(before).toHaveLength(2 * 108);
    expect(after).toBe(before);
    // What the image holds: FCW as loaded, TOP 1 with C0 (the compare) and ZE, PE; R0 empty, R1 zero, R2 special.
    expect(word(before, 0)).toBe(0x0a7f);
    expect(word(before, 4)).toBe(0x0800 | 0x0100 | 0x20 | 0x04);
    expect(word(before, 8)).toBe(0b00_00_00_00_00_10_01_11);
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => st(before, i))).toEqual([
      '0000 0000000000000000', // 0
      '7fff 8000000000000000', // +inf
      '3ffd aaaaaaaaaaaaaaab', // 1/3, rounded to nearest
      'c019 eb79a2a000000000', // -123456789
      '4000 d49a784bcd1b8afe', // log2(10)
      '4000 c90fdaa22168c235', // pi
      '3fff 8000000000000000', // 1
    ]);
    // The x87 as the Guest left it (FRSTOR of the second image) is that image.
    expect(hex(save(plain.host.cpu.fpu, true))).toBe(after);
  });

  it('the x87 is the same at every point where the Host was about to act in between', () => {
    const inside = window(plain.snapshots, (s) => s.what === `hypercall ${LHCALL.FLUSH_ASYNC}`);
    const before = image(plain, 'before');
    expect(inside.filter((s) => s.fpu !== before)).toEqual([]);
    const kinds = new Set(inside.map((s) => s.what));
    for (const k of ['trap 14', 'trap 6', 'trap 3 direct', `trap ${HOST_TIMER_VECTOR}`, 'trap 32 irq 0', 'trap 7', 'trap 13',
      `hypercall ${LHCALL.LOAD_GDT_ENTRY} async`, `hypercall ${LHCALL.HALT}`, `hypercall ${LHCALL.TS}`]) {
      expect(kinds, k).toContain(k);
    }
  });

  it('in between, the Host fixed, reflected, emulated, ran hypercalls, took its timer and delivered interrupts', () => {
    const trips = eventWindow(plain).map((e) => {
      switch (e.kind) {
        case 'trap': return `trap ${e.trap} ${e.action}`;
        case 'direct': return `direct ${e.vector}`;
        case 'hypercall': return `hypercall ${e.nr}${e.async ? ' async' : ''}`;
        case 'interrupt': return `irq ${e.irq}`;
        default: return e.kind;
      }
    });
    const count = (what: string) => trips.filter((t) => t === what).length;
    expect(count('trap 14 fixed')).toBeGreaterThan(3);
    expect(count('trap 14 reflected')).toBe(1);
    expect(count('trap 6 reflected')).toBe(1);
    expect(count('direct 3')).toBe(1);
    expect(count(`trap ${HOST_TIMER_VECTOR} host-interrupt`)).toBe(1);
    expect(count('irq 0')).toBe(2);
    expect(count(`hypercall ${LHCALL.LOAD_GDT_ENTRY} async`)).toBe(1);
    expect(count(`hypercall ${LHCALL.FLUSH_TLB}`)).toBe(1);
    expect(count(`hypercall ${LHCALL.HALT}`)).toBe(1);
    expect(count('trap 13 emulated')).toBeGreaterThan(200);
    // TS 8, #NM to the Guest, its handler's TS 0; twice (WAIT, then FNOP).
    expect(trips.filter((t) => t === `hypercall ${LHCALL.TS}` || t.startsWith('trap 7'))).toEqual([
      `hypercall ${LHCALL.TS}`, 'trap 7 reflected', `hypercall ${LHCALL.TS}`,
      `hypercall ${LHCALL.TS}`, 'trap 7 reflected', `hypercall ${LHCALL.TS}`,
    ]);
    const ts = eventWindow(plain).flatMap((e) => (e.kind === 'hypercall' && e.nr === LHCALL.TS ? [e.args[0]] : []));
    expect(ts).toEqual([8, 0, 8, 0]);
    const nm = plain.events.flatMap((e) => (e.kind === 'trap' && e.trap === 7 ? [e.eip] : []));
    expect(nm).toEqual([sym('x87_wait'), sym('x87_nop')]);
  });
});

describe('CR0 and TS', () => {
  it('the Guest runs with CR0 = PE|MP|ET|NE|WP|PG, and TS only while its last TS hypercall asked for it', () => {
    expect(HOST_CR0 >>> 0).toBe(CR0_PE_MP_ET_NE_WP_PG);
    const r = run('', ['x87_load', 'x87_wait', 'x87_nop', 'host_ts_probe']);
    expect(r.result).toEqual({ kind: 'poweroff', message: 'fpu: done' });
    const TS = (CR0_PE_MP_ET_NE_WP_PG | CR0_TS) >>> 0;
    // The WAIT and the FNOP are each met twice: with TS, which faults, and again after the handler's TS 0.
    expect(r.breaks).toEqual([
      { at: 'x87_load', cr0: CR0_PE_MP_ET_NE_WP_PG, ts: 0 },
      { at: 'x87_wait', cr0: TS, ts: 8 },
      { at: 'x87_wait', cr0: CR0_PE_MP_ET_NE_WP_PG, ts: 0 },
      { at: 'x87_nop', cr0: TS, ts: 8 },
      { at: 'x87_nop', cr0: CR0_PE_MP_ET_NE_WP_PG, ts: 0 },
      { at: 'host_ts_probe', cr0: CR0_PE_MP_ET_NE_WP_PG, ts: 0 },
    ]);
    // Back in the Host, its own CR0, without TS.
    expect(r.host.cpu.cr0 >>> 0).toBe(CR0_PE_MP_ET_NE_WP_PG);
  });

  it('an #NM from a TS the Guest did not ask for: the Host clears TS and the instruction runs, the Guest never knows', () => {
    // As lguest's Host could leave it, having switched its own FPU state away lazily while the Guest ran.
    let meddled = false;
    const r = run('', ['host_ts_probe'], (h) => {
      if (!meddled) h.cpu.cr0 |= CR0_TS;
      meddled = true;
    });
    expect(r.result).toEqual({ kind: 'poweroff', message: 'fpu: done' });
    // The Guest met its FNOP twice: first we set TS, and it faulted; the Host had taken TS off when it came again.
    expect(r.breaks.map((b) => `${b.cr0.toString(16)} ${b.ts}`)).toEqual(['80010033 0', '80010033 0']);
    const at = sym('host_ts_probe');
    expect(r.decisions.filter((d) => d.trap === 7)).toEqual([
      expect.objectContaining({ eip: sym('x87_wait'), decision: expect.objectContaining({ action: 'reflected' }) }),
      expect.objectContaining({ eip: sym('x87_nop'), decision: expect.objectContaining({ action: 'reflected' }) }),
      { trap: 7, eip: at, decision: { action: 'fixed', fix: { kind: 'clts' } } },
    ]);
    expect(r.events.filter((e) => e.kind === 'trap' && e.trap === 7).map((e) => e.kind === 'trap' && `${e.eip} ${e.action}`))
      .toEqual([`${sym('x87_wait')} reflected`, `${sym('x87_nop')} reflected`, `${at} fixed`]);
    // Its #NM handler ran for its own two only; its x87 came through; a fixed #NM is no page fault.
    expect(r.output).toContain('counts: nm 2,');
    expect(image(r, 'after')).toBe(image(r, 'before'));
    expect(r.host.lg.stats.pageFaultsFixed).toBe(r.events.filter((e) => e.kind === 'trap' && e.trap === 14 && e.action === 'fixed').length);
    expect(r.host.lg.stats.exits[7]).toBe(3);
  });

  it('a Guest that asks for TS and has no #NM gate is killed at its first x87 instruction', () => {
    const r = run('nm_gate=0');
    expect(r.result).toEqual({ kind: 'killed', reason: `unhandled trap 7 at 0x${sym('x87_wait').toString(16)} (0)` });
  });
});
