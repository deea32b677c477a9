/**
 * A C value as the debugger holds it: a type and the place its bits are
 * (memory, a register, bytes computed by an expression, or nowhere because
 * the compiler left it out). Nothing is read until someone asks, so a struct
 * of a thousand members costs nothing until it is shown, and `sizeof *p`
 * never touches what p points to.
 *
 * This file reads a value's bytes, turns them into a number (integers as
 * BigInt, exactly, up to long long; floats as doubles), makes values from
 * numbers, and writes values back (setVariable). The i386 is little-endian;
 * a register holds a value's low bytes (a char in eax is al).
 */
import { type CType, type Member, resolved, sizeOf, isSigned, isFloat } from '../vm/debuginfo/ctypes';
import { type F80, makeF80, classify, exactOf } from '../vm/cpu/fpu/float80';
import { fromF64 } from '../vm/cpu/fpu/convert';

export type Place =
  | { kind: 'memory'; addr: number }
  | { kind: 'register'; name: string }
  | { kind: 'value'; bytes: Uint8Array }
  /** why: 'optimized out', 'entry value', ... */
  | { kind: 'unavailable'; why: string };

export interface CValue {
  type: CType;
  place: Place;
  /** A bitfield: its width, and its first bit from the least significant bit of the storage unit read at place. */
  bitSize?: number;
  bitOffset?: number;
}

/** What reading and writing values needs of the machine. */
export interface ValueEnv {
  /** A register's 32-bit value by lower-case name, as EvalEnv has it. */
  register(name: string): number | undefined;
  /** Guest-virtual memory without side effects; undefined if any byte is unmapped. */
  readBytes(addr: number, n: number): Uint8Array | undefined;
  writeBytes?(addr: number, bytes: Uint8Array): boolean;
  writeRegister?(name: string, value: number): boolean;
}

/** An error the user caused (a bad expression, unreadable memory): shown as its message. */
export class ValueError extends Error {}

/**
 * The type of what has none: numbers, registers, ELF symbols. It is unsigned
 * int, told apart by identity, so that the old language's rules can hold for
 * it (a plain `*e` reads a 32-bit word) while typed values follow C.
 */
export const UNTYPED: CType = { kind: 'base', name: 'unsigned int', size: 4, encoding: 'unsigned' };
export const isUntyped = (v: CValue): boolean => v.type === UNTYPED;

const hex = (v: number) => '0x' + (v >>> 0).toString(16);

/** What an unavailable value says, in expressions and in the Variables view alike. */
export function unavailableText(why: string): string {
  return why === 'optimized out' ? 'value has been optimized out' : `value is unavailable: ${why}`;
}

/** Bytes the value's place must supply: the type's size, or a bitfield's whole storage unit. */
function storageSize(v: CValue): number {
  const size = sizeOf(v.type);
  if (v.bitSize === undefined) return size;
  return Math.max(size, Math.ceil(((v.bitOffset ?? 0) + v.bitSize) / 8));
}

/** The value's bytes (a bitfield's storage unit), or a ValueError saying why there are none. */
export function bytesOf(v: CValue, env: ValueEnv): Uint8Array {
  const n = storageSize(v);
  const p = v.place;
  switch (p.kind) {
    case 'unavailable': throw new ValueError(unavailableText(p.why));
    case 'value': return p.bytes.subarray(0, n);
    case 'memory': {
      const b = env.readBytes(p.addr >>> 0, n);
      if (b === undefined || b.length < n) throw new ValueError(`nothing mapped at ${hex(p.addr)}`);
      return b;
    }
    case 'register': {
      const r = env.register(p.name);
      if (r === undefined) throw new ValueError(`unknown register '${p.name}'`);
      if (n > 4) throw new ValueError(`a ${n}-byte value does not fit in register ${p.name}`);
      return littleEndian(BigInt(r >>> 0), 4).subarray(0, n);
    }
  }
}

