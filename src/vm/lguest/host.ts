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
import type { TrapAction, HostEvent } from './events';
import {
  HOST_RETURN_PORT, SWITCHER_PAGES, PAGES_HOST_CR3, PAGES_GUEST_TSS, HOST_REGION_SIZE, GUEST_KERNEL_CS, GUEST_KERNEL_DS,
  BOOT_EFLAGS, IMPOSSIBLE_TRAP, LGUEST_TRAP_ENTRY, HOST_TIMER_VECTOR, HOST_KERNEL_CS, DEFAULT_EPOCH_SECONDS, REG_NAMES, LGUEST_IRQS,
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

/** Why a run ended. */
export type HostRunResult =
  | { kind: 'exit'; status: number }
  | { kind: 'poweroff'; message: string }
  | { kind: 'restart'; message: string }
  | { kind: 'killed'; reason: string }
  | { kind: 'halted'; reason: string }
  | { kind: 'limit' }
  | { kind: 'stopped' };

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
      }
    };
  }

  set onEvent(f: ((e: HostEvent) => void) | null) {
    this.eventListener = f;
    if (this.lg) this.lg.onEvent = f;
  }

  /** Load a Guest and set up the Host for it (lguest's Launcher and LHREQ_INITIALIZE). Throws ImageError for a bad image. */
  boot(image: Uint8Array, name: string, cmdline = ''): void {
    this.image = image;
    this.imageName = name;
    this.cmdline = cmdline;
    this.reset();
  }

  private reset(): void {
    const c = this.cpu;
    // A restart starts from nothing, as lguest's Launcher re-executing itself did.
    if (this.booted) this.mem.bytes.fill(0);
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
    if (this.image === null) throw new Error('no Guest: boot one first');
    const c = this.cpu;
    const end = c.instructions + maxInstructions;
    for (;;) {
      const lg = this.lg;
      if (lg.dead !== null && !this.inGuest) {
        const r = this.ending(lg.dead);
        if (r !== null) return r;
        continue;
      }
      if (this.stopRequested) {
        this.stopRequested = false;
        return { kind: 'stopped' };
      }
      if (lg.timerDeadline !== null && c.instructions >= lg.timerDeadline) this.timerFires();
      if (!this.inGuest) {
        if (this.hostStep(end)) return { kind: 'limit' };
        continue;
      }
      let budget = Math.min(end - c.instructions, SLICE);
      if (budget <= 0) return { kind: 'limit' };
      if (lg.timerDeadline !== null) budget = Math.min(budget, lg.timerDeadline - c.instructions);
      const exit = this.executor.run(budget);
      if (this.backInHost) {
        this.backInHost = false;
        this.inGuest = false;
        this.afterRun();
        continue;
      }
      switch (exit) {
        case Exit.STOPPED:
          this.stopRequested = false;
          return { kind: 'stopped' };
        case Exit.SHUTDOWN:
          // Only a broken Switcher or Host could get here: every Guest fault has somewhere to go.
          this.inGuest = false;
          lg.kill(`the CPU shut down: ${c.shutdownReason ?? 'triple fault'}`);
          c.shutdownReason = null;
          break;
        case Exit.HALTED:
          this.inGuest = false;
          lg.kill(`the CPU halted at ${hexC(c.eip)} in the Host's context`);
          break;
        case Exit.LIMIT:
          break;
      }
    }
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
    if (lg.hcallPending) doHypercalls(lg);
    if (lg.dead !== null) return false;
    const { irq, more } = interruptPending(lg);
    if (irq < LGUEST_IRQS) tryDeliverInterrupt(lg, irq, more);
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
    this.handleTrap(c.cr2 >>> 0);
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
        this.reset();
        return null;
      case 'poweroff': return { kind: 'poweroff', message: d.message };
      case 'killed': return { kind: 'killed', reason: d.reason };
      case 'exit': return { kind: 'exit', status: d.status };
      case 'halted': return { kind: 'halted', reason: d.reason };
    }
  }
}

export { ImageError };
