/**
 * The debug session: the Debug Adapter Protocol on one side, the runtime on
 * the other (runtime/debuggee.ts). Each request's handler translates its
 * arguments, calls the runtime, and answers in the protocol's terms; what
 * the runtime tells (stops, output, the end) becomes the protocol's events.
 */
import { join } from 'node:path';
import {
  InitializedEvent, ContinuedEvent, StoppedEvent, TerminatedEvent, ExitedEvent, OutputEvent, Thread, Scope, Source,
  InvalidatedEvent, MemoryEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { checkLaunchArgs, LaunchArgs } from './launch';
import { Target } from './runtime/target';
import { RegisterView, Child, hex } from './registers';
import { FpuView, type Setter } from './fpuScope';
import { fpuExpressionText } from './fpu';
import { evaluate } from './expression';
import { runMonitorCommand } from './monitor';
import { disassemble } from './disassembly';
import { Frames, type FrameRef } from './frames';
import { cFrameAt } from './frameAt';
import { CScopes, type Watcher } from './cscopes';
import { evaluateTyped, toUint32 } from './cexpr';
import { isUntyped } from './cvalue';
import { customRequest } from './custom';
import { describeValue } from './requestChecks';
import { CAPABILITIES } from './capabilities';
import { GuardedDebugSession } from './guardedSession';
import { Debuggee, Loaded, Stopped } from './runtime/debuggee';
import { NO_HOST, type BreakpointResult } from './runtime/breakpoints';
import type { StepKind } from './runtime/stepping';

const THREAD = 1;
/** lguest/input: what one request may carry (a paste, not a file). */
const MAX_INPUT = 65536;

export class LguestDebugSession extends GuardedDebugSession {
  private args!: LaunchArgs;
  private readonly debuggee = new Debuggee({
    stopped: (s) => this.stopped(s),
    output: (text, category) => this.sendEvent(new OutputEvent(text, category)),
    exited: (status) => {
      this.sendEvent(new ExitedEvent(status));
      this.sendEvent(new TerminatedEvent());
    },
  });
  private configured: () => void = () => {};
  private readonly configurationDone = new Promise<void>((resolve) => { this.configured = resolve; });
  private readonly handles = new Map<number, Child>();
  /** The references whose variables are set their own way (the FPU scope's), with how. */
  private readonly setters = new Map<number, Setter>();
  /** The references whose variables can be watched (C variables in memory), with where each one is. */
  private readonly watchers = new Map<number, Watcher>();
  private nextHandle = 1000;
  /** VS Code's hex toggle, as the request being answered asks (C values; registers are always hex). */
  private hexValues = false;
  private readonly frames = new Frames();

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  /** An error response; `showUser` false for what the user did not ask for by hand (typing at the Guest console). */
  private fail(response: DebugProtocol.Response, message: string, showUser = true): void {
    this.sendErrorResponse(response, { id: 1001, format: message, showUser });
  }

  /** The machine, or an error response saying there is none yet. */
  private machine(response: DebugProtocol.Response): Loaded | null {
    const m = this.debuggee.loaded;
    if (!m) this.fail(response, 'not running');
    return m;
  }

  /**
   * Variables references last while the Guest stays stopped (as the protocol has them): the Variables
   * view's, a watch's and a hover's alike, whatever scopes requests come in between.
   */
  private forgetVariables(): void {
    this.handles.clear();
    this.setters.clear();
    this.watchers.clear();
  }

  private stopped(s: Stopped): void {
    this.forgetVariables();
    this.frames.newStop();
    const ev = new StoppedEvent(s.reason, THREAD, s.text) as DebugProtocol.StoppedEvent;
    if (s.reason === 'exception') ev.body.description = s.text;
    if (s.hitBreakpointIds) ev.body.hitBreakpointIds = s.hitBreakpointIds;
    this.sendEvent(ev);
  }

  // ---- Initialization and launch -------------------------------------------------------------

  protected initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = { ...CAPABILITIES };
    this.sendResponse(response);
  }

  protected async launchRequest(
    response: DebugProtocol.LaunchResponse, raw: DebugProtocol.LaunchRequestArguments,
  ): Promise<void> {
    const checked = checkLaunchArgs(raw);
    if ('error' in checked) return this.fail(response, `invalid launch configuration: ${checked.error}`);
    this.args = checked;
    const error = this.debuggee.launch(checked, join(__dirname, '..'));
    if (error !== null) return this.fail(response, error);
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
    await this.configurationDone;
    // The run begins, and a continued event says so. VS Code 1.100 keeps a session's stop reasons across its own
    // restart (a new adapter for the same session) until one comes, and its Call Stack header said the old run's.
    this.sendEvent(new ContinuedEvent(THREAD, true));
    void this.debuggee.start(checked.stopOnEntry);
  }

  protected configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.configured();
  }

  // ---- Running --------------------------------------------------------------------------------

  protected continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    void this.debuggee.continue();
  }

  private step(
    response: DebugProtocol.Response, kind: StepKind, granularity?: DebugProtocol.SteppingGranularity,
  ): void {
    this.sendResponse(response);
    void this.debuggee.step({ kind, instruction: granularity === 'instruction' });
  }

  protected nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.step(response, 'over', args.granularity);
  }

  protected stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.step(response, 'in', args.granularity);
  }

  protected stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.step(response, 'out', args.granularity);
  }

  protected pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.sendResponse(response);
    this.debuggee.pause();
  }

  protected disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.debuggee.disconnect();
    this.sendResponse(response);
  }

  protected terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.sendResponse(response);
    this.debuggee.terminate();
  }

  // ---- Breakpoints ---------------------------------------------------------------------

  protected setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    const path = args.source.path ?? args.source.name ?? '';
    const results = this.debuggee.breakpoints.setSource(path, args.breakpoints ?? []);
    const breakpoints = results.map((r) => ({ ...toBreakpoint(r), source: r.verified ? args.source : undefined }));
    response.body = { breakpoints };
    this.sendResponse(response);
  }

  protected setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    response.body = { breakpoints: this.debuggee.breakpoints.setFunctions(args.breakpoints).map(toBreakpoint) };
    this.sendResponse(response);
  }

  protected setInstructionBreakpointsRequest(
    response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments,
  ): void {
    response.body = { breakpoints: this.debuggee.breakpoints.setInstructions(args.breakpoints).map(toBreakpoint) };
    this.sendResponse(response);
  }

  protected dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    // From the Variables view: a C variable (or member) in memory can be watched where it is; a register cannot.
    const ref = args.variablesReference ?? 0;
    const inView = ref !== 0 ? this.watchers.get(ref)?.(args.name) : undefined;
    const w = !this.debuggee.loaded ? { error: 'not running' }
      : ref === 0 ? this.debuggee.breakpoints.watchable(args.name)
        : inView ?? { error: 'registers cannot be watched; watch a memory address (a symbol or an expression)' };
    response.body = 'error' in w ? { dataId: null, description: w.error }
      : { dataId: w.dataId, description: w.description, accessTypes: ['write'], canPersist: true };
    this.sendResponse(response);
  }

  protected setDataBreakpointsRequest(
    response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments,
  ): void {
    response.body = { breakpoints: this.debuggee.breakpoints.setData(args.breakpoints).map(toBreakpoint) };
    this.sendResponse(response);
  }

  protected setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    const asked = [...(args.filters ?? []).map((filter) => ({ filter })),
      ...(args.filterOptions ?? []).map((o) => ({ filter: o.filterId, condition: o.condition }))];
    const results = this.debuggee.breakpoints.traps.setFilters(asked);
    // The bare machine has no Host to stop in: its filters say so (Guest killed, on by default, just never happens).
    if (this.debuggee.loaded?.target.host === null) {
      asked.forEach((a, i) => {
        if (a.filter !== 'guestKilled' && results[i].verified) results[i] = { verified: false, message: NO_HOST };
      });
    }
    response.body = { breakpoints: results };
    this.sendResponse(response);
  }

  protected exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const s = this.debuggee.story;
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

  protected stackTraceRequest(
    response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments,
  ): void {
    if (!this.machine(response)) return;
    const frames = this.frames.of(this.debuggee, this.args.disassemblyFlavor);
    const start = args.startFrame ?? 0, levels = args.levels || frames.length;
    response.body = { stackFrames: frames.slice(start, start + levels), totalFrames: frames.length };
    this.sendResponse(response);
  }

  protected sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    const asked = args.sourceReference ?? args.source?.sourceReference;
    const text = this.frames.text(asked ?? 0);
    if (text === undefined) return this.fail(response, `no generated source ${asked}`);
    response.body = { content: text, mimeType: 'text/plain' };
    this.sendResponse(response);
  }

  /** A frame id as the last stack trace gave it (none: the innermost frame's innermost level). */
  private frameRef(frameId: number | undefined): FrameRef | undefined {
    return frameId === undefined ? { index: 0, level: 0 } : this.frames.at(frameId);
  }

  private ref(c: Child, set?: Setter, watch?: Watcher): number {
    const id = this.nextHandle++;
    this.handles.set(id, c);
    if (set) this.setters.set(id, set);
    if (watch) this.watchers.set(id, watch);
    return id;
  }

  protected scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const m = this.machine(response);
    if (!m) return;
    if (!this.frames.current(args.frameId)) {
      return this.fail(response, `no frame ${args.frameId} (frames last until the Guest runs again)`, false);
    }
    // The C scopes first (VS Code opens the first), the Globals of the unit last, closed (expensive).
    const at = cFrameAt(this.debuggee, this.frameRef(args.frameId));
    const c = at ? new CScopes(at.frame, at.level, (ch, set, watch) => this.ref(ch, set, watch), (a) => m.programs.symbolize(a), () => this.hexValues).scopes() : [];
    const cFirst = c.filter((x) => x.name !== 'Globals'), cLast = c.filter((x) => x.name === 'Globals');
    const view = new RegisterView(m.target, (c) => this.ref(c));
    const regs = new Scope('Registers', this.ref(() => view.registers()), false) as DebugProtocol.Scope;
    regs.presentationHint = 'registers';
    const env = this.debuggee.env();
    const fpu = new FpuView(m.target.fpu, (c, set) => this.ref(c, set), (e) => evaluate(e, env));
    const fpuScope = new Scope('FPU', this.ref(() => fpu.variables(), (n, v) => fpu.set(n, v)), false) as DebugProtocol.Scope;
    fpuScope.presentationHint = 'registers';
    const scopes: DebugProtocol.Scope[] = [...cFirst, regs, fpuScope];
    const lguest = () => view.lguest(this.debuggee.traps.lastTrapText());
    if (m.target.host) scopes.push(new Scope('lguest', this.ref(lguest), false));
    scopes.push(...cLast);
    response.body = { scopes };
    this.sendResponse(response);
  }

  protected variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const c = this.handles.get(args.variablesReference);
    const renew = '(references last until the Guest runs again)';
    // An old stop's reference comes from a view that asked as the Guest ran on (F5 while Variables loaded): no pop-up.
    if (!c) return this.fail(response, `no variables with reference ${args.variablesReference} ${renew}`, false);
    // An array's elements come a page at a time (indexedVariables told the client how many).
    this.hexValues = args.format?.hex === true;
    response.body = { variables: c(args.start, args.count) };
    this.sendResponse(response);
  }

  protected setVariableRequest(
    response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments,
  ): void {
    const m = this.machine(response);
    if (!m) return;
    const ref = args.variablesReference;
    if (!this.handles.has(ref)) return this.fail(response, `no variables with reference ${ref}`);
    const set = this.setters.get(ref);
    if (set) {
      const r = set(args.name, args.value);
      if ('error' in r) return this.fail(response, `cannot set ${args.name}: ${r.error}`);
      response.body = { value: r.value };
      this.sendResponse(response);
      return this.sendEvent(new InvalidatedEvent(['variables']));
    }
    const v = evaluate(args.value, this.debuggee.env());
    if ('error' in v) return this.fail(response, `cannot set ${args.name}: ${v.error}`);
    if (!m.target.setReg(args.name, v.value)) {
      const only = 'only the general registers, eip and eflags can';
      return this.fail(response, `${args.name} cannot be changed here (${only})`);
    }
    response.body = { value: hex(m.target.reg(args.name)!) };
    this.sendResponse(response);
    this.sendEvent(new InvalidatedEvent(['variables']));
  }

  // ---- Evaluate, memory, disassembly ---------------------------------------------------

  protected evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const m = this.machine(response);
    if (!m) return;
    const env = this.debuggee.env();
    if (args.context === 'repl') {
      const mon = runMonitorCommand(args.expression, {
        cpu: m.target.cpu, host: m.target.host, evaluate: (e) => evaluate(e, env), read: env.read,
        symbolAt: (a) => m.programs.symbolAt(a),
      });
      if (mon !== null) {
        response.body = { result: mon.output, variablesReference: 0 };
        return this.sendResponse(response);
      }
    }
    // An x87 register alone ($st0) shows its value in decimal; in a larger expression it is an integer.
    const float = fpuExpressionText(args.expression, m.target.fpu);
    if (float !== null) {
      response.body = { result: float, variablesReference: 0 };
      return this.sendResponse(response);
    }
    // In the frame asked about: its C variables first, then registers and symbols (cframe.ts).
    const at = cFrameAt(this.debuggee, this.frameRef(args.frameId));
    this.hexValues = args.format?.hex === true;
    const view = at && new CScopes(at.frame, at.level, (ch, set, watch) => this.ref(ch, set, watch), (a) => m.programs.symbolize(a), () => this.hexValues);
    const cenv = at ? { ...at.frame.env(at.level), symbolize: (a: number) => m.programs.symbolize(a) } : undefined;
    const typed = cenv ? evaluateTyped(args.expression, cenv) : null;
    if (typed !== null && 'value' in typed && !isUntyped(typed.value)) {
      const v = view!.variable(args.expression, typed.value, args.expression);
      response.body = {
        result: v.value, type: v.type, variablesReference: v.variablesReference, indexedVariables: v.indexedVariables,
        memoryReference: v.memoryReference,
      };
      return this.sendResponse(response);
    }
    const r = typed !== null && 'value' in typed ? { value: toUint32(typed.value, cenv!) } : typed ?? evaluate(args.expression, env);
    // What the user typed in the debug console says its error there; a hover or a watch shows it in place.
    if ('error' in r) return this.fail(response, r.error, args.context === 'repl');
    const sym = m.programs.symbolize(r.value);
    const result = `${hex(r.value)} (${r.value}${sym ? `, ${sym}` : ''})`;
    response.body = { result, variablesReference: 0, memoryReference: hex(r.value) };
    this.sendResponse(response);
  }

  protected readMemoryRequest(
    response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments,
  ): void {
    const m = this.machine(response);
    if (!m) return;
    const ref = Target.parseReference(args.memoryReference);
    const use = 'use a hex address such as 0x0010a3c0, or phys:0x...';
    // Memory views ask by themselves and show a refusal where it happened: no pop-up (nor below).
    if (!ref) return this.fail(response, `bad memory reference '${args.memoryReference}': ${use}`, false);
    const address = (ref.address + (args.offset ?? 0)) >>> 0;
    const bytes = m.target.read(address, args.count, ref.physical);
    let n = 0;
    while (n < bytes.length && bytes[n] !== null) n++;
    response.body = {
      address: ref.physical ? `phys:${hex(address)}` : hex(address),
      data: Buffer.from(bytes.slice(0, n) as number[]).toString('base64'),
      unreadableBytes: args.count - n,
    };
    this.sendResponse(response);
  }

  protected writeMemoryRequest(
    response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments,
  ): void {
    const m = this.machine(response);
    if (!m) return;
    const ref = Target.parseReference(args.memoryReference);
    if (!ref) return this.fail(response, `bad memory reference '${args.memoryReference}'`, false);
    const address = (ref.address + (args.offset ?? 0)) >>> 0;
    const data = Uint8Array.from(Buffer.from(args.data, 'base64'));
    const { written, refused } = m.target.write(address, data, ref.physical, args.allowPartial ?? false);
    if (refused !== null && !args.allowPartial) return this.fail(response, refused, false);
    response.body = { bytesWritten: written };
    this.sendResponse(response);
    this.sendEvent(new MemoryEvent(args.memoryReference, args.offset ?? 0, written));
    this.sendEvent(new InvalidatedEvent(['variables']));
  }

  protected disassembleRequest(
    response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments,
  ): void {
    const m = this.machine(response);
    if (!m) return;
    const ref = Target.parseReference(args.memoryReference);
    // Only the Disassembly view asks, by itself: it sends '' when a new run of the session has no stop yet. No pop-up.
    if (!ref || ref.physical) return this.fail(response, `bad memory reference '${args.memoryReference}'`, false);
    const address = (ref.address + (args.offset ?? 0)) >>> 0;
    const offset = args.instructionOffset ?? 0, flavor = this.args.disassemblyFlavor;
    response.body = { instructions: disassemble(m.target, m.programs, address, offset, args.instructionCount, flavor) };
    this.sendResponse(response);
  }

  // ---- lguest's own requests -----------------------------------------------------------

  protected customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    const m = this.machine(response);
    if (!m) return;
    if (command === 'lguest/input') {
      const text = (typeof args === 'object' && args !== null ? (args as { text?: unknown }).text : undefined);
      if (typeof text !== 'string') return this.fail(response, `lguest/input wants { text: string }, not ${describeValue(args)}`, false);
      if (text.length > MAX_INPUT) return this.fail(response, `lguest/input takes at most ${MAX_INPUT} characters at a time, not ${text.length}`, false);
      const error = this.debuggee.input(text);
      if (error !== null) return this.fail(response, error, false);
      return this.sendResponse(response);
    }
    const r = customRequest(command, args, m.target, m.programs, this.debuggee.traps);
    if (r === null) return this.fail(response, `unknown request '${command}'`);
    if ('error' in r) return this.fail(response, r.error);
    response.body = r.body;
    this.sendResponse(response);
  }
}

/** A breakpoint as the runtime answers it, in the protocol's words. */
function toBreakpoint(r: BreakpointResult): DebugProtocol.Breakpoint {
  return {
    id: r.id, verified: r.verified, message: r.message, line: r.line,
    instructionReference: r.address === undefined ? undefined : hex(r.address),
    source: r.path && r.file ? new Source(r.file, r.path) : undefined,
  };
}
