/**
 * A fuzzing campaign against the adapter's protocol edge, for
 * `npm run fuzz:dap` (scripts/fuzz-dap.ts) and, short, for the tests.
 *
 * It launches a real Guest under the adapter, then sends frames chosen by a
 * seeded generator: requests of every kind the adapter answers (its
 * capabilities say which), lguest's own, and some it does not answer, with
 * arguments that are right, or wrong in one place or everywhere (null, the
 * wrong type, huge or negative numbers, long strings, deep nesting); and
 * frames that are broken (not JSON, null, a Content-Length too short or too
 * long, no header, garbage bytes). After each batch it checks that the
 * adapter still answers a plain request and has not died; a request not
 * answered within a generous bound is a hang. When a session ends (the Guest
 * powered off or was killed, a terminate, a disconnect), the next one starts.
 *
 * The same seed sends the same frames; what the Guest does between them
 * depends on when they arrive, so the counts may differ a little.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { RawClient, frame } from './rawClient';

export interface CampaignOptions {
  frames: number;
  seed: number;
  /** The Guest to launch. */
  program: string;
  /** The built adapter (dist/debugAdapter.js). */
  adapter: string;
  /** Source files of the program, for breakpoints. */
  sources: string[];
  /** Frames between two liveness checks. */
  batch?: number;
  /** How long a liveness check may wait for its answer: a bound for hangs, not a measure of speed. */
  livenessMs?: number;
  onProgress?: (counts: Counts) => void;
}

export interface Counts {
  /** Fuzz frames written (liveness checks and session starts not counted). */
  frames: number;
  /** Of those, well-formed requests, and broken frames. */
  requests: number;
  broken: number;
  /** Responses to the well-formed requests, and how many were errors. */
  responses: number;
  errors: number;
  /** Frames the adapter reported skipping (output events in category important). */
  skipped: number;
  livenessChecks: number;
  sessions: number;
  /** The adapter exited on its own, or did not answer a liveness check in time. */
  deaths: number;
  hangs: number;
  /** Error responses that were a JavaScript error rather than a message about the request. */
  internalErrors: number;
}

export interface CampaignResult {
  counts: Counts;
  /** What went wrong, in words: deaths, hangs, internal errors (the first few of each). */
  problems: string[];
}

/** A JavaScript error's words, which a client should never see. */
export const RAW_ERROR = /internal error|TypeError|RangeError|ReferenceError|Cannot read prop|is not a function|Maximum call stack|\n\s+at /;

// ---- A seeded generator -------------------------------------------------------

