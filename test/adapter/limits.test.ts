/** What a request may cost, and what the debugger may touch: the adapter's limits, through a real session. */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { startClient, launchAndStop, topFrame, TOUR } from './client';

describe('the adapter\'s limits', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  const attempt = (command: string, args: unknown) =>
    dc.customRequest(command, args).then((r) => r, (e: Error) => ({ success: false, message: e.message }) as DebugProtocol.Response);

  it('hardening item 4: disassemble refuses more than 10,000 instructions, or an offset beyond 10,000, and serves the limits', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kernel_main' }] }));
    const eip = (await topFrame(dc)).instructionPointerReference!;
    const many = await attempt('disassemble', { memoryReference: eip, instructionCount: 1e6 });
    expect(many.success).toBe(false);
    expect(many.message).toBe('disassemble: arguments.instructionCount must be a whole number from 0 to 10000, not 1000000');
    const far = await attempt('disassemble', { memoryReference: eip, instructionOffset: -1e7, instructionCount: 10 });
    expect(far.message).toBe('disassemble: arguments.instructionOffset must be a whole number from -10000 to 10000, not -10000000');
    // At the limits, each way: exactly what was asked for, in the Guest kernel's code.
    const before = await dc.disassembleRequest({ memoryReference: eip, instructionOffset: -10_000, instructionCount: 10_000 });
    const lines = before.body!.instructions;
    expect(lines).toHaveLength(10_000);
    expect(Number(lines.at(-1)!.address)).toBeLessThan(Number(eip));
    expect(lines.at(-1)!.instruction).not.toBe('??');
    const after = await dc.disassembleRequest({ memoryReference: eip, instructionOffset: 10_000, instructionCount: 10_000 });
    expect(after.body!.instructions).toHaveLength(10_000);
    expect(Number(after.body!.instructions[0].address)).toBeGreaterThanOrEqual(Number(eip) + 10_000);
  });

  it('keeps the other requests bounded: readMemory takes a MiB at most, a stack trace any number of levels', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, stopOnEntry: true });
    const huge = await attempt('readMemory', { memoryReference: 'phys:0x0', count: (1 << 20) + 1 });
    expect(huge.message).toBe('readMemory: arguments.count must be a whole number from 0 to 1048576, not 1048577');
    const mib = await dc.customRequest('readMemory', { memoryReference: 'phys:0x0', count: 1 << 20 });
    expect(Buffer.from(mib.body.data, 'base64')).toHaveLength(1 << 20);
    const st = await dc.stackTraceRequest({ threadId: 1, startFrame: 0, levels: 0x7fffffff });
    expect(st.body.stackFrames.length).toBe(st.body.totalFrames);
  });
});
