/**
 * The debugger's expressions evaluated over typed values: C as gdb takes it
 * (members, subscripts, `&`, `sizeof`, casts to the program's types, C's
 * conversions, pointer arithmetic), with the old untyped language inside it
 * unchanged (numbers, registers and ELF symbols are unsigned 32-bit words;
 * `*e` of one reads a word; `[e]` always does). cparse.ts is the grammar,
 * carith.ts the arithmetic, cvalue.ts the values.
 *
 * A name is, in this order: a C variable of the frame (the environment looks
 * in the innermost scope first, then out to the globals), a register (`$eax`
 * is always the register), an ELF symbol's address, an x87 `$` register.
 */
import { type CType, resolved, sizeOf, pointerTo, pointee, findMember, isScalar, typeName } from '../vm/debuginfo/ctypes';
import {
  type CValue, type ValueEnv, type Scalar, ValueError, UNTYPED, isUntyped, bytesOf, readScalar, readInteger, scalarValue,
  encodeScalar, writeValue, memberOf,
} from './cvalue';
import { parse, type Node, type TypeSyntax } from './cparse';
import { lookupTypeName, isTypedefName, UINT_TYPE, VOID_TYPE } from './ctypeNames';
import { arithmetic, unaryArithmetic, truthValue, truthy, convert, wrap, isArithmetic } from './carith';
import type { EvalEnv, EvalResult } from './expression';

/** What the typed language needs of the debuggee: the old environment, the frame's variables, the program's types, bytes. */
export interface CEnv extends EvalEnv, ValueEnv {
  /** A C variable by name: the innermost scope's locals and arguments first, then the globals. */
  variable(name: string): CValue | undefined;
  /** A type by the name C writes: 'struct trapframe', 'union u', 'enum proc_state', 'uint32_t', 'unsigned int'. */
  type(name: string): CType | undefined;
  /** An address as `procs+64`, for the display of pointers (cformat.ts). */
  symbolize?(addr: number): string | undefined;
}

export type TypedResult = { value: CValue } | { error: string };

/** An expression's value with its type, for the adapter's watches, hovers and Variables. */
export function evaluateTyped(expr: string, env: CEnv): TypedResult {
  return attempt(() => {
    const v = evaluateTree(expr, env);
    // A number that cannot be read is an error now, as the old language said; an aggregate shows what it can.
    if (isScalar(v.type)) bytesOf(v, env);
    return { value: v };
  });
}

/** The old API's answer: the value as C converts it to unsigned int; a struct is an error. */
export function evaluateUint32(expr: string, env: EvalEnv | CEnv): EvalResult {
  const cenv = asCEnv(env);
  return attempt(() => ({ value: toUint32(evaluateTree(expr, cenv), cenv) }));
}

/** Assigns `source` to `target` as C's `=` would (converting it to the target's type), for setVariable. */
export function assign(target: CValue, source: CValue, env: CEnv): TypedResult {
  return attempt(() => {
    const ev = new Evaluator(env);
    const t = resolved(target.type);
    const bytes = t.kind === 'struct' || t.kind === 'union' || t.kind === 'array'
      ? sameAggregate(target, source, env)
      : encodeScalar(target.type, convert(ev.scalar(ev.castTo(ev.rvalue(source), target.type, 0), 0), target.type));
    writeValue(target, bytes, env);
    return { value: target };
  });
}

/** setVariable's whole job: `text` evaluated in the frame and assigned to `target`. */
export function setValue(target: CValue, text: string, env: CEnv): TypedResult {
  const r = evaluateTyped(text, env);
  return 'error' in r ? r : assign(target, r.value, env);
}

function sameAggregate(target: CValue, source: CValue, env: ValueEnv): Uint8Array {
  if (resolved(source.type) !== resolved(target.type)) {
    throw new ValueError(`cannot assign '${typeName(source.type)}' to '${typeName(target.type)}'`);
  }
  return bytesOf(source, env).slice();
}

function attempt<T>(f: () => T): T | { error: string } {
  try {
    return f();
  } catch (e) {
    if (e instanceof ValueError) return { error: e.message };
    throw e;
  }
}

function evaluateTree(expr: string, env: CEnv): CValue {
  const tree = parse(expr, (name) => isTypedefName(name, env) && env.variable(name) === undefined);
  return new Evaluator(env).eval(tree);
}

