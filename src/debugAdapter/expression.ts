/**
 * Expressions as the debugger's user types them: in watches, hovers,
 * breakpoint conditions, the debug console and the monitor's address
 * arguments. This is the old API, over unsigned 32-bit values; the language
 * itself is C over typed values (cparse.ts, cexpr.ts), which keeps every form
 * of the old untyped one:
 *
 *   numbers     42  0x2a  0b101010  'a'  '\n'   (a leading 0 is still decimal)
 *   names       eax ax al eip cr3 ...   a register first, then a symbol;
 *               $eax is always the register ($pc is eip); the x87's are
 *               $-names only ($st0..$st7 truncated to integers, $fctrl...)
 *   memory      *(u8 *)e  *(u16 *)e  *(u32 *)e  *e  [e]   (u32 unless cast)
 *   casts       (u8)e (u16)e (u32)e, and the C spellings (unsigned char, ...)
 *   operators   C's, with C's precedence:  ?:  ||  &&  |  ^  &  == !=
 *               < <= > >= (unsigned)  << >> (logical)  + -  * / %
 *               unary - ~ ! *
 *
 * With an environment that has the program's variables and types (a CEnv),
 * names may be C variables and the result is what C converts the value to
 * as an unsigned int (docs/debug-adapter.md says the rules). Errors come
 * back as a message with the column (1-based) they were found at.
 */
import { evaluateUint32 } from './cexpr';

export { MAX_EXPRESSION_LENGTH, MAX_NESTING } from './cparse';

export interface EvalEnv {
  /**
   * A register by lower-case name (eax..edi, esp, ebp, eip, eflags, cs..gs, cr0, cr2, cr3, cr4; also ax/al-style
   * sub-registers), or undefined.
   */
  register(name: string): number | undefined;
  /** A symbol's address, or undefined. */
  symbol(name: string): number | undefined;
  /** Read Guest-virtual memory without side effects; undefined where nothing is mapped. */
  read(addr: number, size: 1 | 2 | 4): number | undefined;
  /**
   * An x87 register by its lower-case name after `$` (st0..st7, fctrl, fstat, ftag, fop, fip, fcs, fdp, fds: see
   * fpu.ts's fpuRegister): its integer value, an error (an empty register, a value that is no 32-bit integer), or
   * undefined for another name.
   */
  fpu?(name: string): EvalResult | undefined;
}

export type EvalResult = { value: number } | { error: string };

/** A value as the adapter shows registers: 0x0000002a. */
export function formatValue(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

/** The value of `expr` as an unsigned 32-bit number (a typed one converted as C converts it to unsigned int). */
export function evaluate(expr: string, env: EvalEnv): EvalResult {
  return evaluateUint32(expr, env);
}
