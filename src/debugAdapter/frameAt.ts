/**
 * Which stack frame a protocol frame id means, at the C level: the Host's
 * frame (when stopped in its context) is id 1 and has no C scopes; the
 * Guest's frames follow in the order frames.ts gives them. A request without
 * a frame id (a watch before the stack was asked for) means the innermost.
 */
import { CFrame } from './cframe';
import type { Debuggee } from './runtime/debuggee';

export function cFrameAt(debuggee: Debuggee, frameId: number | undefined): { frame: CFrame; level: number } | undefined {
  const m = debuggee.loaded;
  if (!m) return undefined;
  const t = m.target;
  const hostFrame = t.inHostContext && debuggee.story?.hostFrame ? 1 : 0;
  const index = frameId === undefined ? 0 : frameId - 1 - hostFrame;
  if (index < 0) return undefined;
  const entries = debuggee.backtrace();
  const e = entries[index];
  if (e === undefined) return undefined;
  const innermost = index === 0;
  // A caller's eip is a return address, perhaps past the end of its function: its scope is the call's.
  const pc = innermost || e.trapped ? e.eip : (e.eip - 1) >>> 0;
  const regs = innermost ? { eip: e.eip, esp: e.esp, ebp: e.ebp } : e.regs;
  const frame = new CFrame(t, m.programs.infoFor(pc), { regs, innermost, pc }, debuggee.env());
  return { frame, level: 0 };
}
