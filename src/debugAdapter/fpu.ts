/**
 * The x87 as the debugger reads and changes it, apart from the protocol: its
 * control, status and tag words decoded field by field (for the FPU scope and
 * `info fpu`), its registers in words, their `$` names in expressions
 * (`$st0`..`$st7`, `$fctrl`, `$fstat`, `$ftag`, `$fop`, `$fip`, `$fcs`, `$fdp`,
 * `$fds`), and the changes a user may make to them.
 *
 * The x87 is the CPU's (Cpu.fpu) in every context: neither the Host's
 * TypeScript nor the Switcher's code touches it, so stopped in the Host's
 * context it still holds the Guest's state.
 */
import {
  type FpuState, type Tag, TAG_EMPTY, CW_PC, CW_RC, SW_TOP_SHIFT,
} from '../vm/cpu/fpu/state';
import { storedTagWord } from '../vm/cpu/fpu/environment';
import type { EvalResult } from './expression';
import { f80Text, f80ToUint32, parseF80 } from './float80Text';

export const TAG_NAMES = ['valid', 'zero', 'special', 'empty'] as const;
/** Precision control (SDM Vol. 1 Table 8-2); 01 is reserved, and taken as 64 bits, as Bochs does. */
export const PC_NAMES = ['24-bit (single)', 'reserved (as 64-bit)', '53-bit (double)', '64-bit (extended)'];
/** Rounding control (SDM Vol. 1 Table 4-8). */
export const RC_NAMES = ['to nearest (even)', 'down (toward -inf)', 'up (toward +inf)', 'toward zero (truncate)'];

/** A field of the control or status word: its bits, and whether the x87 derives it (it cannot be set). */
export interface WordField {
  readonly name: string;
  readonly shift: number;
  readonly bits: number;
  readonly what: string;
  readonly derived?: string;
}

const EXCEPTION_WORDS = ['invalid operation', 'denormal operand', 'zero divide', 'overflow', 'underflow', 'precision'];

/** The control word (SDM Vol. 1 Figure 8-6): the six masks (1 = masked), PC, RC and the 287's X. */
export const CONTROL_FIELDS: readonly WordField[] = [
  ...['im', 'dm', 'zm', 'om', 'um', 'pm'].map((name, i) => ({ name, shift: i, bits: 1, what: `${EXCEPTION_WORDS[i]} mask` })),
  { name: 'pc', shift: 8, bits: 2, what: 'precision control' },
  { name: 'rc', shift: 10, bits: 2, what: 'rounding control' },
  { name: 'x', shift: 12, bits: 1, what: "infinity control (the 287's; no effect)" },
];

const ES_DERIVED = 'set while an exception flag is set whose mask is clear: change the flags or the masks';
/** The status word (SDM Vol. 1 Figure 8-4): the six exception flags, SF, ES, C0-C3, TOP, B. */
export const STATUS_FIELDS: readonly WordField[] = [
  ...['ie', 'de', 'ze', 'oe', 'ue', 'pe'].map((name, i) => ({ name, shift: i, bits: 1, what: EXCEPTION_WORDS[i] })),
  { name: 'sf', shift: 6, bits: 1, what: 'stack fault' },
  { name: 'es', shift: 7, bits: 1, what: 'exception summary', derived: ES_DERIVED },
  { name: 'c0', shift: 8, bits: 1, what: 'condition code 0' },
  { name: 'c1', shift: 9, bits: 1, what: 'condition code 1' },
  { name: 'c2', shift: 10, bits: 1, what: 'condition code 2' },
  { name: 'top', shift: SW_TOP_SHIFT, bits: 3, what: 'top of stack: ST(0) is R(TOP)' },
  { name: 'c3', shift: 14, bits: 1, what: 'condition code 3' },
  { name: 'b', shift: 15, bits: 1, what: 'busy (a copy of ES)', derived: ES_DERIVED },
];

export const fieldOf = (word: number, f: WordField) => (word >>> f.shift) & ((1 << f.bits) - 1);

/** A field's value in words: PC and RC named, the rest as numbers. */
export function fieldText(word: number, f: WordField): string {
  const v = fieldOf(word, f);
  if (f === CONTROL_FIELDS[6]) return `${v}: ${PC_NAMES[v]}`;
  if (f === CONTROL_FIELDS[7]) return `${v}: ${RC_NAMES[v]}`;
  return String(v);
}

