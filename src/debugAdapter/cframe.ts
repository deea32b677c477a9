/**
 * One stack frame at the C level: the scopes DWARF gives its pc, and the
 * environment C expressions and the Variables view evaluate in there. The
 * frame's registers are those the unwinder found for it (all of them in the
 * innermost frame; in a caller, the ones its CFI restores: a variable kept in
 * a register the callee clobbered is unavailable, as gdb says); its CFA is
 * what DW_OP_call_frame_cfa means, from the CFI row at its pc.
 *
 * Names resolve as the issue asks: the innermost scope's parameters and
 * locals (a local hides a global and a register of the same name), then the
 * unit's globals and the program's, then registers and ELF symbols (the
 * untyped language of expression.ts); `$eax` is always the register.
 */
import type { CType } from '../vm/debuginfo/ctypes';
import type { DebugInfo, FrameRegisters } from '../vm/debuginfo/debugInfo';
import type { ExprContext } from '../vm/debuginfo/dwarfExpr';
import { evaluate as evaluateDwarf } from '../vm/debuginfo/dwarfExpr';
import type { Where } from '../vm/debuginfo/dwarfLocation';
import type { CVariable, DwarfScopes, Scope } from '../vm/debuginfo/dwarfScopes';
import type { EvalEnv } from './expression';
import type { CEnv } from './cexpr';
import type { CValue, Place } from './cvalue';
import type { Target } from './runtime/target';

/** The i386's DWARF register numbers (System V psABI), as the adapter names them. */
const DWARF_REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip'] as const;

export interface FrameAt {
  /** The frame's registers as unwound (only eip, esp and ebp are always known). */
  regs: FrameRegisters;
  /** The innermost frame: every register is the CPU's, and registers can be written. */
  innermost: boolean;
  /** Where to look its scope up: eip for the innermost frame and one a trap interrupted; eip - 1 for a caller's. */
  pc: number;
}

export class CFrame {
  readonly dwarf: DwarfScopes | null;
  readonly scope: Scope | undefined;

  constructor(private readonly target: Target, readonly info: DebugInfo, readonly frame: FrameAt, private readonly base: EvalEnv) {
    this.dwarf = info.dwarf;
    this.scope = this.dwarf?.scopeAt(frame.pc);
  }

  /** A register of this frame, by name; undefined when the unwinder could not restore it. */
  register(name: string): number | undefined {
    if (this.frame.innermost) return this.base.register(name);
    const n = name.toLowerCase();
    if ((DWARF_REGS as readonly string[]).includes(n)) return (this.frame.regs as unknown as Record<string, number | undefined>)[n];
    return undefined;
  }

  /** What the DWARF expressions of this frame read: its registers by number, memory, its CFA and frame base. */
  private exprContext(): ExprContext {
    const reg = (n: number) => {
      const name = DWARF_REGS[n];
      return name === undefined ? undefined : this.register(name);
    };
    const read32 = (a: number) => this.target.read32(a >>> 0) ?? null;
    const ctx: ExprContext = { reg, read32, cfa: () => this.cfa(reg, read32) };
    const fn = this.scope?.function;
    if (fn !== undefined && this.dwarf !== null) ctx.frameBase = () => this.dwarf!.frameBase(fn, this.frame.pc, ctx);
    return ctx;
  }

  private cfa(reg: (n: number) => number | undefined, read32: (a: number) => number | null): number | undefined {
    const row = this.info.cfiRowAt(this.frame.pc);
    if (row === null) return undefined;
    if (row.cfa.type === 'register') {
      const b = reg(row.cfa.register);
      return b === undefined ? undefined : (b + row.cfa.offset) >>> 0;
    }
    return evaluateDwarf(row.cfa.expr, { reg, read32 }) ?? undefined;
  }

  /** The levels of the scope (innermost first): inlined calls, then the function. */
  get levels(): Scope['levels'] {
    return this.scope?.levels ?? [];
  }

  /** A variable's value in this frame. */
  value(v: CVariable): CValue {
    const where = this.dwarf!.locate(v, this.frame.pc, this.exprContext());
    return { type: v.type, place: this.place(where, v.type) };
  }

  private place(w: Where, type: CType): Place {
    switch (w.kind) {
      case 'memory': return { kind: 'memory', addr: w.addr };
      case 'value': return { kind: 'value', bytes: w.bytes };
      case 'unavailable': return { kind: 'unavailable', why: w.why };
      case 'register': {
        const name = DWARF_REGS[w.reg];
        if (name === undefined) return { kind: 'unavailable', why: `in DWARF register ${w.reg}` };
        if (this.register(name) === undefined) return { kind: 'unavailable', why: `in ${name}, not saved by the callee` };
        // A caller's register is read, not written: its value lives in the callee's save slot or nowhere.
        return this.frame.innermost ? { kind: 'register', name } : { kind: 'value', bytes: le32(this.register(name)!) };
      }
      case 'pieces': {
        // A value in pieces (a long long in two registers): gathered now, shown but not written.
        const out: number[] = [];
        for (const p of w.pieces) {
          const part = this.place(p.where, type);
          const bytes = this.bytesOf(part, p.size);
          if (bytes === undefined) return { kind: 'unavailable', why: part.kind === 'unavailable' ? part.why : 'a piece cannot be read' };
          out.push(...bytes);
        }
        return { kind: 'value', bytes: Uint8Array.from(out) };
      }
    }
  }

  private bytesOf(p: Place, n: number): Uint8Array | undefined {
    switch (p.kind) {
      case 'memory': return this.readBytes(p.addr, n);
      case 'register': return le32(this.register(p.name) ?? 0).subarray(0, n);
      case 'value': return p.bytes.subarray(0, n);
      case 'unavailable': return undefined;
    }
  }

  readBytes(addr: number, n: number): Uint8Array | undefined {
    const b = this.target.read(addr >>> 0, n, false);
    if (b.some((x) => x === null)) return undefined;
    return Uint8Array.from(b as number[]);
  }

  /** A C name: the innermost level's parameters and locals first, then the unit's globals and the program's. */
  variable(name: string, level = 0): CValue | undefined {
    const l = this.levels[level];
    const local = l && [...l.locals, ...l.params].find((v) => v.name === name);
    if (local !== undefined) return this.value(local);
    const g = this.dwarf?.global(name, this.scope?.unit);
    return g === undefined ? undefined : this.value(g);
  }

  /** The environment expressions evaluate in, at one level of this frame (0: its innermost). */
  env(level = 0): CEnv {
    const t = this.target;
    return {
      ...this.base,
      register: (n) => this.register(n),
      variable: (n) => this.variable(n, level),
      type: (n) => this.dwarf?.type(n, this.scope?.unit),
      readBytes: (a, n) => this.readBytes(a, n),
      writeBytes: (a, bytes) => t.write(a >>> 0, bytes, false, false).refused === null,
      writeRegister: (n, v) => this.frame.innermost && t.setReg(n, v),
    };
  }
}

function le32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}
