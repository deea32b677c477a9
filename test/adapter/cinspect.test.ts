/**
 * C-level inspection through the protocol, on tour's real cases (issue 16):
 * the Arguments and Locals scopes from DWARF, C expressions in the frame
 * (`tf->eax`, `procs[1].pid`, `*current`, `&`, `sizeof`, casts), hovers,
 * struct children with their expressions, and setVariable on a member.
 */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { join } from 'node:path';
import { startClient, launchAndStop, registers, TOUR, TOUR_SRC } from './client';

async function cont(dc: DebugClient): Promise<DebugProtocol.StoppedEvent> {
  const s = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await dc.continueRequest({ threadId: 1 });
  return s;
}

async function scopesOf(dc: DebugClient, frame = 0): Promise<Map<string, DebugProtocol.Scope>> {
  const st = await dc.stackTraceRequest({ threadId: 1 });
  const scopes = await dc.scopesRequest({ frameId: st.body.stackFrames[frame].id });
  return new Map(scopes.body.scopes.map((s) => [s.name, s]));
}

async function variables(dc: DebugClient, ref: number): Promise<Map<string, DebugProtocol.Variable>> {
  const vars = await dc.variablesRequest({ variablesReference: ref });
  return new Map(vars.body.variables.map((v) => [v.name, v]));
}

/** A response as it came, failed or not (the client's promise keeps only a failure's message). */
function response(dc: DebugClient, command: string, args: object): Promise<DebugProtocol.Response> {
  const raw = dc as unknown as { doSend(c: string, a: object, done: (r: DebugProtocol.Response) => void): void };
  return new Promise((resolve) => raw.doSend(command, args, resolve));
}

const watch = async (dc: DebugClient, expression: string, frameId?: number) =>
  (await dc.evaluateRequest({ expression, context: 'watch', frameId })).body;

describe('C-level inspection through the adapter', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  it('at syscall_dispatch: Arguments has tf, and tf->eax is the number the process put in eax at its int $0x80', async () => {
    dc = await startClient();
    // First the system call as it leaves the process (the trap filter), with its number in eax.
    const trap = await launchAndStop(dc, { program: TOUR }, () =>
      dc.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'syscall', condition: '20' }] }));
    expect(trap.body.description).toMatch(/system call 20/);
    const nr = parseInt((await registers(dc)).get('eax')!, 16);
    expect(nr).toBe(20);
    await dc.setExceptionBreakpointsRequest({ filters: [] });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall_dispatch' }] });
    await cont(dc);

    const scopes = await scopesOf(dc);
    expect([...scopes.keys()].slice(0, 2)).toEqual(['Arguments', 'Locals']);
    const args = await variables(dc, scopes.get('Arguments')!.variablesReference);
    const tf = args.get('tf')!;
    expect(tf.type).toBe('struct trapframe *');
    expect(tf.value).toMatch(/^0x[0-9a-f]+/);
    expect(tf.evaluateName).toBe('tf');
    // A pointer to a struct expands to the struct's members, each with its expression.
    const members = await variables(dc, tf.variablesReference);
    expect(members.get('eax')!.value).toBe(String(nr));
    expect(members.get('eax')!.evaluateName).toBe('tf->eax');
    expect(members.get('eax')!.type).toBe('uint32_t');
    expect((await watch(dc, 'tf->eax')).result).toBe(String(nr));
    expect((await watch(dc, 'tf->cs & 3')).result).toBe('3'); // it came from ring 3
    const locals = await variables(dc, scopes.get('Locals')!.variablesReference);
    expect([...locals.keys()]).toEqual(expect.arrayContaining(['nr', 'ret']));
  });

  it('evaluates globals, members, subscripts, pointers, & and sizeof as C does; hovers show values', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall_dispatch' }] }));
    expect((await watch(dc, 'procs[1].pid')).result).toBe('1');
    expect((await watch(dc, 'sizeof(struct trapframe)')).result).toBe('76');
    expect((await watch(dc, 'sizeof procs / sizeof procs[0]')).result).toBe('8');
    expect((await watch(dc, '&procs[2] - &procs[0]')).result).toBe('2');
    expect((await watch(dc, '(char *)&procs[1] - (char *)procs')).result).toBe('84');
    // current points into procs: the pointer shows its symbol, and *current is the process's struct.
    const hover = (await dc.evaluateRequest({ expression: 'current', context: 'hover' })).body;
    expect(hover.type).toBe('struct proc *');
    expect(hover.result).toMatch(/^0x[0-9a-f]{8} <procs(\+0x[0-9a-f]+)?>$/);
    const star = await watch(dc, '*current');
    expect(star.type).toBe('struct proc');
    expect(star.variablesReference).toBeGreaterThan(0);
    const fields = await variables(dc, star.variablesReference);
    expect([...fields.keys()].slice(0, 3)).toEqual(['pid', 'name', 'state']);
    expect(fields.get('pid')!.value).toBe((await watch(dc, 'current->pid')).result);
    expect(fields.get('state')!.value).toBe('P_RUNNABLE');
    expect(fields.get('name')!.value).toMatch(/^0x[0-9a-f]{8} "[a-z]+"$/);
    // The old forms keep their meaning: a cast pointer reads what it points to; [e] is an untyped word.
    expect((await watch(dc, '*(u32 *)&procs[1].pid')).result).toBe('1');
    expect((await watch(dc, '[&procs[1].pid]')).result).toMatch(/^0x00000001 \(1\)$/);
    // An array pages through its elements; VS Code's hex toggle shows integers in hex.
    const procs = await watch(dc, 'procs');
    expect(procs.type).toBe('struct proc [8]');
    expect(procs.indexedVariables).toBe(8);
    const page = await dc.variablesRequest({ variablesReference: procs.variablesReference, filter: 'indexed', start: 2, count: 2 });
    expect(page.body.variables.map((v) => [v.name, v.evaluateName])).toEqual([['[2]', 'procs[2]'], ['[3]', 'procs[3]']]);
    const hexed = await dc.evaluateRequest({ expression: 'procs[1].pid + 41', context: 'watch', format: { hex: true } });
    expect(hexed.body.result).toBe('0x2a');
    // An error is an error response, with the column.
    await expect(dc.evaluateRequest({ expression: 'current->nosuch', context: 'watch' })).rejects.toThrow(/nosuch/);
  });

  it('sets a struct member through its parent in Variables, as C assigns it', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall_dispatch' }] }));
    const scopes = await scopesOf(dc);
    const tf = (await variables(dc, scopes.get('Arguments')!.variablesReference)).get('tf')!;
    const r = await dc.setVariableRequest({ variablesReference: tf.variablesReference, name: 'ebx', value: '6 * 7' });
    expect(r.body.value).toBe('42');
    expect((await watch(dc, 'tf->ebx')).result).toBe('42');
    expect((await watch(dc, '*(uint32_t *)((char *)tf + 16)')).result).toBe('42');
    expect((await watch(dc, '[(unsigned)tf + 16]')).result).toMatch(/^0x0000002a \(42\)$/); // the untyped word
  });
});

