/**
 * C-level inspection through the protocol, on tour's real cases (issue 16):
 * the Arguments and Locals scopes from DWARF, C expressions in the frame
 * (`tf->eax`, `procs[1].pid`, `*current`, `&`, `sizeof`, casts), hovers,
 * struct children with their expressions, and setVariable on a member.
 */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { startClient, launchAndStop, registers, TOUR } from './client';

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
