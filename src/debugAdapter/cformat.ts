/**
 * A C value in words, as gdb prints it: integers in decimal (hex when VS Code
 * asks for its "hex" format), `65 'A'` for a char, enums by name, pointers in
 * hex with the symbol they point into, strings for `char *` and char arrays,
 * and one-line previews of arrays and structs; what cannot be read says why
 * in angle brackets. Everything is bounded: a string by STRING_LIMIT
 * characters, a preview by PREVIEW_LIMIT, so a corrupt pointer or a huge
 * array never makes a huge answer. The Variables tree's children are
 * cchildren.ts's.
 */
import { type CType, resolved, sizeOf, isCharType, typeName } from '../vm/debuginfo/ctypes';
import {
  type CValue, type ValueEnv, ValueError, isUntyped, bytesOf, readInteger, readFloat, f80Of, memberOf, elementOf,
} from './cvalue';
import { f80Text } from './float80Text';
import { formatValue } from './expression';

export interface FormatEnv extends ValueEnv {
  /** An address as `procs+64`, or undefined where no symbol is near. */
  symbolize?(addr: number): string | undefined;
}

export interface FormatOptions {
  /** VS Code's "hex" format: integers in hex. */
  hex?: boolean;
}

/** Characters of a string shown before `...`. */
export const STRING_LIMIT = 200;
/** Characters of an array's or struct's one-line preview before `...`. */
export const PREVIEW_LIMIT = 100;

const hex = (v: number | bigint) => '0x' + v.toString(16);

/** The value's text for the Variables view, a watch or a hover. */
export function formatCValue(v: CValue, env: FormatEnv, opts: FormatOptions = {}): string {
  return text(v, env, opts, 0);
}

/** The text, or why there is none: `<optimized out>`, `<cannot read memory at 0x...>`. */
function text(v: CValue, env: FormatEnv, opts: FormatOptions, depth: number): string {
  const p = v.place;
  if (p.kind === 'unavailable') return p.why === 'optimized out' ? '<optimized out>' : `<unavailable: ${p.why}>`;
  try {
    return shown(v, env, opts, depth);
  } catch (e) {
    if (!(e instanceof ValueError)) throw e;
    return p.kind === 'memory' && e.message.startsWith('nothing mapped') ? `<cannot read memory at ${hex(p.addr >>> 0)}>` : `<${e.message}>`;
  }
}

function shown(v: CValue, env: FormatEnv, opts: FormatOptions, depth: number): string {
  if (isUntyped(v)) {
    // As the adapter has always shown a word: hex, decimal, and the symbol it points into.
    const n = Number(readInteger(v, env));
    const sym = env.symbolize?.(n);
    return `${formatValue(n)} (${n}${sym ? `, ${sym}` : ''})`;
  }
  const u = resolved(v.type);
  switch (u.kind) {
    case 'void': return 'void';
    case 'base': return base(v, u, env, opts);
    case 'enum': return enumText(readInteger(v, env), u.values, opts);
    case 'pointer': return pointer(v, u.target, env);
    case 'function': {
      const addr = v.place.kind === 'memory' ? v.place.addr : 0;
      return `{${typeName(v.type)}} ${withSymbol(addr, env)}`;
    }
    case 'array': {
      if (isCharType(u.element) && u.count !== undefined) return quoted(bytesOf(v, env), true);
      if (depth > 0) return '{...}';
      const items: string[] = [];
      for (let i = 0; i < (u.count ?? 0) && fits(items); i++) items.push(text(elementOf(v, u.element, i, env), env, opts, 1));
      return `{${items.join(', ')}${items.length < (u.count ?? 0) ? '...' : ''}}`;
    }
    case 'struct': case 'union': {
      if (depth > 0) return '{...}';
      const members = flatMembers(u);
      const items: string[] = [];
      for (const m of members) {
        if (!fits(items)) { items.push('...'); break; }
        items.push(`${m.name} = ${text(memberOf(v, m, env), env, opts, 1)}`);
      }
      return `{${items.join(', ')}}`;
    }
    default: return `<${typeName(v.type)}>`;
  }
}

/** Room for one more item in a preview. */
const fits = (items: string[]) => items.reduce((n, s) => n + s.length + 2, 0) < PREVIEW_LIMIT;

/** A struct's members, an anonymous struct's or union's members in its place (C reaches them by their own names). */
export function flatMembers(u: CType): { name: string; type: CType; offset: number; bitSize?: number; bitOffset?: number }[] {
  const r = resolved(u);
  if (r.kind !== 'struct' && r.kind !== 'union') return [];
  return r.members().flatMap((m) => m.name !== undefined
    ? [{ ...m, name: m.name }]
    : flatMembers(m.type).map((inner) => ({ ...inner, offset: m.offset + inner.offset })));
}

