/** Malformed or untimely requests get error responses; the adapter never crashes and keeps answering. */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { startClient, launchAndStop, TOUR } from './client';

describe('the adapter under bad requests', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  const attempt = (p: Promise<unknown>) => p.then(() => 'ok', (e: Error) => `error: ${e.message}`);

  it('answers requests before a launch with errors, not crashes', async () => {
    dc = await startClient();
    await dc.initializeRequest({ adapterID: 'lguest', pathFormat: 'path' });
    for (const [cmd, args] of [['stackTrace', { threadId: 1 }], ['scopes', { frameId: 1 }], ['evaluate', { expression: 'eax' }], ['readMemory', { memoryReference: '0x0', count: 4 }], ['lguest/idt', {}], ['disassemble', { memoryReference: '0x0', instructionCount: 4 }]] as const) {
      expect(await attempt(dc.customRequest(cmd, args)), cmd).toMatch(/^error: /);
    }
    expect((await dc.threadsRequest()).body.threads).toHaveLength(1);
  });

  it('answers malformed requests during a session with errors, and the session goes on', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, stopOnEntry: true });
    const bad: [string, unknown][] = [
      ['readMemory', { memoryReference: 'nowhere', count: 4 }],
      ['readMemory', {}],
      ['writeMemory', { memoryReference: '0xc0100000', data: 42 }],
      ['disassemble', { memoryReference: 'x' }],
      ['evaluate', { expression: '(((' }],
      ['evaluate', {}],
      ['setVariable', { variablesReference: 999999, name: 'eax', value: '1' }],
      ['setVariable', { variablesReference: 1, name: 'cs', value: '0x10' }],
      ['variables', { variablesReference: 123456 }],
      ['setBreakpoints', { breakpoints: [{ line: 3 }] }],
      ['setFunctionBreakpoints', { breakpoints: [{ name: 'no_such_function' }, { name: 'trap 99999999999999999999x' }] }],
      ['setInstructionBreakpoints', { breakpoints: [{ instructionReference: 'garbage' }] }],
      ['setDataBreakpoints', { breakpoints: [{ dataId: 'bogus' }] }],
      ['dataBreakpointInfo', { name: 'eax +' }],
      ['lguest/translate', { address: 'far away' }],
      ['lguest/pagetables', { slot: 9 }],
      ['lguest/pagetables', { directoryIndex: 5000 }],
      ['lguest/nothing', {}],
      ['exceptionInfo', { threadId: 1 }],
    ];
    for (const [cmd, args] of bad) await attempt(dc.customRequest(cmd, args));
    // Still alive and still right.
    const st = await dc.stackTraceRequest({ threadId: 1 });
    expect(st.body.stackFrames.length).toBeGreaterThan(0);
    const stopped = dc.waitForEvent('stopped');
    await dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
    await stopped;
  });
});