const hex = (v: number, digits: number) => `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;
const upper = (fields: readonly WordField[], word: number) => fields
  .filter((f) => f.bits === 1 && fieldOf(word, f) === 1).map((f) => f.name.toUpperCase());

/** The control word in one line: `masked IM DM ZM OM UM PM, PC 64-bit (extended), RC to nearest (even)`. */
export function controlSummary(cw: number): string {
  const masked = upper(CONTROL_FIELDS.slice(0, 6), cw);
  return `masked ${masked.length ? masked.join(' ') : 'none'}, PC ${PC_NAMES[(cw & CW_PC) >>> 8]}, `
    + `RC ${RC_NAMES[(cw & CW_RC) >>> 10]}${cw & 0x1000 ? ', X' : ''}`;
}

/** The status word in one line: `TOP 7, set: IE SF C1` (or `set: none`). */
export function statusSummary(sw: number): string {
  const set = upper(STATUS_FIELDS, sw);
  return `TOP ${(sw >>> SW_TOP_SHIFT) & 7}, set: ${set.length ? set.join(' ') : 'none'}`;
}

/** The tag word's tag of R(p). */
export const tagIn = (tw: number, p: number) => ((tw >>> (2 * p)) & 3) as Tag;

/** The tag word in one line: each non-empty register's tag (`R7 valid, R6 zero, others empty`). */
export function tagSummary(tw: number): string {
  const full: string[] = [];
  for (let p = 7; p >= 0; p--) if (tagIn(tw, p) !== TAG_EMPTY) full.push(`R${p} ${TAG_NAMES[tagIn(tw, p)]}`);
  if (full.length === 0) return 'all empty';
  return full.length === 8 ? full.join(', ') : `${full.join(', ')}, others empty`;
}

/** FOP, 11 bits, with the two opcode bytes it keeps (the first's low 3 bits over the ModR/M byte). */
export function fopText(fop: number): string {
  const first = 0xd8 | ((fop >>> 8) & 7), second = fop & 0xff;
  return `${hex(fop & 0x7ff, 3)} (${first.toString(16)} ${second.toString(16).padStart(2, '0')})`;
}

/** ST(i) in words: `empty`, or its value (float80Text.f80Text). */
export function stText(fpu: FpuState, i: number): string {
  return fpu.isEmpty(i) ? 'empty' : f80Text(fpu.st(i));
}

// ---- Expressions ---------------------------------------------------------------------------

/**
 * An x87 register as an integer expression sees it, by its name after `$`
 * (lower case): the words as they are (`ftag` the full two-bit tag word, as
 * FSTENV stores it; gdb's `fiseg`, `fioff`, `foseg`, `fooff` are `fcs`, `fip`,
 * `fds`, `fdp`), and `st0`..`st7` truncated toward zero to a 32-bit integer
 * (float80Text.f80ToUint32), or an error when empty, not a number or out of
 * range. Undefined for a name that is none of these.
 */
export function fpuRegister(fpu: FpuState, name: string): EvalResult | undefined {
  const st = /^st([0-7])$/.exec(name);
  if (st) {
    const i = Number(st[1]);
    if (fpu.isEmpty(i)) return { error: `$st${i} is empty` };
    const r = f80ToUint32(fpu.st(i));
    return 'error' in r ? { error: `$st${i}: ${r.error} (in an integer expression $st${i} is truncated to 32 bits)` } : r;
  }
  switch (name) {
    case 'fctrl': return { value: fpu.controlWord };
    case 'fstat': return { value: fpu.statusWord };
    case 'ftag': return { value: storedTagWord(fpu) };
    case 'fop': return { value: fpu.fop & 0x7ff };
    case 'fip': case 'fioff': return { value: fpu.fip >>> 0 };
    case 'fcs': case 'fiseg': return { value: fpu.fcs & 0xffff };
    case 'fdp': case 'fooff': return { value: fpu.fdp >>> 0 };
    case 'fds': case 'foseg': return { value: fpu.fds & 0xffff };
  }
  return undefined;
}

/**
 * An expression that is one x87 register alone (`$st0`..`$st7`, `$st(1)`, and
 * the assembler's `%st`, `%st(1)`), shown as its value in decimal (stText)
 * rather than as an integer; null for any other expression.
 */
export function fpuExpressionText(expr: string, fpu: FpuState): string | null {
  const m = /^\s*[$%]st(?:([0-7])|\(\s*([0-7])\s*\))?\s*$/i.exec(expr);
  if (!m) return null;
  return stText(fpu, Number(m[1] ?? m[2] ?? 0));
}

// ---- Changes ----------------------------------------------------------------------------------

export type SetResult = { ok: true } | { error: string };

/** An integer for a field or word: the expression's value, checked against `max`. */
function integer(value: string, max: number, what: string, evaluate: (e: string) => EvalResult): number | string {
  // The value as the view shows it ("3: 64-bit (extended)") is taken as its number.
  const shown = /^\s*(\d+)\s*:/.exec(value);
  const r = shown ? { value: Number(shown[1]) } : evaluate(value);
  if ('error' in r) return r.error;
  if (r.value > max) return `${what} is 0 to ${max} (${hex(max, 0)}), not ${r.value}`;
  return r.value;
}

/**
 * Set ST(i) to `value`: a decimal (correctly rounded), inf, nan, snan, the raw
 * 80 bits (float80Text.parseF80), or another register as `$stN`. It is then
 * tagged from its contents, so an empty register becomes full. The value as
 * the scope shows it is taken too, by its text before the notes: an edit of
 * `3.14159265358979323851 (raw 0x...)` in place sets what the digits say.
 */
export function setSt(fpu: FpuState, i: number, shownValue: string): SetResult {
  const value = shownValue.replace(/\s*\(raw 0x[0-9a-f]*\)\s*$/i, '')
    .replace(/\s*\((denormal|pseudo-denormal|indefinite)\)\s*$/i, '');
  const other = /^\s*\$st([0-7])\s*$/i.exec(value);
  if (other) {
    const j = Number(other[1]);
    if (fpu.isEmpty(j)) return { error: `$st${j} is empty` };
    fpu.setSt(i, fpu.st(j));
    return { ok: true };
  }
  const v = parseF80(value);
  if ('error' in v) return v;
  fpu.setSt(i, v.value);
  return { ok: true };
}

/**
 * Set a word or pointer of the x87 by its name in the FPU scope: `fctrl`
 * (the reserved bits as the P6 reads them), `fstat` (TOP with it; ES and B
 * follow from the flags and masks), `ftag` (as FLDENV takes it: a register
 * tagged 11 becomes empty, any other is tagged from its contents), `fcs`,
 * `fip`, `fds`, `fdp`, `fop`. Null for another name.
 */
export function setWord(
  fpu: FpuState, name: string, value: string, evaluate: (e: string) => EvalResult,
): SetResult | null {
  const words: Record<string, [number, (v: number) => void]> = {
    fctrl: [0xffff, (v) => { fpu.controlWord = v; }],
    fstat: [0xffff, (v) => { fpu.statusWord = v; }],
    ftag: [0xffff, (v) => fpu.loadTagWord(v)],
    fcs: [0xffff, (v) => { fpu.fcs = v; }],
    fip: [0xffffffff, (v) => { fpu.fip = v; }],
    fds: [0xffff, (v) => { fpu.fds = v; }],
    fdp: [0xffffffff, (v) => { fpu.fdp = v; }],
    fop: [0x7ff, (v) => { fpu.fop = v; }],
  };
  const w = words[name];
  if (w === undefined) return null;
  const v = integer(value, w[0], name, evaluate);
  if (typeof v === 'string') return { error: v };
  w[1](v);
  return { ok: true };
}

/** Set one field of the control word (`control`) or the status word; ES and B cannot be set. */
export function setField(
  fpu: FpuState, control: boolean, name: string, value: string, evaluate: (e: string) => EvalResult,
): SetResult | null {
  const f = (control ? CONTROL_FIELDS : STATUS_FIELDS).find((x) => x.name === name);
  if (f === undefined) return null;
  if (f.derived) return { error: `${name} is not stored: ${f.derived}` };
  const mask = (1 << f.bits) - 1;
  const v = integer(value, mask, name, evaluate);
  if (typeof v === 'string') return { error: v };
  const word = control ? fpu.controlWord : fpu.statusWord;
  const next = (word & ~(mask << f.shift)) | (v << f.shift);
  if (control) fpu.controlWord = next;
  else fpu.statusWord = next;
  return { ok: true };
}

/**
 * Set R(p)'s tag in the tag word as FLDENV would take it: `empty` (or 3)
 * empties it; `valid`, `zero`, `special` (or 0 to 2) mark it full, and it is
 * then tagged from its contents, whatever was asked.
 */
export function setTag(fpu: FpuState, p: number, value: string, evaluate: (e: string) => EvalResult): SetResult {
  const word = TAG_NAMES.indexOf(value.trim().toLowerCase() as (typeof TAG_NAMES)[number]);
  let t: number;
  if (word >= 0) t = word;
  else {
    const v = integer(value, 3, `r${p}'s tag`, evaluate);
    if (typeof v === 'string') return { error: `${v} (give ${TAG_NAMES.join(', ')} or 0 to 3)` };
    t = v;
  }
  fpu.loadTagWord((storedTagWord(fpu) & ~(3 << (2 * p))) | (t << (2 * p)));
  return { ok: true };
}

