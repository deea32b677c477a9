/**
 * The x87's one- and two-operand functions on the stack: FSQRT FRNDINT
 * FSCALE FXTRACT FPREM FPREM1 and the transcendentals FSIN FCOS FSINCOS
 * FPTAN FPATAN F2XM1 FYL2X FYL2XP1 (SDM Vol. 2, each page). The values are
 * computed in fpu/ (arith, remainder, transcendental); here are the stack
 * checks, C2 for an argument out of range, and where the results go.
 */
import type { FpuState } from '../fpu/state';
import { SW_C0, SW_C1, SW_C2, SW_C3 } from '../fpu/state';
import { type F80, type Result, INDEFINITE } from '../fpu/float80';
import { sqrt, roundInt } from '../fpu/arith';
import { fprem, fprem1, fscale, fxtract, type RemainderResult } from '../fpu/remainder';
import { fsin, fcos, fsincos, fptan, fpatan, f2xm1, fyl2x, fyl2xp1 } from '../fpu/transcendental';
import { regForm, mayWrite, registerResult } from './x87';

/** ST(0) := fn(ST(0)). */
function unary(f: FpuState, fn: (x: F80) => Result): void {
  if (f.checkSources([0], 0) !== 'ok') return;
  const r = registerResult(f, fn(f.st(0)));
  if (mayWrite(f, r.flags)) f.setSt(0, r.value);
}

/** ST(1) := fn(ST(0), ST(1)), then pop (FPATAN, FYL2X, FYL2XP1). */
function intoSt1(f: FpuState, fn: (st0: F80, st1: F80) => Result): void {
  const check = f.checkSources([0, 1], 1);
  if (check !== 'ok') {
    if (check === 'masked') f.pop();
    return;
  }
  const r = registerResult(f, fn(f.st(0), f.st(1)));
  if (!mayWrite(f, r.flags)) return;
  f.setSt(1, r.value);
  f.pop();
}

function setC2(f: FpuState, on: boolean): void {
  f.conditionCodes = (f.conditionCodes & ~SW_C2) | (on ? SW_C2 : 0);
}

/**
 * Two results, the second pushed (FXTRACT, FPTAN, FSINCOS). A full stack is
 * an overflow found first: with IM masked the indefinite is pushed over the
 * operand, which stays below it (as Bochs gives the masked response). An
 * empty ST(0) gets the indefinite in both.
 */
function roomForTwo(f: FpuState): boolean {
  const check = f.checkSources([0], 0);
  if (check !== 'ok') {
    if (check === 'masked') f.push(INDEFINITE);
    return false;
  }
  if (!f.canPush()) {
    f.push(INDEFINITE);
    return false;
  }
  return true;
}

const D9 = 0xd9;
regForm(D9, 7, (_c, _i, f) => unary(f, (x) => sqrt(x, f.pc, f.rc)), 2);
regForm(D9, 7, (_c, _i, f) => unary(f, (x) => roundInt(x, f.rc)), 4);
regForm(D9, 6, (_c, _i, f) => unary(f, (x) => f2xm1(x, f.rc)), 0);
regForm(D9, 6, (_c, _i, f) => intoSt1(f, (a, b) => fyl2x(a, b, f.rc)), 1);
regForm(D9, 7, (_c, _i, f) => intoSt1(f, (a, b) => fyl2xp1(a, b, f.rc)), 1);
regForm(D9, 6, (_c, _i, f) => intoSt1(f, (a, b) => fpatan(a, b, f.rc)), 3);

/** D9 FD FSCALE: ST(0) := ST(0) * 2^trunc(ST(1)), no pop. */
regForm(D9, 7, (_c, _i, f) => {
  if (f.checkSources([0, 1], 0) !== 'ok') return;
  const r = registerResult(f, fscale(f.st(0), f.st(1), f.rc));
  if (mayWrite(f, r.flags)) f.setSt(0, r.value);
}, 5);

/**
 * D9 F8 FPREM, D9 F5 FPREM1: ST(0) := the partial remainder by ST(1). When
 * it is complete (C2 = 0) C0 C3 C1 are the quotient's bits 2, 1, 0; when
 * partial, C2 = 1 and the others 0 (as QEMU and Bochs leave the bits the SDM
 * calls undefined then).
 */
function remainder(f: FpuState, fn: (a: F80, b: F80) => RemainderResult): void {
  if (f.checkSources([0, 1], 0) !== 'ok') return;
  const r = fn(f.st(0), f.st(1));
  if (!mayWrite(f, r.flags)) return;
  f.setSt(0, r.value);
  f.conditionCodes = (r.c0 ? SW_C0 : 0) | (r.c1 ? SW_C1 : 0) | (r.c2 ? SW_C2 : 0) | (r.c3 ? SW_C3 : 0);
}
regForm(D9, 7, (_c, _i, f) => remainder(f, fprem), 0);
regForm(D9, 6, (_c, _i, f) => remainder(f, fprem1), 5);

/** D9 F4 FXTRACT: ST(0) := the exponent, then push the significand. */
regForm(D9, 6, (_c, _i, f) => {
  if (!roomForTwo(f)) return;
  const r = fxtract(f.st(0));
  if (!mayWrite(f, r.flags)) return;
  f.setSt(0, r.exponent);
  f.push(r.significand);
}, 4);

/** D9 FE FSIN, D9 FF FCOS: C2 = 1 and the operand left as it is for |x| >= 2^63. */
for (const [rm, fn] of [[6, fsin], [7, fcos]] as const) {
  regForm(D9, 7, (_c, _i, f) => {
    if (f.checkSources([0], 0) !== 'ok') return;
    const r = fn(f.st(0), f.rc);
    if (r.c2) { setC2(f, true); return; }
    if (!mayWrite(f, r.flags)) return;
    f.setSt(0, r.value);
    setC2(f, false);
  }, rm);
}

/**
 * FPTAN and FSINCOS: ST(0) := the first result, then push the second; for
 * an operand out of range (C2 = 1) nothing changes.
 */
function trigPair(f: FpuState, compute: (x: F80) => { c2: 0 | 1; flags: number; first: F80; second: F80 | null }): void {
  if (!roomForTwo(f)) return;
  const r = compute(f.st(0));
  if (r.c2) { setC2(f, true); return; }
  if (!mayWrite(f, r.flags)) return;
  f.setSt(0, r.first);
  f.push(r.second!);
  setC2(f, false);
}

// D9 F2 FPTAN: ST(0) := tan, then push 1.0. D9 FB FSINCOS: ST(0) := sin, then push cos.
regForm(D9, 6, (_c, _i, f) => trigPair(f, (x) => { const r = fptan(x, f.rc); return { ...r, first: r.value, second: r.pushed }; }), 2);
regForm(D9, 7, (_c, _i, f) => trigPair(f, (x) => { const r = fsincos(x, f.rc); return { ...r, first: r.sin, second: r.cos }; }), 3);
