/** The Guest's console (port 0xE9) in a terminal of its own per session, beside the debug console. */
import * as vscode from 'vscode';

/** One session's terminal: a pseudoterminal that keeps what was written before VS Code opened it. */
class ConsoleTerminal implements vscode.Disposable {
  readonly terminal: vscode.Terminal;
  private readonly writer = new vscode.EventEmitter<string>();
  private pending = '';
  private open = false;
  closed = false;

  constructor(name: string) {
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.writer.event,
      open: () => { this.open = true; if (this.pending) { this.writer.fire(this.pending); this.pending = ''; } },
      close: () => { this.closed = true; },
    };
    this.terminal = vscode.window.createTerminal({
      name: `Guest console: ${name}`, pty, iconPath: new vscode.ThemeIcon('vm'),
    });
  }

  write(text: string): void {
    // A terminal wants CR LF.
    const out = text.replace(/\r?\n/g, '\r\n');
    if (this.open) this.writer.fire(out);
    else this.pending += out;
  }

  dispose(): void {
    this.terminal.dispose();
    this.writer.dispose();
  }
}

export class GuestConsole implements vscode.Disposable {
  private readonly bySession = new Map<string, ConsoleTerminal>();
  private last: ConsoleTerminal | undefined;

  private of(session: vscode.DebugSession): ConsoleTerminal {
    let t = this.bySession.get(session.id);
    if (!t || t.closed) {
      t = new ConsoleTerminal(session.name);
      this.bySession.set(session.id, t);
    }
    this.last = t;
    return t;
  }

  write(session: vscode.DebugSession, text: string): void {
    this.of(session).write(text);
  }

  /** The active session's console (else the last one written to, else an empty one). */
  show(): void {
    const s = vscode.debug.activeDebugSession;
    const t = s && s.type === 'lguest' ? this.of(s) : this.last ?? (this.last = new ConsoleTerminal('lguest'));
    t.terminal.show(true);
  }

  dispose(): void {
    const all = new Set([...this.bySession.values(), ...(this.last ? [this.last] : [])]);
    for (const t of all) t.dispose();
  }
}
