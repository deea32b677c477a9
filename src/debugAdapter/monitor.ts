/**
 * Monitor commands, typed in the debug console, in the spirit of Bochs's
 * debugger and gdb's `x`: the machine's tables (GDT, IDT, TSS, TLB), a page
 * walk, memory dumps and disassembly, the registers and, under the lguest
 * Host, its view of the Guest. Each prints an aligned plain-text table.
 *
 * Nothing here changes the machine: tables are read through the CPU's
 * registers with a side-effect-free walk (peekLinear), Guest memory through
 * the context's `read`, and the Host's state through lguest/inspect.ts.
 */
import { Cpu, SEG_NAMES, CR0_PG, CR4_PSE } from '../vm/cpu/state';
import { getFlags } from '../vm/cpu/flags';
import { peekTranslate, TLB_SIZE, R_S, W_S, R_U, W_U, PTE_P, PTE_PS } from '../vm/cpu/paging';
import { EXCEPTION_NAMES } from '../vm/cpu/fault';
import { disassembleBytes } from '../vm/cpu/disasm';
import { MAX_INSTR_LEN } from '../vm/cpu/decoder';
import type { Host } from '../vm/lguest/host';
import type { Lguest } from '../vm/lguest/lguest';
import { shadowSlots, realIdt, guestIdt, realGdt, guestTss, lguestData, entryFlags } from '../vm/lguest/inspect';
import { guestWalk, shadowWalk, type Walk } from '../vm/lguest/walk';
import { trapName, hypercallLabel } from '../vm/lguest/describe';
import { ignoredGdt } from '../vm/lguest/segments';
import {
  SWITCHER_ADDR, SWITCHER_PAGES, PAGES_GUEST_GDT, LGUEST_TRAP_ENTRY, HOST_TIMER_VECTOR, _PAGE_RW, _PAGE_DIRTY,
  _PAGE_GLOBAL, _PAGE_PRESENT,
} from '../vm/lguest/layout';
import type { EvalResult } from './expression';
import { storedTagWord } from '../vm/cpu/fpu/environment';
import { f80Hex, f80Text } from './float80Text';
import {
  STATUS_FIELDS, CONTROL_FIELDS, PC_NAMES, RC_NAMES, TAG_NAMES, type WordField, fieldOf, fopText, tagIn,
} from './fpu';

export interface MonitorContext {
  /** The CPU (the Host's or the bare machine's). */
  cpu: Cpu;
  /** The lguest Host, or null on the bare machine. */
  host: Host | null;
  /** For address arguments. */
  evaluate(expr: string): EvalResult;
  /** Guest-virtual, no side effects. */
  read(addr: number, size: 1 | 2 | 4): number | undefined;
  symbolAt?(addr: number): { name: string; offset: number } | null;
}

/** Run `line` if it is a monitor command; null if it is not one (an expression, say). */
export function runMonitorCommand(line: string, ctx: MonitorContext): { output: string } | null {
  const words = line.trim().replace(/^(monitor|mon)\s+/, '').split(/\s+/);
  const [cmd, ...rest] = words;
  try {
    if (cmd === 'help') return { output: help() };
    if (cmd === 'page') return { output: page(rest.join(' '), ctx) };
    if (cmd.startsWith('x/')) return { output: examine(cmd.slice(2), rest.join(' '), ctx) };
    if (cmd === 'info') {
      const sub = INFO.filter((i) => rest[0] !== undefined && i.name.startsWith(rest[0]));
      if (sub.length !== 1) {
        throw new UsageError(
          rest[0] === undefined ? 'info: what about?'
            : `info: ${sub.length ? 'ambiguous' : 'unknown'} subcommand '${rest[0]}'`,
          'info',
        );
      }
      return { output: sub[0].run(rest.slice(1).join(' '), ctx) };
    }
  } catch (e) {
    if (e instanceof UsageError) return { output: `${e.message}\nusage: ${USAGE[e.command]}` };
    throw e;
  }
  return null;
}

// ---- Help and errors ----------------------------------------------------------

const USAGE: Record<string, string> = {
  help: 'help',
  info: 'info gdt|idt|tss|tlb|registers|fpu|lguest',
  'info gdt': 'info gdt',
  'info idt': 'info idt [VECTOR]',
  'info tss': 'info tss',
  'info tlb': 'info tlb [ADDR]',
  'info registers': 'info registers',
  'info fpu': 'info fpu',
  'info lguest': 'info lguest',
  page: 'page ADDR',
  x: 'x/NF ADDR   N units (default 1) of format F: x hex words, b bytes, h halfwords, w words, d/u decimal, '
    + 'i instructions, s strings',
};

const HELP: [string, string][] = [
  ['help', 'this list'],
  ['info registers', "the CPU's registers, short"],
  ['info fpu', "the x87: R7..R0 with their tags and values (=> at TOP), its words and pointers"],
  ['info gdt', 'each descriptor of the loaded GDT (and, under lguest, whose slot it is)'],
  ['info idt [VECTOR]', 'each gate of the loaded IDT (under lguest: straight to the Guest, or through the Host)'],
  ['info tss', 'the loaded TSS: the stacks of rings 0 to 2, the I/O map base'],
  ['info tlb [ADDR]', "the software TLB's valid entries (or the one for ADDR)"],
  ['info lguest', 'lguest_data, interrupts, the timer, the shadow page directories'],
  ['page ADDR', "the walk of ADDR through the Guest's page tables (and the shadow)"],
  ['x/NF ADDR', 'examine memory: x/8x $esp, x/16b 0xc0100000, x/4i $eip, x/s str'],
];

