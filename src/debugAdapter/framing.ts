/**
 * The Debug Adapter Protocol's framing, read forgivingly. A frame is a header
 * block (`Content-Length: N`, perhaps other fields, each line ended by CRLF,
 * then a blank line) and a body of N bytes of JSON: one protocol message.
 *
 * The library's own reader gives up on the first bad frame (the adapter then
 * exits) or, after a header without Content-Length, takes every later frame's
 * header for part of a body and never answers again. Here a frame that cannot
 * be read is skipped, with a reason the session tells its client, and reading
 * goes on from the next `Content-Length:` it finds, even one inside the body of
 * the bad frame (a Content-Length longer than its body swallows the start of
 * the frame after it). A header block without Content-Length is dropped at its
 * blank line.
 *
 * What it keeps is bounded: a body of MAX_FRAME_BYTES at most (a header asking
 * for more is skipped), a header of MAX_HEADER_BYTES, and while it looks for a
 * header, only the few bytes that could be the start of one.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';

/** The largest body accepted: room for a writeMemory of a MiB in base64, and then some. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
/** The longest header block: DAP's has one field. */
export const MAX_HEADER_BYTES = 1024;

const MARKER = 'Content-Length:';
const BLANK_LINE = '\r\n\r\n';

/** What a run of bytes held: a message, or something skipped and why. */
export type Frame =
  | { kind: 'message'; message: DebugProtocol.ProtocolMessage }
  | { kind: 'skipped'; reason: string };

type State =
  | { kind: 'header' }
  | { kind: 'body'; length: number }
  /** After a bad frame: bytes are dropped, unreported, up to the next Content-Length. */
  | { kind: 'seeking' };

export class FrameReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private state: State = { kind: 'header' };

  /** Take the next bytes from the stream; returns what they complete. */
  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // A large body comes in many chunks: join them once, when it is all there.
    if (this.state.kind === 'body' && this.pendingBytes < this.state.length) return [];
    const buf = this.pending.length === 1 ? this.pending[0] : join(this.pending, this.pendingBytes);
    const frames: Frame[] = [];
    let at = 0;
    for (let next = this.step(buf, at, frames); next !== null; next = this.step(buf, at, frames)) at = next;
    const rest = buf.subarray(at);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return frames;
  }

  /** One step from `at`: the position after what it read, or null if it needs more bytes. */
  private step(buf: Buffer, at: number, frames: Frame[]): number | null {
    switch (this.state.kind) {
      case 'seeking': {
        const m = buf.indexOf(MARKER, at);
        if (m < 0) {
          // Keep what could be the start of a marker cut in two by the stream.
          const keep = Math.max(at, buf.length - (MARKER.length - 1));
          return keep > at ? keep : null;
        }
        this.state = { kind: 'header' };
        return m;
      }
      case 'header':
        return this.header(buf, at, frames);
      case 'body': {
        const length = this.state.length;
        if (buf.length - at < length) return null;
        const body = buf.toString('utf8', at, at + length);
        let value: unknown;
        try {
          value = JSON.parse(body);
        } catch (e) {
          // The body may hold the next frame's header, if Content-Length was longer than the body: look there too.
          return this.resync(frames, `a frame whose body is not JSON (${(e as Error).message})`, at);
        }
        this.state = { kind: 'header' };
        frames.push(asMessage(value));
        return at + length;
      }
    }
  }

  private header(buf: Buffer, at: number, frames: Frame[]): number | null {
    const m = buf.indexOf(MARKER, at);
    const end = buf.indexOf(BLANK_LINE, at);
    if (end >= 0 && (m < 0 || end < m)) {
      return this.resync(frames, `a header block of ${end - at} bytes without Content-Length`, end + BLANK_LINE.length);
    }
    if (m < 0) {
      if (buf.length - at <= MAX_HEADER_BYTES) return null;
      return this.resync(frames, `${buf.length - at} bytes that are not a frame`, at + 1);
    }
    // Other header fields may come first, each on a line of its own; anything else before the marker is garbage.
    if (m - at > MAX_HEADER_BYTES || !fields(buf.toString('latin1', at, m))) {
      frames.push({ kind: 'skipped', reason: `${m - at} bytes that are not a frame, before a header` });
      return m;
    }
    if (end < 0) {
      if (buf.length - at <= MAX_HEADER_BYTES) return null;
      return this.resync(frames, `a header longer than ${MAX_HEADER_BYTES} bytes`, m + 1);
    }
    const [line, ...rest] = buf.toString('latin1', m, end).split('\r\n');
    const length = /^Content-Length:[ \t]*(\d{1,9})[ \t]*$/.exec(line);
    if (!length || Number(length[1]) > MAX_FRAME_BYTES) {
      const shown = line.length > 60 ? `${line.slice(0, 60)}...` : line;
      return this.resync(frames, `a frame whose header '${shown}' is not a length up to ${MAX_FRAME_BYTES} bytes`,
        m + 1);
    }
    // A header without its blank line would take the next frame's header for more fields, and its body for ours.
    if (!fields(rest.map((l) => `${l}\r\n`).join(''))) {
      return this.resync(frames, 'a header followed by a line that is not a header field', m + 1);
    }
    this.state = { kind: 'body', length: Number(length[1]) };
    return end + BLANK_LINE.length;
  }

  /** Skip a bad frame: say why, and look for the next header from `from` on. */
  private resync(frames: Frame[], what: string, from: number): number {
    frames.push({ kind: 'skipped', reason: `${what}; reading on at the next Content-Length header` });
    this.state = { kind: 'seeking' };
    return from;
  }
}

/** Is this text header fields, each `Name: value` on a line ended by CRLF (empty lines allowed)? */
function fields(text: string): boolean {
  return /^(?:(?:[A-Za-z0-9-]+:[^\r\n]*)?\r\n)*$/.test(text);
}

function join(chunks: Buffer[], length: number): Buffer {
  const joined = Buffer.alloc(length);
  let offset = 0;
  for (const c of chunks) {
    joined.set(c, offset);
    offset += c.length;
  }
  return joined;
}

/** A parsed body is a message if it has what every message has: an integer seq, a type, for a request a command. */
function asMessage(value: unknown): Frame {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return { kind: 'skipped', reason: `a frame whose body is ${what}, not a message object` };
  }
  const m = value as Record<string, unknown>;
  if (!Number.isSafeInteger(m.seq)) return { kind: 'skipped', reason: 'a message without an integer seq' };
  if (typeof m.type !== 'string') return { kind: 'skipped', reason: 'a message without a type' };
  if (m.type === 'request' && typeof m.command !== 'string') {
    return { kind: 'skipped', reason: 'a request without a command' };
  }
  return { kind: 'message', message: value as DebugProtocol.ProtocolMessage };
}
