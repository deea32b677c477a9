/**
 * The x87's 80-bit values as the debugger prints and reads them: the exact
 * binary value in decimal, the raw bits in hex, the classes that have no
 * number; and decimal text (or raw bits) parsed back into the register format,
 * correctly rounded. Everything is computed with BigInt rationals from the
 * value's bits: a JavaScript double has 53 bits and would lose 11 of the
 * significand's 64, and its exponent range would lose most of the format's.
 */
import {
  type F80, classify, exactOf, bitLength, isIndefinite, makeF80, zero, infinity, INDEFINITE,
  EXP_BIAS, EXP_MAX, DENORMAL_ULP_EXP, J_BIT,
} from '../vm/cpu/fpu/float80';

/**
 * Significant digits printed: 21 is enough to tell any two 80-bit values
 * apart (64 bits need ceil(64 log10 2) + 1 = 21), as C's `%.21Lg`.
 */
export const DECIMAL_DIGITS = 21;

/** The ten bytes as one 80-bit hex number, sign and exponent first: 0x4000c90fdaa22168c235. */
export function f80Hex(x: F80): string {
  return '0x' + ((x.sign << 15) | x.exp).toString(16).padStart(4, '0') + x.sig.toString(16).padStart(16, '0');
}

const pow10 = (n: number) => 10n ** BigInt(n);
const LOG10_2 = Math.log10(2);

/**
 * sig * 2^e (> 0) rounded to `digits` significant decimal digits, half to
 * even, from the exact value: the digits and the decimal exponent of the
 * first (value ~ 0.d1d2... * 10^(exp10 + 1)).
 */
export function decimalDigits(sig: bigint, e: number, digits: number): { digits: string; exp10: number } {
  // floor(log10 v) from floor(log2 v): an estimate off by at most one, corrected below by exact comparisons.
  let k = Math.floor((e + bitLength(sig) - 1) * LOG10_2);
  const lo = pow10(digits - 1), hi = pow10(digits);
  for (;;) {
    // v * 10^(digits - 1 - k) as num / den, which must have `digits` digits before the point.
    const shift = digits - 1 - k;
    let num = sig, den = 1n;
    if (e >= 0) num <<= BigInt(e); else den <<= BigInt(-e);
    if (shift >= 0) num *= pow10(shift); else den *= pow10(-shift);
    const q = num / den;
    if (q >= hi) { k++; continue; }
    if (q < lo) { k--; continue; }
    const r2 = 2n * (num - q * den);
    let n = q;
    if (r2 > den || (r2 === den && (q & 1n) === 1n)) n++;
    if (n === hi) { n = lo; k++; }
    return { digits: n.toString(), exp10: k };
  }
}

/**
 * Digits in C's `%g` layout for precision `p`: trailing zeros dropped, fixed
 * notation for exponents from -4 to p - 1, scientific (`e+NN`) otherwise.
 */
function gLayout(digits: string, k: number, p: number): string {
  const t = digits.replace(/0+$/, '') || '0';
  if (k < -4 || k >= p) {
    const mantissa = t.length > 1 ? `${t[0]}.${t.slice(1)}` : t;
    return `${mantissa}e${k < 0 ? '-' : '+'}${String(Math.abs(k)).padStart(2, '0')}`;
  }
  if (k < 0) return `0.${'0'.repeat(-k - 1)}${t}`;
  const whole = t.length > k + 1 ? t.slice(0, k + 1) : t.padEnd(k + 1, '0');
  const fraction = t.slice(k + 1);
  return fraction ? `${whole}.${fraction}` : whole;
}

/** A finite value's magnitude (zero, denormal, pseudo-denormal, normal) in decimal, `%.21Lg`-style. */
export function finiteDecimal(x: F80, digits = DECIMAL_DIGITS): string {
  const { sig, e } = exactOf(x);
  if (sig === 0n) return '0';
  const d = decimalDigits(sig, e, digits);
  return gLayout(d.digits, d.exp10, digits);
}

/**
 * A register's value in words: its number in decimal for zeros, normals,
 * denormals and pseudo-denormals (the last two say so); `+inf`, `-inf`;
 * `qnan`, `snan` with their sign (`-qnan (indefinite)` for the real
 * indefinite); `unsupported (...)` for the encodings the 387 and later reject
 * as operands (unnormals, pseudo-infinities, pseudo-NaNs).
 */
export function f80Text(x: F80): string {
  const s = x.sign ? '-' : '';
  switch (classify(x)) {
    case 'zero': return `${s}0`;
    case 'normal': return s + finiteDecimal(x);
    case 'denormal': return `${s}${finiteDecimal(x)} (denormal)`;
    case 'pseudoDenormal': return `${s}${finiteDecimal(x)} (pseudo-denormal)`;
    case 'infinity': return x.sign ? '-inf' : '+inf';
    case 'qnan': return isIndefinite(x) ? '-qnan (indefinite)' : `${s}qnan`;
    case 'snan': return `${s}snan`;
    case 'unnormal': return `unsupported (${s}unnormal)`;
    case 'pseudoInfinity': return `unsupported (${s}pseudo-infinity)`;
    case 'pseudoNaN': return `unsupported (${s}pseudo-nan)`;
  }
}

// ---- Reading values ----------------------------------------------------------------

/** The default quiet NaN (+, the quiet bit alone) and signaling NaN (+, the bit below it alone). */
export const POS_QNAN = makeF80(0, EXP_MAX, 0xc000000000000000n);
export const POS_SNAN = makeF80(0, EXP_MAX, 0xa000000000000000n);