class UsageError extends Error {
  constructor(message: string, readonly command: string) { super(message); }
}

function help(): string {
  return 'Monitor commands:\n' + table(['command', 'what it shows'], HELP.map(([c, d]) => [c, d]));
}

/** An address argument: the expression's value, or a usage error. */
function address(arg: string, ctx: MonitorContext, command: string): number {
  if (arg.trim() === '') throw new UsageError(`${command}: missing address`, command);
  const r = ctx.evaluate(arg);
  if ('error' in r) throw new UsageError(`${command}: ${r.error}`, command);
  return r.value >>> 0;
}

// ---- Formatting ---------------------------------------------------------------

const hex = (v: number, digits = 8) => '0x' + (v >>> 0).toString(16).padStart(digits, '0');
const hexShort = (v: number) => '0x' + (v >>> 0).toString(16);

/** Columns padded to their widest cell, two spaces apart, under an optional header. */
function table(head: string[] | null, rows: string[][]): string {
  const all = head ? [head, ...rows] : rows;
  const cols = Math.max(0, ...all.map((r) => r.length));
  const width = Array.from({ length: cols }, (_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => c.padEnd(width[i])).join('  ').trimEnd()).join('\n');
}

function label(ctx: MonitorContext, addr: number): string {
  const s = ctx.symbolAt?.(addr);
  if (!s) return '';
  return s.offset === 0 ? `<${s.name}>` : `<${s.name}+${hexShort(s.offset)}>`;
}

/** Where the CPU is, under lguest: its tables are the Guest's (in the Switcher's state page) or the Host's. */
function cpuInGuestWorld(cpu: Cpu): boolean {
  return cpu.gdtr.base >>> 0 === SWITCHER_PAGES + PAGES_GUEST_GDT;
}

function lguestOf(ctx: MonitorContext): Lguest | null {
  return ctx.host?.lg ?? null;
}

// ---- Reading linear memory without side effects --------------------------------

/**
 * Read `size` bytes at a linear address through the CPU's current page
 * tables, setting no Accessed or Dirty bit and filling no TLB entry;
 * undefined if any byte is unmapped or not RAM. (A helper the CPU module
 * could own; kept here so this file stands alone.)
 */
export function peekLinear(cpu: Cpu, lin: number, size: 1 | 2 | 4): number | undefined {
  let v = 0;
  for (let k = 0; k < size; k++) {
    const p = peekTranslate(cpu, (lin + k) >>> 0);
    if (p < 0 || p >= cpu.mem.size) return undefined;
    v |= cpu.mem.bytes[p] << (8 * k);
  }
  return v >>> 0;
}

/** A register by lower-case name, as EvalEnv.register wants it (sub-registers, segments, control registers, eflags). */
export function cpuRegister(cpu: Cpu, name: string): number | undefined {
  const i32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'].indexOf(name);
  if (i32 >= 0) return cpu.r32[i32] >>> 0;
  const i16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'].indexOf(name);
  if (i16 >= 0) return cpu.getR16(i16);
  const i8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'].indexOf(name);
  if (i8 >= 0) return cpu.getR8(i8);
  const seg = (SEG_NAMES as readonly string[]).indexOf(name);
  if (seg >= 0) return cpu.segSel[seg];
  switch (name) {
    case 'eip': return cpu.eip >>> 0;
    case 'eflags': return getFlags(cpu) >>> 0;
    case 'cr0': return cpu.cr0 >>> 0;
    case 'cr2': return cpu.cr2 >>> 0;
    case 'cr3': return cpu.cr3 >>> 0;
    case 'cr4': return cpu.cr4 >>> 0;
  }
  return undefined;
}

// ---- info registers ---------------------------------------------------------------

const FLAG_NAMES: [number, string][] = [
  [0x1, 'CF'], [0x4, 'PF'], [0x10, 'AF'], [0x40, 'ZF'], [0x80, 'SF'], [0x100, 'TF'], [0x200, 'IF'], [0x400, 'DF'],
  [0x800, 'OF'], [0x4000, 'NT'], [0x10000, 'RF'], [0x20000, 'VM'], [0x40000, 'AC'],
];
const CR0_NAMES: [number, string][] = [
  [0x1, 'PE'], [0x2, 'MP'], [0x4, 'EM'], [0x8, 'TS'], [0x10, 'ET'], [0x20, 'NE'], [0x10000, 'WP'], [0x40000, 'AM'],
  [0x80000000, 'PG'],
];
const CR4_NAMES: [number, string][] = [[0x4, 'TSD'], [0x8, 'DE'], [0x10, 'PSE'], [0x80, 'PGE']];
const bits = (v: number, names: [number, string][]) => (
  `[${names.filter(([b]) => (v & b) !== 0).map(([, n]) => n).join(' ')}]`
);

