/** A real DAP client (@vscode/debugadapter-testsupport) on the built standalone adapter, dist/debugAdapter.js. */
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../..');
export const ADAPTER = join(ROOT, 'dist/debugAdapter.js');
export const TOUR = join(ROOT, 'guests/lguest/tour/build/tour.elf');
export const TOUR_SRC = join(ROOT, 'guests/lguest/tour');

export async function startClient(): Promise<DebugClient> {
  const dc = new DebugClient('node', ADAPTER, 'lguest');
  dc.defaultTimeout = 20_000;
  await dc.start();
  return dc;
}

/** Launch with `args` after setting breakpoints in `configure`; resolves at the first stop. */
export async function launchAndStop(dc: DebugClient, args: Record<string, unknown>, configure: () => Promise<unknown> = async () => {}): Promise<DebugProtocol.StoppedEvent> {
  const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await Promise.all([
    dc.initializeRequest({ adapterID: 'lguest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }),
    dc.waitForEvent('initialized').then(async () => { await configure(); await dc.configurationDoneRequest(); }),
    dc.launchRequest(args as DebugProtocol.LaunchRequestArguments),
  ]);
  return stopped;
}

export async function topFrame(dc: DebugClient): Promise<DebugProtocol.StackFrame> {
  const st = await dc.stackTraceRequest({ threadId: 1 });
  return st.body.stackFrames[0];
}

export async function registers(dc: DebugClient): Promise<Map<string, string>> {
  const st = await dc.stackTraceRequest({ threadId: 1 });
  const scopes = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
  const regs = scopes.body.scopes.find((s) => s.name === 'Registers')!;
  const vars = await dc.variablesRequest({ variablesReference: regs.variablesReference });
  return new Map(vars.body.variables.map((v) => [v.name, v.value]));
}
