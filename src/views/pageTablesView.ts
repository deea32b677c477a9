/**
 * The shadow page tables beside the Guest's: the four cached shadow page
 * directories (the Guest directory each shadows, the active one marked) ->
 * directory entries -> page table entries, each with the Guest's entry and
 * the shadow's and what differs (read-only until dirty, not yet faulted in).
 * Directories and tables load when expanded. Above them, the last
 * translation (lguest.translate), asked again at each refresh. The bare
 * machine has no shadows: its CPU's own tables (at CR3) are the roots.
 */
import * as vscode from 'vscode';
import { LguestView, Node, ask, sessionMode } from './common';
import { translationNode } from './translation';
import type { PageTablesBody, PageTablesArgs, TranslateBody, AddressArgs } from '../debugAdapter/lguestRequests';

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

export class PageTablesView extends LguestView {
  /** After a translate command: the address to show expanded, and its translation above the tables. */
  private focus: number | null = null;
  private bare = false;

  protected async roots(): Promise<Node[]> {
    const [r, mode] = await Promise.all([ask<PageTablesBody>('lguest/pagetables'), sessionMode()]);
    if (!r) return [];
    this.bare = mode === 'bare';
    const translated = await this.translation();
    if (this.bare) {
      // No Host, so no shadows: say so, and show what there is (the CPU's tables, or nothing with paging off).
      if (r.linearMode) {
        this.say('A bare machine has no shadow page tables, and paging is off (CR0.PG clear): linear addresses are physical.',
          'bare machine: paging off');
        return translated;
      }
      this.say(undefined, "the CPU's own, at CR3 (bare machine: no shadows)");
      return [...translated, ...this.directoryNodes(r, undefined)];
    }
    this.say();
    const nodes = r.slots.filter((s) => s.used).map((s) => {
      // Linear boot mode's slot once the Guest has its own directory: it shadows nothing, and is empty.
      const leftover = !r.linearMode && s.gpgdir === '0x00000000';
      const expand = s.active ? vscode.TreeItemCollapsibleState.Expanded
        : leftover && s.presentEntries === 0 ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed;
      const n = new Node(`slot ${s.slot}${s.active ? ' (active)' : ''}`, expand, () => this.directory(s.slot));
      n.description = r.linearMode && s.active ? 'linear boot mode'
        : leftover ? 'left from linear boot mode: shadows no Guest directory' : `shadows ${s.gpgdir}`;
      n.tooltip = `Shadow page directory at ${s.shadow} (host-physical), ${s.presentEntries} entries present; `
        + (leftover ? 'the boot mode\'s, kept until the Host needs the slot for a Guest directory'
          : `it shadows the Guest's directory at ${s.gpgdir}${s.switcherMapped ? '; the Switcher is mapped' : ''}`) + '.';
      n.iconPath = new vscode.ThemeIcon(s.active ? 'debug-stackframe-focused' : 'layers');
      return n;
    });
    return [...translated, ...nodes];
  }

  /** The last translation, asked again (the tables may have changed since), as the first root. */
  private async translation(): Promise<Node[]> {
    if (this.focus === null) return [];
    const r = await ask<TranslateBody>('lguest/translate', { address: hex(this.focus) } satisfies AddressArgs);
    return r ? [translationNode(r, this.bare)] : [];
  }

  private async directory(slot: number | undefined): Promise<Node[]> {
    const r = await ask<PageTablesBody>('lguest/pagetables', { slot } satisfies PageTablesArgs);
    return r ? this.directoryNodes(r, slot) : [];
  }

