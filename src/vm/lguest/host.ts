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
import { Cpu, CS, EAX, EBX, ESP, CR0_TS } from '../cpu/state';
import { Executor, Exit } from '../cpu/executor';
import { peekTranslate } from '../cpu/paging';
import { IoPorts } from '../ioports';
import { ImageError } from '../elf';
import { HostWorld } from './hostWorld';
import { Lguest, Death, LguestOptions, CHANGED_IDT, CHANGED_GDT, CHANGED_GDT_TLS, hexC } from './lguest';
import { ShadowPageTables } from './pageTables';
import { setupGuestGdt, copyGdt } from './segments';
import { copyTraps, deliverTrap, couldBeSyscall, interruptPending, tryDeliverInterrupt, setInterrupt } from './traps';
import { doHypercalls } from './hypercalls';
import { emulateInsn } from './emulate';
import { launch } from './launcher';
import { findMultibootHeader } from '../multiboot';
import type { TrapAction, HostEvent } from './events';
import {
  HOST_RETURN_PORT, SWITCHER_PAGES, PAGES_HOST_CR3, PAGES_GUEST_TSS, HOST_REGION_SIZE, GUEST_KERNEL_CS, GUEST_KERNEL_DS,
  BOOT_EFLAGS, IMPOSSIBLE_TRAP, LGUEST_TRAP_ENTRY, HOST_TIMER_VECTOR, HOST_KERNEL_CS, DEFAULT_EPOCH_SECONDS, REG_NAMES, LGUEST_IRQS,
  LGUEST_DATA, LHCALL_RING_SIZE, HCALL_ARGS_SIZE, FIRST_EXTERNAL_VECTOR,
} from './layout';

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
  compileAfter?: number;
}

/**
 * A place where the debugger may stop the Host: a trap the Host is about to
 * handle (or one the CPU delivered straight to the Guest), a hypercall it is
 * about to run, a Guest it has just killed.
 */
export type StopPoint =
  | { kind: 'trap'; trap: number; errcode: number; cr2: number; eip: number; cs: number; eax: number; direct: boolean; irq?: number }
  | { kind: 'hypercall'; nr: number; args: [number, number, number, number]; async: boolean }
  | { kind: 'killed'; reason: string };

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
  /** The debugger's shouldStop said so. */
  | { kind: 'stop'; point: StopPoint }
  /** stepInstruction finished its step. */
  | { kind: 'step' };

/** Instructions run between looks at the clock and at stop requests. */
const SLICE = 1_000_000;
const MIB = 1024 * 1024;

export class Host {
  readonly mem: PhysicalMemory;
  readonly cpu: Cpu;
  readonly io = new IoPorts();
  readonly executor: Executor;
  readonly guestBytes: number;
  world!: HostWorld;
  lg!: Lguest;
  /** The CPU is running the Switcher or the Guest (not the Host's TypeScript). */
  inGuest = false;
  /** Times the Guest was restarted (SHUTDOWN with RESTART). */
  restarts = 0;
  private backInHost = false;
  private booted = false;
  /** The Switcher came back with a trap the Host has not handled yet (and CR2 as it was then). */
  private trapPending: { cr2: number } | null = null;
  /** The debugger's filter: a stop point for which it returns true ends the run there. */
  shouldStop: ((p: StopPoint) => boolean) | null = null;
  /** The stop point a run returned last: the next run goes past it instead of stopping again. */
  private passing: StopPoint['kind'] | null = null;
  /** A trap the CPU delivered straight to the Guest, which the debugger wants to stop at. */
  private directStop: StopPoint | null = null;
  /** A stop point hostStep found (a hypercall). */
  private hostStop: StopPoint | null = null;
  private stopRequested = false;
  private readonly options: LguestOptions;
  private image: Uint8Array | null = null;
  private imageName = '';
  private cmdline = '';
  /** Listeners that survive a restart. */
  private eventListener: ((e: HostEvent) => void) | null = null;

