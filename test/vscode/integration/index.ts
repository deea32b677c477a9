/**
 * Integration tests that run inside VS Code's extension host (code-server's), with the real
 * `vscode` API, the extension installed from the .vsix and the tour workspace open. The workbench
 * loads this module (bundled by run.sh) and calls run(): resolving passes, rejecting fails.
 *
 * The steps share one debug session, in order: launch "lguest: tour" from launch.json, stop on
 * entry, a trap breakpoint on 14 (the first page fault, in linear boot mode), a function breakpoint
 * on timer_tick (the kernel is up), trap 14 again (a page fault with the Guest's page tables, its
 * IDT and a trap log), the views, the commands, custom requests, evaluate, a function breakpoint on
 * syscall_dispatch (the C scopes, C expressions in the focused frame), terminate. Then F5
 * without a configuration (the configuration provider). After a failed step the rest are skipped.
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LguestApi } from '../../../src/extension';

const EXTENSION_ID = 'lguest-debug.lguest-debug';
// Generous: the machine may be busy. Nothing here measures time.
const WAIT_MS = 60_000;

type Message = { type: string; seq: number; event?: string; command?: string; arguments?: any; body?: any; success?: boolean; request_seq?: number };

/** Every message between VS Code and the lguest adapters, and waits for the next one that matches. */
class Traffic {
  private waiters: { match: (m: Message, s: vscode.DebugSession) => boolean; resolve: (m: Message) => void }[] = [];
  readonly disposable: vscode.Disposable;

  constructor() {
    const see = (s: vscode.DebugSession, m: Message) => {
      for (const w of [...this.waiters]) if (w.match(m, s)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(m); }
    };
    this.disposable = vscode.debug.registerDebugAdapterTrackerFactory('lguest', {
      createDebugAdapterTracker: (s) => ({ onDidSendMessage: (m: Message) => see(s, m), onWillReceiveMessage: (m: Message) => see(s, m) }),
    });
  }

  /** The next message that matches; ask before doing what sends it. */
  next(what: string, match: (m: Message, s: vscode.DebugSession) => boolean, ms = WAIT_MS): Promise<Message> {
    return timeout(new Promise<Message>((resolve) => this.waiters.push({ match, resolve })), ms, what);
  }

  /**
   * The next stop, once the workbench has fetched its call stack (its stackTrace request after the
   * stopped event), so that commands acting on the focused thread see it stopped.
   */
  async stopped(ms = WAIT_MS): Promise<Message> {
    const ev = await this.next('a stopped event', (m) => m.type === 'event' && m.event === 'stopped', ms);
    await this.next('the workbench to fetch the call stack', (m) => m.type === 'response' && m.command === 'stackTrace', ms);
    return ev;
  }
}

function timeout<T>(p: Thenable<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    Promise.resolve(p).finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]);
}

/** Polls until `check` returns something truthy (for state VS Code updates on its own time). */
async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = WAIT_MS): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const label = (n: vscode.TreeItem) => (typeof n.label === 'string' ? n.label : n.label?.label ?? '');
const describe = (nodes: vscode.TreeItem[]) => nodes.map((n) => `${label(n)} | ${n.description ?? ''}`).join('\n  ');
const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

// ---- the steps ----------------------------------------------------------------------------------

let api: LguestApi;
let traffic: Traffic;
let session: vscode.DebugSession | undefined;
let faultAddress = 0;

const steps: [string, () => Promise<void>][] = [];
const step = (name: string, fn: () => Promise<void>) => steps.push([name, fn]);

async function topFrame(): Promise<{ id: number; name: string; source?: { path?: string } }> {
  const st = await session!.customRequest('stackTrace', { threadId: 1, startFrame: 0, levels: 1 });
  return st.stackFrames[0];
}

async function evaluate(expression: string): Promise<string> {
  const r = await session!.customRequest('evaluate', { expression, context: 'watch', frameId: (await topFrame()).id });
  return String(r.result);
}

/** F5 while stopped: the workbench's own Continue (on the focused thread), to the next stop. */
async function continueTo(): Promise<Message> {
  const stopped = traffic.stopped();
  await vscode.commands.executeCommand('workbench.action.debug.continue');
  return stopped;
}

/**
 * Changes breakpoints; resolves with the adapter's answer to the setFunctionBreakpoints request
 * that names exactly `expect` (VS Code may send one request per change).
 */
