/**
 * Every request, checked before a handler sees it: is it one this adapter
 * answers, is it its time (no call stack before a launch, nothing after a
 * disconnect), and are its arguments of the types the protocol gives them and
 * within our limits. What fails gets an error response saying why, so the
 * handlers can trust their arguments and never trip over a client's mistake
 * with a JavaScript error. The limits keep each request's cost bounded;
 * docs/debug-adapter.md lists them.
 *
 * A handler gets a copy of its arguments holding only the fields named here,
 * those it uses: what the adapter does not use, it neither keeps nor echoes.
 */
/** Where a session is: before initialize, before launch, with a Guest, after the Guest's end, after disconnect. */
export type Phase = 'new' | 'initialized' | 'launched' | 'ended' | 'disconnected';

/** Instructions a disassemble request may ask for, and how far (in instructions) it may start from its address. */
export const MAX_DISASSEMBLE_INSTRUCTIONS = 10_000;
/** Bytes a readMemory or writeMemory request may move. */
export const MAX_MEMORY_BYTES = 1 << 20;
/** Breakpoints (or exception filters) in one request. */
export const MAX_BREAKPOINTS = 1000;
/** Characters in any string argument (expressions have their own, smaller, limit). */
export const MAX_STRING = 65_536;

type Checked = { value: unknown } | { error: string };
/** A check of one value, named `path` in messages; it returns the value to keep. */
type Rule = (v: unknown, path: string) => Checked;

/** A client's value, briefly, for an error message (whatever it is: a long string, a deep nest of lists). */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'a list' : 'an object';
  return String(v);
}

const wrong = (path: string, v: unknown, must: string): Checked =>
  ({ error: `${path} must be ${must}, not ${describeValue(v)}` });
/** A value `ok` accepts, kept as it is; any other is wrong: it `must` be something else. */
const rule = (ok: (v: unknown) => boolean, must: string): Rule => (v, path) =>
  (ok(v) ? { value: v } : wrong(path, v, must));

