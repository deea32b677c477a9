/**
 * What the user reads: the Guest's console, a line at a time (a client shows
 * each output event as it comes, and a byte per event would be a flood), and
 * the debugger's own words. Before the debugger says anything, the Guest's
 * unfinished line goes out, so the two read in the order they happened.
 * An unfinished line (a shell's prompt, a key echoed) goes out at the event
 * loop's next turn, which the runner gives between slices and while the
 * Guest waits: someone typing sees it without waiting for the line's end.
 * The Guest's bytes are UTF-8 (Linux's tty is): one decoder reads them as a
 * stream, so a character cut by a flush or a long line comes out whole, in
 * the next event.
 */
export type OutputCategory = 'stdout' | 'console';

/** A line is sent when it ends, or when it grows this long. */
const MAX_LINE = 1024;

export class Output {
  private line: number[] = [];
  private readonly utf8 = new TextDecoder('utf-8');
  private flushSoon = false;

  constructor(private readonly send: (text: string, category: OutputCategory) => void) {}

  /** A byte the Guest wrote to its console. */
  guestByte(b: number): void {
    this.line.push(b);
    if (b === 10 || this.line.length >= MAX_LINE) this.flush();
    else if (!this.flushSoon) {
      this.flushSoon = true;
      setImmediate(() => { this.flushSoon = false; this.flush(); });
    }
  }

  flush(): void {
    if (this.line.length === 0) return;
    const text = this.utf8.decode(Uint8Array.from(this.line), { stream: true });
    this.line = [];
    if (text !== '') this.send(text, 'stdout');
  }

  /** A line from the debugger. */
  say(message: string): void {
    this.flush();
    this.send(`${message}\n`, 'console');
  }
}
