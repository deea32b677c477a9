/**
 * Exceptions inside the CPU.
 *
 * An instruction that faults stops dead: it must leave the registers as they
 * were, and the exception is then delivered through the IDT. We get there by
 * throwing one preallocated object (never allocated on the hot path), caught
 * by the run loop, with the vector and error code stored on the CPU.
 */
export const enum Vec {
  DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7,
  DF = 8, TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18,
}

export const EXCEPTION_NAMES: readonly string[] = [
  'divide error (#DE)', 'debug (#DB)', 'NMI', 'breakpoint (#BP)', 'overflow (#OF)', 'BOUND range exceeded (#BR)',
  'invalid opcode (#UD)', 'device not available (#NM)', 'double fault (#DF)', 'coprocessor segment overrun',
  'invalid TSS (#TS)', 'segment not present (#NP)', 'stack-segment fault (#SS)', 'general protection (#GP)',
  'page fault (#PF)', 'reserved 15', 'x87 floating-point error (#MF)', 'alignment check (#AC)', 'machine check (#MC)',
  // The vectors later processors define (SDM Vol. 3 Table 6-1): a P6 raises none of them, but a Guest's IDT
  // names them and a debugger user looks them up by number.
  'SIMD floating-point exception (#XM)', 'virtualization exception (#VE)', 'control protection exception (#CP)',
  'reserved 22', 'reserved 23', 'reserved 24', 'reserved 25', 'reserved 26', 'reserved 27',
  'hypervisor injection exception (#HV)', 'VMM communication exception (#VC)', 'security exception (#SX)', 'reserved 31',
];

/** Vectors that push an error code. */
export function hasErrorCode(vector: number): boolean {
  return vector === 8 || (vector >= 10 && vector <= 14) || vector === 17;
}

/**
 * Fault-class exceptions: reported before the instruction, which restarts after the handler. Their
 * frame carries RF = 1 so that the restarted instruction's own instruction breakpoint does not fire
 * a second time (SDM Vol. 3 §17.3.1.1). #DB is a fault only for an instruction breakpoint or general
 * detect, which the run loop knows; #DF and #MC are aborts, the rest traps or interrupts.
 */
export function isFaultClass(vector: number): boolean {
  return vector === 0 || (vector >= 5 && vector <= 7) || (vector >= 10 && vector <= 14) || vector === 16 || vector === 17 || vector === 19;
}

/** The one object thrown for every CPU exception. */
export class CpuFault {
  readonly name = 'CpuFault';
}
export const FAULT = new CpuFault();

/** The state a thrown FAULT refers to (kept on the CPU, set by `raise`). */
export interface FaultState {
  faultVector: number;
  faultCode: number;
  faultHasCode: boolean;
  /** The frame's EFLAGS image gets RF = 1: a fault-class exception (see isFaultClass). */
  faultRf: boolean;
}

/** `rf` is for #DB, whose class depends on its cause: a fault (RF = 1) only for general detect. */
export function raise(c: FaultState, vector: number, code = 0, rf = isFaultClass(vector)): never {
  c.faultVector = vector;
  c.faultCode = code & 0xffff;
  c.faultHasCode = hasErrorCode(vector);
  c.faultRf = rf;
  throw FAULT;
}

/**
 * A fault without a throw, for the hot ones a Host takes over and over (an lguest Guest's IN and
 * OUT at ring 1): recorded as `raise` does, the handler then returns at once having changed
 * nothing, and the run loop (executor.ts), which looks after every handler that sets exitBlock,
 * delivers it. A throw costs about half a microsecond.
 */
export interface PendingFaultState extends FaultState {
  faultPending: boolean;
  exitBlock: boolean;
}
export function pendFault(c: PendingFaultState, vector: number, code: number): void {
  c.faultVector = vector;
  c.faultCode = code & 0xffff;
  c.faultHasCode = hasErrorCode(vector);
  c.faultRf = isFaultClass(vector);
  c.faultPending = true;
  c.exitBlock = true;
}

/** #PF keeps all 32 bits of its error code clean; CR2 is set by the caller. */
export function raisePF(c: FaultState, code: number): never {
  c.faultVector = Vec.PF;
  c.faultCode = code;
  c.faultHasCode = true;
  c.faultRf = true;
  throw FAULT;
}
