/**
 * x87 data movement: FLD FST FSTP FILD FIST FISTP FBLD FBSTP in every memory
 * format, FLD/FST/FSTP ST(i), FXCH, FCMOVcc, the constants FLD1 FLDL2T FLDL2E
 * FLDPI FLDLG2 FLDLN2 FLDZ, and FCHS FABS FXAM (SDM Vol. 2, each page).
 *
 * A store checks its destination first: the x87's state changes only once
 * the write can no longer fault. Loads read memory before they push.
 */
import type { Cpu } from '../state';
import { type Instr, ea } from '../instr';
import type { FpuState } from '../fpu/state';
import { SW_C0, SW_C2, SW_C3 } from '../fpu/state';
import {
  type F80, type RC, INDEFINITE, J_BIT, EXP_BIAS, RC_NEAREST, RC_UP,
  classify, decodeF80, makeF80, negate,
} from '../fpu/float80';
import { fromF32, fromF64, toF32, toF64, fromInt, toInt, fromBCD, toBCD, BCD_INDEFINITE } from '../fpu/convert';
import { condition } from '../flags';
import { memForm, regForm, mayWrite, mayStore } from './x87';
import { read32, read64, readInt, readBytes, write32, write64, write80, writeInt, writeBytes } from './x87Memory';

// ---- Loads -----------------------------------------------------------------------------

/**
 * Pushes a loaded value. A full stack is the overflow of §8.5.1.1, found
 * before the value's own exceptions; C1 is 0 after a load that did not fault.
 */
function load(f: FpuState, v: { value: F80; flags: number }): void {
  if (!f.canPush()) {
    f.push(INDEFINITE);
    return;
  }
  if (!mayWrite(f, v.flags)) return;
  f.push(v.value);
  f.setC1(false);
}
const exact = (value: F80) => ({ value, flags: 0 });

memForm(0xd9, 0, (c, i, f) => load(f, fromF32(read32(c, i))));
memForm(0xdd, 0, (c, i, f) => load(f, fromF64(read64(c, i))));
memForm(0xdb, 5, (c, i, f) => load(f, exact(decodeF80(readBytes(c, i, 10)))));
memForm(0xdf, 0, (c, i, f) => load(f, exact(fromInt(readInt(c, i, 2)))));
memForm(0xdb, 0, (c, i, f) => load(f, exact(fromInt(readInt(c, i, 4)))));
memForm(0xdf, 5, (c, i, f) => load(f, exact(fromInt(readInt(c, i, 8)))));
memForm(0xdf, 4, (c, i, f) => load(f, exact(fromBCD(readBytes(c, i, 10)))));

// D9 C0+i FLD ST(i): the value is read before the push renumbers the stack.
regForm(0xd9, 0, (_c, i, f) => {
  if (f.isEmpty(i.rm)) {
    if (f.stackUnderflow() === 'masked') f.push(INDEFINITE);
    return;
  }
  load(f, exact(f.st(i.rm)));
});

/**
 * The constants (SDM Vol. 2 FLD1/FLDL2T/...): the P6 keeps them to 66 bits
 * and rounds them to 64 by RC (SDM Vol. 1 §8.3.8), raising nothing. Each is
 * its truncated 64-bit significand, whether the bits below make round-to-
 * nearest go up, and whether there are any (all five irrational ones have).
 */
interface Constant { exp: number; sig: bigint; nearestUp: boolean }
const CONSTANTS: readonly (Constant | null)[] = [
  { exp: EXP_BIAS, sig: J_BIT, nearestUp: false }, // 1
  { exp: EXP_BIAS + 1, sig: 0xd49a784bcd1b8afen, nearestUp: false }, // log2(10)
  { exp: EXP_BIAS, sig: 0xb8aa3b295c17f0bbn, nearestUp: true }, // log2(e)
  { exp: EXP_BIAS + 1, sig: 0xc90fdaa22168c234n, nearestUp: true }, // pi
  { exp: EXP_BIAS - 2, sig: 0x9a209a84fbcff798n, nearestUp: true }, // log10(2)
  { exp: EXP_BIAS - 1, sig: 0xb17217f7d1cf79abn, nearestUp: true }, // ln(2)
  null, // +0
];

export function constantValue(k: number, rc: RC): F80 {
  const c = CONSTANTS[k];
  if (c === null) return makeF80(0, 0, 0n);
  if (c.sig === J_BIT) return makeF80(0, c.exp, c.sig);
  const up = rc === RC_NEAREST ? c.nearestUp : rc === RC_UP;
  // None of the five significands is all ones: rounding up never carries out.
  return makeF80(0, c.exp, up ? c.sig + 1n : c.sig);
}
for (let k = 0; k < 7; k++) regForm(0xd9, 5, (_c, _i, f) => load(f, exact(constantValue(k, f.rc))), k);

// ---- Stores ----------------------------------------------------------------------------

/**
 * FST/FSTP/FIST/FISTP/FBSTP to memory: `convert` gives the bytes' value
 * and flags; an empty ST(0) stores `indefinite` with IM masked. An unmasked
 * invalid, overflow or underflow stores nothing and pops nothing.
 */
function store<T>(c: Cpu, i: Instr, f: FpuState, bytes: number, pop: boolean,
  convert: (x: F80, rc: RC) => { v: T; flags: number; tiny?: boolean }, indefinite: T, write: (v: T) => void): void {
  c.probeWrite(i.seg, ea(c, i), bytes);
  if (f.isEmpty(0)) {
    if (f.stackUnderflow() !== 'masked') return;
    write(indefinite);
  } else {
    const r = convert(f.st(0), f.rc);
    if (!mayStore(f, r.flags, r.tiny)) return;
    write(r.v);
  }
  if (pop) f.pop();
}