function infoRegisters(_arg: string, ctx: MonitorContext): string {
  const c = ctx.cpu, r = (n: string) => hex(cpuRegister(c, n)!), sel = (n: string) => hex(cpuRegister(c, n)!, 4);
  const fl = getFlags(c) >>> 0;
  const out = [table(null, [
    ['eax', r('eax'), 'ebx', r('ebx'), 'ecx', r('ecx'), 'edx', r('edx')],
    ['esi', r('esi'), 'edi', r('edi'), 'ebp', r('ebp'), 'esp', r('esp')],
    ['cs', sel('cs'), 'ss', sel('ss'), 'ds', sel('ds'), 'es', sel('es')],
    ['fs', sel('fs'), 'gs', sel('gs'), 'cpl', String(c.cpl)],
    ['cr0', r('cr0'), 'cr2', r('cr2'), 'cr3', r('cr3'), 'cr4', r('cr4')],
  ]),
  `eip     ${r('eip')} ${label(ctx, c.eip)}`.trimEnd(),
  `eflags  ${hex(fl)} ${bits(fl, FLAG_NAMES)} IOPL ${(fl >>> 12) & 3}`,
  `cr0 ${bits(c.cr0, CR0_NAMES)}  cr4 ${bits(c.cr4, CR4_NAMES)}`];
  const lg = lguestOf(ctx);
  if (lg !== null) {
    out.push(cpuInGuestWorld(c) ? "(the CPU is in the Guest's world: these are the Guest's registers)"
      : `(the CPU is in the Host: the Guest's saved eip ${hex(lg.reg('eip'))}, esp ${hex(lg.reg('esp'))}, `
        + `cs ${hex(lg.reg('cs'), 4)})`);
  }
  return out.join('\n');
}

// ---- info fpu -------------------------------------------------------------------------

/**
 * The x87 as gdb's `info float` shows it: the physical registers R7..R0, `=>`
 * at TOP, each with its tag, the ST(i) it is now, its raw bits and its value;
 * then the status, control and tag words decoded, and the last instruction's
 * pointers and opcode.
 */
function infoFpu(_arg: string, ctx: MonitorContext): string {
  const f = ctx.cpu.fpu, tw = storedTagWord(f), sw = f.statusWord, cw = f.controlWord;
  const rows: string[][] = [];
  for (let p = 7; p >= 0; p--) {
    const tag = TAG_NAMES[tagIn(tw, p)];
    const x = f.physical(p), value = tagIn(tw, p) === 3 ? '' : f80Text(x);
    rows.push([`${p === f.top ? '=>' : '  '}R${p}:`, tag[0].toUpperCase() + tag.slice(1), `st${(p - f.top) & 7}`, f80Hex(x),
      /^\d/.test(value) ? `+${value}` : value]);
  }
  const set = (fields: readonly WordField[], word: number) => fields
    .filter((x) => x.bits === 1 && fieldOf(word, x) === 1).map((x) => x.name.toUpperCase()).join(' ');
  const cc = ['c3', 'c2', 'c1', 'c0'].map((n) => `${n.toUpperCase()} ${fieldOf(sw, STATUS_FIELDS.find((x) => x.name === n)!)}`);
  const word = (name: string, rest: string) => `${name.padEnd(21)}${rest}`.trimEnd();
  const masked = set(CONTROL_FIELDS.slice(0, 6), cw);
  const out = [
    table(null, rows),
    '',
    word('Status Word:', `${hex(sw, 4)}  ${set(STATUS_FIELDS.filter((x) => !/^c\d$/.test(x.name)), sw)}`),
    word('', `  TOP: ${f.top}  ${cc.join('  ')}`),
  ];
  if (f.exceptionPending) out.push(word('', '  (an unmasked exception is pending: #MF at the next waiting x87 instruction)'));
  out.push(
    word('Control Word:', `${hex(cw, 4)}  ${masked ? `${masked} masked` : 'nothing masked'}`),
    word('', `  PC: ${PC_NAMES[(cw >>> 8) & 3]}`),
    word('', `  RC: ${RC_NAMES[(cw >>> 10) & 3]}`),
    word('Tag Word:', hex(tw, 4)),
    word('Instruction Pointer:', `${hex(f.fcs, 4)}:${hex(f.fip)}`),
    word('Operand Pointer:', `${hex(f.fds, 4)}:${hex(f.fdp)}`),
    word('Opcode:', fopText(f.fop)),
  );
  return out.join('\n');
}

// ---- Descriptors: info gdt ----------------------------------------------------------

const SYSTEM_TYPES: Record<number, string> = {
  1: 'TSS16 avail', 2: 'LDT', 3: 'TSS16 busy', 4: 'call gate16', 5: 'task gate', 6: 'int gate16', 7: 'trap gate16',
  9: 'TSS32 avail', 0xb: 'TSS32 busy', 0xc: 'call gate32', 0xe: 'int gate32', 0xf: 'trap gate32',
};

/** A descriptor's type in words: "code RX", "data RW down", "TSS32 busy"... */
function descriptorType(hi: number): string {
  const type = (hi >>> 8) & 0xf;
  if ((hi & 0x1000) === 0) return SYSTEM_TYPES[type] ?? `system ${type}`;
  if (type & 0x8) return `code ${type & 0x2 ? 'RX' : 'X'}${type & 0x4 ? ' conforming' : ''}`;
  return `data ${type & 0x2 ? 'RW' : 'R'}${type & 0x4 ? ' down' : ''}`;
}

