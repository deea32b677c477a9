/**
 * The x87 state's memory images, protected-mode formats only (SDM Vol. 1
 * §8.1.10, Figures 8-9 and 8-11; SDM Vol. 2 FSTENV/FNSTENV, FLDENV,
 * FSAVE/FNSAVE, FRSTOR). The operand size picks the format:
 *
 *   32-bit, 28 bytes (Figure 8-9), little-endian dwords:
 *     +0   FFFFH        | control word
 *     +4   FFFFH        | status word
 *     +8   FFFFH        | tag word
 *     +12  FIP (instruction pointer offset)
 *     +16  00000B | FOP (bits 26-16) | FCS (bits 15-0)
 *     +20  FDP (operand pointer offset)
 *     +24  FFFFH        | FDS
 *   16-bit, 14 bytes (Figure 8-11), words: control word, status word, tag
 *     word, FIP bits 15-0, FCS, FDP bits 15-0, FDS. No FOP.
 *
 * FSAVE/FRSTOR's image is the environment followed by ST(0)..ST(7), ten bytes
 * each as FSTP m80 stores them: 94 or 108 bytes. The figures mark the upper
 * halves of the control, status, tag and FDS dwords reserved; the P6 stores
 * 1s there (as Bochs does, and the Linux math emulator from the 486), and
 * loading ignores them. Bits 31-27 of the FCS/FOP dword are stored 0 (the
 * figure draws them 0).
 *
 * The functions here only make and take images. The instructions' other
 * effects are the caller's, after its memory access has succeeded: FSTENV's
 * masking of all exceptions (state.maskAll()) and FSAVE's FNINIT
 * (state.reset()); a faulting store must leave the state as it was.
 */
import { decodeF80, encodeF80 } from './float80';
import { type FpuState, tagOf, TAG_EMPTY } from './state';

export const ENV_BYTES_16 = 14, ENV_BYTES_32 = 28;
export const SAVE_BYTES_16 = ENV_BYTES_16 + 80, SAVE_BYTES_32 = ENV_BYTES_32 + 80;

export function envBytes(o32: boolean): number { return o32 ? ENV_BYTES_32 : ENV_BYTES_16; }
export function saveBytes(o32: boolean): number { return o32 ? SAVE_BYTES_32 : SAVE_BYTES_16; }

/** The environment's fields, as an image holds them. */
export interface FpuEnv {
  readonly fcw: number;
  readonly fsw: number;
  readonly ftw: number;
  readonly fip: number;
  readonly fcs: number;
  /** Absent in the 16-bit format. */
  readonly fop: number;
  readonly fdp: number;
  readonly fds: number;
}

/**
 * The tag word as FSTENV/FSAVE store it: "the FSTENV, FSAVE and FXSAVE
 * instructions examine the non-empty registers and put the correct values in
 * the tags before storing the tag word" (SDM Vol. 3, "Architecture
 * Compatibility", x87 FPU Tag Word). FpuState keeps its tags right at every
 * write, so this equals state.tagWord; it is computed afresh all the same.
 */
export function storedTagWord(state: FpuState): number {
  let tw = 0;
  for (let p = 0; p < 8; p++) {
    const t = state.physicalTag(p) === TAG_EMPTY ? TAG_EMPTY : tagOf(state.physical(p));
    tw |= t << (2 * p);
  }
  return tw;
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
}
function put32(b: Uint8Array, off: number, v: number): void {
  put16(b, off, v & 0xffff);
  put16(b, off + 2, v >>> 16);
}
function get16(b: Uint8Array, off: number): number { return b[off] | (b[off + 1] << 8); }
function get32(b: Uint8Array, off: number): number { return (get16(b, off) | (get16(b, off + 2) << 16)) >>> 0; }