const F32_INDEFINITE = 0xffc00000, F64_INDEFINITE = 0xfff8000000000000n;
for (const pop of [false, true]) {
  const reg = pop ? 3 : 2;
  memForm(0xd9, reg, (c, i, f) => store(c, i, f, 4, pop, (x, rc) => { const r = toF32(x, rc); return { v: r.bits, flags: r.flags, tiny: r.tiny }; },
    F32_INDEFINITE, (v) => write32(c, i, v)));
  memForm(0xdd, reg, (c, i, f) => store(c, i, f, 8, pop, (x, rc) => { const r = toF64(x, rc); return { v: r.bits, flags: r.flags, tiny: r.tiny }; },
    F64_INDEFINITE, (v) => write64(c, i, v)));
  for (const [opcode, bytes] of [[0xdf, 2], [0xdb, 4]] as const) {
    memForm(opcode, reg, (c, i, f) => store(c, i, f, bytes, pop, (x, rc) => { const r = toInt(x, bytes === 2 ? 16 : 32, rc); return { v: r.value, flags: r.flags }; },
      -(1n << BigInt(bytes * 8 - 1)), (v) => writeInt(c, i, bytes, v)));
  }
}
memForm(0xdf, 7, (c, i, f) => store(c, i, f, 8, true, (x, rc) => { const r = toInt(x, 64, rc); return { v: r.value, flags: r.flags }; },
  -(1n << 63n), (v) => writeInt(c, i, 8, v)));
memForm(0xdf, 6, (c, i, f) => store(c, i, f, 10, true, (x, rc) => { const r = toBCD(x, rc); return { v: r.bytes, flags: r.flags }; },
  Uint8Array.from(BCD_INDEFINITE), (v) => writeBytes(c, i, v)));
// DB /7 FSTP m80fp: exact, no exceptions but the empty stack.
memForm(0xdb, 7, (c, i, f) => store(c, i, f, 10, true, (x) => ({ v: x, flags: 0 }), INDEFINITE, (v) => write80(c, i, v)));

/** DD D0+i FST ST(i), DD D8+i FSTP ST(i). */
function storeSt(f: FpuState, dest: number, pop: boolean): void {
  if (f.isEmpty(0)) {
    if (f.stackUnderflow() !== 'masked') return;
    f.setSt(dest, INDEFINITE);
  } else {
    f.setSt(dest, f.st(0));
    f.setC1(false);
  }
  if (pop) f.pop();
}
regForm(0xdd, 2, (_c, i, f) => storeSt(f, i.rm, false));
regForm(0xdd, 3, (_c, i, f) => storeSt(f, i.rm, true));

// ---- Exchanges and conditional moves ---------------------------------------------------

/** D9 C8+i FXCH ST(i): an empty one is an underflow, and with IM masked counts as the indefinite. */
regForm(0xd9, 1, (_c, i, f) => {
  if (f.isEmpty(0) || f.isEmpty(i.rm)) {
    if (f.stackUnderflow() !== 'masked') return;
    if (f.isEmpty(0)) f.setSt(0, INDEFINITE);
    if (f.isEmpty(i.rm)) f.setSt(i.rm, INDEFINITE);
  }
  const a = f.st(0), b = f.st(i.rm);
  f.setSt(0, b);
  f.setSt(i.rm, a);
  f.setC1(false);
});

/** FCMOVcc by the condition numbers of Jcc: B E BE U on DA, NB NE NBE NU on DB (SDM Vol. 2 FCMOVcc). */
const FCMOV_CC = [0x2, 0x4, 0x6, 0xa];
for (let reg = 0; reg < 4; reg++) {
  for (const [opcode, negated] of [[0xda, 0], [0xdb, 1]] as const) {
    const cc = FCMOV_CC[reg] | negated;
    regForm(opcode, reg, (c, i, f) => {
      if (f.isEmpty(0) || f.isEmpty(i.rm)) {
        if (f.stackUnderflow() === 'masked') f.setSt(0, INDEFINITE);
        return;
      }
      if (condition(c, cc)) f.setSt(0, f.st(i.rm));
    });
  }
}

// ---- Sign and class --------------------------------------------------------------------

/** D9 E0 FCHS and D9 E1 FABS: only the sign changes, whatever the value (no exception, not even for an SNaN). */
function signOp(f: FpuState, change: (x: F80) => F80): void {
  if (f.checkSources([0], 0) !== 'ok') return;
  f.setSt(0, change(f.st(0)));
  f.setC1(false);
}
regForm(0xd9, 4, (_c, _i, f) => signOp(f, negate), 0);
regForm(0xd9, 4, (_c, _i, f) => signOp(f, (x) => makeF80(0, x.exp, x.sig)), 1);

/**
 * D9 E5 FXAM (SDM Vol. 2 FXAM, Table 3-38): C1 is the sign, C3 C2 C0 the
 * class. An empty register is a class of its own, not a stack fault;
 * unsupported encodings are 000, pseudo-denormals report as denormals.
 */
const FXAM_CLASS: Record<ReturnType<typeof classify>, number> = {
  unnormal: 0, pseudoNaN: 0, pseudoInfinity: 0,
  qnan: SW_C0, snan: SW_C0,
  normal: SW_C2,
  infinity: SW_C2 | SW_C0,
  zero: SW_C3,
  denormal: SW_C3 | SW_C2, pseudoDenormal: SW_C3 | SW_C2,
};
regForm(0xd9, 4, (_c, _i, f) => {
  const x = f.st(0);
  f.conditionCodes = f.isEmpty(0) ? SW_C3 | SW_C0 : FXAM_CLASS[classify(x)];
  f.setC1(x.sign === 1);
}, 5);
