/**
 * The x87 escapes (D8-DF) and WAIT: what every x87 instruction goes through
 * before and after its own work (SDM Vol. 1 §8.1.8, §8.7; Vol. 3 §2.5, Table
 * 2-2 for CR0).
 *
 * The opcode map keeps one `fpu Ef` row per escape byte, as the disassembler
 * reads it (disasm/x87.ts names the forms after objdump); here the form is
 * picked by ModRM from two tables the x87 families fill when imported
 * (x87Arith, x87Move, x87Math, x87Control). An encoding no family claims is
 * #UD, and so is FISTTP, which came with SSE3 after the P6.
 */
import { type Cpu, CS, CR0_EM, CR0_MP, CR0_TS, CR0_NE } from '../state';
import { type Instr, Op, ea } from '../instr';
import { def } from '../optable';
import { raise, Vec } from '../fault';
import { type FpuState } from '../fpu/state';
import { type Result, IE, DE, ZE, OE, UE, C1 } from '../fpu/float80';
import { CW_UM } from '../fpu/state';

export type X87Fn = (c: Cpu, i: Instr, f: FpuState) => void;

/**
 * How an instruction stands towards a pending exception and the last-
 * instruction pointers (SDM Vol. 1 §8.1.8, §8.3.11; the same split QEMU keeps).
 * NUMERIC instructions wait (a pending unmasked exception is taken first) and
 * record FIP/FCS/FOP, and FDP/FDS when they have a memory operand. CONTROL
 * ones (FLDCW, FLDENV, FRSTOR, FNOP) wait but leave the pointers to the
 * instruction they describe. NO_WAIT ones (FNINIT, FNCLEX, FNSTSW, FNSTCW,
 * FNSTENV, FNSAVE) do neither: they are how a handler looks at a pending
 * exception without taking it again.
 */
export const enum X87Kind { NUMERIC = 0, CONTROL = 1, NO_WAIT = 2 }

interface Form { fn: X87Fn; kind: X87Kind }

/** Memory forms by (opcode - D8) * 8 + reg; register forms by (opcode - D8) * 64 + reg * 8 + rm. */
const MEM: (Form | undefined)[] = new Array(64).fill(undefined);
const REG: (Form | undefined)[] = new Array(512).fill(undefined);

function claim(table: (Form | undefined)[], k: number, form: Form): void {
  if (table[k] !== undefined) throw new Error(`x87 form ${k} defined twice`);
  table[k] = form;
}

/** Registers the memory form of escape `opcode` /reg. */
export function memForm(opcode: number, reg: number, fn: X87Fn, kind = X87Kind.NUMERIC): void {
  claim(MEM, (opcode - 0xd8) * 8 + reg, { fn, kind });
}

/** Registers the register form of escape `opcode` /reg with r/m `rm`, or all eight r/m (ST(i) operands) when rm is omitted. */
export function regForm(opcode: number, reg: number, fn: X87Fn, rm?: number, kind = X87Kind.NUMERIC): void {
  const base = (opcode - 0xd8) * 64 + reg * 8;
  if (rm !== undefined) claim(REG, base + rm, { fn, kind });
  else for (let k = 0; k < 8; k++) claim(REG, base + k, { fn, kind });
}

/** Whether an encoding executes (for the disassembler's agreement test): null for #UD. */
export function x87Kind(opcode: number, mod: number, reg: number, rm: number): X87Kind | null {
  const form = mod === 3 ? REG[(opcode - 0xd8) * 64 + reg * 8 + rm] : MEM[(opcode - 0xd8) * 8 + reg];
  return form === undefined ? null : form.kind;
}

/**
 * A pending unmasked exception is taken at the next waiting instruction as
 * #MF when CR0.NE = 1 (SDM Vol. 1 §8.7). With NE = 0 a PC routes FERR#
 * through the interrupt controller as IRQ 13; this machine has no such wire,
 * so the instruction goes on as if IGNNE# were asserted and the exception
 * stays pending (its flags and ES) until the Guest clears it or sets NE.
 */
function takePending(c: Cpu, f: FpuState): void {
  if (f.exceptionPending && (c.cr0 & CR0_NE) !== 0) raise(c, Vec.MF);
}

function escape(c: Cpu, i: Instr): void {
  // EM: no x87, let software emulate it; TS: the x87 belongs to another task (Vol. 3 Table 2-2).
  if ((c.cr0 & (CR0_EM | CR0_TS)) !== 0) raise(c, Vec.NM);
  const form = i.mod === 3 ? REG[(i.opcode - 0xd8) * 64 + i.reg * 8 + i.rm] : MEM[(i.opcode - 0xd8) * 8 + i.reg];
  if (form === undefined) raise(c, Vec.UD);
  const f = c.fpu;
  if (form.kind !== X87Kind.NO_WAIT) takePending(c, f);
  form.fn(c, i, f);
  if (form.kind === X87Kind.NUMERIC) {
    // Recorded once the instruction has run without a fault of the CPU's: an x87 exception it raised points here.
    f.fip = (i.addr - c.segBase[CS]) >>> 0;
    f.fcs = c.segSel[CS];
    f.fop = ((i.opcode & 7) << 8) | (i.mod << 6) | (i.reg << 3) | i.rm;
    if (i.mod !== 3) {
      f.fdp = ea(c, i) >>> 0;
      f.fds = c.segSel[i.seg];
    }
  }
}

/** WAIT/FWAIT: #NM only when MP and TS are both set (Vol. 3 Table 2-2); then any pending exception. */
function fwait(c: Cpu): void {
  if ((c.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) raise(c, Vec.NM);
  takePending(c, c.fpu);
}

// ---- Exception responses shared by the families -------------------------------------

/**
 * ORs an instruction's exception flags into the status word and says
 * whether it may write its result. An unmasked invalid operation, denormal
 * operand or zero divide is found before anything is computed (SDM Vol. 1
 * §4.9.2, §8.5.1-§8.5.3): the destination and the stack stay as they were,
 * and only that flag is set. C1 is the round-up bit otherwise (Table 8-1).
 */
export function mayWrite(f: FpuState, flags: number): boolean {
  const pre = flags & (IE | DE | ZE);
  if ((pre & ~f.controlWord) !== 0) {
    f.raise(pre);
    return false;
  }
  f.raise(flags);
  f.setC1((flags & C1) !== 0);
  return true;
}

/**
 * What a register destination gets: with OE or UE unmasked, a result that
 * overflowed or is tiny comes wrapped, its exponent brought back into range
 * by 2^24576 (SDM Vol. 1 §8.5.4, §8.5.5; fpu/round.ts). Otherwise the masked
 * response.
 */
export function registerResult(f: FpuState, r: Result): Result {
  const w = r.wrapped;
  return w !== undefined && (w.flags & (OE | UE) & ~f.controlWord) !== 0 ? w : r;
}

/**
 * The same as mayWrite for a store to memory, where an unmasked overflow or
 * underflow stops the store: the destination is left and the source stays
 * on the stack, not popped (SDM Vol. 1 §8.5.4, §8.5.5). With UE unmasked a
 * tiny result underflows even when exact (§4.9.1.5).
 */
export function mayStore(f: FpuState, flags: number, tiny = false): boolean {
  const all = tiny && (f.controlWord & CW_UM) === 0 ? flags | UE : flags;
  if (!mayWrite(f, all)) return false;
  return (all & (OE | UE) & ~f.controlWord) === 0;
}

for (let k = 0; k < 8; k++) def((0xd8 + k).toString(16).toUpperCase(), 'fpu Ef', escape, escape, Op.X87);
def('9B', 'fwait', fwait, fwait, Op.X87);
