/**
 * A WebAssembly module in bytes, written by hand: the compiled tier needs one
 * small module per block, built in microseconds, and the binary format for
 * that is a page of code (a toolkit such as Binaryen costs more per module
 * than V8 takes to compile it). Only what the tier uses is here: i32
 * arithmetic, loads and stores, structured control, calls to imports.
 */

/** Bytes appended to a buffer that grows as needed. */
export class Bytes {
  buf = new Uint8Array(256);
  length = 0;

  push(b: number): void {
    if (this.length === this.buf.length) this.grow(1);
    this.buf[this.length++] = b;
  }
  push2(a: number, b: number): void {
    if (this.length + 2 > this.buf.length) this.grow(2);
    this.buf[this.length++] = a;
    this.buf[this.length++] = b;
  }
  append(other: Bytes): void {
    if (this.length + other.length > this.buf.length) this.grow(other.length);
    this.buf.set(other.buf.subarray(0, other.length), this.length);
    this.length += other.length;
  }
  /** Unsigned LEB128. */
  uleb(v: number): void {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.push(b);
    } while (v !== 0);
  }
  /** Signed LEB128 of an int32. */
  sleb(v: number): void {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        this.push(b);
        return;
      }
      this.push(b | 0x80);
    }
  }
  name(s: string): void {
    this.uleb(s.length);
    for (let k = 0; k < s.length; k++) this.push(s.charCodeAt(k));
  }
  private grow(need: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + need));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}

const I32 = 0x7f, I64 = 0x7e;

/** A function body: instructions appended in order; `local` numbers locals after the parameters. */
export class Code {
  readonly bytes = new Bytes();
  /** How many blocks, loops and ifs are open here (a `br` out to one opened earlier counts from it). */
  depth = 0;

  i32(v: number): this { this.bytes.push(0x41); this.bytes.sleb(v); return this; }
  /** An i64 constant in the int32 range. */
  i64(v: number): this { this.bytes.push(0x42); this.bytes.sleb(v); return this; }
  get(l: number): this { this.bytes.push2(0x20, l); return this; }
  set(l: number): this { this.bytes.push2(0x21, l); return this; }
  tee(l: number): this { this.bytes.push2(0x22, l); return this; }
  /** Loads and stores at (address on the stack) + offset. */
  load32(offset: number): this { return this.mem(0x28, 2, offset); }
  load8u(offset: number): this { return this.mem(0x2d, 0, offset); }
  load8s(offset: number): this { return this.mem(0x2c, 0, offset); }
  load16u(offset: number): this { return this.mem(0x2f, 1, offset); }
  load16s(offset: number): this { return this.mem(0x2e, 1, offset); }
  store32(offset: number): this { return this.mem(0x36, 2, offset); }
  store8(offset: number): this { return this.mem(0x3a, 0, offset); }
  store16(offset: number): this { return this.mem(0x3b, 1, offset); }
  call(f: number): this { this.bytes.push(0x10); this.bytes.uleb(f); return this; }
  /** Structured control: `block`/`loop`/`if` with no result (0x40) or an i32 result. */
  block(result = false): this { this.depth++; this.bytes.push2(0x02, result ? I32 : 0x40); return this; }
  loop(): this { this.depth++; this.bytes.push2(0x03, 0x40); return this; }
  if(result = false): this { this.depth++; this.bytes.push2(0x04, result ? I32 : 0x40); return this; }
  else(): this { this.bytes.push(0x05); return this; }
  end(): this { this.depth--; this.bytes.push(0x0b); return this; }
  br(depth: number): this { this.bytes.push(0x0c); this.bytes.uleb(depth); return this; }
  brIf(depth: number): this { this.bytes.push(0x0d); this.bytes.uleb(depth); return this; }
  /** br_table: to `targets[i]` for the i on the stack, else to `otherwise` (depths). */
  brTable(targets: number[], otherwise: number): this {
    this.bytes.push(0x0e);
    this.bytes.uleb(targets.length);
    for (const t of targets) this.bytes.uleb(t);
    this.bytes.uleb(otherwise);
    return this;
  }
  return(): this { this.bytes.push(0x0f); return this; }
  drop(): this { this.bytes.push(0x1a); return this; }
  select(): this { this.bytes.push(0x1b); return this; }
  /** One-byte i32 operators (see OP). */
  op(code: number): this { this.bytes.push(code); return this; }
  /** call_indirect of type `type` in table 0. */
  callIndirect(type: number): this { this.bytes.push(0x11); this.bytes.uleb(type); this.bytes.push(0x00); return this; }
  /** A tail call of function `f` (its result is this function's). */
  returnCall(f: number): this { this.bytes.push(0x12); this.bytes.uleb(f); return this; }
  /** A tail call through table 0 (the callee's result is this function's). */
  returnCallIndirect(type: number): this { this.bytes.push(0x13); this.bytes.uleb(type); this.bytes.push(0x00); return this; }

