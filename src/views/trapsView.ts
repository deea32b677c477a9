/**
 * The trap log: the most recent traps, newest first, with what the Host did; selecting one shows its code. A filter
 * (lguest.filterTraps) keeps the traps of some numbers or Host actions, and the view says so. The bare machine has no
 * Host, so no log: the view says that instead.
 */
import * as vscode from 'vscode';
import { LguestView, Node, ask, sessionMode } from './common';
import { TrapFilter, matchesTrapFilter, describeTrapFilter } from './trapFilter';
import type { TrapsBody } from '../debugAdapter/lguestRequests';

const ICONS: Record<string, string> = {
  fixed: 'check', emulated: 'gear', reflected: 'reply', hypercall: 'call-outgoing', 'host-interrupt': 'clock',
  killed: 'error', direct: 'arrow-right',
};
const COUNT = 200;

export class TrapsView extends LguestView {
  /** What is shown; null: every trap. */
  filter: TrapFilter | null = null;

  setFilter(f: TrapFilter | null): void {
    this.filter = f;
    this.refresh();
  }

  protected async roots(): Promise<Node[]> {
    if ((await sessionMode()) === 'bare') {
      this.say('A bare machine has no Host: no trap log, and no Host actions. Exceptions go straight to the '
        + "program's handlers (the IDT view shows them).", 'bare machine');
      return [];
    }
    const r = await ask<TrapsBody>('lguest/traps', { count: COUNT });
    if (!r) return [];
    const f = this.filter;
    const shown = f ? r.traps.filter((t) => matchesTrapFilter(f, t.trap, t.action)) : r.traps;
    // The filter in the title bar's description, and how much it keeps in the message.
    this.say(
      f ? `Filtered to ${describeTrapFilter(f)}: ${shown.length} of the ${r.traps.length} most recent traps.` : undefined,
      f ? `filtered: ${describeTrapFilter(f)}` : undefined,
    );
    return shown.reverse().map((t) => {
      const n = new Node(`trap ${t.trap}  ${t.name}`);
      const detail = t.trap === 14 ? `  cr2 ${t.cr2}` : Number(t.errcode) !== 0 ? `  error ${t.errcode}` : '';
      n.description = `${t.action}  at ${t.symbol ?? t.eip}${detail}  ${t.time} ns`;
      n.tooltip = `${t.text}\nat ${t.time} ns of virtual time${t.trap === 14 ? '' : `, error code ${t.errcode}`}`;
      n.iconPath = new vscode.ThemeIcon(ICONS[t.action] ?? 'circle-outline');
      n.command = { command: 'lguest.revealTrap', title: 'Show Code', arguments: [t.eip] };
      // Its menu: its code, a trap breakpoint on its number, a filter to its kind.
      n.contextValue = 'trap';
      n.arg = { vector: t.trap, eip: t.eip, action: t.action };
      return n;
    });
  }
}
