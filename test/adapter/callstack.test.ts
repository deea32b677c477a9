/**
 * The call stack across traps, through the protocol: from the tour kernel's C code through trap_common's frame
 * (its CFI: a signal frame, the saved registers, the interrupted ESP by the saved CS's ring) into the code the trap
 * interrupted, a user process from ring 3 or the kernel itself at ring 1, ending at a _start whose CFI says there
 * is no caller; the entry stop named by its symbol although the CPU runs at its physical address.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startClient, launchAndStop, registers, TOUR, TOUR_SRC } from './client';
import { DebugInfo } from '../../src/vm/debuginfo/debugInfo';
import { Elf32 } from '../../src/vm/elf';

let dc: DebugClient;
afterEach(async () => { await dc?.stop(); });

async function frames(): Promise<DebugProtocol.StackFrame[]> {
  return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
}

/** Each frame's function ("name+0x12" -> "name"); a frame without a symbol keeps its address. */
const names = (st: DebugProtocol.StackFrame[]) => st.map((f) => f.name.split('+')[0]);

async function continueToStop(): Promise<void> {
  const stopped = dc.waitForEvent('stopped');
  await dc.continueRequest({ threadId: 1 });
  await stopped;
}

describe('the call stack across traps', () => {
  it('names the entry point _start, at its line of entry.S, though the CPU runs at its physical address', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, stopOnEntry: true });
    const st = await frames();
    expect(st.map((f) => [f.name, f.instructionPointerReference])).toEqual([['_start', '0x00100000']]);
    expect(st[0].source?.path).toBe(join(TOUR_SRC, 'kernel/entry.S'));
    expect(st[0].line).toBe(28); // its first instruction, cld
  });

  it('unwinds a page fault from a user process: kernel C, the trap frame, the user frames, _start, no more', async () => {
    dc = await startClient();
    // First in the Host, where the fault is still the process's: its eip and line.
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'trap 14', condition: 'cr2 == 0' }] }));
    const faultEip = (await registers(dc)).get('eip');
    const inHost = await frames();
    expect(names(inHost).slice(1)).toEqual(['crasher_main', 'crasher_start']);
    // Then in the Guest kernel, which kills the process.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'proc_kill' }] });
    await continueToStop();
    const st = await frames();
    // do_page_fault is inlined into trap_dispatch: a frame of its own, standing where it calls proc_kill.
    expect(names(st)).toEqual(['proc_kill', 'do_page_fault', 'trap_dispatch', 'trap_common', 'crasher_main', 'crasher_start']);
    expect(st[1].instructionPointerReference).toBe(st[2].instructionPointerReference);
    // The user frame is at the faulting instruction itself (a trap's eip is exact), on the faulting line.
    expect(st[4].instructionPointerReference).toBe(faultEip);
    expect(st[4]).toMatchObject({ line: inHost[1].line, source: { path: join(TOUR_SRC, 'user/crasher.c') } });
    expect(st[3].source?.path).toBe(join(TOUR_SRC, 'kernel/entry.S'));
  });

  it('shows the trap frame at the handler\'s first instruction (the page_fault stub, error code pushed)', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'trap 14', condition: 'cr2 == 0' }] }));
    const faultEip = (await registers(dc)).get('eip');
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'page_fault' }] });
    await continueToStop();
    const st = await frames();
    expect(names(st)).toEqual(['page_fault', 'crasher_main', 'crasher_start']);
    expect(st[1].instructionPointerReference).toBe(faultEip);
  });

  it('unwinds a system call to the user code that made it, at the stub and in the kernel\'s C', async () => {
    dc = await startClient();
    // The system call's trap gate goes straight to the kernel: the stop is at the stub's first instruction.
    await launchAndStop(dc, { program: TOUR }, () => dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'trap', condition: '0x80' }] }));
    const atStub = await frames();
    expect(names(atStub)).toEqual(['system_call', 'getpid', 'hello_main', 'hello_start']);
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall_dispatch' }] });
    await continueToStop();
    const st = await frames();
    expect(names(st).slice(0, 3)).toEqual(['syscall_dispatch', 'trap_dispatch', 'trap_common']);
    // The same system call, now in the kernel's C: its caller's frames under the trap frame.
    expect(names(st).slice(3)).toEqual(names(atStub).slice(1));
    expect(st[3].instructionPointerReference).toBe(atStub[1].instructionPointerReference);
    expect(st.every((f) => !/^0x/.test(f.name))).toBe(true);
  });

  it('unwinds an interrupt of the kernel itself (ring 1 to ring 1: no ESP pushed) to the kernel\'s _start', async () => {
    dc = await startClient();
    // timer_tick(tf) with tf->cs (at [esp+4] + 60) the kernel's: the interrupt came in the kernel.
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'timer_tick', condition: '([[esp+4]+60] & 3) == 1' }] }));
    const st = await frames();
    expect(names(st).slice(0, 3)).toEqual(['timer_tick', 'trap_dispatch', 'trap_common']);
    expect(names(st).slice(-2)).toEqual(['kernel_main', '_start']);
    expect(names(st)).toContain('idle_loop');
  });
});

