/** The adapter under abuse of the protocol itself, through a client that writes raw bytes. */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { RawClient, frame } from './rawClient';
import { TOUR } from './client';

const threads = (seq: number) => JSON.stringify({ seq, type: 'request', command: 'threads' });
/** A JavaScript error's words, which a client should never see. */
const RAW_ERROR = /TypeError|RangeError|ReferenceError|Cannot read prop|is not a function|Maximum call stack|\n\s+at /;

describe('the adapter under protocol abuse', () => {
  let c: RawClient;
  afterEach(async () => { await c?.close(); });

  it('hardening item 3: skips bad frames with a word to the client, and goes on answering', async () => {
    c = new RawClient();
    const badFrames = [
      'Content-Length: 5\r\n\r\n{bad}', // not JSON
      frame('null'),
      frame('[1, 2]'),
      `Content-Length: 20\r\n\r\n${threads(90)}`, // shorter than its body
      `Content-Type: application/vscode-jsonrpc\r\n\r\n${threads(91)}`, // no length
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

  it('hardening item 10: initialize without pathFormat takes the default, "path"; "uri" is refused', async () => {
    c = new RawClient();
    const uri = await c.request('initialize', { adapterID: 'lguest', pathFormat: 'uri' });
    expect(uri.success).toBe(false);
    expect(uri.message).toBe('initialize: arguments.pathFormat must be "path", not "uri"');
    const plain = await c.request('initialize', { adapterID: 'lguest' });
    expect(plain.success).toBe(true);
    expect(plain.body.supportsDisassembleRequest).toBe(true);
  });

  it('hardening item 7: requests before initialize or launch, or after disconnect, are errors', async () => {
    c = new RawClient();
    expect((await c.request('threads')).message).toBe("'threads' before 'initialize': a session starts with initialize");
    await c.request('initialize', { adapterID: 'lguest' });
    expect((await c.request('initialize', { adapterID: 'lguest' })).message).toBe('the session is initialized already');
    for (const [command, args] of [['continue', { threadId: 1 }], ['next', { threadId: 1 }], ['pause', { threadId: 1 }],
      ['stackTrace', { threadId: 1 }], ['variables', { variablesReference: 1 }], ['exceptionInfo', { threadId: 1 }],
      ['lguest/state', {}], ['terminate', {}]] as const) {
      const r = await c.request(command, args);
      expect(r.success, command).toBe(false);
      expect(r.message).toBe(`'${command}' needs a Guest: launch one first`);
    }
    expect((await c.request('attach', {})).message).toMatch(/^'attach' is not a request this adapter answers/);
    expect((await c.request('disconnect', {})).success).toBe(true);
    for (const command of ['threads', 'launch', 'initialize', 'disconnect']) {
      expect((await c.request(command, {})).message).toBe(`'${command}' after 'disconnect': the session is over`);
    }
  });

  it('hardening item 7: a launch whose arguments nest deep gets an error, not a crash', async () => {
    c = new RawClient();
    await c.request('initialize', { adapterID: 'lguest' });
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const answered = c.response(900);
    c.write(frame(`{"seq":900,"type":"request","command":"launch","arguments":{"program":"${TOUR}","mode":${deep}}}`));
    expect((await answered).message)
      .toBe('invalid launch configuration: \'mode\' must be "lguest" or "bare", not a list');
    expect((await c.request('threads')).success).toBe(true);
  });

  it('hardening item 7: arguments missing, null or of a wrong type get clear errors, not JavaScript ones', async () => {
    c = new RawClient();
    await c.launch(TOUR);
    const bad: [string, unknown][] = [
      ['stackTrace', null], ['stackTrace', 'frames'], ['stackTrace', { threadId: '1' }],
      ['stackTrace', { threadId: 1, levels: 1e300 }],
      ['scopes', {}], ['variables', { variablesReference: 'x' }], ['variables', { variablesReference: 424242 }],
      ['evaluate', { expression: 42 }], ['evaluate', {}], ['evaluate', { expression: '('.repeat(100_000) }],
      ['setVariable', { variablesReference: 424242, name: 'eax', value: '1' }], ['setVariable', { name: 'eax' }],
      ['readMemory', { memoryReference: '0x0', count: '12' }], ['readMemory', { memoryReference: 7, count: 1 }],
      ['readMemory', { memoryReference: '0xc0100000', count: 1e9 }],
      ['writeMemory', { memoryReference: '0xc0100000', data: '***' }], ['writeMemory', { memoryReference: '0xc0100000' }],
      ['disassemble', { memoryReference: '0xc0100000', instructionCount: 'ten' }],
      ['setBreakpoints', { source: 'tour.c', breakpoints: [{ line: 1 }] }],
      ['setBreakpoints', { source: {}, breakpoints: [{}] }],
      ['setBreakpoints', { source: {}, breakpoints: Array.from({ length: 5000 }, (_, i) => ({ line: i + 1 })) }],
      ['setFunctionBreakpoints', null], ['setFunctionBreakpoints', { breakpoints: [null] }],
      ['setExceptionBreakpoints', { filters: 'trap' }], ['setDataBreakpoints', { breakpoints: [{ dataId: 5 }] }],
      ['setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x0', offset: 'x' }] }],
      ['dataBreakpointInfo', { name: null }], ['continue', { threadId: 2 }], ['source', { sourceReference: -1 }],
      ['lguest/pagetables', { slot: 1.5 }], ['lguest/translate', null], ['launch', { program: TOUR }],
      ['setExpression', {}],
    ];
    for (const [command, args] of bad) {
      const r = await c.request(command, args);
      expect(r.success, `${command} ${JSON.stringify(args)?.slice(0, 80)}`).toBe(false);
      expect(r.message, command).not.toMatch(RAW_ERROR);
      expect(r.message!.length, command).toBeLessThan(300);
    }
    // The errors say what is wrong.
    expect((await c.request('stackTrace', null)).message).toBe('stackTrace: arguments must be an object, not null');
    expect((await c.request('readMemory', { memoryReference: '0x0', count: '12' })).message)
      .toBe('readMemory: arguments.count must be a whole number from 0 to 1048576, not "12"');
    const stale = await c.request('variables', { variablesReference: 424242 });
    expect(stale.message).toMatch(/^no variables with reference 424242/);
    // A view asks for an old stop's reference when the Guest ran on under it (F5 while Variables was loading):
    // not something the user typed, so not a pop-up.
    expect((stale.body as { error?: DebugProtocol.Message }).error?.showUser).toBe(false);
    // The Disassembly view, open across VS Code's restart, asks at '' before the new run's first stop: no pop-up either.
    const nowhere = await c.request('disassemble', { memoryReference: '', instructionCount: 50 });
    expect(nowhere.message).toBe("bad memory reference ''");
    expect((nowhere.body as { error?: DebugProtocol.Message }).error?.showUser).toBe(false);
    const thousands = { source: {}, breakpoints: Array.from({ length: 5000 }, () => ({ line: 1 })) };
    expect((await c.request('setBreakpoints', thousands)).message)
      .toBe('setBreakpoints: arguments.breakpoints must hold at most 1000 items, not 5000');
    // And the session goes on.
    const stack = await c.request('stackTrace', { threadId: 1 });
    expect(stack.success).toBe(true);
    expect((stack.body as DebugProtocol.StackTraceResponse['body']).stackFrames.length).toBeGreaterThan(0);
    expect(c.outputs.filter((o) => /internal error/.test(o.output))).toEqual([]);
  });
});