  /** Directory entries (of a shadow slot, or with `slot` undefined the bare CPU's). */
  private directoryNodes(r: PageTablesBody, slot: number | undefined): Node[] {
    return (r.directory ?? []).map((e) => {
      const end = hex(((e.index + 1) << 22) - 1);
      const wanted = this.focus !== null && this.focus >>> 22 === e.index;
      const big = e.guest?.flags.includes('PS') && this.bare; // a 4 MiB page: no table under it
      const expand = e.switcher || big ? vscode.TreeItemCollapsibleState.None
        : wanted ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed;
      const n = new Node(`${e.virtual}-${end}`, expand, () => this.table(slot, e.index));
      n.description = e.switcher ? "the Switcher (the Host's)"
        : this.bare ? `PDE ${e.guest?.value} ${e.guest?.flags.join(' ')}`
          : `Guest ${e.guest ? e.guest.value : '-'}  shadow ${e.shadow ? e.shadow.value : 'not yet'}`;
      n.tooltip = this.bare ? `Directory entry ${e.index}: ${e.guest?.value} ${e.guest?.flags.join(' ')}`
        : `Directory entry ${e.index}: `
          + `Guest ${e.guest ? `${e.guest.value} ${e.guest.flags.join(' ')}` : 'none'}; `
          + `shadow ${e.shadow ? `${e.shadow.value} ${e.shadow.flags.join(' ')}` : 'none (filled on the first fault)'}`;
      n.iconPath = new vscode.ThemeIcon(e.switcher ? 'shield' : e.shadow || this.bare ? 'folder-opened' : 'folder');
      return n;
    });
  }

  private async table(slot: number | undefined, directoryIndex: number): Promise<Node[]> {
    const r = await ask<PageTablesBody>('lguest/pagetables', { slot, directoryIndex } satisfies PageTablesArgs);
    if (!r) return [];
    return (r.entries ?? []).map((e) => {
      const n = new Node(e.virtual);
      const g = e.guest ? `${e.guest.frame} ${e.guest.flags.join(' ')}` : '-';
      const s = e.shadow && e.shadow.value !== '0x00000000' ? `${e.shadow.frame} ${e.shadow.flags.join(' ')}` : '-';
      n.description = this.bare ? `-> ${g}` : `Guest ${g}  |  shadow ${s}  ${e.note === 'same' ? '' : `(${e.note})`}`;
      // Its menu translates its address.
      n.contextValue = 'pte';
      n.arg = { address: e.virtual };
      n.tooltip = `${e.virtual}: the Guest's entry ${e.guest?.value ?? 'none'}, `
        + `the shadow's ${e.shadow?.value ?? 'none'}: ${e.note}`;
      const focused = this.focus !== null && (this.focus & ~0xfff) >>> 0 === Number(e.virtual);
      n.iconPath = new vscode.ThemeIcon(focused ? 'target' : e.note === 'same' ? 'pass'
        : e.note === 'not yet faulted in' ? 'circle-outline' : e.note === 'read-only until dirty' ? 'lock' : 'diff');
      return n;
    });
  }

  /**
   * Show the entries of an address (after lguest.translate): its directory entry expanded in the
   * active slot, and its page table entry marked, selected and scrolled into sight (a table has
   * 1024 rows: expanding alone leaves the entry out of sight).
   */
  async reveal(address: number): Promise<void> {
    this.focus = address;
    this.refresh();
    if (!this.treeView) return;
    const roots = await this.getChildren();
    // The bare machine's directory entries are roots; under lguest, the active slot's.
    const slot = this.bare ? undefined : roots.find((n) => String(n.label).endsWith('(active)'));
    const dir = (this.bare ? roots : slot ? await this.getChildren(slot) : [])
      .find((n) => String(n.label).startsWith(`${hex(address & 0xffc00000)}-`));
    const pte = dir && dir.collapsibleState !== vscode.TreeItemCollapsibleState.None
      ? (await this.getChildren(dir)).find((n) => n.label === hex(address & ~0xfff)) : undefined;
    const target = pte ?? dir ?? slot ?? roots[0];
    // Showing it is a courtesy: a failure here must not fail the translation.
    if (target) {
      await Promise.resolve(this.treeView.reveal(target, { select: true, focus: false, expand: true })).catch(() => {});
    }
  }
}
