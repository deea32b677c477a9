/**
 * Traps and interrupts (lguest's interrupts_and_traps.c).
 *
 * The Guest's IDT is a wish list: the CPU runs on the Host's IDT for the
 * Guest, where nearly every vector leads back to the Host. When a trap is
 * the Guest's business the Host "reflects" it: it builds on the Guest's
 * stack the frame the CPU would have pushed, and points the Guest at its
 * handler. Virtual interrupts (the timer) are delivered the same way, when
 * the Guest's soft interrupt flag (lguest_data.irq_enabled) allows.
 *
 * Some traps need no Host at all: a trap gate for an exception the Host
 * does not care about, or the system-call vector, is copied into the real
 * IDT, and the CPU goes straight to the Guest's handler at ring 1 ("direct
 * traps": a system call costs a fraction of a round trip through the Host).
 */
import { Lguest, CHANGED_IDT } from './lguest';
import { planInterrupt, couldBeSyscall, type Reflection } from './decide';
import {
  FIRST_EXTERNAL_VECTOR, LGUEST_TRAP_ENTRY, LGUEST_IRQS, GUEST_PL, GUEST_KERNEL_CS, X86_EFLAGS_IF,
  LGUEST_DATA,
} from './layout';

const idtPresent = (hi: number) => (hi & 0x8000) !== 0;
const idtType = (hi: number) => (hi >>> 8) & 0xf;

/**
 * direct_trap: may the Guest's gate for this vector go in the real IDT?
 * Not for interrupts (the Host's), and not for the traps the Host must
 * see: #NM (7), #GP (13: port I/O), #PF (14: shadow page tables), the
 * hypercall.
 */
export function directTrap(n: number): boolean {
  if (n >= FIRST_EXTERNAL_VECTOR && !couldBeSyscall(n)) return false;
  return n !== 14 && n !== 13 && n !== 7 && n !== LGUEST_TRAP_ENTRY;
}

// ---- Reflecting a trap or an interrupt into the Guest -------------------------------

/**
 * Carry out a reflection decide.ts planned: the frame goes on the Guest's
 * stack, and the Guest goes on at its handler, at ring 1; an interrupt gate
 * turns the Guest's interrupts off.
 */
export function applyReflection(lg: Lguest, r: Reflection): void {
  if (r.frame !== null) {
    r.frame.words.forEach((w, k) => lg.mem.write32(r.frame!.at + 4 * k, w));
    lg.setReg('ss', r.frame.ss);
    lg.setReg('esp', r.frame.esp);
  }
  lg.setReg('cs', GUEST_KERNEL_CS);
  lg.setReg('eip', r.gate.handler);
  lg.setReg('eflags', r.eflags);
  if (r.gate.interruptGate) lg.dataWrite('irq_enabled', 0);
}

// ---- Virtual interrupts -----------------------------------------------------------

/** set_interrupt: IRQ `irq` is pending (the timer is 0; a device n, as LHREQ_IRQ set it). */
export function setInterrupt(lg: Lguest, irq: number): void {
  lg.irqsPending = (lg.irqsPending | (1 << irq)) >>> 0;
}

/** interrupt_pending: the lowest pending IRQ the Guest has not blocked (or LGUEST_IRQS), and whether there are more. */
export function interruptPending(lg: Lguest): { irq: number; more: boolean } {
  if (lg.lguestData === null) return { irq: LGUEST_IRQS, more: false };
  const deliverable = (lg.irqsPending & ~lg.dataRead('blocked_interrupts')) >>> 0;
  if (deliverable === 0) return { irq: LGUEST_IRQS, more: false };
  const irq = 31 - Math.clz32(deliverable & -deliverable);
  return { irq, more: (deliverable & ~(1 << irq)) !== 0 };
}

/**
 * try_deliver_interrupt: interrupt the Guest if it lets us. A halted Guest
 * is woken with interrupts on (halting is "sti; hlt"). A Guest with them
 * off is told one is waiting (irq_pending), and asks when it turns them on.
 * At the Guest's one iret that must not be interrupted (noirq_iret), we
 * deliver on top of the frame that iret was about to pop.
 */
