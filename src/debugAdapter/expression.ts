/**
 * Expressions as the debugger's user types them: in watches, hovers,
 * breakpoint conditions, the debug console and the monitor's address
 * arguments. A small C-like language over unsigned 32-bit values:
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
 * A recursive-descent parser builds a small tree, then it is evaluated (so
 * `p && *p` never reads memory when p is 0). Errors come back as a message
 * with the column (1-based) they were found at.
 *
 * Both the parser and the evaluation recurse, so an expression is bounded: in
 * length (which bounds the depth of a chain such as 1+1+...+1) and in nesting
 * (brackets, unary operators, casts, ?:), each far beyond what anyone types.
 */

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

/** The longest expression taken, in characters. */
export const MAX_EXPRESSION_LENGTH = 4096;
/** How deep brackets, unary operators, casts and ?: may nest. */
export const MAX_NESTING = 100;

/** A value as the adapter shows registers: 0x0000002a. */
export function formatValue(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

export function evaluate(expr: string, env: EvalEnv): EvalResult {
  if (expr.length > MAX_EXPRESSION_LENGTH) {
    return { error: `expression longer than ${MAX_EXPRESSION_LENGTH} characters` };
  }
  try {
    const p = new Parser(expr);
    const tree = p.parseExpression();
    p.expectEnd();
    return { value: evalNode(tree, env) >>> 0 };
  } catch (e) {
    if (e instanceof ExprError) return { error: e.message };
    throw e;
  }
}

class ExprError extends Error {}

// ---- Tokens -------------------------------------------------------------------

type Tok =
  | { kind: 'num'; value: number; col: number; text: string }
  | { kind: 'name'; text: string; col: number }
  | { kind: 'op'; text: string; col: number }
  | { kind: 'end'; col: number; text: '' };

const OPS = [
  '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '(', ')',
  '[', ']', '?', ':',
];
const ESCAPES: Record<string, number> = {
  n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, e: 27,
};

function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i], col = i + 1;
    if (/\s/.test(c)) { i++; continue; }
    if (/[0-9]/.test(c)) {
      const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)(?![\w.$])/.exec(s.slice(i));
      if (!m) throw new ExprError(`bad number '${/^[\w.$]+/.exec(s.slice(i))![0]}' at column ${col}`);
      const t = m[1];
      const v = /^0[bB]/.test(t) ? parseInt(t.slice(2), 2) : Number(t);
      if (v > 0xffffffff) throw new ExprError(`number '${t}' at column ${col} does not fit in 32 bits`);
      toks.push({ kind: 'num', value: v, col, text: t });
      i += t.length;
      continue;
    }
    if (c === "'") {
      const m = /^'(\\x[0-9a-fA-F]{1,2}|\\.|[^\\'])'/.exec(s.slice(i));
      if (!m) throw new ExprError(`bad character literal at column ${col}`);
      const body = m[1];
      let v: number;
      if (body.startsWith('\\x')) v = parseInt(body.slice(2), 16);
      else if (body.startsWith('\\')) {
        if (!(body[1] in ESCAPES)) throw new ExprError(`unknown escape '${body}' at column ${col}`);
        v = ESCAPES[body[1]];
      } else v = body.charCodeAt(0);
      toks.push({ kind: 'num', value: v, col, text: m[0] });
      i += m[0].length;
      continue;
    }
    const name = /^\$?[A-Za-z_.][\w.]*/.exec(s.slice(i));
    if (name) {
      toks.push({ kind: 'name', text: name[0], col });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => s.startsWith(o, i));
    if (op === undefined) throw new ExprError(`unexpected '${c}' at column ${col}`);
    toks.push({ kind: 'op', text: op, col });
    i += op.length;
  }
  toks.push({ kind: 'end', col: s.length + 1, text: '' });
  return toks;
}

// ---- The tree -----------------------------------------------------------------

type Size = 1 | 2 | 4;
type Node =
  | { t: 'num'; v: number }
  | { t: 'name'; name: string; col: number }
  | { t: 'unary'; op: string; e: Node }
  | { t: 'binary'; op: string; l: Node; r: Node; col: number }
  | { t: 'cond'; c: Node; a: Node; b: Node }
  /** A cast: to a pointer to `size`-byte units, or to a `size`-byte integer. */
  | { t: 'cast'; size: Size; pointer: boolean; e: Node }
  | { t: 'deref'; e: Node; col: number };

