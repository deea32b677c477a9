/** hello, the smallest Guest, end to end: what it prints, and what the Host did to get it there. */
import { describe, it, expect } from 'vitest';
import { runGuest, guestPath } from './helpers';
import { LHCALL } from '../../src/vm/lguest/layout';

describe('the hello Guest', () => {
  const run = runGuest(guestPath('hello'), { cmdline: 'console=hvc0 answer=42' });
  const s = run.host.lg.stats;

  it('prints what the Launcher and the Host told it, then powers off', () => {
    expect(run.result).toEqual({ kind: 'poweroff', message: 'hello: power off' });
    expect(run.output).toBe([
      'Hello from an lguest Guest!',
      'boot_params: protocol 0x0207, hardware_subarch 1 (lguest)',
      'memory: 0x04000000 bytes at 0x00000000, RAM',
      'command line: "console=hvc0 answer=42"',
      'lguest_data at 0x00101000: reserve_mem 0x00400000, tsc_khz 0x000f4240',
      'time: 946684800 s since 1970',
      '',
    ].join('\n'));
  });

  it('costs one #GP exit per character, each emulated by the Host', () => {
    expect(s.exits[13]).toBe(run.output.length);
    expect(s.emulated).toBe(run.output.length);
    expect(run.events.filter((e) => e.kind === 'trap' && e.trap === 13).every((e) => e.kind === 'trap' && e.action === 'emulated')).toBe(true);
  });

  it('makes exactly two hypercalls: LGUEST_INIT and SHUTDOWN', () => {
    expect([...s.hypercalls]).toEqual([[LHCALL.LGUEST_INIT, 1], [LHCALL.SHUTDOWN, 1]]);
    expect(s.exits[31]).toBe(2);
  });

  it('starts with its first instruction fetch as the first page fault, fixed silently in linear mode', () => {
    const first = run.events.find((e) => e.kind === 'trap');
    expect(first).toMatchObject({ kind: 'trap', trap: 14, errcode: 0, eip: 0x100000, cr2: 0x100000, action: 'fixed' });
    // Every page fault is the Host's: hello has no handler and needs none.
    expect(s.pageFaultsReflected).toBe(0);
    expect(s.pageFaultsFixed).toBe(s.exits[14]);
  });

  it('enters the Guest once per exit, and every exit is one of those', () => {
    const exits = s.exits.reduce((a, b) => a + b, 0);
    expect(s.entries).toBe(exits);
    expect(exits).toBe(s.exits[13] + s.exits[14] + s.exits[31]);
  });

  it('runs the same way twice: time is virtual', () => {
    const again = runGuest(guestPath('hello'), { cmdline: 'console=hvc0 answer=42' });
    expect(again.host.cpu.instructions).toBe(run.host.cpu.instructions);
    expect(again.events).toEqual(run.events);
  });

  it('sees --epoch in lguest_data.time', () => {
    const r = runGuest(guestPath('hello'), { epochSeconds: 1_700_000_000 });
    expect(r.output).toContain('time: 1700000000 s since 1970');
  });
});
