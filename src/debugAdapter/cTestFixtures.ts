/**
 * A small kernel's worth of C for the tests of cvalue, cexpr and cformat: the
 * types a DWARF reader would build for an xv6-like kernel (struct trapframe
 * of uint32_t, struct proc with an enum state, a name and a parent pointer,
 * a bitfield page-table entry, a union, an anonymous union member, a typedef
 * chain, const char *), and a fake CEnv over 8 KiB of memory that holds them.
 */
import { type CType, type Member, CHAR, INT, UINT, LONG_LONG, pointerTo } from '../vm/debuginfo/ctypes';
import type { CEnv } from './cexpr';
import type { CValue } from './cvalue';

export const BASE = 0xc0100000;
/** Where each object lives in the fake memory. */
export const AT = {
  procs: BASE, tf: BASE + 0x100, greeting: BASE + 0x200, pte: BASE + 0x300, u: BASE + 0x310, msg: BASE + 0x320,
  ll: BASE + 0x340, d: BASE + 0x348, f: BASE + 0x350, ld: BASE + 0x360, handler: BASE + 0x370, perms: BASE + 0x380,
  p: BASE + 0x3a0, tfp: BASE + 0x3a4, greetingp: BASE + 0x3a8, lstrp: BASE + 0x3ac, c: BASE + 0x3b0, flag: BASE + 0x3b1,
  ints: BASE + 0x3c0, lstr: BASE + 0x400,
};
export const SYS_FORK = 0xc0200000;

const USHORT: CType = { kind: 'base', name: 'short unsigned int', size: 2, encoding: 'unsigned' };
const UCHAR: CType = { kind: 'base', name: 'unsigned char', size: 1, encoding: 'unsignedChar' };
const BOOL: CType = { kind: 'base', name: '_Bool', size: 1, encoding: 'bool' };
const FLOAT: CType = { kind: 'base', name: 'float', size: 4, encoding: 'float' };
const DOUBLE: CType = { kind: 'base', name: 'double', size: 8, encoding: 'float' };
const LONG_DOUBLE: CType = { kind: 'base', name: 'long double', size: 12, encoding: 'float' };

export const uint32_t: CType = { kind: 'typedef', name: 'uint32_t', target: UINT };
export const uint16_t: CType = { kind: 'typedef', name: 'uint16_t', target: USHORT };
export const uint8_t: CType = { kind: 'typedef', name: 'uint8_t', target: UCHAR };
/** A typedef chain: pde_t is paddr_t is uint32_t is unsigned int. */
export const paddr_t: CType = { kind: 'typedef', name: 'paddr_t', target: uint32_t };
export const pde_t: CType = { kind: 'typedef', name: 'pde_t', target: paddr_t };
export const constChar: CType = { kind: 'qualified', qualifier: 'const', target: CHAR };

function struct(kind: 'struct' | 'union', name: string | undefined, size: number, members: () => Member[]): CType {
  return { kind, name, size, declaration: false, members };
}
/** Named members at the offsets GCC gives them. */
function fields(list: [string, CType, number][]): () => Member[] {
  return () => list.map(([name, type, offset]) => ({ name, type, offset }));
}

const TF_NAMES = ['edi', 'esi', 'ebp', 'oesp', 'ebx', 'edx', 'ecx', 'eax', 'trapno', 'err', 'eip', 'cs', 'eflags'];
export const trapframe = struct('struct', 'trapframe', 52, fields(TF_NAMES.map((n, i) => [n, uint32_t, 4 * i])));

export const procState: CType = {
  kind: 'enum', name: 'proc_state', size: 4, signed: false,
  values: ['UNUSED', 'EMBRYO', 'SLEEPING', 'RUNNABLE', 'RUNNING', 'ZOMBIE'].map((name, value) => ({ name, value })),
};
export const perm: CType = {
  kind: 'enum', name: 'perm', size: 4, signed: false,
  values: [{ name: 'PERM_R', value: 1 }, { name: 'PERM_W', value: 2 }, { name: 'PERM_X', value: 4 }],
};

