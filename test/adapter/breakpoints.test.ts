/** Breakpoints through the protocol: conditions, hit counts, logpoints, trap, hypercall and system call stops, data breakpoints, line steps. */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { join } from 'node:path';
import { startClient, launchAndStop, topFrame, registers, TOUR, TOUR_SRC } from './client';

async function cont(dc: DebugClient): Promise<DebugProtocol.StoppedEvent> {
  const s = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await dc.continueRequest({ threadId: 1 });
  return s;
}

describe('breakpoints and stepping through the adapter', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  it('honours conditions and hit counts, and logpoints print without stopping', async () => {
    dc = await startClient();
    const sched = join(TOUR_SRC, 'kernel/sched.c');
    const logged = dc.assertOutput('console', 'tick at ');
    await launchAndStop(dc, { program: TOUR }, async () => {
      await dc.setBreakpointsRequest({ source: { path: sched }, breakpoints: [{ line: 167, logMessage: 'tick at {stat_ticks}' }] });
      await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'timer_tick', condition: 'stat_ticks >= 5', hitCondition: '2' }] });
    });
    await logged;
    // Stopped at the second call with stat_ticks >= 5, i.e. when it is 6.
    const v = await dc.evaluateRequest({ expression: 'stat_ticks', context: 'watch' });
    expect(v.body.result).toBe('6');
    // The untyped form of before: a symbol without its C type is its address.
    expect((await dc.evaluateRequest({ expression: '*(u32 *)&stat_ticks', context: 'watch' })).body.result).toBe('6');
  });

  it('limits a breakpoint to one process with the Guest\'s own CR3', async () => {
    dc = await startClient();
    // printf in libtour runs in every process; stop only in the one whose page directory is heap's.
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'heap_main' }] }));
    const heapCr3 = (await dc.evaluateRequest({ expression: 'gcr3', context: 'watch' })).body.result.split(' ')[0];
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'printf', condition: `gcr3 == ${heapCr3}` }] });
    for (let i = 0; i < 3; i++) {
      await cont(dc);
      expect((await dc.evaluateRequest({ expression: 'gcr3', context: 'watch' })).body.result.split(' ')[0]).toBe(heapCr3);
      expect((await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[1].name).toMatch(/^heap_main/);
    }
  });

  it('stops at a hypercall by function breakpoint name, and at a system call by number', async () => {
    dc = await startClient();
    const ev = await launchAndStop(dc, { program: TOUR }, async () => {
      const r = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hypercall set_pte' }] });
      expect(r.body.breakpoints[0].verified).toBe(true);
    });
    expect(ev.body.description).toMatch(/^hypercall SET_PTE\(/);
    expect((await topFrame(dc)).name).toMatch(/^\[Host\] about to run hypercall SET_PTE/);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'syscall', condition: '20' }] });
    const sys = await cont(dc);
    expect(sys.body.description).toMatch(/^trap 128: system call 20 at 0x/);
    // A direct trap: stopped in the Guest kernel's handler, with the call number still in EAX.
    expect((await topFrame(dc)).name).toBe('system_call');
    expect((await registers(dc)).get('eax')).toBe('0x00000014');
  });

  it('rejects a bad trap condition with a reason', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, stopOnEntry: true });
    const r = await dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'trap', condition: '14,foo' }, { filterId: 'hypercall', condition: 'NOT_A_CALL' }] });
    expect(r.body!.breakpoints![0]).toMatchObject({ verified: false, message: expect.stringMatching(/bad trap condition 'foo'/) });
    expect(r.body!.breakpoints![1]).toMatchObject({ verified: false });
  });

  it('stops when a watched variable is written (a data breakpoint)', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kernel_main' }] }));
    const info = await dc.dataBreakpointInfoRequest({ name: 'stat_ticks' });
    expect(info.body.accessTypes).toEqual(['write']);
    const set = await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    expect(set.body.breakpoints[0].verified).toBe(true);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const ev = await cont(dc);
    expect(ev.body.reason).toBe('data breakpoint');
    expect((await dc.evaluateRequest({ expression: 'stat_ticks', context: 'watch' })).body.result).toBe('1');
    // In timer_tick: the write is its stat_ticks++, and the stop right after it is in the hypercall of
    // lguest_set_clockevent, both inlined there (each a frame of its own).
    const names = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames.map((f) => f.name);
    expect(names.slice(0, 3)).toEqual(['hcall', 'lguest_set_clockevent', expect.stringMatching(/^timer_tick\+0x/)]);
  });

  it('steps over and into lines, and out of a function', async () => {
    dc = await startClient();
    const heap = join(TOUR_SRC, 'user/heap.c');
    await launchAndStop(dc, { program: TOUR }, () => dc.setBreakpointsRequest({ source: { path: heap }, breakpoints: [{ line: 19 }] }));
    expect((await topFrame(dc)).line).toBe(19);
    // Over the printf: to the next line of heap_main, the write system call and all.
    let s = dc.waitForEvent('stopped');
    await dc.nextRequest({ threadId: 1 });
    await s;
    const next = await topFrame(dc);
    expect(next.name).toMatch(/^heap_main/);
    expect(next.line).toBeGreaterThan(19);
    // Into brk() on line 31 (brk(start)): reach the line first.
    await dc.setBreakpointsRequest({ source: { path: heap }, breakpoints: [{ line: 31 }] });
    await cont(dc);
    s = dc.waitForEvent('stopped');
    await dc.stepInRequest({ threadId: 1 });
    await s;
    const inside = await topFrame(dc);
    expect(inside.name).toMatch(/^brk/);
    expect(inside.source?.path).toMatch(/user\/lib\.c$/);
    s = dc.waitForEvent('stopped');
    await dc.stepOutRequest({ threadId: 1 });
    await s;
    expect((await topFrame(dc)).name).toMatch(/^heap_main/);
  });

  it('answers monitor commands in the debug console', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'timer_tick' }] }));
    const idt = await dc.evaluateRequest({ expression: 'info idt', context: 'repl' });
    expect(idt.body.result).toMatch(/0x80 .*direct/);
    const page = await dc.evaluateRequest({ expression: 'page 0xc0100000', context: 'repl' });
    expect(page.body.result).toMatch(/-> physical 0x00100000/);
    const help = await dc.evaluateRequest({ expression: 'help', context: 'repl' });
    expect(help.body.result).toMatch(/info gdt/);
  });
});
