/**
 * The GDT the CPU runs the Guest on: each present descriptor decoded, whose it is, the raw words in the tooltip. On the
 * bare machine: the CPU's (GDTR), every slot the program's.
 */
import * as vscode from 'vscode';
import { LguestView, Node, ask, sessionMode } from './common';
import type { GdtBody } from '../debugAdapter/lguestRequests';

export class GdtView extends LguestView {
  protected async roots(): Promise<Node[]> {
    const [r, mode] = await Promise.all([ask<GdtBody>('lguest/gdt'), sessionMode()]);
    if (!r) return [];
    const bare = mode === 'bare';
    this.say(undefined, bare ? "the CPU's (bare machine)" : undefined);
    return r.entries.filter((e) => e.present).map((e) => {
      const n = new Node(`${e.index}  ${e.selector}`);
      n.description = `${e.type}  base ${e.base}  limit ${e.limit}  DPL ${e.dpl}${e.granularity === '4k' ? '  4K' : ''}`
        + `${e.accessed ? '  A' : ''}${e.owner === 'host' ? '  (Host)' : ''}`;
      n.tooltip = new vscode.MarkdownString([
        `**GDT[${e.index}]**, selector \`${e.selector}\`: `
          + `${bare ? "the program's (a bare machine: no Host)"
            : e.owner === 'host' ? "the Host's slot, never the Guest's" : "the Guest's (sanitized by the Host)"}`,
        '', `raw: \`${e.raw[0]} ${e.raw[1]}\``, `type: ${e.type}`,
        `base ${e.base}, limit ${e.limit} (${e.granularity} granularity)`,
        `DPL ${e.dpl}, present, ${e.db ? '32-bit' : '16-bit'}${e.system ? '' : `, accessed ${e.accessed}`}`,
      ].join('\n\n'));
      n.iconPath = new vscode.ThemeIcon(e.owner === 'host' ? 'shield' : e.system ? 'symbol-struct'
        : e.type.startsWith('code') ? 'symbol-method' : 'symbol-variable');
      return n;
    });
  }
}
