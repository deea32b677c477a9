/**
 * lguest-vm's standard input as the Guest's keyboard, as lguest's Launcher made it (setup_console and
 * console_input in tools/lguest/lguest.c): a terminal goes into raw mode, so every key goes to the Guest,
 * Ctrl-C included, and three Ctrl-C within a second end the run. Unlike the Launcher, raw mode waits until the
 * Guest's console can take input (its driver is live): a Guest without one (our own, which print on port 0xE9)
 * leaves the terminal as it is, Ctrl-C and all.
 *
 * Standard input that is not a terminal (a pipe, a file) is forwarded as it comes; its end only means no more
 * input. Someone at a terminal makes idle time real: a halted Guest waits in wall-clock time (waitIdle).
 */
import type { Host } from './vm/lguest/host';

/** The Launcher's hack: three Ctrl-C within about a second end the run. */
const CTRL_C = 3, CTRL_C_TIMES = 3, CTRL_C_WINDOW_MS = 1000, ESC = 0x1b;

export class ConsoleInput {
  /** Three Ctrl-C came within a second: the run should end (status 130). */
  interrupted = false;
  private raw = false;
  private listening = false;
  private ctrlC: number[] = [];
  /** Wakes a waitIdle early: input came. */
  private wake: (() => void) | null = null;
  private readonly onData = (chunk: Buffer) => this.received(new Uint8Array(chunk));

  constructor(private readonly host: Host, private readonly stdin: NodeJS.ReadStream) {
    // A pipe or a file: forwarded from the start, delivered when the Guest's console can take it.
    if (!stdin.isTTY) this.listen();
  }

  /** Between slices: once the Guest's console takes input, a terminal goes raw and idle time becomes real. */
  poll(): void {
    if (this.raw || !this.stdin.isTTY || !this.host.devices.virtio[0].receiving) return;
    this.stdin.setRawMode(true);
    this.raw = true;
    this.host.pacedIdle = true;
    this.listen();
  }

  /**
   * The Guest is halted (paced idle): wait until virtual time `until` would be reached in wall-clock time (one
   * instruction is one nanosecond), or for input, whichever comes first; with no timer (null), for input only.
   * Returns the nanoseconds waited.
   */
  waitIdle(until: number | null): Promise<number> {
    const start = process.hrtime.bigint();
    const ms = until === null ? null : Math.max(0, (until - this.host.cpu.instructions) / 1e6);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.wake = null;
        resolve(Number(process.hrtime.bigint() - start));
      };
      this.wake = done;
      if (ms !== null) timer = setTimeout(done, ms);
    });
  }

  /** The run is over: the terminal as it was, and standard input let go so the process can end. */
  close(): void {
    if (this.raw) this.stdin.setRawMode(false);
    this.raw = false;
    if (this.listening) {
      this.stdin.off('data', this.onData);
      this.stdin.pause();
      this.listening = false;
    }
    this.wake?.();
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.stdin.on('data', this.onData);
    this.stdin.on('error', () => {}); // a stdin that cannot be read is no input, not a crash
    this.stdin.resume();
  }

  private received(bytes: Uint8Array): void {
    this.host.input(bytes);
    if (this.raw) this.countCtrlC(bytes);
    this.wake?.();
  }

  /**
   * The Launcher counted a read holding one Ctrl-C and nothing else, and any other read started again. Here a
   * terminal's own reports (escape sequences: busybox's shell asks where the cursor is at every prompt, and the
   * answer comes between the Ctrl-Cs, even in the same read) neither count nor start again.
   */
  private countCtrlC(bytes: Uint8Array): void {
    const keys = Array.from(stripEscapes(bytes));
    if (keys.length === 0) return;
    if (!keys.every((b) => b === CTRL_C)) {
      this.ctrlC = [];
      return;
    }
    const now = performance.now();
    this.ctrlC = [...this.ctrlC, ...keys.map(() => now)].slice(-CTRL_C_TIMES);
    if (this.ctrlC.length === CTRL_C_TIMES && now - this.ctrlC[0] <= CTRL_C_WINDOW_MS) this.interrupted = true;
  }
}

/** The bytes without ESC [ ... sequences (a CSI: parameters, then one final byte from @ to ~). */
function stripEscapes(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === ESC && bytes[i + 1] === 0x5b) {
      i += 2;
      while (i < bytes.length && (bytes[i] < 0x40 || bytes[i] > 0x7e)) i++;
      continue;
    }
    out.push(bytes[i]);
  }
  return out;
}
