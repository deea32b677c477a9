/**
 * The debug session: the Debug Adapter Protocol on one side, the machine on
 * the other. Requests become calls on the Target; what the machine does
 * (stops, output, its end) becomes events.
 *
 * The Guest runs in slices of a few milliseconds, with the event loop let
 * in between, so a pause (or any request) is answered within a slice's
 * time even while the Guest spins.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InitializedEvent, StoppedEvent, TerminatedEvent, ExitedEvent, OutputEvent, Thread, StackFrame, Scope, Source,
  InvalidatedEvent, MemoryEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ImageError } from '../vm/elf';
import { checkLaunchArgs, LaunchArgs } from './launch';
import { Target, Outcome } from './target';
import { Programs } from './programs';
import { RegisterView, Child, hex } from './registers';
import { FILTER_IDS, FilterId, TrapFilters, parseNumberSet, parseTrapFunctionBreakpoint, unionSets, HYPERCALL_NAMES, NumberSet } from './filters';
import { evaluate, EvalEnv } from './expression';
import { runMonitorCommand } from './monitor';
import { describeStop, StopStory } from './stops';
import { disassemble } from './disassembly';
import { customRequest, TrapLog } from './custom';
import type { StopPoint } from '../vm/lguest/host';
import { SYSCALL_VECTOR } from '../vm/lguest/layout';
import { describeEvent } from '../vm/lguest/describe';
import { decode, NEED_MORE_BYTES, MAX_INSTR_LEN } from '../vm/cpu/decoder';
import { Instr } from '../vm/cpu/instr';
import { GuardedDebugSession } from './guardedSession';

const THREAD = 1;
/** Instructions per slice: a few milliseconds even in code that traps all the time (a pause waits for at most one). */
const SLICE = 200_000;
/** A line step gives up after this many instructions and stops where it is. */
const LINE_STEP_LIMIT = 20_000_000;

/** One breakpoint the user set, wherever it came from. */
interface UserBreakpoint {
  id: number;
  addresses: number[];
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
  hits: number;
  kind: 'source' | 'function' | 'instruction' | 'data';
  /** Bytes watched (data breakpoints). */
  size?: number;
  /** A source breakpoint's file and (verified) line: what a stop there shows, whatever else the line table says of the address. */
  path?: string;
  line?: number;
}

type StepKind = 'in' | 'over' | 'out';

export class LguestDebugSession extends GuardedDebugSession {
  private args!: LaunchArgs;
  private target: Target | null = null;
  private programs!: Programs;
  private running = false;
  private pauseRequested = false;
  private ended = false;
  private configured: () => void = () => {};
  private readonly configurationDone = new Promise<void>((resolve) => { this.configured = resolve; });
  private nextBreakpointId = 1;
  private readonly sourceBreakpoints = new Map<string, UserBreakpoint[]>();
  private functionBreakpoints: UserBreakpoint[] = [];
  private dataBreakpoints: UserBreakpoint[] = [];
  private instructionBreakpoints: UserBreakpoint[] = [];
  private exceptionFilters: TrapFilters = {};
  /** Trap stops asked for as function breakpoints (`trap 14`), each with its own condition and hit count. */
  private trapBreakpoints: { filter: FilterId; set: NumberSet; condition?: string; hitCondition?: string; hits: number }[] = [];
  /** Temporary stops of a step over or out: an address, and the stack pointer the frame must be back above. */
  private stepTarget: { address: number; minEsp: number } | null = null;
  /** What the last stop was, for exceptionInfo, the stack's top frame and the lguest scope. */
  private story: StopStory | null = null;
  private readonly handles = new Map<number, Child>();
  private nextHandle = 1000;
  private readonly traps = new TrapLog();
  /**
   * Texts served by `source` for frames without a source file (their disassembly), by reference.
   * A reference stays valid for the session (a client may ask for it after the next stop), and the
   * same text keeps its reference.
   */
  private readonly generated = new Map<number, string>();
  private readonly generatedRefs = new Map<string, number>();
  private consoleLine: number[] = [];

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ---- Initialization and launch -------------------------------------------------------------