  private mem(opcode: number, align: number, offset: number): this {
    this.bytes.push2(opcode, align);
    this.bytes.uleb(offset);
    return this;
  }
}

/** The i32 operators by name. */
export const OP = {
  eqz: 0x45, eq: 0x46, ne: 0x47, ltS: 0x48, ltU: 0x49, gtS: 0x4a, gtU: 0x4b, leS: 0x4c, leU: 0x4d, geS: 0x4e, geU: 0x4f,
  popcnt: 0x69, add: 0x6a, sub: 0x6b, mul: 0x6c, divU: 0x6e, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shrS: 0x75, shrU: 0x76,
} as const;

/** The i64 operators the tier uses (multiplies and divides), by name. */
export const OP64 = {
  eq: 0x51, ne: 0x52, ltS: 0x53, gtS: 0x55, mul: 0x7e, divS: 0x7f, divU: 0x80, remS: 0x81, remU: 0x82,
  or: 0x84, shl: 0x86, shrU: 0x88, wrap: 0xa7, extendS: 0xac, extendU: 0xad,
} as const;

export interface ImportFn {
  name: string;
  params: number;
  /** Returns an i32 (else nothing). */
  result: boolean;
}

/** A function's signature: i32 parameters, and an i32 result or none. */
type Sig = [params: number, result: number];

/** The bytes of a module, section by section. */
class ModuleBytes {
  readonly out = new Bytes();
  constructor() {
    for (const b of [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]) this.out.push(b);
  }
  section(id: number, body: Bytes): void {
    this.out.push(id);
    this.out.uleb(body.length);
    this.out.append(body);
  }
  types(sigs: Sig[]): void {
    const t = new Bytes();
    t.uleb(sigs.length);
    for (const [p, r] of sigs) {
      t.push(0x60);
      t.uleb(p);
      for (let k = 0; k < p; k++) t.push(I32);
      t.uleb(r);
      if (r) t.push(I32);
    }
    this.section(1, t);
  }
  /**
   * Imports: the memory ("m" "mem", `pages` exactly), the table if `withTable` ("m" "tbl"), functions
   * ("f" name: type k).
   */
  imports(pages: number, withTable: boolean, fns: ImportFn[]): void {
    const t = new Bytes();
    t.uleb(fns.length + (withTable ? 2 : 1));
    t.name('m'); t.name('mem'); t.push2(0x02, 0x01); t.uleb(pages); t.uleb(pages);
    if (withTable) { t.name('m'); t.name('tbl'); t.push2(0x01, 0x70); t.push(0x00); t.uleb(0); }
    fns.forEach((f, k) => {
      t.name('f'); t.name(f.name); t.push(0x00); t.uleb(k);
    });
    this.section(2, t);
  }
  /**
   * Functions of type `type` (or each its own), with `locals` more i32 locals each (or each its own) then
   * `locals64` i64 ones, and their bodies (the final `end` added here). Returns the code section, which
   * goes after any other section (exports).
   */
  functions(type: number | number[], locals: number | number[], bodies: Code[], locals64 = 0): Bytes {
    const f = new Bytes();
    f.uleb(bodies.length);
    for (let k = 0; k < bodies.length; k++) f.uleb(typeof type === 'number' ? type : type[k]);
    this.section(3, f);
    const code = new Bytes();
    code.uleb(bodies.length);
    const headOf = (n: number) => {
      const head = new Bytes();
      head.uleb((n > 0 ? 1 : 0) + (locals64 > 0 ? 1 : 0));
      if (n > 0) { head.uleb(n); head.push(I32); }
      if (locals64 > 0) { head.uleb(locals64); head.push(I64); }
      return head;
    };
    const shared = typeof locals === 'number' ? headOf(locals) : null;
    bodies.forEach((b, k) => {
      const head = shared ?? headOf((locals as number[])[k]);
      code.uleb(head.length + b.bytes.length + 1);
      code.append(head);
      code.append(b.bytes);
      code.push(0x0b);
    });
    return code;
  }
  /** Exports: function `first + k` as names[k]. */
  exports(names: string[], first: number): void {
    const exp = new Bytes();
    exp.uleb(names.length);
    names.forEach((name, k) => {
      exp.name(name);
      exp.push(0x00);
      exp.uleb(first + k);
    });
    this.section(7, exp);
  }
  /**
   * The "name" custom section: function `first + k` is called names[k] (and the imports by their names), so
   * that a CPU profile or a stack trace names a block by its Guest address instead of `wasm-function[7]`.
   */
  names(imports: ImportFn[], names: string[], first: number): void {
    const fns = new Bytes();
    fns.uleb(imports.length + names.length);
    imports.forEach((f, k) => { fns.uleb(k); fns.name(f.name); });
    names.forEach((name, k) => { fns.uleb(first + k); fns.name(name); });
    const body = new Bytes();
    body.name('name');
    body.push(1);
    body.uleb(fns.length);
    body.append(fns);
    this.section(0, body);
  }
  bytes(): Uint8Array {
    return this.out.buf.slice(0, this.out.length);
  }
}

