/**
 * What every x87 operation does first with its operands (SDM Vol. 1 §4.9.2,
 * exception priority): an unsupported encoding is an invalid operation, a
 * NaN gives the NaN result of Table 4-7, and a denormal operand sets DE.
 * arith.ts, remainder.ts and transcendental.ts all start here.
 */
import {
  type F80, type Result, IE, DE, INDEFINITE, isDenormalOperand, isNaN80, isSNaN, isUnsupported, quiet,
} from './float80';

/** The masked response to an invalid operation: the real indefinite. */
export const invalid: Result = { value: INDEFINITE, flags: IE };

/**
 * The NaN result of SDM Vol. 1 Table 4-7 (x87 column), with IE when an
 * operand is an SNaN. With one NaN, it is that NaN, quieted. With two, a QNaN
 * wins over an SNaN; two of a kind give the one with the larger significand,
 * quieted. Table 4-7 says nothing of equal significands: then the positive
 * one is taken (QEMU's x87 rule; the two differ in sign only).
 * `b` is absent for one-operand instructions.
 */
export function propagateNaN(a: F80, b?: F80): Result {
  const aNaN = isNaN80(a), bNaN = b !== undefined && isNaN80(b);
  const flags = isSNaN(a) || (b !== undefined && isSNaN(b)) ? IE : 0;
  let pick: F80;
  if (!bNaN) pick = a;
  else if (!aNaN) pick = b!;
  else if (isSNaN(a) !== isSNaN(b!)) pick = isSNaN(a) ? b! : a;
  else if (a.sig !== b!.sig) pick = a.sig > b!.sig ? a : b!;
  else pick = a.sign <= b!.sign ? a : b!;
  return { value: quiet(pick), flags };
}

/** The first screens of §4.9.2: unsupported encodings, then NaNs. Null when neither. */
export function screen(a: F80, b?: F80): Result | null {
  if (isUnsupported(a) || (b !== undefined && isUnsupported(b))) return invalid;
  if (isNaN80(a) || (b !== undefined && isNaN80(b))) return propagateNaN(a, b);
  return null;
}

/** DE when an operand is a denormal (the P6 then uses it as it is, §8.5.2). */
export function denormalFlag(a: F80, b?: F80): number {
  return isDenormalOperand(a) || (b !== undefined && isDenormalOperand(b)) ? DE : 0;
}
