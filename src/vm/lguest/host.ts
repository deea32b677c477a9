/**
 * The Host: a machine whose memory holds a Guest and the Host's world, and
 * lguest's run loop (run_guest) driving it.
 *
 * The loop, as lguest's: run any hypercall the Guest made, deliver an
 * interrupt if one is pending and the Guest takes it, sleep if the Guest
 * halted, and otherwise run it: enter the Switcher, which switches to the
 * Guest's world and back when something traps, then deal with the trap
 * (lguest_arch_handle_trap). The Switcher and everything the Guest does
 * run on the emulated CPU; everything between two entries is this file and
 * its neighbours, playing the Host kernel's C code, in no virtual time.
 */
import { PhysicalMemory } from '../cpu/memory';
import { Cpu, CS } from '../cpu/state';
import { Executor, Exit } from '../cpu/executor';
import { IoPorts } from '../ioports';
import { ImageError } from '../elf';
import { findMultibootHeader } from '../multiboot';
import { HostWorld } from './hostWorld';
import { Lguest, Death, LguestOptions, hexC } from './lguest';
import { ShadowPageTables } from './pageTables';
import { setupGuestGdt } from './segments';
import { interruptPending, tryDeliverInterrupt, setInterrupt } from './traps';
import { doHypercalls } from './hypercalls';
import { launch, type Initrd } from './launcher';
import { LauncherDevices } from './devices/launcherDevices';
import { ConsoleDevice } from './devices/console';
import { BlockDevice, type BlockBackend } from './devices/block';
import { RngDevice } from './devices/rng';
import { DriverError } from './devices/virtqueue';
import { decideTrap, guestGate } from './decide';
import { setupRegs, enterSwitcher, backFromSwitcher, trapPoint, handleTrap, directTrapPoint } from './x86';
import type { HostEvent } from './events';
import type { HostObserver, StopPoint } from './observer';
import type { RunState } from './state';
import {
  HOST_RETURN_PORT, HOST_REGION_SIZE, DEVICE_WINDOW, GUEST_KERNEL_CS, HOST_TIMER_VECTOR, DEFAULT_EPOCH_SECONDS, LGUEST_IRQS,
  LGUEST_DATA, LHCALL_RING_SIZE, HCALL_ARGS_SIZE, FIRST_EXTERNAL_VECTOR,
} from './layout';

export type { StopPoint, HostObserver } from './observer';

export interface HostOptions {
  /** Guest memory in MiB (default 64). */
  memoryMiB?: number;
  /** The Guest's console output, byte by byte. */
  output?: (byte: number) => void;
  directTraps?: boolean;
  /** Seconds since 1970 at virtual time 0 (default 2000-01-01). */
  epochSeconds?: number;
  /** Seeds the choice of shadow page directory to evict (default 1). */
  seed?: number;
  /** A Guest asking to restart ends the run instead. */
  noRestart?: boolean;
  /** Virtio block devices, in order after the console (--block, --block-readonly): where their bytes live. */
  block?: BlockBackend[];
  /** A virtio entropy device after them (--rng), its bytes from its own stream seeded by `seed`. */
  rng?: boolean;
  /**
   * Someone is at the console (a terminal, VS Code's Guest console): a halted Guest waits in wall-clock time
   * (`run` returns `idle`; the caller waits, then calls passIdleTime) instead of skipping to its timer, and one
   * halted with no timer waits for input instead of being stopped. Off, idle time is skipped (tests, replays).
   */
  pacedIdle?: boolean;
  compileAfter?: number;
  /** Runs of a block of 32-bit code before it is compiled to WebAssembly (cpu/wasm/; Infinity: never; see ExecutorOptions). */
  wasmAfter?: number;
  /** Blocks compiled to WebAssembly together (tests: 1). */
  wasmBatch?: number;
}

/** Why a run ended. */
export type HostRunResult =
  | { kind: 'exit'; status: number }
  | { kind: 'poweroff'; message: string }
  | { kind: 'restart'; message: string }
  | { kind: 'killed'; reason: string }
  | { kind: 'halted'; reason: string }
  | { kind: 'limit' }
  | { kind: 'stopped' }
  /** EIP reached one of the debugger's breakpoints. */
  | { kind: 'breakpoint' }
  /** The observer asked to stop here. */
  | { kind: 'stop'; point: StopPoint }
  /** stepInstruction finished its step. */
  | { kind: 'step' }
  /**
   * pacedIdle: the Guest is halted and waits, for its timer (at virtual time `until`) or, with none (null), for
   * input. The caller waits in wall-clock time, gives input if some came, calls passIdleTime, and runs on.
   */
  | { kind: 'idle'; until: number | null };

