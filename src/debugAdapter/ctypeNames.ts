/**
 * Type names as a cast or sizeof writes them (`unsigned long`, `struct
 * trapframe`, `const char`, `uint32_t`) turned into CTypes: the program's own
 * (DWARF's, through the environment) first, so a cast shows the program's
 * names; then the built-in ones, so `(u32)`, `(uint16_t *)` and
 * `(unsigned char)` work without debug information, as they always have.
 */
import type { BaseEncoding, CType } from '../vm/debuginfo/ctypes';

/** The environment's types by the name C writes: 'struct trapframe', 'uint32_t', 'unsigned int'. */
export interface TypeEnv {
  type(name: string): CType | undefined;
}

const QUALIFIERS = new Set(['const', 'volatile', 'restrict', '_Atomic']);
const BASE_WORDS = new Set(['void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool']);
const TAGS = new Set(['struct', 'union', 'enum']);

/** Words that can only begin a type name: what tells `(unsigned)x` from `(x)`. */
export function isTypeKeyword(word: string): boolean {
  return QUALIFIERS.has(word) || BASE_WORDS.has(word) || TAGS.has(word);
}
export const isQualifier = (word: string): boolean => QUALIFIERS.has(word);

const base = (name: string, size: number, encoding: BaseEncoding): CType => ({ kind: 'base', name, size, encoding });

/** The base types by the names GCC gives them in DWARF, with the i386 System V sizes. */
const BASES: Record<string, CType> = Object.fromEntries([
  base('char', 1, 'signedChar'), base('signed char', 1, 'signedChar'), base('unsigned char', 1, 'unsignedChar'),
  base('short int', 2, 'signed'), base('short unsigned int', 2, 'unsigned'),
  base('int', 4, 'signed'), base('unsigned int', 4, 'unsigned'),
  base('long int', 4, 'signed'), base('long unsigned int', 4, 'unsigned'),
  base('long long int', 8, 'signed'), base('long long unsigned int', 8, 'unsigned'),
  base('_Bool', 1, 'bool'), base('float', 4, 'float'), base('double', 8, 'float'), base('long double', 12, 'float'),
].map((t) => [(t as { name: string }).name, t]));

const typedef = (name: string, target: string): [string, CType] => [name, { kind: 'typedef', name, target: BASES[target] }];

/** The kernel's and stdint's fixed-size names, for programs without debug information. */
const TYPEDEFS: Record<string, CType> = Object.fromEntries([
  typedef('u8', 'unsigned char'), typedef('u16', 'short unsigned int'), typedef('u32', 'unsigned int'),
  typedef('u64', 'long long unsigned int'), typedef('s8', 'signed char'), typedef('s16', 'short int'),
  typedef('s32', 'int'), typedef('s64', 'long long int'),
  typedef('uint8_t', 'unsigned char'), typedef('uint16_t', 'short unsigned int'), typedef('uint32_t', 'unsigned int'),
  typedef('uint64_t', 'long long unsigned int'), typedef('int8_t', 'signed char'), typedef('int16_t', 'short int'),
  typedef('int32_t', 'int'), typedef('int64_t', 'long long int'), typedef('size_t', 'unsigned int'),
  typedef('uintptr_t', 'unsigned int'), typedef('bool', '_Bool'),
]);

export const VOID_TYPE: CType = { kind: 'void' };
/** int and unsigned int as the debugger's own results use them (comparisons, sizeof). */
export const INT_TYPE = BASES['int'];
export const UINT_TYPE = BASES['unsigned int'];
export const LONG_LONG_TYPE = BASES['long long int'];
export const ULONG_LONG_TYPE = BASES['long long unsigned int'];
export const DOUBLE_TYPE = BASES['double'];

/**
 * The words of a base type in any order C allows (`long unsigned`,
 * `unsigned`, `signed short int`) as GCC's DWARF name, or undefined if they
 * are no base type.
 */
export function baseTypeName(words: string[]): string | undefined {
  const count = (w: string) => words.filter((x) => x === w).length;
  const longs = count('long'), unsigned = count('unsigned') > 0, signed = count('signed') > 0;
  if (words.some((w) => !BASE_WORDS.has(w)) || (unsigned && signed) || longs > 2) return undefined;
  if (words.includes('void')) return words.length === 1 ? 'void' : undefined;
  if (words.includes('_Bool')) return words.length === 1 ? '_Bool' : undefined;
  if (words.includes('float')) return words.length === 1 ? 'float' : undefined;
  if (words.includes('double')) {
    return words.length === 1 ? 'double' : words.length === 2 && longs === 1 ? 'long double' : undefined;
  }
  if (words.includes('char')) {
    if (words.length !== 1 + (unsigned || signed ? 1 : 0)) return undefined;
    return unsigned ? 'unsigned char' : signed ? 'signed char' : 'char';
  }
  const short = count('short');
  if (short > 1 || (short && longs) || count('int') > 1) return undefined;
  const u = unsigned ? ' unsigned' : '';
  if (short) return `short${u} int`;
  if (longs === 2) return `long long${u} int`;
  if (longs === 1) return `long${u} int`;
  return unsigned ? 'unsigned int' : 'int';
}

/**
 * A type name's words to a CType: `struct x` / `union x` / `enum x` by tag,
 * base types, typedef names, with their qualifiers. Undefined if nothing has
 * that name.
 */
export function lookupTypeName(words: string[], env: TypeEnv): CType | undefined {
  const t = unqualified(words.filter((x) => !QUALIFIERS.has(x)), env);
  // `const char` stays const, for the type shown; the debugger writes through it as through any other.
  return words.filter((x) => QUALIFIERS.has(x)).reduce<CType | undefined>((q, x) => q && {
    kind: 'qualified', qualifier: x === '_Atomic' ? 'atomic' : x as 'const' | 'volatile' | 'restrict', target: q,
  }, t);
}

function unqualified(w: string[], env: TypeEnv): CType | undefined {
  if (w.length === 0) return undefined;
  if (TAGS.has(w[0])) return w.length === 2 ? env.type(`${w[0]} ${w[1]}`) : undefined;
  const baseName = baseTypeName(w);
  if (baseName === 'void') return env.type('void') ?? VOID_TYPE;
  if (baseName !== undefined) return env.type(baseName) ?? BASES[baseName];
  return w.length === 1 ? env.type(w[0]) ?? TYPEDEFS[w[0]] : undefined;
}

/** Whether a lone identifier names a type, for the parser's `(name)`: a typedef of the program or a built-in one. */
export function isTypedefName(name: string, env: TypeEnv): boolean {
  return env.type(name) !== undefined || name in TYPEDEFS;
}
