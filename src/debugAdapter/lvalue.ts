/**
 * What the breakpoints make of an expression in C: a data breakpoint watches
 * the object an lvalue names (`stat_ticks` is the variable, watched at its
 * address, as gdb's `watch stat_ticks` does), while an untyped value (a
 * number, a symbol without debug information, a register) is the address
 * itself, as before; a logpoint prints a C value as the Variables view does.
 */
import { sizeOf } from '../vm/debuginfo/ctypes';
import { evaluateTyped, asCEnv, toUint32 } from './cexpr';
import { formatCValue } from './cformat';
import { isUntyped, ValueError } from './cvalue';
import { formatValue as hex, type EvalEnv } from './expression';

/** The address and size an expression names for watching, or why it names none. */
export function watchedObject(expr: string, env: EvalEnv): { address: number; size: number } | { error: string } {
  const cenv = asCEnv(env);
  const r = evaluateTyped(expr, cenv);
  if ('error' in r) return r;
  const v = r.value;
  if (isUntyped(v)) return guarded(() => ({ address: toUint32(v, cenv), size: 4 }));
  if (v.place.kind !== 'memory') {
    const where = v.place.kind === 'register' ? `in ${v.place.name}` : v.place.kind === 'unavailable' ? v.place.why : 'a computed value';
    return { error: `${expr} is not in memory (${where}): only memory can be watched` };
  }
  return { address: v.place.addr >>> 0, size: sizeOf(v.type) };
}

/** A logpoint's `{expr}`: a C value as gdb prints it, an untyped one in hex; an error between angle brackets. */
export function logText(expr: string, env: EvalEnv): string {
  const cenv = asCEnv(env);
  const r = evaluateTyped(expr, cenv);
  if ('error' in r) return `<${r.error}>`;
  const v = r.value;
  if (!isUntyped(v)) return formatCValue(v, cenv);
  const n = guarded(() => ({ value: toUint32(v, cenv) }));
  return 'error' in n ? `<${n.error}>` : hex(n.value);
}

function guarded<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (e) {
    if (e instanceof ValueError) return { error: e.message };
    throw e;
  }
}