/** What parseF80 takes, for error messages. */
export const F80_SYNTAX = 'a decimal number (1.5, -2e-3), inf, -inf, nan, -nan (the indefinite), snan, '
  + 'or the 80 bits as 0x and 20 hex digits';

/** Beyond these decimal magnitudes (digits + exponent) a value is surely infinite, or surely rounds to zero. */
const DECIMAL_OVERFLOW = 4940, DECIMAL_UNDERFLOW = -4960;

/**
 * Text to an 80-bit value: a decimal number (`1.5`, `-2e-3`, `.5`, `1e4932`),
 * correctly rounded to the register format (64-bit significand, round to
 * nearest even, gradual underflow into denormals, overflow to infinity);
 * `inf`/`infinity`, `nan`/`qnan` (`+`: 0x7fffc000000000000000; `-`: the real
 * indefinite), `snan`, each with an optional sign; or `0x` and exactly 20
 * hex digits, the raw bits as f80Hex prints them (any encoding, unsupported
 * ones too).
 */
export function parseF80(text: string): { value: F80 } | { error: string } {
  const t = text.trim().toLowerCase();
  const raw = /^0x([0-9a-f]*)$/.exec(t);
  if (raw) {
    if (raw[1].length !== 20) {
      return { error: `'${text.trim()}' has ${raw[1].length} hex digits; the 80 bits are 0x and 20 hex digits` };
    }
    const bits = BigInt(t);
    return { value: makeF80(Number(bits >> 79n), Number((bits >> 64n) & 0x7fffn), bits & ((1n << 64n) - 1n)) };
  }
  const special = /^([+-]?)(inf|infinity|nan|qnan|snan)$/.exec(t);
  if (special) {
    const sign = special[1] === '-' ? 1 : 0;
    switch (special[2]) {
      case 'inf': case 'infinity': return { value: infinity(sign) };
      case 'snan': return { value: makeF80(sign, POS_SNAN.exp, POS_SNAN.sig) };
      default: return { value: sign ? INDEFINITE : POS_QNAN };
    }
  }
  const m = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:e([+-]?\d+))?$/.exec(t);
  if (!m) return { error: `'${text.trim()}' is not a value: give ${F80_SYNTAX}` };
  const sign = m[1] === '-' ? 1 : 0;
  const whole = m[2] ?? '', fraction = m[3] ?? m[4] ?? '';
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return { value: zero(sign) };
  // An exponent too long for a number is far out of range either way; its sign says which way.
  const expText = m[5] ?? '0';
  const exp10 = /^[+-]?0*\d{1,9}$/.test(expText) ? Number(expText) : expText.startsWith('-') ? -1e9 : 1e9;
  const e = exp10 - fraction.length;
  const magnitude = digits.length + e; // 10^(magnitude - 1) <= |value| < 10^magnitude
  if (magnitude > DECIMAL_OVERFLOW) return { value: infinity(sign) };
  if (magnitude < DECIMAL_UNDERFLOW) return { value: zero(sign) };
  const n = BigInt(digits);
  return { value: e >= 0 ? roundRational(sign, n * pow10(e), 1n) : roundRational(sign, n, pow10(-e)) };
}

/**
 * p / q (> 0) rounded to the register format, to nearest even: a normal when
 * its exponent fits, else a denormal (or zero) on the 2^-16445 grid, and
 * infinity past the largest normal.
 */
export function roundRational(sign: number, p: bigint, q: bigint): F80 {
  // l = floor(log2(p / q)).
  let l = bitLength(p) - bitLength(q);
  if (l >= 0 ? p < q << BigInt(l) : p << BigInt(-l) < q) l--;
  const biased = l + EXP_BIAS;
  // The scale that puts the last kept bit at the units: 64 bits for a normal, the denormals' fixed grid otherwise.
  const s = biased >= 1 ? 63 - l : -DENORMAL_ULP_EXP;
  const num = s >= 0 ? p << BigInt(s) : p, den = s >= 0 ? q : q << BigInt(-s);
  let n = num / den;
  const r2 = 2n * (num - n * den);
  if (r2 > den || (r2 === den && (n & 1n) === 1n)) n++;
  if (biased >= 1) {
    let exp = biased;
    if (n === 1n << 64n) { n = J_BIT; exp++; }
    return exp >= EXP_MAX ? infinity(sign) : makeF80(sign, exp, n);
  }
  // A denormal that rounds up to 2^63 units is the smallest normal.
  return n >= J_BIT ? makeF80(sign, 1, n) : makeF80(sign, 0, n);
}

/**
 * A value as a 32-bit integer for the debugger's integer expressions:
 * truncated toward zero, as two's complement (so -2.5 gives 0xfffffffe, as
 * `-2` does). Values outside -2^31 .. 2^32 - 1, infinities, NaNs and the
 * unsupported encodings give an error.
 */
export function f80ToUint32(x: F80): { value: number } | { error: string } {
  const c = classify(x);
  if (c !== 'zero' && c !== 'normal' && c !== 'denormal' && c !== 'pseudoDenormal') {
    return { error: `${f80Text(x)} is not a number` };
  }
  const { sig, e } = exactOf(x);
  const out = () => ({ error: `${f80Text(x)} does not fit in 32 bits` });
  if (e > 32) return out();
  let magnitude = e >= 0 ? sig << BigInt(e) : sig >> BigInt(-e);
  if (x.sign) magnitude = -magnitude;
  if (magnitude < -(1n << 31n) || magnitude > 0xffffffffn) return out();
  return { value: Number(BigInt.asUintN(32, magnitude)) };
}
