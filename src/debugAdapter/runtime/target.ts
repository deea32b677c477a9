/**
 * The machine being debugged, whichever it is: an lguest Guest under the
 * Host, or a bare Multiboot kernel. The session asks it to run, step and
 * stop, and reads and writes the Guest's registers and memory through it.
 *
 * "The Guest's registers" depends on where the machine stopped. In the
 * Guest's code (or the Switcher's), they are the CPU's. Stopped in the
 * Host's context (at a trap the Host is about to handle), the CPU is the
 * Host's, and the Guest's registers are those the Switcher saved in the
 * register page; CR2 is the faulting address and CR3 the shadow the Guest
 * ran on. Memory addresses are Guest-virtual, translated through the
 * Guest's own page tables without side effects; `phys:` addresses are
 * Guest-physical. The Host's memory can be read (the Switcher's pages are
 * mapped in every address space), but only the Guest's can be written.
 */
import { Host, HostRunResult, StopPoint } from '../../vm/lguest/host';
import { Machine } from '../../vm/machine';
import type { Initrd } from '../../vm/lguest/launcher';
import type { BlockBackend } from '../../vm/lguest/devices/block';
import { Cpu, CS, SS, DS, ES, FS, GS, SEG_NAMES } from '../../vm/cpu/state';
import type { FpuState } from '../../vm/cpu/fpu/state';
import { PhysicalMemory } from '../../vm/cpu/memory';
import { Executor, Exit } from '../../vm/cpu/executor';
import { getFlags } from '../../vm/cpu/flags';
import { peekTranslate } from '../../vm/cpu/paging';
import { guestWalk } from '../../vm/lguest/walk';
import { REGS, RegName, DEVICE_WINDOW } from '../../vm/lguest/layout';
import { formatValue } from '../expression';

/** How a run or a step ended, as the session needs to know it. */
export type Outcome =
  | { kind: 'running' }                       // the slice ran out: go on
  | { kind: 'breakpoint' }
  | { kind: 'stop'; point: StopPoint }
  | { kind: 'step' }
  | { kind: 'paused' }
  /** A watched address was written (the instruction that wrote it has completed). */
  | { kind: 'data'; address: number; size: number }
  | { kind: 'ended'; status: number; message: string }
  /** The Guest is halted and someone is at its console: wait in wall-clock time (Host.passIdleTime), then go on. */
  | { kind: 'idle'; until: number | null };

export const GPR_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
const SEGS = [ES, CS, SS, DS, FS, GS];

/** The machine to make; all but the first four are the Host's (see HostOptions), and the bare machine has none. */
export interface TargetOptions {
  mode: 'lguest' | 'bare';
  memoryMiB: number;
  directTraps: boolean;
  output: (byte: number) => void;
  /** Virtio block devices, /dev/vda first; their owner closes them. */
  block?: BlockBackend[];
  rng?: boolean;
  seed?: number;
  epochSeconds?: number;
  noRestart?: boolean;
}

export class Target {
  readonly host: Host | null;
  readonly machine: Machine | null;
  readonly cpu: Cpu;
  readonly mem: PhysicalMemory;
  readonly executor: Executor;

  constructor(readonly opts: TargetOptions) {
    if (opts.mode === 'lguest') {
      const { memoryMiB, output, directTraps, block, rng, seed, epochSeconds, noRestart } = opts;
      this.host = new Host({ memoryMiB, output, directTraps, block, rng, seed, epochSeconds, noRestart });
      this.machine = null;
      this.cpu = this.host.cpu;
      this.mem = this.host.mem;
      this.executor = this.host.executor;
    } else {
      this.machine = new Machine({ memoryMiB: opts.memoryMiB, output: opts.output });
      this.host = null;
      this.cpu = this.machine.cpu;
      this.mem = this.machine.mem;
      this.executor = this.machine.executor;
    }
  }

  /** Data breakpoints: Guest-virtual ranges, watched at the physical memory they map to when set. */
  private watches: { addr: number; phys: number; size: number }[] = [];
  private watchHit: { address: number; size: number } | null = null;