function descriptorRow(index: number, lo: number, hi: number): string[] {
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  if (hi & 0x800000) limit = ((limit << 12) | 0xfff) >>> 0;
  const seg = (hi & 0x1000) !== 0;
  return [
    String(index), hex(index * 8, 4), hex(base), hex(limit), descriptorType(hi), String((hi >>> 13) & 3),
    hi & 0x8000 ? '1' : '0', hi & 0x800000 ? '1' : '0', seg ? (hi & 0x400000 ? '32' : '16') : '',
    seg ? String((hi >>> 8) & 1) : '',
  ];
}
const GDT_HEAD = ['index', 'sel', 'base', 'limit', 'type', 'DPL', 'P', 'G', 'D/B', 'A'];

interface Descriptor { index: number; lo: number; hi: number }
const present = (d: Descriptor) => (d.hi & 0x8000) !== 0;

/** The descriptors of a table, read through the CPU's linear view. */
function readDescriptors(cpu: Cpu, base: number, limit: number): Descriptor[] | string {
  const out = [];
  for (let i = 0; i * 8 + 7 <= limit; i++) {
    const lo = peekLinear(cpu, base + i * 8, 4), hi = peekLinear(cpu, base + i * 8 + 4, 4);
    if (lo === undefined || hi === undefined) return `nothing mapped at ${hex(base + i * 8)}`;
    out.push({ index: i, lo, hi });
  }
  return out;
}

/** The present descriptors as a table, with a cell more from `extra`. */
function gdtTable(ds: Descriptor[], extra?: (d: Descriptor) => string): string {
  const rows = ds.filter(present).map((d) => [...descriptorRow(d.index, d.lo, d.hi), ...(extra ? [extra(d)] : [])]);
  return rows.length ? table([...GDT_HEAD, ...(extra ? ['owner'] : [])], rows) : 'no present descriptors';
}

const HOST_SLOTS = "the Host's slots: 10 and 11 (lguest's code and data), 16 (the TSS), 31 (the double-fault TSS); "
  + "the rest are the Guest's";

function infoGdt(_arg: string, ctx: MonitorContext): string {
  const c = ctx.cpu, lg = lguestOf(ctx);
  const gdtr = c.gdtr, n = Math.floor((gdtr.limit + 1) / 8);
  const out = [`GDTR base ${hex(gdtr.base)} limit ${hexShort(gdtr.limit)} (${n} entries)`];
  if (lg !== null && cpuInGuestWorld(c)) {
    // The Guest's real GDT: lguest's slots are the Host's, the rest the Guest's (as it asked, DPL 0 raised to 1).
    out[0] += ": the Guest's real GDT, in the Switcher's state page";
    out.push(gdtTable(realGdt(lg), (d) => {
      const pending = !ignoredGdt(d.index) && (lg.gdt[d.index * 2] !== d.lo || lg.gdt[d.index * 2 + 1] !== d.hi);
      return ignoredGdt(d.index) ? 'Host' : pending ? 'Guest (changed: copied in at the next entry)' : 'Guest';
    }), HOST_SLOTS);
    return out.join('\n');
  }
  const ds = readDescriptors(c, gdtr.base, gdtr.limit);
  out.push(typeof ds === 'string' ? ds : gdtTable(ds));
  if (lg !== null) {
    out.push(
      '',
      "The CPU is in the Host: the GDT above is the Host's. The Guest's, loaded when the Switcher enters it:",
    );
    out.push(gdtTable(realGdt(lg), (d) => (ignoredGdt(d.index) ? 'Host' : 'Guest')), HOST_SLOTS);
  }
  return out.join('\n');
}

// ---- Gates: info idt ------------------------------------------------------------------

interface Gate { vector: number; lo: number; hi: number }
const gateTarget = (g: Gate) => ((g.lo & 0xffff) | (g.hi & 0xffff0000)) >>> 0;
const gateType = (hi: number) => (
  ({ 5: 'task', 6: 'int16', 7: 'trap16', 0xe: 'int', 0xf: 'trap' } as Record<number, string>)[(hi >>> 8) & 0xf]
    ?? `type ${(hi >>> 8) & 0xf}`
);

function gateCells(g: Gate, ctx: MonitorContext): string[] {
  const sel = g.lo >>> 16;
  const target = ((g.hi >>> 8) & 0xf) === 5 ? `task ${hex(sel, 4)}` : `${hex(sel, 4)}:${hex(gateTarget(g))}`;
  return [
    gateType(g.hi), String((g.hi >>> 13) & 3), target, ((g.hi >>> 8) & 0xf) === 5 ? '' : label(ctx, gateTarget(g)),
  ];
}

/** A vector's name on the bare machine (under lguest, describe.ts's trapName). */
function vectorName(v: number): string {
  return EXCEPTION_NAMES[v] ?? (v < 32 ? `reserved ${v}` : '');
}

