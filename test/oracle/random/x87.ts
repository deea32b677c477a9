/**
 * Random x87 streams (generator.ts with `x87: true`): every 387 instruction
 * plus FCOMI/FCOMIP/FUCOMI/FUCOMIP and FCMOVcc, in all their operand forms
 * (ST(i), m16int, m32int, m64int, m32fp, m64fp, m80fp, m80bcd), with the
 * operands that make floating point go wrong: memory operands are filled
 * first (MOV imm32 through the very same addressing form) with ±0,
 * denormals, pseudo-denormals, unnormals, infinities, pseudo-infinities,
 * QNaNs, SNaNs, pseudo-NaNs, the indefinite, huge and tiny exponents,
 * integers at their limits and BCD values; the stack gets them by loading
 * them. FLDCW sets every rounding and precision control, mostly with every
 * exception masked; sometimes some are unmasked for one instruction, which
 * is then followed only by no-wait instructions (FNSTSW, FNSTENV, FNSAVE)
 * and FWAIT, FNCLEX or FNINIT, so that QEMU's #MF (at WAIT only) and ours
 * (at the next waiting x87 instruction too) meet at the same place. The
 * stack depth is left to chance, so overflows and underflows happen.
 * FNSTENV/FLDENV and FNSAVE/FRSTOR pairs put the whole environment (tag
 * word, FIP, FCS, FOP, FDP, FDS) in memory, where lockstep compares it.
 * No FISTTP (SSE3), no MMX or SSE, no undocumented aliases (DC D0+i...).
 */
import type { Rng } from './rng';
import { Ctx, EAX, memOperand, le32, type Mem } from './operands';
import * as L from './layout';
import { x87Rule, type X87Rule, type MemKind } from '../x87rules';

/** Where the case start puts its control word (read-write scratch, reached through SS, which is flat at both rings). */
export const CW_SLOT = L.RW_LO + 0x40;

interface Form { opcode: number; modrm: number; rule: X87Rule }

/** Every register form the manual defines, grouped by mnemonic (so that FLD ST(i)'s eight do not crowd out FSIN's one). */
const REG_FORMS: Map<string, Form[]> = new Map();
/** Every memory form, by opcode and ModRM.reg. */
const MEM_FORMS: { opcode: number; reg: number; rule: X87Rule }[] = [];
for (let opcode = 0xd8; opcode <= 0xdf; opcode++) {
  for (let modrm = 0xc0; modrm <= 0xff; modrm++) {
    const rule = x87Rule({ opcode, mod: 3, reg: (modrm >> 3) & 7, rm: modrm & 7, o32: true });
    if (rule === null) continue;
    const name = rule.name.split(' ')[0];
    REG_FORMS.set(name, [...(REG_FORMS.get(name) ?? []), { opcode, modrm, rule }]);
  }
  for (let reg = 0; reg < 8; reg++) {
    const rule = x87Rule({ opcode, mod: 0, reg, rm: 0, o32: true });
    if (rule !== null) MEM_FORMS.push({ opcode, reg, rule });
  }
}
const REG_NAMES = [...REG_FORMS.keys()];
/** Not drawn as plain register forms: they have their own items. */
const SPECIAL = new Set(['fninit', 'fnclex', 'fnstsw']);

// ---- Values ------------------------------------------------------------------------

const rnd64 = (rng: Rng): bigint => (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());

