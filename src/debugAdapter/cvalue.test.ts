/** Values' bytes: from memory, registers and computed bytes; integers, bitfields, floats; writing them back. */
import { describe, it, expect } from 'vitest';
import { CHAR, INT, UINT, LONG_LONG, type CType, findMember } from '../vm/debuginfo/ctypes';
import {
  type CValue, bytesOf, readInteger, readFloat, readScalar, scalarValue, encodeScalar, writeValue, memberOf, f80Of,
  littleEndian, UNTYPED, isUntyped,
} from './cvalue';
import { makeEnv, AT, pte } from './cTestFixtures';

const SHORT: CType = { kind: 'base', name: 'short int', size: 2, encoding: 'signed' };
const LONG_DOUBLE: CType = { kind: 'base', name: 'long double', size: 12, encoding: 'float' };
const FLOAT: CType = { kind: 'base', name: 'float', size: 4, encoding: 'float' };
const mem = (type: CType, addr: number): CValue => ({ type, place: { kind: 'memory', addr } });
const reg = (type: CType, name: string): CValue => ({ type, place: { kind: 'register', name } });
const errorOf = (f: () => unknown) => {
  try { f(); } catch (e) { return (e as Error).message; }
  throw new Error('expected an error');
};

describe('reading', () => {
  it('reads memory little-endian, signed as the type says', () => {
    const env = makeEnv();
    expect(readInteger(mem(UINT, AT.ints + 12), env)).toBe(0xfffffffcn);
    expect(readInteger(mem(INT, AT.ints + 12), env)).toBe(-4n);
    expect(readInteger(mem(SHORT, AT.ints + 12), env)).toBe(-4n);
    expect(readInteger(mem(CHAR, AT.ints), env)).toBe(10n);
    expect(readInteger(mem(LONG_LONG, AT.ll), env)).toBe(-5000000000n);
  });

  it('reads a register\'s low bytes', () => {
    const env = makeEnv();
    env.regs.eax = 0x1234fff0;
    expect(readInteger(reg(INT, 'eax'), env)).toBe(0x1234fff0n);
    expect(readInteger(reg(SHORT, 'eax'), env)).toBe(-16n);
    expect(readInteger(reg(CHAR, 'eax'), env)).toBe(-16n);
    expect(errorOf(() => readInteger(reg(LONG_LONG, 'eax'), env))).toBe('a 8-byte value does not fit in register eax');
  });

  it('extracts bitfields from their storage unit', () => {
    const env = makeEnv();
    const entry = mem(pte, AT.pte);
    const field = (name: string) => readInteger(memberOf(entry, findMember(pte, name)!, env), env);
    expect([field('present'), field('rw'), field('user'), field('delta'), field('frame')]).toEqual([1n, 0n, 1n, -2n, 0x12345n]);
  });

  it('reads floats, doubles and long doubles', () => {
    const env = makeEnv();
    expect(readFloat(mem(FLOAT, AT.f), env)).toBe(-0.25);
    expect(readScalar(mem(LONG_DOUBLE, AT.ld), env)).toBe(1.5);
    expect(f80Of(bytesOf(mem(LONG_DOUBLE, AT.ld), env))).toEqual({ sign: 0, exp: 0x3fff, sig: 0xc000000000000000n });
    // The smallest double denormal and beyond the double's range, from 80 bits.
    expect(readFloat(scalarValue(LONG_DOUBLE, 5e-324), env)).toBe(5e-324);
    const huge = new Uint8Array(12);
    huge.set(littleEndian(1n << 63n, 8)); huge.set([0xfe, 0x7f], 8);
    expect(readFloat({ type: LONG_DOUBLE, place: { kind: 'value', bytes: huge } }, env)).toBe(Infinity);
  });

  it('says why a value cannot be read', () => {
    const env = makeEnv();
    expect(errorOf(() => bytesOf(mem(INT, 0x100), env))).toBe('nothing mapped at 0x100');
    expect(errorOf(() => bytesOf({ type: INT, place: { kind: 'unavailable', why: 'optimized out' } }, env))).toBe('value has been optimized out');
    expect(errorOf(() => bytesOf({ type: INT, place: { kind: 'unavailable', why: 'entry value' } }, env))).toBe('value is unavailable: entry value');
    expect(errorOf(() => bytesOf(reg(INT, 'xmm0'), env))).toBe("unknown register 'xmm0'");
  });
});

describe('making values', () => {
  it('encodes integers wrapped to the width, bools as 0 or 1, floats in their format', () => {
    expect([...encodeScalar(CHAR, 0x141n)]).toEqual([0x41]);
    expect([...encodeScalar(INT, -2n)]).toEqual([0xfe, 0xff, 0xff, 0xff]);
    expect([...encodeScalar({ kind: 'base', name: '_Bool', size: 1, encoding: 'bool' }, 7n)]).toEqual([1]);
    expect([...encodeScalar(FLOAT, 1.5)]).toEqual([0, 0, 0xc0, 0x3f]);
    expect([...encodeScalar(LONG_DOUBLE, 1.5)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x3f, 0, 0]);
  });

  it('tells untyped values by identity', () => {
    expect(isUntyped(scalarValue(UNTYPED, 1n))).toBe(true);
    expect(isUntyped(scalarValue(UINT, 1n))).toBe(false);
  });
});

describe('writing', () => {
  it('writes memory and merges into a register\'s low bytes', () => {
    const env = makeEnv();
    writeValue(mem(INT, AT.ints), encodeScalar(INT, -1n), env);
    expect(readInteger(mem(INT, AT.ints), env)).toBe(-1n);
    env.regs.ecx = 0x12345678;
    writeValue(reg(CHAR, 'ecx'), encodeScalar(CHAR, 0x41n), env);
    expect(env.regs.ecx).toBe(0x12345641);
  });

  it('writes a bitfield without touching its neighbours', () => {
    const env = makeEnv();
    const delta = memberOf(mem(pte, AT.pte), findMember(pte, 'delta')!, env);
    const before = readInteger(mem(UINT, AT.pte), env);
    writeValue(delta, encodeScalar(INT, 5n), env);
    expect(readInteger(delta, env)).toBe(5n);
    expect(readInteger(mem(UINT, AT.pte), env) & ~(0x1fn << 3n)).toBe(before & ~(0x1fn << 3n));
  });

  it('refuses what has no place', () => {
    const env = makeEnv();
    expect(errorOf(() => writeValue(scalarValue(INT, 1n), encodeScalar(INT, 2n), env))).toBe('a computed value has no place to write to');
    expect(errorOf(() => writeValue({ type: INT, place: { kind: 'unavailable', why: 'optimized out' } }, encodeScalar(INT, 2n), env)))
      .toBe('cannot write: value has been optimized out');
    expect(errorOf(() => writeValue(mem(INT, 0x100), encodeScalar(INT, 2n), env))).toBe('cannot write memory at 0x100');
  });
});