  constructor(private readonly opts: HostOptions = {}) {
    const mib = opts.memoryMiB ?? 64;
    if (!Number.isInteger(mib) || mib < 1 || mib > 2048) throw new RangeError(`Guest memory must be 1 to 2048 MiB, not ${mib}`);
    this.guestBytes = mib * MIB;
    this.mem = new PhysicalMemory(this.guestBytes + HOST_REGION_SIZE);
    this.cpu = new Cpu(this.mem, this.io);
    this.executor = new Executor(this.cpu, { compileAfter: opts.compileAfter });
    this.options = { directTraps: opts.directTraps ?? true, epochSeconds: opts.epochSeconds ?? DEFAULT_EPOCH_SECONDS, seed: opts.seed ?? 1 };
    // The Host's glue writes here when the Switcher has brought it back.
    this.io.register(HOST_RETURN_PORT, 1, {
      read: () => 0xff,
      write: () => { this.backInHost = true; this.executor.requestStop(); },
    });
    this.cpu.onVector = (vector, _code, eip) => {
      // A gate into the Guest's kernel code, not a Switcher stub: the CPU went straight to the Guest.
      if (this.cpu.segSel[CS] === GUEST_KERNEL_CS && this.inGuest) {
        this.lg.stats.direct[vector]++;
        this.lg.emit({ kind: 'direct', vector, eip: eip >>> 0, time: this.cpu.instructions });
        if (this.shouldStop !== null) {
          const c = this.cpu;
          // The frame the CPU just pushed: EIP, CS (of the trapping code) above an error code if any.
          const code = _code >= 0 ? _code : 0;
          const point: StopPoint = { kind: 'trap', trap: vector, errcode: code, cr2: c.cr2 >>> 0, eip: eip >>> 0, cs: this.frameCs(_code >= 0), eax: c.r32[EAX] >>> 0, direct: true };
          if (this.shouldStop(point)) {
            this.directStop = point;
            this.executor.requestStop();
          }
        }
      }
    };
  }

  /** The CS a trap frame on the current (ring 1) stack holds: whether the trap came from ring 3. */
  private frameCs(hasCode: boolean): number {
    const c = this.cpu;
    const sp = (c.segBase[2] + c.r32[ESP] + (hasCode ? 8 : 4)) >>> 0;
    const phys = peekTranslate(c, sp);
    return phys === null ? 0 : this.mem.read16(phys);
  }

  set onEvent(f: ((e: HostEvent) => void) | null) {
    this.eventListener = f;
    if (this.lg) this.lg.onEvent = f;
  }

  /** Load a Guest and set up the Host for it (lguest's Launcher and LHREQ_INITIALIZE). Throws ImageError for a bad image. */
  boot(image: Uint8Array, name: string, cmdline = ''): void {
    // A Multiboot kernel expects ring 0 and a PC: at ring 1 its first privileged instruction would kill it.
    if (findMultibootHeader(image) !== undefined) throw new MultibootKernelError(name);
    this.image = image;
    this.imageName = name;
    this.cmdline = cmdline;
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
    const entry = launch(this.mem, this.guestBytes, this.image!, this.imageName, this.cmdline);
    this.world = new HostWorld(this.mem, this.guestBytes);
    this.world.enterHostState(c);
    c.intrLine = false;
    c.ackInterrupt = () => { c.intrLine = false; return HOST_TIMER_VECTOR; };
    const lg = new Lguest(this.mem, c, this.world, this.guestBytes, this.options);
    lg.onConsole = this.opts.output ?? (() => {});
    lg.onEvent = this.eventListener;
    lg.pageTables = new ShadowPageTables(lg);
    lg.pageTables.init();
    setupGuestGdt(lg);
    // lguest_arch_setup_regs: ring 1 on the flat kernel segments, interrupts on, ESI = boot_params.
    for (const r of REG_NAMES) lg.setReg(r, 0);
    lg.setReg('eip', entry);
    lg.setReg('cs', GUEST_KERNEL_CS);
    lg.setReg('ds', GUEST_KERNEL_DS);
    lg.setReg('es', GUEST_KERNEL_DS);
    lg.setReg('ss', GUEST_KERNEL_DS);
    lg.setReg('eflags', BOOT_EFLAGS);
    this.lg = lg;
    this.inGuest = false;
  }

  /** Ask a running `run` to return (the debugger's pause). */
  requestStop(): void {
    this.stopRequested = true;
    this.executor.requestStop();
  }

