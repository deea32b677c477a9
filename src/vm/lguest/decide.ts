/**
 * What the Host will do, decided before anything is done.
 *
 * lguest_arch_handle_trap looks at a trap and either fixes it (demand_page,
 * or clearing a CR0.TS that was not the Guest's), emulates the instruction,
 * hands it to the Guest, runs a hypercall, ignores it (an interrupt for the
 * Host) or kills the Guest. Here that choice is made by functions that only
 * read: each returns a plan with everything needed to carry it out, and the
 * Host carries out exactly the plan. The debugger asks the same functions
 * what the Host is about to do, so the two cannot disagree.
 */
import type { Lguest } from './lguest';
import { hexC } from './lguest';
import { guestWalk } from './walk';
import { planMmio } from './mmio';
import { LauncherDevices } from './devices/launcherDevices';
import { maskOf } from './devices/pci';
import {
  SWITCHER_ADDR, GUEST_PL, X86_EFLAGS_IF, LGUEST_TRAP_ENTRY, FIRST_EXTERNAL_VECTOR, SYSCALL_VECTOR,
  CONSOLE_PORT, EXIT_PORT, hasErrorCode, _PAGE_TABLE, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY,
  _PAGE_PSE, _PAGE_GLOBAL,
} from './layout';

const FLAGS = 0xfff;
const TF = 0x100, NT = 0x4000, RF = 0x10000, VM = 0x20000;

type Kill = { kind: 'kill'; reason: string };
const kill = (reason: string): Kill => ({ kind: 'kill', reason });

// ---- The Guest's page table entries, checked -----------------------------------------------

/** check_gpgd: a directory entry may only have P, RW, US, A, D, and a frame of the Guest's. */
export function badGpgd(lg: Lguest, gpgd: number): boolean {
  return (gpgd & FLAGS & ~_PAGE_TABLE) !== 0 || gpgd >>> 12 >= lg.pfnLimit;
}

/** check_gpte: no large pages, and a frame of the Guest's. */
export function badGpte(lg: Lguest, gpte: number): boolean {
  return (gpte & _PAGE_PSE) !== 0 || gpte >>> 12 >= lg.pfnLimit;
}

/** gpte_in_iomem: the entry maps a frame of the devices' registers (MMIO), between memory and device_limit. */
export function gpteInIomem(lg: Lguest, gpte: number): boolean {
  return lg.devices.inIomem((gpte & ~FLAGS) >>> 0);
}

/** gpte_to_spte: the Guest's entry with our frame (the same number) and without G. */
export function gpteToSpte(gpte: number): number {
  return ((gpte & ~FLAGS) | (gpte & FLAGS & ~_PAGE_GLOBAL)) >>> 0;
}

/** could_be_syscall: the system-call vector (lguest also allowed one more, chosen when the module loaded). */
export function couldBeSyscall(n: number): boolean {
  return n === SYSCALL_VECTOR;
}

// ---- demand_page ------------------------------------------------------------------------------

/** The Guest's entry allows the access: it goes into the shadow. */
export interface PageFix {
  kind: 'fix';
  vaddr: number;
  /** The access was a write (else a read or a fetch). */
  write: boolean;
  /** Where the Guest's entry is, to set its accessed (and dirty) bits; null in boot mode, which has none. */
  gpteAddr: number | null;
  /** The Guest's entry as it will be: accessed, and dirty for a write. */
  gpte: number;
  /** The flags of the shadow page table, if one must be made for it. */
  pgdFlags: number;
  /** The shadow entry. */
  spte: number;
  /** Read-only until dirty: a read maps a clean page read-only, so the first write comes back to mark it dirty. */
  writable: boolean;
}

/** The fault is the Guest's own: its entry does not allow the access. */
export interface PageFaultForGuest {
  kind: 'guest';
  why: string;
}

/** The entry maps a device's registers: the access is done by the Host (mmio.ts), never through the shadow. */
export interface PageFaultMmio {
  kind: 'mmio';
  /** The Guest-physical address touched. */
  phys: number;
}

export type PageFaultPlan = PageFix | PageFaultForGuest | PageFaultMmio | Kill;

// ---- #NM ------------------------------------------------------------------------------------

/**
 * An #NM the Guest did not ask for: CR0.TS was the Host's, not the Guest's
 * (lguest's Host set it for its own lazy FPU switching, and on this trap
 * restored its FPU and went on without telling the Guest). The Host clears
 * TS and resumes the Guest at the same instruction, which then runs.
 */
export interface TsFix {
  kind: 'clts';
}