function infoIdt(arg: string, ctx: MonitorContext): string {
  const c = ctx.cpu, lg = lguestOf(ctx);
  const only = arg.trim() === '' ? null : address(arg, ctx, 'info idt');
  if (only !== null && only > 255) throw new UsageError(`info idt: no vector ${only}`, 'info idt');
  const idtr = c.idtr;
  const out = [`IDTR base ${hex(idtr.base)} limit ${hexShort(idtr.limit)}`];
  if (lg !== null) {
    if (cpuInGuestWorld(c)) {
      out[0] += ": the Guest's real IDT, in the Switcher's state page";
    } else {
      out.push("The CPU is in the Host, on the Host's IDT. The Guest's real IDT, loaded when the Switcher enters it:");
    }
    out.push(lguestIdt(lg, only, ctx));
    return out.join('\n');
  }
  // The bare machine: every present gate, runs of vectors sharing one handler on one line.
  const rows: string[][] = [];
  for (let v = 0; v * 8 + 7 <= idtr.limit && v < 256; v++) {
    if (only !== null && v !== only) continue;
    const lo = peekLinear(c, idtr.base + v * 8, 4), hi = peekLinear(c, idtr.base + v * 8 + 4, 4);
    if (lo === undefined || hi === undefined) { out.push(`nothing mapped at ${hex(idtr.base + v * 8)}`); break; }
    if ((hi & 0x8000) === 0) continue;
    const cells = gateCells({ vector: v, lo, hi }, ctx);
    const prev = rows[rows.length - 1];
    if (prev && prev.slice(2).join() === cells.join() && parseInt(prev[0].split('-').pop()!, 16) === v - 1) {
      prev[0] = `${prev[0].split('-')[0]}-${hex(v, 2)}`;
      prev[1] = '(one handler)';
      continue;
    }
    rows.push([hex(v, 2), vectorName(v), ...cells]);
  }
  out.push(rows.length ? table(['vector', 'name', 'type', 'DPL', 'target', 'symbol'], rows) : 'no present gates');
  return out.join('\n');
}

/**
 * The Guest's real IDT: each gate goes straight to the Guest's handler
 * (direct) or to the Switcher and the Host, which reflects it to the
 * Guest's handler, if it has one. Vectors that lead nowhere are summed up.
 */
function lguestIdt(lg: Lguest, only: number | null, ctx: MonitorContext): string {
  const real = realIdt(lg), wanted = guestIdt(lg);
  const rows: string[][] = [];
  let unhandled = 0;
  for (const g of real) {
    const w = wanted[g.vector];
    const special = g.vector === LGUEST_TRAP_ENTRY || g.vector === HOST_TIMER_VECTOR;
    if (only !== null ? g.vector !== only : !g.direct && !w.present && !special) {
      if (only === null && g.present) unhandled++;
      continue;
    }
    const route = !g.present ? 'not present' : g.direct ? 'direct' : 'via the Host';
    const guest = g.direct ? '(same)'
      : w.present ? `${hex(w.selector, 4)}:${hex(w.target)} ${label(ctx, w.target)}`.trimEnd() : '';
    rows.push([hex(g.vector, 2), trapName(g.vector), ...gateCells(g, ctx), route, guest]);
  }
  const out = [table(['vector', 'name', 'type', 'DPL', 'target', 'symbol', 'route', "Guest's handler"], rows)];
  if (unhandled > 0) out.push(`${unhandled} other vectors go to the Host; the Guest has no handler for them`);
  return out.join('\n');
}

// ---- info tss ------------------------------------------------------------------------

function tssTable(read: (off: number, size: 2 | 4) => number | undefined): string {
  const rows = [0, 1, 2].map((ring) => {
    const esp = read(4 + ring * 8, 4), ss = read(8 + ring * 8, 2);
    return [String(ring), esp === undefined ? '?' : hex(esp), ss === undefined ? '?' : hex(ss, 4)];
  });
  const io = read(0x66, 2);
  return table(['ring', 'esp', 'ss'], rows) + `\niomap base ${io === undefined ? '?' : hexShort(io)}`;
}

function infoTss(_arg: string, ctx: MonitorContext): string {
  const c = ctx.cpu, lg = lguestOf(ctx), tr = c.tr;
  if ((tr.sel & ~3) === 0 && tr.limit === 0) return 'no TSS loaded (TR is null)';
  const type = (tr.attr & 0xf) === 0xb ? 'TSS32 busy' : (tr.attr & 0xf) === 0x9 ? 'TSS32' : `type ${tr.attr & 0xf}`;
  const out = [`TR ${hex(tr.sel, 4)} base ${hex(tr.base)} limit ${hexShort(tr.limit)} (${type})`];
  const readTss = (off: number, size: 2 | 4) => (
    off + size - 1 <= tr.limit ? peekLinear(c, tr.base + off, size) : undefined
  );
  out.push(tssTable(readTss));
  const io = readTss(0x66, 2);
  if (io !== undefined && io > tr.limit) {
    out[out.length - 1] += ' (past the limit: no I/O bitmap, so port I/O above IOPL faults)';
  }
  if (lg !== null) {
    if (cpuInGuestWorld(c)) {
      out.push("(the Guest's TSS: a trap from the Guest lands at ring 0 in the Switcher's register page, "
        + 'saving its registers;',
        ` ring 1 is the Guest's kernel stack, as it set it with SET_STACK: ${lg.stackPages} page(s) kept mapped)`);
    } else {
      const t = guestTss(lg);
      out.push('', `The CPU is in the Host: that is the Host's TSS. The Guest's, at ${hex(t.virt)}:`);
      out.push(tssTable((off) => (
        off === 4 ? t.esp0 : off === 8 ? t.ss0 : off === 12 ? t.esp1 : off === 16 ? t.ss1
          : off === 0x66 ? t.ioMapBase : 0
      )));
    }
  }
  return out.join('\n');
}

// ---- info tlb ------------------------------------------------------------------------

function rights(r: number): [string, string] {
  return [(r & R_S ? 'r' : '-') + (r & W_S ? 'w' : '-'), (r & R_U ? 'r' : '-') + (r & W_U ? 'w' : '-')];
}