/**
 * The old environment (registers, symbols, word reads) as a CEnv without
 * variables or types: everything in it is untyped, so the old language holds.
 */
export function asCEnv(env: EvalEnv | CEnv): CEnv {
  if ('readBytes' in env && 'variable' in env) return env;
  return {
    register: (n) => env.register(n),
    symbol: (n) => env.symbol(n),
    read: (a, s) => env.read(a, s),
    fpu: env.fpu ? (n) => env.fpu!(n) : undefined,
    variable: () => undefined,
    type: () => undefined,
    readBytes(addr, n) {
      // Words and halves as one read, as the old language read them (a device register answers to its size).
      if (n === 4 || n === 2) {
        const v = env.read(addr, n);
        return v === undefined ? undefined : encodeScalar(n === 4 ? UINT_TYPE : { kind: 'base', name: 'u16', size: 2, encoding: 'unsigned' }, BigInt(v));
      }
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const b = env.read((addr + i) >>> 0, 1);
        if (b === undefined) return undefined;
        out[i] = b;
      }
      return out;
    },
  };
}

/** A value as an unsigned 32-bit number: integers wrap, pointers and arrays are their addresses. */
export function toUint32(v: CValue, env: ValueEnv): number {
  const u = resolved(v.type);
  if ((u.kind === 'array' || u.kind === 'function') && v.place.kind === 'memory') return v.place.addr >>> 0;
  if (!isScalar(v.type)) throw new ValueError(`a value of type '${typeName(v.type)}' is not a number`);
  const s = readScalar(v, env);
  if (typeof s === 'bigint') return Number(BigInt.asUintN(32, s));
  // Truncated toward zero as two's complement, as $st0 always was: -2.5 is 0xfffffffe.
  if (!Number.isFinite(s) || s <= -(2 ** 31) - 1 || s >= 2 ** 32) throw new ValueError(`${s} does not fit in 32 bits`);
  return Math.trunc(s) >>> 0;
}

const isPointer = (v: CValue) => resolved(v.type).kind === 'pointer';
/** What `p + 1` steps by: the pointee's size (1 for void and functions, as GCC does). */
const stride = (p: CValue) => sizeOf(pointee(p.type)!) || 1;

class Evaluator {
  /** The values that are ELF symbols' addresses, so that `&sym` can be the address gdb gives for it. */
  private readonly symbols = new WeakSet<CValue>();

  constructor(private readonly env: CEnv) {}

  eval(n: Node): CValue {
    switch (n.t) {
      case 'num': return this.literal(n.v, n.suffix, n.hex);
      case 'name': return this.name(n.name, n.col);
      case 'cond': return truthy(this.scalar(this.rvalue(this.eval(n.c)), n.col)) ? this.eval(n.a) : this.eval(n.b);
      case 'cast': return this.castTo(this.rvalue(this.eval(n.e)), this.typeOf(n.type), n.col);
      case 'deref': return this.deref(this.rvalue(this.eval(n.e)), n.col);
      case 'memory': return { type: UNTYPED, place: { kind: 'memory', addr: toUint32(this.rvalue(this.eval(n.e)), this.env) } };
      case 'address': return this.address(this.eval(n.e), n.col);
      case 'sizeof': return scalarValue(UINT_TYPE, BigInt(this.sizeOf(n.e)));
      case 'member': {
        const v = this.eval(n.e);
        return this.member(n.arrow ? this.deref(this.rvalue(v), n.col) : v, n.name, n.col);
      }
      case 'index': {
        const a = this.rvalue(this.eval(n.e)), i = this.rvalue(this.eval(n.i));
        if (!isPointer(a) && !isPointer(i)) throw new ValueError(`subscripted value is not an array or pointer at column ${n.col}`);
        return this.deref(this.binary('+', a, i, n.col), n.col);
      }
      case 'unary': {
        const v = this.rvalue(this.eval(n.e));
        if (n.op === '!') return truthValue(!truthy(this.scalar(v, n.col)), !isUntyped(v));
        if (!isArithmetic(v.type)) throw new ValueError(`'${n.op}' needs a number, not '${typeName(v.type)}', at column ${n.col}`);
        return unaryArithmetic(n.op, v, this.env, n.col);
      }
      case 'binary': {
        if (n.op === '&&' || n.op === '||') {
          const l = this.rvalue(this.eval(n.l));
          const lt = truthy(this.scalar(l, n.col));
          if (lt === (n.op === '||')) return truthValue(lt, !isUntyped(l));
          const r = this.rvalue(this.eval(n.r));
          return truthValue(truthy(this.scalar(r, n.col)), !isUntyped(l) || !isUntyped(r));
        }
        return this.binary(n.op, this.rvalue(this.eval(n.l)), this.rvalue(this.eval(n.r)), n.col);
      }
    }
  }