/**
 * What the Host does with #NM: the Guest's only while its last TS hypercall
 * asked for CR0.TS (lg.ts, older ABIs; Linux 4.10 never asks), which is the
 * only time the Guest runs with TS set; otherwise the TS was not the Guest's
 * and the Host takes it away (lguest 2.6.23 to 3.x: "if (!lg->ts) return").
 * null: reflect it.
 */
export function planDeviceNotAvailable(lg: Lguest): TsFix | null {
  return lg.ts !== 0 ? null : { kind: 'clts' };
}

/**
 * demand_page: may the shadow copy the Guest's mapping of `vaddr` for an
 * access with error code `errcode` (bit 1 write, bit 2 user)? The checks in
 * lguest's order: a bad table read or a bad entry kills, wherever it is met.
 */
export function planDemandPage(lg: Lguest, vaddr: number, errcode: number): PageFaultPlan {
  vaddr >>>= 0;
  if (vaddr >= SWITCHER_ADDR) return { kind: 'guest', why: "the Switcher's pages are never the Guest's" };
  let gpgd: number, gpte: number, gpteAddr: number | null = null;
  const walk = guestWalk(lg, vaddr);
  if (walk.linear) {
    // Boot mode: every address is mapped to itself, writable.
    gpgd = _PAGE_TABLE;
    gpte = ((vaddr & ~FLAGS) | _PAGE_RW | _PAGE_PRESENT) >>> 0;
  } else {
    if (walk.pde === null) return kill(`bad read address ${hexC(walk.badRead!)} len 4`);
    gpgd = walk.pde.value;
    if ((gpgd & _PAGE_PRESENT) === 0) return { kind: 'guest', why: 'its page directory entry is not present' };
    if (badGpgd(lg, gpgd)) return kill('bad page directory entry');
    if (walk.pte === null) return kill(`bad read address ${hexC(walk.badRead!)} len 4`);
    gpte = walk.pte.value;
    gpteAddr = walk.pte.addr;
  }
  if ((gpte & _PAGE_PRESENT) === 0) return { kind: 'guest', why: 'its page table entry is not present' };
  if ((errcode & 2) !== 0 && (gpte & _PAGE_RW) === 0) return { kind: 'guest', why: 'its entry is read-only and this is a write' };
  if ((errcode & 4) !== 0 && (gpte & _PAGE_USER) === 0) return { kind: 'guest', why: 'its entry is the kernel\'s and this is ring 3' };
  // The CPU walks the shadow's directory entry too, made with the Guest's directory flags: were the
  // Guest's directory entry to forbid the access, a shadow entry would never let it through, and the
  // Host would "fix" the same fault for ever. lguest checked the page table entry only (Linux never makes
  // such directory entries); a real CPU checks both, and so do we: the fault is the Guest's.
  if ((errcode & 2) !== 0 && (gpgd & _PAGE_RW) === 0) return { kind: 'guest', why: 'its directory entry is read-only and this is a write' };
  if ((errcode & 4) !== 0 && (gpgd & _PAGE_USER) === 0) return { kind: 'guest', why: 'its directory entry is the kernel\'s and this is ring 3' };
  // Device registers are never mapped: every access to them faults, and the Host does it.
  if (gpteInIomem(lg, gpte)) return { kind: 'mmio', phys: ((gpte & ~FLAGS) | (vaddr & FLAGS)) >>> 0 };
  if (badGpte(lg, gpte)) return kill('bad page table entry');
  gpte |= _PAGE_ACCESSED;
  if ((errcode & 2) !== 0) gpte |= _PAGE_DIRTY;
  gpte >>>= 0;
  const spde = lg.mem.read32(lg.pageTables.shadowCr3 + (vaddr >>> 22) * 4);
  if ((spde & _PAGE_PRESENT) === 0 && lg.world.pool.available === 0) return kill('out of memory allocating pte page');
  const writable = (gpte & _PAGE_DIRTY) !== 0;
  return {
    kind: 'fix', vaddr, write: (errcode & 2) !== 0, gpteAddr, gpte, pgdFlags: gpgd,
    spte: gpteToSpte(writable ? gpte : gpte & ~_PAGE_RW), writable,
  };
}

// ---- Reflecting a trap or an interrupt ----------------------------------------------------------

/** The frame the CPU would push, where it would push it, and the registers after it. */
export interface FramePush {
  kind: 'push';
  /** Guest-physical address of the frame's lowest word (the words go upwards from there). */
  at: number;
  /** The frame, lowest address first: [errcode,] EIP, CS, EFLAGS[, ESP, SS]. */
  words: number[];
  ss: number;
  esp: number;
}