/** Instructions run between looks at the clock and at stop requests. */
const SLICE = 1_000_000;
const MIB = 1024 * 1024;

export class Host {
  readonly mem: PhysicalMemory;
  readonly cpu: Cpu;
  readonly io = new IoPorts();
  readonly executor: Executor;
  readonly guestBytes: number;
  /** The Launcher's devices: they outlive a Guest restart (which powers them on again), as the files behind them do. */
  readonly devices: LauncherDevices;
  world!: HostWorld;
  lg!: Lguest;
  /** The CPU is running the Switcher or the Guest (not the Host's TypeScript). */
  inGuest = false;
  /** Times the Guest was restarted (SHUTDOWN with RESTART). */
  restarts = 0;
  /** See HostOptions.pacedIdle; a debug session turns it on when its Guest console attaches. */
  pacedIdle: boolean;
  /** Whoever watches the Host (the debugger): asked at each place a run may stop. */
  observer: HostObserver | null = null;
  private backInHost = false;
  private booted = false;
  /** The Switcher came back with a trap the Host has not handled yet: CR2 as it was then. */
  private trapCr2: number | null = null;
  /** The kind of stop point the last run stopped at: the next run goes on from it without asking again. */
  private resumingFrom: StopPoint['kind'] | null = null;
  /** A stop the observer asked for where the run cannot end at once (inside the CPU's run, before a hypercall). */
  private deferredStop: StopPoint | null = null;
  private stopRequested = false;
  private readonly options: LguestOptions;
  private image: Uint8Array | null = null;
  private imageName = '';
  private cmdline = '';
  /** The initial ramdisk, loaded again with the kernel at each restart. */
  private initrd: Initrd | undefined;
  /** Listeners that survive a restart. */
  private eventListener: ((e: HostEvent) => void) | null = null;
  /** Console input waiting for room in the Guest's receive queue. */
  private pendingInput: number[] = [];
  /** Input replayed from a recording: each goes in at its virtual time (see scheduleInput). */
  private scheduled: { time: number; bytes: Uint8Array }[] = [];
  /** pacedIdle: the last turn found the Guest halted with nothing to do but wait. */
  private idleWait = false;

  constructor(private readonly opts: HostOptions = {}) {
    const mib = opts.memoryMiB ?? 64;
    if (!Number.isInteger(mib) || mib < 1 || mib > 2048) {
      throw new RangeError(`Guest memory must be 1 to 2048 MiB, not ${mib}`);
    }
    this.guestBytes = mib * MIB;
    this.mem = new PhysicalMemory(this.guestBytes + DEVICE_WINDOW + HOST_REGION_SIZE);
    this.cpu = new Cpu(this.mem, this.io);
    this.executor = new Executor(this.cpu, { compileAfter: opts.compileAfter, wasmAfter: opts.wasmAfter, wasmBatch: opts.wasmBatch });
    this.pacedIdle = opts.pacedIdle ?? false;
    this.options = {
      directTraps: opts.directTraps ?? true, epochSeconds: opts.epochSeconds ?? DEFAULT_EPOCH_SECONDS,
      seed: opts.seed ?? 1,
    };
    // The Launcher's order, whatever the order of the flags: the console, the block devices, then rng.
    const output = opts.output ?? (() => {});
    this.devices = new LauncherDevices(this.mem, this.guestBytes, [
      new ConsoleDevice(output),
      ...(opts.block ?? []).map((b) => new BlockDevice(b)),
      ...(opts.rng ? [new RngDevice(this.options.seed)] : []),
    ]);
    // LHREQ_IRQ: a device's interrupt is pending for the Guest, and wakes it if it sleeps.
    this.devices.onIrq = (irq) => setInterrupt(this.lg, irq);
    this.devices.guestEip = () => this.lg.reg('eip');
    // The Host's glue writes here when the Switcher has brought it back.
    this.io.register(HOST_RETURN_PORT, 1, {
      read: () => 0xff,
      write: () => { this.backInHost = true; this.executor.requestStop(); },
    });
    this.cpu.onVector = (vector, code, eip) => {
      // A gate into the Guest's kernel code, not a Switcher stub: the CPU went straight to the Guest.
      if (this.cpu.segSel[CS] !== GUEST_KERNEL_CS || !this.inGuest) return;
      this.lg.stats.direct[vector]++;
      if (this.lg.onEvent !== null) this.lg.emit({ kind: 'direct', vector, eip: eip >>> 0, time: this.cpu.instructions });
      if (this.observer !== null) {
        const point = directTrapPoint(this.cpu, vector, code, eip);
        if (this.observer.stopAt(point)) {
          this.deferredStop = point;
          this.executor.requestStop();
        }
      }
    };
  }