export const charArray16: CType = { kind: 'array', element: CHAR, count: 16 };
export const proc: CType = struct('struct', 'proc', 36, () => [
  { name: 'sz', type: uint32_t, offset: 0 },
  { name: 'state', type: procState, offset: 4 },
  { name: 'pid', type: INT, offset: 8 },
  { name: 'parent', type: pointerTo(proc), offset: 12 },
  { name: 'tf', type: pointerTo(trapframe), offset: 16 },
  { name: 'name', type: charArray16, offset: 20 },
]);

/** A page-table entry as bitfields: present, rw, user, a signed 5-bit delta at bit 3, a 20-bit frame at bit 12. */
export const pte = struct('struct', 'pte', 4, () => [
  { name: 'present', type: UINT, offset: 0, bitSize: 1, bitOffset: 0 },
  { name: 'rw', type: UINT, offset: 0, bitSize: 1, bitOffset: 1 },
  { name: 'user', type: UINT, offset: 0, bitSize: 1, bitOffset: 2 },
  { name: 'delta', type: INT, offset: 0, bitSize: 5, bitOffset: 3 },
  { name: 'frame', type: UINT, offset: 0, bitSize: 20, bitOffset: 12 },
]);

export const wordUnion = struct('union', 'u', 4, fields([
  ['word', uint32_t, 0], ['bytes', { kind: 'array', element: uint8_t, count: 4 }, 0], ['f', FLOAT, 0],
]));
const anonymous = struct('union', undefined, 4, fields([['i', INT, 0], ['ch', CHAR, 0]]));
export const msg = struct('struct', 'msg', 8, () => [{ name: 'kind', type: INT, offset: 0 }, { type: anonymous, offset: 4 }]);
export const intFn: CType = { kind: 'function', result: INT, params: [INT], variadic: false };

const TYPES: Record<string, CType> = {
  'struct trapframe': trapframe, 'struct proc': proc, 'struct pte': pte, 'union u': wordUnion, 'struct msg': msg,
  'enum proc_state': procState, 'enum perm': perm, uint32_t, uint16_t, uint8_t, paddr_t, pde_t,
  int: INT, 'unsigned int': UINT, char: CHAR, 'long long int': LONG_LONG, float: FLOAT, double: DOUBLE,
};

const mem = (type: CType, addr: number): CValue => ({ type, place: { kind: 'memory', addr } });

export interface TestEnv extends CEnv {
  memory: Uint8Array;
  regs: Record<string, number>;
  vars: Record<string, CValue>;
  /** Every readBytes, for the tests that nothing is read. */
  reads: number[];
}