  protected initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsInstructionBreakpoints: true,
      supportsDisassembleRequest: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsSetVariable: true,
      supportsSteppingGranularity: true,
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      supportsEvaluateForHovers: true,
      supportsTerminateRequest: true,
      supportsDataBreakpoints: true,
      supportsValueFormattingOptions: false,
      exceptionBreakpointFilters: [
        { filter: 'trap', label: 'Traps', description: 'Every delivery of a trap or interrupt vector, whether it exits to the Host or goes straight to the Guest', supportsCondition: true, conditionDescription: 'Vectors: numbers and ranges, e.g. 14 or 13,14,0x20-0x2f (empty: every trap)', default: false },
        { filter: 'hypercall', label: 'Hypercalls', description: 'Every hypercall the Host runs, those from the asynchronous ring included', supportsCondition: true, conditionDescription: 'Call numbers or names, e.g. SET_PTE,NEW_PGTABLE or 14 (empty: every call)', default: false },
        { filter: 'syscall', label: 'System calls', description: "Every system call of the Guest's user programs (its syscall vector)", supportsCondition: true, conditionDescription: 'System call numbers in EAX, e.g. 4 or 1-6 (empty: every call)', default: false },
        { filter: 'guestKilled', label: 'Guest killed', description: 'Just before the Host kills the Guest, with the reason', default: true },
      ],
    };
    this.sendResponse(response);
  }

  protected async launchRequest(response: DebugProtocol.LaunchResponse, raw: DebugProtocol.LaunchRequestArguments): Promise<void> {
    const checked = checkLaunchArgs(raw);
    if ('error' in checked) return this.fail(response, `invalid launch configuration: ${checked.error}`);
    this.args = checked;
    let image: Uint8Array;
    try {
      image = new Uint8Array(readFileSync(checked.program));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return this.fail(response, `cannot read program '${checked.program}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
    }
    const target = new Target({ mode: checked.mode, memoryMiB: checked.memory, directTraps: checked.directTraps, output: (b) => this.guestOutput(b) });
    try {
      target.boot(image, checked.program, checked.cmdline);
      this.programs = new Programs(checked.program, image, checked.mode === 'lguest', join(__dirname, '..'));
    } catch (e) {
      if (e instanceof ImageError) return this.fail(response, `bad program: ${e.message}`);
      throw e;
    }
    this.target = target;
    if (target.host) {
      target.host.observer = { stopAt: (p) => this.shouldStop(p) };
      target.host.onEvent = (e) => {
        this.traps.add(e);
        if (e.kind === 'restart') {
          this.flushOutput();
          this.say(describeEvent(e));
        }
      };
    }
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
    await this.configurationDone;
    if (checked.stopOnEntry) {
      this.story = { reason: 'entry', description: 'stopped before the Guest\'s first instruction' };
      this.sendEvent(new StoppedEvent('entry', THREAD));
    } else {
      void this.go(null);
    }
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.configured();
  }

  private fail(response: DebugProtocol.Response, message: string): void {
    this.sendErrorResponse(response, { id: 1001, format: message, showUser: true });
  }

  // ---- Output ----------------------------------------------------------------------------

  private guestOutput(b: number): void {
    this.consoleLine.push(b);
    if (b === 10 || this.consoleLine.length >= 1024) this.flushOutput();
  }

  private flushOutput(): void {
    if (this.consoleLine.length === 0) return;
    this.sendEvent(new OutputEvent(Buffer.from(this.consoleLine).toString('latin1'), 'stdout'));
    this.consoleLine = [];
  }

  private say(message: string): void {
    this.sendEvent(new OutputEvent(`${message}\n`, 'console'));
  }

  // ---- Running --------------------------------------------------------------------------------

  /** Run (step: null) or step until something stops the machine, then tell the client. */
  private async go(step: { kind: StepKind; instruction: boolean } | null): Promise<void> {
    const t = this.target;
    if (!t || this.running || this.ended) return;
    this.running = true;
    this.pauseRequested = false;
    this.story = null;
    try {
      const outcome = step === null ? await this.runFree() : await this.runStep(step);
      this.report(outcome, step !== null);
    } catch (e) {
      this.say(`internal error: ${(e as Error).stack ?? e}`);
      this.finish(2, 'the debugger failed');
    } finally {
      this.running = false;
    }
  }

  /** Leave a breakpoint the machine stands on: its instruction runs once without stopping again. */
  private leaveBreakpoint(): void {
    const t = this.target!;
    if (!t.inHostContext) t.executor.resumeFrom = (t.cpu.segBase[1] + t.cpu.eip) >>> 0;
  }

  /** Run in slices until a stop. Breakpoints whose condition is false, and logpoints, do not stop. */
  private async runFree(): Promise<Outcome> {
    const t = this.target!;
    this.leaveBreakpoint();
    for (;;) {
      if (this.pauseRequested) return { kind: 'paused' };
      const o = t.run(SLICE);
      if (o.kind === 'running') {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      if (o.kind === 'breakpoint' && !this.breakpointStops()) {
        this.leaveBreakpoint();
        continue;
      }
      if (o.kind === 'data' && !this.dataStops(o.address)) continue;
      return o;
    }
  }

  /**
   * One breakpoint (of any kind) reached: false if its condition is false;
   * else the hit is counted, and true if the hit count says to stop. A
   * condition that cannot be evaluated is reported, and stops.
   */
  private hitCounts(b: { condition?: string; hitCondition?: string; hits: number }): boolean {
    if (b.condition) {
      const r = evaluate(b.condition, this.evalEnv());
      if ('error' in r) this.say(`breakpoint condition '${b.condition}': ${r.error}`);
      else if (r.value === 0) return false;
    }
    b.hits++;
    return !b.hitCondition || hitConditionMet(b.hitCondition, b.hits);
  }

  /** A watched write: does a data breakpoint there stop? */
  private dataStops(address: number): boolean {
    let stop = false;
    for (const b of this.dataBreakpoints) {
      if (address >= b.addresses[0] && address < b.addresses[0] + (b.size ?? 4) && this.hitCounts(b)) stop = true;
    }
    return stop;
  }

  /** A step by instruction or by line, into, over or out. */
  private async runStep(step: { kind: StepKind; instruction: boolean }): Promise<Outcome> {
    const t = this.target!;
    const into = this.args.stepIntoSwitcher;
    const start = t.guestEip;
    // The line the user sees: a source breakpoint's, else the statement starting here, else the line table's.
    const atBp = [...this.sourceBreakpoints.values()].flat().find((b) => b.addresses.includes(start));
    const here = this.programs.statementAt(start) ?? this.programs.lineFor(start);
    const startLine = here && atBp ? { ...here, line: atBp.line! } : here;
    const startEsp = t.reg('esp')!;
    if (step.kind === 'out') return this.runTo(this.returnAddress(), startEsp);
    let budget = LINE_STEP_LIMIT;
    for (;;) {
      // Over a call (or a system call, from user code): run to the instruction after it.
      if (step.kind === 'over' && !t.inHostContext) {
        const call = this.callAt(t.guestEip);
        if (call !== null) {
          const o = await this.runTo(call, t.reg('esp')!);
          if (o.kind !== 'step') return o;
          if (step.instruction || this.lineChanged(startLine, t.guestEip)) return o;
          continue;
        }
      }
      this.leaveBreakpoint();
      const before = t.cpu.instructions;
      const o = t.step(into);
      if (o.kind !== 'step') return o;
      if (step.instruction) return o;
      budget -= Math.max(1, t.cpu.instructions - before);
      if (this.lineChanged(startLine, t.guestEip) || budget <= 0 || this.pauseRequested) return o;
      if ((budget & 0x3fff) === 0) await new Promise((r) => setImmediate(r));
    }
  }

  /**
   * Has a line step got somewhere? As gdb: at the start of a statement of
   * another line (or, from code without lines, of any line); in the middle
   * of a line, or on the same line, it goes on.
   */
  private lineChanged(from: ReturnType<Programs['lineFor']>, eip: number): boolean {
    const now = this.programs.statementAt(eip);
    if (now === null) return false;
    if (from === null) return true;
    return now.file !== from.file || now.line !== from.line;
  }

  /** If the instruction at addr is a CALL (or INT from ring 3), the address after it. */
  private callAt(addr: number): number | null {
    const t = this.target!;
    const bytes = t.read(addr, MAX_INSTR_LEN, false).map((b) => b ?? 0);
    const ins = new Instr(() => {});
    const n = decode(Uint8Array.from(bytes), 0, bytes.length, true, ins);
    if (n === NEED_MORE_BYTES) return null;
    const op = ins.opcode;
    const isCall = op === 0xe8 || op === 0x9a || (op === 0xff && (ins.reg === 2 || ins.reg === 3));
    const isInt = (op === 0xcd || op === 0xcc) && (t.reg('cs')! & 3) === 3;
    return isCall || isInt ? (addr + n) >>> 0 : null;
  }

  /** The current function's return address (frame pointers or CFI). */
  private returnAddress(): number {
    const frames = this.backtrace();
    return frames.length > 1 ? frames[1].eip : 0;
  }

  /** Run until `address` with the stack back above `esp` (a step over or out), or any other stop. */
  private async runTo(address: number, esp: number): Promise<Outcome> {
    const t = this.target!;
    if (address === 0) return t.step(this.args.stepIntoSwitcher);
    this.stepTarget = { address, minEsp: esp };
    this.applyBreakpoints();
    try {
      this.leaveBreakpoint();
      for (;;) {
        if (this.pauseRequested) return { kind: 'paused' };
        const o = t.run(SLICE);
        if (o.kind === 'running') { await new Promise((r) => setImmediate(r)); continue; }
        if (o.kind === 'breakpoint') {
          if (t.guestEip === address && !t.inHostContext && t.reg('esp')! >= esp) return { kind: 'step' };
          if (!this.breakpointStops()) { this.leaveBreakpoint(); continue; }
        }
        return o;
      }
    } finally {
      this.stepTarget = null;
      this.applyBreakpoints();
    }
  }

  /** Tell the client why the machine stopped, or that it ended. */
  private report(o: Outcome, stepping: boolean): void {
    this.flushOutput();
    const t = this.target!;
    switch (o.kind) {
      case 'running':
        return;
      case 'step':
        this.story = { reason: 'step', description: 'step' };
        this.sendEvent(new StoppedEvent('step', THREAD));
        return;
      case 'paused':
        this.story = { reason: 'pause', description: 'paused' };
        this.sendEvent(new StoppedEvent('pause', THREAD));
        return;
      case 'data': {
        const ids = this.dataBreakpoints.filter((b) => b.addresses.some((a) => o.address >= a && o.address < a + o.size)).map((b) => b.id);
        this.story = { reason: 'data breakpoint', description: `${hex(o.address)} written (${o.size} bytes watched), by the instruction before ${hex(t.guestEip)}` };
        const ev = new StoppedEvent('data breakpoint', THREAD, this.story.description) as DebugProtocol.StoppedEvent;
        ev.body.hitBreakpointIds = ids;
        this.sendEvent(ev);
        return;
      }
      case 'breakpoint': {
        const eip = t.guestEip;
        const kind = this.instructionBreakpoints.some((b) => b.addresses.includes(eip)) ? 'instruction breakpoint'
          : this.functionBreakpoints.some((b) => b.addresses.includes(eip)) ? 'function breakpoint' : 'breakpoint';
        this.story = { reason: kind, description: `${kind} at ${hex(eip)}` };
        const ids = this.allBreakpoints().filter((b) => b.addresses.includes(eip)).map((b) => b.id);
        const ev = new StoppedEvent(kind, THREAD) as DebugProtocol.StoppedEvent;
        ev.body.hitBreakpointIds = ids;
        this.sendEvent(ev);
        return;
      }
      case 'stop': {
        this.story = describeStop(o.point, t, this.programs);
        const ev = new StoppedEvent('exception', THREAD, this.story.description) as DebugProtocol.StoppedEvent;
        ev.body.description = this.story.description;
        this.sendEvent(ev);
        return;
      }
      case 'ended':
        void stepping;
        this.finish(o.status, o.message);
    }
  }

  private finish(status: number, message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.flushOutput();
    this.say(message);
    this.sendEvent(new ExitedEvent(status));
    this.sendEvent(new TerminatedEvent());
  }

  protected continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    void this.go(null);
  }

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.sendResponse(response);
    void this.go({ kind: 'over', instruction: args.granularity === 'instruction' });
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.sendResponse(response);
    void this.go({ kind: 'in', instruction: args.granularity === 'instruction' });
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.sendResponse(response);
    void this.go({ kind: 'out', instruction: args.granularity === 'instruction' });
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.sendResponse(response);
    if (!this.running) {
      this.story = { reason: 'pause', description: 'paused' };
      this.sendEvent(new StoppedEvent('pause', THREAD));
      return;
    }
    // Requests are only read between slices, so the running loop sees this before its next slice.
    this.pauseRequested = true;
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.pauseRequested = true;
    this.ended = true;
    this.sendResponse(response);
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.pauseRequested = true;
    this.sendResponse(response);
    this.finish(0, 'terminated by the debugger');
  }

  // ---- Breakpoints ---------------------------------------------------------------------

  private allBreakpoints(): UserBreakpoint[] {
    return [...[...this.sourceBreakpoints.values()].flat(), ...this.functionBreakpoints, ...this.instructionBreakpoints];
  }

  /** Give the CPU every breakpoint address (and a step's temporary one). */
  private applyBreakpoints(): void {
    if (!this.target) return;
    const addrs = new Set(this.allBreakpoints().flatMap((b) => b.addresses));
    if (this.stepTarget) addrs.add(this.stepTarget.address);
    this.target.executor.setBreakpoints(addrs);
  }

  /** At a breakpoint: count hits, print logpoints, check conditions; true if the machine should stop. */
  private breakpointStops(): boolean {
    const eip = this.target!.guestEip;
    let stop = false;
    for (const b of this.allBreakpoints()) {
      if (!b.addresses.includes(eip) || !this.hitCounts(b)) continue;
      if (b.logMessage !== undefined) {
        this.flushOutput();
        this.sendEvent(new OutputEvent(`${this.interpolate(b.logMessage)}\n`, 'console'));
        continue;
      }
      stop = true;
    }
    return stop;
  }

  /** A logpoint's message with {expressions} replaced by their values. */
  private interpolate(message: string): string {
    return message.replace(/\{([^}]+)\}/g, (_, expr: string) => {
      const r = evaluate(expr, this.evalEnv());
      return 'error' in r ? `<${r.error}>` : hex(r.value);
    });
  }

  protected setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const path = args.source.path ?? args.source.name ?? '';
    const result: DebugProtocol.Breakpoint[] = [];
    const list: UserBreakpoint[] = [];
    for (const sb of args.breakpoints ?? []) {
      const id = this.nextBreakpointId++;
      const where = this.programs ? this.programs.breakpointLines(path, sb.line) : { line: sb.line, addresses: [] };
      if (where.addresses.length === 0) {
        result.push({ id, verified: false, line: sb.line, message: this.programs ? 'no code for this line in the program' : 'no program loaded yet' });
        continue;
      }
      list.push({ id, addresses: where.addresses, condition: sb.condition, hitCondition: sb.hitCondition, logMessage: sb.logMessage, hits: 0, kind: 'source', path, line: where.line });
      result.push({ id, verified: true, line: where.line, source: args.source, instructionReference: hex(where.addresses[0]) });
    }
    this.sourceBreakpoints.set(path, list);
    this.applyBreakpoints();
    response.body = { breakpoints: result };
    this.sendResponse(response);
  }

  protected setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    const result: DebugProtocol.Breakpoint[] = [];
    this.functionBreakpoints = [];
    const traps: typeof this.trapBreakpoints = [];
    for (const fb of args.breakpoints) {
      const id = this.nextBreakpointId++;
      const trap = parseTrapFunctionBreakpoint(fb.name);
      if (trap !== null) {
        if ('error' in trap) { result.push({ id, verified: false, message: trap.error }); continue; }
        traps.push({ filter: trap.filter, set: trap.set, condition: fb.condition, hitCondition: fb.hitCondition, hits: 0 });
        result.push({ id, verified: true, message: `stops at ${fb.name}` });
        continue;
      }
      const addr = this.programs?.addressOf(fb.name.trim());
      if (addr === undefined) { result.push({ id, verified: false, message: `no function '${fb.name}' in the program's symbols` }); continue; }
      this.functionBreakpoints.push({ id, addresses: [addr], condition: fb.condition, hitCondition: fb.hitCondition, hits: 0, kind: 'function' });
      const loc = this.programs.lineFor(addr);
      result.push({ id, verified: true, instructionReference: hex(addr), line: loc?.line, source: loc?.path ? new Source(loc.file, loc.path) : undefined });
    }
    this.trapBreakpoints = traps;
    this.applyBreakpoints();
    response.body = { breakpoints: result };
    this.sendResponse(response);
  }

  protected setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    const result: DebugProtocol.Breakpoint[] = [];
    this.instructionBreakpoints = [];
    for (const ib of args.breakpoints) {
      const id = this.nextBreakpointId++;
      const ref = Target.parseReference(ib.instructionReference);
      if (!ref || ref.physical) { result.push({ id, verified: false, message: `bad instruction reference '${ib.instructionReference}'` }); continue; }
      const addr = (ref.address + (ib.offset ?? 0)) >>> 0;
      this.instructionBreakpoints.push({ id, addresses: [addr], condition: ib.condition, hitCondition: ib.hitCondition, hits: 0, kind: 'instruction' });
      result.push({ id, verified: true, instructionReference: hex(addr) });
    }
    this.applyBreakpoints();
    response.body = { breakpoints: result };
    this.sendResponse(response);
  }

  /** What can be watched: an address expression (a symbol, a number, *ptr...), 4 bytes, for writes. */
  protected dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    if (!this.target || (args.variablesReference !== undefined && args.variablesReference !== 0)) {
      response.body = { dataId: null, description: 'registers cannot be watched; watch a memory address (a symbol or an expression)' };
      return this.sendResponse(response);
    }
    const r = evaluate(args.name, this.evalEnv());
    if ('error' in r) {
      response.body = { dataId: null, description: r.error };
      return this.sendResponse(response);
    }
    response.body = { dataId: `${hex(r.value)}/4`, description: `writes to the 4 bytes at ${hex(r.value)}${this.programs.symbolize(r.value) ? ` (${this.programs.symbolize(r.value)})` : ''}`, accessTypes: ['write'], canPersist: true };
    this.sendResponse(response);
  }

  protected setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    // Parse each, in order; then watch the good ones, and say which could be watched.
    const parsed = args.breakpoints.map((db) => {
      const id = this.nextBreakpointId++;
      const m = /^(0x[0-9a-f]+)\/(\d+)$/i.exec(db.dataId);
      if (!m) return { id, error: `bad data breakpoint id '${db.dataId}'` };
      if (db.accessType !== undefined && db.accessType !== 'write') return { id, error: 'only writes can be watched' };
      const bp: UserBreakpoint = { id, addresses: [Number(m[1])], size: Math.min(Math.max(1, Number(m[2])), 4096), condition: db.condition, hitCondition: db.hitCondition, hits: 0, kind: 'data' };
      return { id, bp };
    });
    const good = parsed.filter((p) => p.bp !== undefined).map((p) => p.bp!);
    const ok = this.target ? this.target.setWatches(good.map((b) => ({ addr: b.addresses[0], size: b.size! }))) : good.map(() => false);
    const watched = new Set(good.filter((_, i) => ok[i]));
    this.dataBreakpoints = [...watched];
    response.body = {
      breakpoints: parsed.map((p) => p.bp === undefined ? { id: p.id, verified: false, message: p.error }
        : watched.has(p.bp) ? { id: p.id, verified: true } : { id: p.id, verified: false, message: `nothing is mapped at ${hex(p.bp.addresses[0])}` }),
    };
    this.sendResponse(response);
  }

  protected setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    const filters: TrapFilters = {};
    const results: DebugProtocol.Breakpoint[] = [];
    const add = (id: string, condition?: string) => {
      if (!(FILTER_IDS as string[]).includes(id)) { results.push({ verified: false, message: `unknown filter '${id}'` }); return; }
      const f = id as FilterId;
      if (f === 'guestKilled') { filters.guestKilled = true; results.push({ verified: true }); return; }
      const set = parseNumberSet(condition, f, f === 'hypercall' ? HYPERCALL_NAMES : undefined);
      if (set !== null && typeof set === 'object') { results.push({ verified: false, message: set.error }); return; }
      filters[f] = unionSets(filters[f], set as NumberSet);
      results.push({ verified: true });
    };
    for (const id of args.filters ?? []) add(id);
    for (const o of args.filterOptions ?? []) add(o.filterId, o.condition);
    this.exceptionFilters = filters;
    response.body = { breakpoints: results };
    this.sendResponse(response);
  }

  /** The Host's question at each stop point: does the user want to stop here? */
  private shouldStop(p: StopPoint): boolean {
    const matches = (set: NumberSet | undefined, n: number) => set !== undefined && (set === null || set(n));
    // Which filter the point is for, and the number its condition is about.
    const kinds: [FilterId, number][] = [];
    switch (p.kind) {
      case 'trap': {
        kinds.push(['trap', p.trap]);
        const lg = this.target?.host?.lg;
        const vec = lg && lg.lguestData !== null ? lg.dataRead('syscall_vec') : SYSCALL_VECTOR;
        if (p.trap === vec && (p.cs & 3) === 3) kinds.push(['syscall', p.eax]);
        break;
      }
      case 'hypercall': kinds.push(['hypercall', p.nr]); break;
      case 'killed': kinds.push(['guestKilled', 0]); break;
    }
    let stop = false;
    for (const [f, n] of kinds) {
      if (f === 'guestKilled' ? this.exceptionFilters.guestKilled === true : matches(this.exceptionFilters[f] as NumberSet | undefined, n)) stop = true;
      // Function breakpoints named for traps count their hits and check their conditions, as any breakpoint.
      for (const b of this.trapBreakpoints) {
        if (b.filter === f && (f === 'guestKilled' || matches(b.set, n)) && this.hitCounts(b)) stop = true;
      }
    }
    return stop;
  }

  protected exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const s = this.story;
    response.body = {
      exceptionId: s?.exceptionId ?? s?.reason ?? 'none',
      description: s?.details ?? s?.description ?? 'not stopped at a trap',
      breakMode: 'always',
      details: s ? { message: s.details ?? s.description, typeName: s.exceptionId } : undefined,
    };
    this.sendResponse(response);
  }

  // ---- Threads, stack, scopes, variables ----------------------------------------------------

  protected threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD, 'vCPU 0')] };
    this.sendResponse(response);
  }

  /** The Guest's call stack: CFI where the program has it, else frame pointers. */
  private backtrace(): { eip: number; esp: number; ebp: number }[] {
    const t = this.target!;
    const regs = { eip: t.guestEip, esp: t.reg('esp')!, ebp: t.reg('ebp')!, eax: t.reg('eax'), ebx: t.reg('ebx'), ecx: t.reg('ecx'), edx: t.reg('edx'), esi: t.reg('esi'), edi: t.reg('edi') };
    const read32 = (a: number) => t.read32(a) ?? null;
    return this.programs.infoFor(regs.eip).backtrace(regs, read32, 64).map((f) => f.regs);
  }

  protected stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const t = this.target;
    if (!t) return this.fail(response, 'not running');
    const frames: StackFrame[] = [];
    if (t.inHostContext && this.story?.hostFrame) {
      // The Host's frame is a label: no source, so clients focus the Guest's frame under it, where the trap is.
      const f = new StackFrame(1, `[Host] ${this.story.hostFrame}`) as DebugProtocol.StackFrame;
      f.presentationHint = 'label';
      frames.push(f);
    }
    // Optimized code gives one address to several lines: at a source breakpoint, show the line it was set on.
    const atBp = [...this.sourceBreakpoints.values()].flat().find((b) => b.addresses.includes(t.guestEip));
    this.backtrace().forEach((r, i) => {
      const name = this.programs.symbolize(r.eip) ?? hex(r.eip);
      let loc = this.programs.lineFor(i === 0 ? r.eip : (r.eip - 1) >>> 0);
      if (i === 0 && atBp && loc) loc = { ...loc, line: atBp.line!, path: atBp.path };
      let source: Source | undefined, line = loc?.line ?? 0;
      if (loc?.path) source = new Source(loc.path.split('/').pop()!, loc.path);
      else {
        // No source file here (code without line tables, or at a physical address in linear mode): its disassembly.
        const listing = disassemble(t, this.programs, r.eip, -10, 40, this.args.disassemblyFlavor);
        const text = listing.map((ins) => `${Number(ins.address) === r.eip ? '=>' : '  '} ${ins.address}${ins.symbol ? ` <${ins.symbol}>` : ''}  ${(ins.instructionBytes ?? '').padEnd(20)} ${ins.instruction}`).join('\n');
        source = this.generatedSource(`${name}.disasm`, text);
        line = listing.findIndex((ins) => Number(ins.address) === r.eip) + 1;
      }
      // Columns start at 1: a 0 makes an invalid range for a client's exception widget.
      const frame = new StackFrame(frames.length + 1, name, source, line, Math.max(1, loc?.column ?? 1)) as DebugProtocol.StackFrame;
      frame.instructionPointerReference = hex(r.eip);
      frames.push(frame);
    });
    const start = args.startFrame ?? 0, levels = args.levels || frames.length;
    response.body = { stackFrames: frames.slice(start, start + levels), totalFrames: frames.length };
    this.sendResponse(response);
  }

  private generatedSource(name: string, text: string): Source {
    let ref = this.generatedRefs.get(text);
    if (ref === undefined) {
      ref = 5000 + this.generatedRefs.size;
      this.generatedRefs.set(text, ref);
      this.generated.set(ref, text);
    }
    return new Source(name, undefined, ref, 'lguest', 'generated');
  }

  protected sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    const text = this.generated.get(args.sourceReference ?? args.source?.sourceReference ?? 0);
    if (text === undefined) return this.fail(response, `no generated source ${args.sourceReference ?? args.source?.sourceReference}`);
    response.body = { content: text, mimeType: 'text/plain' };
    this.sendResponse(response);
  }

  private ref(c: Child): number {
    const id = this.nextHandle++;
    this.handles.set(id, c);
    return id;
  }

  protected scopesRequest(response: DebugProtocol.ScopesResponse): void {
    const t = this.target;
    if (!t) return this.fail(response, 'not running');
    this.handles.clear();
    const view = new RegisterView(t, (c) => this.ref(c));
    const scopes: DebugProtocol.Scope[] = [];
    const regs = new Scope('Registers', this.ref(() => view.registers()), false) as DebugProtocol.Scope;
    regs.presentationHint = 'registers';
    scopes.push(regs);
    if (t.host) scopes.push(new Scope('lguest', this.ref(() => view.lguest(this.traps.lastTrapText())), false));
    response.body = { scopes };
    this.sendResponse(response);
  }

  protected variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const c = this.handles.get(args.variablesReference);
    if (!c) return this.fail(response, `no variables with reference ${args.variablesReference} (a scopes request renews them)`);
    response.body = { variables: c() };
    this.sendResponse(response);
  }

  protected setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    const t = this.target;
    if (!t) return this.fail(response, 'not running');
    if (!this.handles.has(args.variablesReference)) return this.fail(response, `no variables with reference ${args.variablesReference}`);
    const v = evaluate(args.value, this.evalEnv());
    if ('error' in v) return this.fail(response, `cannot set ${args.name}: ${v.error}`);
    if (!t.setReg(args.name, v.value)) return this.fail(response, `${args.name} cannot be changed here (only the general registers, eip and eflags can)`);
    response.body = { value: hex(t.reg(args.name)!) };
    this.sendResponse(response);
    this.sendEvent(new InvalidatedEvent(['variables']));
  }

  // ---- Evaluate, memory, disassembly ---------------------------------------------------

  private evalEnv(): EvalEnv {
    const t = this.target!;
    return {
      register: (n) => t.reg(n.toLowerCase()),
      symbol: (n) => this.programs.addressOf(n),
      read: (addr, size) => {
        const b = t.read(addr, size, false);
        if (b.some((x) => x === null)) return undefined;
        return b.reduce<number>((v, x, i) => v | (x! << (8 * i)), 0) >>> 0;
      },
    };
  }

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const t = this.target;
    if (!t) return this.fail(response, 'not running');
    if (args.context === 'repl') {
      const mon = runMonitorCommand(args.expression, {
        cpu: t.cpu, host: t.host, evaluate: (e) => evaluate(e, this.evalEnv()), read: this.evalEnv().read,
        symbolAt: (a) => this.programs.symbolAt(a),
      });
      if (mon !== null) {
        response.body = { result: mon.output, variablesReference: 0 };
        return this.sendResponse(response);
      }
    }
    const r = evaluate(args.expression, this.evalEnv());
    if ('error' in r) return this.fail(response, r.error);
    const sym = this.programs.symbolize(r.value);
    response.body = { result: `${hex(r.value)} (${r.value}${sym ? `, ${sym}` : ''})`, variablesReference: 0, memoryReference: hex(r.value) };
    this.sendResponse(response);
  }

  protected readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    const t = this.target;
    if (!t) return this.fail(response, 'not running');
    const ref = Target.parseReference(args.memoryReference);
    if (!ref) return this.fail(response, `bad memory reference '${args.memoryReference}': use a hex address such as 0x0010a3c0, or phys:0x...`);
    const address = (ref.address + (args.offset ?? 0)) >>> 0;
    const bytes = t.read(address, args.count, ref.physical);
    let n = 0;
    while (n < bytes.length && bytes[n] !== null) n++;
    response.body = {
      address: ref.physical ? `phys:${hex(address)}` : hex(address),
      data: Buffer.from(bytes.slice(0, n) as number[]).toString('base64'),
      unreadableBytes: args.count - n,
    };
    this.sendResponse(response);
  }

  protected writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    const t = this.target;
    if (!t) return this.fail(response, 'not running');
    const ref = Target.parseReference(args.memoryReference);
    if (!ref) return this.fail(response, `bad memory reference '${args.memoryReference}'`);
    const address = (ref.address + (args.offset ?? 0)) >>> 0;
    const data = Uint8Array.from(Buffer.from(args.data, 'base64'));
    const { written, refused } = t.write(address, data, ref.physical, args.allowPartial ?? false);
    if (refused !== null && !args.allowPartial) return this.fail(response, refused);
    response.body = { bytesWritten: written };
    this.sendResponse(response);
    this.sendEvent(new MemoryEvent(args.memoryReference, args.offset ?? 0, written));
    this.sendEvent(new InvalidatedEvent(['variables']));
  }

  protected disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    const t = this.target;
    if (!t) return this.fail(response, 'not running');
    const ref = Target.parseReference(args.memoryReference);
    if (!ref || ref.physical) return this.fail(response, `bad memory reference '${args.memoryReference}'`);
    response.body = { instructions: disassemble(t, this.programs, (ref.address + (args.offset ?? 0)) >>> 0, args.instructionOffset ?? 0, args.instructionCount, this.args.disassemblyFlavor) };
    this.sendResponse(response);
  }

  // ---- lguest's own requests -----------------------------------------------------------

  protected customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    const t = this.target;
    if (!t) return this.fail(response, 'not running');
    const r = customRequest(command, args, t, this.programs, this.traps);
    if (r === null) return this.fail(response, `unknown request '${command}'`);
    if ('error' in r) return this.fail(response, r.error);
    response.body = r.body;
    this.sendResponse(response);
  }
}

/** VS Code's hit conditions: "5" (from the fifth hit on), ">5", ">=5", "==5", "<5", "%5". */
export function hitConditionMet(cond: string, hits: number): boolean {
  const m = /^\s*(>=|<=|==|>|<|%)?\s*(\d+)\s*$/.exec(cond);
  if (!m) return true;
  const n = Number(m[2]);
  switch (m[1]) {
    case '>': return hits > n;
    case '<': return hits < n;
    case '<=': return hits <= n;
    case '==': return hits === n;
    case '%': return n > 0 && hits % n === 0;
    default: return hits >= n;
  }
}
