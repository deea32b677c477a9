/**
 * The memory view: a webview hex view (offset, 16 bytes, ASCII) of the Guest's memory, virtual or
 * `phys:`, that follows an expression (re-evaluated in the focused frame at every stop), reads only
 * the pages around what is on show (memoryModel.ts says which), marks the bytes that changed since
 * the last stop, and writes a byte typed over another (writeMemory; a refusal shows in the view).
 * It talks to the adapter only through the protocol: evaluate, readMemory, writeMemory.
 * Opens from the palette ("lguest: Open Memory View") and from a variable's context menu.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import {
  CHUNK, MAX_ROWS, Evaluated, Place, ROW, Snapshot, chunksFor, clampTop, decodeRead, hex8, layoutRows, parseByte,
  reference, resolve, topFor,
} from './memoryModel';

/** What the webview sends. */
type FromView =
  | { type: 'ready' }
  | { type: 'follow'; expression: string }
  | { type: 'resize'; rows: number }
  | { type: 'scroll'; rows: number }
  | { type: 'write'; address: number; value: string };

/** The variables context menu's argument (VS Code's IVariablesContext). */
interface VariableContext {
  variable?: { name?: string; memoryReference?: string; evaluateName?: string };
}

export function registerMemoryView(context: vscode.ExtensionContext): void {
  let view: MemoryView | undefined;
  const open = (expression?: string) => {
    if (!view) {
      view = new MemoryView(context.extensionUri);
      view.onDispose(() => { view = undefined; });
    }
    view.show(expression);
    return view;
  };
  context.subscriptions.push(
    // The palette's command (an expression as its argument, or none: the view's input takes one), and
    // the Variables view's context menu item (a variable with a memoryReference: the view at it).
    vscode.commands.registerCommand('lguest.openMemoryView', (arg?: string) => {
      open(typeof arg === 'string' ? arg : undefined).focusInput(typeof arg !== 'string');
    }),
    vscode.commands.registerCommand('lguest.viewMemory', (arg?: VariableContext) => {
      const ref = arg?.variable?.memoryReference;
      if (!ref) return void vscode.window.showWarningMessage('This variable has no memory reference (it is not in memory).');
      open(ref).focusInput(false);
    }),
    vscode.debug.registerDebugAdapterTrackerFactory('lguest', {
      createDebugAdapterTracker: (session) => ({
        onDidSendMessage: (m: { type: string; event?: string }) => {
          if (m.type !== 'event' || !view) return;
          if (m.event === 'stopped') view.stopped(session);
          else if (m.event === 'memory' || m.event === 'invalidated') view.reread(session);
          else if (m.event === 'continued') view.running(session);
          else if (m.event === 'terminated' || m.event === 'exited') view.ended(session);
        },
        onWillReceiveMessage: (m: { type: string; command?: string }) => {
          if (view && m.type === 'request' && /^(continue|next|stepIn|stepOut|reverseContinue|stepBack)$/.test(m.command ?? '')) {
            view.running(session);
          }
        },
        onWillStopSession: () => view?.ended(session),
      }),
    }),
    vscode.debug.onDidChangeActiveStackItem((item) => {
      if (view && item instanceof vscode.DebugStackFrame && item.session.type === 'lguest') view.focused(item);
    }),
    { dispose: () => view?.dispose() },
  );
}

class MemoryView {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDispose = this.disposed.event;

  private session: vscode.DebugSession | undefined;
  /** What the view follows, and where that was at this stop. */
  private expression = '';
  private place: Place = { address: 0, physical: false };
  private target: { address: number; size: number } | undefined;
  private shown = '';
  private error = '';
  private notice = '';
  private state: 'stopped' | 'running' | 'ended' | 'none' = 'none';
  /** This stop's reads, and the last stop's (to mark what changed). */
  private now = new Snapshot();
  private before = new Snapshot();
  /** The bytes written through the view since the stop. */
  private written = new Set<number>();
  private top = 0;
  private rows = 32;
  /** Bumped at each stop and each new expression: answers for an older one are dropped. */
  private generation = 0;
  private pendingStop: ReturnType<typeof setTimeout> | undefined;

