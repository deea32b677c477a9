/**
 * What the protocol fuzzer (dapFuzzer.ts) sends, drawn from a seeded
 * generator: requests of every kind a session answers, with arguments a
 * well-behaved client could send, or spoiled (null, the wrong type, huge or
 * negative numbers, long strings, deep nesting) in one place or as a whole;
 * requests it does not answer; and frames that are broken.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { frame } from './rawClient';

/** mulberry32: a small, fast, seeded generator of 32-bit values. */
export class Rng {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x100000000;
  }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]; }
  maybe<T>(f: () => T): T | undefined { return this.chance(0.5) ? f() : undefined; }
  list<T>(f: () => T, max = 4): T[] { return Array.from({ length: this.int(0, max) }, f); }
}

/** JSON text put into a body as it is: numbers JSON.stringify cannot write (1e400), nesting it would overflow on. */
class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify, with RawJson values written as their text. */
export function serialize(value: unknown): string {
  const raws: string[] = [];
  const json = JSON.stringify(value, (_, v) => {
    if (!(v instanceof RawJson)) return v;
    raws.push(v.text);
    return `\u0001RAW${raws.length - 1}\u0001`;
  });
  return json.replace(/"\\u0001RAW(\d+)\\u0001"/g, (_, i) => raws[Number(i)]);
}

