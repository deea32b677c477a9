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
import { typeName, resolved } from '../vm/debuginfo/ctypes';
import type { CVariable } from '../vm/debuginfo/dwarfScopes';
import type { CFrame } from './cframe';
import { children, hasChildren, arrayLength, ELEMENT_PAGE } from './cchildren';
import { formatCValue } from './cformat';
import { setValue, type CEnv } from './cexpr';
import type { CValue } from './cvalue';
import type { Child } from './registers';
import type { Setter } from './fpuScope';

const address = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

export class CScopes {
  private readonly env: CEnv;

  constructor(
    private readonly frame: CFrame,
    /** Which level of the frame (0: its innermost inlined call or the function itself). */
    private readonly level: number,
    private readonly ref: (c: Child, set?: Setter) => number,
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
    const s = new Scope(name, this.ref(() => values().map(({ name: n, value }) => this.variable(n, value, n)), set), expensive) as DebugProtocol.Scope;
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
    if (value.place.kind === 'memory') out.memoryReference = address(value.place.addr);
    if (hasChildren(value, this.env)) {
      const kids = (start?: number, count?: number) => children(value, this.env, { evaluateName, start, count });
      const set: Setter = (n, text) => {
        const child = kids().find((c) => c.name === n) ?? kids(0, arrayLength(value) ?? ELEMENT_PAGE).find((c) => c.name === n);
        return child === undefined ? { error: `no member ${n}` } : this.assign(child.value, text);
      };
      out.variablesReference = this.ref((start, count) => kids(start, count).map((c) => this.variable(c.name, c.value, c.evaluateName)), set);
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
