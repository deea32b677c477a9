/**
 * What the lguest views share: the session they ask, and how they ask it.
 * Each view is a tree whose data comes from one of the adapter's custom
 * requests (docs/debug-adapter.md), fetched when it is shown after a stop.
 */
import * as vscode from 'vscode';

/** The active lguest session, if it is one. */
export function activeLguestSession(): vscode.DebugSession | undefined {
  const s = vscode.debug.activeDebugSession;
  return s && s.type === 'lguest' ? s : undefined;
}

/** Ask the adapter; undefined when there is no session or it cannot answer now (running, ended). */
export async function ask<T>(command: string, args?: unknown): Promise<T | undefined> {
  const s = activeLguestSession();
  if (!s) return undefined;
  try {
    return (await s.customRequest(command, args)) as T;
  } catch {
    return undefined;
  }
}

/** A node of an lguest tree. */
export class Node extends vscode.TreeItem {
  /** The node it is a child of (set by LguestView.getChildren), for TreeView.reveal. */
  parent?: Node;

  constructor(
    label: string | vscode.TreeItemLabel, collapsible = vscode.TreeItemCollapsibleState.None,
    readonly load?: () => Promise<Node[]>,
  ) {
    super(label, collapsible);
  }
}

export abstract class LguestView implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(n: Node): vscode.TreeItem {
    return n;
  }

  async getChildren(n?: Node): Promise<Node[]> {
    if (n) {
      const children = n.load ? await n.load() : [];
      for (const c of children) c.parent = n;
      return children;
    }
    if (!activeLguestSession()) return [];
    return this.roots();
  }

  getParent(n: Node): Node | undefined {
    return n.parent;
  }

  protected abstract roots(): Promise<Node[]>;
}

export function info(label: string, description?: string, tooltip?: string, icon?: string): Node {
  const n = new Node(label);
  n.description = description;
  n.tooltip = tooltip;
  if (icon) n.iconPath = new vscode.ThemeIcon(icon);
  return n;
}
