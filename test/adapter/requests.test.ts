/** The debug adapter's other requests: stepping, registers, memory, evaluate, disassembly, lguest's own, pause, a kill, bad launches. */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { join } from 'node:path';
import { startClient, launchAndStop, topFrame, registers, TOUR, ROOT } from './client';

describe('debug adapter requests', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  it('steps by instruction, through the Host as one step', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, stopOnEntry: true });
    const stepped = dc.waitForEvent('stopped');
    await dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
    expect((await stepped).body.reason).toBe('step');
    expect((await registers(dc)).get('eip')).toBe('0x00100001');
  });

  it('steps into the Switcher when stepIntoSwitcher is set', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, stopOnEntry: true, stepIntoSwitcher: true });
    // From the Host's context, the first steps are the Host entering the Switcher, then its instructions.
    for (let i = 0; i < 3; i++) {
      const s = dc.waitForEvent('stopped');
      await dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
      await s;
    }
    const top = await topFrame(dc);
    expect(top.name).toMatch(/^(run_guest_once|switch_to_guest)/);
    expect(top.source?.path).toMatch(/src\/vm\/lguest\/switcher\/(host|switcher)_32\.S$/);
  });

  it('reads and writes registers and memory, and evaluates expressions', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kernel_main' }] }));
    expect((await topFrame(dc)).name).toBe('kernel_main');
    const st = await dc.stackTraceRequest({ threadId: 1 });
    const scopes = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
    const regsRef = scopes.body.scopes.find((s) => s.name === 'Registers')!.variablesReference;
    const set = await dc.setVariableRequest({ variablesReference: regsRef, name: 'eax', value: '0x1234 + 1' });
    expect(set.body.value).toBe('0x00001235');
    expect((await dc.evaluateRequest({ expression: 'eax * 2', context: 'watch' })).body.result).toMatch(/^0x0000246a/);
    // lguest_data's kernel_address: as C names it, and by its offset from the variable's address.
    const ka = await dc.evaluateRequest({ expression: 'lguest_data.kernel_address', context: 'watch', format: { hex: true } });
    expect(ka.body.result).toBe('0xc0000000');
    const byOffset = await dc.evaluateRequest({ expression: '*(u32 *)((char *)&lguest_data + 1380)', context: 'watch' });
    expect(byOffset.body.result).toBe('3221225472');
    const mem = await dc.customRequest('readMemory', { memoryReference: '0xc0100000', count: 4 });
    expect([...Buffer.from(mem.body!.data!, 'base64')].slice(0, 2)).toEqual([0xfc, 0xbc]); // cld; mov $...,%esp
    const phys = await dc.customRequest('readMemory', { memoryReference: 'phys:0x100000', count: 1 });
    expect(Buffer.from(phys.body!.data!, 'base64')[0]).toBe(0xfc);
    const unmapped = await dc.customRequest('readMemory', { memoryReference: '0x80000000', count: 16 });
    expect(unmapped.body!.unreadableBytes).toBe(16);
    await dc.customRequest('writeMemory', { memoryReference: '0xc0100000', data: Buffer.from([0x90]).toString('base64') });
    const again = await dc.customRequest('readMemory', { memoryReference: '0xc0100000', count: 1 });
    expect(Buffer.from(again.body!.data!, 'base64')[0]).toBe(0x90);
  });

  it('offers Set Value on exactly the registers a setVariable changes (the others are readOnly)', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'kernel_main' }] }));
    const st = await dc.stackTraceRequest({ threadId: 1 });
    const scopes = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
    const ref = scopes.body.scopes.find((s) => s.name === 'Registers')!.variablesReference;
    const vars = (await dc.variablesRequest({ variablesReference: ref })).body.variables;
    const settable: string[] = [];
    for (const v of vars) {
      const readOnly = v.presentationHint?.attributes?.includes('readOnly') === true;
      // Setting a register to the value it has changes nothing, and says whether it can be set at all.
      const ok = await dc.setVariableRequest({ variablesReference: ref, name: v.name, value: v.value.split(' ')[0] }).then(() => true, () => false);
      expect(ok, v.name).toBe(!readOnly);
      if (ok) settable.push(v.name);
    }
    expect(settable).toEqual(['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags']);
  });

  it('disassembles around EIP with symbols and source lines, in both syntaxes', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, disassemblyFlavor: 'intel' }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'timer_tick' }] }));
    const eip = (await registers(dc)).get('eip')!;
    const d = await dc.disassembleRequest({ memoryReference: eip, instructionOffset: -4, instructionCount: 10 });
    const ins = d.body!.instructions;
    expect(ins).toHaveLength(10);
    const at = ins.findIndex((i) => Number(i.address) === Number(eip));
    expect(at).toBe(4);
    expect(ins[at].symbol).toBe('timer_tick');
    expect(ins[at].line).toBeGreaterThan(0);
    expect(ins.some((i) => /\b(mov|push|call|add)\b/.test(i.instruction) && !i.instruction.includes('%'))).toBe(true);
  });

  it('answers lguest/idt, lguest/gdt, lguest/pagetables, lguest/translate, lguest/traps and lguest/state', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'timer_tick' }] }));
    const idt = (await dc.customRequest('lguest/idt')).body.gates;
    expect(idt[0x80]).toMatchObject({ direct: true, dpl: 3, type: 'trap', guestHandler: { symbol: 'system_call' } });
    expect(idt[14]).toMatchObject({ direct: false, route: 'exits to the Host through the Switcher', guestHandler: { symbol: 'page_fault', type: 'interrupt' } });
    const gdt = (await dc.customRequest('lguest/gdt')).body.entries;
    expect(gdt[16]).toMatchObject({ owner: 'host', type: '32-bit TSS (busy)' });
    expect(gdt[14]).toMatchObject({ owner: 'guest', dpl: 3, base: '0x00000000' });
    const pt = (await dc.customRequest('lguest/pagetables')).body;
    expect(pt.slots.filter((s: { active: boolean }) => s.active)).toHaveLength(1);
    expect(pt.directory.some((e: { index: number; switcher: boolean }) => e.index === 1023 && e.switcher)).toBe(true);
    const table = (await dc.customRequest('lguest/pagetables', { directoryIndex: 0x300 })).body.entries;
    expect(table.find((e: { virtual: string }) => e.virtual === '0xc0100000')).toMatchObject({ guest: { frame: '0x00100000' }, note: expect.any(String) });
    const tr = (await dc.customRequest('lguest/translate', { address: '0xc0100000' })).body;
    expect(tr.guest.physical).toBe('0x00100000');
    expect(tr.symbol).toBe('_start');
    const traps = (await dc.customRequest('lguest/traps', { count: 5 })).body.traps;
    expect(traps.length).toBe(5);
    const state = (await dc.customRequest('lguest/state')).body;
    expect(state).toMatchObject({ mode: 'lguest', context: 'guest' });
    const at = (await dc.customRequest('lguest/location', { address: (await registers(dc)).get('eip') })).body;
    expect(at).toMatchObject({ symbol: 'timer_tick', path: expect.stringMatching(/kernel\/sched\.c$/) });
  });

  it('pauses a Guest that spins, within a slice', async () => {
    dc = await startClient();
    await Promise.all([
      dc.initializeRequest({ adapterID: 'lguest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }),
      dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
      dc.launchRequest({ program: TOUR, cmdline: 'bench=getpid:100000000' } as DebugProtocol.LaunchRequestArguments),
    ]);
    // Let it spin in its system call loop for a while; then pause.
    await new Promise((r) => setTimeout(r, 300));
    const stopped = dc.waitForEvent('stopped', 5000);
    await dc.pauseRequest({ threadId: 1 });
    expect((await stopped).body.reason).toBe('pause');
    const first = (await dc.customRequest('lguest/state')).body.time;
    expect(first).toBeGreaterThan(0);
    // And again: it runs on from the pause, and pauses later in time.
    await dc.continueRequest({ threadId: 1 });
    await new Promise((r) => setTimeout(r, 100));
    const again = dc.waitForEvent('stopped', 5000);
    await dc.pauseRequest({ threadId: 1 });
    expect((await again).body.reason).toBe('pause');
    expect((await dc.customRequest('lguest/state')).body.time).toBeGreaterThan(first);
  }, 30_000);

  it('stops before a kill (guestKilled is on by default), then ends the session with the reason', async () => {
    dc = await startClient();
    const ev = await launchAndStop(dc, { program: join(ROOT, 'guests/lguest/faults/build/ud2.elf'), memory: 8 }, () => dc.setExceptionBreakpointsRequest({ filters: ['guestKilled'] }));
    expect(ev.body.description).toMatch(/^guest killed: unhandled trap 6 at 0x/);
    const out = dc.assertOutput('console', 'guest killed: unhandled trap 6');
    const done = dc.waitForEvent('terminated');
    await dc.continueRequest({ threadId: 1 });
    await out;
    await done;
  });

  it('says on the console when the Guest restarts', async () => {
    dc = await startClient();
    const said = dc.assertOutput('console', 'the Guest asked to restart');
    await Promise.all([
      dc.initializeRequest({ adapterID: 'lguest', pathFormat: 'path' }),
      dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
      dc.launchRequest({ program: join(ROOT, 'guests/lguest/faults/build/restart.elf'), memory: 8 } as DebugProtocol.LaunchRequestArguments),
    ]);
    await said;
    const stopped = dc.waitForEvent('stopped');
    await dc.pauseRequest({ threadId: 1 });
    await stopped;
  });

  it('refuses bad launch arguments with a clear message, and stays alive', async () => {
    dc = await startClient();
    await dc.initializeRequest({ adapterID: 'lguest', pathFormat: 'path' });
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /'program' is required/],
      [{ program: 42 }, /'program' must be a non-empty string/],
      [{ program: '/nonexistent/guest.elf' }, /cannot read program .*no such file/],
      [{ program: join(ROOT, 'README.md') }, /bad program: .*not an ELF file/],
      [{ program: TOUR, mode: 'kvm' }, /'mode' must be "lguest" or "bare"/],
      [{ program: TOUR, memory: 1 }, /'memory' must be a whole number of MiB from 2 to 2048/],
      [{ program: TOUR, memory: '64' }, /'memory' must be a whole number/],
      [{ program: TOUR, stopOnEntry: 'yes' }, /'stopOnEntry' must be true or false/],
      [{ program: TOUR, disassemblyFlavor: 'gas' }, /'disassemblyFlavor' must be "att" or "intel"/],
      [{ program: TOUR, cmdline: ['a'] }, /'cmdline' must be a string/],
      [{ program: join(ROOT, 'guests/bare/build/hello.elf'), mode: 'bare', directTraps: false }, /'directTraps' is for lguest Guests/],
    ];
    for (const [args, message] of bad) {
      const err = await dc.launchRequest(args as DebugProtocol.LaunchRequestArguments).then(() => null, (e: Error) => e);
      expect(err?.message, JSON.stringify(args)).toMatch(message);
    }
    // Still answering.
    expect((await dc.threadsRequest()).body.threads).toHaveLength(1);
  });
});

