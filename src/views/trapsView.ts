/** The trap log: the most recent traps, newest first, with what the Host did; selecting one shows its code. */
import * as vscode from 'vscode';
import { LguestView, Node, ask } from './common';
import type { TrapsBody } from '../debugAdapter/lguestRequests';


const ICONS: Record<string, string> = {
  fixed: 'check', emulated: 'gear', reflected: 'reply', hypercall: 'call-outgoing', 'host-interrupt': 'clock',
  killed: 'error', direct: 'arrow-right',
};

export class TrapsView extends LguestView {
  protected async roots(): Promise<Node[]> {
    const r = await ask<TrapsBody>('lguest/traps', { count: 200 });
    if (!r) return [];
    return r.traps.reverse().map((t) => {
      const n = new Node(`trap ${t.trap}  ${t.name}`);
      const detail = t.trap === 14 ? `  cr2 ${t.cr2}` : Number(t.errcode) !== 0 ? `  error ${t.errcode}` : '';
      n.description = `${t.action}  at ${t.symbol ?? t.eip}${detail}  ${t.time} ns`;
      n.tooltip = `${t.text}\nat ${t.time} ns of virtual time${t.trap === 14 ? '' : `, error code ${t.errcode}`}`;
      n.iconPath = new vscode.ThemeIcon(ICONS[t.action] ?? 'circle-outline');
      n.command = { command: 'lguest.revealTrap', title: 'Show Trap Location', arguments: [t.eip] };
      return n;
    });
  }
}