function base(v: CValue, u: CType & { kind: 'base' }, env: FormatEnv, opts: FormatOptions): string {
  if (u.encoding === 'float') return floatText(v, env);
  const n = readInteger(v, env);
  if (u.encoding === 'bool') return n === 0n ? 'false' : n === 1n ? 'true' : String(n);
  const bits = v.bitSize ?? sizeOf(u) * 8;
  const number = opts.hex ? hex(BigInt.asUintN(bits, n)) : String(n);
  if (opts.hex || v.bitSize !== undefined || !isCharType(u)) return number;
  return `${number} '${charEscape(Number(BigInt.asUintN(8, n)), "'")}'`;
}

function floatText(v: CValue, env: FormatEnv): string {
  const size = sizeOf(v.type);
  if (size >= 10) return f80Text(f80Of(bytesOf(v, env))).replace(/^\+inf$/, 'inf');
  const x = readFloat(v, env);
  if (Number.isNaN(x)) return bytesOf(v, env)[size - 1] & 0x80 ? '-nan' : 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (size !== 4) return Object.is(x, -0) ? '-0' : String(x);
  // The fewest digits that read back as the same float, as a double's String() does for doubles.
  for (let p = 1; p <= 9; p++) {
    const t = Number(x.toPrecision(p));
    if (Math.fround(t) === x) return Object.is(x, -0) ? '-0' : String(t);
  }
  return String(x);
}

/**
 * An enum's value by name; a flag enum's (every enumerator a distinct set of
 * bits) as `(A | B)`, with `unknown: 0x8` for bits no enumerator has; any
 * other value that no enumerator has, as its number (gdb's rules).
 */
function enumText(n: bigint, values: { name: string; value: number }[], opts: FormatOptions): string {
  if (opts.hex) return hex(BigInt.asUintN(32, n));
  const exact = values.find((e) => BigInt(e.value) === n);
  if (exact) return exact.name;
  const isFlags = values.length > 0 && values.every((e, i) => e.value > 0 && values.every((f, j) => i === j || (e.value & f.value) === 0));
  if (!isFlags || n <= 0n) return String(n);
  let rest = n;
  const names: string[] = [];
  for (const e of values) {
    if ((rest & BigInt(e.value)) === BigInt(e.value)) { names.push(e.name); rest &= ~BigInt(e.value); }
  }
  if (rest !== 0n) names.push(`unknown: ${hex(rest)}`);
  return `(${names.join(' | ')})`;
}

function pointer(v: CValue, target: CType, env: FormatEnv): string {
  const addr = Number(readInteger(v, env));
  if (isCharType(target) && addr !== 0) return `${hex(addr)} ${cString(addr, env)}`;
  return withSymbol(addr, env);
}

function withSymbol(addr: number, env: FormatEnv): string {
  const sym = addr === 0 ? undefined : env.symbolize?.(addr);
  return sym ? `${hex(addr)} <${sym}>` : hex(addr);
}

/** The C string at addr, read a page at a time (a string may end just before an unmapped page). */
function cString(addr: number, env: FormatEnv): string {
  const out: number[] = [];
  let at = addr;
  while (out.length <= STRING_LIMIT) {
    const n = Math.min(STRING_LIMIT + 1 - out.length, 0x1000 - (at & 0xfff));
    const b = env.readBytes(at >>> 0, n);
    if (b === undefined) {
      return out.length === 0 ? `<cannot read memory at ${hex(at >>> 0)}>` : `${quoted(Uint8Array.from(out), false)}... <cannot read memory at ${hex(at >>> 0)}>`;
    }
    const nul = b.indexOf(0);
    if (nul >= 0) return quoted(Uint8Array.from([...out, ...b.subarray(0, nul)]), false);
    out.push(...b);
    at += n;
  }
  return quoted(Uint8Array.from(out), false);
}

/** Bytes as a C string literal: up to the first NUL if `toNul`, bounded, with `...` after what is cut. */
function quoted(bytes: Uint8Array, toNul: boolean): string {
  const nul = toNul ? bytes.indexOf(0) : -1;
  const b = nul >= 0 ? bytes.subarray(0, nul) : bytes;
  const shownBytes = b.subarray(0, STRING_LIMIT);
  const body = Array.from(shownBytes, (c) => charEscape(c, '"')).join('');
  return `"${body}"${b.length > STRING_LIMIT ? '...' : ''}`;
}

const NAMED: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 27: '\\033', 92: '\\\\' };

/** One byte as C writes it between the given quotes: printable ASCII as itself, the rest as escapes, octal as gdb does. */
export function charEscape(c: number, quote: '"' | "'"): string {
  if (NAMED[c] !== undefined) return NAMED[c];
  if (c === quote.charCodeAt(0)) return `\\${quote}`;
  if (c >= 0x20 && c < 0x7f) return String.fromCharCode(c);
  return '\\' + c.toString(8).padStart(3, '0');
}