  set onEvent(f: ((e: HostEvent) => void) | null) {
    this.eventListener = f;
    if (this.lg) this.lg.onEvent = f;
  }

  /**
   * Load a Guest and set up the Host for it (lguest's Launcher and LHREQ_INITIALIZE). Throws ImageError for a bad
   * image.
   */
  boot(image: Uint8Array, name: string, cmdline = '', initrd?: Initrd): void {
    // A Multiboot kernel expects ring 0 and a PC: at ring 1 its first privileged instruction would kill it.
    if (findMultibootHeader(image) !== undefined) throw new MultibootKernelError(name);
    this.image = image;
    this.imageName = name;
    this.cmdline = cmdline;
    this.initrd = initrd;
    this.reset();
  }

  private reset(): void {
    const c = this.cpu;
    // A restart starts from nothing, as lguest's Launcher re-executing itself did: every page written is zeroed
    // (those alone, or a restart would cost the memory's size), and the TLB's writable entries, which marked
    // their pages written when they were filled, go with the marks.
    if (this.booted) {
      this.mem.clearWritten();
      c.flushTlb(false);
    }
    this.booted = true;
    this.executor.flush();
    // The new Guest gets a fresh x87, as the re-executed Launcher's task got Linux's initial FPU state.
    c.fpu.resetToInit();
    this.devices.powerOn();
    const entry = launch(this.mem, this.guestBytes, this.image!, this.imageName, this.cmdline, this.initrd);
    this.world = new HostWorld(this.mem, this.guestBytes + DEVICE_WINDOW);
    this.world.enterHostState(c);
    c.intrLine = false;
    c.ackInterrupt = () => { c.intrLine = false; return HOST_TIMER_VECTOR; };
    const lg = new Lguest(this.mem, c, this.world, this.guestBytes, this.options, this.devices);
    lg.onConsole = this.opts.output ?? (() => {});
    lg.onEvent = this.eventListener;
    lg.pageTables = new ShadowPageTables(lg);
    lg.pageTables.init();
    setupGuestGdt(lg);
    setupRegs(lg, entry);
    this.lg = lg;
    this.inGuest = false;
  }

  /** The run loop's own state, as plain data (state.ts keeps the rest). */
  runState(): RunState {
    return { inGuest: this.inGuest, restarts: this.restarts, trapCr2: this.trapCr2, resumingFrom: this.resumingFrom };
  }
  setRunState(r: RunState): void {
    this.inGuest = r.inGuest;
    this.restarts = r.restarts;
    this.trapCr2 = r.trapCr2;
    this.resumingFrom = r.resumingFrom;
  }

  /** Ask a running `run` to return (the debugger's pause). */
  requestStop(): void {
    this.stopRequested = true;
    this.executor.requestStop();
  }

  /** Run until the Guest ends, a stop is asked for, or `maxInstructions` more instructions (virtual ns) have passed. */
  run(maxInstructions = Infinity): HostRunResult {
    return this.runGuest(maxInstructions, null);
  }

  /**
   * One step for the debugger. Normally a step is one Guest instruction:
   * if it leaves the Guest (a trap for the Host), the step goes on through
   * the Switcher and the Host until the Guest's next instruction. With
   * `intoSwitcher`, each instruction of the Switcher is a step too, and so
   * is each thing the Host does between leaving and entering the Guest.
   * Breakpoints and stop points on the way end a step early, as in a run.
   */
  stepInstruction(intoSwitcher: boolean, maxInstructions = 100_000_000): HostRunResult {
    return this.runGuest(maxInstructions, { intoSwitcher });
  }

  /** Where the CPU runs the Guest itself (not the Switcher, not the Host). */
  get inGuestCode(): boolean {
    return this.inGuest && this.cpu.cpl !== 0;
  }

