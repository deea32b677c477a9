/**
 * The session's edge with its client, under LguestDebugSession: the bytes that
 * come in, and each request before its handler runs. The library's
 * DebugSession does both, but a bad frame makes it exit and it answers any
 * request it does not understand as it can: a handler's JavaScript error, stack
 * and all, or a success for a request it has no handler for.
 *
 * Here, frames are read by our own reader (framing.ts): one that cannot be
 * read is skipped and the client told so by an `output` event (category
 * `important`). Requests are checked (requestChecks.ts) against the session's
 * phase, which this class follows from what the session sends (an initialize
 * or launch response that succeeded, a disconnect, the Guest's end), and
 * against their arguments' types and limits. An error a handler did not
 * expect is answered in one line, and the session goes on.
 */
import { PassThrough } from 'node:stream';
import { DebugSession, OutputEvent, Response } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { FrameReader, Frame } from './framing';
import { checkRequest, Phase } from './requestChecks';

/** The library's code for an exception in a handler. */
const HANDLER_EXCEPTION = 1104;
/** Ours for a request refused before its handler. */
const REFUSED = 1002;

export class GuardedDebugSession extends DebugSession {
  private phase: Phase = 'new';

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
      const text = `lguest debug adapter: internal error on a message: ${(e as Error).message}\n`;
      this.sendEvent(new OutputEvent(text, 'important'));
    }
  }

  protected dispatchRequest(request: DebugProtocol.Request): void {
    const checked = checkRequest(request.command, request.arguments, this.phase);
    if ('error' in checked) {
      return this.sendErrorResponse(new Response(request), { id: REFUSED, format: checked.error, showUser: !checked.late });
    }
    super.dispatchRequest({ ...request, arguments: checked.args });
  }

  /**
   * Every error response goes out here, its message as it is: the library would
   * fill in `{name}`s from variables (and fail on a client's text with braces
   * in it), and would answer a handler's exception with its stack.
   */
  protected sendErrorResponse(response: DebugProtocol.Response, codeOrMessage: number | DebugProtocol.Message,
    format?: string, variables?: Record<string, string>): void {
    const error = typeof codeOrMessage === 'number' ? { id: codeOrMessage, format: format ?? '' } : codeOrMessage;
    const message = error.id === HANDLER_EXCEPTION
      ? `internal error in '${response.command}': ${variables?._exception ?? 'unknown'}` : error.format;
    response.success = false;
    response.message = message;
    // showUser as the handler says (default yes): a failed hover or watch is not a pop-up.
    response.body = { error: { id: error.id, format: message, showUser: error.showUser ?? true } };
    this.sendResponse(response);
  }

  sendResponse(response: DebugProtocol.Response): void {
    if (response.command === 'disconnect') this.phase = 'disconnected';
    else if (response.success && response.command === 'initialize') this.phase = 'initialized';
    else if (response.success && response.command === 'launch') this.phase = 'launched';
    super.sendResponse(response);
  }

  sendEvent(event: DebugProtocol.Event): void {
    if (event.event === 'terminated' && this.phase === 'launched') this.phase = 'ended';
    super.sendEvent(event);
  }
}
