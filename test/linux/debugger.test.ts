/**
 * Linux in the debugger, as a kernel developer meets it: the shared vmlinux (symbols and DWARF 5) launched with
 * its initramfs through the real DAP client. Its console reaches the debug console; a function breakpoint on a
 * Linux function stops there; a system call from one of its processes stops as `syscall 11` (execve); a page
 * fault in that process as `trap 14`; and the shadow page tables show its address spaces.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { startClient, launchAndStop, topFrame } from '../adapter/client';
import { LINUX, linuxHas, linuxTitle } from './helpers';

const HERE = linuxHas('vmlinux', 'initrd.cpio');
let dc: DebugClient;
afterEach(async () => { await dc?.stop(); });

describe.skipIf(!HERE)(linuxTitle('Linux under the debugger', HERE), () => {
  it('stops in its kernel by name, in its processes by system call and page fault, and shows their tables', async () => {
    dc = await startClient();
    dc.defaultTimeout = 120_000;
    const output: string[] = [];
    dc.on('output', (e: DebugProtocol.OutputEvent) => output.push(e.body.output));
    const launch = {
      program: join(LINUX, 'vmlinux'), initrd: join(LINUX, 'initrd.cpio'), cmdline: 'lguest_test=1', memory: 64,
    };
    const first = await launchAndStop(dc, launch, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'start_kernel' }] }));
    expect(first.body.reason).toBe('function breakpoint');
    const top = await topFrame(dc);
    expect(top.name).toMatch(/^start_kernel/);
    // Its DWARF knows the line, but the source is not on this machine: the frame shows the disassembly.
    const at = (await dc.customRequest('lguest/location', { address: top.instructionPointerReference })).body;
    expect(at).toMatchObject({ symbol: 'start_kernel', path: null });
    expect(at.line).toBeGreaterThan(0);
    expect(top.source?.name).toBe('start_kernel.disasm');

    // The first execve a process makes (busybox's sh running a command of /init's).
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall 11' }] });
    const exec = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: 1 });
    const atExec = await exec;
    expect(atExec.body.reason).toBe('exception');
    expect(atExec.body.description).toMatch(/^trap 128: system call 11 at 0x[0-9a-f]{8}$/);
    expect(output.join('')).toContain('Linux version 4.10.17');

    // Its address spaces: shadow page directories, with user mappings below the kernel's 0xc0000000.
    const tables = (await dc.customRequest('lguest/pagetables', {})).body as { slots: { gpgdir: number }[] };
    expect(tables.slots.filter((s) => s.gpgdir !== 0).length).toBeGreaterThan(1);

    // The process's next page fault, stopped in the Host before it handles it.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'trap 14' }] });
    const fault = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    await dc.continueRequest({ threadId: 1 });
    expect((await fault).body.description).toMatch(/^trap 14: page fault at 0x[0-9a-f]{8} \(/);

    // Without breakpoints it runs /init to its end, which the debug console shows, and powers off.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
    await dc.continueRequest({ threadId: 1 });
    expect((await exited).body.exitCode).toBe(0);
    expect(output.join('')).toContain('lguest-linux: test done');
  }, 240_000);
});