  /** A C literal: without a suffix the old untyped number; with one, the first of C's types that holds it. */
  private literal(v: bigint, suffix: string, hexadecimal: boolean): CValue {
    if (suffix === '') return scalarValue(UNTYPED, v);
    const u = suffix.includes('u'), ll = suffix.endsWith('ll');
    const long = ll ? ['long', 'long'] : suffix.endsWith('l') ? ['long'] : ['int'];
    const candidates = u ? [['unsigned', ...long], ['unsigned', 'long', 'long']]
      : hexadecimal ? [long, ['unsigned', ...long], ['long', 'long'], ['unsigned', 'long', 'long']]
      : [long, ['long', 'long'], ['unsigned', 'long', 'long']];
    for (const words of candidates) {
      const t = lookupTypeName(words, this.env)!;
      if (wrap(t, v) === v) return scalarValue(t, v);
    }
    throw new Error('a literal beyond 64 bits');
  }

  private name(name: string, col: number): CValue {
    const env = this.env;
    if (name.startsWith('$')) {
      const reg = name === '$pc' ? 'eip' : name.slice(1).toLowerCase();
      if (env.register(reg) !== undefined) return { type: UNTYPED, place: { kind: 'register', name: reg } };
      const f = env.fpu?.(reg);
      if (f === undefined) throw new ValueError(`unknown register '${name}'`);
      if ('error' in f) throw new ValueError(f.error);
      return scalarValue(UNTYPED, BigInt(f.value >>> 0));
    }
    const v = env.variable(name);
    if (v) return v;
    // `tf.eax` came as one token (symbols may have dots): a member chain when it starts with a variable.
    const [first, ...rest] = name.split('.');
    const base = rest.length > 0 && first !== '' ? env.variable(first) : undefined;
    if (base) {
      let at = col + first.length; // each member's error names its dot's column
      return rest.reduce((s, m) => { const v = this.member(s, m, at); at += m.length + 1; return v; }, base);
    }
    const reg = name.toLowerCase();
    if (env.register(reg) !== undefined) return { type: UNTYPED, place: { kind: 'register', name: reg } };
    const sym = env.symbol(name);
    if (sym === undefined) throw new ValueError(`unknown name '${name}'`);
    const s = scalarValue(UNTYPED, BigInt(sym >>> 0));
    this.symbols.add(s);
    return s;
  }

  private typeOf(syntax: TypeSyntax): CType {
    const t = lookupTypeName(syntax.words, this.env);
    if (t === undefined) throw new ValueError(`unknown type '${syntax.words.join(' ')}' at column ${syntax.col}`);
    let out = t;
    for (let i = 0; i < syntax.stars; i++) out = pointerTo(out);
    return out;
  }

  /** What `sizeof` says; its operand's value is never read (only a pointer it goes through). */
  private sizeOf(e: Node | TypeSyntax): number {
    const t = 'words' in e ? this.typeOf(e) : this.eval(e).type;
    const k = resolved(t).kind;
    return k === 'void' || k === 'function' ? 1 : sizeOf(t);
  }

  /** An array becomes a pointer to its first element, a function a pointer to it: C's decay, for operators. */
  rvalue(v: CValue): CValue {
    const u = resolved(v.type);
    if (u.kind !== 'array' && u.kind !== 'function') return v;
    if (v.place.kind !== 'memory') throw new ValueError(`the ${u.kind} is not in memory, so it has no address`);
    return scalarValue(pointerTo(u.kind === 'array' ? u.element : v.type), BigInt(v.place.addr >>> 0));
  }

  /** The number of a scalar value (col: the operator's, for the error). */
  scalar(v: CValue, col: number): Scalar {
    if (!isScalar(v.type)) throw new ValueError(`a value of type '${typeName(v.type)}' is not a number, at column ${col}`);
    return readScalar(v, this.env);
  }

