/**
 * The grammar of the debugger's expressions, one for the old untyped forms and
 * for C: tokens, then a recursive-descent parser that builds a small tree
 * (cexpr.ts evaluates it). C's precedence, loosest first:
 *
 *   ?:   ||   &&   |   ^   &   == !=   < <= > >=   << >>   + -   * / %
 *   unary:    - + ~ ! * & sizeof (type)   [e] (the memory form, at the start of an operand)
 *   postfix:  a[i]  s.m  p->m
 *
 * A cast needs to know which names are types, so the parser asks (`isTypeName`)
 * for an identifier alone in brackets: `(uint32_t)x` is a cast, `(eax)` is not.
 *
 * Both the parser and the evaluation recurse, so an expression is bounded: in
 * length (which bounds the depth of a chain such as 1+1+...+1) and in nesting
 * (brackets, unary operators, casts, ?:), each far beyond what anyone types.
 */
import { ValueError } from './cvalue';
import { isQualifier, isTypeKeyword } from './ctypeNames';

/** The longest expression taken, in characters. */
export const MAX_EXPRESSION_LENGTH = 4096;
/** How deep brackets, unary operators, casts and ?: may nest. */
export const MAX_NESTING = 100;

/** A C integer literal's suffix, lower-cased: '' (the old untyped number), 'u', 'l', 'ul', 'll', 'ull'. */
export type Suffix = '' | 'u' | 'l' | 'ul' | 'll' | 'ull';

type Tok =
  | { kind: 'num'; value: bigint; suffix: Suffix; hex: boolean; col: number; text: string }
  | { kind: 'name'; text: string; col: number }
  | { kind: 'op'; text: string; col: number }
  | { kind: 'end'; col: number; text: '' };

const OPS = [
  '->', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '<', '>', '(',
  ')', '[', ']', '?', ':', '.',
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
      const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([uU](?:ll|LL|[lL])?|(?:ll|LL|[lL])[uU]?)?(?![\w.$])/.exec(s.slice(i));
      if (!m) throw new ValueError(`bad number '${/^[\w.$]+/.exec(s.slice(i))![0]}' at column ${col}`);
      const t = m[1];
      const suffix = normalSuffix(m[2] ?? '');
      const v = /^0[bB]/.test(t) ? BigInt('0b' + t.slice(2)) : BigInt(t);
      // Numbers without a suffix are the old language's 32-bit values; long long ones may use 64 bits.
      if (v > (suffix.endsWith('ll') ? 0xffffffffffffffffn : 0xffffffffn)) {
        throw new ValueError(`number '${t}' at column ${col} does not fit in ${suffix.endsWith('ll') ? 64 : 32} bits`);
      }
      toks.push({ kind: 'num', value: v, suffix, hex: !/^[0-9]+$/.test(t), col, text: m[0] });
      i += m[0].length;
      continue;
    }
    if (c === "'") {
      const m = /^'(\\x[0-9a-fA-F]{1,2}|\\.|[^\\'])'/.exec(s.slice(i));
      if (!m) throw new ValueError(`bad character literal at column ${col}`);
      const body = m[1];
      let v: number;
      if (body.startsWith('\\x')) v = parseInt(body.slice(2), 16);
      else if (body.startsWith('\\')) {
        if (!(body[1] in ESCAPES)) throw new ValueError(`unknown escape '${body}' at column ${col}`);
        v = ESCAPES[body[1]];
      } else v = body.charCodeAt(0);
      toks.push({ kind: 'num', value: BigInt(v), suffix: '', hex: false, col, text: m[0] });
      i += m[0].length;
      continue;
    }
    // After an operand a '.' is member access (`procs[1].pid`); elsewhere it may begin a symbol (`.Lfoo`).
    const prev = toks[toks.length - 1];
    const afterOperand = prev !== undefined && (prev.kind === 'name' || prev.kind === 'num' || prev.text === ')' || prev.text === ']');
    const name = afterOperand && c === '.' ? null : /^\$?[A-Za-z_.][\w.]*/.exec(s.slice(i));
    if (name) {
      toks.push({ kind: 'name', text: name[0], col });
      i += name[0].length;
      continue;
    }
    const op = OPS.find((o) => s.startsWith(o, i));
    if (op === undefined) throw new ValueError(`unexpected '${c}' at column ${col}`);
    toks.push({ kind: 'op', text: op, col });
    i += op.length;
  }
  toks.push({ kind: 'end', col: s.length + 1, text: '' });
  return toks;
}

function normalSuffix(s: string): Suffix {
  const l = s.toLowerCase();
  const u = l.includes('u') ? 'u' : '';
  const longs = l.replace('u', '');
  return (longs === '' ? u : u + longs) as Suffix;
}

// ---- The tree -----------------------------------------------------------------

/** A type as a cast or sizeof writes it: its words (`struct`, `trapframe`), then a `*` per level of pointer. */
export interface TypeSyntax { words: string[]; stars: number; col: number }

export type Node =
  | { t: 'num'; v: bigint; suffix: Suffix; hex: boolean; col: number }
  /** A name; one with dots (`tf.eax`, `foo.c`) is a member chain or a dotted symbol, decided by what exists. */
  | { t: 'name'; name: string; col: number }
  | { t: 'unary'; op: string; e: Node; col: number }
  | { t: 'binary'; op: string; l: Node; r: Node; col: number }
  | { t: 'cond'; c: Node; a: Node; b: Node; col: number }
  | { t: 'cast'; type: TypeSyntax; e: Node; col: number }
  /** `*e` */
  | { t: 'deref'; e: Node; col: number }
  /** `[e]`: the word at e, always untyped. */
  | { t: 'memory'; e: Node; col: number }
  | { t: 'address'; e: Node; col: number }
  | { t: 'sizeof'; e: Node | TypeSyntax; col: number }
  | { t: 'member'; e: Node; name: string; arrow: boolean; col: number }
  | { t: 'index'; e: Node; i: Node; col: number };