/** mulberry32: a small, fast, seeded generator of 32-bit values. */
class Rng {
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

function serialize(value: unknown): string {
  const raws: string[] = [];
  const json = JSON.stringify(value, (_, v) => {
    if (!(v instanceof RawJson)) return v;
    raws.push(v.text);
    return `\u0001RAW${raws.length - 1}\u0001`;
  });
  return json.replace(/"\\u0001RAW(\d+)\\u0001"/g, (_, i) => raws[Number(i)]);
}

// ---- What to send ---------------------------------------------------------------

const WILD: unknown[] = [
  null, true, false, 0, -1, 1, 1.5, -0.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, -1e308, 1e-300,
  new RawJson('1e400'), new RawJson('-1e400'), new RawJson('123456789012345678901234567890'),
  '', '0', '1', 'abc', 'eax', '0x', 'phys:', 'phys:0xffffffff', '{_stack}', '%s%n', '\u0000', 'é€😀', '__proto__',
  [], [1], [null], {}, { a: 1 }, { __proto__: { polluted: true } },
  new RawJson(`${'['.repeat(5000)}${']'.repeat(5000)}`), new RawJson(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`),
  '('.repeat(5000), 'x'.repeat(70_000),
];

const ADDRESSES = ['0xc0100000', 'phys:0x100000', '0xffc00000', 'phys:0x4000000', 'phys:0x3fffffe', '0x0', '0x80000000', '0xfffffffc', '0x45000000'];
const EXPRESSIONS = [
  'eax', '$esp', '*(u32 *)esp', '[esp + 4]', 'eip == kernel_main', 'gcr3', 'cr2 & 0xfff', '1 / 0', '((((1))))', 'nosuchname',
  'info idt', 'info gdt', 'info tlb', 'info lguest', 'x/8x $esp', 'x/4i eip', 'x/2s 0xc0100000', 'page 0xc0100000', 'help', '(((',
];
const FUNCTIONS = ['kernel_main', 'printf', 'timer_tick', 'heap_main', 'trap 14', 'hypercall SET_PTE', 'syscall 4', 'guestKilled', 'nosuch'];
const FILTERS = ['trap', 'hypercall', 'syscall', 'guestKilled', 'nosuch'];
/** Standard requests this adapter does not answer, and made-up ones. */
const UNANSWERED = ['attach', 'restart', 'goto', 'setExpression', 'completions', 'stepBack', 'cancel', 'modules', 'loadedSources', 'bogus'];

/** The requests a session answers: the core ones, those its capabilities announce, and lguest's own. */
function commandsFrom(capabilities: DebugProtocol.Capabilities): string[] {
  const byCapability: [keyof DebugProtocol.Capabilities, string[]][] = [
    ['supportsConfigurationDoneRequest', ['configurationDone']], ['supportsFunctionBreakpoints', ['setFunctionBreakpoints']],
    ['supportsInstructionBreakpoints', ['setInstructionBreakpoints']], ['supportsDisassembleRequest', ['disassemble']],
    ['supportsReadMemoryRequest', ['readMemory']], ['supportsWriteMemoryRequest', ['writeMemory']],
    ['supportsSetVariable', ['setVariable']], ['supportsExceptionInfoRequest', ['exceptionInfo']],
    ['supportsTerminateRequest', ['terminate']], ['supportsDataBreakpoints', ['dataBreakpointInfo', 'setDataBreakpoints']],
  ];
  const core = ['initialize', 'launch', 'disconnect', 'setBreakpoints', 'setExceptionBreakpoints', 'continue', 'next', 'stepIn', 'stepOut',
    'pause', 'threads', 'stackTrace', 'scopes', 'variables', 'source', 'evaluate'];
  const lguest = ['lguest/state', 'lguest/gdt', 'lguest/idt', 'lguest/pagetables', 'lguest/translate', 'lguest/traps', 'lguest/location'];
  return [...core, ...byCapability.filter(([cap]) => capabilities[cap] === true).flatMap(([, cmds]) => cmds), ...lguest];
}

/** Arguments a well-behaved client could send for each request. */
function goodArguments(r: Rng, command: string, o: CampaignOptions): unknown {
  const thread = { threadId: 1 };
  const conditions = () => ({ condition: r.maybe(() => r.pick(EXPRESSIONS)), hitCondition: r.maybe(() => r.pick(['3', '>2', '%2', 'x'])) });
  switch (command) {
    case 'initialize': return { adapterID: 'lguest', pathFormat: 'path' };
    case 'launch': return { program: o.program, stopOnEntry: true };
    case 'disconnect': case 'terminate': case 'configurationDone': case 'threads': return {};
    case 'setBreakpoints':
      return { source: { path: r.pick(o.sources) }, breakpoints: r.list(() => ({ line: r.int(1, 200), ...conditions(), logMessage: r.maybe(() => '{eax}') })) };
    case 'setFunctionBreakpoints': return { breakpoints: r.list(() => ({ name: r.pick(FUNCTIONS), ...conditions() })) };
    case 'setInstructionBreakpoints': return { breakpoints: r.list(() => ({ instructionReference: r.pick(ADDRESSES), offset: r.int(-8, 8) })) };
    case 'setExceptionBreakpoints':
      return { filters: r.list(() => r.pick(FILTERS), 2), filterOptions: r.list(() => ({ filterId: r.pick(FILTERS), condition: r.pick(['14', '0x20-0x2f', 'SET_PTE', '']) }), 2) };
    case 'dataBreakpointInfo': return { name: r.pick(EXPRESSIONS) };
    case 'setDataBreakpoints': return { breakpoints: r.list(() => ({ dataId: `${r.pick(ADDRESSES).replace('phys:', '')}/${r.int(1, 8)}`, accessType: 'write' })) };
    case 'continue': case 'pause': case 'exceptionInfo': return thread;
    case 'next': case 'stepIn': case 'stepOut': return { ...thread, granularity: r.pick(['instruction', 'instruction', 'line']) };
    case 'stackTrace': return { ...thread, startFrame: r.int(0, 3), levels: r.int(0, 20) };
    case 'scopes': return { frameId: r.int(1, 3) };
    case 'variables': return { variablesReference: r.int(999, 1010) };
    case 'setVariable': return { variablesReference: r.int(999, 1010), name: r.pick(['eax', 'ebx', 'eflags', 'cs', 'nosuch']), value: r.pick(EXPRESSIONS) };
    case 'source': return { sourceReference: r.int(4999, 5003) };
    case 'evaluate': return { expression: r.pick(EXPRESSIONS), context: r.pick(['watch', 'repl', 'hover']) };
    case 'readMemory': return { memoryReference: r.pick(ADDRESSES), offset: r.int(-16, 16), count: r.pick([0, 1, 4, 64, 4096, 1 << 20]) };
    case 'writeMemory':
      return { memoryReference: r.pick(ADDRESSES), data: Buffer.from(r.list(() => r.int(0, 255), 8)).toString('base64'), allowPartial: r.chance(0.5) };
    case 'disassemble':
      return { memoryReference: r.pick(ADDRESSES), instructionOffset: r.pick([0, -5, 10, -10_000, 10_000]), instructionCount: r.pick([1, 10, 50, 10_000]) };
    case 'lguest/pagetables': return { slot: r.maybe(() => r.int(0, 3)), directoryIndex: r.maybe(() => r.pick([0, 768, 1023])) };
    case 'lguest/translate': case 'lguest/location': return { address: r.pick(ADDRESSES).replace('phys:', '') };
    case 'lguest/traps': return { count: r.int(0, 20) };
    default: return {};
  }
}

/** Spoil arguments: the whole, or one field, or a field too many. */
function spoil(r: Rng, args: unknown): unknown {
  if (r.chance(0.2) || typeof args !== 'object' || args === null) return r.pick(WILD);
  const copy: Record<string, unknown> = { ...(args as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || r.chance(0.2)) copy[r.pick(['threadId', 'count', 'expression', 'breakpoints', 'extra'])] = r.pick(WILD);
  else if (r.chance(0.3)) delete copy[r.pick(keys)];
  else {
    const key = r.pick(keys);
    copy[key] = Array.isArray(copy[key]) && r.chance(0.5) ? [r.pick(WILD), ...(copy[key] as unknown[])] : r.pick(WILD);
  }
  return copy;
}

/** A frame no client should send, and which kind it is. */
function brokenFrame(r: Rng, seq: number): [string, number] {
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
    case 9: return frame(JSON.stringify({ seq: r.pick(WILD), type: r.pick(['request', 'response', 'event', 5, null]), command: r.pick(['threads', 7, null]) }));
    case 10: return frame(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    case 11: return 'Content-Len';
    case 12: return frame(JSON.stringify({ seq, type: 'response', request_seq: 1, success: true, command: 'runInTerminal' }));
    default: return `Content-Length: ${request.length}\r\n${request}`; // a header with no blank line after it
  }
}

// ---- The campaign ----------------------------------------------------------------

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`hang: ${what}`)), ms); });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const r = new Rng(o.seed);
  const batch = o.batch ?? 25;
  const livenessMs = o.livenessMs ?? 60_000;
  const counts: Counts = {
    frames: 0, requests: 0, broken: 0, responses: 0, errors: 0, skipped: 0, livenessChecks: 0, sessions: 0, deaths: 0, hangs: 0, internalErrors: 0,
  };
  const problems: string[] = [];
  const problem = (text: string) => { if (problems.length < 20) problems.push(text); };
  let commands: string[] = [];
  let seq = 1_000_000;

  /** Start a session with a launched Guest, stopped on entry; null if the adapter failed at that. */
  const start = async (): Promise<RawClient | null> => {
    const c = new RawClient(o.adapter);
    counts.sessions++;
    try {
      commands = commandsFrom(await within(c.launch(o.program), livenessMs, 'starting a session'));
      return c;
    } catch (e) {
      problem(`session ${counts.sessions} did not start: ${(e as Error).message}`);
      if (c.alive) counts.hangs++;
      else counts.deaths++;
      await c.close();
      return null;
    }
  };

  /** Add up a session's messages, and end it; a death is the adapter gone before we closed it. */
  const finish = async (c: RawClient, fuzzSeqs: Set<number>) => {
    const diedOnItsOwn = !c.alive;
    for (const m of c.received) {
      if (m.type === 'response' && fuzzSeqs.has(m.request_seq as number)) {
        counts.responses++;
        if (!m.success) counts.errors++;
        if (!m.success && RAW_ERROR.test(String(m.message))) {
          counts.internalErrors++;
          problem(`${m.command}: ${String(m.message).slice(0, 300)}`);
        }
      }
    }
    for (const body of c.outputs) {
      if (body.category === 'important' && body.output.includes('skipped')) counts.skipped++;
      if (RAW_ERROR.test(body.output)) {
        counts.internalErrors++;
        problem(`output: ${body.output.slice(0, 300)}`);
      }
    }
    await c.close();
    if (diedOnItsOwn) {
      counts.deaths++;
      problem(`the adapter died (exit ${c.exitStatus}) in session ${counts.sessions}`);
    }
  };

  let c: RawClient | null = null;
  let fuzzSeqs = new Set<number>();
  while (counts.frames < o.frames) {
    if (c === null) {
      // A session that cannot even start ends the campaign: it is a death or a hang already counted.
      c = await start();
      fuzzSeqs = new Set();
      if (c === null) break;
    }
    // What this batch sent, to tell of a hang.
    const sent: string[] = [];
    for (let i = 0; i < batch && counts.frames < o.frames; i++) {
      counts.frames++;
      if (r.chance(0.3)) {
        counts.broken++;
        const [bytes, kind] = brokenFrame(r, seq++);
        sent.push(`broken frame ${kind}`);
        c.write(bytes);
        continue;
      }
      counts.requests++;
      // Ending a session, or running the Guest freely, now and then; everything else often.
      let command = r.chance(0.05) ? r.pick(UNANSWERED) : r.pick(commands);
      if (['disconnect', 'terminate', 'continue'].includes(command) && r.chance(0.9)) command = 'stackTrace';
      const good = goodArguments(r, command, o);
      const args = r.chance(0.4) ? good : spoil(r, good);
      fuzzSeqs.add(seq);
      sent.push(command);
      const message: Record<string, unknown> = { seq: seq++, type: 'request', command };
      if (args !== undefined) message.arguments = args;
      c.write(frame(serialize(message)));
    }
    // Liveness: a plain request answered, by an adapter still running.
    counts.livenessChecks++;
    const probe = seq++;
    const answered = c.waitFor((m) => m.type === 'response' && m.request_seq === probe && m.command === 'threads');
    c.write(frame(JSON.stringify({ seq: probe, type: 'request', command: 'threads' })));
    let over = false;
    try {
      const answer = await within(answered, livenessMs, `no answer to a liveness check within ${livenessMs} ms`);
      // Refused threads means the session is over (a disconnect); a terminated event, that the Guest is.
      over = !answer.success || c.received.some((m) => m.type === 'event' && m.event === 'terminated');
    } catch (e) {
      if (c.alive) {
        counts.hangs++;
        problem(`session ${counts.sessions}: ${(e as Error).message}, after ${sent.join(', ')}`);
      }
      over = true;
    }
    if (over) {
      await finish(c, fuzzSeqs);
      c = null;
    }
    o.onProgress?.(counts);
  }
  if (c !== null) await finish(c, fuzzSeqs);
  return { counts, problems };
}
