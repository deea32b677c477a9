/**
 * The machine being debugged, as the debugger drives it: loaded from a
 * program, then run, paused and stepped until it ends, with the user's
 * breakpoints; what it does comes out as events (it stopped and why, text
 * for the user, its end). Nothing here speaks the Debug Adapter Protocol:
 * session.ts turns requests into these calls and these events into the
 * protocol's.
 *
 * One run or step at a time: a request to run while one goes is ignored
 * (a client waits for the stop before it asks again).
 */
import { Elf32, ImageError } from '../../vm/elf';
import type { FileBlockBackend } from '../../vm/lguest/devices/blockFile';
import { describeEvent } from '../../vm/lguest/describe';
import type { LaunchArgs } from '../launch';
import { Target, Outcome } from './target';
import { Programs } from '../programs';
import { EvalEnv, formatValue as hex } from '../expression';
import { CFrame } from '../cframe';
import type { CEnv } from '../cexpr';
import { fpuRegister } from '../fpu';
import { describeStop, StopStory } from '../stops';
import { TrapLog } from '../custom';
import { Breakpoints } from './breakpoints';
import { Output, OutputCategory } from './output';
import { Runner } from './running';
import { runStep, Step, backtrace, type StackEntry } from './stepping';
import { openLaunchFiles, closeAll, LaunchFiles } from './launchFiles';
import { runFacts, startRecording, type Recorder } from '../../recording';
import { DEFAULT_EPOCH_SECONDS } from '../../vm/lguest/layout';

/** A stop, as the debuggee tells it. */
export interface Stopped {
  /** entry, step, pause, breakpoint, function breakpoint, instruction breakpoint, data breakpoint or exception. */
  reason: string;
  /** The stop in one line, for those worth saying in the client's words (traps, watched writes). */
  text?: string;
  /** The ids of the breakpoints that stopped it. */
  hitBreakpointIds?: number[];
}

/**
 * What the debuggee tells its listener. A plain interface rather than an EventEmitter: there is one
 * listener (the session), the installed @types/node has no typed EventEmitter, and a missing handler
 * is then a type error, not an event lost.
 */
export interface DebuggeeEvents {
  stopped(s: Stopped): void;
  output(text: string, category: OutputCategory): void;
  /** The machine ended (or was ended): there will be no more stops. */
  exited(status: number): void;
}

/** The machine and the programs it runs, once launched. */
export interface Loaded {
  target: Target;
  programs: Programs;
}

export class Debuggee {
  readonly breakpoints: Breakpoints;
  /** The recent traps, for the lguest scope and lguest/traps. */
  readonly traps = new TrapLog();
  /** What the last stop was, for exceptionInfo, the stack's top frame and the lguest scope. */
  story: StopStory | null = null;
  private machine: Loaded | null = null;
  private runner: Runner | null = null;
  private running = false;
  private ended = false;
  private readonly output: Output;
  /** The block devices' files, open while the session lasts. */
  private disks: FileBlockBackend[] = [];
  /** launch.json's record: where the console input goes as the Guest takes it. */
  private recorder: Recorder | null = null;
  /** launch.json's replay: the input is the recording's, not the user's. */
  private replaying = false;

  constructor(private readonly events: DebuggeeEvents) {
    this.output = new Output((text, category) => events.output(text, category));
    this.breakpoints = new Breakpoints({ env: () => this.cenv(), say: (text) => this.output.say(text) });
  }

  get loaded(): Loaded | null {
    return this.machine;
  }

