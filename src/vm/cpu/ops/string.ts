/**
 * String instructions: MOVS STOS LODS SCAS CMPS INS OUTS, with REP, REPE and
 * REPNE. Each iteration is one instruction on the machine's clock, and a
 * single step executes one iteration (as QEMU and Bochs step them). One
 * execution runs iterations until the run loop's instruction limit; a fault in the
 * middle leaves ECX, ESI and EDI describing the iterations done, and EIP on
 * the instruction, so it resumes where it stopped.
 */
import type { Cpu } from '../state';
import { ES, DS, EAX, ECX, EDX, ESI, EDI } from '../state';
import { Op, type Instr } from '../instr';
import { def } from '../optable';
import { getZF, DF } from '../flags';
import { alu, Alu } from './alu';
import { getReg, setReg, rdMem, wrMem } from './operands';
import { checkIoPermission } from './io';
import { bulkStos, bulkMovs, NEVER } from './stringBulk';

/** Iterations of a REP string run at once (stringBulk.ts): how many, 0 for none now, NEVER for none at all. */
type Bulk = (c: Cpu, i: Instr, left: number, done: number) => number;

function srcSeg(i: Instr): number {
  return i.segPrefix >= 0 ? i.segPrefix : DS;
}
function index(c: Cpu, i: Instr, r: number): number {
  return i.a32 ? c.r32[r] : c.r16[r << 1];
}
function advance(c: Cpu, i: Instr, r: number): void {
  const d = (c.flagsRaw & DF) !== 0 ? -i.size : i.size;
  if (i.a32) c.r32[r] = c.r32[r] + d;
  else c.r16[r << 1] = c.r16[r << 1] + d;
}
function count(c: Cpu, i: Instr): number {
  return i.a32 ? c.r32[ECX] : c.r16[ECX << 1];
}
function setCount(c: Cpu, i: Instr, n: number): void {
  if (i.a32) c.r32[ECX] = n; else c.r16[ECX << 1] = n;
}

/**
 * Run `one` under the instruction's REP prefix. `cond` (for CMPS and SCAS)
 * says whether REPE/REPNE should go on after an iteration.
 */
function repeat(c: Cpu, i: Instr, one: (c: Cpu, i: Instr) => void, cond: boolean, bulkFn: Bulk | null = null): void {
  if (i.rep === 0) { one(c, i); return; }
  let n = count(c, i);
  if (n === 0) return;
  // The run loop counts the instruction once, for its first iteration; each further one is one
  // more on the clock, counted before it runs, so an iteration that faults has been counted (as
  // a single step counts it).
  let done = 0, bulk = bulkFn;
  for (;;) {
    if (bulk !== null) {
      // As many iterations as a page and the budget allow at once (they count themselves).
      const k = bulk(c, i, n, done);
      if (k === NEVER) bulk = null;
      else if (k > 0) {
        n = (n - k) | 0;
        done += k;
        if (n === 0) return;
        continue;
      }
    }
    if (done > 0) {
      if (c.instructions >= c.instructionLimit || c.exitBlock) {
        c.eipNext = c.eip; // more to do: execute this instruction again
        c.repLeftOffAt = c.instructions;
        return;
      }
      c.instructions++;
    }
    one(c, i);
    n = (n - 1) | 0;
    setCount(c, i, n);
    done++;
    if (n === 0) return;
    if (cond && (getZF(c) !== 0) !== (i.rep === 0xf3)) return;
  }
}

function movsOne(c: Cpu, i: Instr): void {
  wrMem(c, ES, index(c, i, EDI), i.size, rdMem(c, srcSeg(i), index(c, i, ESI), i.size));
  advance(c, i, ESI); advance(c, i, EDI);
}
function stosOne(c: Cpu, i: Instr): void {
  wrMem(c, ES, index(c, i, EDI), i.size, getReg(c, EAX, i.size));
  advance(c, i, EDI);
}
function lodsOne(c: Cpu, i: Instr): void {
  setReg(c, EAX, i.size, rdMem(c, srcSeg(i), index(c, i, ESI), i.size));
  advance(c, i, ESI);
}
function scasOne(c: Cpu, i: Instr): void {
  const v = rdMem(c, ES, index(c, i, EDI), i.size);
  alu(c, Alu.CMP, i.size, getReg(c, EAX, i.size), v);
  advance(c, i, EDI);
}
function cmpsOne(c: Cpu, i: Instr): void {
  const a = rdMem(c, srcSeg(i), index(c, i, ESI), i.size);
  const b = rdMem(c, ES, index(c, i, EDI), i.size);
  alu(c, Alu.CMP, i.size, a, b);
  advance(c, i, ESI); advance(c, i, EDI);
}
function insOne(c: Cpu, i: Instr): void {
  const port = c.r16[EDX << 1];
  checkIoPermission(c, port, i.size);
  // The destination is checked before the port is read, so a fault loses no input.
  c.probeWrite(ES, index(c, i, EDI), i.size);
  wrMem(c, ES, index(c, i, EDI), i.size, c.io.in(port, i.size as 1 | 2 | 4));
  if (c.dbIo !== 0) c.ioBreak(port, i.size);
  advance(c, i, EDI);
}
function outsOne(c: Cpu, i: Instr): void {
  const port = c.r16[EDX << 1];
  checkIoPermission(c, port, i.size);
  c.io.out(port, i.size as 1 | 2 | 4, rdMem(c, srcSeg(i), index(c, i, ESI), i.size));
  if (c.dbIo !== 0) c.ioBreak(port, i.size);
  advance(c, i, ESI);
}

const S = Op.STRING;
def('A4', 'movs Yb,Xb', (c, i) => repeat(c, i, movsOne, false, bulkMovs), undefined, S);
def('A5', 'movs Yv,Xv', (c, i) => repeat(c, i, movsOne, false, bulkMovs), undefined, S);
def('AA', 'stos Yb,AL', (c, i) => repeat(c, i, stosOne, false, bulkStos), undefined, S);
def('AB', 'stos Yv,eAX', (c, i) => repeat(c, i, stosOne, false, bulkStos), undefined, S);
def('AC', 'lods AL,Xb', (c, i) => repeat(c, i, lodsOne, false), undefined, S);
def('AD', 'lods eAX,Xv', (c, i) => repeat(c, i, lodsOne, false), undefined, S);
def('AE', 'scas AL,Yb', (c, i) => repeat(c, i, scasOne, true), undefined, S);
def('AF', 'scas eAX,Yv', (c, i) => repeat(c, i, scasOne, true), undefined, S);
def('A6', 'cmps Xb,Yb', (c, i) => repeat(c, i, cmpsOne, true), undefined, S);
def('A7', 'cmps Xv,Yv', (c, i) => repeat(c, i, cmpsOne, true), undefined, S);
/** INS and OUTS check the I/O permission first, even when a REP count of zero then does nothing. */
function portString(one: (c: Cpu, i: Instr) => void): (c: Cpu, i: Instr) => void {
  return (c, i) => {
    checkIoPermission(c, c.r16[EDX << 1], i.size);
    repeat(c, i, one, false);
  };
}
def('6C', 'ins Yb,DX', portString(insOne), undefined, S);
def('6D', 'ins Yv,DX', portString(insOne), undefined, S);
def('6E', 'outs DX,Xb', portString(outsOne), undefined, S);
def('6F', 'outs DX,Xv', portString(outsOne), undefined, S);
