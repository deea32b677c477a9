/**
 * The generic way to generate a row of the opcode map: read its operand
 * specs (Eb, Gv, Iz, Ob...) and build a random encoding of them, with a
 * random operand size, register or memory form, addressing form and
 * prefixes, then tell the state which registers it wrote. Also the few
 * rows that only need a little set-up before that (DIV, BT, SHLD, XLAT).
 */
import { Imm, type Row } from '../../../src/vm/cpu/optable';
import { Op } from '../../../src/vm/cpu/instr';
import { Ctx, EAX, ECX, EDX, EBX, ESP, memOperand, valueForReg, le16, le32, type Mem, type Role } from './operands';
import * as L from './layout';

/** One entry of the opcode map: a row at an opcode, a group member, or a group member for one ModRM form only. */
export interface MapEntry {
  /** As the map's `def` writes it: `04`, `0F AF`, `80/3`, `0F 18/0r` (register form only). */
  key: string;
  opcode: number;
  /** ModRM.reg of a group member, or -1. */
  group: number;
  /** Which ModRM forms decode to this row: both, memory only, register only. */
  form: 'any' | 'mem' | 'reg';
  row: Row;
}

export type Gen = (ctx: Ctx, e: MapEntry) => boolean;

export function opcodeBytes(opcode: number): number[] {
  return opcode >= 0x100 ? [0x0f, opcode & 0xff] : [opcode];
}

// ---- What instructions do to registers -------------------------------------------

/** Mnemonics whose first operand is only read. */
const READS_FIRST = new Set(['cmp', 'test', 'bt', 'bound', 'nop', 'prefetchnta', 'prefetcht0', 'prefetcht1', 'prefetcht2', 'push',
  'verr', 'verw', 'lldt', 'ltr', 'lmsw', 'invlpg', 'lgdt', 'lidt', 'ud0', 'ud1', 'jmp', 'call', 'lcall', 'ljmp']);
/** Mnemonics that write both operands. */
const WRITES_BOTH = new Set(['xchg', 'xadd']);
/** Mnemonics that write their memory operand without reading it first. */
const WRITE_ONLY = new Set(['mov', 'pop', 'sgdt', 'sidt', 'sldt', 'str', 'smsw']);
/** Address computed, memory never touched: any addressing form will do. */
const NO_ACCESS = new Set(['lea', 'invlpg', 'nop', 'prefetchnta', 'prefetcht0', 'prefetcht1', 'prefetcht2', 'ud0', 'ud1']);

/** Registers an instruction writes without naming them. */
function implicitWrites(row: Row, size: number): number[] {
  switch (row.mnem) {
    case 'mul': case 'div': case 'idiv': return size === 1 ? [EAX] : [EAX, EDX];
    case 'imul': return row.ops.length === 1 ? (size === 1 ? [EAX] : [EAX, EDX]) : [];
    case 'cbw|cwde': case 'lahf': case 'daa': case 'das': case 'aaa': case 'aas': case 'aam': case 'aad': case 'xlat': case 'cmpxchg': return [EAX];
    case 'cwd|cdq': return [EDX];
    case 'cmpxchg8b': return [EAX, EDX];
    default: return [];
  }
}

/** Bytes a memory operand spec accesses at operand size `size`. */
function memSize(spec: string, size: number): number {
  switch (spec) {
    case 'Eb': case 'Mb': return 1;
    case 'Ew': return 2;
    case 'Ma': return 2 * size;
    case 'Mp': return size + 2;
    case 'Mq': return 8;
    case 'Ms': return 6;
    default: return size;
  }
}

/** A shift or rotate count: mostly the interesting ones (0, 1, the operand width and around it), sometimes any byte. */
export function shiftCount(ctx: Ctx): number {
  return ctx.rng.chance(0.8) ? ctx.rng.pick([0, 1, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33]) : ctx.rng.int(256);
}