async function setFunctionBreakpoints(change: () => unknown, expect: string[]): Promise<{ verified: boolean; message?: string }[]> {
  const names = (m: Message) => (m.arguments?.breakpoints ?? []).map((b: { name: string }) => b.name).sort().join('\n');
  const request = traffic.next(`setFunctionBreakpoints [${expect}]`,
    (m) => m.type === 'request' && m.command === 'setFunctionBreakpoints' && names(m) === [...expect].sort().join('\n'));
  await change();
  const { seq } = await request;
  const response = await traffic.next('the setFunctionBreakpoints response', (m) => m.type === 'response' && m.request_seq === seq);
  return response.body.breakpoints;
}

step('the extension activates and exports its views, empty without a session', async () => {
  const ext = vscode.extensions.getExtension<LguestApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not installed`);
  api = await ext.activate();
  for (const name of ['gdt', 'idt', 'pagetables', 'traps'] as const) {
    assert.ok(api.views[name], `views.${name}`);
    assert.deepEqual(await api.views[name].getChildren(), [], `views.${name} without a session`);
  }
  vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
});

step('"lguest: tour" from launch.json stops on entry', async () => {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder');
  const stopped = traffic.stopped();
  assert.equal(await vscode.debug.startDebugging(folder, 'lguest: tour'), true, 'startDebugging returned false');
  const ev = await stopped;
  assert.equal(ev.body.reason, 'entry');
  session = vscode.debug.activeDebugSession;
  assert.equal(session?.type, 'lguest');
  assert.equal(session?.name, 'lguest: tour');
  assert.equal(session?.configuration.program, path.join(folder.uri.fsPath, 'build/tour.elf'));
  // The workbench focuses the stopped thread (and its top frame, which has a source).
  const item = await until('the stopped thread in activeStackItem', () => vscode.debug.activeStackItem);
  assert.equal(item.session.id, session!.id);
  // Linear boot mode: the Guest runs _start at its load address, named and placed by its link address.
  const top = await topFrame();
  assert.equal(top.name, '_start');
  assert.match(top.source?.path ?? '', /kernel\/entry\.S$/);
});

step('at entry: the GDT view has the Host\'s slots 10 and 11, lguest/state and evaluate answer', async () => {
  const gdt = await api.views.gdt.getChildren();
  const slot = (i: number) => gdt.find((n) => label(n).startsWith(`${i} `));
  for (const i of [10, 11]) assert.match(String(slot(i)?.description), /\(Host\)$/, `GDT[${i}] in\n  ${describe(gdt)}`);
  const state = await session!.customRequest('lguest/state');
  assert.equal(state.mode, 'lguest');
  assert.equal(state.eip, '0x00100000');
  assert.equal(state.dead, null);
  assert.match(await evaluate('eip'), /^0x00100000\b/);
});

step('lguest.addTrapBreakpoint 14 returns the FunctionBreakpoint "trap 14", which the adapter accepts', async () => {
  let bp: vscode.FunctionBreakpoint | undefined;
  const answer = await setFunctionBreakpoints(async () => {
    bp = await vscode.commands.executeCommand<vscode.FunctionBreakpoint>('lguest.addTrapBreakpoint', 14);
  }, ['trap 14']);
  assert.ok(bp instanceof vscode.FunctionBreakpoint, `returned ${bp}`);
  assert.equal(bp.functionName, 'trap 14');
  assert.ok(vscode.debug.breakpoints.includes(bp));
  assert.deepEqual(answer.map((b) => b.verified), [true], JSON.stringify(answer));
});

step('continue: the first page fault (linear boot mode) stops in the Host; GDT slots 12 and 13 are the Guest\'s', async () => {
  const ev = await continueTo();
  assert.equal(ev.body.reason, 'exception');
  assert.match(ev.body.description, /^trap 14: page fault at 0x00100000 \(read, kernel, not present\)/);
  assert.match((await topFrame()).name, /^\[Host\] trap 14 \(page fault/);
  const gdt = await api.views.gdt.getChildren();
  for (const i of [12, 13]) {
    const n = gdt.find((x) => label(x).startsWith(`${i} `));
    assert.ok(n && !String(n.description).includes('(Host)'), `GDT[${i}] in\n  ${describe(gdt)}`);
  }
  const pt = await api.views.pagetables.getChildren();
  const active = pt.find((n) => label(n).endsWith('(active)'));
  assert.ok(active, `no active slot in\n  ${describe(pt)}`);
  assert.equal(active.description, 'linear boot mode');
  assert.equal(active.collapsibleState, vscode.TreeItemCollapsibleState.Expanded);
  const dir = await api.views.pagetables.getChildren(active);
  assert.ok(dir.some((n) => String(n.description).includes('Switcher')), `directory:\n  ${describe(dir)}`);
});

step('timer_tick, then trap 14 again: a page fault under the Guest\'s own page tables', async () => {
  const [trap] = vscode.debug.breakpoints;
  const tick = new vscode.FunctionBreakpoint('timer_tick');
  const r = await setFunctionBreakpoints(() => { vscode.debug.removeBreakpoints([trap]); vscode.debug.addBreakpoints([tick]); }, ['timer_tick']);
  assert.deepEqual(r.map((b) => b.verified), [true], JSON.stringify(r));
  const atTick = await continueTo();
  assert.equal(atTick.body.reason, 'function breakpoint');
  const top = await topFrame();
  assert.match(top.name, /^timer_tick/);
  assert.match(top.source?.path ?? '', /kernel\/sched\.c$/);
  // This frame has a source line: the workbench focuses it.
  const item = await until('the focused frame', () => vscode.debug.activeStackItem instanceof vscode.DebugStackFrame ? vscode.debug.activeStackItem : undefined);
  assert.equal(item.session.id, session!.id);

  await setFunctionBreakpoints(() => vscode.commands.executeCommand('lguest.addTrapBreakpoint', '14'), ['timer_tick', 'trap 14']);
  await setFunctionBreakpoints(() => vscode.debug.removeBreakpoints([tick]), ['trap 14']);
  const ev = await continueTo();
  assert.equal(ev.body.reason, 'exception');
  const m = /^trap 14: page fault at (0x[0-9a-f]{8})/.exec(ev.body.description);
  assert.ok(m, ev.body.description);
  faultAddress = Number(m[1]);
  assert.match(await evaluate('cr2'), new RegExp(`^${m[1]}\\b`));
});

step('the IDT view shows vector 128 going straight to the Guest\'s system_call', async () => {
  const idt = await api.views.idt.getChildren();
  const n = idt.find((x) => /^128\s+0x80\s/.test(label(x)));
  assert.ok(n, `no vector 128 in\n  ${describe(idt)}`);
  assert.match(String(n.description), /^direct\s+→ system_call\b/);
  const pf = idt.find((x) => /^\s*14\s+0x0e\s/.test(label(x)));
  assert.match(String(pf?.description), /^via the Host\s+→ page_fault\b/, describe(idt));
  // The vectors the Guest has no handler for are all there too, under one node: 256 gates in all.
  const others = idt[idt.length - 1];
  const m = /^(\d+) other vectors$/.exec(label(others));
  assert.ok(m, describe(idt));
  const rest = await api.views.idt.getChildren(others);
  assert.equal(rest.length, Number(m[1]));
  assert.equal(idt.length - 1 + rest.length, 256);
  assert.ok(rest.every((x) => /^via the Host/.test(String(x.description))), describe(rest.slice(0, 5)));
});

step('the page table view: the active slot, down to the faulting address\'s entry, Guest beside shadow', async () => {
  const slots = await api.views.pagetables.getChildren();
  const active = slots.find((n) => label(n).endsWith('(active)'));
  assert.ok(active, describe(slots));
  assert.match(String(active.description), /^shadows 0x[0-9a-f]{8}$/);
  const dir = await api.views.pagetables.getChildren(active);
  const from = hex(faultAddress & 0xffc00000);
  const de = dir.find((n) => label(n).startsWith(`${from}-`));
  assert.ok(de, `no directory entry ${from} in\n  ${describe(dir)}`);
  assert.match(String(de.description), /^Guest 0x[0-9a-f]{8}\s+shadow 0x[0-9a-f]{8}$/);
  assert.notEqual(de.collapsibleState, vscode.TreeItemCollapsibleState.None);
  const table = await api.views.pagetables.getChildren(de);
  const page = hex(faultAddress & ~0xfff);
  const pte = table.find((n) => label(n) === page);
  assert.ok(pte, `no entry ${page} among ${table.length}`);
  // The Guest has it mapped; the shadow gets it when the Host handles this very fault.
  assert.match(String(pte.description), /^Guest 0x[0-9a-f]{8} P .*\|\s+shadow -\s+\(not yet faulted in\)$/);
});

step('the traps view lists the page faults the Host fixed, newest first', async () => {
  const traps = await api.views.traps.getChildren();
  assert.ok(traps.length > 0, 'empty');
  const pf = traps.filter((n) => /^trap 14\s+page fault/.test(label(n)));
  assert.ok(pf.length > 0, describe(traps.slice(0, 20)));
  assert.match(String(pf[0].description), /^fixed\s+at .*cr2 0x[0-9a-f]{8}/);
  assert.equal(pf[0].command?.command, 'lguest.revealTrap');
  // Selecting it shows its code: tour's C (kernel or a program), so the source line.
  const loc = await vscode.commands.executeCommand<any>(pf[0].command!.command, ...(pf[0].command!.arguments ?? []));
  assert.match(String(loc?.path), /tour\/(kernel|user)\/\w+\.c$/, JSON.stringify(loc));
  assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, loc.path);
});

step('lguest.translate 0xc0100000: Guest-physical 0x00100000, and the page table view shows it', async () => {
  const r = await vscode.commands.executeCommand<any>('lguest.translate', '0xc0100000');
  assert.ok(r, 'no result');
  assert.equal(r.address, '0xc0100000');
  assert.equal(r.symbol, '_start');
  assert.equal(r.guest.physical, '0x00100000');
  // The shadow of this process's directory may not have it yet: filled on the first fault.
  assert.ok(r.shadow.physical === '0x00100000' || (r.shadow.physical === null && /not/.test(r.note)), JSON.stringify(r));
  const active = (await api.views.pagetables.getChildren()).find((n) => label(n).endsWith('(active)'))!;
  const de = (await api.views.pagetables.getChildren(active)).find((n) => label(n).startsWith('0xc0000000-'));
  assert.equal(de?.collapsibleState, vscode.TreeItemCollapsibleState.Expanded, 'the directory entry of 0xc0100000 is expanded');
  const pte = (await api.views.pagetables.getChildren(de)).find((n) => label(n) === '0xc0100000');
  assert.equal((pte?.iconPath as vscode.ThemeIcon | undefined)?.id, 'target', 'the entry of 0xc0100000 is marked');
});

step('lguest/state, evaluate and the Guest console', async () => {
  const state = await session!.customRequest('lguest/state');
  assert.equal(state.mode, 'lguest');
  assert.equal(state.context, 'host');
  assert.equal(state.dead, null);
  assert.ok(state.stats.exits['14'] > 0, JSON.stringify(state.stats));
  assert.ok(state.lguestData, 'lguest_data is registered');
  assert.match(await evaluate('_start'), /^0xc0100000\b/);
  assert.match(await evaluate('cr2 == ' + hex(faultAddress)), /^0x00000001\b|^1\b/);
  const word = await evaluate('*(u32 *)0xc0100000');
  assert.match(word, /^0x[0-9a-f]{8}\b/);
  // The Guest's printk output, in the console terminal the extension opened for it.
  const term = vscode.window.terminals.find((t) => t.name === 'Guest console: lguest: tour');
  assert.ok(term, `terminals: ${vscode.window.terminals.map((t) => t.name).join(', ')}`);
  // What is typed there goes to the session as lguest/input (sendText is typing, for a pseudoterminal), taken at
  // a stop too: tour reads no input, so it waits in the Host; an error would have popped up a notification.
  let seq = -1;
  const asked = traffic.next('lguest/input from the terminal', (m, x) => {
    if (m.type !== 'request' || m.command !== 'lguest/input' || m.arguments?.text !== 'ls\r' || x.id !== session!.id) return false;
    seq = m.seq;
    return true;
  });
  const answered = traffic.next('its response', (m) => m.type === 'response' && m.command === 'lguest/input' && m.request_seq === seq);
  term.sendText('ls\r', false);
  await asked;
  const response = await answered;
  assert.equal(response.success, true, JSON.stringify(response));
});

step('syscall_dispatch: Arguments and Locals first, Globals last; C expressions in the frame the workbench focused', async () => {
  const [trap] = vscode.debug.breakpoints;
  const r = await setFunctionBreakpoints(() => {
    vscode.debug.removeBreakpoints([trap]);
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('syscall_dispatch')]);
  }, ['syscall_dispatch']);
  assert.deepEqual(r.map((b) => b.verified), [true], JSON.stringify(r));
  // Let the workbench's own scopes request (its Variables view) come first, so that what follows runs
  // at the stop as the user sees it (references now last until the Guest runs again, whatever comes).
  const workbenchScopes = traffic.next('the workbench\'s scopes request (its Variables view)', (m) => m.type === 'response' && m.command === 'scopes');
  assert.equal((await continueTo()).body.reason, 'function breakpoint');
  await workbenchScopes;
  const top = await topFrame();
  assert.match(top.name, /^syscall_dispatch/);
  assert.match(top.source?.path ?? '', /kernel\/syscalls\.c$/);
  // The frame watches and hovers are evaluated in: the one the workbench focuses, the kernel's C (the
  // focus moves there from the last stop's Guest frame, under the Host's, on its own time).
  const item = await until('the workbench to focus syscall_dispatch\'s frame', () => {
    const x = vscode.debug.activeStackItem;
    return x instanceof vscode.DebugStackFrame && x.frameId === top.id ? x : undefined;
  });

  const { scopes } = await session!.customRequest('scopes', { frameId: item.frameId });
  const names: string[] = scopes.map((s: { name: string }) => s.name);
  assert.deepEqual(names.slice(0, 2), ['Arguments', 'Locals'], names.join(', '));
  assert.ok(names.indexOf('Registers') > 1 && names.at(-1) === 'Globals', names.join(', '));
  assert.equal(scopes.at(-1).expensive, true, 'Globals starts closed');
  const children = async (ref: number) =>
    new Map<string, any>((await session!.customRequest('variables', { variablesReference: ref })).variables.map((v: any) => [v.name, v]));
  const tf = (await children(scopes[0].variablesReference)).get('tf');
  assert.equal(tf?.type, 'struct trapframe *');
  assert.match(tf.value, /^0x[0-9a-f]{8}\b/);
  // The pointer expands straight to the trap frame's members, each with the expression that names it.
  const eax = (await children(tf.variablesReference)).get('eax');
  assert.match(eax?.value, /^\d+$/);
  assert.equal(eax.evaluateName, 'tf->eax');
  const watch = async (expression: string) =>
    String((await session!.customRequest('evaluate', { expression, context: 'watch', frameId: item.frameId })).result);
  assert.equal(await watch(eax.evaluateName), eax.value);
  // procs[0] is the idle process (pid 0); the first spawn took the next free slot with pid 1.
  assert.equal(await watch('procs[1].pid'), '1');
  assert.equal(await watch('current->pid'), await watch('(*current).pid'));
});

step('terminating ends the session, and the views empty', async () => {
  const s = session!;
  const ended = timeout(new Promise<void>((resolve) => {
    const d = vscode.debug.onDidTerminateDebugSession((x) => { if (x.id === s.id) { d.dispose(); resolve(); } });
  }), WAIT_MS, 'the session to end');
  const disconnected = traffic.next('the disconnect response', (m) => m.type === 'response' && m.command === 'disconnect');
  await vscode.debug.stopDebugging(s);
  assert.equal((await disconnected).success, true);
  await ended;
  session = undefined;
  await until('no active session', () => vscode.debug.activeDebugSession === undefined);
  assert.deepEqual(await api.views.gdt.getChildren(), []);
  vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
});

step('F5 without a configuration: the provider launches the sample tour, stopped on entry', async () => {
  // What F5 does with no launch.json: an empty configuration, the debugger guessed from the active
  // editor's language (C here), and the provider fills it in.
  const folder = vscode.workspace.workspaceFolders![0];
  await vscode.window.showTextDocument(vscode.Uri.joinPath(folder.uri, 'kernel/main.c'));
  const stopped = traffic.stopped();
  assert.equal(await vscode.debug.startDebugging(undefined, {} as vscode.DebugConfiguration), true);
  const ev = await stopped;
  assert.equal(ev.body.reason, 'entry');
  const s = vscode.debug.activeDebugSession!;
  assert.equal(s.type, 'lguest');
  assert.equal(s.name, 'lguest: tour.elf');
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  assert.equal(s.configuration.program, path.join(ext.extensionPath, 'guests/lguest/tour/build/tour.elf'));
  const ended = new Promise<void>((resolve) => {
    const d = vscode.debug.onDidTerminateDebugSession((x) => { if (x.id === s.id) { d.dispose(); resolve(); } });
  });
  await vscode.debug.stopDebugging(s);
  await timeout(ended, WAIT_MS, 'the session to end');
});

// ---- the runner ---------------------------------------------------------------------------------

export async function run(): Promise<void> {
  traffic = new Traffic();
  let passed = 0, failed = 0, skipped = 0;
  for (const [name, fn] of steps) {
    if (failed) { skipped++; console.log(`# skip - ${name}`); continue; }
    const t = Date.now();
    try {
      await fn();
      passed++;
      console.log(`ok - ${name} (${Date.now() - t} ms)`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${name}\n${(e as Error)?.stack ?? e}`);
    }
  }
  if (session) await vscode.debug.stopDebugging(session).then(undefined, () => {});
  traffic.disposable.dispose();
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  if (failed) throw new Error(`${failed} failed`);
}