function f32Value(rng: Rng): number {
  const s = rng.chance(0.5) ? 0x80000000 : 0;
  const frac = () => (rng.chance(0.5) ? rng.u32() & 0x7fffff : rng.pick([1, 0x7fffff, 0x400000, 0x3fffff, 0x400001]));
  switch (rng.int(12)) {
    case 0: return s;
    case 1: return (s | frac()) >>> 0 || 1; // denormal
    case 2: return (s | 0x7f800000) >>> 0; // infinity
    case 3: return (s | 0x7fc00000 | (rng.u32() & 0x3fffff)) >>> 0; // QNaN
    case 4: return (s | 0x7f800000 | ((rng.u32() & 0x3fffff) || 1)) >>> 0; // SNaN
    case 5: return (s | rng.pick([0x00800000, 0x7f7fffff, 0x3f800000, 0x40000000, 0x3f000000, 0x5f000000, 0x4f000000, 0x46fffe00])) >>> 0;
    case 6: return (s | (rng.pick([1, 2, 0xfd, 0xfe, 0x7f, 0x80, 0xbe, 0xdf]) << 23) | frac()) >>> 0;
    default: return rng.u32();
  }
}

function f64Value(rng: Rng): bigint {
  const s = rng.chance(0.5) ? 1n << 63n : 0n;
  const frac = () => (rng.chance(0.5) ? rnd64(rng) & ((1n << 52n) - 1n) : rng.pick([1n, (1n << 52n) - 1n, 1n << 51n, (1n << 51n) + 1n]));
  const exp = (e: number) => BigInt(e) << 52n;
  switch (rng.int(12)) {
    case 0: return s;
    case 1: return s | (frac() || 1n);
    case 2: return s | exp(0x7ff);
    case 3: return s | exp(0x7ff) | (1n << 51n) | (rnd64(rng) & ((1n << 51n) - 1n));
    case 4: return s | exp(0x7ff) | ((rnd64(rng) & ((1n << 51n) - 1n)) || 1n);
    case 5: return s | rng.pick([exp(1), exp(0x7fe) | ((1n << 52n) - 1n), exp(0x3ff), exp(0x400), exp(0x43e), exp(0x43d) | ((1n << 52n) - 1n), exp(0x41d)]);
    case 6: return s | exp(rng.pick([1, 2, 0x7fd, 0x7fe, 0x3ff, 0x3fe, 0x43c, 0x43e, 0x380, 0x47f])) | frac();
    default: return rnd64(rng);
  }
}

const J = 1n << 63n;

/** An 80-bit value: sign and exponent word, significand. */
function f80Value(rng: Rng): { se: number; sig: bigint } {
  const s = rng.chance(0.5) ? 0x8000 : 0;
  const low = () => (rng.chance(0.5) ? rnd64(rng) & (J - 1n) : rng.pick([0n, 1n, J - 1n, 1n << 62n, (1n << 62n) - 1n, 0x7ffn << 52n, 0xffn << 40n]));
  const e = (): number => rng.pick([1, 2, 0x7ffe, 0x7ffd, 0x3fff, 0x3ffe, 0x403e, 0x403d, 0x401e, 0x400e, 0x3c00, 0x43ff, 0x3f80, 0x407f, rng.range(1, 0x7ffe), rng.range(0x3f00, 0x4100)]);
  switch (rng.int(16)) {
    case 0: return { se: s, sig: 0n }; // zero
    case 1: return { se: s, sig: low() || 1n }; // denormal
    case 2: return { se: s, sig: J | low() }; // pseudo-denormal
    case 3: return { se: s | e(), sig: low() }; // unnormal (or a pseudo-zero)
    case 4: return { se: s | 0x7fff, sig: J }; // infinity
    case 5: return { se: s | 0x7fff, sig: rng.chance(0.5) ? 0n : low() || 1n }; // pseudo-infinity, pseudo-NaN
    case 6: return { se: s | 0x7fff, sig: J | (1n << 62n) | (low() & ((1n << 62n) - 1n)) }; // QNaN
    case 7: return { se: s | 0x7fff, sig: J | ((low() & ((1n << 62n) - 1n)) || 1n) }; // SNaN
    case 8: return { se: 0xffff, sig: J | (1n << 62n) }; // the indefinite
    case 9: return { se: s | rng.pick([1, 0x7ffe]), sig: J | low() }; // the extremes
    case 10: return { se: s | 0x403e, sig: J | low() }; // near 2^63 (integer stores, the transcendentals' range)
    default: return { se: s | e(), sig: J | low() };
  }
}