/**
 * push_guest_interrupt_stack: from ring 3, on the kernel stack SET_STACK
 * gave (with the old SS and ESP); from ring 1, on the current one. The
 * stack's address is translated once, at its top: the frame may not
 * straddle two pages that are apart in Guest memory.
 */
export function planFramePush(lg: Lguest, hasErr: boolean): FramePush | Kill {
  const fromUser = (lg.reg('ss') & 3) !== GUEST_PL;
  const virtstack = fromUser ? lg.esp1 : lg.reg('esp');
  const ss = fromUser ? lg.ss1 : lg.reg('ss');
  const top = guestPa(lg, virtstack);
  if (top.kind === 'kill') return top;
  // The real IF is always on while the Guest runs; the frame shows the Guest's own.
  let eflags = lg.reg('eflags');
  if ((lg.dataRead('irq_enabled') & X86_EFLAGS_IF) === 0) eflags &= ~X86_EFLAGS_IF;
  // Lowest address first (the order of the stack after the pushes).
  const words: number[] = [];
  if (hasErr) words.push(lg.reg('errcode'));
  words.push(lg.reg('eip'), lg.reg('cs'), eflags);
  if (fromUser) words.push(lg.reg('esp'), lg.reg('ss'));
  const bytes = 4 * words.length;
  // Every word is Guest memory; the first bad one, going down from `top`, is the one reported.
  for (let k = 1; k <= words.length; k++) {
    const word = (top.pa - 4 * k) >>> 0;
    if (!lg.addressOk(word, 4)) return kill(`bad write address ${hexC(word)} len 4`);
  }
  return { kind: 'push', at: (top.pa - bytes) >>> 0, words, ss, esp: (virtstack - bytes) >>> 0 };
}

/** A gate of the Guest's IDT: where the handler is, and whether it turns the Guest's interrupts off. */
export interface GuestGate {
  handler: number;
  interruptGate: boolean;
}

export function guestGate(lg: Lguest, vector: number): GuestGate | null {
  if (vector >= 256) return null;
  const lo = lg.idt[vector * 2], hi = lg.idt[vector * 2 + 1];
  if ((hi & 0x8000) === 0) return null;
  return { handler: ((lo & 0xffff) | (hi & 0xffff0000)) >>> 0, interruptGate: ((hi >>> 8) & 0xf) === 0xe };
}

/** Into the Guest's handler: a frame on its stack, then its handler at ring 1. */
export interface Reflection {
  kind: 'reflect';
  gate: GuestGate;
  /** The frame to push; null at noirq_iret, where the interrupt reuses the frame the iret was about to pop. */
  frame: FramePush | null;
  /** EFLAGS as the handler starts (TF, VM, RF and NT off). */
  eflags: number;
}

/** deliver_trap: how trap `vector` would reach the Guest's handler; null if it has none. */
export function planReflection(lg: Lguest, vector: number): Reflection | Kill | null {
  const gate = guestGate(lg, vector);
  if (gate === null) return null;
  const frame = planFramePush(lg, hasErrorCode(vector));
  if (frame.kind === 'kill') return frame;
  return { kind: 'reflect', gate, frame, eflags: handlerEflags(lg.reg('eflags')) };
}

/**
 * The delivery of virtual interrupt `irq` to a Guest that takes it. At the
 * Guest's one iret that must not be interrupted (noirq_iret) there is a frame
 * on its stack already: the handler gets that one, with its EFLAGS.
 */
export function planInterrupt(lg: Lguest, irq: number): Reflection | Kill | null {
  const gate = guestGate(lg, FIRST_EXTERNAL_VECTOR + irq);
  if (gate === null) return null;
  if (lg.reg('eip') === lg.noirqIret >>> 0) {
    const at = guestPa(lg, (lg.reg('esp') + 8) >>> 0);
    if (at.kind === 'kill') return at;
    if (!lg.addressOk(at.pa, 4)) return kill(`bad read address ${hexC(at.pa)} len 4`);
    return { kind: 'reflect', gate, frame: null, eflags: handlerEflags(lg.mem.read32(at.pa) >>> 0) };
  }
  const frame = planFramePush(lg, false);
  if (frame.kind === 'kill') return frame;
  return { kind: 'reflect', gate, frame, eflags: handlerEflags(lg.reg('eflags')) };
}

function handlerEflags(eflags: number): number {
  return (eflags & ~(TF | VM | RF | NT)) >>> 0;
}