describe('the standalone adapter as a server', () => {
  it('--server=PORT takes a session per connection on 127.0.0.1', async () => {
    const { spawn } = await import('node:child_process');
    const { ADAPTER } = await import('./client');
    const { DebugClient } = await import('@vscode/debugadapter-testsupport');
    const server = spawn(process.execPath, [ADAPTER, '--server=0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let text = '';
        server.stderr!.on('data', (d: Buffer) => {
          text += d.toString();
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
          if (m) resolve(Number(m[1]));
        });
        server.on('exit', () => reject(new Error(`the server exited: ${text}`)));
      });
      const dc = new DebugClient('node', ADAPTER, 'lguest');
      await dc.start(port);
      const ev = await launchAndStop(dc, { program: TOUR, stopOnEntry: true });
      expect(ev.body.reason).toBe('entry');
      // An instruction breakpoint (the Disassembly view's gutter) at the third instruction.
      const r = await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x00100000', offset: 6 }] });
      expect(r.body.breakpoints[0]).toMatchObject({ verified: true, instructionReference: '0x00100006' });
      const stopped = dc.waitForEvent('stopped');
      await dc.continueRequest({ threadId: 1 });
      expect((await stopped).body.reason).toBe('instruction breakpoint');
      expect((await registers(dc)).get('eip')).toBe('0x00100006');
      await dc.stop();
    } finally {
      server.kill();
    }
  });
});