  /** Watch these ranges for writes; returns, for each, whether it is mapped (and so watched). */
  setWatches(ranges: { addr: number; size: number }[]): boolean[] {
    this.watches = [];
    const ok = ranges.map((r) => {
      const phys = this.translate(r.addr);
      if (phys === null) return false;
      this.watches.push({ addr: r.addr >>> 0, phys, size: r.size });
      return true;
    });
    this.mem.watch(this.watches.map((w) => ({ addr: w.phys, size: w.size })));
    this.mem.onWatchedWrite = (a, size) => {
      const w = this.watches.find((x) => a < x.phys + x.size && x.phys < a + size);
      if (w && this.watchHit === null) {
        this.watchHit = { address: (w.addr + Math.max(0, a - w.phys)) >>> 0, size: w.size };
        this.executor.requestStop();
      }
    };
    return ok;
  }

  /** A pause that was a watched write is a data breakpoint. */
  private watched(o: Outcome): Outcome {
    if (o.kind !== 'paused' || this.watchHit === null) return o;
    const hit = this.watchHit;
    this.watchHit = null;
    return { kind: 'data', address: hit.address, size: hit.size };
  }

  /** Load the image (throws ImageError). */
  boot(image: Uint8Array, name: string, cmdline: string, initrd?: Initrd): void {
    if (this.host) this.host.boot(image, name, cmdline, initrd);
    else this.machine!.bootMultiboot(image, name, cmdline);
  }

  /** Stopped in the Host's context: the Guest's registers are the saved ones. */
  get inHostContext(): boolean {
    return this.host !== null && !this.host.inGuest;
  }

  /** Run up to `budget` instructions. */
  run(budget: number): Outcome {
    return this.watched(this.runOnce(budget));
  }

  private runOnce(budget: number): Outcome {
    if (this.host) return this.fromHost(this.host.run(budget));
    const r = this.machine!.run(budget);
    switch (r.kind) {
      case 'limit': return { kind: 'running' };
      case 'stopped': return { kind: 'paused' };
      case 'breakpoint': return { kind: 'breakpoint' };
      case 'exit': return { kind: 'ended', status: r.status, message: `the guest exited with status ${r.status}` };
      case 'fault': return { kind: 'ended', status: 2, message: `guest stopped: ${r.reason}` };
    }
  }

  /** One instruction (see Host.stepInstruction for what one is under the Host). */
  step(intoSwitcher: boolean): Outcome {
    if (this.host) return this.watched(this.fromHost(this.host.stepInstruction(intoSwitcher)));
    const exit = this.executor.run(1);
    if (exit === Exit.STOPPED && this.watchHit !== null) return this.watched({ kind: 'paused' });
    if (exit === Exit.SHUTDOWN) {
      return { kind: 'ended', status: 2, message: `guest stopped: ${this.cpu.shutdownReason ?? 'shutdown'}` };
    }
    return { kind: 'step' };
  }

  private fromHost(r: HostRunResult): Outcome {
    switch (r.kind) {
      case 'limit': return { kind: 'running' };
      case 'stopped': return { kind: 'paused' };
      case 'breakpoint': return { kind: 'breakpoint' };
      case 'stop': return { kind: 'stop', point: r.point };
      case 'step': return { kind: 'step' };
      case 'exit': return { kind: 'ended', status: r.status, message: `the Guest exited with status ${r.status}` };
      case 'poweroff':
        return {
          kind: 'ended', status: 0,
          message: r.message === '' ? 'the Guest powered off' : `the Guest powered off: ${r.message}`,
        };
      case 'restart': return { kind: 'ended', status: 0, message: `the Guest asked to restart: ${r.message}` };
      case 'killed': return { kind: 'ended', status: 2, message: `guest killed: ${r.reason}` };
      case 'halted': return { kind: 'ended', status: 2, message: `guest stopped: ${r.reason}` };
      case 'idle': return { kind: 'idle', until: r.until };
    }
  }

  requestStop(): void {
    if (this.host) this.host.requestStop();
    else this.machine!.requestStop();
  }