/** Binary operators by precedence, loosest first (C's table). */
const LEVELS: string[][] = [
  ['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%'],
];

/** Type names a cast may use, with their size (every value is unsigned: (char) masks, it does not sign-extend). */
const TYPES: Record<string, Size> = {
  u8: 1, u16: 2, u32: 4, uint8_t: 1, uint16_t: 2, uint32_t: 4, char: 1, 'unsigned char': 1, short: 2,
  'unsigned short': 2, int: 4, 'unsigned int': 4, unsigned: 4, long: 4, 'unsigned long': 4,
};

class Parser {
  private readonly toks: Tok[];
  private pos = 0;
  private depth = 0;

  constructor(src: string) {
    this.toks = tokenize(src);
    if (this.toks.length === 1) throw new ExprError('empty expression');
  }

  private get tok(): Tok { return this.toks[this.pos]; }
  private isOp(text: string, at = this.pos): boolean {
    const t = this.toks[at];
    return t.kind === 'op' && t.text === text;
  }
  private unexpected(t = this.tok): never {
    if (t.kind === 'end') throw new ExprError('unexpected end of expression');
    throw new ExprError(`unexpected '${t.text}' at column ${t.col}`);
  }
  private expect(text: string): void {
    if (!this.isOp(text)) {
      if (this.tok.kind === 'end') throw new ExprError(`missing '${text}' at end of expression`);
      throw new ExprError(`expected '${text}' but found '${this.tok.text}' at column ${this.tok.col}`);
    }
    this.pos++;
  }
  expectEnd(): void {
    if (this.tok.kind !== 'end') this.unexpected();
  }

  /** One level deeper: past the limit, an error rather than the parser's (or the evaluation's) stack overflowing. */
  private descend(): void {
    if (++this.depth > MAX_NESTING) {
      throw new ExprError(`expression nested more than ${MAX_NESTING} deep at column ${this.tok.col}`);
    }
  }

  parseExpression(): Node {
    this.descend();
    let node = this.parseBinary(0);
    if (this.isOp('?')) {
      this.pos++;
      const a = this.parseExpression();
      this.expect(':');
      node = { t: 'cond', c: node, a, b: this.parseExpression() };
    }
    this.depth--;
    return node;
  }

  private parseBinary(level: number): Node {
    if (level === LEVELS.length) return this.parseUnary();
    let l = this.parseBinary(level + 1);
    for (;;) {
      const t = this.tok;
      if (t.kind !== 'op' || !LEVELS[level].includes(t.text)) return l;
      this.pos++;
      l = { t: 'binary', op: t.text, l, r: this.parseBinary(level + 1), col: t.col };
    }
  }

  private parseUnary(): Node {
    const t = this.tok;
    if (t.kind === 'op' && ['-', '+', '~', '!'].includes(t.text)) {
      this.pos++;
      return { t: 'unary', op: t.text, e: this.parseOperand() };
    }
    if (t.kind === 'op' && t.text === '*') {
      this.pos++;
      return { t: 'deref', e: this.parseOperand(), col: t.col };
    }
    if (t.kind === 'op' && t.text === '(') {
      const cast = this.tryCast();
      if (cast) return { ...cast, e: this.parseOperand() };
    }
    return this.parsePrimary();
  }

  /** The operand of a unary operator or a cast, one level deeper. */
  private parseOperand(): Node {
    this.descend();
    const e = this.parseUnary();
    this.depth--;
    return e;
  }

  /** `(type)` or `(type *)` at the current '(': consumes it and says what it is, or leaves it alone. */
  private tryCast(): { t: 'cast'; size: Size; pointer: boolean } | null {
    let at = this.pos + 1;
    const words: string[] = [];
    while (this.toks[at].kind === 'name') words.push(this.toks[at++].text);
    const size = TYPES[words.join(' ')];
    if (words.length === 0 || size === undefined) return null;
    let pointer = false;
    if (this.isOp('*', at)) { pointer = true; at++; }
    if (!this.isOp(')', at)) return null;
    this.pos = at + 1;
    return { t: 'cast', size, pointer };
  }