  /**
   * run_guest: until the Guest is dead or something stops the run, handle
   * the trap that brought it back, run its hypercalls, deliver an interrupt,
   * sleep while it halts, and run it once more.
   */
  private runGuest(maxInstructions: number, step: Step | null): HostRunResult {
    if (this.image === null) throw new Error('no Guest: boot one first');
    const c = this.cpu;
    const end = c.instructions + maxInstructions;
    const from = this.guestPosition();
    for (;;) {
      const lg = this.lg;
      if (lg.dead !== null && !this.inGuest) {
        const r = this.afterDeath(lg.dead);
        if (r !== null) return r;
        continue;
      }
      if (this.stopRequested) {
        this.stopRequested = false;
        return { kind: 'stopped' };
      }
      if (this.trapCr2 !== null) {
        // lguest_arch_handle_trap, as decided before anything is done (the debugger sees the decision).
        const decision = decideTrap(lg, lg.reg('trapnum'), lg.reg('errcode'), this.trapCr2);
        if (this.observer !== null) {
          const point = trapPoint(lg, this.trapCr2, decision);
          if (this.stopHere(point)) return { kind: 'stop', point };
        }
        handleTrap(lg, this.trapCr2, decision);
        this.trapCr2 = null;
        if (step?.intoSwitcher) return { kind: 'step' };
        continue;
      }
      if (lg.timerDeadline !== null && c.instructions >= lg.timerDeadline) this.timerFires();
      if (!this.inGuest) {
        // A step through a halt skips the idle time: nobody waits for a step.
        if (this.hostTurn(end, this.pacedIdle && step === null)) return { kind: 'limit' };
        if (this.deferredStop !== null) return this.deferred();
        if (this.idleWait) {
          this.idleWait = false;
          return { kind: 'idle', until: lg.timerDeadline };
        }
        if (step?.intoSwitcher && (this.inGuest || lg.dead !== null)) return { kind: 'step' };
        continue;
      }
      const r = this.runOnce(end, step, from);
      if (r !== null) return r;
    }
  }

  /**
   * Where the Guest is (its EIP and CS, live or as saved): a step that went through the Host and back has not
   * moved it.
   */
  private guestPosition(): { eip: number; cs: number } {
    if (this.inGuestCode) return { eip: this.cpu.eip >>> 0, cs: this.cpu.segSel[CS] };
    return { eip: this.lg.reg('eip'), cs: this.lg.reg('cs') };
  }

  /**
   * Run the CPU (the Switcher, then the Guest) for a slice, or one
   * instruction when stepping; null to go round the loop again.
   */
  private runOnce(end: number, step: Step | null, from: { eip: number; cs: number }): HostRunResult | null {
    const c = this.cpu, lg = this.lg;
    let budget = Math.min(end - c.instructions, step !== null ? 1 : SLICE);
    if (budget <= 0) return { kind: 'limit' };
    if (lg.timerDeadline !== null) budget = Math.min(budget, lg.timerDeadline - c.instructions);
    const fromGuest = c.cpl !== 0;
    const exit = this.executor.run(budget);
    if (this.backInHost) {
      this.backInHost = false;
      this.inGuest = false;
      this.trapCr2 = backFromSwitcher(c);
      return step?.intoSwitcher ? { kind: 'step' } : null;
    }
    switch (exit) {
      case Exit.STOPPED:
        if (this.deferredStop !== null) return this.deferred();
        this.stopRequested = false;
        return { kind: 'stopped' };
      case Exit.BREAKPOINT:
        return { kind: 'breakpoint' };
      case Exit.SHUTDOWN:
        // Only a broken Switcher or Host could get here: every Guest fault has somewhere to go.
        this.inGuest = false;
        lg.kill(`the CPU shut down: ${c.shutdownReason ?? 'triple fault'}`);
        c.shutdownReason = null;
        return null;
      case Exit.HALTED:
        this.inGuest = false;
        lg.kill(`the CPU halted at ${hexC(c.eip)} in the Host's context`);
        return null;
      case Exit.LIMIT:
        break;
    }
    // A step is one instruction; one that left the Guest ends when the Guest is back in charge somewhere new.
    const moved = fromGuest || c.eip >>> 0 !== from.eip || c.segSel[CS] !== from.cs;
    if (step !== null && (step.intoSwitcher || (c.cpl !== 0 && moved))) return { kind: 'step' };
    return null;
  }

