/**
 * lguest's custom requests as the extension's views need them in the places a real VS Code session found wanting
 * (issue 17): the bare machine's own GDT, IDT and page tables (the views are as useful there), and linear boot
 * mode's shadow slot once the Guest has its own page tables (no Guest directory read from physical page 0).
 */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { join } from 'node:path';
import { startClient, launchAndStop, TOUR, ROOT } from './client';

const PAGING = join(ROOT, 'guests/bare/build/paging.elf');
const PROTMODE = join(ROOT, 'guests/bare/build/protmode.elf');
type Entry = { virtual: string; guest: { value: string; frame?: string; flags: string[] } | null; shadow: unknown; note?: string };

describe('the views\' requests', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  it('bare machine: the Host\'s stops say they never happen there (named and filters), Guest killed stays', async () => {
    dc = await startClient();
    let named: DebugProtocol.Breakpoint[] = [], filters: DebugProtocol.Breakpoint[] = [];
    await launchAndStop(dc, { program: PAGING, mode: 'bare' }, async () => {
      named = (await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'trap 14' }, { name: 'demand_pf' }] })).body?.breakpoints ?? [];
      filters = (await dc.setExceptionBreakpointsRequest({ filters: ['trap', 'guestKilled'] })).body?.breakpoints ?? [];
    });
    expect(named[0]).toMatchObject({ verified: false, message: expect.stringMatching(/^a bare machine has no Host.*'trap 14' never stops here$/) });
    expect(named[1].verified).toBe(true);
    expect(filters.map((f) => f.verified)).toEqual([false, true]);
    expect(filters[0].message).toMatch(/^a bare machine has no Host/);
  });

  it('bare machine: the CPU\'s GDT, IDT and page tables (at CR3), no shadows', async () => {
    dc = await startClient();
    // demand_pf (the #PF handler's hook in test_restart) runs with paging on and the runtime's IDT loaded.
    await launchAndStop(dc, { program: PAGING, mode: 'bare' }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'demand_pf' }] }));
    const gdt = (await dc.customRequest('lguest/gdt')).body.entries;
    const code = gdt.find((e: { present: boolean; type: string }) => e.present && e.type.startsWith('code'));
    expect(code).toMatchObject({ owner: 'guest', dpl: 0, base: '0x00000000', limit: '0xffffffff', granularity: '4k' });
    const idt = (await dc.customRequest('lguest/idt')).body.gates;
    expect(idt).toHaveLength(256);
    // #PF's gate: an interrupt gate into the runtime's stub, by name.
    expect(idt[14]).toMatchObject({ present: true, type: 'interrupt', dpl: 0, direct: true, guestHandler: { symbol: expect.stringMatching(/\S/) } });
    expect(idt[14].route).toMatch(/no Host/);
    const pt = (await dc.customRequest('lguest/pagetables')).body;
    expect(pt).toMatchObject({ linearMode: false, slots: [] });
    // setup() identity-maps the first 4 MiB through pt0 (page 0 left out).
    expect(pt.directory[0]).toMatchObject({ index: 0, virtual: '0x00000000', shadow: null, switcher: false, guest: { flags: expect.arrayContaining(['P']) } });
    const table: Entry[] = (await dc.customRequest('lguest/pagetables', { directoryIndex: 0 })).body.entries;
    expect(table.find((e) => e.virtual === '0x00000000')).toBeUndefined();
    expect(table.find((e) => e.virtual === '0x00001000')).toMatchObject({ guest: { frame: '0x00001000' }, shadow: null, note: "the CPU's (no shadow)" });
    const tr = (await dc.customRequest('lguest/translate', { address: '0x1234' })).body;
    expect(tr).toMatchObject({ address: '0x00001234', physical: '0x00001234', guest: { physical: '0x00001234', pde: { value: pt.directory[0].guest.value } }, note: 'bare machine: no shadow' });
  });

  it('bare machine with paging off: page tables say linear is physical; the IDT is what the program loaded', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: PROTMODE, mode: 'bare', stopOnEntry: true });
    expect((await dc.customRequest('lguest/pagetables')).body).toEqual({ linearMode: true, slots: [] });
    expect((await dc.customRequest('lguest/translate', { address: '0x100000' })).body)
      .toMatchObject({ physical: '0x00100000', note: 'bare machine, paging off: linear is physical' });
    expect(Array.isArray((await dc.customRequest('lguest/idt')).body.gates)).toBe(true);
  });

  it('lguest: linear boot mode\'s leftover slot shows no Guest entries (physical page 0 is no page directory)', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'timer_tick' }] }));
    const pt = (await dc.customRequest('lguest/pagetables')).body;
    expect(pt.linearMode).toBe(false);
    const leftover = pt.slots.find((s: { gpgdir: string; used: boolean; active: boolean }) => s.used && !s.active && s.gpgdir === '0x00000000');
    // At the default seed the Guest's first directory took slot 1, and slot 0 is the leftover.
    expect(leftover).toMatchObject({ slot: 0, presentEntries: 0 });
    const dir = (await dc.customRequest('lguest/pagetables', { slot: leftover.slot })).body.directory as Entry[];
    expect(dir.filter((e) => e.guest !== null)).toEqual([]);
    for (const i of [0, 0x300]) {
      const entries: Entry[] = (await dc.customRequest('lguest/pagetables', { slot: leftover.slot, directoryIndex: i })).body.entries;
      expect(entries.filter((e) => e.guest !== null)).toEqual([]);
    }
  });
});
