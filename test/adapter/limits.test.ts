/** What a request may cost, and what the debugger may touch: the adapter's limits, through a real session. */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { startClient, launchAndStop, topFrame, TOUR } from './client';

/** The tour Guest's memory with the default 64 MiB: the Host's begins right above. */
const GUEST_END = 64 << 20;

describe('the adapter\'s limits', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  const attempt = (command: string, args: unknown) =>
    dc.customRequest(command, args)
      .then((r) => r, (e: Error) => ({ success: false, message: e.message }) as DebugProtocol.Response);
  const base64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
  const readBytes = async (memoryReference: string, count: number) =>
    [...Buffer.from((await dc.customRequest('readMemory', { memoryReference, count })).body.data, 'base64')];

  const stopAtKernelMain = () =>
    launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kernel_main' }] }));

  it('hardening item 4: disassemble refuses over 10,000 instructions or offsets past 10,000', async () => {
    dc = await startClient();
    await stopAtKernelMain();
    const eip = (await topFrame(dc)).instructionPointerReference!;
    const many = await attempt('disassemble', { memoryReference: eip, instructionCount: 1e6 });
    expect(many.success).toBe(false);
    expect(many.message)
      .toBe('disassemble: arguments.instructionCount must be a whole number from 0 to 10000, not 1000000');
    const far = await attempt('disassemble', { memoryReference: eip, instructionOffset: -1e7, instructionCount: 10 });
    expect(far.message)
      .toBe('disassemble: arguments.instructionOffset must be a whole number from -10000 to 10000, not -10000000');
    // At the limits, each way: exactly what was asked for, in the Guest kernel's code.
    const at = (instructionOffset: number) =>
      dc.disassembleRequest({ memoryReference: eip, instructionOffset, instructionCount: 10_000 });
    const before = await at(-10_000);
    const lines = before.body!.instructions;
    expect(lines).toHaveLength(10_000);
    expect(Number(lines.at(-1)!.address)).toBeLessThan(Number(eip));
    expect(lines.at(-1)!.instruction).not.toBe('??');
    const after = await at(10_000);
    expect(after.body!.instructions).toHaveLength(10_000);
    expect(Number(after.body!.instructions[0].address)).toBeGreaterThanOrEqual(Number(eip) + 10_000);
  });

  it('hardening item 6: writes reach the Guest\'s memory only, the Host\'s can be read, the Guest lives', async () => {
    dc = await startClient();
    await stopAtKernelMain();
    const switcher = await readBytes('0xffc00000', 16);
    expect(switcher.some((b) => b !== 0)).toBe(true);
    const refusals = [
      [`phys:0x${GUEST_END.toString(16)}`,
        "phys:0x04000000 is in the devices' window (their registers are changed by the Guest's driver, not by the "
        + "debugger), not the Guest's (which ends at 0x04000000)"],
      // The Host's region starts after the devices' 2 MiB window.
      ['0xffc00000', "0xffc00000 maps to 0x04200000, the Host's memory, not the Guest's (which ends at 0x04000000)"],
    ];
    for (const [memoryReference, message] of refusals) {
      const r = await attempt('writeMemory', { memoryReference, data: base64([0xcc, 0xcc]) });
      expect(r.success).toBe(false);
      expect(r.message).toBe(`${message}: the debugger writes only to Guest memory`);
    }
    expect(await readBytes('0xffc00000', 16)).toEqual(switcher);
    // Across the end of the Guest's memory: refused whole, or with allowPartial, written up to the end.
    const edge = `phys:0x${(GUEST_END - 2).toString(16)}`;
    const lastTwo = await readBytes(edge, 2);
    expect((await attempt('writeMemory', { memoryReference: edge, data: base64([1, 2, 3, 4]) })).success).toBe(false);
    expect(await readBytes(edge, 2)).toEqual(lastTwo);
    const partial = await dc.customRequest('writeMemory',
      { memoryReference: edge, data: base64([1, 2, 3, 4]), allowPartial: true });
    expect(partial.body.bytesWritten).toBe(2);
    expect(await readBytes(edge, 2)).toEqual([1, 2]);
    await dc.customRequest('writeMemory', { memoryReference: edge, data: base64(lastTwo) });
    // Writes are bounded too: a MiB at most.
    const overMiB = Buffer.alloc((1 << 20) + 1).toString('base64');
    const big = await attempt('writeMemory', { memoryReference: 'phys:0x1000000', data: overMiB });
    expect(big.message).toBe('writeMemory: arguments.data must be at most 1048576 bytes');
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const exited = dc.waitForEvent('exited', 60_000) as Promise<DebugProtocol.ExitedEvent>;
    await dc.continueRequest({ threadId: 1 });
    expect((await exited).body.exitCode).toBe(0);
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