/** A fresh machine each time, so that a test that writes cannot disturb another. */
export function makeEnv(): TestEnv {
  const memory = new Uint8Array(0x2000);
  const view = new DataView(memory.buffer);
  const u32 = (addr: number, v: number) => view.setUint32(addr - BASE, v >>> 0, true);
  const str = (addr: number, s: string) => memory.set(new TextEncoder().encode(s), addr - BASE);
  // procs[0]: init, running, with a trapframe; procs[1]: sh, sleeping, child of init.
  u32(AT.procs, 4096); u32(AT.procs + 4, 4); u32(AT.procs + 8, 1); u32(AT.procs + 16, AT.tf); str(AT.procs + 20, 'init');
  u32(AT.procs + 36 + 4, 2); u32(AT.procs + 36 + 8, 2); u32(AT.procs + 36 + 12, AT.procs); str(AT.procs + 36 + 20, 'sh');
  TF_NAMES.forEach((_, i) => u32(AT.tf + 4 * i, 0x100 + i));
  str(AT.greeting, 'hi\n"there"\t\x01');
  u32(AT.pte, (0x12345 << 12) | (0b11110 << 3) | 0b101); // frame 0x12345, delta -2, user, present
  u32(AT.u, 0x3fc00000); // 1.5 as a float
  u32(AT.msg, 7); u32(AT.msg + 4, 65);
  view.setBigInt64(AT.ll - BASE, -5000000000n, true);
  view.setFloat64(AT.d - BASE, 2.5, true);
  view.setFloat32(AT.f - BASE, -0.25, true);
  // 1.5 as a long double: significand 0xc000000000000000, exponent 0x3fff.
  view.setBigUint64(AT.ld - BASE, 0xc000000000000000n, true); view.setUint16(AT.ld + 8 - BASE, 0x3fff, true);
  u32(AT.handler, SYS_FORK);
  u32(AT.perms, 5);
  u32(AT.p, AT.procs + 36); u32(AT.tfp, AT.tf); u32(AT.greetingp, AT.greeting); u32(AT.lstrp, AT.lstr);
  memory[AT.c - BASE] = 65; memory[AT.flag - BASE] = 1;
  [10, 20, 30, -4].forEach((v, i) => u32(AT.ints + 4 * i, v));
  str(AT.lstr, 'a'.repeat(300));

  const vars: Record<string, CValue> = {
    procs: mem({ kind: 'array', element: proc, count: 4 }, AT.procs),
    p: mem(pointerTo(proc), AT.p),
    tf: mem(pointerTo(trapframe), AT.tfp),
    frame: mem(trapframe, AT.tf),
    greeting: mem(pointerTo(constChar), AT.greetingp),
    lstr: mem(pointerTo(CHAR), AT.lstrp),
    entry: mem(pte, AT.pte),
    u: mem(wordUnion, AT.u),
    m: mem(msg, AT.msg),
    ll: mem(LONG_LONG, AT.ll), d: mem(DOUBLE, AT.d), f: mem(FLOAT, AT.f), ld: mem(LONG_DOUBLE, AT.ld),
    handler: mem(pointerTo(intFn), AT.handler),
    perms: mem(perm, AT.perms),
    c: mem(CHAR, AT.c), flag: mem(BOOL, AT.flag),
    ints: mem({ kind: 'array', element: INT, count: 4 }, AT.ints),
    dir: mem(pde_t, AT.tf),
    count: { type: INT, place: { kind: 'register', name: 'ebx' } },
    gone: { type: INT, place: { kind: 'unavailable', why: 'optimized out' } },
    old: { type: INT, place: { kind: 'unavailable', why: 'entry value' } },
  };
  const regs: Record<string, number> = { eax: 0x2a, ebx: 0xfffffffb, esp: AT.tf, eip: SYS_FORK };
  const inside = (addr: number, n: number) => addr >= BASE && addr + n <= BASE + memory.length;
  const reads: number[] = [];
  const env: TestEnv = {
    memory, regs, vars, reads,
    register: (n) => regs[n],
    symbol: (n) => ({ procs: AT.procs, sys_fork: SYS_FORK, 'foo.c': 0x1234 } as Record<string, number>)[n],
    read(addr, size) {
      const b = env.readBytes(addr, size);
      return b && b.reduceRight((v, x) => v * 256 + x, 0);
    },
    readBytes(addr, n) {
      reads.push(addr);
      return inside(addr, n) ? memory.slice(addr - BASE, addr - BASE + n) : undefined;
    },
    writeBytes(addr, bytes) {
      if (!inside(addr, bytes.length)) return false;
      memory.set(bytes, addr - BASE);
      return true;
    },
    writeRegister(name, value) {
      if (!(name in regs)) return false;
      regs[name] = value >>> 0;
      return true;
    },
    variable: (n) => vars[n],
    type: (n) => TYPES[n],
    symbolize(addr) {
      if (addr === SYS_FORK) return 'sys_fork';
      if (addr >= AT.procs && addr < AT.procs + 144) return addr === AT.procs ? 'procs' : `procs+${addr - AT.procs}`;
      return undefined;
    },
  };
  return env;
}
