/**
 * Which stack frame a protocol frame id means, at the C level: the machine
 * frame and inline level the last stack trace gave it (frames.ts); the
 * Host's frame has no C scopes. A request without a frame id (a watch before
 * the stack was asked for, a breakpoint condition) means the innermost.
 */
import { CFrame } from './cframe';
import type { FrameRef } from './frames';
import type { Debuggee } from './runtime/debuggee';

export function cFrameAt(debuggee: Debuggee, ref: FrameRef | undefined): { frame: CFrame; level: number } | undefined {
  const m = debuggee.loaded;
  if (!m || ref === undefined) return undefined;
  const e = debuggee.backtrace()[ref.index];
  if (e === undefined) return undefined;
  const innermost = ref.index === 0;
  // A caller's eip is a return address, perhaps past the end of its function: its scope is the call's.
  const pc = innermost || e.trapped ? e.eip : (e.eip - 1) >>> 0;
  const regs = innermost ? { eip: e.eip, esp: e.esp, ebp: e.ebp } : e.regs;
  const frame = new CFrame(m.target, m.programs.infoFor(pc), { regs, innermost, pc: m.programs.linked(pc) }, debuggee.env());
  return { frame, level: ref.level };
}
