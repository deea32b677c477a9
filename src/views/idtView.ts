/**
 * The IDT: each gate the Guest has a handler for (and the Host's own), whether it goes straight to the Guest or exits
 * to the Host. A click on a gate shows its handler's code. On the bare machine: the CPU's IDT, every gate the program's.
 */
import * as vscode from 'vscode';
import { LguestView, Node, ask, sessionMode } from './common';
import type { IdtBody, IdtGateJson as Gate } from '../debugAdapter/lguestRequests';


export class IdtView extends LguestView {
  private bare = false;

  protected async roots(): Promise<Node[]> {
    const [r, mode] = await Promise.all([ask<IdtBody>('lguest/idt'), sessionMode()]);
    if (!r) return [];
    this.bare = mode === 'bare';
    this.say(undefined, this.bare ? "the CPU's (bare machine)" : undefined);
    // Every vector exits to the Host by default: the ones that say something first (the Guest's handlers,
    // the hypercall), then the rest under one node.
    const shown = (g: Gate) => g.guestHandler !== null || g.vector === 0x1f;
    const rest = r.gates.filter((g) => !shown(g));
    const nodes = r.gates.filter(shown).map((g) => this.gate(g));
    if (rest.length > 0) {
      const others = new Node(
        `${rest.length} other vectors`, vscode.TreeItemCollapsibleState.Collapsed,
        async () => rest.map((g) => this.gate(g)),
      );
      others.description = 'no Guest handler: to the Host';
      others.iconPath = new vscode.ThemeIcon('list-unordered');
      nodes.push(others);
    }
    return nodes;
  }

  private gate(g: Gate): Node {
    const n = new Node(`${g.vector.toString().padStart(3)}  0x${g.vector.toString(16).padStart(2, '0')}  ${g.name}`);
    const h = g.guestHandler;
    const route = this.bare ? '' : g.direct ? 'direct  ' : 'via the Host  ';
    n.description = `${route}${h ? `→ ${h.symbol ?? h.target}  ` : ''}${g.type} DPL ${g.dpl}`;
    n.tooltip = new vscode.MarkdownString([
      `**Vector ${g.vector}** (${g.name}): ${g.route}.`,
      `Real gate: ${g.type} gate, DPL ${g.dpl}, ${g.selector}:${g.target}.`,
      h ? `The Guest's handler: ${h.symbol ? `\`${h.symbol}\` at ` : ''}${h.target}, ${h.type} gate, DPL ${h.dpl}.`
        : 'The Guest has no handler.',
    ].join('\n\n'));
    n.iconPath = new vscode.ThemeIcon(this.bare ? 'symbol-event' : g.direct ? 'arrow-right' : 'debug-step-into');
    // Its menu: a trap breakpoint on the vector; with a handler, its code too (also what a click shows).
    n.arg = { vector: g.vector, eip: h?.target };
    n.contextValue = h ? 'gate.handler' : 'gate';
    if (h) n.command = { command: 'lguest.revealTrap', title: 'Show Code', arguments: [h.target] };
    return n;
  }
}