  /** Run until the Guest ends, a stop is asked for, or `maxInstructions` more instructions (virtual ns) have passed. */
  run(maxInstructions = Infinity): HostRunResult {
    return this.loop(maxInstructions, null);
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
    return this.loop(maxInstructions, { intoSwitcher });
  }

  /** Where the CPU runs the Guest itself (not the Switcher, not the Host). */
  get inGuestCode(): boolean {
    return this.inGuest && this.cpu.cpl !== 0;
  }

  private loop(maxInstructions: number, step: { intoSwitcher: boolean } | null): HostRunResult {
    if (this.image === null) throw new Error('no Guest: boot one first');
    const c = this.cpu;
    const end = c.instructions + maxInstructions;
    // Where the Guest is when the step starts: a step that only went through the Host and back (a fault
    // the Host fixed) has not moved it, and goes on.
    const startEip = this.inGuestCode ? c.eip >>> 0 : this.lg.reg('eip'), startCs = this.inGuestCode ? c.segSel[CS] : this.lg.reg('cs');
    for (;;) {
      const lg = this.lg;
      if (lg.dead !== null && !this.inGuest) {
        if (lg.dead.kind === 'killed' && this.stopHere({ kind: 'killed', reason: lg.dead.reason })) return { kind: 'stop', point: { kind: 'killed', reason: lg.dead.reason } };
        const r = this.ending(lg.dead);
        if (r !== null) return r;
        continue;
      }
      if (this.stopRequested) {
        this.stopRequested = false;
        return { kind: 'stopped' };
      }
      if (this.trapPending !== null) {
        const point = this.pendingTrapPoint();
        if (this.stopHere(point)) return { kind: 'stop', point };
        const { cr2 } = this.trapPending;
        this.trapPending = null;
        this.handleTrap(cr2);
        if (step?.intoSwitcher) return { kind: 'step' };
        continue;
      }
      if (lg.timerDeadline !== null && c.instructions >= lg.timerDeadline) this.timerFires();
      if (!this.inGuest) {
        if (this.hostStep(end)) return { kind: 'limit' };
        if (this.hostStop !== null) {
          const point = this.hostStop;
          this.hostStop = null;
          return { kind: 'stop', point };
        }
        if (step?.intoSwitcher && (this.inGuest || lg.dead !== null)) return { kind: 'step' };
        continue;
      }
      let budget = Math.min(end - c.instructions, step !== null ? 1 : SLICE);
      if (budget <= 0) return { kind: 'limit' };
      if (lg.timerDeadline !== null) budget = Math.min(budget, lg.timerDeadline - c.instructions);
      const fromGuest = c.cpl !== 0;
      const exit = this.executor.run(budget);
      if (this.backInHost) {
        this.backInHost = false;
        this.inGuest = false;
        this.afterRun();
        if (step?.intoSwitcher) return { kind: 'step' };
        continue;
      }
      switch (exit) {
        case Exit.STOPPED:
          if (this.directStop !== null) {
            const point = this.directStop;
            this.directStop = null;
            return { kind: 'stop', point };
          }
          this.stopRequested = false;
          return { kind: 'stopped' };
        case Exit.BREAKPOINT:
          return { kind: 'breakpoint' };
        case Exit.SHUTDOWN:
          // Only a broken Switcher or Host could get here: every Guest fault has somewhere to go.
          this.inGuest = false;
          lg.kill(`the CPU shut down: ${c.shutdownReason ?? 'triple fault'}`);
          c.shutdownReason = null;
          continue;
        case Exit.HALTED:
          this.inGuest = false;
          lg.kill(`the CPU halted at ${hexC(c.eip)} in the Host's context`);
          continue;
        case Exit.LIMIT:
          break;
      }
      // A step is one instruction; one that left the Guest ends when the Guest is back in charge somewhere new.
      if (step !== null && (step.intoSwitcher || (c.cpl !== 0 && (fromGuest || c.eip >>> 0 !== startEip || c.segSel[CS] !== startCs)))) return { kind: 'step' };
    }
  }

