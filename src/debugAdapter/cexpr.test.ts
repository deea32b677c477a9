/** The typed expression language: C's semantics over the fake kernel of cTestFixtures.ts, and the old forms kept. */
import { describe, it, expect } from 'vitest';
import { typeName } from '../vm/debuginfo/ctypes';
import { evaluateTyped, setValue, type CEnv } from './cexpr';
import { evaluate, MAX_NESTING } from './expression';
import { type CValue, readScalar, isUntyped } from './cvalue';
import { makeEnv, AT, SYS_FORK } from './cTestFixtures';

const typed = (s: string, env: CEnv = makeEnv()): CValue => {
  const r = evaluateTyped(s, env);
  if ('error' in r) throw new Error(`${s}: ${r.error}`);
  return r.value;
};
/** The value as C has it: a BigInt for integers and pointers, a number for floats. */
const num = (s: string, env: CEnv = makeEnv()) => readScalar(typed(s, env), env);
const type = (s: string) => {
  const v = typed(s);
  return isUntyped(v) ? 'untyped' : typeName(v.type);
};
const err = (s: string, env: CEnv = makeEnv()) => {
  const r = evaluateTyped(s, env);
  if ('value' in r) throw new Error(`${s}: expected an error`);
  return r.error;
};
const u32 = (s: string) => {
  const r = evaluate(s, makeEnv());
  if ('error' in r) throw new Error(`${s}: ${r.error}`);
  return r.value;
};

describe('C semantics', () => {
  it('converts as C does: the usual arithmetic conversions and the promotions', () => {
    expect(num('-1 < 1u')).toBe(0n);
    expect(num('(int)-1 < 1')).toBe(1n);
    expect(num('(char)200')).toBe(-56n);
    expect(type('(char)200')).toBe('char');
    expect(num('(unsigned char)200 + (unsigned char)100')).toBe(300n); // promoted to int, no wrap at 8 bits
    expect(type('(unsigned char)1 + (unsigned char)1')).toBe('int');
    expect(num('(short)-3 * 2')).toBe(-6n);
    expect(num('0xffffffffu + 1')).toBe(0n);
    expect(num('(int)0x80000000 / -1')).toBe(-0x80000000n); // wraps, as the i386 would not even let it
    expect(num('(int)-7 / 2')).toBe(-3n); // toward zero
    expect(num('(int)-7 % 2')).toBe(-1n);
    expect(num('(int)-8 >> 1')).toBe(-4n); // arithmetic for signed
    expect(num('(unsigned)-8 >> 1')).toBe(0x7ffffffcn);
    expect(num('(int)1 << 40')).toBe(0n);
    expect(num('-(unsigned char)1')).toBe(-1n);
    expect(num('~(unsigned char)0')).toBe(-1n);
  });

  it('computes long long exactly in 64 bits', () => {
    expect(num('ll')).toBe(-5000000000n);
    expect(num('ll * 2')).toBe(-10000000000n);
    expect(type('ll + 1u')).toBe('long long int'); // wider and signed: it holds every unsigned int
    expect(num('0xffffffffffffffffull + 1')).toBe(0n);
    expect(num('1ll << 40')).toBe(1n << 40n);
    expect(num('(unsigned long long)-1 > 0')).toBe(1n);
    expect(u32('ll')).toBe(Number(BigInt.asUintN(32, -5000000000n)));
  });

  it('reads a plain number next to a typed value as that side wants it', () => {
    expect(num('count')).toBe(-5n);
    expect(num('count < 0')).toBe(1n); // signed, though 0 alone is the old unsigned word
    expect(num('count == -5')).toBe(1n);
    expect(num('(unsigned)count > 0')).toBe(1n);
    expect(num('-1 > 1')).toBe(1n); // untyped among themselves: unsigned, as always
    expect(type('count + 1')).toBe('int');
    expect(type('eax + 1')).toBe('untyped');
  });

  it('does floating point', () => {
    expect(num('d * 2')).toBe(5);
    expect(num('f')).toBe(-0.25);
    expect(num('ld + 1')).toBe(2.5);
    expect(type('f + 1')).toBe('float');
    expect(type('f + d')).toBe('double');
    expect(type('ld + d')).toBe('long double');
    expect(num('(int)d')).toBe(2n);
    expect(num('d > 2')).toBe(1n);
    expect(num('f < -0')).toBe(1n);
    expect(num('u.f')).toBe(1.5);
    expect(u32('d')).toBe(2);
    expect(err('d % 2')).toBe("'%' needs integers, not floating point, at column 3");
  });

  it('divides by zero as an error', () => {
    expect(err('count / 0')).toBe('division by zero at column 7');
    expect(err('ll % (ll - ll)')).toBe('division by zero at column 4');
  });
});

