/**
 * A DAP client that writes bytes, for what no well-behaved client sends:
 * broken frames, garbage, arguments of the wrong type. It runs the built
 * adapter (dist/debugAdapter.js) on stdin/stdout, reads its frames, and lets a
 * test wait for a response or an event. If the adapter exits, whatever waits
 * fails at once, saying so.
 */
import { spawn, ChildProcess } from 'node:child_process';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { FrameReader } from '../../src/debugAdapter/framing';
import { ADAPTER } from './client';

type Message = DebugProtocol.ProtocolMessage & Record<string, unknown>;

interface Waiter {
  matches: (m: Message) => boolean;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
}

export function frame(body: string): string {
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

export class RawClient {
  /** Every message the adapter sent, in order. */
  readonly received: Message[] = [];
  /** Frames from the adapter that could not be read (there should be none). */
  readonly unreadable: string[] = [];
  /** The adapter's exit code (or signal), once it has exited. */
  exitStatus: number | string | null = null;
  readonly exited: Promise<void>;
  private readonly proc: ChildProcess;
  private readonly waiters = new Set<Waiter>();
  private nextSeq = 1;
  private stderrText = '';

  constructor(adapter = ADAPTER) {
    this.proc = spawn(process.execPath, [adapter], { stdio: ['pipe', 'pipe', 'pipe'] });
    const reader = new FrameReader();
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.kind === 'skipped') this.unreadable.push(f.reason);
        else this.take(f.message as Message);
      }
    });
    this.proc.stderr!.on('data', (chunk: Buffer) => {
      this.stderrText = (this.stderrText + chunk.toString()).slice(-4000);
    });
    // Writing to an adapter that has just died is not this client's error: the exit says it.
    this.proc.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => {
      this.exitStatus = code ?? signal;
      const died = new Error(`the adapter exited (${this.exitStatus}): ${this.stderrText.trim()}`);
      for (const w of this.waiters) w.reject(died);
      this.waiters.clear();
      resolve();
    }));
  }

  /** The bodies of the output events received. */
  get outputs(): DebugProtocol.OutputEvent['body'][] {
    return this.received.filter((m) => m.type === 'event' && m.event === 'output')
      .map((m) => m.body as DebugProtocol.OutputEvent['body']);
  }

  get alive(): boolean {
    return this.exitStatus === null;
  }

  private take(m: Message): void {
    this.received.push(m);
    for (const w of this.waiters) {
      if (w.matches(m)) {
        this.waiters.delete(w);
        w.resolve(m);
      }
    }
  }

  write(bytes: string | Buffer): void {
    if (this.alive) this.proc.stdin!.write(bytes);
  }

  /** Send a request as a well-formed frame, with the next seq; returns the seq. */
  send(command: string, args?: unknown, extra: Record<string, unknown> = {}): number {
    const seq = this.nextSeq++;
    const message: Record<string, unknown> = { seq, type: 'request', command, ...extra };
    if (args !== undefined) message.arguments = args;
    this.write(frame(JSON.stringify(message)));
    return seq;
  }

  /** The next message (from now on) that matches. */
  waitFor(matches: (m: Message) => boolean): Promise<Message> {
    if (!this.alive) return Promise.reject(new Error(`the adapter has exited (${this.exitStatus})`));
    return new Promise((resolve, reject) => this.waiters.add({ matches, resolve, reject }));
  }

  response(seq: number): Promise<DebugProtocol.Response> {
    const matches = (m: Message) => m.type === 'response' && m.request_seq === seq;
    return this.waitFor(matches) as Promise<Message & DebugProtocol.Response>;
  }

  event(name: string): Promise<DebugProtocol.Event> {
    return this.waitFor((m) => m.type === 'event' && m.event === name) as Promise<Message & DebugProtocol.Event>;
  }

  /** Send a request and wait for its response. */
  request(command: string, args?: unknown, extra?: Record<string, unknown>): Promise<DebugProtocol.Response> {
    const answered = this.response(this.nextSeq);
    this.send(command, args, extra);
    return answered;
  }

  /** Initialize and launch `program` stopped on entry; resolves at the stop, with the adapter's capabilities. */
  async launch(program: string): Promise<DebugProtocol.Capabilities> {
    const capabilities = (await this.request('initialize', { adapterID: 'lguest', pathFormat: 'path' })).body ?? {};
    const initialized = this.event('initialized');
    const stopped = this.event('stopped');
    const launched = await this.request('launch', { program, stopOnEntry: true });
    if (!launched.success) throw new Error(`launch failed: ${launched.message}`);
    await initialized;
    await this.request('configurationDone');
    await stopped;
    return capabilities;
  }

  /** End the session: close its input (the adapter exits), or kill it if it does not. */
  async close(): Promise<void> {
    if (this.alive) {
      this.proc.stdin!.end();
      const killer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(killer);
    }
  }
}
