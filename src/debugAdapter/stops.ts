/**
 * What to tell the user when the machine stops at a trap, a hypercall or a
 * kill: a one-line description for the stopped event, the whole story for
 * exceptionInfo, and, when the Host has the machine, what it is about to do
 * (shown as the top frame of the call stack).
 */
import type { StopPoint, TrapPoint } from '../vm/lguest/observer';
import { trapName, hypercallLabel } from '../vm/lguest/describe';
import { decideTrap, planInterrupt, type PageFaultForGuest } from '../vm/lguest/decide';
import { HOST_TIMER_VECTOR, SYSCALL_VECTOR, IMPOSSIBLE_TRAP } from '../vm/lguest/layout';
import type { Target } from './runtime/target';
import type { Programs } from './programs';
import { hex } from './registers';

export interface StopStory {
  reason: string;
  description: string;
  exceptionId?: string;
  details?: string;
  /** The Host's frame: what it is doing (null: the Guest has the CPU). */
  hostFrame?: string;
}

function pageFaultText(cr2: number, err: number): string {
  return `page fault at ${hex(cr2)} (${err & 2 ? 'write' : 'read'}, ${err & 4 ? 'user' : 'kernel'}, `
    + `${err & 1 ? 'protection' : 'not present'})`;
}

/** The Guest's handler, named. */
function handlerText(at: number, programs: Programs): string {
  const name = programs.symbolize(at);
  return `the Guest's handler at ${hex(at)}${name ? ` <${name}>` : ''}`;
}

/** A page fault that is the Guest's own: why, and that CR2 goes to lguest_data first. */
function guestsFault(f: PageFaultForGuest | undefined): string {
  return f ? `find that demand_page cannot fix it (${f.why}), write cr2 into lguest_data and ` : '';
}

/** What the Host will do with a trap it is about to handle: its own decision (decide.ts), in words. */
function prediction(p: TrapPoint, t: Target, programs: Programs): string {
  const lg = t.host!.lg;
  if (p.irq !== undefined) {
    const r = planInterrupt(lg, p.irq);
    if (r === null) return 'leave it pending: the Guest has no handler for it';
    if (r.kind === 'kill') return `kill the Guest: ${r.reason}`;
    const frame = r.frame === null ? 'reuse the frame at noirq_iret' : 'push an interrupt frame';
    return `${frame} and enter ${handlerText(r.gate.handler, programs)}`;
  }
  const d = p.decision ?? decideTrap(lg, p.trap, p.errcode, p.cr2);
  switch (d.action) {
    case 'fixed': {
      const f = d.fix;
      if (f.kind === 'clts') {
        return "clear CR0.TS, which the Guest did not ask for (by LHCALL_TS), and resume it at the same instruction; "
          + 'the Guest will not know';
      }
      const how = f.writable ? 'writable' : 'read-only until the Guest writes to it';
      return `copy the Guest's entry for ${hex(p.cr2)} into the shadow page table (demand_page), ${how}; `
        + 'the Guest will not know';
    }
    case 'emulated':
      return `emulate the instruction at ${hex(p.eip)}: ${d.emulation.describe()}`;
    case 'reflected':
      return `${guestsFault(d.pageFault)}reflect it to ${handlerText(d.reflection.gate.handler, programs)}`;
    case 'hypercall':
      return `run hypercall ${hypercallLabel(p.eax)} (after any waiting in the asynchronous ring)`;
    case 'host-interrupt':
      return p.trap === HOST_TIMER_VECTOR
        ? "nothing for the Guest: it is the Host's own timer, which brings the Host in to deliver the Guest's "
          + 'timer interrupt'
        : 'nothing for the Guest: an interrupt for the Host';
    case 'killed': {
      const why = p.trap === IMPOSSIBLE_TRAP
        ? ' (the Switcher could not enter it: a bad segment in its registers)' : '';
      return `${guestsFault(d.pageFault)}kill the Guest: ${d.reason}${why}`;
    }
  }
}

export function describeStop(p: StopPoint, t: Target, programs: Programs): StopStory {
  switch (p.kind) {
    case 'trap': {
      const name = trapName(p.trap);
      if (p.irq !== undefined) {
        const description = `trap ${p.trap}: IRQ ${p.irq}${p.irq === 0 ? ' (the timer)' : ''}, a virtual interrupt, `
          + `at ${hex(p.eip)}`;
        const next = prediction(p, t, programs);
        return {
          reason: 'exception', exceptionId: `trap ${p.trap}`, description,
          details: `${description}. The Host is about to deliver it: it will ${next}.`,
          hostFrame: `delivering IRQ ${p.irq}: will ${next}`,
        };
      }
      const what = p.trap === 14 ? pageFaultText(p.cr2, p.errcode)
        : p.trap === SYSCALL_VECTOR && (p.cs & 3) === 3 ? `system call ${p.eax}` : name;
      const err = p.trap !== 14 && p.errcode !== 0 ? `, error code ${hex(p.errcode, 4)}` : '';
      const description = `trap ${p.trap}: ${what} at ${hex(p.eip)}${err}`;
      if (p.direct) {
        return {
          reason: 'exception', exceptionId: `trap ${p.trap}`, description,
          details: `${description}. A direct trap: the CPU went straight to the Guest's handler `
            + '(stopped at its first instruction); the Host never sees it.',
        };
      }
      const next = prediction(p, t, programs);
      return {
        reason: 'exception', exceptionId: `trap ${p.trap}`, description,
        details: `${description}. It exited to the Host, which will ${next}.`,
        hostFrame: `trap ${p.trap} (${name}): will ${next}`,
      };
    }
    case 'hypercall': {
      const description = `hypercall ${hypercallLabel(p.nr)}(${p.args.map((a) => hex(a)).join(', ')})`
        + `${p.async ? ', from the asynchronous ring' : ''}`;
      return {
        reason: 'exception', exceptionId: `hypercall ${hypercallLabel(p.nr)}`, description,
        details: `${description}: the Host is about to run it.`, hostFrame: `about to run ${description}`,
      };
    }
    case 'killed':
      return {
        reason: 'exception', exceptionId: 'guestKilled', description: `guest killed: ${p.reason}`,
        details: `The Host kills the Guest: ${p.reason}. Continuing ends the session.`,
        hostFrame: `killing the Guest: ${p.reason}`,
      };
  }
}