const str: Rule = (v, path) => {
  if (typeof v !== 'string') return wrong(path, v, 'a string');
  if (v.length > MAX_STRING) return { error: `${path} must be at most ${MAX_STRING} characters, not ${v.length}` };
  return { value: v };
};
const bool = rule((v) => typeof v === 'boolean', 'true or false');
const int = (min: number, max: number) => rule(
  (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max,
  `a whole number from ${min} to ${max}`);
const oneOf = (...values: string[]) =>
  rule((v) => values.includes(v as string), values.map((x) => JSON.stringify(x)).join(' or '));
/** Anything that is an object, kept whole: for arguments checked further on (launch's, lguest's own requests'). */
const anyObject = rule((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'an object');

const base64 = (maxBytes: number): Rule => (v, path) => {
  const digits = typeof v === 'string' ? v.replace(/={1,2}$/, '') : '';
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*$/.test(digits) || digits.length % 4 === 1) {
    return wrong(path, v, 'bytes in base64');
  }
  if (Math.floor((digits.length * 3) / 4) > maxBytes) return { error: `${path} must be at most ${maxBytes} bytes` };
  return { value: v };
};

/** An object's fields (a name ending in '?' is optional), copied. */
function obj(shape: Record<string, Rule>): Rule {
  return (v, path) => {
    const r = anyObject(v, path);
    if ('error' in r) return r;
    const given = v as Record<string, unknown>;
    const value: Record<string, unknown> = {};
    for (const [key, rule] of Object.entries(shape)) {
      const name = key.replace(/\?$/, '');
      const field = path === '' ? name : `${path}.${name}`;
      if (given[name] === undefined) {
        if (key.endsWith('?')) continue;
        return { error: `${field} is missing` };
      }
      const c = rule(given[name], field);
      if ('error' in c) return c;
      value[name] = c.value;
    }
    return { value };
  };
}

function list(item: Rule, max: number): Rule {
  return (v, path) => {
    if (!Array.isArray(v)) return wrong(path, v, 'a list');
    if (v.length > max) return { error: `${path} must hold at most ${max} items, not ${v.length}` };
    const value: unknown[] = [];
    for (let i = 0; i < v.length; i++) {
      const c = item(v[i], `${path}[${i}]`);
      if ('error' in c) return c;
      value.push(c.value);
    }
    return { value };
  };
}

const ID = int(0, 0x7fffffff);
const THREAD: Rule = (v, path) => (v === 1 ? { value: v } : wrong(path, v, '1, the one thread (vCPU 0)'));
const OFFSET = int(-0xffffffff, 0xffffffff);
const CONDITIONS = { 'condition?': str, 'hitCondition?': str };
const STEP = obj({ threadId: THREAD, 'granularity?': oneOf('statement', 'line', 'instruction') });
const SOURCE = obj({ 'name?': str, 'path?': str, 'sourceReference?': ID });
const breakpoints = (item: Record<string, Rule>) => list(obj(item), MAX_BREAKPOINTS);
/** ValueFormat: VS Code's "hex" toggle. */
const FORMAT = obj({ 'hex?': bool });

/** When a request may come. */
const SETUP: Phase[] = ['initialized', 'launched', 'ended'];
const RUNNING: Phase[] = ['launched'];
const STOPPED_OR_ENDED: Phase[] = ['launched', 'ended'];

const REQUESTS: Record<string, { phases: Phase[]; args: Rule }> = {
  initialize: {
    phases: ['new'], args: obj({ 'pathFormat?': oneOf('path'), 'linesStartAt1?': bool, 'columnsStartAt1?': bool }),
  },
  launch: { phases: ['initialized'], args: anyObject },
  configurationDone: { phases: SETUP, args: obj({}) },
  disconnect: { phases: ['new', ...SETUP], args: obj({}) },
  terminate: { phases: STOPPED_OR_ENDED, args: obj({}) },
  threads: { phases: SETUP, args: obj({}) },
  setBreakpoints: {
    phases: SETUP,
    args: obj({
      source: SOURCE, 'breakpoints?': breakpoints({ line: int(1, 0x7fffffff), ...CONDITIONS, 'logMessage?': str }),
    }),
  },
  setFunctionBreakpoints: { phases: SETUP, args: obj({ breakpoints: breakpoints({ name: str, ...CONDITIONS }) }) },
  setInstructionBreakpoints: {
    phases: SETUP,
    args: obj({ breakpoints: breakpoints({ instructionReference: str, 'offset?': OFFSET, ...CONDITIONS }) }),
  },
  setExceptionBreakpoints: {
    phases: SETUP,
    args: obj({
      filters: list(str, MAX_BREAKPOINTS), 'filterOptions?': breakpoints({ filterId: str, 'condition?': str }),
    }),
  },
  dataBreakpointInfo: { phases: SETUP, args: obj({ name: str, 'variablesReference?': ID }) },
  setDataBreakpoints: {
    phases: SETUP,
    args: obj({
      breakpoints: breakpoints({ dataId: str, 'accessType?': oneOf('read', 'write', 'readWrite'), ...CONDITIONS }),
    }),
  },
  continue: { phases: RUNNING, args: obj({ threadId: THREAD }) },
  next: { phases: RUNNING, args: STEP },
  stepIn: { phases: RUNNING, args: STEP },
  stepOut: { phases: RUNNING, args: STEP },
  pause: { phases: RUNNING, args: obj({ threadId: THREAD }) },
  stackTrace: { phases: STOPPED_OR_ENDED, args: obj({ threadId: THREAD, 'startFrame?': ID, 'levels?': ID }) },
  scopes: { phases: STOPPED_OR_ENDED, args: obj({ frameId: ID }) },
  // start and count page through an array's elements (indexedVariables); format asks for hex.
  variables: {
    phases: STOPPED_OR_ENDED,
    args: obj({ variablesReference: ID, 'filter?': oneOf('indexed', 'named'), 'start?': ID, 'count?': ID, 'format?': FORMAT }),
  },
  setVariable: { phases: STOPPED_OR_ENDED, args: obj({ variablesReference: ID, name: str, value: str }) },
  source: { phases: STOPPED_OR_ENDED, args: obj({ 'source?': SOURCE, 'sourceReference?': ID }) },
  exceptionInfo: { phases: STOPPED_OR_ENDED, args: obj({ threadId: THREAD }) },
  evaluate: { phases: STOPPED_OR_ENDED, args: obj({ expression: str, 'context?': str, 'frameId?': ID, 'format?': FORMAT }) },
  readMemory: {
    phases: STOPPED_OR_ENDED, args: obj({ memoryReference: str, 'offset?': OFFSET, count: int(0, MAX_MEMORY_BYTES) }),
  },
  writeMemory: {
    phases: STOPPED_OR_ENDED,
    args: obj({ memoryReference: str, 'offset?': OFFSET, data: base64(MAX_MEMORY_BYTES), 'allowPartial?': bool }),
  },
  disassemble: {
    phases: STOPPED_OR_ENDED,
    args: obj({
      memoryReference: str, 'offset?': OFFSET,
      'instructionOffset?': int(-MAX_DISASSEMBLE_INSTRUCTIONS, MAX_DISASSEMBLE_INSTRUCTIONS),
      instructionCount: int(0, MAX_DISASSEMBLE_INSTRUCTIONS),
    }),
  },
  // lguest's own (custom.ts, which checks their arguments; session.ts checks lguest/input's, taken while running too).
  ...Object.fromEntries(['state', 'gdt', 'idt', 'pagetables', 'translate', 'traps', 'location', 'input']
    .map((c) => [`lguest/${c}`, { phases: STOPPED_OR_ENDED, args: anyObject }])),
};

/** Why a request cannot be answered in this phase. */
function untimely(command: string, phase: Phase): string {
  if (command === 'initialize' && phase !== 'disconnected') return 'the session is initialized already';
  if (phase === 'new') return `'${command}' before 'initialize': a session starts with initialize`;
  if (phase === 'initialized') return `'${command}' needs a Guest: launch one first`;
  if (phase === 'disconnected') return `'${command}' after 'disconnect': the session is over`;
  if (command === 'launch') return 'a Guest is launched already: one per session';
  return `'${command}' after the Guest's end: there is nothing left to run`;
}

/**
 * A request's arguments fit for its handler, or why it is refused. Missing
 * arguments are an empty object (a client may leave them out when it has none);
 * initialize's pathFormat is "path" when not given, as the protocol says.
 */
export function checkRequest(command: string, args: unknown, phase: Phase):
  { args: Record<string, unknown> } | { error: string; late?: boolean } {
  const request = REQUESTS[command];
  if (request === undefined) {
    return { error: `'${command}' is not a request this adapter answers (its capabilities say which are)` };
  }
  // Late: a view asking as the session went away (Variables loading at Shift+F5), which nobody need be told about.
  if (!request.phases.includes(phase)) return { error: untimely(command, phase), late: phase === 'ended' || phase === 'disconnected' };
  const c = request.args(args === undefined ? {} : args, 'arguments');
  if ('error' in c) return { error: `${command}: ${c.error}` };
  const value = c.value as Record<string, unknown>;
  return { args: command === 'initialize' ? { pathFormat: 'path', ...value } : value };
}
