/** The debug adapter through the protocol: launch, stops, breakpoints, trap breakpoints. */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startClient, launchAndStop, topFrame, registers, TOUR, TOUR_SRC } from './client';

describe('debug adapter', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  it('stops on entry before the first instruction', async () => {
    dc = await startClient();
    const ev = await launchAndStop(dc, { program: TOUR, stopOnEntry: true });
    expect(ev.body.reason).toBe('entry');
    const regs = await registers(dc);
    expect(regs.get('eip')).toBe('0x00100000');
    expect(regs.get('cs')).toBe('0x0061');
    expect(regs.get('eflags')).toBe('0x00000202');
    // At its physical address in linear mode, named and placed by its link address (the ELF's p_paddr to p_vaddr).
    const top = await topFrame(dc);
    expect(top).toMatchObject({ name: '_start', instructionPointerReference: '0x00100000', source: { path: join(TOUR_SRC, 'kernel/entry.S') } });
    expect(readFileSync(top.source!.path!, 'utf8').split('\n')[top.line - 1]).toMatch(/^\s+cld$/);
    // Columns start at 1 (a 0 is an invalid range for VS Code's exception widget).
    expect(top.column).toBeGreaterThanOrEqual(1);
  });

  it('says the run began (a continued event for all threads) after the configuration, before its first stop', async () => {
    // A client clears the last run's stop reasons then: VS Code's restart of a session otherwise kept them.
    dc = await startClient();
    const order: string[] = [];
    dc.on('continued', (e) => order.push(`continued ${e.body.threadId} ${e.body.allThreadsContinued}`));
    dc.on('stopped', (e) => order.push(`stopped ${e.body.reason}`));
    await launchAndStop(dc, { program: TOUR, stopOnEntry: true });
    expect(order).toEqual(['continued 1 true', 'stopped entry']);
  });

  it('stops at a source line breakpoint in the Guest kernel, with the call stack', async () => {
    dc = await startClient();
    const file = join(TOUR_SRC, 'kernel/sched.c');
    const ev = await launchAndStop(dc, { program: TOUR }, async () => {
      const r = await dc.setBreakpointsRequest({ source: { path: file }, breakpoints: [{ line: 166 }] });
      expect(r.body.breakpoints[0].verified).toBe(true);
    });
    expect(ev.body.reason).toBe('breakpoint');
    const st = await dc.stackTraceRequest({ threadId: 1 });
    const [top] = st.body.stackFrames;
    expect(top.name).toMatch(/^timer_tick/);
    expect(top.line).toBe(166);
    expect(top.source?.path).toBe(file);
    expect(st.body.stackFrames.map((f) => f.name.split('+')[0])).toContain('trap_dispatch');
  });

  it('stops at a page fault with trap filter 14, CR2 the faulting address, and explains it', async () => {
    dc = await startClient();
    const ev = await launchAndStop(dc, { program: TOUR }, () => dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'trap', condition: '14' }] }));
    expect(ev.body.reason).toBe('exception');
    expect(ev.body.description).toMatch(/^trap 14: page fault at 0x00100000 \(read, kernel, not present\)/);
    const info = await dc.exceptionInfoRequest({ threadId: 1 });
    expect(info.body.exceptionId).toBe('trap 14');
    expect(info.body.description).toMatch(/will copy the Guest's entry for 0x[0-9a-f]{8} into the shadow page table \(demand_page\)/);
    const regs = await registers(dc);
    expect(regs.get('cr2')).toBe('0x00100000');
    expect(regs.get('eip')).toBe('0x00100000');
    const top = await topFrame(dc);
    expect(top.name).toMatch(/^\[Host\] trap 14/);
  });

  it('predicts what the Host does with a write fault in linear boot mode, and honours conditions on trap breakpoints', async () => {
    dc = await startClient();
    const ev = await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'trap 14', condition: 'cr2 >= 0xc0000000', hitCondition: '3' }] }));
    expect(ev.body.description).toMatch(/^trap 14: page fault at 0xc/);
    const regs = await registers(dc);
    expect(Number(regs.get('cr2'))).toBeGreaterThanOrEqual(0xc0000000);
    // The Host's frame is a label with a short name and no source, so a client focuses the Guest's frame
    // under it, where the trap is; the whole prediction is in the exception widget (exceptionInfo).
    const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    expect(frames[0]).toMatchObject({ name: expect.stringMatching(/^\[Host\] trap 14/), presentationHint: 'label' });
    expect(frames[0].name.length).toBeLessThanOrEqual(60);
    expect(frames[0].source).toBeUndefined();
    expect(frames[1].source).toBeDefined();
    // What the short name says the Host will do, the widget says in full.
    const said = frames[0].name.split(': will ')[1].replace(/…$/, '');
    expect((await dc.exceptionInfoRequest({ threadId: 1 })).body.description).toContain(`will ${said}`);
    await dc.stop();
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'trap', condition: '14' }] }));
    const second = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    expect((await second).body.description).toMatch(/\(write, kernel, not present\)/);
    expect((await dc.exceptionInfoRequest({ threadId: 1 })).body.description).toMatch(/will copy the Guest's entry for 0x[0-9a-f]{8} into the shadow page table \(demand_page\)/);
  });

  it('stops when the Host delivers the timer interrupt (trap filter 32)', async () => {
    dc = await startClient();
    const ev = await launchAndStop(dc, { program: TOUR }, () => dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'trap', condition: '0x20' }] }));
    expect(ev.body.description).toMatch(/^trap 32: IRQ 0 \(the timer\), a virtual interrupt/);
    expect((await dc.exceptionInfoRequest({ threadId: 1 })).body.description).toMatch(/enter the Guest's handler at 0x[0-9a-f]+ <timer_interrupt>/);
  });
});
