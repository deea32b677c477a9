/**
 * The shadow page tables beside the Guest's: the four cached shadow page
 * directories (the Guest directory each shadows, the active one marked) ->
 * directory entries -> page table entries, each with the Guest's entry and
 * the shadow's and what differs (read-only until dirty, not yet faulted in).
 * Directories and tables load when expanded.
 */
import * as vscode from 'vscode';
import { LguestView, Node, ask } from './common';
import type { PageTablesBody, PageTablesArgs } from '../debugAdapter/lguestRequests';

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

export class PageTablesView extends LguestView {
  /** After a translate command: the address to show expanded. */
  private focus: number | null = null;

  protected async roots(): Promise<Node[]> {
    const r = await ask<PageTablesBody>('lguest/pagetables');
    if (!r) return [];
    const nodes = r.slots.filter((s) => s.used).map((s) => {
      const expand = s.active ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
      const n = new Node(`slot ${s.slot}${s.active ? ' (active)' : ''}`, expand, () => this.directory(s.slot));
      n.description = r.linearMode && s.active ? 'linear boot mode' : `shadows ${s.gpgdir}`;
      n.tooltip = `Shadow page directory at ${s.shadow} (host-physical), ${s.presentEntries} entries present; `
        + `it shadows the Guest's directory at ${s.gpgdir}${s.switcherMapped ? '; the Switcher is mapped' : ''}.`;
      n.iconPath = new vscode.ThemeIcon(s.active ? 'debug-stackframe-focused' : 'layers');
      return n;
    });
    return nodes;
  }

  private async directory(slot: number): Promise<Node[]> {
    const r = await ask<PageTablesBody>('lguest/pagetables', { slot } satisfies PageTablesArgs);
    if (!r) return [];
    return (r.directory ?? []).map((e) => {
      const end = hex(((e.index + 1) << 22) - 1);
      const wanted = this.focus !== null && this.focus >>> 22 === e.index;
      const expand = e.switcher ? vscode.TreeItemCollapsibleState.None
        : wanted ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
      const n = new Node(`${e.virtual}-${end}`, expand, () => this.table(slot, e.index));
      n.description = e.switcher ? "the Switcher (the Host's)"
        : `Guest ${e.guest ? e.guest.value : '-'}  shadow ${e.shadow ? e.shadow.value : 'not yet'}`;
      n.tooltip = `Directory entry ${e.index}: `
        + `Guest ${e.guest ? `${e.guest.value} ${e.guest.flags.join(' ')}` : 'none'}; `
        + `shadow ${e.shadow ? `${e.shadow.value} ${e.shadow.flags.join(' ')}` : 'none (filled on the first fault)'}`;
      n.iconPath = new vscode.ThemeIcon(e.switcher ? 'shield' : e.shadow ? 'folder-opened' : 'folder');
      return n;
    });
  }

  private async table(slot: number, directoryIndex: number): Promise<Node[]> {
    const r = await ask<PageTablesBody>('lguest/pagetables', { slot, directoryIndex } satisfies PageTablesArgs);
    if (!r) return [];
    return (r.entries ?? []).map((e) => {
      const n = new Node(e.virtual);
      const g = e.guest ? `${e.guest.frame} ${e.guest.flags.join(' ')}` : '-';
      const s = e.shadow && e.shadow.value !== '0x00000000' ? `${e.shadow.frame} ${e.shadow.flags.join(' ')}` : '-';
      n.description = `Guest ${g}  |  shadow ${s}  ${e.note === 'same' ? '' : `(${e.note})`}`;
      n.tooltip = `${e.virtual}: the Guest's entry ${e.guest?.value ?? 'none'}, `
        + `the shadow's ${e.shadow?.value ?? 'none'}: ${e.note}`;
      const focused = this.focus !== null && (this.focus & ~0xfff) >>> 0 === Number(e.virtual);
      n.iconPath = new vscode.ThemeIcon(focused ? 'target' : e.note === 'same' ? 'pass'
        : e.note === 'not yet faulted in' ? 'circle-outline' : e.note === 'read-only until dirty' ? 'lock' : 'diff');
      return n;
    });
  }

  /** The tree view that shows this provider, for reveal(). */
  treeView?: vscode.TreeView<Node>;

  /**
   * Show the entries of an address (after lguest.translate): its directory entry expanded in the
   * active slot, and its page table entry marked, selected and scrolled into sight (a table has
   * 1024 rows: expanding alone leaves the entry out of sight).
   */
  async reveal(address: number): Promise<void> {
    this.focus = address;
    this.refresh();
    if (!this.treeView) return;
    const slot = (await this.getChildren()).find((n) => String(n.label).endsWith('(active)'));
    const dir = slot && (await this.getChildren(slot))
      .find((n) => String(n.label).startsWith(`${hex(address & 0xffc00000)}-`));
    const pte = dir && dir.collapsibleState !== vscode.TreeItemCollapsibleState.None
      ? (await this.getChildren(dir)).find((n) => n.label === hex(address & ~0xfff)) : undefined;
    const target = pte ?? dir ?? slot;
    // Showing it is a courtesy: a failure here must not fail the translation.
    if (target) {
      await Promise.resolve(this.treeView.reveal(target, { select: true, focus: false, expand: true })).catch(() => {});
    }
  }
}