describe('what the editor asks by itself', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  it('a hover or a watch that fails is no pop-up; what the user typed in the debug console is', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall_dispatch' }] }));
    for (const context of ['hover', 'watch', 'repl']) {
      const r = await response(dc, 'evaluate', { expression: 'SYS_exit', context });
      expect(r.success, context).toBe(false);
      expect((r.body as { error: DebugProtocol.Message }).error.showUser, context).toBe(context === 'repl');
    }
    // A memory view's refused write says so in the view, not in a pop-up.
    const w = await response(dc, 'writeMemory', { memoryReference: '0xffc00000', data: Buffer.from([0x90]).toString('base64') });
    expect(w.success).toBe(false);
    expect((w.body as { error: DebugProtocol.Message }).error.showUser).toBe(false);
  });

  it('a pointer\'s memory reference is what it points to; another variable\'s, where it is', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall_dispatch' }] }));
    const current = await watch(dc, 'current');
    expect(current.memoryReference).toBe(current.result.split(' ')[0]);
    const pid = await watch(dc, 'procs[1].pid');
    expect(pid.memoryReference).toBe((await watch(dc, '&procs[1].pid')).result.split(' ')[0]);
  });

  it('a watch\'s and a hover\'s children outlive the Variables view\'s scopes requests, until the Guest runs', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall_dispatch' }] }));
    const procs = await watch(dc, 'procs');
    await scopesOf(dc);
    await scopesOf(dc);
    const page = await dc.variablesRequest({ variablesReference: procs.variablesReference, filter: 'indexed', start: 1, count: 1 });
    expect(page.body.variables.map((v) => v.name)).toEqual(['[1]']);
    await cont(dc);
    await expect(dc.variablesRequest({ variablesReference: procs.variablesReference })).rejects.toThrow(/until the Guest runs again/);
  });
});

describe('data breakpoints from the Variables view', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  it('watches a struct member where it is in memory; a variable in a register cannot be watched', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall_dispatch' }] }));
    const scopes = await scopesOf(dc);
    const tf = (await variables(dc, scopes.get('Arguments')!.variablesReference)).get('tf')!;
    const addr = Number((await watch(dc, '&tf->eax')).result.split(' ')[0]);
    const info = await dc.dataBreakpointInfoRequest({ variablesReference: tf.variablesReference, name: 'eax' });
    expect(info.body.dataId).toBe(`0x${addr.toString(16).padStart(8, '0')}/4`);
    // The system call's result goes into tf->eax at syscall_dispatch's end (syscalls.c:98).
    await dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write' }] });
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    const ev = await cont(dc);
    expect(ev.body.reason).toBe('data breakpoint');
    const top = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0];
    expect(top.name).toMatch(/^syscall_dispatch/);
    expect(top.line).toBe(99); // the closing brace, after tf->eax = ret
    // nr lives in a register here: the answer says so, with no dataId.
    const locals = (await scopesOf(dc)).get('Locals')!;
    const nr = await dc.dataBreakpointInfoRequest({ variablesReference: locals.variablesReference, name: 'nr' });
    expect(nr.body.dataId).toBeNull();
  });
});

