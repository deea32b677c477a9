/**
 * Conditions and CF worked out in WebAssembly from the flags a compiled block left in the cells.
 *
 * A block that does not know the flags (it starts with a Jcc, SETcc, ADC... after the block that set them)
 * asks through `cond` and `getCF`. The block before usually left its flags in the cells, not yet in the CPU
 * (the dispatcher goes from block to block without copying them, tier.ts pull): a compiler's `cmp; je; ja`
 * puts the `ja` in a block of its own. Here those cells are read as flags.ts reads the CPU's lazy record,
 * for every record a block writes (ADD, ADC, SUB, SBB, LOGIC with all six flags, or a shift's concrete ones);
 * anything else (the flags in the CPU, an INC's record that kept CF) is the CPU's, through tier.ts.
 */
import { Code, OP, libraryModule, type ImportFn, type LibraryFn } from './emit';
import { CELL, CELL_AT } from './cells';
import { Lazy, CF, PF, ZF, SF, OF, ARITH } from '../flags';

/** The CPU's own (tier.ts), for what the cells do not hold. */
export const FLAGS_IMPORTS: ImportFn[] = [
  { name: 'cond', params: 1, result: true },
  { name: 'getCF', params: 0, result: true },
];
const CPU_COND = 0, CPU_GET_CF = 1;

const cell = (c: Code, k: number) => c.i32(0).load32(CELL_AT(k));

/** CF of the cells' lazy record (op in local `op`, at most LOGIC), on the stack, as flags.ts getCF. */
function recordCF(c: Code, op: number): void {
  const a = () => cell(c, CELL.LAZY_A), b = () => cell(c, CELL.LAZY_B), r = () => cell(c, CELL.LAZY_RES);
  const carryIn = () => cell(c, CELL.LAZY_CARRY);
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
 * Into local `f` the arithmetic flags the cells hold, if they hold them all: a full lazy record of a known
 * op, or a shift's concrete flags; else a branch out of the enclosing block (depth 0). Uses `op`, `s`.
 */
function cellFlags(c: Code, f: number, op: number, s: number): void {
  const a = () => cell(c, CELL.LAZY_A), b = () => cell(c, CELL.LAZY_B), r = () => cell(c, CELL.LAZY_RES);
  cell(c, CELL.LAZY_MASK).i32(ARITH).op(OP.eq).if();
  {
    cell(c, CELL.LAZY_OP).set(op);
    c.get(op).i32(Lazy.LOGIC).op(OP.gtU).brIf(1);
    // The sign bit of the record's size (4, 2 or 1 bytes).
    cell(c, CELL.LAZY_SIZE).i32(4).op(OP.eq).if(true).i32(0x80000000 | 0).else();
    cell(c, CELL.LAZY_SIZE).i32(2).op(OP.eq).if(true).i32(0x8000).else().i32(0x80).end();
    c.end().set(s);
    recordCF(c, op);
    r(); c.i32(0xff).op(OP.and).op(OP.popcnt).i32(1).op(OP.and).op(OP.eqz).i32(2).op(OP.shl).op(OP.or);
    r(); c.op(OP.eqz).i32(6).op(OP.shl).op(OP.or);
    r(); c.get(s).op(OP.and).i32(0).op(OP.ne).i32(7).op(OP.shl).op(OP.or);
    // OF: ADD and ADC, SUB and SBB; LOGIC clears it.
    c.get(op).i32(Lazy.SUB).op(OP.ltU).if(true);
    a(); r(); c.op(OP.xor); b(); r(); c.op(OP.xor).op(OP.and);
    c.else().get(op).i32(Lazy.LOGIC).op(OP.ltU).if(true);
    a(); b(); c.op(OP.xor); a(); r(); c.op(OP.xor).op(OP.and);
    c.else().i32(0).end().end();
    c.get(s).op(OP.and).i32(0).op(OP.ne).i32(11).op(OP.shl).op(OP.or);
    c.set(f);
  }
  c.else();
  {
    // A shift's concrete flags (LAZY_MASK 0; an INC or DEC after it would have left a record of its own).
    cell(c, CELL.LAZY_MASK).brIf(1);
    cell(c, CELL.ARITH).i32(-1).op(OP.eq).brIf(1);
    cell(c, CELL.ARITH).set(f);
  }
  c.end();
}

/** cond(cc): condition cc (flags.ts condition's order) of the flags, 1 or 0. */
function condBody(): LibraryFn {
  const CC = 0, F = 1, OPL = 2, S = 3, R = 4;
  const c = new Code();
  const bit = (mask: number) => c.get(F).i32(mask).op(OP.and).i32(0).op(OP.ne);
  const sfNotOf = () => { c.get(F).i32(7).op(OP.shrU).get(F).i32(11).op(OP.shrU).op(OP.xor).i32(1).op(OP.and); };
  c.block();
  cellFlags(c, F, OPL, S);
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
  c.get(CC).i32(1).op(OP.and).op(OP.xor).return();
  c.end();
  c.get(CC).call(CPU_COND);
  return { name: 'cond', params: 1, locals: 4, body: c };
}

/** getCF(): CF as the flags are now, 1 or 0. */
function getCFBody(): LibraryFn {
  const OPL = 0;
  const c = new Code();
  c.block();
  cell(c, CELL.LAZY_MASK).set(OPL);
  c.get(OPL).i32(-1).op(OP.ne).get(OPL).i32(CF).op(OP.and).op(OP.and).if();
  cell(c, CELL.LAZY_OP).set(OPL);
  c.get(OPL).i32(Lazy.LOGIC).op(OP.gtU).brIf(1);
  recordCF(c, OPL);
  c.return();
  c.end();
  // Else CF is the one an INC or DEC kept, or a shift's.
  cell(c, CELL.CARRY).i32(-1).op(OP.ne).if(); cell(c, CELL.CARRY).return(); c.end();
  cell(c, CELL.ARITH).i32(-1).op(OP.ne).if(); cell(c, CELL.ARITH).i32(CF).op(OP.and).return(); c.end();
  c.end();
  c.call(CPU_GET_CF);
  return { name: 'getCF', params: 0, locals: 1, body: c };
}

export function lazyFlagsBytes(pages: number): Uint8Array {
  return libraryModule(pages, FLAGS_IMPORTS, [condBody(), getCFBody()]);
}