  constructor(extensionUri: vscode.Uri) {
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel('lguest.memory', 'Memory', vscode.ViewColumn.Beside, {
      enableScripts: true, retainContextWhenHidden: true, localResourceRoots: [media],
    });
    this.panel.iconPath = vscode.Uri.joinPath(media, 'pagetables.svg');
    this.panel.webview.html = html(this.panel.webview, media);
    this.panel.webview.onDidReceiveMessage((m: FromView) => this.receive(m));
    this.panel.onDidDispose(() => { this.disposed.fire(); clearTimeout(this.pendingStop); });
    const s = vscode.debug.activeDebugSession;
    if (s?.type === 'lguest') { this.session = s; this.state = 'stopped'; }
  }

  dispose(): void {
    this.panel.dispose();
  }

  show(expression?: string): void {
    this.panel.reveal(undefined, false);
    if (expression !== undefined) void this.follow(expression);
  }

  focusInput(select: boolean): void {
    void this.panel.webview.postMessage({ type: 'focus', select });
  }

  // ---- the session's events ----------------------------------------------------------

  stopped(session: vscode.DebugSession): void {
    this.session = session;
    this.state = 'stopped';
    // A new stop: what was read becomes the last stop's, and the expression is evaluated again. In
    // the frame the workbench focuses, which it does after this event (onDidChangeActiveStackItem):
    // wait a moment for it, then go on with whatever frame is focused.
    this.before = this.now;
    this.now = new Snapshot();
    this.written.clear();
    this.generation++;
    clearTimeout(this.pendingStop);
    this.pendingStop = setTimeout(() => { this.pendingStop = undefined; void this.evaluateAndRead(); }, 400);
  }

  focused(frame: vscode.DebugStackFrame): void {
    if (frame.session.id !== this.session?.id || this.state !== 'stopped') return;
    clearTimeout(this.pendingStop);
    this.pendingStop = undefined;
    void this.evaluateAndRead();
  }

  reread(session: vscode.DebugSession): void {
    if (session.id !== this.session?.id) return;
    this.now = new Snapshot();
    this.generation++;
    void this.read();
  }

  running(session: vscode.DebugSession): void {
    if (session.id !== this.session?.id) return;
    this.state = 'running';
    this.post();
  }

  ended(session: vscode.DebugSession): void {
    if (session.id !== this.session?.id) return;
    this.state = 'ended';
    this.post();
  }

  // ---- the webview's messages --------------------------------------------------------

  private receive(m: FromView): void {
    switch (m.type) {
      case 'ready': this.post(); break;
      case 'follow': void this.follow(m.expression); break;
      case 'resize':
        this.rows = Math.max(1, Math.min(MAX_ROWS, Math.floor(m.rows)));
        this.top = clampTop(this.top, this.rows);
        void this.read();
        break;
      case 'scroll':
        this.top = clampTop(this.top + Math.trunc(m.rows) * ROW, this.rows);
        void this.read();
        break;
      case 'write': void this.write(m.address, m.value); break;
    }
  }

  // ---- asking the adapter ------------------------------------------------------------

  private async follow(expression: string): Promise<void> {
    this.expression = expression.trim();
    this.generation++;
    if (!this.session && vscode.debug.activeDebugSession?.type === 'lguest') {
      this.session = vscode.debug.activeDebugSession;
      this.state = 'stopped';
    }
    await this.evaluateAndRead();
  }

