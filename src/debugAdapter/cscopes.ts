/**
 * The C scopes of a stack frame in the protocol's words: Arguments, Locals
 * (the blocks holding pc, innermost first) and Globals (those of the frame's
 * compilation unit), each variable with its value as gdb would print it, its
 * C type, its children (members, elements a page at a time, a pointer's
 * pointee) and the expression that names it, so "Add to Watch" and "Copy as
 * Expression" work. Every value can be set where C could assign it: the
 * setter evaluates the new text in the frame and assigns it as C's `=`.
 */
import { Scope } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { typeName, resolved, sizeOf } from '../vm/debuginfo/ctypes';
import type { CVariable } from '../vm/debuginfo/dwarfScopes';
import type { CFrame } from './cframe';
import { children, hasChildren, arrayLength, ELEMENT_PAGE } from './cchildren';
import { formatCValue } from './cformat';
import { setValue, toUint32, type CEnv } from './cexpr';
import { ValueError, type CValue } from './cvalue';
import type { Child } from './registers';
import type { Setter } from './fpuScope';

const address = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

/** A variable of a Variables reference as a data breakpoint can watch it (dataBreakpointInfo), or why not. */
export type Watcher = (name: string) => { dataId: string; description: string } | { error: string };

/** The address a pointer holds, or undefined where it cannot be read. */
function pointerValue(v: CValue, env: CEnv): number | undefined {
  try {
    return toUint32(v, env);
  } catch (e) {
    if (e instanceof ValueError) return undefined;
    throw e;
  }
}

/** The object a value is, for a data breakpoint: its address and size (4 KiB at most), if it is in memory. */
function watchOf(name: string, v: CValue | undefined): ReturnType<Watcher> {
  if (v === undefined) return { error: `no variable ${name} here` };
  if (v.place.kind !== 'memory' || v.bitSize !== undefined) {
    const where = v.place.kind === 'register' ? `in ${v.place.name}` : v.place.kind === 'unavailable' ? v.place.why : v.bitSize !== undefined ? 'a bitfield' : 'a computed value';
    return { error: `${name} is not in memory by itself (${where}): it cannot be watched` };
  }
  const size = Math.max(1, Math.min(4096, sizeOf(v.type)));
  return { dataId: `${address(v.place.addr)}/${size}`, description: `writes to ${name} (${size} bytes at ${address(v.place.addr)})` };
}

export class CScopes {
  private readonly env: CEnv;

  constructor(
    private readonly frame: CFrame,
    /** Which level of the frame (0: its innermost inlined call or the function itself). */
    private readonly level: number,
    private readonly ref: (c: Child, set?: Setter, watch?: Watcher) => number,
    symbolize: (addr: number) => string | undefined,
    /** VS Code's hex toggle, as the request being answered asks. */
    private readonly hex: () => boolean = () => false,
  ) {
    this.env = { ...frame.env(level), symbolize };
  }

  /** Arguments, Locals and Globals, those that have something to show. */
  scopes(): DebugProtocol.Scope[] {
    const l = this.frame.levels[this.level];
    const out: DebugProtocol.Scope[] = [];
    if (l !== undefined) {
      out.push(this.scope('Arguments', l.params, 'arguments'));
      out.push(this.scope('Locals', l.locals, 'locals'));
    }
    const unit = this.frame.scope?.unit;
    const dw = this.frame.dwarf;
    if (unit !== undefined && dw !== null) {
      const globals = dw.unitGlobals(unit);
      if (globals.length > 0) out.push(this.scope('Globals', globals, undefined, true));
    }
    return out;
  }

  private scope(name: string, vars: CVariable[], hint?: 'arguments' | 'locals', expensive = false): DebugProtocol.Scope {
    const values = () => vars.map((v) => ({ name: v.name, value: this.frame.value(v) }));
    // Setting a variable by its name in this scope: its value now, assigned in the frame.
    const set: Setter = (n, text) => {
      const v = vars.find((x) => x.name === n);
      return v === undefined ? { error: `no variable ${n} here` } : this.assign(this.frame.value(v), text);
    };
    const watch: Watcher = (n) => watchOf(n, values().find((x) => x.name === n)?.value);
    const s = new Scope(name, this.ref(() => values().map(({ name: n, value }) => this.variable(n, value, n)), set, watch), expensive) as DebugProtocol.Scope;
    if (hint) s.presentationHint = hint;
    return s;
  }

  /** One value as a protocol variable; its children (if any) under a handle of their own. */
  variable(name: string, value: CValue, evaluateName?: string): DebugProtocol.Variable {
    const out: DebugProtocol.Variable = {
      name,
      value: formatCValue(value, this.env, { hex: this.hex() }),
      type: typeName(value.type),
      variablesReference: 0,
      evaluateName,
    };
    // As the protocol has it: a pointer's memory is what it points to; any other value's, where it is.
    const target = resolved(value.type).kind === 'pointer' ? pointerValue(value, this.env) : undefined;
    if (target !== undefined) out.memoryReference = address(target);
    else if (value.place.kind === 'memory') out.memoryReference = address(value.place.addr);
    if (hasChildren(value, this.env)) {
      const kids = (start?: number, count?: number) => children(value, this.env, { evaluateName, start, count });
      const set: Setter = (n, text) => {
        const child = kids().find((c) => c.name === n) ?? kids(0, arrayLength(value) ?? ELEMENT_PAGE).find((c) => c.name === n);
        return child === undefined ? { error: `no member ${n}` } : this.assign(child.value, text);
      };
      const watch: Watcher = (n) => watchOf(n, (kids().find((c) => c.name === n) ?? kids(0, arrayLength(value) ?? ELEMENT_PAGE).find((c) => c.name === n))?.value);
      out.variablesReference = this.ref((start, count) => kids(start, count).map((c) => this.variable(c.name, c.value, c.evaluateName)), set, watch);
      const u = resolved(value.type);
      if (u.kind === 'array') out.indexedVariables = arrayLength(value);
    }
    return out;
  }

  private assign(target: CValue, text: string): { value: string } | { error: string } {
    const r = setValue(target, text, this.env);
    if ('error' in r) return r;
    return { value: formatCValue(r.value, this.env, { hex: this.hex() }) };
  }
}