function intValue(rng: Rng, bits: number): bigint {
  const m = (1n << BigInt(bits)) - 1n;
  const half = 1n << BigInt(bits - 1);
  switch (rng.int(6)) {
    case 0: return rng.pick([0n, 1n, m, half, half - 1n, half + 1n, m - 1n]);
    case 1: return BigInt(rng.range(-1000, 1000)) & m;
    case 2: return rnd64(rng) & m;
    default: return (rnd64(rng) >> BigInt(rng.int(64))) & m;
  }
}

function bcdValue(rng: Rng): number[] {
  const b = new Array<number>(10).fill(0);
  const digits = rng.chance(0.3) ? 18 : rng.int(19);
  for (let k = 0; k < digits; k++) {
    const d = rng.chance(0.03) ? rng.range(10, 15) : rng.chance(0.3) ? 9 : rng.int(10);
    b[k >> 1] |= d << ((k & 1) * 4);
  }
  b[9] = rng.chance(0.5) ? 0x80 : 0;
  return b;
}

/** The bytes of a random value of a memory operand's format. */
export function valueBytes(rng: Rng, kind: MemKind): number[] {
  const le = (v: bigint, n: number) => Array.from({ length: n }, (_, k) => Number((v >> BigInt(8 * k)) & 0xffn));
  switch (kind) {
    case 'f32': return le32(f32Value(rng));
    case 'f64': return le(f64Value(rng), 8);
    case 'f80': { const v = f80Value(rng); return [...le(v.sig, 8), v.se & 0xff, v.se >> 8]; }
    case 'i16': return le(intValue(rng, 16), 2);
    case 'i32': return le(intValue(rng, 32), 4);
    case 'i64': return le(intValue(rng, 64), 8);
    case 'bcd': return bcdValue(rng);
    case 'cw': return le(BigInt(controlWord(rng, true)), 2);
    default: return [];
  }
}

/** A control word: any rounding and precision control; masks all set unless `unmasked`-ones are asked for. */
export function controlWord(rng: Rng, masked: boolean): number {
  const pc = rng.pick([0, 2, 3, 3, 1]); // 1 is reserved: the manual's behaviour is 64-bit (as PC = 3)
  const rc = rng.int(4);
  let masks = 0x3f;
  if (!masked) {
    masks = rng.u32() & 0x3f;
    if (masks === 0x3f) masks = 0x3f & ~(1 << rng.int(6));
  }
  const reserved = 0x40; // bits 6 (reads 1), 7, 13-15: reserved, avoided (exclusions.ts)
  return (reserved | (rc << 10) | (pc << 8) | masks | (rng.chance(0.1) ? 0x1000 : 0)) & 0xffff;
}

// ---- Emitting ---------------------------------------------------------------------

/** Fill `bytes` at a memory operand, a dword at a time, through its own addressing form. */
function fill(ctx: Ctx, mem: Mem, bytes: number[]): void {
  for (let k = 0; k < bytes.length; k += 4) {
    const v = (bytes[k] ?? 0) | ((bytes[k + 1] ?? 0) << 8) | ((bytes[k + 2] ?? 0) << 16) | ((bytes[k + 3] ?? 0) << 24);
    ctx.emit(mem.prefixes, 0xc7, mem.encode(0, k), le32(v >>> 0));
  }
}

function memFor(ctx: Ctx, bytes: number, store: boolean): Mem | null {
  // Stores aim only at the read-write pages: a store that crosses into a page where it faults would be
  // partly written by QEMU, which writes byte by byte as it goes.
  return memOperand(ctx, { size: bytes, write: true, rmw: store || bytes > 4 });
}

