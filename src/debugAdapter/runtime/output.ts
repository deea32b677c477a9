/**
 * What the user reads: the Guest's console, a line at a time (a client shows
 * each output event as it comes, and a byte per event would be a flood), and
 * the debugger's own words. Before the debugger says anything, the Guest's
 * unfinished line goes out, so the two read in the order they happened.
 */
export type OutputCategory = 'stdout' | 'console';

/** A line is sent when it ends, or when it grows this long. */
const MAX_LINE = 1024;

export class Output {
  private line: number[] = [];

  constructor(private readonly send: (text: string, category: OutputCategory) => void) {}

  /** A byte the Guest wrote to its console. */
  guestByte(b: number): void {
    this.line.push(b);
    if (b === 10 || this.line.length >= MAX_LINE) this.flush();
  }

  flush(): void {
    if (this.line.length === 0) return;
    this.send(Buffer.from(this.line).toString('latin1'), 'stdout');
    this.line = [];
  }

  /** A line from the debugger. */
  say(message: string): void {
    this.flush();
    this.send(`${message}\n`, 'console');
  }
}