/** guest_pa: the Guest-physical address of a Guest-virtual one; unmapped kills ("Bad address"). */
export function guestPa(lg: Lguest, vaddr: number): { kind: 'pa'; pa: number } | Kill {
  const w = guestWalk(lg, vaddr);
  // In boot mode every address is taken as physical, memory or not: using it is what finds out.
  if (w.linear) return { kind: 'pa', pa: vaddr >>> 0 };
  if (w.badRead !== null) return kill(`bad read address ${hexC(w.badRead)} len 4`);
  if (w.phys === null) return kill(`Bad address ${hexC(vaddr)}`);
  return { kind: 'pa', pa: w.phys };
}

// ---- emulate_insn ---------------------------------------------------------------------------

/**
 * An access to a device, done when the plan is carried out (reading a device
 * register can change it: ISR clears when read). `reg` is the ModRM register
 * an MMIO load goes to; a port IN goes to EAX.
 */
export type IoAccess =
  | { kind: 'port-in'; port: number; size: 1 | 2 | 4 }
  | { kind: 'port-out'; port: number; size: 1 | 2 | 4; value: number }
  | { kind: 'mmio-read'; phys: number; size: 1 | 2 | 4; reg: number }
  | { kind: 'mmio-write'; phys: number; size: 1 | 2 | 4; value: number };

/** IN, OUT or CLI of the Guest kernel, or a MOV to a device register, done for it (emulate.ts). */
export interface Emulation {
  kind: 'emulate';
  /**
   * What it is, as the debugger says it: worked out only when asked (a Linux boot emulates 140,000
   * instructions, and nobody reads about them unless the debugger stops there).
   */
  describe: () => string;
  /** EIP after it. */
  eip: number;
  /** A device access, done when the plan is carried out. */
  io?: IoAccess;
  /** EAX after an IN; the byte the console prints; the run's exit status for the exit port. */
  eax?: number;
  consoleByte?: number;
  exitStatus?: number;
}

/**
 * emulate_insn: is the instruction at the Guest's EIP one the Host does for
 * it (IN, OUT or CLI at ring 1)? null if the #GP is the Guest's own.
 */
export function planEmulation(lg: Lguest): Emulation | Kill | null {
  if ((lg.reg('cs') & 3) !== GUEST_PL) return null;
  const eip = lg.reg('eip');
  const at = guestPa(lg, eip);
  if (at.kind === 'kill') return at;
  const byte = (k: number): number | Kill => (
    lg.addressOk(at.pa + k, 1) ? lg.mem.read8(at.pa + k) : kill(`bad read address ${hexC(at.pa + k)} len 1`)
  );
  let insn = byte(0);
  if (typeof insn !== 'number') return insn;
  if (insn === 0xfa) {
    return {
      kind: 'emulate', describe: () => 'cli (the Guest\'s interrupt flag is lguest_data.irq_enabled)', eip: (eip + 1) >>> 0,
    };
  }
  let len = 0, small = false;
  if (insn === 0x66) {
    small = true;
    len = 1;
    insn = byte(1);
    if (typeof insn !== 'number') return insn;
  }
  const immediate = (insn & 0xfe) === 0xe4 || (insn & 0xfe) === 0xe6;
  if (!immediate && (insn & 0xfe) !== 0xec && (insn & 0xfe) !== 0xee) return null;
  let port: number;
  if (immediate) {
    const imm = byte(len + 1);
    if (typeof imm !== 'number') return imm;
    port = imm;
    len += 2;
  } else {
    port = lg.reg('edx') & 0xffff;
    len += 1;
  }
  const isIn = (insn & 0xfe) === 0xe4 || (insn & 0xfe) === 0xec;
  const size = (insn & 1) === 0 ? 1 : small ? 2 : 4;
  const next = (eip + len) >>> 0;
  const eax = lg.reg('eax');
  if (isIn) {
    if (LauncherDevices.handles(port)) {
      return { kind: 'emulate', describe: () => `in from port ${hexC(port)} (${size} bytes)${portName(port)}`, eip: next, io: { kind: 'port-in', port, size } };
    }
    // Nothing else answers but the console port, which reads as its own number (as QEMU's and Bochs's do).
    const v = port === CONSOLE_PORT ? CONSOLE_PORT : 0xffffffff;
    const mask = maskOf(size);
    return {
      kind: 'emulate', describe: () => `in from port ${hexC(port)} (${size} bytes)`, eip: next, eax: ((eax & ~mask) | (v & mask)) >>> 0,
    };
  }
  if (LauncherDevices.handles(port)) {
    // The Launcher refused some PCI writes (a read-only register, no device there): that is the Guest's #GP.
    if (!lg.devices.portOutAccepted(port, size)) return null;
    const value = size === 1 ? eax & 0xff : size === 2 ? eax & 0xffff : eax >>> 0;
    return {
      kind: 'emulate', describe: () => `out to port ${hexC(port)}: ${hexC(value)} (${size} bytes)${portName(port)}`, eip: next,
      io: { kind: 'port-out', port, size, value },
    };
  }
  if (port === CONSOLE_PORT) {
    return {
      kind: 'emulate', describe: () => `out to port ${hexC(port)}: the console prints ${hexC(eax & 0xff)}`, eip: next,
      consoleByte: eax & 0xff,
    };
  }
  if (port === EXIT_PORT) {
    const v = size === 1 ? eax & 0xff : size === 2 ? eax & 0xffff : eax >>> 0;
    const status = ((v << 1) | 1) >>> 0;
    return {
      kind: 'emulate', describe: () => `out to port ${hexC(port)}: the run ends with status ${status}`, eip: next, exitStatus: status,
    };
  }
  return { kind: 'emulate', describe: () => `out to port ${hexC(port)} (nothing there)`, eip: next };
}

