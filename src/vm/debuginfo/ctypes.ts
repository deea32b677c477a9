/**
 * C's types as the debugger needs them: what DWARF says a variable is
 * (dwarfTypes.ts builds these from DW_TAG_*_type entries), enough to lay a
 * value out in memory, print it, take its members and elements, and do C's
 * arithmetic on it. The i386 System V ABI fixes the sizes: int, long and
 * pointers are 4 bytes, long long 8, long double 12 (10 significant).
 *
 * A struct's members are read on first use (`members()`), so that a type
 * that points to itself, and a big kernel's many types, cost nothing until
 * someone looks.
 */

/** DW_ATE_*: how a base type's bits are read. */
export type BaseEncoding = 'signed' | 'unsigned' | 'signedChar' | 'unsignedChar' | 'bool' | 'float' | 'other';

export interface Member {
  /** Absent for an anonymous struct or union member (its members are reached through it). */
  name?: string;
  type: CType;
  /** Byte offset in the enclosing struct. */
  offset: number;
  /** A bitfield: its width, and its first bit counted from the least significant bit of the storage at `offset`. */
  bitSize?: number;
  bitOffset?: number;
}

export type CType =
  | { kind: 'void' }
  | { kind: 'base'; name: string; size: number; encoding: BaseEncoding }
  | { kind: 'pointer'; target: CType; size: number }
  | { kind: 'struct' | 'union'; name?: string; size: number; declaration: boolean; members(): Member[] }
  /** `count` undefined: an array of unknown bound (`int a[]`), or a flexible array member. */
  | { kind: 'array'; element: CType; count?: number }
  | { kind: 'enum'; name?: string; size: number; signed: boolean; values: { name: string; value: number }[] }
  | { kind: 'typedef'; name: string; target: CType }
  | { kind: 'qualified'; qualifier: 'const' | 'volatile' | 'restrict' | 'atomic'; target: CType }
  | { kind: 'function'; result: CType; params: CType[]; variadic: boolean };

export const VOID: CType = { kind: 'void' };
export const INT: CType = { kind: 'base', name: 'int', size: 4, encoding: 'signed' };
export const UINT: CType = { kind: 'base', name: 'unsigned int', size: 4, encoding: 'unsigned' };
export const CHAR: CType = { kind: 'base', name: 'char', size: 1, encoding: 'signedChar' };
export const LONG_LONG: CType = { kind: 'base', name: 'long long int', size: 8, encoding: 'signed' };
export const ULONG_LONG: CType = { kind: 'base', name: 'long long unsigned int', size: 8, encoding: 'unsigned' };

/** The type under typedefs and qualifiers: what the bits are. */
export function resolved(t: CType): CType {
  let u = t;
  for (let hops = 0; (u.kind === 'typedef' || u.kind === 'qualified') && hops < 64; hops++) u = u.target;
  return u;
}

/** Bytes a value of the type occupies; 0 for void, functions and arrays without a bound. */
export function sizeOf(t: CType): number {
  const u = resolved(t);
  switch (u.kind) {
    case 'void': case 'function': return 0;
    case 'array': return u.count === undefined ? 0 : u.count * sizeOf(u.element);
    case 'base': case 'pointer': case 'struct': case 'union': case 'enum': return u.size;
    default: return 0;
  }
}

export function pointerTo(t: CType): CType {
  return { kind: 'pointer', target: t, size: 4 };
}

export function isInteger(t: CType): boolean {
  const u = resolved(t);
  return (u.kind === 'base' && u.encoding !== 'float' && u.encoding !== 'other') || u.kind === 'enum';
}

export function isSigned(t: CType): boolean {
  const u = resolved(t);
  return u.kind === 'enum' ? u.signed : u.kind === 'base' && (u.encoding === 'signed' || u.encoding === 'signedChar');
}

export function isFloat(t: CType): boolean {
  const u = resolved(t);
  return u.kind === 'base' && u.encoding === 'float';
}

/** Pointers and arrays: what `*` and `[]` go through. */
export function pointee(t: CType): CType | undefined {
  const u = resolved(t);
  return u.kind === 'pointer' ? u.target : u.kind === 'array' ? u.element : undefined;
}

export function isScalar(t: CType): boolean {
  const u = resolved(t);
  return u.kind === 'base' || u.kind === 'pointer' || u.kind === 'enum';
}

/** A C string's element: char, signed char, unsigned char (through typedefs and const). */
export function isCharType(t: CType): boolean {
  const u = resolved(t);
  return u.kind === 'base' && u.size === 1 && (u.encoding === 'signedChar' || u.encoding === 'unsignedChar');
}

/**
 * A member by name, looking into anonymous structs and unions as C does;
 * its offset is from the start of the outer struct.
 */
export function findMember(t: CType, name: string): Member | undefined {
  const u = resolved(t);
  if (u.kind !== 'struct' && u.kind !== 'union') return undefined;
  for (const m of u.members()) {
    if (m.name === name) return m;
    if (m.name === undefined) {
      const inner = findMember(m.type, name);
      if (inner) return { ...inner, offset: m.offset + inner.offset };
    }
  }
  return undefined;
}

/** The type as C spells it: `struct trapframe *`, `char [16]`, `const char *`, `int (*)(int)`. */
export function typeName(t: CType): string {
  return declarator(t, '').trim();
}

/** A declaration as C writes it: `uint32_t tls[6]`, `const char *name`, `void (*handler)(int)`. */
export function declaration(t: CType, name: string): string {
  return declarator(t, name).replace(/\* /g, '*').trim();
}

/** C's inside-out declarator syntax: `inner` is what has been wrapped so far (a name, `*`, `(*)`...). */
function declarator(t: CType, inner: string): string {
  switch (t.kind) {
    case 'void': return join('void', inner);
    case 'base': return join(t.name, inner);
    case 'typedef': return join(t.name, inner);
    case 'struct': case 'union': return join(`${t.kind} ${t.name ?? '{...}'}`, inner);
    case 'enum': return join(`enum ${t.name ?? '{...}'}`, inner);
    case 'qualified': {
      // `const char *`: a qualifier on a named type goes in front; on a pointer, after the star.
      if (t.target.kind === 'pointer') return declarator(t.target, `${t.qualifier}${inner ? ' ' + inner : ''}`);
      // A qualified array is an array of qualified elements (C11 §6.7.3): say it once, on the element.
      if (t.target.kind === 'array') {
        const e = t.target.element;
        const element = e.kind === 'qualified' && e.qualifier === t.qualifier ? e : { ...t, target: e };
        return declarator({ ...t.target, element }, inner);
      }
      return `${t.qualifier} ${declarator(t.target, inner)}`;
    }
    case 'pointer': {
      const wrapped = `*${inner}`;
      const target = t.target;
      return declarator(target, target.kind === 'array' || target.kind === 'function' ? `(${wrapped})` : wrapped);
    }
    case 'array': return declarator(t.element, `${inner}[${t.count ?? ''}]`);
    case 'function': {
      const params = t.params.map(typeName);
      if (t.variadic) params.push('...');
      return declarator(t.result, `${inner}(${params.length ? params.join(', ') : 'void'})`);
    }
  }
}

function join(base: string, inner: string): string {
  return inner === '' ? base : `${base} ${inner}`;
}