  private async evaluateAndRead(): Promise<void> {
    const g = this.generation;
    this.notice = '';
    if (this.expression && this.session) {
      const session = this.session;
      const item = vscode.debug.activeStackItem;
      const frameId = item instanceof vscode.DebugStackFrame && item.session.id === session.id ? item.frameId : undefined;
      const evaluate = async (expression: string): Promise<Evaluated> => (
        await session.customRequest('evaluate', { expression, context: 'watch', frameId })
      ) as Evaluated;
      try {
        const r = await resolve(this.expression, evaluate);
        if (g !== this.generation) return;
        const moved = r.address !== this.place.address || r.physical !== this.place.physical;
        if (r.physical !== this.place.physical) {
          // The other address space: what was read of this one says nothing of it.
          this.now = new Snapshot();
          this.before = new Snapshot();
          this.written.clear();
        }
        this.place = { address: r.address, physical: r.physical };
        this.target = { address: r.address, size: r.size };
        this.shown = r.shown;
        this.error = '';
        if (moved || this.target.address < this.top || this.target.address >= this.top + this.rows * ROW) {
          this.top = topFor(r.address, this.rows);
        }
      } catch (e) {
        if (g !== this.generation) return;
        this.error = `${this.expression}: ${(e as Error).message}`;
      }
    }
    await this.read();
  }

  /** Reads the chunks around what is on show that this stop has not read yet, then shows the rows. */
  private async read(): Promise<void> {
    const session = this.session;
    if (session && this.state === 'stopped') {
      const g = this.generation, now = this.now, physical = this.place.physical;
      const missing = now.missing(chunksFor(this.top, this.rows));
      this.post(); // the bytes already read at once; the rest as they come
      await Promise.all(missing.map(async (c) => {
        try {
          const body = await session.customRequest('readMemory', { memoryReference: reference({ address: c, physical }), count: CHUNK });
          if (g === this.generation) now.chunks.set(c, decodeRead(body, CHUNK));
        } catch (e) {
          if (g === this.generation) this.error = `reading ${hex8(c)}: ${(e as Error).message}`;
        }
      }));
      if (g !== this.generation) return;
    }
    this.post();
  }

  private async write(address: number, value: string): Promise<void> {
    const byte = parseByte(value);
    const session = this.session;
    const where = reference({ address, physical: this.place.physical });
    if (byte === null) { this.notice = `not a byte: ${value} (two hex digits)`; return this.post(); }
    if (!session || this.state !== 'stopped') { this.notice = 'memory can be written only while the Guest is stopped'; return this.post(); }
    try {
      await session.customRequest('writeMemory', { memoryReference: where, data: Buffer.from([byte]).toString('base64') });
      this.notice = `wrote 0x${byte.toString(16).padStart(2, '0')} at ${where}`;
      if (session === this.session) this.written.add(address);
      // The adapter's memory event rereads the view; the error stays until the next write or stop.
    } catch (e) {
      this.notice = `cannot write ${where}: ${(e as Error).message}`;
      this.post();
    }
  }

  /** Sends the webview what it shows. */
  private post(): void {
    const physical = this.place.physical;
    const rows = layoutRows(
      this.top, this.rows, this.now.at, this.before.at, physical, this.target, (a) => this.written.has(a),
    );
    const unmapped = this.target && this.now.at(this.target.address) === null ? '  (not mapped: ?? cannot be read)' : '';
    const where = this.expression ? `${this.expression} = ${this.shown || '?'}${unmapped}`
      : 'type an expression: $esp, &procs[1], current, phys:0x1000';
    this.panel.title = this.expression ? `Memory: ${this.expression}` : 'Memory';
    void this.panel.webview.postMessage({
      type: 'render', expression: this.expression, where, error: this.error, notice: this.notice,
      state: this.session ? this.state : 'none', rows,
      hint: this.state === 'stopped' ? '' : this.state === 'running' ? 'running: the bytes are the last stop\'s'
        : this.state === 'ended' ? 'the session has ended' : 'no lguest session: start one and stop it',
    });
  }
}

function html(webview: vscode.Webview, media: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'memoryView.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'memoryView.css'));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Memory</title>
</head>
<body>
<form id="follow"><input id="expression" type="text" spellcheck="false" placeholder="$esp, &amp;procs[1], current, 0xc0100000, phys:0x1000" aria-label="Expression to follow"><button type="submit">Follow</button></form>
<div id="where"></div>
<div id="error" role="alert"></div>
<div id="notice" role="status"></div>
<div id="grid" tabindex="0" aria-label="Memory: click a byte, type two hex digits to write it; wheel, PageUp, PageDown to scroll"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