/** A memory form: its operand filled with a value of its format first (almost always). */
function memInstruction(ctx: Ctx, f: { opcode: number; reg: number; rule: X87Rule }, o16 = false): boolean {
  const m = f.rule.mem!;
  const size = m.kind === 'env' ? (o16 ? 14 : 28) : m.kind === 'save' ? (o16 ? 94 : 108) : m.bytes;
  const mem = memFor(ctx, size, m.store);
  if (mem === null) return false;
  if (!m.store && ctx.rng.chance(0.92)) fill(ctx, mem, valueBytes(ctx.rng, m.kind));
  ctx.emit(o16 ? [0x66] : [], mem.prefixes, f.opcode, mem.encode(f.reg));
  return true;
}

function regInstruction(ctx: Ctx, name = ctx.rng.pick(REG_NAMES.filter((n) => !SPECIAL.has(n)))): void {
  const f = ctx.rng.pick(REG_FORMS.get(name)!);
  ctx.emit(ctx.rng.chance(0.03) ? [0x66] : [], f.opcode, f.modrm);
}

/** A load of a special value onto the stack (the usual way values get there). */
function load(ctx: Ctx): boolean {
  const loads = MEM_FORMS.filter((f) => f.rule.push);
  return memInstruction(ctx, ctx.rng.pick(loads));
}

/** FLDCW of a word put in memory just before. */
function fldcw(ctx: Ctx, cw: number): boolean {
  const mem = memFor(ctx, 2, false);
  if (mem === null) return false;
  fill(ctx, mem, le32(cw));
  ctx.emit(mem.prefixes, 0xd9, mem.encode(5));
  return true;
}

const FNCLEX = [0xdb, 0xe2], FNINIT = [0xdb, 0xe3], FWAIT = [0x9b];

/** FNSTENV then FLDENV (sometimes with the tag word or the rounding of the image changed between), or FNSAVE then FRSTOR. */
function environment(ctx: Ctx): boolean {
  const { rng } = ctx;
  const save = rng.chance(0.4), o16 = rng.chance(0.2);
  const size = save ? (o16 ? 94 : 108) : o16 ? 14 : 28;
  const mem = memFor(ctx, size, true);
  if (mem === null) return false;
  const p = o16 ? [0x66] : [];
  ctx.emit(p, mem.prefixes, save ? 0xdd : 0xd9, mem.encode(6)); // FNSAVE / FNSTENV
  if (rng.chance(0.3)) {
    // Change the image's tag word (empty or not; the tags of the non-empty ones come from the contents),
    // or the control word's RC/PC (masks kept as they are: all set here).
    const tagOff = o16 ? 4 : 8;
    if (rng.chance(0.6)) ctx.emit(mem.prefixes, 0x66, 0xc7, mem.encode(0, tagOff), rng.u32() & 0xff, rng.u32() & 0xff);
    else ctx.emit(mem.prefixes, 0x66, 0xc7, mem.encode(0, 0), ...[controlWord(rng, true)].flatMap((w) => [w & 0xff, w >> 8]));
  }
  if (rng.chance(0.9)) ctx.emit(p, mem.prefixes, save ? 0xdd : 0xd9, mem.encode(4)); // FRSTOR / FLDENV
  else if (save) ctx.emit(FNCLEX); // FNSAVE left the x87 initialized: go on from there
  return true;
}

/**
 * One instruction with some exceptions unmasked: FNCLEX, FLDCW, the instruction, then (maybe)
 * a look at it with no-wait instructions, then FWAIT (#MF if it is pending), FNCLEX or FNINIT,
 * and the masks back.
 */
