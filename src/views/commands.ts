/**
 * The commands of the lguest views, for every place they are run from: the palette (no argument), a view's title
 * bar (the focused tree item, or a context object of VS Code's), a context menu (its tree item), a click on a
 * tree item and other code (a string or a number). `commandArg` tells these apart; a tree item gives what it
 * means (a gate's vector, a trap's number, an entry's address), and nothing usable makes the command ask.
 */
import * as vscode from 'vscode';
import { activeLguestSession, commandArg } from './common';
import { parseTrapFilter, ACTIONS } from './trapFilter';
import type { PageTablesView } from './pageTablesView';
import type { TrapsView } from './trapsView';
import type { TranslateBody, LocationBody, AddressArgs } from '../debugAdapter/lguestRequests';

const VECTORS = /^\s*(0x[0-9a-f]+|\d+)(\s*-\s*(0x[0-9a-f]+|\d+))?(\s*,\s*(0x[0-9a-f]+|\d+)(\s*-\s*(0x[0-9a-f]+|\d+))?)*\s*$/i;

/** lguest.addTrapBreakpoint: on a gate's or a trap's vector, on the vectors given, or on those the user types. */
export async function addTrapBreakpoint(arg?: unknown): Promise<vscode.FunctionBreakpoint | undefined> {
  const { node, text } = commandArg(arg);
  const given = node?.arg?.vector !== undefined ? String(node.arg.vector) : text;
  const value = given !== undefined && VECTORS.test(given) ? given : await vscode.window.showInputBox({
    title: 'Add a trap breakpoint',
    prompt: 'Trap vectors: numbers or ranges, decimal or 0x-hex (14 = page fault, 13 = #GP, 0x80 = system call)',
    placeHolder: '14',
    value: given,
    validateInput: (s) => (VECTORS.test(s) ? undefined : 'numbers or ranges, such as 14 or 13,14,0x20-0x2f'),
  });
  if (!value) return undefined;
  const bp = new vscode.FunctionBreakpoint(`trap ${value.trim()}`);
  vscode.debug.addBreakpoints([bp]);
  return bp;
}

/** The faulting address of the last page fault, as the CPU (or, stopped in the Host, the Switcher) kept it. */
async function cr2(session: vscode.DebugSession): Promise<string | undefined> {
  const r = await Promise.resolve(session.customRequest('evaluate', { expression: '$cr2', context: 'watch' }))
    .catch(() => undefined);
  return /0x[0-9a-f]+/i.exec(String(r?.result ?? ''))?.[0];
}

/**
 * lguest.translate: an address (given, a page table entry's, or typed: the box starts at CR2, the address the
 * last page fault was about) through the Guest's tables and the shadow. The whole walk shows at the top of the
 * page tables view, the entries it went through revealed; an error is a notification.
 */
export async function translate(arg: unknown, pagetables: PageTablesView): Promise<TranslateBody | undefined> {
  const session = activeLguestSession();
  if (!session) {
    void vscode.window.showWarningMessage('No lguest debug session is stopped.');
    return undefined;
  }
  const { node, text } = commandArg(arg);
  const address = node?.arg?.address ?? text ?? await vscode.window.showInputBox({
    title: 'Translate an address', prompt: 'A Guest-virtual address (hex); CR2 to begin with', placeHolder: '0xc0100000',
    value: await cr2(session),
  });
  if (!address) return undefined;
  try {
    const r: TranslateBody = await session.customRequest(
      'lguest/translate', { address: address.trim() } satisfies AddressArgs,
    );
    await vscode.commands.executeCommand('lguest.pagetables.focus');
    await pagetables.reveal(Number(r.address));
    return r;
  } catch (e) {
    void vscode.window.showErrorMessage(`Cannot translate ${address}: ${(e as Error).message}`);
    return undefined;
  }
}

/** lguest.revealTrap: the code at an address (a trap's, a gate handler's): its source line, else the Disassembly view. */
export async function revealCode(arg?: unknown): Promise<LocationBody | null | undefined> {
  const session = activeLguestSession();
  const { node, text } = commandArg(arg);
  const eip = node?.arg?.eip ?? text;
  if (!session || eip === undefined) return undefined;
  const ask = session.customRequest('lguest/location', { address: eip } satisfies AddressArgs);
  const loc: LocationBody | null = await Promise.resolve(ask).catch(() => null);
  if (loc?.path) {
    const line = Math.max(0, (loc.line ?? 1) - 1);
    await vscode.window.showTextDocument(vscode.Uri.file(loc.path), {
      selection: new vscode.Range(line, 0, line, 0), preview: true,
    });
  } else {
    await vscode.commands.executeCommand('debug.action.openDisassemblyView');
  }
  return loc;
}

/**
 * lguest.filterTraps: keep the traps of some numbers and Host actions (a trap item: its number and action; a
 * string: that filter; else typed, starting from the current one). An empty line shows every trap again.
 */
export async function filterTraps(arg: unknown, traps: TrapsView): Promise<string | undefined> {
  const { node, text } = commandArg(arg);
  const line = node?.arg?.vector !== undefined ? `${node.arg.vector} ${node.arg.action ?? ''}` : text ?? await vscode.window.showInputBox({
    title: 'Filter the traps',
    prompt: `Trap numbers or ranges and Host actions (${ACTIONS.join(', ')}), such as "14 fixed" or "13,14"; `
      + 'empty shows every trap',
    placeHolder: '14 reflected',
    value: traps.filter?.text ?? '',
    validateInput: (s) => { const f = parseTrapFilter(s); return typeof f === 'string' ? f : undefined; },
  });
  if (line === undefined) return undefined; // Escape: the filter stays as it was
  const f = parseTrapFilter(line);
  if (typeof f === 'string') {
    void vscode.window.showErrorMessage(`Cannot filter the traps: ${f}`);
    return undefined;
  }
  traps.setFilter(f);
  return f?.text ?? '';
}
