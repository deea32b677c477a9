/**
 * A C value's children in VS Code's Variables tree, each with the expression
 * that names it (`evaluateName`, for "Add to Watch" and "Copy as
 * Expression"): a struct's or union's members (an anonymous member's own
 * members in its place, as C names them), an array's elements a page at a
 * time, and for a pointer what C debuggers show: a pointer to a struct or
 * union expands straight to the pointee's members (`tf->eax`), as gdb's
 * variable objects do for cppdbg and cortex-debug; any other pointer to one
 * child, `*p`. void and function pointers, and null ones, have none.
 */
import { type CType, resolved, sizeOf } from '../vm/debuginfo/ctypes';
import { type CValue, type ValueEnv, ValueError, isUntyped, readInteger, memberOf, elementOf } from './cvalue';
import { flatMembers } from './cformat';

export interface CChild {
  /** As the tree shows it: `pid`, `[3]`, `*p`. */
  name: string;
  value: CValue;
  /** The expression for the child, when its parent's was given. */
  evaluateName?: string;
}

/** Elements of an array given at once when the caller asks for no particular page. */
export const ELEMENT_PAGE = 100;

/** What to expand: `evaluateName` is the parent's expression; start and count page through an array. */
export interface ChildOptions { evaluateName?: string; start?: number; count?: number }

/** Whether the value has children to show (a null pointer has none: nothing to read there). */
export function hasChildren(v: CValue, env: ValueEnv): boolean {
  if (isUntyped(v)) return false;
  const u = resolved(v.type);
  if (u.kind === 'struct' || u.kind === 'union') return flatMembers(u).length > 0;
  if (u.kind === 'array') return (u.count ?? 0) > 0 && sizeOf(u.element) > 0;
  if (u.kind !== 'pointer' || !expandable(u.target)) return false;
  try {
    return readInteger(v, env) !== 0n;
  } catch (e) {
    if (e instanceof ValueError) return false;
    throw e;
  }
}

/** An array's length, for VS Code's indexedVariables (it then asks for pages of it). */
export function arrayLength(v: CValue): number | undefined {
  const u = resolved(v.type);
  return u.kind === 'array' && !isUntyped(v) ? u.count : undefined;
}

const expandable = (t: CType) => !['void', 'function'].includes(resolved(t).kind);

export function children(v: CValue, env: ValueEnv, opts: ChildOptions = {}): CChild[] {
  if (!hasChildren(v, env)) return [];
  const parent = opts.evaluateName;
  const u = resolved(v.type);
  if (u.kind === 'struct' || u.kind === 'union') {
    return flatMembers(u).map((m) => ({ name: m.name, value: memberOf(v, m, env), evaluateName: parent && `${postfix(parent)}.${m.name}` }));
  }
  if (u.kind === 'array') {
    const count = u.count ?? 0;
    const start = Math.max(0, Math.min(opts.start ?? 0, count));
    const end = Math.min(count, start + (opts.count ?? ELEMENT_PAGE));
    const out: CChild[] = [];
    for (let i = start; i < end; i++) {
      out.push({ name: `[${i}]`, value: elementOf(v, u.element, i, env), evaluateName: parent && `${postfix(parent)}[${i}]` });
    }
    return out;
  }
  if (u.kind !== 'pointer') return [];
  const target: CValue = { type: u.target, place: { kind: 'memory', addr: Number(readInteger(v, env)) } };
  const t = resolved(u.target);
  if (t.kind === 'struct' || t.kind === 'union') {
    return flatMembers(t).map((m) => ({ name: m.name, value: memberOf(target, m, env), evaluateName: parent && `${postfix(parent)}->${m.name}` }));
  }
  return [{ name: parent ? `*${parent}` : '*', value: target, evaluateName: parent && `*${postfix(parent)}` }];
}

/** The parent's expression as an operand of a postfix operator: bracketed unless it is already a name or a postfix chain. */
function postfix(e: string): string {
  return /^\$?[A-Za-z_][\w]*((\.|->)[A-Za-z_]\w*|\[\d+\])*$/.test(e) ? e : `(${e})`;
}