  // ---- Registers ---------------------------------------------------------------------

  /** A register of the Guest by lower-case name, or undefined. */
  reg(name: string): number | undefined {
    const c = this.cpu;
    // The Guest's own CR3 (the page directory it loaded with NEW_PGTABLE): what names a process, where
    // cr3 is the shadow the Host happens to run it on.
    if (name === 'gcr3' && this.host) {
      const pt = this.host.lg.pageTables;
      return pt.linearPages ? 0 : pt.pgdirs[pt.cpuPgd].gpgdir >>> 0;
    }
    if (this.inHostContext) {
      const lg = this.host!.lg;
      if (name in REGS && name !== 'trapnum' && name !== 'errcode') return lg.reg(name as RegName);
      if (name === 'cr2') return c.cr2 >>> 0;
      if (name === 'cr3') return lg.pageTables.shadowCr3;
    }
    const g = (GPR_NAMES as readonly string[]).indexOf(name);
    if (g >= 0) return c.r32[g] >>> 0;
    const s = (SEG_NAMES as readonly string[]).indexOf(name);
    if (s >= 0) return c.segSel[SEGS[s]];
    switch (name) {
      case 'eip': return c.eip >>> 0;
      case 'eflags': return getFlags(c) >>> 0;
      case 'cr0': return c.cr0 >>> 0;
      case 'cr2': return c.cr2 >>> 0;
      case 'cr3': return c.cr3 >>> 0;
      case 'cr4': return c.cr4 >>> 0;
    }
    // 16- and 8-bit parts of the general registers.
    const sub16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'].indexOf(name);
    if (sub16 >= 0) return (this.reg(GPR_NAMES[sub16])! & 0xffff) >>> 0;
    const sub8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'].indexOf(name);
    if (sub8 >= 0) return (this.reg(GPR_NAMES[sub8 & 3])! >>> (sub8 >= 4 ? 8 : 0)) & 0xff;
    return undefined;
  }

  /** Change a general register, EIP or EFLAGS; false for a register that cannot be set this way. */
  setReg(name: string, value: number): boolean {
    const c = this.cpu;
    value >>>= 0;
    if (this.inHostContext) {
      if (!['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip', 'eflags'].includes(name)) return false;
      this.host!.lg.setReg(name as RegName, value);
      return true;
    }
    const g = (GPR_NAMES as readonly string[]).indexOf(name);
    if (g >= 0) { c.r32[g] = value; return true; }
    if (name === 'eip') { c.eip = value | 0; this.executor.flush(); return true; }
    if (name === 'eflags') {
      // Only the flags an instruction could change; IF, IOPL and VM stay as the machine has them.
      const keep = 0x3000 | 0x200 | 0x20000 | 0x2;
      c.flagsRaw = ((getFlags(c) & keep) | (value & ~keep & 0x3f7fd5)) | 0x2;
      c.lazyMask = 0;
      return true;
    }
    return false;
  }

  /**
   * The Guest's x87, wherever it stopped: the CPU's own, since neither the Host's TypeScript nor the Switcher's
   * code touches the x87, so in the Host's context it still holds the Guest's state.
   */
  get fpu(): FpuState {
    return this.cpu.fpu;
  }

  /** The Guest's EIP and CS wherever it stopped. */
  get guestEip(): number {
    return this.reg('eip')!;
  }

  // ---- Memory ----------------------------------------------------------------------------

  /** Guest-virtual to Guest-physical, without side effects; null where nothing is mapped. */
  translate(vaddr: number): number | null {
    vaddr >>>= 0;
    if (this.host) {
      const lg = this.host.lg;
      // Addresses of the Switcher's pages and the Host's: through the CPU's current tables.
      if (
        vaddr >= 0xffc00000
        || (this.host.inGuest && this.cpu.cpl === 0 && vaddr >= 0xc0000000
          && this.cpu.cr3 === this.host.world.hostPgdir)
      ) {
        const p = peekTranslate(this.cpu, vaddr);
        return p < 0 ? null : p;
      }
      return guestWalk(lg, vaddr).phys;
    }
    const p = peekTranslate(this.cpu, vaddr);
    return p < 0 ? null : p;
  }

