/**
 * A DWARF expression evaluator, enough for call frame information: GCC
 * describes an i386 frame whose stack was realigned (main, with its
 * `and $-16,%esp`) by expressions such as "DW_OP_breg5 (ebp): -12;
 * DW_OP_deref". A stack machine of 32-bit values: constants, registers
 * (DW_OP_breg*), memory reads, arithmetic, comparisons and branches.
 * Location descriptions that are not memory addresses (DW_OP_reg*,
 * DW_OP_piece) and anything else unknown make the result null: not known.
 */
import { DwarfError, Reader } from './reader';

export interface ExprContext {
  /** A register by DWARF number (i386: 0 eax, 1 ecx, 2 edx, 3 ebx, 4 esp, 5 ebp, 6 esi, 7 edi, 8 eip), if known. */
  reg(n: number): number | undefined;
  /** A 32-bit little-endian read of memory, null where there is nothing to read. */
  read32(addr: number): number | null;
  /** For variables' locations (dwarfLocation.ts): the function's DW_AT_frame_base, the frame's CFA, .debug_addr. */
  frameBase?(): number | undefined;
  cfa?(): number | undefined;
  addrx?(index: number): number | undefined;
}

class Unknown extends Error {}

/** The value left on top of the stack, or null when it cannot be computed here. */
export function evaluate(expr: Uint8Array, ctx: ExprContext, initial: number[] = []): number | null {
  const stack = [...initial];
  const pop = (): number => {
    const v = stack.pop();
    if (v === undefined) throw new Unknown();
    return v;
  };
  const push = (v: number) => stack.push(v >>> 0);
  const reg = (n: number): number => {
    const v = ctx.reg(n);
    if (v === undefined) throw new Unknown();
    return v;
  };
  const signed = (v: number) => v | 0;
  const known = (v: number | undefined): number => {
    if (v === undefined) throw new Unknown();
    return v;
  };
  const r = new Reader(expr);
  try {
    let steps = 0;
    while (!r.atEnd) {
      if (++steps > 10_000) return null; // a DW_OP_skip loop
      const op = r.u8();
      if (op >= 0x30 && op <= 0x4f) { push(op - 0x30); continue; } // DW_OP_lit0..31
      if (op >= 0x70 && op <= 0x8f) { push(reg(op - 0x70) + r.sleb()); continue; } // DW_OP_breg0..31
      switch (op) {
        case 0x03: push(r.u32()); break; // addr
        case 0x06: { // deref
          const v = ctx.read32(pop());
          if (v === null) return null;
          push(v);
          break;
        }
        case 0x08: push(r.u8()); break; // const1u
        case 0x09: push(r.i8()); break; // const1s
        case 0x0a: push(r.u16()); break; // const2u
        case 0x0b: push(r.i16()); break; // const2s
        case 0x0c: push(r.u32()); break; // const4u
        case 0x0d: push(r.i32()); break; // const4s
        case 0x0e: push(r.u64()); break; // const8u (low 32 bits)
        case 0x0f: push(r.i64()); break; // const8s
        case 0x10: push(r.uleb()); break; // constu
        case 0x11: push(r.sleb()); break; // consts
        case 0x12: { const v = pop(); push(v); push(v); break; } // dup
        case 0x13: pop(); break; // drop
        case 0x14: { // over
          if (stack.length < 2) return null;
          push(stack[stack.length - 2]);
          break;
        }
        case 0x15: { // pick
          const k = r.u8();
          if (k >= stack.length) return null;
          push(stack[stack.length - 1 - k]);
          break;
        }
        case 0x16: { const a = pop(), b = pop(); push(a); push(b); break; } // swap
        case 0x17: { const a = pop(), b = pop(), c = pop(); push(a); push(c); push(b); break; } // rot
        case 0x19: push(Math.abs(signed(pop()))); break; // abs
        case 0x1a: { const a = pop(); push(pop() & a); break; } // and
        case 0x1b: { // div (signed)
          const a = signed(pop()), b = signed(pop());
          if (a === 0) return null;
          push(Math.trunc(b / a));
          break;
        }
        case 0x1c: { const a = pop(); push(pop() - a); break; } // minus
        case 0x1d: { // mod
          const a = pop(), b = pop();
          if (a === 0) return null;
          push(b % a);
          break;
        }
        case 0x1e: { const a = pop(); push(Math.imul(pop(), a)); break; } // mul
        case 0x1f: push(-signed(pop())); break; // neg
        case 0x20: push(~pop()); break; // not
        case 0x21: { const a = pop(); push(pop() | a); break; } // or
        case 0x22: { const a = pop(); push(pop() + a); break; } // plus
        case 0x23: push(pop() + r.uleb()); break; // plus_uconst
        case 0x24: { const a = pop(); push(a >= 32 ? 0 : pop() << a); break; } // shl
        case 0x25: { const a = pop(); push(a >= 32 ? 0 : pop() >>> a); break; } // shr
        case 0x26: { const a = pop(); push(signed(pop()) >> Math.min(a, 31)); break; } // shra
        case 0x27: { const a = pop(); push(pop() ^ a); break; } // xor
        case 0x28: { const d = r.i16(); if (pop() !== 0) r.pos += d; break; } // bra
        case 0x29: case 0x2a: case 0x2b: case 0x2c: case 0x2d: case 0x2e: { // eq ge gt le lt ne (signed)
          const a = signed(pop()), b = signed(pop());
          const t = [b === a, b >= a, b > a, b <= a, b < a, b !== a][op - 0x29];
          push(t ? 1 : 0);
          break;
        }
        case 0x2f: { const d = r.i16(); r.pos += d; break; } // skip
        case 0x92: { const n = r.uleb(); push(reg(n) + r.sleb()); break; } // bregx
        case 0x94: { // deref_size
          const size = r.u8();
          const v = ctx.read32(pop());
          if (v === null || size > 4) return null;
          push(size === 4 ? v : v & ((1 << (size * 8)) - 1));
          break;
        }
        case 0x96: break; // nop
        case 0x91: push(known(ctx.frameBase?.()) + r.sleb()); break; // fbreg
        case 0x9c: push(known(ctx.cfa?.())); break; // call_frame_cfa
        case 0xa1: case 0xa2: push(known(ctx.addrx?.(r.uleb()))); break; // addrx, constx
        default: return null; // register locations, pieces, TLS, entry values...: not here
      }
      if (r.pos < 0 || r.pos > expr.length) return null;
    }
  } catch (e) {
    if (e instanceof Unknown || e instanceof DwarfError) return null;
    throw e;
  }
  return stack.length ? stack[stack.length - 1] : null;
}
