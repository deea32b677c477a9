/**
 * lguest-vm on a pseudo-terminal, as a person at a terminal runs it: util-linux's `script` gives it one, and
 * the test types into it and reads what comes back. busybox's shell asks the terminal where its cursor is at
 * every prompt (ESC [6n); a terminal answers, so this does too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, ROOT } from './helpers';

export class PtySession {
  private readonly child: ChildProcess;
  /** Everything the terminal showed, as latin1 text. */
  output = '';
  /** How far `expect` has read. */
  private seen = 0;
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    const quoted = [process.execPath, CLI, 'run', ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    this.child = spawn('script', ['-qfec', quoted, '/dev/null'], { cwd: ROOT });
    this.child.stdout!.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      this.output += text;
      if (text.includes('\x1b[6n')) this.child.stdin!.write('\x1b[24;1R');
    });
    this.child.stderr!.on('data', (d: Buffer) => { this.output += d.toString('latin1'); });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Wait until `text` shows after what was read so far; returns what came before it. */
  expect(text: string): Promise<string> {
    return new Promise((resolve) => {
      const look = () => {
        const i = this.output.indexOf(text, this.seen);
        if (i < 0) return false;
        const before = this.output.slice(this.seen, i);
        this.seen = i + text.length;
        resolve(before);
        return true;
      };
      if (look()) return;
      const onData = () => { if (look()) this.child.stdout!.off('data', onData); };
      this.child.stdout!.on('data', onData);
    });
  }

  /** Type `text` (one write: one read at the other end). */
  type(text: string): void {
    this.child.stdin!.write(text);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

/** A pause of the test's own, not a measurement: setTimeout. */
export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