/** What the debugger calls a port the Launcher answers. */
function portName(port: number): string {
  if (port >= 0xcf8 && port <= 0xcfb) return ': the PCI configuration address';
  if (port >= 0xcfc && port <= 0xcff) return ': the PCI configuration data';
  return ': the keyboard controller\'s status, which reads 1';
}

// ---- lguest_arch_handle_trap ----------------------------------------------------------------

/**
 * What the Host does with a trap. For a page fault that is the Guest's own
 * (`pageFault`), CR2 goes into lguest_data first, whether the Guest has a
 * handler for it or is killed for having none.
 */
export type TrapDecision =
  | { action: 'fixed'; fix: PageFix | TsFix }
  | { action: 'emulated'; emulation: Emulation }
  | { action: 'reflected'; reflection: Reflection; pageFault?: PageFaultForGuest }
  | { action: 'hypercall' }
  | { action: 'host-interrupt' }
  | { action: 'killed'; reason: string; pageFault?: PageFaultForGuest };

/**
 * What the Host will do with trap `trap` (error code `errcode`, CR2 `cr2`)
 * that just came out of the Guest, whose registers are in the register page.
 */
export function decideTrap(lg: Lguest, trap: number, errcode: number, cr2: number): TrapDecision {
  switch (trap) {
    case 13:
      if (errcode === 0) {
        const e = planEmulation(lg);
        if (e !== null && e.kind === 'kill') return { action: 'killed', reason: e.reason };
        if (e !== null) return { action: 'emulated', emulation: e };
      }
      return reflectOrKill(lg, trap, errcode, cr2);
    case 14: {
      const p = planDemandPage(lg, cr2, errcode);
      if (p.kind === 'fix') return { action: 'fixed', fix: p };
      if (p.kind === 'kill') return { action: 'killed', reason: p.reason };
      let own: PageFaultForGuest;
      if (p.kind === 'mmio') {
        const m = planMmio(lg, p.phys);
        if (m !== null && m.kind === 'kill') return { action: 'killed', reason: m.reason };
        if (m !== null) return { action: 'emulated', emulation: m };
        // lguest did not set lguest_data.cr2 on this path; the Guest's handler reads it, so we do.
        own = { kind: 'guest', why: `its entry maps ${hexC(p.phys)}, among the devices' registers, but no register is there or this is no MOV` };
      } else {
        own = p;
      }
      const d = reflectOrKill(lg, trap, errcode, cr2);
      return d.action === 'reflected' || d.action === 'killed' ? { ...d, pageFault: own } : d;
    }
    case 7: {
      const fix = planDeviceNotAvailable(lg);
      return fix !== null ? { action: 'fixed', fix } : reflectOrKill(lg, trap, errcode, cr2);
    }
    case LGUEST_TRAP_ENTRY:
      return { action: 'hypercall' };
    default:
      if (trap >= FIRST_EXTERNAL_VECTOR && trap < 256 && !couldBeSyscall(trap)) return { action: 'host-interrupt' };
      return reflectOrKill(lg, trap, errcode, cr2);
  }
}

function reflectOrKill(lg: Lguest, trap: number, errcode: number, cr2: number): TrapDecision {
  const r = planReflection(lg, trap);
  if (r === null) {
    return {
      action: 'killed',
      reason: `unhandled trap ${trap} at ${hexC(lg.reg('eip'))} (${hexC(trap === 14 ? cr2 : errcode)})`,
    };
  }
  if (r.kind === 'kill') return { action: 'killed', reason: r.reason };
  return { action: 'reflected', reflection: r };
}
