/**
 * The session's edge with its client, under LguestDebugSession: the bytes that
 * come in. The library's DebugSession reads them too, but a bad frame makes
 * it exit, and a header without Content-Length leaves it deaf.
 *
 * Here, frames are read by our own reader (framing.ts): one that cannot be
 * read is skipped and the client told so by an `output` event (category
 * `important`), and the session goes on.
 */
import { PassThrough } from 'node:stream';
import { DebugSession, OutputEvent } from '@vscode/debugadapter';
import { FrameReader, Frame } from './framing';

export class GuardedDebugSession extends DebugSession {
  start(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): void {
    // The library still hears the input's close and errors (they end the session), but not its bytes.
    const lifecycle = new PassThrough();
    input.on('close', () => lifecycle.emit('close'));
    input.on('error', (e: Error) => lifecycle.emit('error', e));
    super.start(lifecycle, output);
    const reader = new FrameReader();
    input.on('data', (chunk: Buffer | string) => {
      for (const frame of reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) this.take(frame);
    });
  }

  private take(frame: Frame): void {
    if (frame.kind === 'skipped') {
      this.sendEvent(new OutputEvent(`lguest debug adapter: skipped ${frame.reason}\n`, 'important'));
      return;
    }
    try {
      this.handleMessage(frame.message);
    } catch (e) {
      this.sendEvent(new OutputEvent(`lguest debug adapter: internal error on a message: ${(e as Error).message}\n`, 'important'));
    }
  }
}