/** Binary operators by precedence, loosest first (C's table). */
const LEVELS: string[][] = [
  ['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%'],
];

/** The whole expression as a tree, or a ValueError with the column. */
export function parse(src: string, isTypeName: (name: string) => boolean): Node {
  if (src.length > MAX_EXPRESSION_LENGTH) throw new ValueError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
  const p = new Parser(src, isTypeName);
  const tree = p.parseExpression();
  p.expectEnd();
  return tree;
}

class Parser {
  private readonly toks: Tok[];
  private pos = 0;
  private depth = 0;

  constructor(src: string, private readonly isTypeName: (name: string) => boolean) {
    this.toks = tokenize(src);
    if (this.toks.length === 1) throw new ValueError('empty expression');
  }

  private get tok(): Tok { return this.toks[this.pos]; }
  private isOp(text: string, at = this.pos): boolean {
    const t = this.toks[at];
    return t.kind === 'op' && t.text === text;
  }
  private unexpected(t = this.tok): never {
    if (t.kind === 'end') throw new ValueError('unexpected end of expression');
    throw new ValueError(`unexpected '${t.text}' at column ${t.col}`);
  }
  private expect(text: string): void {
    if (!this.isOp(text)) {
      if (this.tok.kind === 'end') throw new ValueError(`missing '${text}' at end of expression`);
      throw new ValueError(`expected '${text}' but found '${this.tok.text}' at column ${this.tok.col}`);
    }
    this.pos++;
  }
  expectEnd(): void {
    if (this.tok.kind !== 'end') this.unexpected();
  }

  /** One level deeper: past the limit, an error rather than the parser's (or the evaluation's) stack overflowing. */
  private descend(): void {
    if (++this.depth > MAX_NESTING) {
      throw new ValueError(`expression nested more than ${MAX_NESTING} deep at column ${this.tok.col}`);
    }
  }

  parseExpression(): Node {
    this.descend();
    let node = this.parseBinary(0);
    if (this.isOp('?')) {
      const col = this.tok.col;
      this.pos++;
      const a = this.parseExpression();
      this.expect(':');
      node = { t: 'cond', c: node, a, b: this.parseExpression(), col };
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
      return { t: 'unary', op: t.text, e: this.parseOperand(), col: t.col };
    }
    if (t.kind === 'op' && (t.text === '*' || t.text === '&')) {
      this.pos++;
      return { t: t.text === '*' ? 'deref' : 'address', e: this.parseOperand(), col: t.col };
    }
    if (t.kind === 'name' && t.text === 'sizeof') {
      this.pos++;
      const type = this.isOp('(') ? this.tryTypeInBrackets() : null;
      return { t: 'sizeof', e: type ?? this.parseOperand(), col: t.col };
    }
    if (t.kind === 'op' && t.text === '(') {
      const type = this.tryTypeInBrackets();
      if (type) return { t: 'cast', type, e: this.parseOperand(), col: t.col };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  /** The operand of a unary operator or a cast, one level deeper. */
  private parseOperand(): Node {
    this.descend();
    const e = this.parseUnary();
    this.depth--;
    return e;
  }

  /**
   * `(type)` at the current '(' (words, then stars, each perhaps qualified):
   * consumes it and says what it is, or leaves it alone when it is no type.
   */
  private tryTypeInBrackets(): TypeSyntax | null {
    let at = this.pos + 1;
    const words: string[] = [];
    let named = false;
    for (let t = this.toks[at]; t.kind === 'name'; t = this.toks[++at]) {
      const tag = words.length > 0 && ['struct', 'union', 'enum'].includes(words[words.length - 1]);
      if (isTypeKeyword(t.text) || tag) { words.push(t.text); named ||= !isQualifier(t.text); continue; }
      if (named || !this.isTypeName(t.text)) return null;
      words.push(t.text);
      named = true;
    }
    if (!named) return null;
    let stars = 0;
    for (;;) {
      if (this.isOp('*', at)) { stars++; at++; continue; }
      const t = this.toks[at];
      if (stars > 0 && t.kind === 'name' && isQualifier(t.text)) { at++; continue; }
      break;
    }
    if (!this.isOp(')', at)) return null;
    const col = this.tok.col;
    this.pos = at + 1;
    return { words, stars, col };
  }

  private parsePostfix(e: Node): Node {
    for (;;) {
      const t = this.tok;
      if (this.isOp('[')) {
        this.pos++;
        const i = this.parseExpression();
        this.expect(']');
        e = { t: 'index', e, i, col: t.col };
      } else if (this.isOp('.') || this.isOp('->')) {
        this.pos++;
        const m = this.tok;
        if (m.kind !== 'name' || m.text.startsWith('$')) this.unexpected(m);
        this.pos++;
        // The tokenizer keeps `a.b` whole: `p->a.b` is p->a, then .b.
        m.text.split('.').forEach((name, k) => {
          if (name === '') this.unexpected(m);
          e = { t: 'member', e, name, arrow: k === 0 && t.text === '->', col: k === 0 ? t.col : m.col };
        });
      } else return e;
    }
  }

  private parsePrimary(): Node {
    const t = this.tok;
    if (t.kind === 'num') { this.pos++; return { t: 'num', v: t.value, suffix: t.suffix, hex: t.hex, col: t.col }; }
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
      return { t: 'memory', e, col: t.col };
    }
    return this.unexpected();
  }
}