function tlbRows(c: Cpu, filter: number | null): string[][] {
  const rows: [number, string[]][] = [];
  for (let i = 0; i < TLB_SIZE; i++) {
    const page = c.tlbTag[i];
    if (page === -1 || (filter !== null && page !== filter >>> 12)) continue;
    const [sup, user] = rights(c.tlbRights[i]);
    rows.push([
      page >>> 0,
      [hex(page * 4096), hex(c.tlbPhys[i]), sup, user, c.tlbGlobal[i] ? 'yes' : '', c.tlbLarge[i] ? '4M' : '4K'],
    ]);
  }
  return rows.sort((a, b) => a[0] - b[0]).map((r) => r[1]);
}
const TLB_HEAD = ['linear', 'physical', 'sup', 'user', 'global', 'page'];
const TLB_MAX_ROWS = 256;

function infoTlb(arg: string, ctx: MonitorContext): string {
  const filter = arg.trim() === '' ? null : address(arg, ctx, 'info tlb');
  const rows = tlbRows(ctx.cpu, filter);
  if (rows.length === 0) return filter === null ? 'the TLB is empty' : `no TLB entry for ${hex(filter)}`;
  const out = [
    `${rows.length} valid entr${rows.length === 1 ? 'y' : 'ies'} (write rights appear only once a page is dirty: `
      + 'a clean writable page shows r- until its first write)',
  ];
  out.push(table(TLB_HEAD, rows.slice(0, TLB_MAX_ROWS)));
  if (rows.length > TLB_MAX_ROWS) out.push(`... ${rows.length - TLB_MAX_ROWS} more (info tlb ADDR shows one)`);
  return out.join('\n');
}

// ---- page ADDR -----------------------------------------------------------------------

function walkTable(w: Walk): string {
  const rows: string[][] = [];
  if (w.pde) rows.push(['PDE', hex(w.pde.addr), hex(w.pde.value), entryFlags(w.pde.value).join(' ')]);
  if (w.pte) rows.push(['PTE', hex(w.pte.addr), hex(w.pte.value), entryFlags(w.pte.value).join(' ')]);
  const end = w.phys !== null ? `-> physical ${hex(w.phys)}`
    : w.pde === null ? '-> no directory entry to read: not mapped'
      : `-> not mapped (${w.pte === null || (w.pde.value & _PAGE_PRESENT) === 0 ? 'PDE' : 'PTE'} not present)`;
  return (rows.length ? table(['level', 'entry at', 'value', 'flags'], rows) + '\n' : '') + end;
}

/** The CPU's own walk of a linear address, for the bare machine (no side effects). */
function cpuWalk(c: Cpu, lin: number): Walk | null {
  if ((c.cr0 & CR0_PG) === 0) return null;
  const pdeAddr = ((c.cr3 & ~0xfff) + (lin >>> 22) * 4) >>> 0;
  const pde = c.mem.read32(pdeAddr) >>> 0;
  const walk: Walk = { pde: { addr: pdeAddr, value: pde }, pte: null, phys: null };
  if ((pde & PTE_P) === 0) return walk;
  if ((pde & PTE_PS) !== 0 && (c.cr4 & CR4_PSE) !== 0) {
    return { ...walk, phys: ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0 };
  }
  const pteAddr = ((pde & ~0xfff) + ((lin >>> 12) & 0x3ff) * 4) >>> 0;
  const pte = c.mem.read32(pteAddr) >>> 0;
  return {
    ...walk, pte: { addr: pteAddr, value: pte }, phys: pte & PTE_P ? ((pte & ~0xfff) | (lin & 0xfff)) >>> 0 : null,
  };
}

/** What differs between the Guest's walk and the shadow's, in words. */
function shadowNotes(addr: number, g: Walk, s: Walk): string[] {
  const notes: string[] = [];
  if (g.phys !== null && s.phys === null) {
    notes.push('not yet faulted in: the shadow has no entry here yet; the first access faults to the Host, '
      + 'which copies the Guest\'s entry into it (demand_page)');
  } else if (g.phys === null && s.phys !== null) {
    notes.push(addr >= SWITCHER_ADDR
      ? "the Switcher's page: the Host maps it in every shadow, the Guest never sees it"
      : "mapped in the shadow but not in the Guest's tables");
  } else if (g.phys !== null && s.phys !== null) {
    if (g.phys !== s.phys) notes.push(`different frames: the Guest says ${hex(g.phys)}, the shadow ${hex(s.phys)}`);
    const gp = g.pte?.value ?? 0, sp = s.pte?.value ?? 0;
    if ((gp & _PAGE_RW) !== 0 && (sp & _PAGE_RW) === 0) {
      notes.push((gp & _PAGE_DIRTY) === 0
        ? 'read-only until dirty: the first write faults to the Host, which sets D in the Guest\'s entry '
          + 'and makes the shadow writable'
        : "read-only in the shadow though the Guest's entry is writable");
    }
    if ((gp & _PAGE_GLOBAL) !== 0 && (sp & _PAGE_GLOBAL) === 0) notes.push('the shadow drops the global bit');
  } else {
    notes.push("not mapped: an access is the Guest's own page fault");
  }
  return notes;
}