function immediate(ctx: Ctx, row: Row, kind: Imm, size: number): number[] {
  const { rng } = ctx;
  switch (row.mnem) {
    case 'aam': case 'aad':
      return [rng.chance(0.6) ? 10 : rng.chance(0.08) ? 0 : rng.int(256)];
    case 'rol': case 'ror': case 'rcl': case 'rcr': case 'shl': case 'shr': case 'sal': case 'sar':
      return [shiftCount(ctx)];
    case 'shld': case 'shrd':
      // A count above the operand size leaves the result undefined: avoided (16-bit operands only, counts are taken mod 32).
      return [size === 2 ? rng.int(17) | (rng.int(8) << 5) : shiftCount(ctx)];
    case 'bt': case 'bts': case 'btr': case 'btc':
      return [rng.chance(0.7) ? rng.int(size * 8) : rng.int(256)];
  }
  switch (kind) {
    case Imm.B: case Imm.BS: return [rng.interesting() & 0xff];
    case Imm.W: return le16(rng.interesting());
    default: return size === 2 ? le16(rng.interesting()) : le32(rng.interesting());
  }
}

/** Register operand for a byte instruction that writes it: AL..BH, where the 32-bit register's role is not needed. */
function destReg8(ctx: Ctx): number {
  const free = [EAX, ECX, EDX, EBX].filter((r) => ctx.st.roles[r] === 'any');
  const r = free.length > 0 && ctx.rng.chance(0.8) ? ctx.rng.pick(free) : ctx.rng.int(4);
  return r + (ctx.rng.chance(0.5) ? 4 : 0);
}

export interface GenericOptions {
  /** The E operand, chosen by a template. */
  eReg?: number;
  eMem?: Mem;
  /** The G operand. */
  gReg?: number;
  /** Operand size 2 or 4 (for rows of size v). */
  size?: 2 | 4;
}

/**
 * Any row whose operands are registers, memory and immediates: random
 * operand size, random register or memory form, random prefixes.
 */