describe('the call stack in parts (supportsDelayedStackTraceLoading)', () => {
  it('says it loads in parts, and the top frame then the rest are the whole stack, frame for frame', async () => {
    dc = await startClient();
    const init = await dc.initializeRequest({ adapterID: 'lguest', pathFormat: 'path' });
    expect(init.body?.supportsDelayedStackTraceLoading).toBe(true);
    await dc.stop();
    dc = await startClient();
    // A trap stop with the Host's frame on top, as VS Code asks for it: one frame, then the next nineteen.
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'trap 14', condition: 'cr2 == 0' }] }));
    const top = (await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 1 })).body;
    const rest = (await dc.stackTraceRequest({ threadId: 1, startFrame: 1, levels: 19 })).body;
    const whole = (await dc.stackTraceRequest({ threadId: 1 })).body;
    expect(top.stackFrames).toHaveLength(1);
    expect(top.stackFrames[0].name).toMatch(/^\[Host\] trap 14/);
    expect(top.stackFrames[0].source).toBeUndefined();
    expect(top.totalFrames).toBe(whole.stackFrames.length);
    expect([...top.stackFrames, ...rest.stackFrames]).toEqual(whole.stackFrames);
    // The frame ids of the parts still mean their frames: the Guest's top frame has its scopes.
    const scopes = (await dc.scopesRequest({ frameId: rest.stackFrames[0].id })).body.scopes.map((s) => s.name);
    expect(scopes).toContain('Registers');
  });
});

describe('an inlined function whose file is not on disk', () => {
  it('stands in a listing of the disassembly at its eip, like any frame without a source file', async () => {
    // The tour copied alone, as a workspace holds it: its tables name lguest.h as ../../include/lguest.h, not there.
    const dir = mkdtempSync(join(tmpdir(), 'lguest-inline-'));
    try {
      cpSync(TOUR_SRC, join(dir, 'tour'), { recursive: true });
      const elf = join(dir, 'tour/build/tour.elf');
      // An instruction of lguest_hcall_async's body (lguest.h), inlined into hcall_async (mm.c).
      const info = new DebugInfo(new Elf32(new Uint8Array(readFileSync(elf)), elf));
      const start = info.addressOf('hcall_async')!;
      let pc = start;
      while (info.dwarf!.scopeAt(pc)?.levels[0].name !== 'lguest_hcall_async') pc++;
      dc = await startClient();
      await launchAndStop(dc, { program: elf }, () => dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: `0x${pc.toString(16)}` }] }));
      const st = await frames();
      expect(st.slice(0, 2).map((f) => f.name)).toEqual(['lguest_hcall_async', expect.stringMatching(/^hcall_async/)]);
      const [inlined, outer] = st;
      expect(inlined.source?.path).toBeUndefined();
      expect(inlined.source?.sourceReference).toBeGreaterThan(0);
      const text = (await dc.customRequest('source', { source: inlined.source, sourceReference: inlined.source!.sourceReference })).body.content as string;
      expect(text.split('\n')[inlined.line - 1]).toMatch(new RegExp(`^=>\\s*0x${pc.toString(16).padStart(8, '0')}`));
      // The function it is inlined into has its file: mm.c, at the line of the call.
      expect(outer.source?.path).toBe(join(dir, 'tour/kernel/mm.c'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('frame ids', () => {
  it('are new at every stop, the same within one, and an old stop\'s mean nothing', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'timer_tick' }] }));
    const first = await frames();
    expect((await frames()).map((f) => f.id)).toEqual(first.map((f) => f.id));
    await continueToStop();
    const second = await frames();
    expect(second[0].name).toBe(first[0].name);
    const old = new Set(first.map((f) => f.id));
    expect(second.filter((f) => old.has(f.id))).toEqual([]);
    await expect(dc.scopesRequest({ frameId: first[0].id })).rejects.toThrow();
    expect((await dc.scopesRequest({ frameId: second[0].id })).body.scopes.length).toBeGreaterThan(0);
  });
});