export function tryDeliverInterrupt(lg: Lguest, irq: number, more: boolean): void {
  if (lg.halted) {
    lg.dataWrite('irq_enabled', X86_EFLAGS_IF);
    lg.halted = false;
  } else if (lg.dataRead('irq_enabled') === 0) {
    lg.dataWrite('irq_pending', X86_EFLAGS_IF);
    return;
  }
  const r = planInterrupt(lg, irq);
  if (r !== null) {
    lg.irqsPending = (lg.irqsPending & ~(1 << irq)) >>> 0;
    const eip = lg.reg('eip');
    if (r.kind === 'kill') lg.kill(r.reason);
    else applyReflection(lg, r);
    lg.stats.interrupts[irq]++;
    if (lg.onEvent !== null) lg.emit({ kind: 'interrupt', irq, eip, time: lg.now });
  }
  lg.writeTimestamp();
  if (!more) lg.mem.write32(lg.lguestData! + LGUEST_DATA.irq_pending, 0);
}

/** SET_CLOCKEVENT: a one-shot timer `delta` ns from now raising IRQ 0; 0 stops it. */
export function guestSetClockevent(lg: Lguest, delta: number): void {
  lg.timerDeadline = delta === 0 ? null : lg.now + (delta >>> 0);
}

// ---- The Guest's IDT ----------------------------------------------------------------

/**
 * set_trap: keep a Guest gate, sanitized: its selector forced to the
 * Guest's kernel code, only a handler address, P, DPL and type kept; an
 * absent gate is all zeros; only interrupt and trap gates are allowed.
 */
function setTrap(lg: Lguest, num: number, lo: number, hi: number): void {
  if (!idtPresent(hi)) {
    lg.idt[num * 2] = 0;
    lg.idt[num * 2 + 1] = 0;
    return;
  }
  const type = idtType(hi);
  if (type !== 0xe && type !== 0xf) lg.kill(`bad IDT type ${type}`);
  lg.idt[num * 2] = ((GUEST_KERNEL_CS << 16) | (lo & 0xffff)) >>> 0;
  lg.idt[num * 2 + 1] = (hi & 0xffffef00) >>> 0;
}

/**
 * LOAD_IDT_ENTRY. NMI, double fault, the spurious vector and the hypercall
 * are the Host's: requests for them are ignored.
 */
export function loadGuestIdtEntry(lg: Lguest, num: number, lo: number, hi: number): void {
  num >>>= 0;
  if (num === 2 || num === 8 || num === 15 || num === LGUEST_TRAP_ENTRY) return;
  lg.changed |= CHANGED_IDT;
  if (num >= 256) {
    lg.kill(`Setting idt entry ${num}`);
    return;
  }
  setTrap(lg, num, lo >>> 0, hi >>> 0);
}

/**
 * copy_traps: the real IDT for the Guest. A vector that may go direct gets
 * the Guest's gate if it is a trap gate (an interrupt gate would clear the
 * real IF, which the Guest must never do); otherwise the Switcher's stub,
 * with the Guest's DPL, so that "int $0x80" from ring 3 still gets to the
 * Host and on to the Guest. With direct traps off (--no-direct-traps),
 * every such vector gets the stub: the same routes, all through the Host.
 */
export function copyTraps(lg: Lguest): void {
  for (let i = 0; i < 256; i++) {
    if (!directTrap(i)) continue;
    const lo = lg.idt[i * 2], hi = lg.idt[i * 2 + 1];
    if (lg.options.directTraps && idtType(hi) === 0xf) lg.world.setGuestIdtEntry(i, lo, hi);
    else lg.world.setGuestIdtEntry(i, ...lg.world.defaultIdtEntry(i, hi));
  }
}

/** Is the real IDT's gate for `vector` the Guest's own (a direct trap)? */
export function isDirectGate(lg: Lguest, vector: number): boolean {
  const hi = lg.mem.read32(lg.world.guestIdt + vector * 8 + 4) >>> 0;
  const lo = lg.mem.read32(lg.world.guestIdt + vector * 8) >>> 0;
  return idtPresent(hi) && (lo >>> 16) === GUEST_KERNEL_CS;
}

// ---- SET_STACK -------------------------------------------------------------------------

/** guest_set_stack: the ring 1 stack for traps from ring 3; its pages are pinned in the shadow. */
export function guestSetStack(lg: Lguest, seg: number, esp: number, pages: number): void {
  if ((seg & 3) !== GUEST_PL) lg.kill(`bad stack segment ${seg | 0}`);
  if (pages >>> 0 > 2) lg.kill(`bad stack pages ${pages >>> 0}`);
  lg.ss1 = seg & 0xffff;
  lg.esp1 = esp >>> 0;
  lg.stackPages = Math.min(pages >>> 0, 2);
  lg.pageTables.pinStackPages();
}