export function generic(ctx: Ctx, e: MapEntry, opts: GenericOptions = {}): boolean {
  const { rng, st } = ctx;
  const row = e.row, ops = row.ops;
  const hasV = ops.some((o) => /^([EGZIMO][vz]|eAX|Ma|Mp)$/.test(o));
  const size: 1 | 2 | 4 = row.byteOp ? 1 : opts.size ?? (hasV && rng.chance(0.25) ? 2 : 4);
  const writes = (k: number) => (k === 0 && !READS_FIRST.has(row.mnem)) || (k === 1 && WRITES_BOTH.has(row.mnem));
  const prefixes: number[] = [];
  if (size === 2 && hasV) prefixes.push(0x66);
  else if (!hasV && rng.chance(0.02)) prefixes.push(0x66); // ignored, or changes nothing but the decoder's path

  let regField = e.group >= 0 ? e.group : 0;
  let rmBytes: number[] | null = null;
  let mem: Mem | null = null;
  const opcode = e.opcode;
  const killed: number[] = [];
  const kill = (r: number, sz: number) => killed.push(sz === 1 ? r & 3 : r);
  let eRegister = -1, gRegister = -1;

  for (let k = 0; k < ops.length; k++) {
    const spec = ops[k];
    const w = writes(k);
    const sz = spec.endsWith('b') ? 1 : spec.endsWith('w') ? 2 : size;
    if (/^(E[bwv]|M[abpqs]?|Rd)$/.test(spec)) {
      const memOnly = spec.startsWith('M') || e.form === 'mem';
      const regOnly = spec === 'Rd' || e.form === 'reg';
      // A register where only memory is allowed is #UD: now and then, to compare that too (unless the
      // register form is another row of the map).
      const udForm = spec.startsWith('M') && e.form === 'any' && rng.chance(0.03);
      const useMem = opts.eMem !== undefined || (opts.eReg === undefined && !regOnly && (memOnly ? !udForm : rng.chance(0.4)));
      if (useMem) {
        const rmw = w && !WRITE_ONLY.has(row.mnem) && !row.mnem.startsWith('set');
        mem = opts.eMem ?? memOperand(ctx, { size: memSize(spec, size), write: w, rmw, noAccess: NO_ACCESS.has(row.mnem) });
        if (mem === null) {
          if (memOnly) return false;
        }
      }
      if (mem === null) {
        const r = opts.eReg ?? (w ? (sz === 1 ? destReg8(ctx) : ctx.destReg()) : rng.int(8));
        eRegister = r;
        rmBytes = [0xc0 | r];
        if (w) kill(r, sz);
      }
    } else if (/^G[bwv]$/.test(spec)) {
      const r = opts.gReg ?? (w ? (sz === 1 ? destReg8(ctx) : ctx.destReg()) : rng.int(8));
      gRegister = r;
      regField = r;
      if (w) kill(r, sz);
    } else if (/^Z[bv]$/.test(spec)) {
      const r = e.opcode & 7;
      // INC/DEC ESP keep the stack usable (off by one), MOV ESP, imm32 loads a stack address (below); no other
      // write to ESP does, and in a call body not even those.
      const keepsStack = ['inc', 'dec'].includes(row.mnem) || (row.mnem === 'mov' && size === 4);
      if (w && sz !== 1 && r === ESP && (!keepsStack || st.inBody)) return false;
      if (w) kill(r, sz);
    } else if ((spec === 'AL' || spec === 'eAX') && w) {
      kill(EAX, 4);
    }
  }

  // LOCK where it is allowed, with a memory destination. Not where the manual says #UD: QEMU 7.2 runs some
  // of those (LOCK MOV), and aborts on others (LOCK BTR reg,reg: "tcg fatal error").
  if ((row.flags & Op.LOCKABLE) !== 0 && mem !== null && rng.chance(0.15)) prefixes.push(0xf0);
  const all = [...prefixes, ...(mem?.prefixes ?? [])];
  shuffle(ctx, all);
  const modrm = row.modrm || e.group >= 0 ? (mem !== null ? mem.encode(regField) : (rmBytes ?? [0xc0]).map((b) => b | (regField << 3))) : [];

  const imms: number[] = [];
  if (row.immA === Imm.MOFFS) {
    // MOV AL/eAX <-> moffs: an absolute address, as a disp32 (or disp16 with 0x67).
    const m = moffs(ctx);
    if (m === null) return false;
    all.push(...m.prefixes);
    imms.push(...m.bytes);
  } else {
    if (row.immA !== Imm.NONE) imms.push(...immediate(ctx, row, row.immA, size));
    if (row.immB !== Imm.NONE) imms.push(...immediate(ctx, row, row.immB, size));
  }
  if (row.mnem === 'mov' && /^Z/.test(ops[0]) && ops[1] === 'Iv' && size === 4) {
    // MOV reg, imm32 is how roles are (re)assigned: sometimes the immediate is a pointer or a small number.
    const r = e.opcode & 7;
    const role: Role = r === ESP ? 'stack' : rng.pick<Role>(['ptr', 'small', 'any', 'any']);
    const v = valueForReg(ctx, r, role);
    imms.splice(0, 4, ...le32(v));
    ctx.emit(all, opcodeBytes(opcode), modrm, imms);
    if (r !== ESP) st.roles[r] = role === 'stack' ? 'any' : role;
    return true;
  }

  ctx.emit(all, opcodeBytes(opcode), modrm, imms);

  // Moves and exchanges of whole registers carry roles along.
  const before = st.roles.slice();
  for (const r of killed) st.kill(r);
  for (const r of implicitWrites(row, size)) st.kill(r);
  if (size === 4 && eRegister >= 0 && gRegister >= 0) {
    if (row.mnem === 'mov') {
      const [dst, src] = ops[0].startsWith('E') ? [eRegister, gRegister] : [gRegister, eRegister];
      if (dst !== ESP) st.roles[dst] = src === ESP ? 'any' : before[src];
    } else if (row.mnem === 'xchg') {
      st.roles[eRegister] = before[gRegister];
      st.roles[gRegister] = before[eRegister];
      st.roles[ESP] = 'any';
    }
  }
  if (row.mnem === 'xchg' && /^Z/.test(ops[0]) && size === 4) {
    const r = e.opcode & 7;
    st.roles[r] = before[EAX];
    st.roles[EAX] = before[r];
  }
  return true;
}

