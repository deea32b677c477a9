/**
 * The Guest console terminal's logic that needs no VS Code (console.ts wires it up): the Guest's text made
 * into what a terminal wants, and what the user types made into lguest/input requests.
 */

/** What one lguest/input request may carry (the adapter's limit, in UTF-16 code units). */
export const MAX_INPUT = 65536;

/**
 * The Guest's text for a terminal, chunk after chunk. A terminal wants CR LF, but a Guest with a tty (Linux)
 * already sends "\r\n": only a bare "\n" gets its "\r", and a chunk may end between the two.
 */
export class TerminalText {
  /** The last chunk ended in "\r": a "\n" that begins the next one is already a line end. */
  private endedInCR = false;
  /** Nothing has been written on the current line (a marker then needs no line break first). */
  private atLineStart = true;

  convert(text: string): string {
    if (text === '') return text;
    let out = text.replace(/(?<!\r)\n/g, '\r\n');
    if (this.endedInCR && text[0] === '\n') out = out.slice(1);
    this.endedInCR = text.endsWith('\r');
    this.atLineStart = text.endsWith('\n');
    return out;
  }

  /** A dim line of our own, such as "── restarted ──", on a line of its own, attributes reset after it. */
  marker(words: string): string {
    const out = `${this.atLineStart ? '' : '\r\n'}\x1b[0;2m── ${words} ──\x1b[0m\r\n`;
    this.endedInCR = false;
    this.atLineStart = true;
    return out;
  }
}

/**
 * The adapter's word for a Guest restart (describeEvent's 'restart' in src/vm/lguest/describe.ts, which the
 * Debuggee says in category `console`); terminalText.test.ts checks the two agree.
 */
export function isRestartNotice(text: string): boolean {
  return text.startsWith('the Guest asked to restart');
}

/**
 * Text in pieces the adapter takes (a big paste), never splitting a surrogate pair (half of one would reach
 * the Guest as U+FFFD). An empty text is one empty piece: it still says someone is at the console.
 */
export function inputPieces(text: string, max = MAX_INPUT): string[] {
  const out: string[] = [];
  let at = 0;
  do {
    let end = Math.min(text.length, at + max);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && end - at > 1 && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(text.slice(at, end));
    at = end;
  } while (at < text.length);
  return out;
}

/**
 * What the user types into one run of a session (one adapter; a restart brings a new one), sent as lguest/input.
 * Nothing goes before the launch has succeeded (the adapter has no machine to give it to yet: it waits here),
 * nor to a session that takes none, nor after the end: an error response would pop up a notification in
 * VS Code, which shows any error the adapter marks for the user, even one of an extension's own request.
 */
export class ConsoleInput {
  private launched = false;
  private ended = false;
  private greeted = false;
  private waiting: string[] = [];

  /**
   * `request` sends one lguest/input and settles with its answer; `deaf`: the session takes no input (a bare
   * machine; a replay, whose input is the recording's).
   * `failed` hears a request's error (none is expected: the cases above are kept out).
   */
  constructor(
    private readonly request: (text: string) => PromiseLike<unknown>,
    private readonly deaf: boolean,
    private readonly failed: (e: unknown) => void = () => {},
  ) {}

  /** Someone is at the console (the terminal opened): an empty input says so, once. */
  hello(): void {
    if (this.greeted) return;
    this.greeted = true;
    this.send('');
  }

  /** The user typed (or pasted) `text`. */
  send(text: string): void {
    if (this.ended || this.deaf) return;
    if (!this.launched) { this.waiting.push(text); return; }
    for (const piece of inputPieces(text)) Promise.resolve(this.request(piece)).then(undefined, this.failed);
  }

  /** The launch succeeded: what waited goes now. */
  launch(): void {
    if (this.launched) return;
    this.launched = true;
    const waiting = this.waiting;
    this.waiting = [];
    if (waiting.length > 0) this.send(waiting.join(''));
  }

  /** The session (this run of it) ended: typing does nothing from now on. */
  end(): void {
    this.ended = true;
    this.waiting = [];
  }

  get isEnded(): boolean {
    return this.ended;
  }
}
