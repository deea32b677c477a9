/**
 * What the Host tells the world: an event for everything it does about the
 * Guest (for --trace and the debugger), and counters of them (--stats).
 * Observing never changes what happens.
 */

/** What the Host did about a trap that came out of the Guest. */
export type TrapAction =
  | 'fixed'          // a page fault demand_page fixed in the shadow page tables, or an #NM from a TS that was not
                     // the Guest's, cleared: the Guest never knows
  | 'emulated'       // a #GP from IN, OUT or CLI, done for the Guest
  | 'reflected'      // handed to the Guest's own handler
  | 'hypercall'      // int $0x1f: the run loop executes the call
  | 'host-interrupt' // an interrupt for the Host (its timer): nothing for the Guest
  | 'killed';        // the Guest could not take it

export type PageTableOp = 'demand' | 'set_pte' | 'set_pgd' | 'flush_user' | 'flush_all' | 'new_pgtable' | 'pin';

export type HostEvent =
  | { kind: 'trap'; trap: number; errcode: number; eip: number; cr2: number; action: TrapAction; time: number }
  | { kind: 'direct'; vector: number; eip: number; time: number }
  | { kind: 'hypercall'; nr: number; args: [number, number, number, number]; async: boolean; time: number }
  | { kind: 'interrupt'; irq: number; eip: number; time: number }
  | { kind: 'pagetable'; op: PageTableOp; vaddr: number; detail: string; time: number }
  | { kind: 'killed'; reason: string }
  /** SHUTDOWN asked for a restart: the Host starts the Guest again from its image. */
  | { kind: 'restart'; message: string; time: number }
  /** Console input went into the Guest's receive queue: what a recording keeps, to replay it at the same time. */
  | { kind: 'input'; bytes: Uint8Array; time: number };

export class HostStats {
  /** Exits to the Host, by trap number (256: the impossible one). */
  readonly exits = new Float64Array(257);
  /** Hypercalls, by number (synchronous and from the ring). */
  readonly hypercalls = new Map<number, number>();
  /** Page faults demand_page fixed, and those it handed to the Guest. */
  pageFaultsFixed = 0;
  pageFaultsReflected = 0;
  /** Traps the CPU delivered straight to the Guest, by vector. */
  readonly direct = new Float64Array(256);
  /** Virtual interrupts delivered, by IRQ. */
  readonly interrupts = new Float64Array(32);
  emulated = 0;
  /** Of those: the Launcher's port accesses (PCI, the keyboard status) and device register MOVs (MMIO). */
  portIo = 0;
  mmio = 0;
  entries = 0;
  /** Virtual time skipped while the Guest was halted (or, with paced idle, waited for in wall-clock time). */
  idleNs = 0;
  /** Console input bytes delivered into the Guest. */
  inputBytes = 0;

  countHypercall(nr: number): void {
    this.hypercalls.set(nr, (this.hypercalls.get(nr) ?? 0) + 1);
  }
}