function unmasked(ctx: Ctx): boolean {
  const { rng } = ctx;
  ctx.emit(FNCLEX);
  if (!fldcw(ctx, controlWord(rng, false))) return false;
  if (rng.chance(0.3)) load(ctx);
  else if (rng.chance(0.5)) regInstruction(ctx);
  else memInstruction(ctx, rng.pick(MEM_FORMS.filter((f) => f.rule.mem!.kind !== 'env' && f.rule.mem!.kind !== 'save' && f.rule.mem!.kind !== 'cw')));
  const look = rng.int(5);
  if (look === 0) { ctx.emit(0xdf, 0xe0); ctx.st.kill(EAX); } // FNSTSW AX
  else if (look === 1) { const m = memFor(ctx, 28, true); if (m) ctx.emit(m.prefixes, 0xd9, m.encode(6)); } // FNSTENV
  ctx.emit(rng.pick([FWAIT, FNCLEX, FNCLEX, FNINIT]));
  ctx.emit(FNCLEX);
  fixedFldcw(ctx, controlWord(rng, true));
  return true;
}

/** FLDCW through SS at a fixed slot: cannot fail (SS is flat and writable at both rings). */
function fixedFldcw(ctx: Ctx, cw: number): void {
  ctx.emit(0x66, 0x36, 0xc7, 0x05, le32(CW_SLOT), cw & 0xff, cw >> 8); // mov word [ss:CW_SLOT], cw
  ctx.emit(0x36, 0xd9, 0x2d, le32(CW_SLOT)); // fldcw [ss:CW_SLOT]
}

/** The start of a case: no exception pending (FNCLEX, sometimes FNINIT), all masked, some rounding and precision. */
export function x87CaseStart(ctx: Ctx): void {
  const { rng } = ctx;
  ctx.emit(rng.chance(0.1) ? FNINIT : FNCLEX);
  fixedFldcw(ctx, controlWord(rng, true));
}

/** Where the checking FNSTENV of `envEvery` stores (through SS). */
export const ENV_SLOT = L.RW_LO + 0x60;

/**
 * For finding where the tags (or pointers) part ways: an FNSTENV after the item, so that lockstep
 * compares the environment after every x87 instruction (generator option x87EnvEvery).
 */
export function x87EnvCheck(ctx: Ctx): void {
  ctx.emit(0x36, 0xd9, 0x35, le32(ENV_SLOT)); // fnstenv [ss:ENV_SLOT]
}

/** One random x87 item: mostly a single instruction (with its operand's value), sometimes a short sequence. */
export function x87Item(ctx: Ctx): boolean {
  const { rng } = ctx;
  const k = rng.int(100);
  if (k < 22) return load(ctx);
  if (k < 50) { regInstruction(ctx); return true; }
  if (k < 72) return memInstruction(ctx, rng.pick(MEM_FORMS.filter((f) => !f.rule.push && f.rule.mem!.kind !== 'env' && f.rule.mem!.kind !== 'save' && f.rule.mem!.kind !== 'cw')));
  if (k < 77) return fldcw(ctx, controlWord(rng, true));
  if (k < 82) return environment(ctx);
  if (k < 88) return unmasked(ctx);
  if (k < 91) {
    ctx.emit(0xdf, 0xe0); // FNSTSW AX, then often SAHF (C0 C2 C3 into CF PF ZF) for a branch or FCMOVcc to use
    ctx.st.kill(EAX);
    if (rng.chance(0.6)) ctx.emit(0x9e);
    return true;
  }
  if (k < 94) {
    const cw = rng.chance(0.5);
    const mem = memFor(ctx, 2, true);
    if (mem === null) return false;
    ctx.emit(mem.prefixes, cw ? 0xd9 : 0xdd, mem.encode(7)); // FNSTCW / FNSTSW m16
    return true;
  }
  if (k < 96) { ctx.emit(FNCLEX); return true; }
  if (k < 97) { ctx.emit(FNINIT); return true; }
  ctx.emit(FWAIT);
  return true;
}

/** The x87 forms the generator draws from (for tests and the exclusion table). */
export function x87Forms(): { reg: string[]; mem: string[] } {
  return { reg: REG_NAMES, mem: MEM_FORMS.map((f) => f.rule.name) };
}