  /** Parse a memory reference: a hex address (Guest-virtual) or `phys:0x...`. */
  static parseReference(ref: string): { address: number; physical: boolean } | null {
    const m = /^\s*(phys:)?(0x[0-9a-f]+|\d+)\s*$/i.exec(ref);
    if (!m) return null;
    const address = Number(m[2]);
    if (!Number.isFinite(address) || address > 0xffffffff) return null;
    return { address, physical: m[1] !== undefined };
  }

  /** Read `count` bytes; unmapped bytes are null. */
  read(address: number, count: number, physical: boolean): (number | null)[] {
    const out: (number | null)[] = [];
    let pageBase = -1, pagePhys: number | null = null;
    for (let i = 0; i < count; i++) {
      const a = (address + i) >>> 0;
      let p: number | null;
      if (physical) p = a;
      else {
        if ((a & ~0xfff) !== pageBase) { pageBase = a & ~0xfff; pagePhys = this.translate(pageBase); }
        p = pagePhys === null ? null : pagePhys + (a & 0xfff);
      }
      out.push(p === null ? null : this.readPhysical(p));
    }
    return out;
  }

  /**
   * A physical byte. Under the Host, the devices' window lies above the Guest's memory (MMIO): registers read as
   * they are, without the side effects a Guest's read has (ISR is not cleared), and where no register is, as null.
   * The Host's own region comes after the window.
   */
  private readPhysical(p: number): number | null {
    if (this.host !== null && p >= this.host.guestBytes && p < this.host.guestBytes + DEVICE_WINDOW) {
      return this.host.devices.peek(p);
    }
    return p < this.mem.size ? this.mem.read8(p) : null;
  }

  read32(address: number): number | undefined {
    const b = this.read(address, 4, false);
    if (b.some((x) => x === null)) return undefined;
    return ((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0);
  }

  /**
   * The Guest's memory, from physical 0: all of the bare machine's; under the Host, what lies above it is the
   * Host's.
   */
  get guestMemoryBytes(): number {
    return this.host ? this.host.guestBytes : this.mem.size;
  }

  /**
   * Write bytes to the Guest's memory: all of them, or with `partial` those
   * before the first that cannot be written. Returns how many were written and,
   * if not all, why. The Host's memory (the Switcher's pages, its tables) can be
   * read but not written: a write there kills the machine in a way that is
   * none of lguest's.
   */
  write(
    address: number, data: Uint8Array, physical: boolean, partial: boolean,
  ): { written: number; refused: string | null } {
    const targets: number[] = [];
    let refused: string | null = null;
    let pageBase = -1, pagePhys: number | null = null;
    for (let i = 0; i < data.length && refused === null; i++) {
      const a = (address + i) >>> 0;
      if (!physical && (a & ~0xfff) !== pageBase) { pageBase = a & ~0xfff; pagePhys = this.translate(pageBase); }
      const p = physical ? a : pagePhys === null ? null : pagePhys + (a & 0xfff);
      if (p === null) refused = `nothing is mapped at ${formatValue(a)}`;
      else if (p >= this.guestMemoryBytes) {
        const where = physical ? `phys:${formatValue(p)} is` : `${formatValue(a)} maps to ${formatValue(p)},`;
        const whose = this.host !== null && p < this.host.guestBytes + DEVICE_WINDOW
          ? "in the devices' window (their registers are changed by the Guest's driver, not by the debugger)"
          : "the Host's memory";
        refused = `${where} ${whose}, not the Guest's (which ends at ${formatValue(this.guestMemoryBytes)}): `
          + 'the debugger writes only to Guest memory';
      } else targets.push(p);
    }
    if (refused !== null && !partial) return { written: 0, refused };
    targets.forEach((p, i) => this.mem.write8(p, data[i]));
    return { written: targets.length, refused };
  }
}

export { CS, SS };
