/**
 * The disassembler: prints a decoded instruction exactly as GNU objdump
 * does (`objdump -d`, and `-M intel`), the text after the bytes column.
 *
 * It reads the decoder's Instr and the opcode map row it points to, so
 * what the user reads is what runs. Pure functions, no state.
 */
import { decode, MAX_INSTR_LEN, NEED_MORE_BYTES } from '../decoder';
import { Instr } from '../instr';
import { analyze } from './analyze';
import { renderOperand, type Syntax } from './operands';
import { prefixName, prefixNames, reconstructPrefixes, scanPrefixes } from './prefixes';

export type { Syntax } from './operands';

export interface DisasmOptions {
  syntax: Syntax;
  /** Address of the instruction's first byte (branch targets are printed as absolute addresses). */
  address: number;
  /**
   * Names an address for branch targets: `main` or `main+0x10`, printed
   * `100020 <main+0x10>`. Without it (or when it returns undefined) the
   * target prints as `0x100020`, as objdump does with no symbols.
   */
  symbolize?: (addr: number) => string | undefined;
  /**
   * The instruction's bytes (more may follow). Optional: they only matter
   * for redundant or unused prefixes (`data16`, `cs`, repeated prefixes),
   * which the Instr does not record in order, and for how many bytes
   * objdump gives an undefined opcode. Without them one prefix per effect
   * is assumed.
   */
  bytes?: ArrayLike<number>;
  /** Whether the code segment is 32-bit (default true; deduced from `bytes` when given). */
  code32?: boolean;
}

/** The text objdump prints for `ins` at `opts.address`: mnemonic and operands. */
export function disassemble(ins: Instr, opts: DisasmOptions): string {
  return disassembleWithLength(ins, opts).text;
}

/**
 * The text, and how many bytes objdump's listing attributes to it. That is
 * ins.len, except for `(bad)` instructions, where objdump stops after the
 * opcode while the decoder also took the ModRM byte and displacement (the
 * CPU raises #UD either way, so no length is "right" for them).
 */
export function disassembleWithLength(ins: Instr, opts: DisasmOptions): { text: string; length: number } {
  // At most 15 bytes are an instruction's: more prefixes make it too long (#GP).
  const bytes = opts.bytes && Array.from({ length: Math.min(opts.bytes.length, MAX_INSTR_LEN) }, (_, i) => opts.bytes![i]);
  const prefixes = bytes ? scanPrefixes(bytes) : reconstructPrefixes(ins, opts.code32 ?? true);
  // A 66 or 67 prefix flips the mode's default size, so the mode follows from the bytes.
  const code32 = opts.code32 ?? (bytes === undefined ? true
    : prefixes.includes(0x66) ? !ins.o32 : prefixes.includes(0x67) ? !ins.a32 : ins.o32);
  const a = analyze(ins, { syntax: opts.syntax, address: opts.address, code32, prefixes });
  const head = [...prefixNames(prefixes, a.use, code32), a.mnem].join(' ');
  const text = a.ops.length === 0 ? head
    // objdump pads the mnemonic (with its prefixes) to 6 columns, then one space.
    : head.padEnd(6) + ' ' + a.ops.map((o) => renderOperand(o, opts.syntax, opts.symbolize)).join(',');
  let length = ins.len;
  if (a.cut) {
    // The opcode's bytes: one, 0F xx, or 0F 38/3A xx (objdump reads the third byte of these maps).
    const p = prefixes.length;
    const escape = bytes ? bytes[p] === 0x0f : ins.opcode > 0xff;
    const map3 = bytes !== undefined && escape && (bytes[p + 1] === 0x38 || bytes[p + 1] === 0x3a);
    length = p + (a.cut === 'first' || !escape ? 1 : map3 ? 3 : 2);
    if (bytes) length = Math.min(length, bytes.length);
  }
  return { text, length };
}

/**
 * An instruction cut off by the end of the bytes: objdump shows its first
 * byte alone, as a prefix (`data16`, `cs`...) or as `.byte 0x..`.
 */
export function truncatedText(first: number, code32: boolean): string {
  return prefixName(first, code32) ?? `.byte 0x${first.toString(16)}`;
}

export interface DisasmLine {
  address: number;
  length: number;
  bytes: Uint8Array;
  text: string;
}

/**
 * Disassemble `bytes` (loaded at `address`) from start to end, one line per
 * instruction, as objdump's linear sweep does (a `(bad)` line covers the
 * bytes objdump gives it, see disassembleWithLength).
 */
export function disassembleBytes(
  bytes: Uint8Array, address: number, code32: boolean, syntax: Syntax,
  symbolize?: (addr: number) => string | undefined,
): DisasmLine[] {
  const out: DisasmLine[] = [];
  const ins = new Instr(() => {});
  let pos = 0;
  while (pos < bytes.length) {
    const addr = (address + pos) >>> 0;
    const n = decode(bytes, pos, bytes.length, code32, ins);
    let length: number, text: string;
    if (n === NEED_MORE_BYTES) {
      length = 1;
      text = truncatedText(bytes[pos], code32);
    } else {
      ({ text, length } = disassembleWithLength(ins, {
        syntax, address: addr, symbolize, code32, bytes: bytes.subarray(pos, Math.min(bytes.length, pos + MAX_INSTR_LEN)),
      }));
    }
    out.push({ address: addr, length, bytes: bytes.slice(pos, pos + length), text });
    pos += length;
  }
  return out;
}