function shuffle(ctx: Ctx, a: number[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = ctx.rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}

/** The moffs of MOV AL/eAX <-> [address]: through DS or an override, at a scratch address. */
function moffs(ctx: Ctx): { prefixes: number[]; bytes: number[] } | null {
  const { rng, st } = ctx;
  const a16 = rng.chance(0.15);
  const wanted = a16 ? [L.BASED_BASE] : [0, L.BASED_BASE];
  const segs = [0, 1, 2, 3, 4, 5].filter((k) => st.segs[k].base !== null && wanted.includes(st.segs[k].base as number) && k !== 1);
  const useDs = segs.includes(3) && rng.chance(0.7);
  if (!useDs && segs.length === 0) return null;
  const seg = useDs ? 3 : rng.pick(segs);
  const target = rng.range(L.RW_LO, L.RW_HI - 8) - (st.segs[seg].base as number);
  const prefixes = [...(a16 ? [0x67] : []), ...(seg === 3 && useDs ? [] : [[0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65][seg]])];
  return { prefixes, bytes: a16 ? le16(target) : le32(target) };
}

// ---- Generic rows with a set-up ---------------------------------------------------

/** DIV and IDIV: half the time the dividend's high half is made small first (CDQ, XOR EDX,EDX...), so that not every division overflows. */
export const divide: Gen = (ctx, e) => {
  if (ctx.rng.chance(0.5)) {
    const signed = e.row.mnem === 'idiv';
    const size = e.opcode === 0xf6 ? 1 : ctx.rng.chance(0.25) ? 2 : 4;
    if (size === 1) ctx.emit(signed ? [0x66, 0x98] : [0x30, 0xe4]); // cbw / xor ah,ah
    else ctx.emit(size === 2 ? [0x66] : [], signed ? [0x99] : [0x31, 0xd2]); // cwd/cdq or xor dx,dx / edx,edx
    ctx.st.kill(EAX); ctx.st.kill(EDX);
    return generic(ctx, e, size === 1 ? {} : { size });
  }
  return generic(ctx, e);
};

/** BT* with a register bit offset into memory: the offset can reach 256 MiB away, so it comes from a small register. */
export const bitTest: Gen = (ctx, e) => {
  if (e.row.ops[1] !== 'Gv') return generic(ctx, e);
  if (ctx.rng.chance(0.4)) return generic(ctx, e, { eReg: e.row.mnem === 'bt' ? ctx.rng.int(8) : ctx.destReg() });
  // The offset register first: the memory operand must not be built on the register it then overwrites.
  const r = ctx.rng.chance(0.5) ? ctx.regWith('small') : ctx.destReg();
  if (ctx.st.roles[r] !== 'small') {
    ctx.emit(0xb8 + r, le32(ctx.rng.range(-300, 300)));
    ctx.st.kill(r);
  }
  const mem = memOperand(ctx, { size: 4, write: e.row.mnem !== 'bt', rmw: e.row.mnem !== 'bt' });
  if (mem === null) return generic(ctx, e, { eReg: r });
  return generic(ctx, e, { eMem: mem, gReg: r });
};

/** SHLD/SHRD by CL on 16-bit operands: a count above 16 leaves the result undefined, so CL is loaded with one that is not. */
export const doubleShift: Gen = (ctx, e) => {
  if (e.row.ops[2] !== 'CL') return generic(ctx, e);
  const size = ctx.rng.chance(0.3) ? 2 : 4;
  if (size === 2 || ctx.rng.chance(0.5)) {
    const n = size === 2 ? ctx.rng.int(17) | (ctx.rng.int(8) << 5) : shiftCount(ctx);
    ctx.emit(0xb1, n); // mov cl, n
    if (!(ctx.st.roles[ECX] === 'small' && n < 16)) ctx.st.kill(ECX);
  }
  return generic(ctx, e, { size });
};

/** XLAT reads [EBX + AL]: EBX must be a pointer, through a flat segment. */
export const xlat: Gen = (ctx) => {
  const { rng, st } = ctx;
  const flat = [0, 2, 3, 4, 5].filter((k) => st.segs[k].base === 0);
  if (flat.length === 0) return false;
  if (st.roles[EBX] !== 'ptr') ctx.load(EBX, 'ptr');
  const seg = st.segs[3].base === 0 && rng.chance(0.7) ? -1 : rng.pick(flat);
  ctx.emit(seg >= 0 ? [[0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65][seg]] : [], 0xd7);
  st.kill(EAX);
  return true;
};

/** BSWAP ESP would leave no stack: swapped twice, ESP is back before anything uses it. */
export const bswap: Gen = (ctx, e) => {
  if ((e.opcode & 7) !== ESP) return generic(ctx, e);
  if (ctx.st.inBody) return false;
  ctx.emit(0x0f, 0xcc, 0x0f, 0xcc);
  return true;
};

/** XCHG ESP, EAX: EAX is loaded with a stack address first. */
export const xchgEsp: Gen = (ctx, e) => {
  if ((e.opcode & 7) !== ESP) return generic(ctx, e);
  if (ctx.st.inBody) return false;
  ctx.emit(0xb8, le32(valueForReg(ctx, ESP, 'stack')), 0x94);
  ctx.st.kill(EAX);
  return true;
};

/** Everything that needs no set-up. */
export const plain: Gen = (ctx, e) => generic(ctx, e);

