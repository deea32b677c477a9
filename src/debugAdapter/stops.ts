/**
 * What to tell the user when the machine stops at a trap, a hypercall or a
 * kill: a one-line description for the stopped event, the whole story for
 * exceptionInfo, and, when the Host has the machine, what it is about to do
 * (shown as the top frame of the call stack).
 */
import type { StopPoint } from '../vm/lguest/host';
import { trapName, hypercallLabel } from '../vm/lguest/describe';
import { guestWalk, guestIdt } from '../vm/lguest/inspect';
import { LGUEST_TRAP_ENTRY, HOST_TIMER_VECTOR, SYSCALL_VECTOR, IMPOSSIBLE_TRAP } from '../vm/lguest/layout';
import type { Target } from './target';
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
  return `page fault at ${hex(cr2)} (${err & 2 ? 'write' : 'read'}, ${err & 4 ? 'user' : 'kernel'}, ${err & 1 ? 'protection' : 'not present'})`;
}

/** What the Host will do with a trap it is about to handle. */
function prediction(p: Extract<StopPoint, { kind: 'trap' }>, t: Target, programs: Programs): string {
  const lg = t.host!.lg;
  const handler = guestIdt(lg)[p.trap < 256 ? p.trap : 0];
  const reflect = p.trap < 256 && handler.present
    ? `reflect it to the Guest's handler at ${hex(handler.target)}${programs.symbolize(handler.target) ? ` <${programs.symbolize(handler.target)}>` : ''}`
    : `kill the Guest: it has no handler (unhandled trap ${p.trap})`;
  if (p.irq !== undefined) return reflect.replace('reflect it to', 'push an interrupt frame (or reuse the one at noirq_iret) and enter');
  switch (p.trap) {
    case 14: {
      const w = guestWalk(lg, p.cr2);
      // In linear boot mode there are no Guest tables: demand_page takes every page as present and writable.
      const pte = w.pte?.value ?? (w.phys !== null ? 0x3 : 0);
      const ok = w.phys !== null && (!(p.errcode & 2) || (pte & 2)) && (!(p.errcode & 4) || (pte & 4));
      if (ok) return `copy the Guest's entry for ${hex(p.cr2)} into the shadow page table (demand_page)${(p.errcode & 2) || (pte & 0x40) ? '' : ', read-only until the Guest writes to it'}; the Guest will not know`;
      return `find that demand_page cannot fix it (the Guest's own page table ${w.phys === null ? 'maps nothing there' : 'forbids this access'}), write cr2 into lguest_data and ${reflect}`;
    }
    case 13:
      return p.errcode === 0 && (p.cs & 3) === 1 ? `emulate the instruction at ${hex(p.eip)} if it is IN, OUT or CLI; otherwise ${reflect}` : reflect;
    case LGUEST_TRAP_ENTRY:
      return `run hypercall ${hypercallLabel(p.eax)} (after any waiting in the asynchronous ring)`;
    case HOST_TIMER_VECTOR:
      return "nothing for the Guest: it is the Host's own timer, which brings the Host in to deliver the Guest's timer interrupt";
    case IMPOSSIBLE_TRAP:
      return 'kill the Guest: the Switcher could not enter it (a bad segment in its registers): unhandled trap 256';
    default:
      return p.trap >= 32 && p.trap !== SYSCALL_VECTOR ? 'nothing for the Guest: an interrupt for the Host' : reflect;
  }
}

export function describeStop(p: StopPoint, t: Target, programs: Programs): StopStory {
  switch (p.kind) {
    case 'trap': {
      const name = trapName(p.trap);
      if (p.irq !== undefined) {
        const description = `trap ${p.trap}: IRQ ${p.irq}${p.irq === 0 ? ' (the timer)' : ''}, a virtual interrupt, at ${hex(p.eip)}`;
        const next = prediction(p, t, programs);
        return { reason: 'exception', exceptionId: `trap ${p.trap}`, description, details: `${description}. The Host is about to deliver it: it will ${next}.`, hostFrame: `delivering IRQ ${p.irq}: will ${next}` };
      }
      const what = p.trap === 14 ? pageFaultText(p.cr2, p.errcode) : p.trap === SYSCALL_VECTOR && (p.cs & 3) === 3 ? `system call ${p.eax}` : name;
      const err = p.trap !== 14 && p.errcode !== 0 ? `, error code ${hex(p.errcode, 4)}` : '';
      const description = `trap ${p.trap}: ${what} at ${hex(p.eip)}${err}`;
      if (p.direct) {
        return {
          reason: 'exception', exceptionId: `trap ${p.trap}`, description,
          details: `${description}. A direct trap: the CPU went straight to the Guest's handler (stopped at its first instruction); the Host never sees it.`,
        };
      }
      const next = prediction(p, t, programs);
      return { reason: 'exception', exceptionId: `trap ${p.trap}`, description, details: `${description}. It exited to the Host, which will ${next}.`, hostFrame: `trap ${p.trap} (${name}): will ${next}` };
    }
    case 'hypercall': {
      const description = `hypercall ${hypercallLabel(p.nr)}(${p.args.map((a) => hex(a)).join(', ')})${p.async ? ', from the asynchronous ring' : ''}`;
      return { reason: 'exception', exceptionId: `hypercall ${hypercallLabel(p.nr)}`, description, details: `${description}: the Host is about to run it.`, hostFrame: `about to run ${description}` };
    }
    case 'killed':
      return { reason: 'exception', exceptionId: 'guestKilled', description: `guest killed: ${p.reason}`, details: `The Host kills the Guest: ${p.reason}. Continuing ends the session.`, hostFrame: `killing the Guest: ${p.reason}` };
  }
}