  /** Ask the observer about a stop point, unless this run is going on from it. */
  private stopHere(p: StopPoint): boolean {
    if (this.resumingFrom === p.kind) {
      this.resumingFrom = null;
      return false;
    }
    if (this.observer === null || !this.observer.stopAt(p)) return false;
    this.resumingFrom = p.kind;
    return true;
  }

  private deferred(): HostRunResult {
    const point = this.deferredStop!;
    this.deferredStop = null;
    return { kind: 'stop', point };
  }

  /** The Guest's timer is due: IRQ 0 is pending, and the Host's timer pulls the Host in if the Guest is running. */
  private timerFires(): void {
    this.lg.timerDeadline = null;
    setInterrupt(this.lg, 0);
    if (this.inGuest) this.cpu.intrLine = true;
  }

  /**
   * One turn of run_guest's loop in the Host: hypercalls, an interrupt,
   * sleep or enter the Guest. Returns true if the instruction budget ran
   * out while the Guest slept. With `paced`, a halt with nothing to deliver
   * is left to the caller (idleWait). A stop the observer asks for is left in
   * deferredStop, before the Host acts.
   */
  private hostTurn(end: number, paced: boolean): boolean {
    const lg = this.lg, c = this.cpu;
    if (lg.hcallPending) {
      const point = this.observer !== null ? this.hypercallPoint() : null;
      if (point !== null && this.stopHere(point)) {
        this.deferredStop = point;
        return false;
      }
      doHypercalls(lg);
    }
    if (lg.dead !== null) return false;
    this.deliverInput();
    if (lg.dead !== null) return false;
    const { irq, more } = interruptPending(lg);
    if (irq < LGUEST_IRQS) {
      // The debugger may stop at the delivery of a virtual interrupt, as at any other vector.
      if (this.observer !== null && this.willDeliver(irq)) {
        const point: StopPoint = {
          kind: 'trap', trap: FIRST_EXTERNAL_VECTOR + irq, errcode: 0, cr2: c.cr2 >>> 0, eip: lg.reg('eip'),
          cs: lg.reg('cs'), eax: lg.reg('eax'), direct: false, irq,
        };
        if (this.stopHere(point)) {
          this.deferredStop = point;
          return false;
        }
      }
      tryDeliverInterrupt(lg, irq, more);
    }
    if (lg.dead !== null) return false;
    if (lg.halted) {
      if (interruptPending(lg).irq < LGUEST_IRQS) return false;
      if (paced && this.scheduled.length === 0) {
        // Someone is at the console: the wait is theirs to make in wall-clock time (see passIdleTime).
        this.idleWait = true;
        return false;
      }
      // A replayed input wakes the Guest as the timer would, at its time.
      const next = this.scheduled.length > 0 ? this.scheduled[0].time : null;
      if (next !== null && (lg.timerDeadline === null || next < lg.timerDeadline)) {
        const wake = Math.min(next, end);
        lg.stats.idleNs += Math.max(0, wake - c.instructions);
        c.instructions = Math.max(c.instructions, wake);
        return c.instructions >= end && next > end;
      }
      if (lg.timerDeadline === null) {
        lg.dead = {
          kind: 'halted',
          reason: `the Guest halted at ${hexC(lg.reg('eip'))} with no timer set and no interrupt it accepts pending: `
            + 'nothing can wake it',
        };
        return false;
      }
      // Sleep: nothing happens until the timer, so skip to it at once.
      const wake = Math.min(lg.timerDeadline, end);
      lg.stats.idleNs += wake - c.instructions;
      c.instructions = Math.max(c.instructions, wake);
      return c.instructions >= end && lg.timerDeadline > end;
    }
    enterSwitcher(lg, c);
    this.inGuest = true;
    return false;
  }

  // ---- Console input ---------------------------------------------------------------------

  /** Bytes typed for the Guest's console: they go into its receive queue at the Host's next turn, as room allows. */
  input(bytes: Uint8Array): void {
    for (const b of bytes) this.pendingInput.push(b);
  }

  /** Input from a recording: `bytes` go in at the first turn at or after virtual time `time` (in order). */
  scheduleInput(time: number, bytes: Uint8Array): void {
    this.scheduled.push({ time, bytes });
  }

  /** Input not yet taken by the Guest (typed, or replayed and due or not). */
  get inputWaiting(): boolean {
    return this.pendingInput.length > 0 || this.scheduled.length > 0;
  }

