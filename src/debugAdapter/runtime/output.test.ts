/** The Guest's console bytes as output events: a line at a time, UTF-8 decoded as one stream. */
import { describe, it, expect } from 'vitest';
import { Output, OutputCategory } from './output';

function output() {
  const sent: [string, OutputCategory][] = [];
  return { out: new Output((text, category) => sent.push([text, category])), sent };
}
const bytes = (s: string) => [...new TextEncoder().encode(s)];

describe('Output', () => {
  it('sends a line when it ends, and the unfinished line before the debugger speaks', () => {
    const { out, sent } = output();
    for (const b of bytes('one\ntw')) out.guestByte(b);
    out.say('stopped');
    expect(sent).toEqual([['one\n', 'stdout'], ['tw', 'stdout'], ['stopped\n', 'console']]);
  });

  it('keeps a character cut by a flush for the next event, whole', () => {
    const { out, sent } = output();
    const [a, b, c] = bytes('€'); // three bytes
    out.guestByte(0x78);
    out.guestByte(a);
    out.guestByte(b);
    out.flush(); // a stop between two of its bytes
    out.guestByte(c);
    out.guestByte(10);
    expect(sent).toEqual([['x', 'stdout'], ['€\n', 'stdout']]);
  });

  it('sends nothing for a flush that holds only part of a character', () => {
    const { out, sent } = output();
    out.guestByte(0xc3);
    out.flush();
    out.guestByte(0xa9);
    out.flush();
    expect(sent).toEqual([['é', 'stdout']]);
  });

  it('cuts a long line at 1024 bytes without breaking its characters', () => {
    const { out, sent } = output();
    for (const b of bytes(`${'a'.repeat(1023)}é\n`)) out.guestByte(b);
    expect(sent.map(([t]) => t)).toEqual(['a'.repeat(1023), 'é\n']);
  });

  it('shows a byte that is not UTF-8 as U+FFFD', () => {
    const { out, sent } = output();
    for (const b of [0x41, 0xff, 0x42, 10]) out.guestByte(b);
    expect(sent).toEqual([['A\uFFFDB\n', 'stdout']]);
  });
});

describe('Output, between two turns of the event loop', () => {
  it('sends an unfinished line (a prompt) at the next turn', async () => {
    const { out, sent } = output();
    for (const b of bytes('/ # ')) out.guestByte(b);
    expect(sent).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([['/ # ', 'stdout']]);
    for (const b of bytes('ls\n')) out.guestByte(b);
    await new Promise((r) => setImmediate(r));
    expect(sent).toEqual([['/ # ', 'stdout'], ['ls\n', 'stdout']]);
  });
});
