import { describe, it, expect } from 'vitest';
import { FrameReader, Frame, MAX_FRAME_BYTES } from './framing';

const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const request = (seq: number, command = 'threads') => JSON.stringify({ seq, type: 'request', command });

/** What the reader makes of these chunks: each message's seq, or 'skipped: reason'. */
function read(...chunks: (string | Buffer)[]): string[] {
  const r = new FrameReader();
  const frames: Frame[] = chunks.flatMap((c) => r.push(typeof c === 'string' ? Buffer.from(c) : c));
  return frames.map((f) => (f.kind === 'message' ? `seq ${f.message.seq}` : `skipped: ${f.reason}`));
}

describe('hardening item 3: the adapter reads frames itself, and skips the bad ones', () => {
  it('reads frames whole, split at any byte, or several in one chunk', () => {
    const two = frame(request(1)) + frame(request(2));
    expect(read(two)).toEqual(['seq 1', 'seq 2']);
    for (let cut = 1; cut < two.length; cut++) {
      expect(read(two.slice(0, cut), two.slice(cut))).toEqual(['seq 1', 'seq 2']);
    }
    expect(read(...[...two].map((c) => c))).toEqual(['seq 1', 'seq 2']);
  });

  it('counts the body in bytes, not characters', () => {
    const body = JSON.stringify({ seq: 1, type: 'request', command: 'evaluate', arguments: { expression: 'é€😀' } });
    expect(read(frame(body) + frame(request(2)))).toEqual(['seq 1', 'seq 2']);
  });

  it('skips a body that is not JSON and reads the next frame', () => {
    const out = read(`Content-Length: 5\r\n\r\n{bad}${frame(request(2))}`);
    expect(out[0]).toMatch(/^skipped: a frame whose body is not JSON .*reading on at the next Content-Length header$/);
    expect(out.slice(1)).toEqual(['seq 2']);
  });

  it('skips bodies that are JSON but not messages: null, a number, a list, no seq, no type, no command', () => {
    const bodies = ['null', '42', '"x"', '[1]', '{"type":"request","command":"threads"}', '{"seq":1.5,"type":"request"}',
      '{"seq":1,"command":"threads"}', '{"seq":1,"type":"request"}'];
    const out = read(...bodies.map(frame), frame(request(9)));
    expect(out.slice(0, -1).every((s) => s.startsWith('skipped: '))).toBe(true);
    expect(out).toHaveLength(bodies.length + 1);
    expect(out[0]).toBe('skipped: a frame whose body is null, not a message object');
    expect(out.at(-1)).toBe('seq 9');
  });

  it('finds the next frame after a Content-Length shorter than the body', () => {
    const body = request(1);
    const out = read(`Content-Length: ${body.length - 10}\r\n\r\n${body}${frame(request(2))}`);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^skipped: a frame whose body is not JSON/);
    expect(out[1]).toBe('seq 2');
  });

  it('finds the next frame inside the body of a Content-Length longer than its body', () => {
    const body = request(1);
    const out = read(`Content-Length: ${body.length + 30}\r\n\r\n${body}`, frame(request(2)), frame(request(3)));
    expect(out).toEqual([expect.stringMatching(/^skipped: a frame whose body is not JSON/), 'seq 2', 'seq 3']);
  });

  it('drops a header block without Content-Length at its blank line, body and all', () => {
    const out = read(`Content-Type: application/json\r\n\r\n${request(1)}`, frame(request(2)));
    expect(out).toEqual([
      'skipped: a header block of 30 bytes without Content-Length; reading on at the next Content-Length header', 'seq 2',
    ]);
  });

  it('does not let a header without its blank line swallow the next frame', () => {
    const out = read(`Content-Length: 80\r\n${request(1)}`, frame(request(2)));
    expect(out).toEqual([expect.stringMatching(/^skipped: a header followed by a line that is not a header field/),
      'seq 2']);
    expect(read(`Content-Type: x\r\n${frame(request(1))}`)).toEqual(['seq 1']);
  });

  it('skips garbage before a header, and a header whose length is not a number', () => {
    expect(read(`garbage${frame(request(1))}`))
      .toEqual(['skipped: 7 bytes that are not a frame, before a header', 'seq 1']);
    const out = read(`Content-Length: 1e3\r\n\r\n${request(1)}`, frame(request(2)));
    expect(out).toEqual([expect.stringMatching(/^skipped: a frame whose header 'Content-Length: 1e3' is not a length/),
      'seq 2']);
  });

  it('refuses a Content-Length above the limit instead of waiting for it', () => {
    const out = read(`Content-Length: ${MAX_FRAME_BYTES + 1}\r\n\r\n{}`, frame(request(2)));
    expect(out).toEqual([expect.stringMatching(/is not a length up to 16777216 bytes/), 'seq 2']);
  });

  it('skips a run of bytes with no header in it, once, and keeps only what could start one', () => {
    const r = new FrameReader();
    const noise = Buffer.alloc(100_000, 'x');
    expect(r.push(noise))
      .toEqual([{ kind: 'skipped', reason: expect.stringMatching(/^100000 bytes that are not a frame/) }]);
    expect(r.push(noise)).toEqual([]);
    // A header cut in two across chunks, after the noise, is still found.
    const next = frame(request(5));
    expect(r.push(Buffer.from(next.slice(0, 8)))).toEqual([]);
    expect(r.push(Buffer.from(next.slice(8)))).toEqual([{ kind: 'message', message: JSON.parse(request(5)) }]);
  });

  it('reads a large body that comes in many chunks', () => {
    const data = 'A'.repeat(2_000_000);
    const body = JSON.stringify({ seq: 1, type: 'request', command: 'writeMemory', arguments: { data } });
    const bytes = Buffer.from(frame(body));
    const chunks = [];
    for (let i = 0; i < bytes.length; i += 65536) chunks.push(bytes.subarray(i, i + 65536));
    expect(read(...chunks)).toEqual(['seq 1']);
  });
});