/**
 * A module of functions `(base, passes) => i32`, importing the memory and `imports`, that exports
 * function k of `bodies` as "k". The tier puts them into the dispatcher's table itself: a module that
 * imported the table would get its own copy of all of it from V8 when instantiated, and every growth of
 * the table would be copied into every such module (both measured at tens of milliseconds in a Linux boot).
 */
export function blocksModule(pages: number, imports: ImportFn[], locals: number, locals64: number, bodies: Code[], names: string[]): Uint8Array {
  const m = new ModuleBytes();
  const sigs: Sig[] = imports.map((f) => [f.params, f.result ? 1 : 0]);
  m.types([...sigs, [2, 1]]);
  m.imports(pages, false, imports);
  const code = m.functions(sigs.length, locals, bodies, locals64);
  m.exports(bodies.map((_, k) => String(k)), imports.length);
  m.section(10, code);
  m.names(imports, names, imports.length);
  return m.bytes();
}

/**
 * The dispatcher's module: one exported function "run" of `params` i32 parameters returning an
 * i32, with `locals` more and the body `body`, which may call a block of the table through
 * `callIndirect(imports.length + 1)` (that type is the blocks' `(base, passes) => i32`) and the
 * imported functions `imports` by their index (`call(k)`).
 */
export function dispatcherModule(name: string, pages: number, params: number, locals: number, body: Code, imports: ImportFn[] = []): Uint8Array {
  const m = new ModuleBytes();
  // An import's type is its index (ModuleBytes.imports): theirs first, then run's and the blocks'.
  const sigs: Sig[] = imports.map((f) => [f.params, f.result ? 1 : 0]);
  m.types([...sigs, [params, 1], [2, 1]]);
  m.imports(pages, true, imports);
  const code = m.functions(sigs.length, locals, [body]);
  m.exports(['run'], imports.length);
  m.section(10, code);
  m.names(imports, [name], imports.length);
  return m.bytes();
}

/** A function of a `libraryModule`: i32 parameters, `locals` more i32 locals, an i32 result. */
export interface LibraryFn {
  name: string;
  params: number;
  locals: number;
  body: Code;
}

/**
 * A module of functions that import the memory and `imports` (functions k, by their index) and call one
 * another (function `imports.length + j` is fns[j]); each is exported by its name.
 */
export function libraryModule(pages: number, imports: ImportFn[], fns: LibraryFn[]): Uint8Array {
  const m = new ModuleBytes();
  const sigs: Sig[] = [...imports.map((f): Sig => [f.params, f.result ? 1 : 0]), ...fns.map((f): Sig => [f.params, 1])];
  m.types(sigs);
  m.imports(pages, false, imports);
  const code = m.functions(fns.map((_, j) => imports.length + j), fns.map((f) => f.locals), fns.map((f) => f.body));
  m.exports(fns.map((f) => f.name), imports.length);
  m.section(10, code);
  m.names(imports, fns.map((f) => f.name), imports.length);
  return m.bytes();
}
