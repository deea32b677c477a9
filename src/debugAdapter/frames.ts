/**
 * The call stack in the protocol's words: the Guest's frames, each at its
 * source line or, where there is no source file (code without line tables,
 * or at a physical address in linear mode), in a listing of its disassembly;
 * stopped in the Host, the Host's frame on top, saying what it is about to do.
 *
 * The listings are served by the `source` request, by reference. A reference
 * stays valid for the session (a client may ask for it after the next stop),
 * and the same text keeps its reference.
 */
import { StackFrame, Source } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Debuggee } from './runtime/debuggee';
import { listingAround } from './disassembly';
import { hex } from './registers';

export class Frames {
  private readonly generated = new Map<number, string>();
  private readonly refs = new Map<string, number>();

  /** The frames where the debuggee stands, innermost first. */
  of(debuggee: Debuggee, flavor: 'att' | 'intel'): StackFrame[] {
    const { target: t, programs } = debuggee.loaded!;
    const frames: StackFrame[] = [];
    const hostFrame = debuggee.story?.hostFrame;
    if (t.inHostContext && hostFrame) {
      // The Host's frame is a label: no source, so clients focus the Guest's frame under it, where the trap is.
      const f = new StackFrame(1, `[Host] ${hostFrame}`) as DebugProtocol.StackFrame;
      f.presentationHint = 'label';
      frames.push(f);
    }
    const atBp = debuggee.breakpoints.sourceLineAt(t.guestEip);
    debuggee.backtrace().forEach((r, i) => {
      const name = programs.symbolize(r.eip) ?? hex(r.eip);
      // A caller's eip is a return address, maybe past its function's end: its line is the call's. A trap's is exact.
      let loc = programs.lineFor(i === 0 || r.trapped ? r.eip : (r.eip - 1) >>> 0);
      if (i === 0 && atBp && loc) loc = { ...loc, ...atBp };
      let source: Source | undefined, line = loc?.line ?? 0;
      if (loc?.path) source = new Source(loc.path.split('/').pop()!, loc.path);
      else {
        const listing = listingAround(t, programs, r.eip, flavor);
        source = this.generatedSource(`${name}.disasm`, listing.text);
        line = listing.line;
      }
      // Columns start at 1: a 0 makes an invalid range for a client's exception widget.
      const column = Math.max(1, loc?.column ?? 1);
      const frame = new StackFrame(frames.length + 1, name, source, line, column) as DebugProtocol.StackFrame;
      frame.instructionPointerReference = hex(r.eip);
      frames.push(frame);
    });
    return frames;
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
