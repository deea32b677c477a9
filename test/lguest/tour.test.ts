/**
 * tour, the showcase Guest, end to end: six processes, preemption, system
 * calls, demand-zero heap pages, a kill, idling; and the Host's counters
 * for what lguest's rules say each of those costs.
 */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { runGuest, ROOT } from './helpers';
import { LHCALL } from '../../src/vm/lguest/layout';
import type { HostEvent } from '../../src/vm/lguest/events';

const TOUR = join(ROOT, 'guests/lguest/tour/build/tour.elf');
const traps = (events: HostEvent[], n: number) => events.filter((e): e is Extract<HostEvent, { kind: 'trap' }> => e.kind === 'trap' && e.trap === n);

describe('the tour Guest', () => {
  const run = runGuest(TOUR);
  const s = run.host.lg.stats;
  const syscalls = Number(/system calls: exit (\d+) write (\d+) getpid (\d+) brk (\d+) sched_yield (\d+) nanosleep (\d+)/.exec(run.output)!
    .slice(1).reduce((a, b) => a + Number(b), 0));

  it('runs every process to its end, prints the summary and powers off', () => {
    expect(run.result).toEqual({ kind: 'poweroff', message: 'tour: power off' });
    expect(run.output).toContain('[hello] hello, world: pid 1 by getpid, pid 1 and name "hello" by %gs\n');
    expect(run.output).toContain('[primes] 3245 primes below 30000, the largest 29989\n');
    expect(run.output).toContain('[collatz] below 10000 the longest chain starts at 6171: 262 steps\n');
    expect(run.output).toMatch(/\[heap\] wrote one word per page, sum 0x10078, 0 nonzero words in fresh pages\n/);
    for (const [pid, name] of [[1, 'hello'], [2, 'primes'], [3, 'collatz'], [4, 'sleeper'], [5, 'heap']]) {
      expect(run.output).toContain(`tour: pid ${pid} (${name}) exited with status 0\n`);
    }
    expect(run.output).toContain('tour: pid 6 (crasher) killed: page fault it cannot fix\n');
    expect(run.output).toMatch(/tour: every process has finished after \d+ ns\n/);
  });

  it('probes a few ports: only the console and the keyboard status answer (1, as lguest\'s Launcher)', () => {
    expect(run.output).toContain('tour: probing ports: 0x60=0xff 0x64=0x1 0x3fd=0xff 0x71=0xff 0xe9=0xe9');
  });

  it('makes system calls without the Host: the 0x80 trap gate is direct', () => {
    expect(syscalls).toBeGreaterThan(30);
    expect(s.direct[0x80]).toBe(syscalls);
    expect(s.exits[0x80]).toBe(0);
  });

  it('preempts the CPU hogs on the timer, and halts when everyone sleeps', () => {
    const ticks = Number(/(\d+) timer ticks/.exec(run.output)![1]);
    expect(s.interrupts[0]).toBe(ticks);
    expect(ticks).toBeGreaterThan(50);
    // Every tick is the Host's timer pulling the Host in, or a wake from HALT.
    expect(s.exits[0xef] + (s.hypercalls.get(LHCALL.HALT) ?? 0)).toBeGreaterThanOrEqual(ticks);
    expect(s.hypercalls.get(LHCALL.HALT)).toBeGreaterThan(0);
    expect(s.idleNs).toBeGreaterThan(0);
  });

  it('costs one reflected page fault per fresh heap page, and no more: SET_PTE installs the dirty entry at once', () => {
    const heap = traps(run.events, 14).filter((e) => e.cr2 >= 0x44001000 && e.cr2 < 0x44011000);
    expect(heap.map((e) => e.action)).toEqual(Array(16).fill('reflected'));
    expect(new Set(heap.map((e) => e.cr2 & ~0xfff)).size).toBe(16);
    const setPtes = run.events.filter((e) => e.kind === 'hypercall' && e.nr === LHCALL.SET_PTE && !e.async && e.args[1] >= 0x44001000 && e.args[1] < 0x44011000);
    expect(setPtes).toHaveLength(16);
    expect(s.pageFaultsReflected).toBe(17); // the heap's 16 and the crasher's one
  });

  it('kills the crasher for the page fault at 0 it cannot fix', () => {
    const atZero = traps(run.events, 14).filter((e) => e.cr2 === 0);
    expect(atZero).toHaveLength(1);
    expect(atZero[0]).toMatchObject({ errcode: 6, action: 'reflected' }); // write, user, not present
  });

  it('switches among more address spaces than the Host caches, so shadow directories are evicted and reused', () => {
    const switches = run.events.filter((e): e is Extract<HostEvent, { kind: 'pagetable' }> => e.kind === 'pagetable' && e.op === 'new_pgtable');
    expect(new Set(switches.map((e) => e.detail.split(' ')[0])).size).toBeGreaterThanOrEqual(6);
    expect(switches.some((e) => e.detail.endsWith('(cached)'))).toBe(true);
    expect(switches.filter((e) => !e.detail.endsWith('(cached)')).length).toBeGreaterThan(4);
  });

  it('batches page table updates through the asynchronous ring', () => {
    const fromRing = run.events.filter((e) => e.kind === 'hypercall' && e.async);
    expect(fromRing.some((e) => e.kind === 'hypercall' && e.nr === LHCALL.SET_PTE)).toBe(true);
    expect(fromRing.some((e) => e.kind === 'hypercall' && e.nr === LHCALL.SET_STACK)).toBe(true);
    expect(s.hypercalls.get(LHCALL.FLUSH_ASYNC)).toBeGreaterThan(0);
  });

  it('gives the same run with every trap through the Host, only dearer: each system call becomes an exit', () => {
    const slow = runGuest(TOUR, { directTraps: false });
    // Scheduling interleaves differently (each system call is dearer), but each process says the same.
    const said = (out: string, who: string) => out.split('\n').filter((l) => l.startsWith(`[${who}]`)).map((l) => l.replace(/slept \d+ ns/, 'slept'));
    for (const who of ['hello', 'primes', 'collatz', 'sleeper', 'heap', 'crasher']) expect(said(slow.output, who), who).toEqual(said(run.output, who));
    const ends = (out: string) => out.split('\n').filter((l) => / (exited with status|killed:) /.test(l)).sort();
    expect(ends(slow.output)).toEqual(ends(run.output));
    expect(slow.result).toEqual(run.result);
  });
});
