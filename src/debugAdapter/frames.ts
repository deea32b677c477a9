/**
 * The call stack in the protocol's words: the Guest's frames, each at its
 * source line or, where there is no source file (code without line tables,
 * or at a physical address in linear mode), in a listing of its disassembly;
 * stopped in the Host, the Host's frame on top, saying what it is about to do.
 *
 * The listings are served by the `source` request, by reference. A reference
 * stays valid for the session (a client may ask for it after the next stop),
 * and the same text keeps its reference.
 *
 * A function GCC inlined is a frame of its own, as in gdb: at a pc in an
 * inlined call, the innermost frame is the inlined function at the pc's
 * line, and each caller up to the real function stands at the line it
 * called from (DW_AT_call_file/line/column). They share the machine frame:
 * its registers and its eip. Which machine frame and which level a frame id
 * means is kept for the scopes and evaluate requests (`at`).
 */
import { StackFrame, Source } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Debuggee } from './runtime/debuggee';
import { listingAround } from './disassembly';
import type { Target } from './runtime/target';
import { hex } from './registers';
import type { Programs } from './programs';
import type { ScopeLevel } from '../vm/debuginfo/dwarfScopes';
import type { Unit } from '../vm/debuginfo/dwarfDies';

/** The longest a Host frame's name gets in the Call Stack view (the rest is in its source). */
const HOST_FRAME_NAME = 60;

