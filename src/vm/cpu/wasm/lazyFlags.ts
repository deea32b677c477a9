/**
 * EFLAGS, conditions and CF worked out in WebAssembly from the CPU's own flags (layout.ts FLAGS): the
 * concrete bits and the lazy record of the last instruction that set the arithmetic ones, read as flags.ts
 * reads them. The flags have one home, which compiled blocks write as they go (writer.ts storeLazy), so
 * nothing here needs the CPU's TypeScript:
 * - a block that does not know the flags (it starts with a Jcc, SETcc, ADC... after the block that set
 *   them: a compiler's `cmp; je; ja` puts the `ja` in a block of its own) asks through `cond` and `getCF`;
 * - INT written out (gates.ts) pushes the EFLAGS `eflags` gives.
 */
import { Code, OP, libraryModule, type LibraryFn } from './emit';
import { FLAGS_RAW, LAZY_MASK, LAZY_OP, LAZY_SIZE, LAZY_A, LAZY_B, LAZY_RES, LAZY_CARRY } from './layout';
import { Lazy, CF, PF, AF, ZF, SF, OF } from '../flags';

const word = (c: Code, at: number) => c.i32(0).load32(at);

/** CF of the lazy record (its kind in local `op`), on the stack, as flags.ts getCF. */
function recordCF(c: Code, op: number): void {
  const a = () => word(c, LAZY_A), b = () => word(c, LAZY_B), r = () => word(c, LAZY_RES);
  const carryIn = () => word(c, LAZY_CARRY);
  c.get(op).i32(Lazy.ADD).op(OP.eq).if(true); r(); a(); c.op(OP.ltU);
  c.else().get(op).i32(Lazy.ADC).op(OP.eq).if(true);
  carryIn(); c.if(true); r(); a(); c.op(OP.leU).else(); r(); a(); c.op(OP.ltU).end();
  c.else().get(op).i32(Lazy.SUB).op(OP.eq).if(true); a(); b(); c.op(OP.ltU);
  c.else().get(op).i32(Lazy.SBB).op(OP.eq).if(true);
  carryIn(); c.if(true); a(); b(); c.op(OP.leU).else(); a(); b(); c.op(OP.ltU).end();
  c.else().i32(0);
  c.end().end().end().end();
}

/**
 * Into local `f` the whole EFLAGS (flags.ts getFlags): the concrete bits, with those the record's mask names
 * worked out from the record. Uses locals `op`, `s` and `m`.
 */
function flagsInto(c: Code, f: number, op: number, s: number, m: number): void {
  const a = () => word(c, LAZY_A), b = () => word(c, LAZY_B), r = () => word(c, LAZY_RES);
  word(c, FLAGS_RAW).set(f);
  word(c, LAZY_MASK).set(m);
  c.get(m).if();
  word(c, LAZY_OP).set(op);
  // The sign bit of the record's size (4, 2 or 1 bytes).
  word(c, LAZY_SIZE).i32(4).op(OP.eq).if(true).i32(0x80000000 | 0).else();
  word(c, LAZY_SIZE).i32(2).op(OP.eq).if(true).i32(0x8000).else().i32(0x80).end();
  c.end().set(s);
  recordCF(c, op);
  r(); c.i32(0xff).op(OP.and).op(OP.popcnt).i32(1).op(OP.and).op(OP.eqz).i32(2).op(OP.shl).op(OP.or);
  // AF: the carry out of bit 3, none for a logical operation.
  c.get(op).i32(Lazy.LOGIC).op(OP.ne).if(true); a(); b(); c.op(OP.xor); r(); c.op(OP.xor).i32(AF).op(OP.and); c.else().i32(0).end();
  c.op(OP.or);
  r(); c.op(OP.eqz).i32(6).op(OP.shl).op(OP.or);
  r(); c.get(s).op(OP.and).i32(0).op(OP.ne).i32(7).op(OP.shl).op(OP.or);
  // OF: ADD and ADC, SUB and SBB; LOGIC clears it.
  c.get(op).i32(Lazy.SUB).op(OP.ltU).if(true);
  a(); r(); c.op(OP.xor); b(); r(); c.op(OP.xor).op(OP.and);
  c.else().get(op).i32(Lazy.LOGIC).op(OP.ltU).if(true);
  a(); b(); c.op(OP.xor); a(); r(); c.op(OP.xor).op(OP.and);
  c.else().i32(0).end().end();
  c.get(s).op(OP.and).i32(0).op(OP.ne).i32(11).op(OP.shl).op(OP.or);
  // Only the flags the mask names come from the record.
  c.get(m).op(OP.and);
  c.get(f).get(m).i32(-1).op(OP.xor).op(OP.and).op(OP.or).set(f);
  c.end();
}

/** eflags(): EFLAGS whole, as flags.ts getFlags; nothing changes. */
function eflagsBody(): LibraryFn {
  const F = 0, OPL = 1, S = 2, M = 3;
  const c = new Code();
  flagsInto(c, F, OPL, S, M);
  c.get(F);
  return { name: 'eflags', params: 0, locals: 4, body: c };
}

/** cond(cc): condition cc (flags.ts condition's order) of the flags, 1 or 0. */
function condBody(): LibraryFn {
  const CC = 0, F = 1, OPL = 2, S = 3, M = 4, R = 5;
  const c = new Code();
  const bit = (mask: number) => c.get(F).i32(mask).op(OP.and).i32(0).op(OP.ne);
  const sfNotOf = () => { c.get(F).i32(7).op(OP.shrU).get(F).i32(11).op(OP.shrU).op(OP.xor).i32(1).op(OP.and); };
  flagsInto(c, F, OPL, S, M);
  // By cc >> 1: O, B, Z, BE, S, P, L, LE.
  const cases: (() => void)[] = [
    () => bit(OF), () => bit(CF), () => bit(ZF), () => bit(CF | ZF), () => bit(SF), () => bit(PF),
    sfNotOf, () => { bit(ZF); sfNotOf(); c.op(OP.or); },
  ];
  c.get(CC).i32(1).op(OP.shrU).set(R);
  cases.forEach((value, k) => {
    if (k < cases.length - 1) { c.get(R).i32(k).op(OP.eq).if(true); value(); c.else(); } else value();
  });
  for (let k = 0; k < cases.length - 1; k++) c.end();
  c.get(CC).i32(1).op(OP.and).op(OP.xor);
  return { name: 'cond', params: 1, locals: 5, body: c };
}

/** getCF(): CF as the flags are now, 1 or 0. */
function getCFBody(): LibraryFn {
  const OPL = 0;
  const c = new Code();
  word(c, LAZY_MASK).i32(CF).op(OP.and).if(true);
  word(c, LAZY_OP).set(OPL);
  recordCF(c, OPL);
  c.else();
  word(c, FLAGS_RAW).i32(CF).op(OP.and);
  c.end();
  return { name: 'getCF', params: 0, locals: 1, body: c };
}

export function lazyFlagsBytes(pages: number): Uint8Array {
  return libraryModule(pages, [], [eflagsBody(), condBody(), getCFBody()]);
}