  /** Read and boot the program: null, or why it cannot be. `repoRoot`: where the Switcher's sources are. */
  launch(args: LaunchArgs, repoRoot: string): string | null {
    const files = openLaunchFiles(args);
    if ('error' in files) return files.error;
    const output = (b: number) => this.output.guestByte(b);
    let target: Target, programs: Programs;
    try {
      target = new Target({
        mode: args.mode, memoryMiB: args.memory, directTraps: args.directTraps, output, block: files.block,
        rng: args.rng, seed: args.seed, epochSeconds: args.epoch, noRestart: args.noRestart,
      });
      target.boot(files.image, args.program, args.cmdline, files.initrd);
      programs = new Programs(...debugElf(args, files), args.mode === 'lguest', repoRoot);
    } catch (e) {
      closeAll(files.block);
      if (e instanceof ImageError) return `bad program: ${e.message}`;
      throw e;
    }
    if (target.host) {
      const facts = runFacts({
        image: files.image, initrd: files.initrd?.data, blockPaths: args.block, blockReadOnly: args.blockReadOnly,
        rng: args.rng, cmdline: args.cmdline, memoryMiB: args.memory, seed: args.seed,
        epochSeconds: args.epoch ?? DEFAULT_EPOCH_SECONDS,
      });
      const r = startRecording(target.host, facts, args.record, args.replay);
      if (r !== null && 'error' in r) {
        closeAll(files.block);
        return r.error;
      }
      this.recorder = r;
      this.replaying = args.replay !== undefined;
    }
    this.disks = files.block;
    this.machine = { target, programs };
    this.runner = new Runner(target, this.breakpoints, args.stepIntoSwitcher);
    this.breakpoints.attach(target, programs);
    if (target.host) {
      target.host.onEvent = (e) => {
        this.traps.add(e);
        if (e.kind === 'input') this.recorder?.input(e.time, e.bytes);
        if (e.kind === 'restart') this.output.say(describeEvent(e));
      };
    }
    return null;
  }

  /** The client is ready: stop before the first instruction, or run. */
  start(stopOnEntry: boolean): Promise<void> {
    if (!stopOnEntry) return this.go(null);
    this.stop({ reason: 'entry', description: 'stopped before the Guest\'s first instruction' });
    return Promise.resolve();
  }

  /** Run until something stops the machine; resolves once the stop (or the end) is told. */
  continue(): Promise<void> {
    return this.go(null);
  }

  step(step: Step): Promise<void> {
    return this.go(step);
  }

  pause(): void {
    if (!this.running) return this.stop({ reason: 'pause', description: 'paused' });
    // Requests are only read between slices, so the running loop sees this before its next slice.
    this.runner!.pauseRequested = true;
  }

  /**
   * Input for the Guest's console (lguest/input): into the Host's queue, delivered at its next turn (at once if
   * the Guest runs, when it runs on if the session is stopped). The first input (an empty one will do) says
   * someone is at the console: from then on a halted Guest waits in wall-clock time. An error for a bare machine.
   */
  input(text: string): string | null {
    const host = this.machine?.target.host;
    if (!host) return 'lguest/input is for lguest Guests (this session is mode "bare")';
    if (this.replaying) return "lguest/input: this session replays a recording, whose input is the recording's";
    host.input(new TextEncoder().encode(text));
    host.pacedIdle = true;
    this.runner?.inputCame();
    return null;
  }

  /** End the session: the machine stops, and the end is told. */
  terminate(): void {
    if (this.runner) this.runner.pauseRequested = true;
    this.finish(0, 'terminated by the debugger');
    this.releaseDisks();
  }

  /** The client has gone: stop, and tell nothing more. */
  disconnect(): void {
    if (this.runner) this.runner.pauseRequested = true;
    this.ended = true;
    this.releaseDisks();
  }

  /**
   * Give the block devices' files back, and finish a recording. The run stops at its next slice, before the Guest can reach them: the
   * loops look at pauseRequested before each.
   */
  private releaseDisks(): void {
    closeAll(this.disks);
    this.disks = [];
    this.recorder?.close();
    this.recorder = null;
  }