  /** Would try_deliver_interrupt put this IRQ into the Guest now (not just mark it pending)? */
  private willDeliver(irq: number): boolean {
    const lg = this.lg;
    if (!lg.halted && lg.dataRead('irq_enabled') === 0) return false;
    return (lg.idt[(FIRST_EXTERNAL_VECTOR + irq) * 2 + 1] & 0x8000) !== 0;
  }

  /** stopHere: a pending stop point the debugger wants, unless this run is going past it. */
  private stopHere(p: StopPoint): boolean {
    if (this.passing === p.kind) {
      this.passing = null;
      return false;
    }
    if (this.shouldStop === null || !this.shouldStop(p)) return false;
    this.passing = p.kind;
    return true;
  }

  /** The trap waiting for the Host, as a stop point. */
  private pendingTrapPoint(): StopPoint {
    const lg = this.lg;
    return {
      kind: 'trap', trap: lg.reg('trapnum'), errcode: lg.reg('errcode'), cr2: this.trapPending!.cr2, eip: lg.reg('eip'), cs: lg.reg('cs'),
      eax: lg.reg('eax'), direct: false,
    };
  }

  /** The hypercalls the Host is about to run (the ring's, then the one in the registers): the first the debugger wants. */
  private hypercallPoint(): StopPoint | null {
    const lg = this.lg, m = this.mem;
    const calls: StopPoint[] = [];
    if (lg.lguestData !== null) {
      const base = lg.lguestData;
      for (let i = 0, n = lg.nextHcall; i < LHCALL_RING_SIZE && m.read8(base + LGUEST_DATA.hcall_status + n) !== 0xff; i++, n = (n + 1) % LHCALL_RING_SIZE) {
        const at = base + LGUEST_DATA.hcalls + n * HCALL_ARGS_SIZE;
        const w = (k: number) => m.read32(at + k * 4) >>> 0;
        calls.push({ kind: 'hypercall', nr: w(0), args: [w(1), w(2), w(3), w(4)], async: true });
      }
    }
    calls.push({ kind: 'hypercall', nr: lg.reg('eax'), args: [lg.reg('ebx'), lg.reg('ecx'), lg.reg('edx'), lg.reg('esi')], async: false });
    return calls.find((p) => this.shouldStop!(p)) ?? null;
  }

  /** The Guest's timer is due: IRQ 0 is pending, and the Host's timer pulls the Host in if the Guest is running. */
  private timerFires(): void {
    this.lg.timerDeadline = null;
    setInterrupt(this.lg, 0);
    if (this.inGuest) this.cpu.intrLine = true;
  }

  /**
   * One turn of run_guest's loop in the Host. Returns true if the
   * instruction budget ran out while the Guest slept.
   */
  private hostStep(end: number): boolean {
    const lg = this.lg, c = this.cpu;
    if (lg.hcallPending) {
      const point = this.shouldStop !== null ? this.hypercallPoint() : null;
      if (point !== null && this.stopHere(point)) {
        this.hostStop = point;
        return false;
      }
      doHypercalls(lg);
    }
    if (lg.dead !== null) return false;
    const { irq, more } = interruptPending(lg);
    if (irq < LGUEST_IRQS) {
      // The debugger may stop at the delivery of a virtual interrupt, as at any other vector.
      if (this.shouldStop !== null && this.willDeliver(irq)) {
        const point: StopPoint = { kind: 'trap', trap: FIRST_EXTERNAL_VECTOR + irq, errcode: 0, cr2: c.cr2 >>> 0, eip: lg.reg('eip'), cs: lg.reg('cs'), eax: lg.reg('eax'), direct: false, irq };
        if (this.stopHere(point)) {
          this.hostStop = point;
          return false;
        }
      }
      tryDeliverInterrupt(lg, irq, more);
    }
    if (lg.dead !== null) return false;
    if (lg.halted) {
      if (interruptPending(lg).irq < LGUEST_IRQS) return false;
      if (lg.timerDeadline === null) {
        lg.dead = { kind: 'halted', reason: `the Guest halted at ${hexC(lg.reg('eip'))} with no timer set and no interrupt it accepts pending: nothing can wake it` };
        return false;
      }
      // Sleep: nothing happens until the timer, so skip to it at once.
      const wake = Math.min(lg.timerDeadline, end);
      lg.stats.idleNs += wake - c.instructions;
      c.instructions = Math.max(c.instructions, wake);
      return c.instructions >= end && lg.timerDeadline > end;
    }
    this.enterGuest();
    return false;
  }