  /**
   * pacedIdle: `ns` of wall-clock time passed while the Guest was halted (run returned `idle`). Virtual time
   * advances by as much, up to the Guest's timer, which then fires.
   */
  passIdleTime(ns: number): void {
    const lg = this.lg, c = this.cpu;
    let step = Math.max(0, Math.floor(ns));
    if (lg.timerDeadline !== null) step = Math.min(step, Math.max(0, lg.timerDeadline - c.instructions));
    lg.stats.idleNs += step;
    c.instructions += step;
  }

  /**
   * Console input into the Guest's receive queue (console_input), stamped with this turn's virtual time: what is
   * due from a replay, then what was typed, as far as the Guest's buffers take it.
   */
  private deliverInput(): void {
    const now = this.cpu.instructions;
    while (this.scheduled.length > 0 && this.scheduled[0].time <= now) {
      this.pendingInput.push(...this.scheduled.shift()!.bytes);
    }
    if (this.pendingInput.length === 0) return;
    const console0 = this.devices.virtio[0];
    if (!console0.receiving) return;
    let took: number;
    try {
      took = console0.receive(Uint8Array.from(this.pendingInput));
    } catch (e) {
      if (!(e instanceof DriverError)) throw e;
      this.lg.kill(e.message);
      return;
    }
    if (took === 0) return;
    const bytes = Uint8Array.from(this.pendingInput.splice(0, took));
    this.lg.stats.inputBytes += took;
    this.lg.emit({ kind: 'input', bytes, time: now });
  }

  /** Would try_deliver_interrupt put this IRQ into the Guest now (not just mark it pending)? */
  private willDeliver(irq: number): boolean {
    const lg = this.lg;
    if (!lg.halted && lg.dataRead('irq_enabled') === 0) return false;
    return guestGate(lg, FIRST_EXTERNAL_VECTOR + irq) !== null;
  }

  /**
   * The hypercalls the Host is about to run (the ring's, then the one in the registers): the first the observer
   * wants.
   */
  private hypercallPoint(): StopPoint | null {
    const lg = this.lg, m = this.mem;
    const calls: StopPoint[] = [];
    if (lg.lguestData !== null) {
      const base = lg.lguestData;
      for (
        let i = 0, n = lg.nextHcall;
        i < LHCALL_RING_SIZE && m.read8(base + LGUEST_DATA.hcall_status + n) !== 0xff;
        i++, n = (n + 1) % LHCALL_RING_SIZE
      ) {
        const at = base + LGUEST_DATA.hcalls + n * HCALL_ARGS_SIZE;
        const w = (k: number) => m.read32(at + k * 4) >>> 0;
        calls.push({ kind: 'hypercall', nr: w(0), args: [w(1), w(2), w(3), w(4)], async: true });
      }
    }
    calls.push({
      kind: 'hypercall', nr: lg.reg('eax'), args: [lg.reg('ebx'), lg.reg('ecx'), lg.reg('edx'), lg.reg('esi')],
      async: false,
    });
    return calls.find((p) => this.observer!.stopAt(p)) ?? null;
  }

  /** The Guest is dead: the observer may stop at a kill; then what the run returns, or null if it restarted. */
  private afterDeath(d: Death): HostRunResult | null {
    if (d.kind === 'killed') {
      const point: StopPoint = { kind: 'killed', reason: d.reason };
      if (this.observer !== null && this.stopHere(point)) return { kind: 'stop', point };
    }
    switch (d.kind) {
      case 'restart':
        if (this.opts.noRestart) return { kind: 'restart', message: d.message };
        this.restarts++;
        this.eventListener?.({ kind: 'restart', message: d.message, time: this.cpu.instructions });
        this.reset();
        return null;
      case 'poweroff': return { kind: 'poweroff', message: d.message };
      case 'killed': return { kind: 'killed', reason: d.reason };
      case 'exit': return { kind: 'exit', status: d.status };
      case 'halted': return { kind: 'halted', reason: d.reason };
    }
  }
}

/** How a debugger steps: one Guest instruction, or (into the Switcher) each instruction and each Host action. */
interface Step {
  intoSwitcher: boolean;
}

/** The image is a Multiboot kernel, for the bare machine, not an lguest Guest. */
export class MultibootKernelError extends ImageError {
  constructor(name: string) {
    super(`${name} is a Multiboot kernel, not an lguest Guest`);
  }
}

export { ImageError };