const WILD: unknown[] = [
  null, true, false, 0, -1, 1, 1.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, -1e308, 1e-300,
  new RawJson('1e400'), new RawJson('-1e400'), new RawJson('123456789012345678901234567890'),
  '', '0', '1', 'abc', 'eax', '0x', 'phys:', 'phys:0xffffffff', '{_stack}', '%s%n', '\u0000', 'é€😀', '__proto__',
  [], [1], [null], {}, { a: 1 }, { __proto__: { polluted: true } },
  new RawJson(`${'['.repeat(5000)}${']'.repeat(5000)}`), new RawJson(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`),
  '('.repeat(5000), 'x'.repeat(70_000),
];

const ADDRESSES = [
  '0xc0100000', 'phys:0x100000', '0xffc00000', 'phys:0x4000000', 'phys:0x3fffffe', '0x0', '0x80000000', '0xfffffffc',
  '0x45000000',
];
const EXPRESSIONS = [
  'eax', '$esp', '*(u32 *)esp', '[esp + 4]', 'eip == kernel_main', 'gcr3', 'cr2 & 0xfff', '1 / 0', '((((1))))',
  'nosuchname', 'info idt', 'info gdt', 'info tlb', 'info lguest', 'x/8x $esp', 'x/4i eip', 'x/2s 0xc0100000',
  'page 0xc0100000', 'help', '(((',
];
const FUNCTIONS = [
  'kernel_main', 'printf', 'timer_tick', 'heap_main', 'trap 14', 'hypercall SET_PTE', 'syscall 4', 'guestKilled',
  'nosuch',
];
const FILTERS = ['trap', 'hypercall', 'syscall', 'guestKilled', 'nosuch'];
/** Standard requests this adapter does not answer, and made-up ones. */
export const UNANSWERED = [
  'attach', 'restart', 'goto', 'setExpression', 'completions', 'stepBack', 'cancel', 'modules', 'loadedSources', 'bogus',
];

/** The requests a session answers: the core ones, those its capabilities announce, and lguest's own. */
export function commandsFrom(capabilities: DebugProtocol.Capabilities): string[] {
  const byCapability: [keyof DebugProtocol.Capabilities, string[]][] = [
    ['supportsConfigurationDoneRequest', ['configurationDone']],
    ['supportsFunctionBreakpoints', ['setFunctionBreakpoints']],
    ['supportsInstructionBreakpoints', ['setInstructionBreakpoints']],
    ['supportsDisassembleRequest', ['disassemble']],
    ['supportsReadMemoryRequest', ['readMemory']],
    ['supportsWriteMemoryRequest', ['writeMemory']],
    ['supportsSetVariable', ['setVariable']],
    ['supportsExceptionInfoRequest', ['exceptionInfo']],
    ['supportsTerminateRequest', ['terminate']],
    ['supportsDataBreakpoints', ['dataBreakpointInfo', 'setDataBreakpoints']],
  ];
  const core = [
    'initialize', 'launch', 'disconnect', 'setBreakpoints', 'setExceptionBreakpoints', 'continue', 'next', 'stepIn',
    'stepOut', 'pause', 'threads', 'stackTrace', 'scopes', 'variables', 'source', 'evaluate',
  ];
  const lguest = ['state', 'gdt', 'idt', 'pagetables', 'translate', 'traps', 'location'].map((c) => `lguest/${c}`);
  return [...core, ...byCapability.filter(([cap]) => capabilities[cap] === true).flatMap(([, cmds]) => cmds), ...lguest];
}

/** The Guest the session runs: its ELF file, and source files for breakpoints. */
export interface Subject {
  program: string;
  sources: string[];
}

/** Arguments a well-behaved client could send for each request. */
export function goodArguments(r: Rng, command: string, subject: Subject): unknown {
  const thread = { threadId: 1 };
  const conditions = () => ({
    condition: r.maybe(() => r.pick(EXPRESSIONS)), hitCondition: r.maybe(() => r.pick(['3', '>2', '%2', 'x'])),
  });
  const address = () => r.pick(ADDRESSES);
  switch (command) {
    case 'initialize': return { adapterID: 'lguest', pathFormat: 'path' };
    case 'launch': return { program: subject.program, stopOnEntry: true };
    case 'disconnect': case 'terminate': case 'configurationDone': case 'threads': return {};
    case 'setBreakpoints': {
      const breakpoint = () => ({ line: r.int(1, 200), ...conditions(), logMessage: r.maybe(() => '{eax}') });
      return { source: { path: r.pick(subject.sources) }, breakpoints: r.list(breakpoint) };
    }
    case 'setFunctionBreakpoints': return { breakpoints: r.list(() => ({ name: r.pick(FUNCTIONS), ...conditions() })) };
    case 'setInstructionBreakpoints':
      return { breakpoints: r.list(() => ({ instructionReference: address(), offset: r.int(-8, 8) })) };
    case 'setExceptionBreakpoints': {
      const option = () => ({ filterId: r.pick(FILTERS), condition: r.pick(['14', '0x20-0x2f', 'SET_PTE', '']) });
      return { filters: r.list(() => r.pick(FILTERS), 2), filterOptions: r.list(option, 2) };
    }
    case 'dataBreakpointInfo': return { name: r.pick(EXPRESSIONS) };
    case 'setDataBreakpoints': {
      const watch = () => ({ dataId: `${address().replace('phys:', '')}/${r.int(1, 8)}`, accessType: 'write' });
      return { breakpoints: r.list(watch) };
    }
    case 'continue': case 'pause': case 'exceptionInfo': return thread;
    case 'next': case 'stepIn': case 'stepOut':
      return { ...thread, granularity: r.pick(['instruction', 'instruction', 'line']) };
    case 'stackTrace': return { ...thread, startFrame: r.int(0, 3), levels: r.int(0, 20) };
    case 'scopes': return { frameId: r.int(1, 3) };
    case 'variables': return { variablesReference: r.int(999, 1010) };
    case 'setVariable': {
      const variablesReference = r.int(999, 1010);
      return { variablesReference, name: r.pick(['eax', 'ebx', 'eflags', 'cs', 'nosuch']), value: r.pick(EXPRESSIONS) };
    }
    case 'source': return { sourceReference: r.int(4999, 5003) };
    case 'evaluate': return { expression: r.pick(EXPRESSIONS), context: r.pick(['watch', 'repl', 'hover']) };
    case 'readMemory':
      return { memoryReference: address(), offset: r.int(-16, 16), count: r.pick([0, 1, 4, 64, 4096, 1 << 20]) };
    case 'writeMemory': {
      const memoryReference = address();
      const data = Buffer.from(r.list(() => r.int(0, 255), 8)).toString('base64');
      return { memoryReference, data, allowPartial: r.chance(0.5) };
    }
    case 'disassemble': {
      const memoryReference = address();
      const instructionOffset = r.pick([0, -5, 10, -10_000, 10_000]);
      return { memoryReference, instructionOffset, instructionCount: r.pick([1, 10, 50, 10_000]) };
    }
    case 'lguest/pagetables':
      return { slot: r.maybe(() => r.int(0, 3)), directoryIndex: r.maybe(() => r.pick([0, 768, 1023])) };
    case 'lguest/translate': case 'lguest/location': return { address: address().replace('phys:', '') };
    case 'lguest/traps': return { count: r.int(0, 20) };
    default: return {};
  }
}

/** Spoil arguments: the whole, or one field, or a field too many. */
export function spoil(r: Rng, args: unknown): unknown {
  if (r.chance(0.2) || typeof args !== 'object' || args === null) return r.pick(WILD);
  const copy: Record<string, unknown> = { ...(args as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || r.chance(0.2)) {
    copy[r.pick(['threadId', 'count', 'expression', 'breakpoints', 'extra'])] = r.pick(WILD);
  } else if (r.chance(0.3)) {
    delete copy[r.pick(keys)];
  } else {
    const key = r.pick(keys);
    copy[key] = Array.isArray(copy[key]) && r.chance(0.5) ? [r.pick(WILD), ...(copy[key] as unknown[])] : r.pick(WILD);
  }
  return copy;
}

/** A frame no client should send, and which kind it is (to tell of a hang after it). */
export function brokenFrame(r: Rng, seq: number): [string, number] {
  const kind = r.int(0, 13);
  return [brokenFrameOf(r, kind, seq), kind];
}

function brokenFrameOf(r: Rng, kind: number, seq: number): string {
  const request = JSON.stringify({ seq, type: 'request', command: 'threads', arguments: {} });
  switch (kind) {
    case 0: return 'Content-Length: 5\r\n\r\n{bad}';
    case 1: return frame(r.pick(['null', '42', '"text"', '[]', 'true', '{}']));
    case 2: return `Content-Length: ${request.length - r.int(1, 30)}\r\n\r\n${request}`;
    case 3: return `Content-Length: ${request.length + r.int(1, 32)}\r\n\r\n${request}`;
    case 4: return `Content-Type: application/json\r\n\r\n${request}`;
    case 5: return request;
    case 6: return Buffer.from(Array.from({ length: r.int(1, 200) }, () => r.int(0, 255))).toString('latin1');
    case 7: return `Content-Length: ${r.pick(['abc', '-5', '1e3', '0x10', '', '99999999999'])}\r\n\r\n${request}`;
    case 8: return 'Content-Length: 0\r\n\r\n';
    case 9: {
      const seqOrNot = r.pick(WILD);
      const type = r.pick(['request', 'response', 'event', 5, null]);
      return frame(JSON.stringify({ seq: seqOrNot, type, command: r.pick(['threads', 7, null]) }));
    }
    case 10: return frame(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    case 11: return 'Content-Len';
    case 12: // a response to a request the adapter never sent
      return frame(JSON.stringify({ seq, type: 'response', request_seq: 1, success: true, command: 'runInTerminal' }));
    default: return `Content-Length: ${request.length}\r\n${request}`; // a header with no blank line after it
  }
}