export function littleEndian(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(n * 8, v);
  for (let i = 0; i < n; i++, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

function unsignedOf(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** An integer, enum, bool or pointer value (a bitfield's field), signed as its type says. */
export function readInteger(v: CValue, env: ValueEnv): bigint {
  const raw = unsignedOf(bytesOf(v, env));
  if (v.bitSize !== undefined) {
    const field = BigInt.asUintN(v.bitSize, raw >> BigInt(v.bitOffset ?? 0));
    return isSigned(v.type) ? BigInt.asIntN(v.bitSize, field) : field;
  }
  const bits = sizeOf(v.type) * 8;
  return isSigned(v.type) ? BigInt.asIntN(bits, raw) : raw;
}

/** A float, double or long double (the last through a double: exact enough to compute with, not to show). */
export function readFloat(v: CValue, env: ValueEnv): number {
  const b = bytesOf(v, env);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length === 4) return view.getFloat32(0, true);
  if (b.length === 8) return view.getFloat64(0, true);
  if (b.length >= 10) return f80ToDouble(f80Of(b));
  throw new ValueError(`a ${b.length}-byte float is not a format the debugger knows`);
}

/** The x87's 80-bit format from the 10 low bytes of a long double. */
export function f80Of(b: Uint8Array): F80 {
  const signExp = b[8] | (b[9] << 8);
  return makeF80(signExp >> 15, signExp & 0x7fff, unsignedOf(b.subarray(0, 8)));
}

function f80ToDouble(x: F80): number {
  const s = x.sign ? -1 : 1;
  switch (classify(x)) {
    case 'zero': return s * 0;
    case 'infinity': return s * Infinity;
    case 'normal': case 'denormal': case 'pseudoDenormal': {
      const { sig, e } = exactOf(x);
      // Two factors, so that 2^e alone cannot underflow or overflow where the product would not.
      const half = Math.trunc(e / 2);
      return s * Number(sig) * 2 ** half * 2 ** (e - half);
    }
    default: return NaN;
  }
}

/** A number as C holds one: integers and pointers exactly, floats as doubles. */
export type Scalar = bigint | number;

export function readScalar(v: CValue, env: ValueEnv): Scalar {
  return isFloat(v.type) ? readFloat(v, env) : readInteger(v, env);
}

/** The bytes of `s` as a value of type `t` (integers wrap to its width, as C's conversions to unsigned do). */
export function encodeScalar(t: CType, s: Scalar): Uint8Array {
  const n = sizeOf(t);
  if (isFloat(t)) {
    const x = typeof s === 'number' ? s : Number(s);
    const out = new Uint8Array(n);
    const view = new DataView(out.buffer);
    if (n === 4) view.setFloat32(0, x, true);
    else if (n === 8) view.setFloat64(0, x, true);
    else if (n >= 10) {
      view.setFloat64(0, x, true);
      const f = fromF64(view.getBigUint64(0, true)).value;
      out.fill(0);
      out.set(littleEndian(f.sig, 8), 0);
      out.set(littleEndian(BigInt((f.sign << 15) | f.exp), 2), 8);
    } else throw new ValueError(`a ${n}-byte float is not a format the debugger knows`);
    return out;
  }
  if (typeof s === 'number') throw new Error('encodeScalar: a float for an integer type');
  const u = resolved(t);
  if (u.kind === 'base' && u.encoding === 'bool') return littleEndian(s !== 0n ? 1n : 0n, n);
  return littleEndian(s, n);
}

/** A value computed by the debugger: its bytes, nowhere in the machine. */
export function scalarValue(t: CType, s: Scalar): CValue {
  return { type: t, place: { kind: 'value', bytes: encodeScalar(t, s) } };
}

/**
 * Writes bytes of the value's size to its place: memory, or a register
 * (merged into its low bytes). A bitfield's bytes are the new field, which
 * is merged into its storage unit as read now.
 */
export function writeValue(v: CValue, bytes: Uint8Array, env: ValueEnv): void {
  let out = bytes;
  if (v.bitSize !== undefined) {
    const storage = bytesOf(v, env);
    const width = BigInt(v.bitSize), at = BigInt(v.bitOffset ?? 0);
    const mask = ((1n << width) - 1n) << at;
    const field = (unsignedOf(bytes) << at) & mask;
    out = littleEndian((unsignedOf(storage) & ~mask) | field, storage.length);
  }
  const p = v.place;
  switch (p.kind) {
    case 'memory':
      if (!env.writeBytes) throw new ValueError('memory cannot be written here');
      if (!env.writeBytes(p.addr >>> 0, out)) throw new ValueError(`cannot write memory at ${hex(p.addr)}`);
      return;
    case 'register': {
      const old = env.register(p.name);
      if (old === undefined) throw new ValueError(`unknown register '${p.name}'`);
      if (out.length > 4) throw new ValueError(`a ${out.length}-byte value does not fit in register ${p.name}`);
      const merged = littleEndian(BigInt(old >>> 0), 4);
      merged.set(out, 0);
      if (!env.writeRegister) throw new ValueError('registers cannot be written here');
      if (!env.writeRegister(p.name, Number(unsignedOf(merged)))) throw new ValueError(`cannot write register ${p.name}`);
      return;
    }
    case 'value': throw new ValueError('a computed value has no place to write to');
    case 'unavailable': throw new ValueError(`cannot write: ${unavailableText(p.why)}`);
  }
}

/**
 * A member of a struct or union value (its offset from the value's start):
 * in memory, at its address, so it can be written; in a register or
 * computed, its bytes, as a computed value.
 */
export function memberOf(v: CValue, m: Member, env: ValueEnv): CValue {
  const field = m.bitSize === undefined ? {} : { bitSize: m.bitSize, bitOffset: m.bitOffset ?? 0 };
  const p = v.place;
  if (p.kind === 'memory') return { type: m.type, place: { kind: 'memory', addr: (p.addr + m.offset) >>> 0 }, ...field };
  if (p.kind === 'unavailable') return { type: m.type, place: p, ...field };
  return { type: m.type, place: { kind: 'value', bytes: bytesOf(v, env).subarray(m.offset) }, ...field };
}

/** Element i of an array value (by the element's size). */
export function elementOf(v: CValue, element: CType, i: number, env: ValueEnv): CValue {
  return memberOf(v, { type: element, offset: i * sizeOf(element) }, env);
}
