/**
 * Words for what the Host does: names of traps and hypercalls, and one line
 * of text per Host event (--trace, and the debugger's trap log).
 */
import { EXCEPTION_NAMES } from '../cpu/fault';
import {
  hypercallName, LGUEST_TRAP_ENTRY, SYSCALL_VECTOR, FIRST_EXTERNAL_VECTOR, HOST_TIMER_VECTOR, IMPOSSIBLE_TRAP,
} from './layout';
import type { HostEvent, HostStats } from './events';

/** What a trap number means in an lguest Guest. */
export function trapName(n: number): string {
  // lguest's hypercall trap is vector 31, one the manual reserves: lguest's name first.
  if (n === LGUEST_TRAP_ENTRY) return 'hypercall';
  if (n < EXCEPTION_NAMES.length) return EXCEPTION_NAMES[n];
  if (n === SYSCALL_VECTOR) return 'system call';
  if (n === HOST_TIMER_VECTOR) return "the Host's timer";
  if (n === IMPOSSIBLE_TRAP) return 'no trap: the Switcher failed to enter the Guest';
  if (n >= FIRST_EXTERNAL_VECTOR && n < FIRST_EXTERNAL_VECTOR + 32) return `IRQ ${n - FIRST_EXTERNAL_VECTOR}`;
  return `vector ${n}`;
}

export function hypercallLabel(nr: number): string {
  return hypercallName(nr) ?? `#${nr}`;
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

/** One line for an event, without the time. */
export function describeEvent(e: HostEvent): string {
  switch (e.kind) {
    case 'trap': {
      const detail = e.trap === 14
        ? ` cr2 ${hex(e.cr2)} (${e.errcode & 2 ? 'write' : 'read'}, ${e.errcode & 4 ? 'user' : 'kernel'}`
          + `${e.errcode & 1 ? ', protection' : ', not present'})`
        : e.errcode !== 0 ? ` error ${hex(e.errcode)}` : '';
      return `trap ${e.trap} (${trapName(e.trap)}) at ${hex(e.eip)}${detail}: ${e.action}`;
    }
    case 'direct': return `direct trap ${e.vector} (${trapName(e.vector)}) at ${hex(e.eip)}: straight to the Guest`;
    case 'hypercall':
      return `hypercall ${hypercallLabel(e.nr)}(${e.args.map(hex).join(', ')})${e.async ? ' from the ring' : ''}`;
    case 'interrupt': return `interrupt: IRQ ${e.irq} delivered at ${hex(e.eip)}`;
    case 'pagetable': {
      const at = e.vaddr !== 0 || e.op === 'demand' || e.op === 'set_pte' ? ` ${hex(e.vaddr)}` : '';
      return `pagetable ${e.op}${at}: ${e.detail}`;
    }
    case 'killed': return `guest killed: ${e.reason}`;
    case 'restart':
      return `the Guest asked to restart${e.message ? ` (${e.message})` : ''}: starting it again from its image`;
    case 'input': return `console input: ${e.bytes.length} bytes into the receive queue`;
  }
}

/** The Host's counters, one per line. */
export function describeStats(s: HostStats): string[] {
  const lines = [`guest entries: ${s.entries}`];
  s.exits.forEach((n, t) => { if (n > 0) lines.push(`exits for trap ${t} (${trapName(t)}): ${n}`); });
  for (const [nr, n] of [...s.hypercalls].sort((a, b) => a[0] - b[0])) {
    lines.push(`hypercall ${hypercallLabel(nr)}: ${n}`);
  }
  lines.push(
    `page faults fixed by the Host: ${s.pageFaultsFixed}`,
    `page faults reflected to the Guest: ${s.pageFaultsReflected}`,
  );
  s.direct.forEach((n, v) => { if (n > 0) lines.push(`direct traps to vector ${v} (${trapName(v)}): ${n}`); });
  s.interrupts.forEach((n, irq) => { if (n > 0) lines.push(`interrupts delivered, IRQ ${irq}: ${n}`); });
  lines.push(
    `instructions emulated: ${s.emulated} (of those, the Launcher's port accesses: ${s.portIo}; device register MOVs: ${s.mmio})`,
    `idle time skipped: ${s.idleNs} ns`,
    ...(s.inputBytes > 0 ? [`console input: ${s.inputBytes} bytes`] : []),
  );
  return lines;
}
