/** The debugger's expression language: numbers, names, memory, C's operators and precedence, unsigned 32-bit results, errors. */
import { describe, it, expect } from 'vitest';
import { evaluate, formatValue, MAX_EXPRESSION_LENGTH, MAX_NESTING, type EvalEnv } from './expression';

const REGS: Record<string, number> = { eax: 0x2a, ebx: 0xffffffff, esp: 0xc0001000, eip: 0xc0100000, ax: 0x2a, al: 0x2a, cr3: 0x1000 };
const SYMS: Record<string, number> = { start_kernel: 0xc0100000, jiffies: 0xc0002000, eax_table: 0xc0003000, 'foo.c': 0x1234 };
/** Memory: a word at esp, bytes at jiffies; nothing mapped below 0x1000. */
const MEM = new Map<number, number>([
  [0xc0001000, 0x78], [0xc0001001, 0x56], [0xc0001002, 0x34], [0xc0001003, 0x12],
  [0xc0002000, 0x00], [0xc0002001, 0x10], [0xc0002002, 0x00], [0xc0002003, 0xc0],
]);

const reads: number[] = [];
const env: EvalEnv = {
  register: (n) => REGS[n],
  symbol: (n) => SYMS[n],
  read(addr, size) {
    reads.push(addr);
    let v = 0;
    for (let k = 0; k < size; k++) {
      const b = MEM.get(addr + k);
      if (b === undefined) return undefined;
      v |= b << (8 * k);
    }
    return v >>> 0;
  },
};

const val = (s: string) => {
  const r = evaluate(s, env);
  if ('error' in r) throw new Error(`${s}: ${r.error}`);
  return r.value;
};
const err = (s: string) => {
  const r = evaluate(s, env);
  if ('value' in r) throw new Error(`${s}: expected an error, got ${r.value}`);
  return r.error;
};

describe('evaluate', () => {
  it('reads numbers in every base', () => {
    expect(val('42')).toBe(42);
    expect(val('0x2A')).toBe(42);
    expect(val('0b101010')).toBe(42);
    expect(val("'*'")).toBe(42);
    expect(val("'\\n'")).toBe(10);
    expect(val("'\\x41'")).toBe(0x41);
    expect(val('0xffffffff')).toBe(0xffffffff);
    expect(val('010')).toBe(10);
  });

  it('follows C precedence', () => {
    expect(val('1 + 2 * 3')).toBe(7);
    expect(val('(1 + 2) * 3')).toBe(9);
    expect(val('1 << 2 + 1')).toBe(8);
    expect(val('1 | 2 ^ 3 & 4')).toBe(1 | (2 ^ (3 & 4)));
    expect(val('2 + 3 == 5')).toBe(1);
    expect(val('1 == 1 < 2')).toBe(1); // == is looser than <
    expect(val('0 || 1 && 0')).toBe(0);
    expect(val('1 || 0 && 0')).toBe(1);
    expect(val('10 - 3 - 2')).toBe(5); // left-associative
    expect(val('100 / 10 / 5')).toBe(2);
    expect(val('-2 * 3')).toBe((-6) >>> 0);
    expect(val('!0 + !5')).toBe(1);
    expect(val('~0 >> 28')).toBe(0xf);
    expect(val('1 ? 2 : 3')).toBe(2);
    expect(val('0 ? 2 : 1 ? 3 : 4')).toBe(3);
  });

  it('works in unsigned 32 bits', () => {
    expect(val('0xffffffff + 1')).toBe(0);
    expect(val('0 - 1')).toBe(0xffffffff);
    expect(val('-1')).toBe(0xffffffff);
    expect(val('0x10000 * 0x10000')).toBe(0);
    expect(val('0x80000001 * 2')).toBe(2);
    expect(val('-1 / 2')).toBe(0x7fffffff);
    expect(val('-1 % 10')).toBe(0xffffffff % 10);
    expect(val('-1 > 1')).toBe(1);
    expect(val('0x80000000 >> 31')).toBe(1); // logical
    expect(val('1 << 31')).toBe(0x80000000);
    expect(val('1 << 32')).toBe(0);
    expect(val('~0')).toBe(0xffffffff);
    expect(val('~0x0f & 0xff')).toBe(0xf0);
  });

  it('compares and combines to 0 or 1', () => {
    for (const [s, v] of [['3 < 4', 1], ['4 <= 4', 1], ['5 > 6', 0], ['6 >= 7', 0], ['1 != 2', 1], ['2 && 3', 1], ['0 || 0', 0], ['!7', 0]] as const) {
      expect(val(s)).toBe(v);
    }
  });

  it('names registers before symbols, $ only registers', () => {
    expect(val('eax')).toBe(0x2a);
    expect(val('$eax')).toBe(0x2a);
    expect(val('EAX')).toBe(0x2a);
    expect(val('$pc')).toBe(0xc0100000);
    expect(val('al + ax')).toBe(0x54);
    expect(val('start_kernel + 0x10')).toBe(0xc0100010);
    expect(val('eax_table')).toBe(0xc0003000);
    expect(val('foo.c')).toBe(0x1234);
    expect(val('eip == start_kernel')).toBe(1);
    expect(val('ebx + 1')).toBe(0);
    expect(val('cr3 >> 12')).toBe(1);
  });

  it('reads memory: *, [], and casts to a unit size', () => {
    expect(val('*$esp')).toBe(0x12345678);
    expect(val('[esp]')).toBe(0x12345678);
    expect(val('*(u32 *)esp')).toBe(0x12345678);
    expect(val('*(u16 *)esp')).toBe(0x5678);
    expect(val('*(u8 *)esp')).toBe(0x78);
    expect(val('*(unsigned char *)(esp + 3)')).toBe(0x12);
    expect(val('*(uint16_t*)(esp+2)')).toBe(0x1234);
    // jiffies holds a pointer to the word at esp.
    expect(val('*[jiffies]')).toBe(0x12345678);
    expect(val('**jiffies')).toBe(0x12345678);
    expect(val('*(u8 *)*(u32 *)jiffies')).toBe(0x78);
    expect(val('[jiffies] == esp')).toBe(1);
  });

  it('casts values', () => {
    expect(val('(u8)0x1234')).toBe(0x34);
    expect(val('(u16)-1')).toBe(0xffff);
    expect(val('(unsigned)-1')).toBe(0xffffffff);
    expect(val('(u8)eax + 1')).toBe(0x2b); // a cast binds tighter than +
    expect(val('(eax)')).toBe(0x2a);       // a name in parentheses is not a cast
  });

  it('short-circuits: the other side is never read', () => {
    reads.length = 0;
    expect(val('0 && *0')).toBe(0);
    expect(val('1 || [0]')).toBe(1);
    expect(val('0 ? *0 : 5')).toBe(5);
    expect(reads).toEqual([]);
  });

  it('says what went wrong, and where', () => {
    expect(err('foo')).toBe("unknown name 'foo'");
    expect(err('$foo')).toBe("unknown register '$foo'");
    expect(err('*0x1234')).toBe('nothing mapped at 0x1234');
    expect(err('*(u8 *)0')).toBe('nothing mapped at 0x0');
    expect(err('1 / 0')).toBe('division by zero at column 3');
    expect(err('5 % (eax - 42)')).toBe('division by zero at column 3');
    expect(err('(1 + 2))')).toBe("unexpected ')' at column 8");
    expect(err('1 +')).toBe('unexpected end of expression');
    expect(err('(1 + 2')).toBe("missing ')' at end of expression");
    expect(err('[esp')).toBe("missing ']' at end of expression");
    expect(err('1 2')).toBe("unexpected '2' at column 3");
    expect(err('1 @ 2')).toBe("unexpected '@' at column 3");
    expect(err('0x')).toBe("bad number '0x' at column 1");
    expect(err('12abc')).toBe("bad number '12abc' at column 1");
    expect(err('0x100000000')).toBe("number '0x100000000' at column 1 does not fit in 32 bits");
    expect(err('')).toBe('empty expression');
    expect(err('   ')).toBe('empty expression');
    expect(err("'ab'")).toBe('bad character literal at column 1');
    expect(err('1 ? 2')).toBe("missing ':' at end of expression");
    expect(err('*')).toBe('unexpected end of expression');
  });
});