describe('members, subscripts, pointers', () => {
  it('reaches members and elements', () => {
    expect(num('procs[1].pid')).toBe(2n);
    expect(num('procs[0].tf->eax')).toBe(0x107n);
    expect(num('p->pid')).toBe(2n);
    expect(num('(*p).pid')).toBe(2n);
    expect(num('p->parent->pid')).toBe(1n);
    expect(num('p[0].parent[0].sz')).toBe(4096n);
    expect(num('procs[0].name[1]')).toBe(BigInt('n'.charCodeAt(0)));
    expect(num('tf->eax')).toBe(0x107n);
    expect(num('frame.eax')).toBe(0x107n); // one token with a dot: a member chain, as the variable exists
    expect(num('frame . eip')).toBe(0x10an);
    expect(num('ints[3]')).toBe(-4n);
    expect(num('1[ints]')).toBe(20n);
    expect(num('m.i')).toBe(65n); // through the anonymous union
    expect(num('m.ch')).toBe(65n);
    expect(num('u.bytes[3]')).toBe(0x3fn);
    expect(type('procs[1].state')).toBe('enum proc_state');
    expect(num('procs[1].state == 2')).toBe(1n);
  });

  it('reads and sign-extends bitfields', () => {
    expect(num('entry.present')).toBe(1n);
    expect(num('entry.rw')).toBe(0n);
    expect(num('entry.user')).toBe(1n);
    expect(num('entry.delta')).toBe(-2n);
    expect(num('entry.frame')).toBe(0x12345n);
    expect(type('entry.frame + 0')).toBe('int'); // a 20-bit unsigned field promotes to int
    expect(err('&entry.rw')).toBe('cannot take the address of a bitfield at column 1');
  });

  it('scales pointer arithmetic by the pointee', () => {
    expect(num('&procs[1] - &procs[0]')).toBe(1n);
    expect(num('&procs[3] - p')).toBe(2n);
    expect(num('(p + 1)->pid')).toBe(0n);
    expect(num('p + 1')).toBe(BigInt(AT.procs + 72));
    expect(num('p - 1')).toBe(BigInt(AT.procs));
    expect(num('p + -1')).toBe(BigInt(AT.procs));
    expect(num('2 + p')).toBe(BigInt(AT.procs + 36 * 3));
    expect(num('procs + 1 == p')).toBe(1n);
    expect(num('p > procs')).toBe(1n);
    expect(num('*(ints + 2)')).toBe(30n);
    expect(num('(char *)p + 1')).toBe(BigInt(AT.procs + 37));
    expect(num('(void *)p + 1')).toBe(BigInt(AT.procs + 37));
    expect(num('p->parent == 0')).toBe(0n);
    expect(num('procs[0].parent == 0')).toBe(1n);
    expect(num('!procs[0].parent')).toBe(1n);
    expect(num('procs[0].parent && procs[0].parent->pid')).toBe(0n); // never reads through the null pointer
    expect(type('&procs[1] - &procs[0]')).toBe('int');
    expect(type('&procs[1]')).toBe('struct proc *');
    expect(err('p + p')).toBe("invalid operands to '+' ('struct proc *' and 'struct proc *') at column 3");
    expect(err('p - tf')).toBe("invalid operands to '-' ('struct proc *' and 'struct trapframe *') at column 3");
    expect(err('p * 2')).toBe("invalid operands to '*' ('struct proc *' and 'unsigned int') at column 3");
  });

  it('takes addresses, and says why it cannot', () => {
    expect(num('&procs[1].pid')).toBe(BigInt(AT.procs + 44));
    expect(num('&*p')).toBe(BigInt(AT.procs + 36));
    expect(num('*&procs[1].pid')).toBe(2n);
    expect(num('&procs')).toBe(BigInt(AT.procs));
    expect(type('&procs')).toBe('struct proc (*)[4]');
    expect(err('&count')).toBe('cannot take the address of a value in register ebx at column 1');
    expect(err('&gone')).toBe('cannot take the address of a value that is optimized out at column 1');
    expect(err('&(count + 1)')).toBe('cannot take the address of a computed value (not in memory) at column 1');
    expect(u32('&sys_fork')).toBe(SYS_FORK); // a symbol without debug information: its address, as gdb
  });

  it('sizeof types and expressions, without reading what they point to', () => {
    expect(num('sizeof(struct trapframe)')).toBe(52n);
    expect(num('sizeof(struct proc)')).toBe(36n);
    expect(num('sizeof procs')).toBe(144n);
    expect(num('sizeof procs[0].name')).toBe(16n);
    expect(num('sizeof(char *)')).toBe(4n);
    expect(num('sizeof(long long)')).toBe(8n);
    expect(num('sizeof(unsigned short)')).toBe(2n);
    expect(num('sizeof(pde_t)')).toBe(4n);
    expect(num('sizeof *procs[0].parent')).toBe(36n); // parent is NULL: only the pointer is read
    expect(num('sizeof(u8)')).toBe(1n);
    expect(num('sizeof eax')).toBe(4n);
    expect(num('sizeof (eax)')).toBe(4n);
    expect(num('sizeof(struct pte)')).toBe(4n);
    expect(type('sizeof(int)')).toBe('unsigned int');
  });

  it('casts to the program\'s types, pointers and qualifiers', () => {
    expect(num('((struct trapframe *)$esp)->eip')).toBe(0x10an);
    expect(num('((struct trapframe *)esp)->trapno')).toBe(0x108n);
    expect(type('(struct trapframe *)$esp')).toBe('struct trapframe *');
    expect(type('(const char *)p')).toBe('const char *');
    expect(type('(char const *)p')).toBe('const char *');
    expect(type('(struct proc * const)p')).toBe('struct proc *');
    expect(type('(enum proc_state)1')).toBe('enum proc_state');
    expect(type('(uint32_t)count')).toBe('uint32_t');
    expect(num('(uint32_t)count')).toBe(0xfffffffbn);
    expect(type('(pde_t)1')).toBe('pde_t');
    expect(type('(u32)1')).toBe('u32'); // built in: no debug information needed
    expect(type('(unsigned long)1')).toBe('long unsigned int');
    expect(num('*(uint16_t *)&procs[0].sz')).toBe(4096n);
    expect(num('(struct proc **)&p == 0')).toBe(0n);
  });

  it('resolves names: variables, then registers, then symbols', () => {
    const env = makeEnv();
    expect(num('eax', env)).toBe(0x2an);
    env.vars.eax = { type: env.type('int')!, place: { kind: 'memory', addr: AT.ints } };
    expect(num('eax', env)).toBe(10n); // a local named eax wins
    expect(num('$eax', env)).toBe(0x2an); // $eax is always the register
    expect(num('EAX', env)).toBe(0x2an); // only the exact spelling is the variable
    expect(u32('procs')).toBe(AT.procs); // the variable (an array: its address), not merely the symbol
    expect(u32('foo.c')).toBe(0x1234); // a dotted symbol, with no variable foo
    expect(err('nosuch')).toBe("unknown name 'nosuch'");
    expect(err('(struct nosuch *)0')).toBe("unknown type 'struct nosuch' at column 1");
  });
});