function page(arg: string, ctx: MonitorContext): string {
  const addr = address(arg, ctx, 'page'), c = ctx.cpu, lg = lguestOf(ctx);
  const out = [
    `page ${hex(addr)} (directory index ${hexShort(addr >>> 22)}, table index ${hexShort((addr >>> 12) & 0x3ff)}, `
      + `offset ${hexShort(addr & 0xfff)})`,
  ];
  if (lg !== null) {
    const pt = lg.pageTables, slot = pt.cpuPgd;
    const g = guestWalk(lg, addr), s = shadowWalk(lg, addr);
    out.push('', pt.linearPages
      ? "The Guest's view: no page tables of its own yet; virtual is physical below the end of its memory"
      : `The Guest's page tables (Guest-physical; directory ${hex(pt.pgdirs[slot].gpgdir)}):`);
    out.push(walkTable(g));
    out.push('', `The shadow the CPU runs on (host-physical; slot ${slot}, directory ${hex(pt.pgdirs[slot].pgdir)}):`);
    out.push(walkTable(s));
    out.push('', ...shadowNotes(addr, g, s).map((n) => `note: ${n}`));
  } else {
    const w = cpuWalk(c, addr);
    if (w === null) out.push(`paging is off: physical ${hex(addr)}`);
    else out.push(`CR3 ${hex(c.cr3)}`, walkTable(w));
  }
  const tlb = tlbRows(c, addr);
  out.push(tlb.length
    ? `TLB: ${tlb[0][0]} -> ${tlb[0][1]}, supervisor ${tlb[0][2]}, user ${tlb[0][3]}${tlb[0][4] ? ', global' : ''}`
      + `${tlb[0][5] === '4M' ? ', a slice of a 4 MiB page' : ''}`
    : 'TLB: no entry');
  return out.join('\n');
}

// ---- x/NF ADDR -----------------------------------------------------------------------

function examine(spec: string, arg: string, ctx: MonitorContext): string {
  const m = /^(\d*)([xduisbhw]*)$/.exec(spec);
  if (!m) throw new UsageError(`x: bad format '${spec}'`, 'x');
  const count = m[1] === '' ? 1 : Number(m[1]);
  if (count < 1 || count > 4096) throw new UsageError(`x: count ${m[1]} is not between 1 and 4096`, 'x');
  const letters = m[2];
  const fmt = [...letters].filter((l) => 'xduis'.includes(l)).pop() ?? 'x';
  const sizeLetter = [...letters].filter((l) => 'bhw'.includes(l)).pop() ?? 'w';
  const addr = address(arg, ctx, 'x');
  if (fmt === 'i') return examineInstructions(addr, count, ctx);
  if (fmt === 's') return examineStrings(addr, count, ctx);
  const size = ({ b: 1, h: 2, w: 4 } as const)[sizeLetter as 'b' | 'h' | 'w'];
  const perLine = size === 4 ? 4 : 8;
  const rows: string[][] = [];
  for (let i = 0; i < count; i += perLine) {
    const at = (addr + i * size) >>> 0;
    const cells: string[] = [];
    let any = false;
    for (let k = i; k < Math.min(count, i + perLine); k++) {
      const v = ctx.read((addr + k * size) >>> 0, size);
      if (v !== undefined) any = true;
      cells.push(v === undefined ? (fmt === 'x' ? '0x' + '?'.repeat(size * 2) : '?') : unit(v, size, fmt));
    }
    rows.push([`${hex(at)} ${label(ctx, at)}`.trimEnd() + ':', ...(any ? cells : ['<nothing mapped>'])]);
  }
  // Right-align numbers in decimal, as gdb does; hex has a fixed width already.
  const width = Math.max(0, ...rows.flatMap((r) => r.slice(1).map((c) => c.length)));
  return table(null, rows.map((r) => [
    r[0], ...r.slice(1).map((c) => (fmt === 'x' || c.startsWith('<') ? c : c.padStart(width))),
  ]));
}

function unit(v: number, size: 1 | 2 | 4, fmt: string): string {
  if (fmt === 'x') return hex(v, size * 2);
  if (fmt === 'u') return String(v >>> 0);
  const bitsN = size * 8;
  return String(size === 4 ? v | 0 : v >= 2 ** (bitsN - 1) ? v - 2 ** bitsN : v);
}

function examineInstructions(addr: number, count: number, ctx: MonitorContext): string {
  const rows: string[][] = [];
  const symbolize = ctx.symbolAt ? (a: number) => {
    const s = ctx.symbolAt!(a);
    return s ? (s.offset ? `${s.name}+${hexShort(s.offset)}` : s.name) : undefined;
  } : undefined;
  const eip = ctx.cpu.eip >>> 0;
  let at = addr >>> 0;
  for (let n = 0; n < count; n++) {
    const bytes: number[] = [];
    for (let k = 0; k < MAX_INSTR_LEN; k++) {
      const b = ctx.read((at + k) >>> 0, 1);
      if (b === undefined) break;
      bytes.push(b);
    }
    const where = `${hex(at)} ${label(ctx, at)}`.trimEnd() + ':';
    if (bytes.length === 0) { rows.push([at === eip ? '=>' : '', where, '', '<nothing mapped>']); break; }
    const [ins] = disassembleBytes(Uint8Array.from(bytes), at, ctx.cpu.code32, 'att', symbolize);
    rows.push([
      at === eip ? '=>' : '', where, [...ins.bytes].map((b) => b.toString(16).padStart(2, '0')).join(' '), ins.text,
    ]);
    at = (at + ins.length) >>> 0;
  }
  return table(null, rows);
}

const STRING_MAX = 256;

