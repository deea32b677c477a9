/**
 * A pause is answered while breakpoints that do not stop are hit all the
 * time (a false condition, a logpoint): the run loop must let the event loop
 * in between slices on those paths too, or pause, disconnect and even SIGTERM
 * are never read (found by the protocol fuzzing campaign).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { startClient, TOUR, TOUR_SRC } from './client';

/** In tour's system call handler: `ret = current->pid;`, run once per getpid. */
const GETPID_LINE = { path: join(TOUR_SRC, 'kernel/syscalls.c'), line: 83 };

let dc: DebugClient;
afterEach(async () => { await dc?.stop(); });

describe('pause', () => {
  it('is answered while a breakpoint that does not stop is hit all the time', async () => {
    dc = await startClient();
    // A logpoint that logs its first hit only: it says when the Guest is in its getpid loop, and from then on
    // it is a breakpoint that cuts every getpid short without stopping.
    const bp: DebugProtocol.SourceBreakpoint = { line: GETPID_LINE.line, logMessage: 'in the getpid loop', hitCondition: '==1' };
    const inLoop = dc.assertOutput('console', 'in the getpid loop', 30_000);
    await Promise.all([
      dc.initializeRequest({ adapterID: 'lguest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }),
      dc.waitForEvent('initialized').then(async () => {
        const set = await dc.setBreakpointsRequest({ source: { path: GETPID_LINE.path }, breakpoints: [bp] });
        expect(set.body.breakpoints[0].verified).toBe(true);
        await dc.configurationDoneRequest();
      }),
      dc.launchRequest({ program: TOUR, cmdline: 'bench=getpid:100000000' } as DebugProtocol.LaunchRequestArguments),
    ]);
    await inLoop;
    const stopped = dc.waitForEvent('stopped', 20_000);
    await dc.pauseRequest({ threadId: 1 });
    expect((await stopped).body.reason).toBe('pause');
  }, 60_000);
});