  private deref(v: CValue, col: number): CValue {
    if (isUntyped(v)) return { type: UNTYPED, place: { kind: 'memory', addr: toUint32(v, this.env) } };
    if (!isPointer(v)) {
      throw new ValueError(`cannot dereference a value of type '${typeName(v.type)}' at column ${col} (cast it: *(u32 *)x)`);
    }
    const target = pointee(v.type)!;
    if (resolved(target).kind === 'void') throw new ValueError(`cannot dereference a '${typeName(v.type)}' at column ${col}`);
    return { type: target, place: { kind: 'memory', addr: Number(readInteger(v, this.env)) } };
  }

  private address(v: CValue, col: number): CValue {
    if (this.symbols.has(v)) return v; // `&sym` of a symbol without debug information: its address, as gdb gives
    if (v.bitSize !== undefined) throw new ValueError(`cannot take the address of a bitfield at column ${col}`);
    const p = v.place;
    if (p.kind === 'memory') return scalarValue(isUntyped(v) ? UNTYPED : pointerTo(v.type), BigInt(p.addr >>> 0));
    if (p.kind === 'register') throw new ValueError(`cannot take the address of a value in register ${p.name} at column ${col}`);
    if (p.kind === 'unavailable') throw new ValueError(`cannot take the address of a value that is ${p.why} at column ${col}`);
    throw new ValueError(`cannot take the address of a computed value (not in memory) at column ${col}`);
  }

  private member(v: CValue, name: string, col: number): CValue {
    const u = resolved(v.type);
    if (u.kind !== 'struct' && u.kind !== 'union') {
      const what = isUntyped(v) ? 'an untyped value' : `a value of type '${typeName(v.type)}'`;
      throw new ValueError(`${what} has no member '${name}' (column ${col})`);
    }
    const m = findMember(u, name);
    if (!m) throw new ValueError(`'${typeName(v.type)}' has no member named '${name}' (column ${col})`);
    return memberOf(v, m, this.env);
  }

  castTo(v: CValue, t: CType, col: number): CValue {
    const u = resolved(t);
    if (u.kind === 'void') return { type: VOID_TYPE, place: { kind: 'value', bytes: new Uint8Array(0) } };
    if (u.kind === 'pointer' || isArithmetic(t)) {
      const s = this.scalar(v, col);
      if (u.kind === 'pointer' && typeof s === 'number') throw new ValueError(`cannot cast a floating-point value to a pointer at column ${col}`);
      return scalarValue(t, convert(s, t));
    }
    if (resolved(v.type) === u) return { ...v, type: t };
    throw new ValueError(`cannot cast '${typeName(v.type)}' to '${typeName(t)}' at column ${col}`);
  }

  /** A binary operator: pointer arithmetic and comparisons here, numbers in carith.ts. */
  binary(op: string, a: CValue, b: CValue, col: number): CValue {
    if (!isPointer(a) && !isPointer(b)) {
      for (const v of [a, b]) {
        if (!isArithmetic(v.type)) throw new ValueError(`'${op}' needs numbers, not '${typeName(v.type)}', at column ${col}`);
      }
      return arithmetic(op, a, b, this.env, col);
    }
    const invalid = () =>
      new ValueError(`invalid operands to '${op}' ('${typeName(a.type)}' and '${typeName(b.type)}') at column ${col}`);
    const addr = (v: CValue): bigint => {
      const s = this.scalar(v, col);
      if (typeof s === 'number') throw invalid();
      return s;
    };
    if (['==', '!=', '<', '<=', '>', '>='].includes(op)) {
      const x = BigInt.asUintN(32, addr(a)), y = BigInt.asUintN(32, addr(b));
      const r = op === '==' ? x === y : op === '!=' ? x !== y : op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
      return truthValue(r, true);
    }
    if (op === '-' && isPointer(a) && isPointer(b)) {
      if (stride(a) !== stride(b)) throw invalid();
      return scalarValue(lookupTypeName(['int'], this.env)!, BigInt.asIntN(32, addr(a) - addr(b)) / BigInt(stride(a)));
    }
    if (op === '+' || op === '-') {
      const [p, k] = isPointer(a) ? [a, b] : [b, a];
      if (isPointer(k) || (op === '-' && p === b)) throw invalid();
      const step = addr(k) * BigInt(stride(p));
      return scalarValue(p.type, wrap(p.type, op === '+' ? addr(p) + step : addr(p) - step));
    }
    throw invalid();
  }
}

