/** The adapter under abuse of the protocol itself, through a client that writes raw bytes. */
import { describe, it, expect, afterEach } from 'vitest';
import { RawClient, frame } from './rawClient';

describe('the adapter under protocol abuse', () => {
  let c: RawClient;
  afterEach(async () => { await c?.close(); });

  it('hardening item 3: skips bad frames with a word to the client, and goes on answering', async () => {
    c = new RawClient();
    const badFrames = [
      'Content-Length: 5\r\n\r\n{bad}', // not JSON
      frame('null'),
      frame('[1, 2]'),
      `Content-Length: 20\r\n\r\n${JSON.stringify({ seq: 90, type: 'request', command: 'threads' })}`, // shorter than its body
      `Content-Type: application/vscode-jsonrpc\r\n\r\n${JSON.stringify({ seq: 91, type: 'request', command: 'threads' })}`, // no length
      '\x00\xff garbage \r\n\r\n',
    ];
    for (const bad of badFrames) {
      c.write(bad);
      const answer = await c.request('initialize', { adapterID: 'lguest', pathFormat: 'path' });
      expect(answer.command).toBe('initialize');
    }
    const skipped = c.outputs.filter((o) => o.category === 'important' && /skipped/.test(o.output));
    expect(skipped).toHaveLength(badFrames.length);
    expect(skipped[0].output).toMatch(/a frame whose body is not JSON/);
    expect(skipped[1].output).toMatch(/a frame whose body is null, not a message object/);
    expect(skipped[4].output).toMatch(/a header block of \d+ bytes without Content-Length/);
    expect(c.unreadable).toEqual([]);
    expect(c.alive).toBe(true);
  });

  it('hardening item 3: a Content-Length longer than its body costs that frame only', async () => {
    c = new RawClient();
    const body = JSON.stringify({ seq: 1, type: 'request', command: 'initialize', arguments: { pathFormat: 'path' } });
    c.write(`Content-Length: ${body.length + 40}\r\n\r\n${body}`);
    const answer = await c.request('initialize', { adapterID: 'lguest', pathFormat: 'path' });
    expect(answer.success).toBe(true);
  });

});