function writeEnv(state: FpuState, out: Uint8Array, o32: boolean): void {
  const fcw = state.controlWord, fsw = state.statusWord, ftw = storedTagWord(state);
  if (o32) {
    put32(out, 0, 0xffff0000 | fcw);
    put32(out, 4, 0xffff0000 | fsw);
    put32(out, 8, 0xffff0000 | ftw);
    put32(out, 12, state.fip >>> 0);
    put32(out, 16, (state.fcs & 0xffff) | ((state.fop & 0x7ff) << 16));
    put32(out, 20, state.fdp >>> 0);
    put32(out, 24, 0xffff0000 | (state.fds & 0xffff));
  } else {
    put16(out, 0, fcw);
    put16(out, 2, fsw);
    put16(out, 4, ftw);
    put16(out, 6, state.fip & 0xffff);
    put16(out, 8, state.fcs & 0xffff);
    put16(out, 10, state.fdp & 0xffff);
    put16(out, 12, state.fds & 0xffff);
  }
}

/**
 * Reads an environment image. In the 16-bit format the pointers' offsets are
 * 16 bits, zero-extended, and there is no FOP: it reads as 0 (Bochs' choice;
 * the SDM says nothing).
 */
export function decodeEnv(bytes: Uint8Array, o32: boolean): FpuEnv {
  if (bytes.length < envBytes(o32)) throw new RangeError(`x87 environment image: ${bytes.length} bytes, ${envBytes(o32)} needed`);
  if (o32) {
    const csop = get32(bytes, 16);
    return {
      fcw: get16(bytes, 0), fsw: get16(bytes, 4), ftw: get16(bytes, 8),
      fip: get32(bytes, 12), fcs: csop & 0xffff, fop: (csop >>> 16) & 0x7ff,
      fdp: get32(bytes, 20), fds: get16(bytes, 24),
    };
  }
  return {
    fcw: get16(bytes, 0), fsw: get16(bytes, 2), ftw: get16(bytes, 4),
    fip: get16(bytes, 6), fcs: get16(bytes, 8), fop: 0,
    fdp: get16(bytes, 10), fds: get16(bytes, 12),
  };
}

/** The words, TOP first (from the status word), then the pointers; the tags are the caller's to load last. */
function applyEnv(state: FpuState, env: FpuEnv): void {
  state.controlWord = env.fcw;
  state.statusWord = env.fsw;
  state.fip = env.fip;
  state.fcs = env.fcs;
  state.fop = env.fop;
  state.fdp = env.fdp;
  state.fds = env.fds;
}

/** FSTENV/FNSTENV's image (then the caller masks all exceptions: state.maskAll()). */
export function storeEnv(state: FpuState, o32: boolean): Uint8Array {
  const out = new Uint8Array(envBytes(o32));
  writeEnv(state, out, o32);
  return out;
}

/**
 * FLDENV: the control word (reserved bits as the P6 reads them), the status
 * word with TOP, the pointers and opcode, and the tag word by the rule of
 * FpuState.loadTagWord: empty or not from the image, the class from the
 * registers' present contents. ES follows from the new flags and masks, so a
 * flag left unmasked is pending at the next waiting instruction (SDM Vol. 2
 * FLDENV).
 */
export function loadEnv(state: FpuState, bytes: Uint8Array, o32: boolean): void {
  const env = decodeEnv(bytes, o32);
  applyEnv(state, env);
  state.loadTagWord(env.ftw);
}

/** FSAVE/FNSAVE's image: the environment, then ST(0)..ST(7) (then the caller's FNINIT: state.reset()). */
export function save(state: FpuState, o32: boolean): Uint8Array {
  const env = envBytes(o32);
  const out = new Uint8Array(env + 80);
  writeEnv(state, out, o32);
  for (let i = 0; i < 8; i++) encodeF80(state.st(i), out, env + 10 * i);
  return out;
}

/**
 * FRSTOR: the environment as FLDENV takes it, with the registers in between:
 * TOP comes from the new status word, the ten-byte values go to ST(0)..ST(7)
 * relative to it, and only then are the tags set, from the image's empty
 * marks and the new contents.
 */
export function restore(state: FpuState, bytes: Uint8Array, o32: boolean): void {
  const envLen = envBytes(o32);
  if (bytes.length < envLen + 80) throw new RangeError(`x87 state image: ${bytes.length} bytes, ${envLen + 80} needed`);
  const env = decodeEnv(bytes, o32);
  applyEnv(state, env);
  for (let i = 0; i < 8; i++) state.setSt(i, decodeF80(bytes, envLen + 10 * i));
  state.loadTagWord(env.ftw);
}
