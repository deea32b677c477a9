/**
 * Linux's call stack across a system call: its 4.10 entry code has no CFI, so the debugger goes from the C
 * handler's frame through the struct pt_regs that entry_INT80_32 pushed into the process that made the call,
 * and stops there (the process's code is busybox's, not in vmlinux).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import { startClient, launchAndStop, registers } from '../adapter/client';
import { LINUX, linuxHas, linuxTitle } from './helpers';

const HERE = linuxHas('vmlinux', 'initrd.cpio');
let dc: DebugClient;
afterEach(async () => { await dc?.stop(); });

describe.skipIf(!HERE)(linuxTitle('Linux call stacks', HERE), () => {
  it('unwinds a system call through pt_regs to the user process, and no further', async () => {
    dc = await startClient();
    dc.defaultTimeout = 120_000;
    const launch = { program: join(LINUX, 'vmlinux'), initrd: join(LINUX, 'initrd.cpio'), cmdline: 'lguest_test=1', memory: 64 };
    // `uname -a` in /init: first in the Host, where the system call (122, newuname) is still the process's.
    await launchAndStop(dc, launch, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall 122' }] }));
    const userEip = (await registers(dc)).get('eip')!;
    expect(Number(userEip)).toBeLessThan(0xc0000000);
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'sys_newuname' }] });
    const stopped = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    await stopped;
    const st = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    // The C frames by vmlinux's CFI (do_syscall_32_irqs_on is inlined into do_int80_syscall_32: a frame of its
    // own at the same eip), entry_INT80_32 by its return address, then the process from pt_regs, the last.
    expect(st.map((f) => f.name.split('+')[0])).toEqual(['sys_newuname', 'do_syscall_32_irqs_on', 'do_int80_syscall_32', 'entry_INT80_32', userEip]);
    expect(st[1].instructionPointerReference).toBe(st[2].instructionPointerReference);
    expect(st[4].instructionPointerReference).toBe(userEip);
  }, 240_000);
});