/** Text cut at a word boundary to `max` characters, ending in an ellipsis when cut. */
function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s:,(]+$/, '')}…`;
}

/** What a protocol frame id stands for: a machine frame (backtrace index) and an inline level in it (0: innermost). */
export interface FrameRef { index: number; level: number }

export class Frames {
  private readonly generated = new Map<number, string>();
  private readonly refs = new Map<string, number>();
  private readonly ids = new Map<number, FrameRef>();
  /**
   * Frame ids are this stop's: `base` + the frame's place. Each stop's start after the last one's, so a client
   * sees new frames at every stop (VS Code 1.100, loading a stack in parts, re-renders its Call Stack only when
   * the frames below the top differ from the last stop's; with the same ids it kept a "Load More Stack Frames"
   * for a stack it had whole), and an old stop's id means nothing.
   */
  private base = 0;
  private highest = 0;

  /** Whether a frame id is one this stop's stack traces gave out. */
  current(frameId: number): boolean {
    return frameId > this.base && frameId <= this.highest;
  }

  /** The Guest stopped again: the next stack trace's frames get ids of their own. */
  newStop(): void {
    this.base = this.highest < 2 ** 30 ? this.highest : 0;
    this.ids.clear();
  }

  /** The machine frame and level a frame id of the last stack trace means; undefined for the Host's or an unknown id. */
  at(frameId: number): FrameRef | undefined {
    return this.ids.get(frameId);
  }

  /** The frames where the debuggee stands, innermost first. */
  of(debuggee: Debuggee, flavor: 'att' | 'intel'): StackFrame[] {
    const { target: t, programs } = debuggee.loaded!;
    const frames: StackFrame[] = [];
    this.ids.clear();
    const hostFrame = debuggee.story?.hostFrame;
    if (t.inHostContext && hostFrame) {
      // The Host's frame is a label with a short name and no source, so that clients focus the Guest's frame
      // under it, where the trap is, and put the exception widget there: the widget has the whole prediction.
      // (A source, even deemphasized, takes VS Code 1.100's focus and the widget with it.)
      const name = shorten(`[Host] ${hostFrame}`, HOST_FRAME_NAME);
      const f = new StackFrame(this.base + 1, name) as DebugProtocol.StackFrame;
      f.presentationHint = 'label';
      frames.push(f);
    }
    const atBp = debuggee.breakpoints.sourceLineAt(t.guestEip);
    debuggee.backtrace().forEach((r, i) => {
      // A caller's eip is a return address, maybe past its function's end: its line is the call's. A trap's is exact.
      const pc = i === 0 || r.trapped ? r.eip : (r.eip - 1) >>> 0;
      const scope = programs.scopeAt(pc);
      const all = scope?.levels ?? [];
      // Stopped by a function breakpoint on an inlined call's first instruction, the call has not begun
      // (gdb's rule): a breakpoint on sys_newuname shows sys_newuname at its line, not the SYSC_newuname it
      // inlines there. A line breakpoint in an inlined body shows that body. `skip` keeps the levels'
      // numbers those of the scope (cframe.ts counts them from its innermost).
      let skip = 0;
      if (i === 0 && debuggee.story?.reason === 'function breakpoint') {
        while (skip < all.length - 1 && all[skip].entry === programs.linked(pc)) skip++;
      }
      const levels = all.slice(skip);
      // The frame the skipped calls are in stands where they are called from.
      let callSite: { path?: string; line?: number; column?: number } | null = skip > 0 ? this.callSite(programs, pc, scope!.unit, all[skip - 1]) : null;
      // The inlined calls first, innermost first: each named by its function, at the line where it stands.
      for (let k = 0; k < levels.length - 1; k++) {
        const l = levels[k];
        let source: Source | undefined, line = 0, column = 1;
        const here = k === 0 && skip === 0 ? programs.lineFor(pc) : null;
        const at = k === 0 && skip === 0 ? (atBp && here ? { ...here, ...atBp } : here) : callSite;
        line = at?.line ?? 0;
        column = Math.max(1, at?.column ?? 1);
        if (at?.path) source = new Source(at.path.split('/').pop()!, at.path);
        else ({ source, line } = this.listingOf(t, programs, r.eip, `${l.name}.disasm`, flavor)), column = 1;
        const frame = new StackFrame(this.base + frames.length + 1, l.name, source, line, column) as DebugProtocol.StackFrame;
        frame.instructionPointerReference = hex(r.eip);
        this.ids.set(frame.id, { index: i, level: k + skip });
        frames.push(frame);
        callSite = this.callSite(programs, pc, scope!.unit, l);
      }
      const name = programs.symbolize(r.eip) ?? hex(r.eip);
      let loc = callSite !== null ? null : programs.lineFor(pc);
      if (callSite !== null) loc = { file: '', line: callSite.line ?? 0, column: callSite.column ?? 0, address: pc, isStmt: true, path: callSite.path };
      if (i === 0 && callSite === null && atBp && loc) loc = { ...loc, ...atBp };
      let source: Source | undefined, line = loc?.line ?? 0;
      if (loc?.path) source = new Source(loc.path.split('/').pop()!, loc.path);
      else ({ source, line } = this.listingOf(t, programs, r.eip, `${name}.disasm`, flavor));
      // Columns start at 1: a 0 makes an invalid range for a client's exception widget.
      const column = Math.max(1, loc?.column ?? 1);
      const frame = new StackFrame(this.base + frames.length + 1, name, source, line, column) as DebugProtocol.StackFrame;
      frame.instructionPointerReference = hex(r.eip);
      this.ids.set(frame.id, { index: i, level: Math.max(0, all.length - 1) });
      frames.push(frame);
    });
    this.highest = Math.max(this.highest, this.base + frames.length);
    return frames;
  }

  /**
   * A frame with no source file on disk (no line table, or its file not found: an inlined header's, say, when
   * the tree was copied without it) stands at its eip in a listing of the disassembly there.
   */
  private listingOf(t: Target, programs: Programs, eip: number, name: string, flavor: 'att' | 'intel'): { source: Source; line: number } {
    const listing = listingAround(t, programs, eip, flavor);
    return { source: this.generatedSource(name, listing.text), line: listing.line };
  }

  /** Where an inlined call was made from: its file (the unit's line table), line and column. */
  private callSite(programs: Programs, pc: number, unit: Unit, level: ScopeLevel): { path?: string; line?: number; column?: number } | null {
    const c = level.call;
    if (c === undefined) return null;
    const file = c.file !== undefined ? programs.unitFile(pc, unit, c.file) : null;
    return { path: file?.path, line: c.line, column: c.column };
  }

  /** A listing's text by its reference. */
  text(ref: number): string | undefined {
    return this.generated.get(ref);
  }

  private generatedSource(name: string, text: string): Source {
    let ref = this.refs.get(text);
    if (ref === undefined) {
      ref = 5000 + this.refs.size;
      this.refs.set(text, ref);
      this.generated.set(ref, text);
    }
    return new Source(name, undefined, ref, 'lguest', 'generated');
  }
}