  private parsePrimary(): Node {
    const t = this.tok;
    if (t.kind === 'num') { this.pos++; return { t: 'num', v: t.value }; }
    if (t.kind === 'name') { this.pos++; return { t: 'name', name: t.text, col: t.col }; }
    if (t.kind === 'op' && t.text === '(') {
      this.pos++;
      const e = this.parseExpression();
      this.expect(')');
      return e;
    }
    if (t.kind === 'op' && t.text === '[') {
      this.pos++;
      const e = this.parseExpression();
      this.expect(']');
      return { t: 'deref', e, col: t.col };
    }
    return this.unexpected();
  }
}

// ---- Evaluation ---------------------------------------------------------------

const hex = (v: number) => '0x' + (v >>> 0).toString(16);

function evalNode(n: Node, env: EvalEnv): number {
  switch (n.t) {
    case 'num': return n.v;
    case 'name': return lookup(n.name, env);
    case 'cond': return evalNode(n.c, env) !== 0 ? evalNode(n.a, env) : evalNode(n.b, env);
    case 'cast': {
      const v = evalNode(n.e, env) >>> 0;
      return n.pointer || n.size === 4 ? v : v & (n.size === 1 ? 0xff : 0xffff);
    }
    case 'deref': {
      // The unit is the pointer cast's, if the operand is one; a word otherwise.
      const size: Size = n.e.t === 'cast' && n.e.pointer ? n.e.size : 4;
      const addr = evalNode(n.e, env) >>> 0;
      const v = env.read(addr, size);
      if (v === undefined) throw new ExprError(`nothing mapped at ${hex(addr)}`);
      return v >>> 0;
    }
    case 'unary': {
      const v = evalNode(n.e, env) >>> 0;
      switch (n.op) {
        case '-': return (-v) >>> 0;
        case '~': return ~v >>> 0;
        case '!': return v === 0 ? 1 : 0;
        default: return v;
      }
    }
    case 'binary': {
      if (n.op === '&&') return evalNode(n.l, env) !== 0 && evalNode(n.r, env) !== 0 ? 1 : 0;
      if (n.op === '||') return evalNode(n.l, env) !== 0 || evalNode(n.r, env) !== 0 ? 1 : 0;
      const a = evalNode(n.l, env) >>> 0, b = evalNode(n.r, env) >>> 0;
      switch (n.op) {
        case '+': return (a + b) >>> 0;
        case '-': return (a - b) >>> 0;
        case '*': return Math.imul(a, b) >>> 0;
        case '/':
        case '%':
          if (b === 0) throw new ExprError(`division by zero at column ${n.col}`);
          return (n.op === '/' ? Math.floor(a / b) : a % b) >>> 0;
        case '&': return (a & b) >>> 0;
        case '|': return (a | b) >>> 0;
        case '^': return (a ^ b) >>> 0;
        // Shifting by 32 or more leaves nothing (JavaScript would take the count mod 32).
        case '<<': return b >= 32 ? 0 : (a << b) >>> 0;
        case '>>': return b >= 32 ? 0 : a >>> b;
        case '==': return a === b ? 1 : 0;
        case '!=': return a !== b ? 1 : 0;
        case '<': return a < b ? 1 : 0;
        case '<=': return a <= b ? 1 : 0;
        case '>': return a > b ? 1 : 0;
        case '>=': return a >= b ? 1 : 0;
      }
      throw new Error(`operator ${n.op}`);
    }
  }
}

function lookup(name: string, env: EvalEnv): number {
  if (name.startsWith('$')) {
    const reg = name === '$pc' ? 'eip' : name.slice(1).toLowerCase();
    const v = env.register(reg);
    if (v !== undefined) return v >>> 0;
    const f = env.fpu?.(reg);
    if (f === undefined) throw new ExprError(`unknown register '${name}'`);
    if ('error' in f) throw new ExprError(f.error);
    return f.value >>> 0;
  }
  const v = env.register(name.toLowerCase()) ?? env.symbol(name);
  if (v === undefined) throw new ExprError(`unknown name '${name}'`);
  return v >>> 0;
}
