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

/** What a node means to the commands its menus run on it: a vector, a code address, a virtual address. */
export interface NodeArg {
  vector?: number;
  /** Code to show (a gate's handler, where a trap happened). */
  eip?: string;
  /** A virtual address to translate (a page table entry's). */
  address?: string;
  /** The Host's action (a trap log entry's). */
  action?: string;
}

/** A node of an lguest tree. */
export class Node extends vscode.TreeItem {
  /** The node it is a child of (set by LguestView.getChildren), for TreeView.reveal. */
  parent?: Node;
  arg?: NodeArg;

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
  /** The tree view that shows this provider: for reveal(), and its message and description. */
  treeView?: vscode.TreeView<Node>;

  /** Says something at the top of the view (undefined: nothing), as a filter or the bare machine needs to. */
  protected say(message?: string, description?: string): void {
    if (!this.treeView) return;
    this.treeView.message = message;
    this.treeView.description = description;
  }

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
    if (!activeLguestSession()) {
      this.say();
      return [];
    }
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

const modes = new Map<string, Promise<'lguest' | 'bare' | undefined>>();

/** The active session's mode, asked once per session (it cannot change); undefined without a session. */
export function sessionMode(): Promise<'lguest' | 'bare' | undefined> {
  const s = activeLguestSession();
  if (!s) return Promise.resolve(undefined);
  let m = modes.get(s.id);
  if (!m) {
    m = ask<{ mode: 'lguest' | 'bare' }>('lguest/state').then((r) => r?.mode);
    // An answer that did not come (the Guest was running) is asked again next time.
    void m.then((v) => { if (v === undefined) modes.delete(s.id); });
    modes.set(s.id, m);
  }
  return m;
}

/**
 * What a command was given, by where it was run from: the palette passes nothing; a context menu passes its tree
 * item; a view's title bar passes the focused tree item, or when none has the focus the view's own context object
 * (`{ $treeViewId, ... }`: VS Code's, which means nothing here); the views' clicks and other code pass a string or
 * a number. Anything else counts as nothing, so the command asks.
 */
export function commandArg(arg: unknown): { node?: Node; text?: string } {
  if (arg instanceof Node) return { node: arg };
  if (typeof arg === 'string') return { text: arg };
  if (typeof arg === 'number' && Number.isFinite(arg)) return { text: String(arg) };
  return {};
}
