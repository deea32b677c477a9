/** The Guest's console (port 0xE9) in a terminal of its own, beside the debug console. */
import * as vscode from 'vscode';

export class GuestConsole implements vscode.Disposable {
  private terminal: vscode.Terminal | undefined;
  private readonly writer = new vscode.EventEmitter<string>();
  private pending = '';
  private open = false;

  write(session: vscode.DebugSession, text: string): void {
    // A terminal wants CR LF.
    const out = text.replace(/\r?\n/g, '\r\n');
    if (!this.terminal) this.create(session.name);
    if (this.open) this.writer.fire(out);
    else this.pending += out;
  }

  private create(name: string): void {
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.writer.event,
      open: () => { this.open = true; if (this.pending) { this.writer.fire(this.pending); this.pending = ''; } },
      close: () => { this.terminal = undefined; this.open = false; },
    };
    this.terminal = vscode.window.createTerminal({ name: `Guest console: ${name}`, pty, iconPath: new vscode.ThemeIcon('vm') });
  }

  show(): void {
    if (!this.terminal) this.create('lguest');
    this.terminal!.show(true);
  }

  dispose(): void {
    this.terminal?.dispose();
    this.writer.dispose();
  }
}