function examineStrings(addr: number, count: number, ctx: MonitorContext): string {
  const rows: string[][] = [];
  let at = addr >>> 0;
  for (let n = 0; n < count; n++) {
    let s = '', len = 0, end: 'nul' | 'unmapped' | 'long' = 'long';
    for (; len < STRING_MAX; len++) {
      const b = ctx.read((at + len) >>> 0, 1);
      if (b === undefined) { end = 'unmapped'; break; }
      if (b === 0) { end = 'nul'; break; }
      s += b === 0x22 ? '\\"' : b === 0x5c ? '\\\\' : b === 10 ? '\\n' : b === 9 ? '\\t' : b === 13 ? '\\r'
        : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`;
    }
    const where = `${hex(at)} ${label(ctx, at)}`.trimEnd() + ':';
    if (end === 'unmapped' && len === 0) { rows.push([where, '<nothing mapped>']); break; }
    rows.push([where, `"${s}"${end === 'long' ? '...' : end === 'unmapped' ? ' <then nothing mapped>' : ''}`]);
    if (end === 'unmapped') break;
    at = (at + len + 1) >>> 0;
  }
  return table(null, rows);
}

// ---- info lguest ------------------------------------------------------------------------

/** A mask of IRQs in words: "0x00000001 (IRQ 0)", "0xfffffffe (all but IRQ 0)". */
function irqList(mask: number): string {
  const set: number[] = [], clear: number[] = [];
  for (let i = 0; i < 32; i++) (mask & (1 << i) ? set : clear).push(i);
  const words = set.length === 0 ? '' : set.length === 32 ? 'all'
    : set.length > 16 ? `all but IRQ ${clear.join(', ')}` : `IRQ ${set.join(', ')}`;
  return `${hex(mask)}${words ? ` (${words})` : ''}`;
}

function infoLguest(_arg: string, ctx: MonitorContext): string {
  const lg = lguestOf(ctx);
  if (lg === null) throw new UsageError('info lguest: no lguest Host here (the bare machine)', 'info lguest');
  const now = lg.now;
  const out: string[] = [];
  const d = lguestData(lg);
  if (d === null) out.push('lguest_data: not yet given (the Guest has not made LGUEST_INIT)');
  else {
    out.push(`lguest_data at ${hex(d.address)}:`);
    out.push(table(['field', 'value'], [
      ['irq_enabled', `${hex(d.irq_enabled)} (interrupts ${d.irq_enabled & 0x200 ? 'on' : 'off'})`],
      ['blocked_interrupts', irqList(d.blocked_interrupts)],
      ['irq_pending', String(d.irq_pending)],
      ['cr2', hex(d.cr2)],
      ['time', `${d.time.sec}.${String(d.time.nsec).padStart(9, '0')} `
        + `(${new Date(d.time.sec * 1000).toISOString().replace('T', ' ').replace('.000Z', ' UTC')})`],
      ['reserve_mem', hex(d.reserve_mem)],
      ['tsc_khz', String(d.tsc_khz)],
      ['noirq_iret', `${hex(d.noirq_iret)} ${label(ctx, d.noirq_iret)}`.trimEnd()],
      ['kernel_address', hex(d.kernel_address)],
      ['syscall_vec', hex(d.syscall_vec, 2)],
      ['async hypercalls', d.ring.length === 0 ? 'none waiting' : d.ring.map((r) => (
        `[${r.slot}] ${hypercallLabel(r.args[0])}(${r.args.slice(1).map(hexShort).join(', ')})`
      )).join('; ')],
    ]));
  }
  out.push('', table(['state', 'value'], [
    ['interrupts pending', irqList(lg.irqsPending)],
    ['timer',
      lg.timerDeadline === null ? 'not set' : `fires at ${lg.timerDeadline} ns (in ${lg.timerDeadline - now} ns)`],
    ['halted', lg.halted ? 'yes (waiting for an interrupt)' : 'no'],
    ['hypercall pending', lg.hcallPending ? `yes: ${hypercallLabel(lg.reg('eax'))}` : 'no'],
    ['ring 1 stack', `${hex(lg.ss1, 4)}:${hex(lg.esp1)}, ${lg.stackPages} page(s)`],
    ['dead', lg.dead === null ? 'no' : `${lg.dead.kind}${'reason' in lg.dead ? `: ${lg.dead.reason}`
      : 'message' in lg.dead ? `: ${lg.dead.message}` : `: status ${lg.dead.status}`}`],
    ['CPU', cpuInGuestWorld(ctx.cpu) ? "in the Guest's world" : 'in the Host'],
  ]));
  out.push('', 'Shadow page directories:');
  out.push(table(['slot', 'Guest pgdir', 'shadow pgdir', 'active', 'Switcher mapped', 'present PDEs'],
    shadowSlots(lg).map((s) => [
      String(s.slot), hex(s.gpgdir), s.pgdir === 0 ? 'unused' : hex(s.pgdir), s.active ? 'yes' : '',
      s.switcherMapped ? 'yes' : 'no', String(s.presentEntries),
    ])));
  return out.join('\n');
}

const INFO: { name: string; run: (arg: string, ctx: MonitorContext) => string }[] = [
  { name: 'registers', run: infoRegisters },
  { name: 'fpu', run: infoFpu },
  { name: 'gdt', run: infoGdt },
  { name: 'idt', run: infoIdt },
  { name: 'tss', run: infoTss },
  { name: 'tlb', run: infoTlb },
  { name: 'lguest', run: infoLguest },
];