describe('the old forms inside the typed language', () => {
  it('keeps untyped words: *e of an untyped value reads a u32, [e] always does', () => {
    expect(u32('*$esp')).toBe(0x100);
    expect(type('*$esp')).toBe('untyped');
    expect(u32('[tf]')).toBe(0x100); // tf is a pointer variable; [e] reads the word at its value
    expect(u32('*(u8 *)(esp + 4)')).toBe(0x01);
    expect(u32('*&p')).toBe(AT.procs + 36); // typed values convert as C would to unsigned int
  });

  it('refuses what C refuses, with the column', () => {
    expect(err('*count')).toBe("cannot dereference a value of type 'int' at column 1 (cast it: *(u32 *)x)");
    expect(err('*(void *)p')).toBe("cannot dereference a 'void *' at column 1");
    expect(err('count.x')).toBe("a value of type 'int' has no member 'x' (column 6)");
    expect(err('eax->x')).toBe("an untyped value has no member 'x' (column 4)");
    expect(err('p->nosuch')).toBe("'struct proc' has no member named 'nosuch' (column 2)");
    expect(err('count[1]')).toBe('subscripted value is not an array or pointer at column 6');
    expect(err('-frame')).toBe("'-' needs a number, not 'struct trapframe', at column 1");
    expect(err('frame + 1')).toBe("'+' needs numbers, not 'struct trapframe', at column 7");
    expect(err('gone + 1')).toBe('value has been optimized out');
    expect(err('old')).toBe('value is unavailable: entry value');
    expect(err('*(int *)0')).toBe('nothing mapped at 0x0');
    expect(evaluate('frame', makeEnv())).toEqual({ error: "a value of type 'struct trapframe' is not a number" });
  });
});