  /** copy_in_guest_info: bring the real GDT, IDT, TSS and Switcher mapping up to date. */
  private copyInGuestInfo(): void {
    const lg = this.lg, m = this.mem, state = this.world.statePage - 0x1000;
    m.write32(state + PAGES_HOST_CR3, this.world.hostPgdir);
    lg.pageTables.mapSwitcherInGuest();
    m.write32(state + PAGES_GUEST_TSS + 12, lg.esp1);
    m.write32(state + PAGES_GUEST_TSS + 16, lg.ss1);
    if ((lg.changed & CHANGED_IDT) !== 0) copyTraps(lg);
    if ((lg.changed & CHANGED_GDT) !== 0) copyGdt(lg, false);
    else if ((lg.changed & CHANGED_GDT_TLS) !== 0) copyGdt(lg, true);
    lg.changed = 0;
  }

  /** run_guest_once: the CPU, in the Host, calls into the Switcher with the pages and the shadow CR3. */
  private enterGuest(): void {
    const lg = this.lg, c = this.cpu;
    this.copyInGuestInfo();
    lg.setReg('trapnum', IMPOSSIBLE_TRAP);
    // SYSENTER would land at ring 0: off while the Guest runs.
    c.msrSysenterCs = 0;
    if (lg.ts !== 0) c.cr0 |= CR0_TS;
    c.eip = this.world.image.runGuestOnce;
    c.r32[ESP] = this.world.hostStackTop;
    c.r32[EAX] = SWITCHER_PAGES;
    c.r32[EBX] = lg.pageTables.shadowCr3;
    lg.stats.entries++;
    this.inGuest = true;
  }

  /** Back from the Switcher: restore what enterGuest changed and handle the trap. */
  private afterRun(): void {
    const c = this.cpu;
    c.intrLine = false; // the Host is here now: its timer has nothing more to pull in
    c.msrSysenterCs = HOST_KERNEL_CS;
    c.cr0 &= ~CR0_TS;
    // The C code grabs CR2 at once, before anything can fault again.
    this.trapPending = { cr2: c.cr2 >>> 0 };
  }

  /** lguest_arch_handle_trap. */
  private handleTrap(cr2: number): void {
    const lg = this.lg;
    const trap = lg.reg('trapnum'), errcode = lg.reg('errcode'), eip = lg.reg('eip');
    lg.stats.exits[Math.min(trap, 256)]++;
    let action: TrapAction;
    const reflect = (): TrapAction => {
      if (deliverTrap(lg, trap)) return 'reflected';
      lg.kill(`unhandled trap ${trap} at ${hexC(eip)} (${hexC(trap === 14 ? cr2 : errcode)})`);
      return 'killed';
    };
    switch (trap) {
      case 13:
        action = errcode === 0 && emulateInsn(lg) ? 'emulated' : lg.dead !== null ? 'killed' : reflect();
        break;
      case 14:
        if (lg.pageTables.demandPage(cr2, errcode)) {
          lg.stats.pageFaultsFixed++;
          action = 'fixed';
        } else if (lg.dead !== null) {
          action = 'killed';
        } else {
          if (lg.lguestData !== null) lg.dataWrite('cr2', cr2);
          action = reflect();
          if (action === 'reflected') lg.stats.pageFaultsReflected++;
        }
        break;
      case LGUEST_TRAP_ENTRY:
        lg.hcallPending = true;
        action = 'hypercall';
        break;
      default:
        if (trap >= 32 && trap < 256 && !couldBeSyscall(trap)) action = 'host-interrupt';
        else action = reflect();
    }
    lg.emit({ kind: 'trap', trap, errcode, eip, cr2, action, time: this.cpu.instructions });
  }

  /** The Guest is dead: what the run returns, or null if it restarted. */
  private ending(d: Death): HostRunResult | null {
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

/** The image is a Multiboot kernel, for the bare machine, not an lguest Guest. */
export class MultibootKernelError extends ImageError {
  constructor(name: string) {
    super(`${name} is a Multiboot kernel, not an lguest Guest`);
  }
}

export { ImageError };
