/**
 * The Guest's console in a terminal of its own per session, beside the debug console: the Guest's output
 * (the adapter's `stdout` output events) is written there, and what the user types goes to the Guest as
 * lguest/input. A restart (the Guest's, or VS Code's of the session) is marked with a dim line.
 */
import * as vscode from 'vscode';
import { TerminalText, ConsoleInput, isRestartNotice } from './terminalText';

/** What the console reads of the adapter's messages, as a debug adapter tracker sees them. */
export interface AdapterMessage {
  type?: string;
  event?: string;
  command?: string;
  success?: boolean;
  body?: { category?: string; output?: string };
}

/** One session's terminal: a pseudoterminal that keeps what was written before VS Code opened it. */
class ConsoleTerminal implements vscode.Disposable {
  readonly terminal: vscode.Terminal;
  private readonly writer = new vscode.EventEmitter<string>();
  private readonly text = new TerminalText();
  private pending = '';
  private open = false;
  closed = false;
  /** Where typing goes: the session's current run (none for the placeholder `show` makes). */
  input: ConsoleInput | undefined;

  constructor(readonly name: string) {
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.writer.event,
      open: () => {
        this.open = true;
        if (this.pending) { this.writer.fire(this.pending); this.pending = ''; }
        this.input?.hello();
      },
      close: () => { this.closed = true; },
      handleInput: (data) => this.input?.send(data),
    };
    this.terminal = vscode.window.createTerminal({
      name: `Guest console: ${name}`, pty, iconPath: new vscode.ThemeIcon('vm'),
    });
  }

  /** A run of the session (its first, or a restart's) takes the keyboard. */
  attach(input: ConsoleInput): void {
    this.input = input;
    if (this.open) input.hello();
  }

  write(text: string): void {
    this.emit(this.text.convert(text));
  }

  mark(words: string): void {
    this.emit(this.text.marker(words));
  }

  private emit(out: string): void {
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
  /** Each session's current run, for its terminal's keyboard (the terminal is made at the first output). */
  private readonly inputs = new Map<string, ConsoleInput>();
  private last: ConsoleTerminal | undefined;

  private of(session: vscode.DebugSession): ConsoleTerminal {
    let t = this.bySession.get(session.id);
    if (!t || t.closed) {
      t = new ConsoleTerminal(session.name);
      t.input = this.inputs.get(session.id);
      this.bySession.set(session.id, t);
    }
    this.last = t;
    return t;
  }

  /**
   * A session's adapter starts (each run has its own: VS Code's restart of a session starts another one, for the
   * same session or for a new one of the same name). Returns what to give the console of its messages.
   */
  attach(session: vscode.DebugSession): { message(m: AdapterMessage): void; end(): void } {
    const input = new ConsoleInput(
      // Thenable has no catch: ConsoleInput turns it into a Promise and keeps a failure quiet.
      (text) => session.customRequest('lguest/input', { text }),
      session.configuration.mode === 'bare' || session.configuration.replay !== undefined,
    );
    this.inputs.set(session.id, input);
    // A restart goes on in the terminal the last run wrote to: VS Code's, with the same session, or an F5 again
    // after the session of that name ended.
    const before = this.live(session.id) ?? this.takeOver(session);
    if (before) {
      before.mark('restarted');
      before.attach(input);
    }
    return {
      message: (m) => {
        if (m.type === 'response' && m.command === 'launch' && m.success) input.launch();
        if (m.type !== 'event') return;
        if (m.event === 'terminated') input.end();
        if (m.event !== 'output' || !m.body?.output) return;
        if (m.body.category === 'stdout') this.of(session).write(m.body.output);
        else if (m.body.category === 'console' && isRestartNotice(m.body.output)) {
          this.of(session).mark('the Guest restarted');
        }
      },
      end: () => input.end(),
    };
  }

  private live(id: string): ConsoleTerminal | undefined {
    const t = this.bySession.get(id);
    return t && !t.closed ? t : undefined;
  }

  /** The open terminal of an ended session named as this one, now this session's. */
  private takeOver(session: vscode.DebugSession): ConsoleTerminal | undefined {
    for (const [id, t] of this.bySession) {
      if (t.closed || t.name !== session.name || !this.inputs.get(id)?.isEnded) continue;
      this.bySession.delete(id);
      this.inputs.delete(id);
      this.bySession.set(session.id, t);
      return t;
    }
    return undefined;
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
