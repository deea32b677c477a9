/**
 * Stepping: by instruction or by line, into, over or out.
 *
 * A line step goes on, instruction by instruction, until the machine is at
 * the start of a statement of another line (as gdb does). Over a CALL (or,
 * from user code, a system call) it runs to the instruction after it, with
 * the stack back where it was, so a recursive call does not stop it early.
 * Out runs to the return address of the current frame.
 *
 * Inlined functions are frames too (frames.ts): a step over does not stop
 * inside a call GCC inlined (it stops only where the inline depth is back to
 * where it started, or shallower, within the same function), a step into
 * stops at the inlined body's first line as at a real call's, and a step out
 * of an inlined frame stops at the first instruction outside that call.
 */
import type { FrameRegisters } from '../../vm/debuginfo/debugInfo';
import type { Outcome, Target } from './target';
import type { Programs, Located } from '../programs';
import { decode, NEED_MORE_BYTES, MAX_INSTR_LEN } from '../../vm/cpu/decoder';
import { Instr } from '../../vm/cpu/instr';
import { Runner, nextTurn } from './running';
import type { Breakpoints } from './breakpoints';

export type StepKind = 'in' | 'over' | 'out';

export interface Step {
  kind: StepKind;
  /** By instruction; else by line. */
  instruction: boolean;
}

/** A line step gives up after this many instructions and stops where it is. */
const LINE_STEP_LIMIT = 20_000_000;
/** A line step lets the event loop in (for a pause) each time this many instructions have run. */
const STEP_TURN = 16_384;

export async function runStep(r: Runner, programs: Programs, breakpoints: Breakpoints, step: Step): Promise<Outcome> {
  const t = r.target;
  const start = t.guestEip;
  // The line the user sees: a source breakpoint's, else the statement starting here, else the line table's.
  const atBp = breakpoints.sourceLineAt(start);
  const here = programs.statementAt(start) ?? programs.lineFor(start);
  const startLine = here && atBp ? { ...here, line: atBp.line } : here;
  const depth = (pc: number) => inlineDepth(programs, pc);
  const startDepth = depth(start);
  if (step.kind === 'out' && !step.instruction && startDepth.depth > 0) return outOfInlined(r, programs, startDepth);
  if (step.kind === 'out') return r.runTo(returnAddress(t, programs), t.reg('esp')!);
  // Where a line step may stop: on another line, and for a step over not deeper in inlined calls of this function.
  const arrived = (eip: number) => lineChanged(programs, startLine, eip)
    && (step.kind !== 'over' || !deeperInline(depth(eip), startDepth));
  let budget = LINE_STEP_LIMIT;
  // The instruction count when the event loop was last let in: a long line step must stay pausable.
  let lastTurn = t.cpu.instructions;
  for (;;) {
    // Over a call (or a system call, from user code): run to the instruction after it.
    if (step.kind === 'over' && !t.inHostContext) {
      const call = callAt(t, t.guestEip);
      if (call !== null) {
        const o = await r.runTo(call, t.reg('esp')!);
        if (o.kind !== 'step') return o;
        if (step.instruction || arrived(t.guestEip)) return o;
        continue;
      }
    }
    const before = t.cpu.instructions;
    const o = r.stepInstruction();
    if (o.kind !== 'step') return o;
    if (step.instruction) return o;
    budget -= Math.max(1, t.cpu.instructions - before);
    if (arrived(t.guestEip) || budget <= 0 || r.pauseRequested) return o;
    if (t.cpu.instructions - lastTurn >= STEP_TURN) {
      lastTurn = t.cpu.instructions;
      await nextTurn();
    }
  }
}

/**
 * Has a line step got somewhere? As gdb: at the start of a statement of
 * another line (or, from code without lines, of any line); in the middle
 * of a line, or on the same line, it goes on.
 */
function lineChanged(programs: Programs, from: Located | null, eip: number): boolean {
  const now = programs.statementAt(eip);
  if (now === null) return false;
  if (from === null) return true;
  return now.file !== from.file || now.line !== from.line;
}

/** How many inlined calls hold pc, in which function (its DWARF entry's offset; -1 without DWARF), and which calls. */
interface InlineDepth { fn: number; depth: number; /** The DWARF entries of the levels, innermost first. */ calls: number[] }

function inlineDepth(programs: Programs, pc: number): InlineDepth {
  const s = programs.scopeAt(pc);
  if (s === undefined) return { fn: -1, depth: 0, calls: [] };
  return { fn: s.function.offset, depth: s.levels.length - 1, calls: s.levels.map((l) => l.die.offset) };
}

/** Inside an inlined call the start was not in (and in the same function): a step over goes on. */
function deeperInline(now: InlineDepth, start: InlineDepth): boolean {
  return now.fn === start.fn && now.depth > start.depth;
}

/** Step (over calls) until pc is no longer inside the inlined call the step started in (a call it makes is still inside). */
async function outOfInlined(r: Runner, programs: Programs, start: InlineDepth): Promise<Outcome> {
  const t = r.target;
  let budget = LINE_STEP_LIMIT;
  for (;;) {
    const call = callAt(t, t.guestEip);
    const o = call !== null ? await r.runTo(call, t.reg('esp')!) : r.stepInstruction();
    if (o.kind !== 'step') return o;
    const now = inlineDepth(programs, t.guestEip);
    if (now.fn !== start.fn || !now.calls.includes(start.calls[0])) return o;
    if (--budget <= 0 || r.pauseRequested) return o;
  }
}

/** If the instruction at addr is a CALL (or INT from ring 3), the address after it. */
function callAt(t: Target, addr: number): number | null {
  const bytes = t.read(addr, MAX_INSTR_LEN, false).map((b) => b ?? 0);
  const ins = new Instr(() => {});
  const n = decode(Uint8Array.from(bytes), 0, bytes.length, true, ins);
  if (n === NEED_MORE_BYTES) return null;
  const op = ins.opcode;
  const isCall = op === 0xe8 || op === 0x9a || (op === 0xff && (ins.reg === 2 || ins.reg === 3));
  const isInt = (op === 0xcd || op === 0xcc) && (t.reg('cs')! & 3) === 3;
  return isCall || isInt ? (addr + n) >>> 0 : null;
}

/** The current function's return address (0: none known). */
function returnAddress(t: Target, programs: Programs): number {
  const frames = backtrace(t, programs);
  return frames.length > 1 ? frames[1].eip : 0;
}

/** A frame of the Guest's call stack: its registers, and whether a trap interrupted it (its eip is then exact, not a return address). */
export interface StackEntry {
  eip: number;
  esp: number;
  ebp: number;
  trapped: boolean;
  /** Every register the unwinder found for the frame (the callee-saved ones of a caller: C variables live there). */
  regs: FrameRegisters;
}

/** The Guest's call stack: CFI where the program has it (trap frames included), else frame pointers. */
export function backtrace(t: Target, programs: Programs): StackEntry[] {
  const regs = {
    eip: t.guestEip, esp: t.reg('esp')!, ebp: t.reg('ebp')!, eax: t.reg('eax'), ebx: t.reg('ebx'), ecx: t.reg('ecx'),
    edx: t.reg('edx'), esi: t.reg('esi'), edi: t.reg('edi'),
  };
  const read32 = (a: number) => t.read32(a) ?? null;
  return programs.infoFor(regs.eip).backtrace(regs, read32, 64)
    .map((f) => ({ eip: f.regs.eip, esp: f.regs.esp, ebp: f.regs.ebp, trapped: f.trapped === true, regs: f.regs }));
}