describe('setValue', () => {
  it('writes memory, registers and bitfields, converting as C assigns', () => {
    const env = makeEnv();
    const set = (target: string, text: string) => {
      const r = setValue(typed(target, env), text, env);
      if ('error' in r) throw new Error(r.error);
    };
    set('procs[1].pid', '42');
    expect(num('procs[1].pid', env)).toBe(42n);
    set('count', '-7');
    expect(env.regs.ebx).toBe(0xfffffff9);
    set('c', '0x141');
    expect(num('c', env)).toBe(0x41n); // truncated to char
    set('entry.delta', '-9');
    expect(num('entry.delta', env)).toBe(-9n);
    expect(num('entry.frame', env)).toBe(0x12345n); // its neighbours untouched
    expect(num('entry.present', env)).toBe(1n);
    set('entry.frame', '0xfffff');
    expect(num('entry.frame', env)).toBe(0xfffffn);
    expect(num('entry.delta', env)).toBe(-9n);
    set('d', '3');
    expect(num('d', env)).toBe(3);
    set('ld', 'd / 4');
    expect(num('ld', env)).toBe(0.75);
    set('p', '&procs[0]');
    expect(num('p->pid', env)).toBe(1n);
    set('eax', '7');
    expect(env.regs.eax).toBe(7);
    expect(setValue(typed('count + 1', env), '1', env)).toEqual({ error: 'a computed value has no place to write to' });
    expect(setValue(typed('frame', env), 'procs[0]', env)).toEqual({ error: "cannot assign 'struct proc' to 'struct trapframe'" });
  });
});

describe('bounds', () => {
  it('bounds the new forms\' nesting as the old ones\'', () => {
    const deep = (n: number, open: string, close = '') => `${open.repeat(n)}count${close.repeat(n)}`;
    expect(err(deep(2000, '&*'))).toMatch(/^expression nested more than 100 deep/);
    expect(err(deep(500, 'sizeof '))).toMatch(/^expression nested more than 100 deep/);
    expect(err(deep(600, 'ints[', ']'))).toMatch(/^expression nested more than 100 deep/);
    expect(err(deep(200, '(struct proc *)'))).toMatch(/^expression nested more than 100 deep/);
    expect(num(deep(MAX_NESTING - 2, 'sizeof '))).toBe(4n);
    // A long chain of postfix operators is no nesting: it evaluates (procs[0] made its own parent).
    const env = makeEnv();
    expect(setValue(typed('procs[0].parent', env), '&procs[0]', env)).not.toHaveProperty('error');
    expect(num(`procs[0]${'.parent[0]'.repeat(300)}.pid`, env)).toBe(1n);
    expect(num(`procs[0].parent${'->parent'.repeat(300)}->pid`, env)).toBe(1n);
  });
});
