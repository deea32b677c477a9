import { describe, it, expect } from 'vitest';
import { checkRequest, MAX_DISASSEMBLE_INSTRUCTIONS, MAX_MEMORY_BYTES } from './requestChecks';

const error = (command: string, args: unknown, phase: Parameters<typeof checkRequest>[2] = 'launched') => {
  const r = checkRequest(command, args, phase);
  return 'error' in r ? r.error : null;
};

describe('request checks', () => {
  it('hardening item 10: initialize takes pathFormat "path", and assumes it when it is missing', () => {
    expect(checkRequest('initialize', { adapterID: 'x' }, 'new')).toEqual({ args: { pathFormat: 'path' } });
    expect(checkRequest('initialize', undefined, 'new')).toEqual({ args: { pathFormat: 'path' } });
    expect(error('initialize', { pathFormat: 'uri' }, 'new'))
      .toBe('initialize: arguments.pathFormat must be "path", not "uri"');
  });

  it('hardening item 4: disassemble and memory requests are bounded', () => {
    const dis = (instructionOffset: number, instructionCount: number) =>
      error('disassemble', { memoryReference: '0x0', instructionOffset, instructionCount });
    expect(dis(-MAX_DISASSEMBLE_INSTRUCTIONS, MAX_DISASSEMBLE_INSTRUCTIONS)).toBeNull();
    expect(dis(0, MAX_DISASSEMBLE_INSTRUCTIONS + 1))
      .toMatch(/instructionCount must be a whole number from 0 to 10000, not 10001$/);
    expect(dis(MAX_DISASSEMBLE_INSTRUCTIONS + 1, 1))
      .toMatch(/instructionOffset must be a whole number from -10000 to 10000/);
    expect(dis(0, 1.5)).toMatch(/instructionCount must be a whole number/);
    expect(error('readMemory', { memoryReference: '0x0', count: MAX_MEMORY_BYTES })).toBeNull();
    expect(error('readMemory', { memoryReference: '0x0', count: MAX_MEMORY_BYTES + 1 }))
      .toMatch(/count must be a whole number/);
    const data = (bytes: number) => Buffer.alloc(bytes).toString('base64');
    expect(error('writeMemory', { memoryReference: '0x0', data: data(MAX_MEMORY_BYTES) })).toBeNull();
    expect(error('writeMemory', { memoryReference: '0x0', data: data(MAX_MEMORY_BYTES + 1) }))
      .toMatch(/at most 1048576 bytes$/);
    expect(error('writeMemory', { memoryReference: '0x0', data: 'AAAAA' })).toMatch(/data must be bytes in base64/);
  });

  it('hardening item 7: each request in its time, with arguments of the right types', () => {
    expect(error('stackTrace', { threadId: 1 }, 'initialized')).toBe("'stackTrace' needs a Guest: launch one first");
    expect(error('continue', { threadId: 1 }, 'ended'))
      .toBe("'continue' after the Guest's end: there is nothing left to run");
    expect(error('stackTrace', { threadId: 1 }, 'ended')).toBeNull();
    expect(error('threads', {}, 'disconnected')).toBe("'threads' after 'disconnect': the session is over");
    // A view asking as the session goes away (Variables loading at Shift+F5) is late, not wrong: no pop-up for it.
    expect(checkRequest('variables', { variablesReference: 1 }, 'disconnected')).toMatchObject({ late: true });
    expect(checkRequest('continue', { threadId: 1 }, 'ended')).toMatchObject({ late: true });
    expect(checkRequest('stackTrace', { threadId: 1 }, 'initialized')).toMatchObject({ late: false });
    expect(checkRequest('next', null, 'launched')).not.toHaveProperty('late');
    expect(error('goto', { threadId: 1, targetId: 1 })).toMatch(/^'goto' is not a request this adapter answers/);
    expect(error('next', null)).toBe('next: arguments must be an object, not null');
    expect(error('next', { threadId: 1, granularity: 'word' }))
      .toBe('next: arguments.granularity must be "statement" or "line" or "instruction", not "word"');
    expect(error('setBreakpoints', { source: { path: 3 } }))
      .toBe('setBreakpoints: arguments.source.path must be a string, not 3');
    expect(error('setBreakpoints', { source: {}, breakpoints: [{ line: 1 }, { line: 0 }] }))
      .toBe('setBreakpoints: arguments.breakpoints[1].line must be a whole number from 1 to 2147483647, not 0');
  });

  it('gives a handler only the fields it uses', () => {
    const deep: unknown[] = [];
    let at = deep;
    for (let i = 0; i < 100_000; i++) at = (at[0] = []) as unknown[];
    const args = { source: { path: '/a.c', adapterData: deep }, breakpoints: [{ line: 3, x: 1 }] };
    const r = checkRequest('setBreakpoints', args, 'launched');
    expect(r).toEqual({ args: { source: { path: '/a.c' }, breakpoints: [{ line: 3 }] } });
  });
});