describe('inlined functions as frames', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });
  const SYSCALLS = join(TOUR_SRC, 'kernel/syscalls.c');

  it('a breakpoint in an inlined body binds to every copy, and each stop shows the inlined calls as frames', async () => {
    dc = await startClient();
    // syscalls.c:17 is user_range_ok's body, inlined into sys_write and into sys_nanosleep, both inlined into syscall_dispatch.
    await launchAndStop(dc, { program: TOUR }, () => dc.setBreakpointsRequest({ source: { path: SYSCALLS }, breakpoints: [{ line: 17 }] }));
    const callers = new Set<string>();
    for (let stops = 0; stops < 400 && callers.size < 2; stops++) {
      if (stops > 0) await cont(dc);
      const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
      expect(frames[0].name).toBe('user_range_ok');
      expect([frames[0].source?.name, frames[0].line]).toEqual(['syscalls.c', 17]);
      expect(['sys_write', 'sys_nanosleep']).toContain(frames[1].name);
      // Each caller stands at the line of its call: sys_write's line 24, sys_nanosleep's 60; syscall_dispatch's 80 or 93.
      expect(frames[1].line).toBe(frames[1].name === 'sys_write' ? 24 : 60);
      expect(frames[2].name).toMatch(/^syscall_dispatch\+0x/);
      expect(frames[2].line).toBe(frames[1].name === 'sys_write' ? 80 : 93);
      // The inlined frame has its own arguments; they are the caller's values.
      const scopes = await dc.scopesRequest({ frameId: frames[0].id });
      const args = await variables(dc, scopes.body.scopes.find((s) => s.name === 'Arguments')!.variablesReference);
      expect([...args.keys()]).toEqual(['addr', 'len']);
      // Evaluated in the inlined frame, the names are its own: sys_nanosleep checks a struct timespec32.
      expect((await watch(dc, 'len', frames[0].id)).result).toBe(args.get('len')!.value);
      if (frames[1].name === 'sys_nanosleep') expect(args.get('len')!.value).toBe('8');
      // A user address, below the kernel's 0xc0000000.
      expect(Number(args.get('addr')!.value)).toBeLessThan(0xc0000000);
      callers.add(frames[1].name);
    }
    expect([...callers].sort()).toEqual(['sys_nanosleep', 'sys_write']);
  });

  it('a step over an inlined call does not stop inside it; a step into stops in it', async () => {
    dc = await startClient();
    // syscall_dispatch's line 93 calls sys_nanosleep (inlined), which calls user_range_ok (inlined).
    await launchAndStop(dc, { program: TOUR }, () => dc.setBreakpointsRequest({ source: { path: SYSCALLS }, breakpoints: [{ line: 93 }] }));
    const step = async (kind: 'next' | 'stepIn') => {
      const s = dc.waitForEvent('stopped');
      if (kind === 'next') await dc.nextRequest({ threadId: 1 }); else await dc.stepInRequest({ threadId: 1 });
      await s;
      return (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    };
    const into = await step('stepIn');
    expect(['sys_nanosleep', 'user_range_ok']).toContain(into[0].name);
    expect(into.map((f) => f.name)).toContainEqual(expect.stringMatching(/^syscall_dispatch/));
    // Back at line 93 (the next stop there), a step over lands on a line of syscall_dispatch itself.
    await dc.setBreakpointsRequest({ source: { path: SYSCALLS }, breakpoints: [{ line: 93 }] });
    await cont(dc);
    const over = await step('next');
    expect(over[0].name).toMatch(/^syscall_dispatch/);
    expect(over[0].line).toBeGreaterThan(93);
  });

  it('a step out of an inlined frame stops in its caller, right after the inlined call\'s code', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR }, () => dc.setBreakpointsRequest({ source: { path: SYSCALLS }, breakpoints: [{ line: 17 }] }));
    let frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    // The first stop is in the copy sys_write inlines (a process's first system call is a write).
    expect(frames.slice(0, 2).map((f) => f.name)).toEqual(['user_range_ok', 'sys_write']);
    await dc.setBreakpointsRequest({ source: { path: SYSCALLS }, breakpoints: [] });
    const s = dc.waitForEvent('stopped');
    await dc.stepOutRequest({ threadId: 1 });
    await s;
    frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    expect(frames[0].name).toBe('sys_write');
    expect(frames[0].line).toBeGreaterThan(17);
    expect(frames[0].line).toBeLessThan(31); // sys_write's body
  });
});
