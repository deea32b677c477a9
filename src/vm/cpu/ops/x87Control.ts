/**
 * The x87's control instructions: FLDCW FNSTCW FNSTSW FLDENV FNSTENV FRSTOR
 * FNSAVE FNINIT FNCLEX FNOP, and the stack housekeeping FFREE FFREEP
 * FINCSTP FDECSTP (SDM Vol. 2, each page; the images are fpu/environment.ts).
 * The waiting forms FSTCW, FSTSW, FSTENV, FSAVE, FINIT and FCLEX are these
 * behind a WAIT (9B), which the assembler emits as its own instruction.
 */
import { EAX } from '../state';
import type { FpuState } from '../fpu/state';
import { storeEnv, loadEnv, save, restore, envBytes, saveBytes } from '../fpu/environment';
import { memForm, regForm, X87Kind } from './x87';
import { read16, write16, readBytes, writeBytes } from './x87Memory';

const CONTROL = X87Kind.CONTROL, NO_WAIT = X87Kind.NO_WAIT;

memForm(0xd9, 5, (c, i, f) => { f.controlWord = read16(c, i); }, CONTROL);
memForm(0xd9, 7, (c, i, f) => write16(c, i, f.controlWord), NO_WAIT);
memForm(0xdd, 7, (c, i, f) => write16(c, i, f.statusWord), NO_WAIT);
// DF E0 FNSTSW AX.
regForm(0xdf, 4, (c, _i, f) => { c.r16[EAX << 1] = f.statusWord; }, 0, NO_WAIT);

// The operand size picks the image's format: 14/94 bytes with 16-bit operands, 28/108 with 32 (§8.1.10).
memForm(0xd9, 4, (c, i, f) => loadEnv(f, readBytes(c, i, envBytes(i.o32)), i.o32), CONTROL);
// FNSTENV masks every exception once its image is out (so a handler runs with the x87 quiet).
memForm(0xd9, 6, (c, i, f) => { writeBytes(c, i, storeEnv(f, i.o32)); f.maskAll(); }, NO_WAIT);
memForm(0xdd, 4, (c, i, f) => restore(f, readBytes(c, i, saveBytes(i.o32)), i.o32), CONTROL);
// FNSAVE ends with an FNINIT.
memForm(0xdd, 6, (c, i, f) => { writeBytes(c, i, save(f, i.o32)); f.reset(); }, NO_WAIT);

// DB E2 FNCLEX, DB E3 FNINIT; DB E0 FNENI, E1 FNDISI (8087) and E4 FNSETPM (287) do nothing since the 387.
regForm(0xdb, 4, (_c, _i, f) => f.clearExceptions(), 2, NO_WAIT);
regForm(0xdb, 4, (_c, _i, f) => f.reset(), 3, NO_WAIT);
for (const rm of [0, 1, 4]) regForm(0xdb, 4, () => {}, rm, NO_WAIT);
// D9 D0 FNOP: waits (a pending exception is taken) and does nothing else.
regForm(0xd9, 2, () => {}, 0, CONTROL);

/** DD C0+i FFREE, DF C0+i FFREEP (free, then pop: undocumented, but every P6 and objdump know it). */
regForm(0xdd, 0, (_c, i, f: FpuState) => f.free(i.rm));
regForm(0xdf, 0, (_c, i, f: FpuState) => { f.free(i.rm); f.pop(); });
regForm(0xd9, 6, (_c, _i, f) => f.decstp(), 6);
regForm(0xd9, 6, (_c, _i, f) => f.incstp(), 7);