describe('hardening item 7: bounded expressions', () => {
  it('refuses nesting deeper than the limit with a message, not a stack overflow', () => {
    const nested = (n: number, open: string, close = '') => `${open.repeat(n)}1${close.repeat(n)}`;
    expect(val(nested(MAX_NESTING - 1, '(', ')'))).toBe(1);
    expect(err(nested(MAX_NESTING, '(', ')'))).toBe(`expression nested more than ${MAX_NESTING} deep at column ${MAX_NESTING + 1}`);
    expect(err(nested(2000, '(', ')'))).toMatch(/^expression nested more than 100 deep/);
    expect(err(nested(2000, '['))).toMatch(/^expression nested more than 100 deep/);
    expect(err(nested(2000, '-'))).toMatch(/^expression nested more than 100 deep/);
    expect(err(nested(500, '(u8)'))).toMatch(/^expression nested more than 100 deep/);
    expect(err(nested(500, '1 ? ', ' : 0'))).toMatch(/^expression nested more than 100 deep/);
  });

  it('refuses expressions longer than the limit; the longest chain of operators still evaluates', () => {
    expect(err('('.repeat(100_000))).toBe(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
    expect(err(`1${'+1'.repeat(MAX_EXPRESSION_LENGTH)}`)).toBe(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
    const terms = (MAX_EXPRESSION_LENGTH - 1) >> 1;
    const chain = `1${'+1'.repeat(terms)}`;
    expect(chain.length).toBeLessThanOrEqual(MAX_EXPRESSION_LENGTH);
    expect(val(chain)).toBe(terms + 1);
    // A chain at the bottom of the deepest nesting.
    const deep = `${'('.repeat(MAX_NESTING - 1)}1${'+1'.repeat(1800)}${')'.repeat(MAX_NESTING - 1)}`;
    expect(val(deep)).toBe(1801);
  });
});

describe('formatValue', () => {
  it('prints 8 hex digits', () => {
    expect(formatValue(42)).toBe('0x0000002a');
    expect(formatValue(-1)).toBe('0xffffffff');
    expect(formatValue(0xc0100000)).toBe('0xc0100000');
  });
});
