/**
 * C's arithmetic on the i386: integer promotions, the usual arithmetic
 * conversions, conversions between arithmetic types, and the operators on
 * numbers (pointers are cexpr.ts's). Integers are computed exactly as BigInt
 * and wrapped to their type's width, so `0xffffffffu + 1` is 0 and long long
 * has all 64 bits; floats as doubles (float rounded back to single).
 *
 * Untyped values (numbers, registers, symbols) keep the old language's
 * meaning: among themselves, unsigned 32-bit. Next to a typed value a plain
 * number reads as an int, or as an unsigned int when the typed side is
 * unsigned after promotion, so that `i < -1` and `i == -1` mean what they do
 * in C for an int i, and `u > 0xfffffff0` for an unsigned u.
 */
import { type CType, resolved, sizeOf, isSigned, isFloat, isInteger } from '../vm/debuginfo/ctypes';
import { type CValue, type Scalar, type ValueEnv, ValueError, UNTYPED, isUntyped, readScalar, scalarValue } from './cvalue';
import { INT_TYPE, UINT_TYPE, LONG_LONG_TYPE, ULONG_LONG_TYPE, DOUBLE_TYPE } from './ctypeNames';

export const isArithmetic = (t: CType): boolean => isInteger(t) || isFloat(t);

/** Wraps an integer to the width and signedness of an integer (or pointer) type, as a conversion to it does. */
export function wrap(t: CType, v: bigint): bigint {
  const bits = sizeOf(t) * 8;
  const u = resolved(t);
  if (u.kind === 'base' && u.encoding === 'bool') return v !== 0n ? 1n : 0n;
  return isSigned(t) ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

/** A number converted to type `to` (integer, enum, float, pointer), as C's casts and assignments do. */
export function convert(s: Scalar, to: CType): Scalar {
  if (isFloat(to)) return sizeOf(to) === 4 ? Math.fround(Number(s)) : Number(s);
  if (typeof s === 'number') {
    if (!Number.isFinite(s)) throw new ValueError(`${s} cannot be converted to an integer`);
    const u = resolved(to);
    if (u.kind === 'base' && u.encoding === 'bool') return s !== 0 ? 1n : 0n;
    return wrap(to, BigInt(Math.trunc(s)));
  }
  return wrap(to, s);
}

/**
 * The integer promotions: what is narrower than int (char, short, _Bool, a
 * narrow bitfield) computes as int; an enum as the integer it is stored as.
 */
export function promoted(v: CValue): CType {
  const t = v.type;
  if (isUntyped(v) || isFloat(t)) return t;
  if (v.bitSize !== undefined && v.bitSize < 32) return INT_TYPE;
  const size = sizeOf(t);
  if (size < 4) return INT_TYPE;
  if (resolved(t).kind === 'enum') return size === 8 ? (isSigned(t) ? LONG_LONG_TYPE : ULONG_LONG_TYPE) : isSigned(t) ? INT_TYPE : UINT_TYPE;
  return t;
}

/** The usual arithmetic conversions: the type both operands of a binary operator become. */
export function common(a: CType, b: CType): CType {
  if (isFloat(a) || isFloat(b)) {
    const fa = isFloat(a) ? sizeOf(a) : 0, fb = isFloat(b) ? sizeOf(b) : 0;
    return fa >= fb ? (fa === 8 ? DOUBLE_TYPE : a) : fb === 8 ? DOUBLE_TYPE : b;
  }
  const sa = sizeOf(a), sb = sizeOf(b);
  if (sa !== sb) return sa > sb ? a : b; // the wider one holds all of the narrower's values (long long vs int)
  if (isSigned(a) === isSigned(b)) return a;
  return isSigned(a) ? b : a; // same width, one unsigned: unsigned wins (-1 < 1u is 0)
}

/** An operand's number in the type the operator works in, with the untyped rule above. */
function operand(v: CValue, other: CValue, env: ValueEnv): { s: Scalar; t: CType } {
  const s = readScalar(v, env);
  if (!isUntyped(v) || isUntyped(other)) return { s, t: promoted(v) };
  const peer = promoted(other);
  const asInt = isFloat(peer) || isSigned(peer);
  return { s: asInt ? BigInt.asIntN(32, s as bigint) : s, t: asInt ? INT_TYPE : UINT_TYPE };
}

/** A comparison's or a logical operator's result: int, or untyped 0/1 among untyped operands. */
export const truthValue = (c: boolean, typed: boolean): CValue => scalarValue(typed ? INT_TYPE : UNTYPED, c ? 1n : 0n);

/** Whether a scalar value is non-zero, as `if`, `!`, `&&` and `?:` test it. */
export function truthy(s: Scalar): boolean {
  return typeof s === 'number' ? s !== 0 : s !== 0n;
}

/** A binary operator on two arithmetic values (col: where the operator is, for the errors). */
export function arithmetic(op: string, a: CValue, b: CValue, env: ValueEnv, col: number): CValue {
  const untyped = isUntyped(a) && isUntyped(b);
  const x = operand(a, b, env), y = operand(b, a, env);
  if (op === '<<' || op === '>>') return shift(op, x, y.s, untyped, col);
  const t = untyped ? UNTYPED : common(x.t, y.t);
  const p = convert(x.s, t), q = convert(y.s, t);
  switch (op) {
    case '==': return truthValue(p === q, !untyped);
    case '!=': return truthValue(p !== q, !untyped);
    case '<': return truthValue(p < q, !untyped);
    case '<=': return truthValue(p <= q, !untyped);
    case '>': return truthValue(p > q, !untyped);
    case '>=': return truthValue(p >= q, !untyped);
  }
  if (typeof p === 'number' || typeof q === 'number') {
    const f = Number(p), g = Number(q);
    const r = op === '+' ? f + g : op === '-' ? f - g : op === '*' ? f * g : op === '/' ? f / g : undefined;
    if (r === undefined) throw new ValueError(`'${op}' needs integers, not floating point, at column ${col}`);
    return scalarValue(t, convert(r, t));
  }
  return scalarValue(t, wrap(t, integerOp(op, p, q, col)));
}

function integerOp(op: string, p: bigint, q: bigint, col: number): bigint {
  switch (op) {
    case '+': return p + q;
    case '-': return p - q;
    case '*': return p * q;
    case '/': case '%':
      if (q === 0n) throw new ValueError(`division by zero at column ${col}`);
      return op === '/' ? p / q : p % q; // BigInt truncates toward zero, as C99 does
    case '&': return p & q;
    case '|': return p | q;
    case '^': return p ^ q;
  }
  throw new Error(`operator ${op}`);
}

/**
 * `<<` and `>>` work in the left operand's promoted type; shifting by its
 * width or more leaves nothing (or the sign, for a negative signed value),
 * rather than JavaScript's count taken mod 32.
 */
function shift(op: string, x: { s: Scalar; t: CType }, count: Scalar, untyped: boolean, col: number): CValue {
  if (typeof x.s === 'number' || typeof count === 'number') throw new ValueError(`'${op}' needs integers, not floating point, at column ${col}`);
  const t = untyped ? UNTYPED : x.t;
  if (count < 0n) throw new ValueError(`negative shift count at column ${col}`);
  const bits = BigInt(sizeOf(t) * 8), n = count >= bits ? bits : count;
  const v = convert(x.s, t) as bigint;
  return scalarValue(t, wrap(t, op === '<<' ? v << n : v >> n));
}

/** Unary - + ~ on an arithmetic value; ! on any scalar is cexpr's. */
export function unaryArithmetic(op: string, v: CValue, env: ValueEnv, col: number): CValue {
  const t = promoted(v);
  const s = convert(readScalar(v, env), t);
  if (op === '+') return scalarValue(t, s);
  if (op === '-') return scalarValue(t, typeof s === 'number' ? -s : wrap(t, -s));
  if (typeof s === 'number') throw new ValueError(`'~' needs an integer, not floating point, at column ${col}`);
  return scalarValue(t, wrap(t, ~s));
}

