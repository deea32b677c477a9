/** C values in words, as gdb prints them, and their children in the Variables tree, over the fake kernel. */
import { describe, it, expect } from 'vitest';
import { evaluateTyped } from './cexpr';
import { formatCValue, STRING_LIMIT, charEscape } from './cformat';
import { children, hasChildren, arrayLength } from './cchildren';
import { type CValue } from './cvalue';
import { makeEnv, AT, BASE, type TestEnv } from './cTestFixtures';

const env: TestEnv = makeEnv();
const value = (s: string, e: TestEnv = env): CValue => {
  const r = evaluateTyped(s, e);
  if ('error' in r) throw new Error(`${s}: ${r.error}`);
  return r.value;
};
const show = (s: string, e: TestEnv = env) => formatCValue(value(s, e), e);
const showHex = (s: string) => formatCValue(value(s), env, { hex: true });

describe('formatCValue', () => {
  it('shows integers, chars, bools and floats as gdb does', () => {
    expect(show('procs[0].pid')).toBe('1');
    expect(show('count')).toBe('-5');
    expect(showHex('count')).toBe('0xfffffffb');
    expect(showHex('procs[0].sz')).toBe('0x1000');
    expect(show('c')).toBe("65 'A'");
    expect(show('(char)200')).toBe("-56 '\\310'");
    expect(show('(char)10')).toBe("10 '\\n'");
    expect(show("(char)'\\''")).toBe("39 '\\''");
    expect(showHex('c')).toBe('0x41');
    expect(show('flag')).toBe('true');
    expect(show('d')).toBe('2.5');
    expect(show('f')).toBe('-0.25');
    expect(show('(float)1 / 3')).toBe('0.33333334'); // the fewest digits that read back as the same float
    expect(show('u.f')).toBe('1.5');
    expect(show('ld')).toBe('1.5');
    expect(show('ll')).toBe('-5000000000');
    expect(show('entry.delta')).toBe('-2');
    expect(showHex('entry.frame')).toBe('0x12345');
    expect(show('1u')).toBe('1');
  });

  it('shows untyped words as the adapter always has', () => {
    expect(show('eax')).toBe('0x0000002a (42)');
    expect(show('&sys_fork')).toBe('0xc0200000 (3223322624, sys_fork)');
  });

  it('shows enums by name, flag enums as their flags', () => {
    expect(show('procs[0].state')).toBe('RUNNING');
    expect(show('(enum proc_state)9')).toBe('9');
    expect(show('perms')).toBe('(PERM_R | PERM_X)');
    expect(show('(enum perm)2')).toBe('PERM_W');
    expect(show('(enum perm)10')).toBe('(PERM_W | unknown: 0x8)');
    expect(show('(enum perm)8')).toBe('(unknown: 0x8)');
    expect(show('(enum perm)0')).toBe('0');
  });

  it('shows pointers with their symbol, strings and functions', () => {
    expect(show('p')).toBe(`0x${(AT.procs + 36).toString(16)} <procs+36>`);
    expect(show('procs[0].parent')).toBe('0x0');
    expect(show('tf')).toBe(`0x${AT.tf.toString(16)}`);
    expect(show('greeting')).toBe(`0x${AT.greeting.toString(16)} "hi\\n\\"there\\"\\t\\001"`);
    expect(show('(char *)0x1000')).toBe('0x1000 <cannot read memory at 0x1000>');
    expect(show('handler')).toBe('0xc0200000 <sys_fork>');
    expect(show('*handler')).toBe('{int (int)} 0xc0200000 <sys_fork>');
    const long = show('lstr');
    expect(long).toBe(`0x${AT.lstr.toString(16)} "${'a'.repeat(STRING_LIMIT)}"...`);
    // A string that runs into unmapped memory: what was read, then why it stops.
    const e = makeEnv();
    e.memory.fill(0x62, 0x2000 - 3);
    const edge = BASE + 0x2000 - 3;
    expect(show(`(char *)${edge}`, e)).toBe(`0x${edge.toString(16)} "bbb"... <cannot read memory at 0x${(BASE + 0x2000).toString(16)}>`);
  });

  it('previews arrays and structs on one line, bounded', () => {
    expect(show('procs[0].name')).toBe('"init"');
    expect(show('ints')).toBe('{10, 20, 30, -4}');
    expect(show('frame')).toBe('{edi = 256, esi = 257, ebp = 258, oesp = 259, ebx = 260, edx = 261, ecx = 262, eax = 263, trapno = 264, ...}');
    expect(show('procs[1]')).toBe(`{sz = 0, state = SLEEPING, pid = 2, parent = 0x${AT.procs.toString(16)} <procs>, tf = 0x0, name = "sh"}`);
    expect(show('procs')).toBe('{{...}, {...}, {...}, {...}}');
    expect(show('m')).toBe("{kind = 7, i = 65, ch = 65 'A'}");
    expect(show('entry')).toBe('{present = 1, rw = 0, user = 1, delta = -2, frame = 74565}');
  });

  it('says what cannot be shown', () => {
    expect(formatCValue(env.vars.gone, env)).toBe('<optimized out>');
    expect(formatCValue(env.vars.old, env)).toBe('<unavailable: entry value>');
    expect(formatCValue({ type: env.type('int')!, place: { kind: 'memory', addr: 0x10 } }, env)).toBe('<cannot read memory at 0x10>');
    expect(show('*procs[0].tf')).toMatch(/^\{edi = 256/);
    expect(show('*procs[1].tf')).toBe('{edi = <cannot read memory at 0x0>, esi = <cannot read memory at 0x4>, ebp = <cannot read memory at 0x8>, ...}');
  });

  it('escapes as C does', () => {
    expect(charEscape(0, '"')).toBe('\\000');
    expect(charEscape(0x7f, '"')).toBe('\\177');
    expect(charEscape(34, '"')).toBe('\\"');
    expect(charEscape(34, "'")).toBe('"');
    expect(charEscape(92, "'")).toBe('\\\\');
  });
});

describe('children', () => {
  const names = (s: string, opts = {}) => children(value(s), env, { evaluateName: s, ...opts }).map((c) => [c.name, c.evaluateName, formatCValue(c.value, env)]);

  it('lists a struct\'s members, an anonymous union\'s in its place', () => {
    expect(names('procs[1]').slice(0, 3)).toEqual([
      ['sz', 'procs[1].sz', '0'], ['state', 'procs[1].state', 'SLEEPING'], ['pid', 'procs[1].pid', '2'],
    ]);
    expect(names('m')).toEqual([['kind', 'm.kind', '7'], ['i', 'm.i', '65'], ['ch', 'm.ch', "65 'A'"]]);
    expect(names('entry').map((c) => c[2])).toEqual(['1', '0', '1', '-2', '74565']);
    expect(names('u').map((c) => c[0])).toEqual(['word', 'bytes', 'f']);
  });

  it('expands a pointer to a struct straight to the pointee\'s members; other pointers to one child', () => {
    expect(names('tf').slice(0, 2)).toEqual([['edi', 'tf->edi', '256'], ['esi', 'tf->esi', '257']]);
    expect(names('*p').slice(2, 3)).toEqual([['pid', '(*p).pid', '2']]);
    expect(names('greeting')).toEqual([['*greeting', '*greeting', "104 'h'"]]);
    expect(names('p->parent').slice(2, 3)).toEqual([['pid', 'p->parent->pid', '1']]);
    expect(names('p + 1').slice(2, 3)).toEqual([['pid', '(p + 1)->pid', '0']]);
    expect(hasChildren(value('procs[0].parent'), env)).toBe(false); // null
    expect(hasChildren(value('handler'), env)).toBe(false);
    expect(hasChildren(value('(void *)p'), env)).toBe(false);
    expect(hasChildren(value('count'), env)).toBe(false);
    expect(hasChildren(value('eax'), env)).toBe(false);
  });

  it('pages through arrays', () => {
    expect(arrayLength(value('procs'))).toBe(4);
    expect(arrayLength(value('p'))).toBeUndefined();
    expect(names('ints')).toEqual([['[0]', 'ints[0]', '10'], ['[1]', 'ints[1]', '20'], ['[2]', 'ints[2]', '30'], ['[3]', 'ints[3]', '-4']]);
    expect(names('ints', { start: 2, count: 5 })).toEqual([['[2]', 'ints[2]', '30'], ['[3]', 'ints[3]', '-4']]);
    expect(names('procs[0].name', { start: 0, count: 2 })).toEqual([['[0]', 'procs[0].name[0]', "105 'i'"], ['[1]', 'procs[0].name[1]', "110 'n'"]]);
    expect(names('procs', { start: 1, count: 1 }).map((c) => c[1])).toEqual(['procs[1]']);
  });

  it('gives evaluateNames that evaluate to the children', () => {
    for (const parent of ['procs[1]', 'tf', '*p', 'm', 'p->parent', 'ints']) {
      for (const c of children(value(parent), env, { evaluateName: parent })) {
        expect(formatCValue(value(c.evaluateName!), env), c.evaluateName).toBe(formatCValue(c.value, env));
      }
    }
  });
});