  /** The machine's values for expressions: the Guest's registers, the programs' symbols, memory. */
  env(): EvalEnv {
    const { target: t, programs } = this.machine!;
    return {
      register: (n) => t.reg(n.toLowerCase()),
      symbol: (n) => programs.addressOf(n),
      read: (addr, size) => {
        const b = t.read(addr, size, false);
        if (b.some((x) => x === null)) return undefined;
        return b.reduce<number>((v, x, i) => v | (x! << (8 * i)), 0) >>> 0;
      },
      fpu: (n) => fpuRegister(t.fpu, n),
    };
  }

  /**
   * The innermost frame's C environment: breakpoint conditions, logpoints and data breakpoints name the C
   * variables in scope where the Guest stands (cframe.ts), then registers and symbols as env() does.
   */
  cenv(): CEnv {
    const { target: t, programs } = this.machine!;
    const pc = t.guestEip;
    const regs = { eip: pc, esp: t.reg('esp')!, ebp: t.reg('ebp')! };
    const frame = new CFrame(t, programs.infoFor(pc), { regs, innermost: true, pc: programs.linked(pc) }, this.env());
    return { ...frame.env(0), symbolize: (a) => programs.symbolize(a) };
  }

  /** The Guest's call stack, innermost first. */
  backtrace(): StackEntry[] {
    return backtrace(this.machine!.target, this.machine!.programs);
  }

  /** Run (step: null) or step until something stops the machine, then tell why. */
  private async go(step: Step | null): Promise<void> {
    const m = this.machine, r = this.runner;
    if (!m || !r || this.running || this.ended) return;
    this.running = true;
    r.pauseRequested = false;
    this.story = null;
    try {
      this.report(step === null ? await r.runFree() : await runStep(r, m.programs, this.breakpoints, step));
    } catch (e) {
      this.output.say(`internal error: ${(e as Error).stack ?? e}`);
      this.finish(2, 'the debugger failed');
    } finally {
      this.running = false;
    }
  }

  private report(o: Outcome): void {
    this.output.flush();
    const t = this.machine!.target;
    switch (o.kind) {
      case 'running':
        return;
      case 'step':
        return this.stop({ reason: 'step', description: 'step' });
      case 'paused':
        return this.stop({ reason: 'pause', description: 'paused' });
      case 'data': {
        const description = `${hex(o.address)} written (${o.size} bytes watched), `
          + `by the instruction before ${hex(t.guestEip)}`;
        const ids = this.breakpoints.dataReached(o.address, o.size);
        return this.stop({ reason: 'data breakpoint', description }, description, ids);
      }
      case 'breakpoint': {
        const { reason, ids } = this.breakpoints.reached(t.guestEip);
        return this.stop({ reason, description: `${reason} at ${hex(t.guestEip)}` }, undefined, ids);
      }
      case 'stop': {
        const story = describeStop(o.point, t, this.machine!.programs);
        return this.stop(story, story.description);
      }
      case 'ended':
        return this.finish(o.status, o.message);
    }
  }

  private stop(story: StopStory, text?: string, hitBreakpointIds?: number[]): void {
    this.story = story;
    this.events.stopped({ reason: story.reason, text, hitBreakpointIds });
  }

  private finish(status: number, message: string): void {
    if (this.ended) return;
    this.ended = true;
    this.output.say(message);
    this.events.exited(status);
  }
}

/**
 * Where the debugger's symbols, lines and frames come from: `symbols` when given (a bzImage has none of its own),
 * else the program (throws ImageError when it is no ELF, with a word on `symbols` where that would help).
 */
function debugElf(args: LaunchArgs, files: LaunchFiles): [string, Elf32] {
  if (files.symbols) return [args.symbols!, files.symbols];
  try {
    return [args.program, new Elf32(files.image, args.program)];
  } catch (e) {
    if (!(e instanceof ImageError) || args.mode !== 'lguest') throw e;
    throw new ImageError(`${e.message}, so it has no symbols: name its ELF (a bzImage's vmlinux) in 'symbols'`);
  }
}
