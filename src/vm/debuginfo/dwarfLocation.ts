/**
 * Where a variable is, from its DWARF location description: in memory at an
 * address the expression computes (DW_OP_fbreg, DW_OP_breg*, DW_OP_addr and
 * the stack operations of dwarfExpr.ts), in a register (DW_OP_reg*), a value
 * computed but stored nowhere (DW_OP_stack_value, DW_OP_implicit_value), in
 * pieces (DW_OP_piece: a long long in two registers), or not to be had here:
 * an empty description is "optimized out", and a value as it was on entry to
 * the function (DW_OP_entry_value) or a pointer to a variable that no longer
 * exists (DW_OP_implicit_pointer) is "unavailable", as the issue asks and gdb
 * often says.
 */
import { evaluate, type ExprContext } from './dwarfExpr';
import { DwarfError, Reader } from './reader';

export type Where =
  | { kind: 'memory'; addr: number }
  | { kind: 'register'; reg: number }
  | { kind: 'value'; bytes: Uint8Array }
  | { kind: 'pieces'; pieces: { where: Where; size: number }[] }
  | { kind: 'unavailable'; why: string };

export const OPTIMIZED_OUT: Where = { kind: 'unavailable', why: 'optimized out' };

/** The location an expression describes, with the registers and memory of the frame in `ctx`. */
export function evaluateLocation(expr: Uint8Array, ctx: ExprContext): Where {
  if (expr.length === 0) return OPTIMIZED_OUT;
  let parts: Part[];
  try {
    parts = split(expr);
  } catch (e) {
    if (e instanceof DwarfError) return { kind: 'unavailable', why: 'a location this debugger cannot read' };
    throw e;
  }
  const one = (p: Part): Where => simple(p.ops, ctx);
  if (parts.length === 1 && parts[0].size === undefined) return one(parts[0]);
  return { kind: 'pieces', pieces: parts.map((p) => ({ where: p.ops.length === 0 ? OPTIMIZED_OUT : one(p), size: p.size ?? 0 })) };
}

interface Part { ops: Uint8Array; size?: number }

/** The expression cut at each DW_OP_piece (bit pieces are taken as whole bytes, which is all GCC emits for i386). */
function split(expr: Uint8Array): Part[] {
  const parts: Part[] = [];
  const r = new Reader(expr);
  let start = 0;
  while (!r.atEnd) {
    const at = r.pos, op = r.u8();
    if (op === 0x93 || op === 0x9d) { // piece, bit_piece
      const size = op === 0x93 ? r.uleb() : Math.ceil(r.uleb() / 8);
      if (op === 0x9d) r.uleb();
      parts.push({ ops: expr.subarray(start, at), size });
      start = r.pos;
      continue;
    }
    skipOperands(r, op);
  }
  if (start < expr.length || parts.length === 0) parts.push({ ops: expr.subarray(start) });
  return parts;
}

/** One piece's location: a register, an implicit or computed value, or a memory address. */
function simple(ops: Uint8Array, ctx: ExprContext): Where {
  if (ops.length === 0) return OPTIMIZED_OUT;
  const op = ops[0];
  if (op >= 0x50 && op <= 0x6f && ops.length === 1) return { kind: 'register', reg: op - 0x50 };
  if (op === 0x90) return { kind: 'register', reg: new Reader(ops, 1).uleb() }; // regx
  if (op === 0x9e) { // implicit_value: ULEB size, then the bytes
    const r = new Reader(ops, 1), n = r.uleb();
    return { kind: 'value', bytes: ops.slice(r.pos, r.pos + n) };
  }
  // Operations whose value this debugger cannot know at a stop.
  const r = new Reader(ops);
  let stackValue = false;
  while (!r.atEnd) {
    const o = r.u8();
    if (o === 0xa3 || o === 0xf3) return { kind: 'unavailable', why: 'entry value' };
    if (o === 0xa0 || o === 0xf2) return { kind: 'unavailable', why: 'implicit pointer' };
    if (o === 0x9b || o === 0xe0) return { kind: 'unavailable', why: 'thread-local' };
    if (o === 0xfa) return { kind: 'unavailable', why: 'parameter reference' };
    if (o === 0x9f) { stackValue = true; break; }
    skipOperands(r, o);
  }
  const body = stackValue ? ops.subarray(0, r.pos - 1) : ops;
  const v = evaluate(body, ctx);
  if (v === null) return { kind: 'unavailable', why: 'not computable in this frame' };
  if (stackValue) {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, v >>> 0, true);
    return { kind: 'value', bytes };
  }
  return { kind: 'memory', addr: v >>> 0 };
}

/** Step over an operation's operands (DWARF 5 §2.5, §2.6, and GNU's). */
function skipOperands(r: Reader, op: number): void {
  if ((op >= 0x70 && op <= 0x8f)) { r.sleb(); return; } // breg*
  switch (op) {
    case 0x03: r.skip(4); return; // addr (i386)
    case 0x08: case 0x09: case 0x15: case 0x94: r.skip(1); return; // const1, pick, deref_size
    case 0x0a: case 0x0b: case 0x28: case 0x2f: r.skip(2); return; // const2, bra, skip
    case 0x0c: case 0x0d: r.skip(4); return; // const4
    case 0x0e: case 0x0f: r.skip(8); return; // const8
  }
  switch (op) {
    case 0x10: case 0x23: case 0x90: case 0x93: case 0xa1: case 0xa2: case 0xfb: r.uleb(); return; // constu, plus_uconst, regx, piece, addrx, constx, GNU_addr_index
    case 0x11: case 0x91: r.sleb(); return; // consts, fbreg
    case 0x92: r.uleb(); r.sleb(); return; // bregx
    case 0x9d: r.uleb(); r.uleb(); return; // bit_piece
    case 0x9e: r.skip(r.uleb()); return; // implicit_value
    case 0xa0: case 0xf2: r.skip(4); r.sleb(); return; // implicit_pointer (a 4-byte reference in 32-bit DWARF)
    case 0xa3: case 0xf3: r.skip(r.uleb()); return; // entry_value
    case 0x98: r.skip(2); return; // call2
    case 0x99: r.skip(4); return; // call4
    case 0x9a: r.skip(4); return; // call_ref
    case 0xa4: r.uleb(); r.skip(r.u8()); return; // const_type
    case 0xa5: r.uleb(); r.uleb(); return; // regval_type
    case 0xa6: r.u8(); r.uleb(); return; // deref_type
    case 0xa8: case 0xa9: r.uleb(); return; // convert, reinterpret
    case 0xfa: r.skip(4); return; // GNU_parameter_ref
    default: return; // no operands
  }
}
