/**
 * Lockstep: our Machine and QEMU run the same kernel side by side, one
 * step at a time (an instruction, with any exception it delivers, or one
 * REP iteration: what QEMU's single step means), and after every step the
 * architectural state must agree: EIP, the eight general registers, the
 * segment selectors, CR0/CR2/CR3/CR4, and EFLAGS except the flags the
 * manual leaves undefined for the instruction just run (undefinedFlags.ts).
 * Those undefined flags are then copied from QEMU into ours, so a later
 * instruction that reads them still runs the same way in both.
 */
import { readFileSync } from 'node:fs';
import { Machine } from '../../src/vm/machine';
import { Exit } from '../../src/vm/cpu/executor';
import { Elf32 } from '../../src/vm/elf';
import type { Instr } from '../../src/vm/cpu/instr';
import { materialize, ARITH } from '../../src/vm/cpu/flags';
import { QemuGdb, type QemuRegs } from './rsp';
import { undefinedFlags } from './undefinedFlags';
import { ours, describe, instructionAt, historyLine, compare, report } from './compare';
import { qemuArgs } from './kernels';
import { X87Checker } from './x87compare';
import { pushRfAsQemu72 } from './qemuRf';

/** What `onStep` is told after each step that compared equal. */
export interface StepInfo {
  /** Steps done so far (this one included). */
  step: number;
  /** The instruction that ran (decoded from our memory before it ran). */
  ins: Instr;
  /** QEMU's state after it. */
  qemu: QemuRegs;
  /** An exception or interrupt was delivered in this step. */
  delivered: boolean;
}

export interface LockstepOptions {
  /** Called after every step that compared equal (for coverage, checkpoints). */
  onStep?: (info: StepInfo) => void;
  /** Multiboot command line arguments (QEMU passes "KERNEL-PATH ARGS"; both machines get the same bytes). */
  args?: string;
  maxSteps?: number;
  /** Steps of history kept for a divergence report. */
  history?: number;
  /** Told the x87 checker of the run once it ends (its counts of masked departures). */
  onX87?: (x87: X87Checker) => void;
}

export interface LockstepResult {
  kernel: string;
  steps: number;
  seconds: number;
  /** Why the run ended: the guest exited, the step limit, or a divergence (with the report). */
  end: 'exit' | 'limit' | 'divergence';
  report?: string;
  /** Instruction-breakpoint #DBs ours took as a step of their own inside one of QEMU's (counted in `steps`, as ours and QEMU's log count them). */
  breakpointSteps?: number;
}

/**
 * Run `kernelPath` in lockstep. The path is passed to both machines as
 * given, and it starts the Multiboot command line: keep it relative (to the
 * repository) for runs whose results are recorded.
 */
export async function lockstep(kernelPath: string, opts: LockstepOptions = {}): Promise<LockstepResult> {
  const path = kernelPath;
  const image = new Uint8Array(readFileSync(path));
  const entry = new Elf32(image, path).entry;
  const maxSteps = opts.maxSteps ?? Infinity;
  const qemu = new QemuGdb(qemuArgs(path, opts.args));
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  let x87Seen: X87Checker | null = null;
  try {
    await qemu.start();
    await qemu.runTo(entry);

    // Our loader leaves the machine as QEMU's does (registers, Multiboot information, command
    // line): the comparison below checks that too, before the first step.
    const m = new Machine({ memoryMiB: 64, compileAfter: Infinity });
    m.bootMultiboot(image, path, opts.args ?? '');
    pushRfAsQemu72(m.cpu);
    const q0 = await qemu.regs();
    const x87 = new X87Checker(qemu);
    x87Seen = x87;

    const history: string[] = [];
    const keep = opts.history ?? 20;
    let steps = 0, breakpointSteps = 0;
    let q: QemuRegs = q0;
    for (;;) {
      const diff = compare(ours(m), q, 0);
      if (diff === null && steps === 0) {
        x87.before(m, instructionAt(m).ins);
        const x = await x87.after(m, q, true);
        if (x !== null) return { kernel: kernelPath, steps, seconds: seconds(), end: 'divergence', report: [report(m, q, x.diff, history, steps, 'at the start'), ...x.detail].join('\n') };
      }
      if (diff !== null) {
        return { kernel: kernelPath, steps, seconds: seconds(), end: 'divergence', report: report(m, q, diff, history, steps, 'at the start') };
      }
      if (steps >= maxSteps) return { kernel: kernelPath, steps, seconds: seconds(), end: 'limit', breakpointSteps };
      const at = instructionAt(m);
      const vectorsBefore = m.cpu.vectorCounts.reduce((a, b) => a + b, 0);
      const undef = undefinedFlags(at.ins, m.cpu);
      history.push(historyLine(m.cpu.eip, at));
      if (history.length > keep) history.shift();
      x87.before(m, at.ins);

      const qemuGoesOn = await qemu.step();
      let r = m.executor.run(1);
      steps++;
      if (!qemuGoesOn || qemu.hasExited) {
        // QEMU ended (the exit port, or a triple fault with -no-reboot): ours must have ended in the same step.
        if (r === Exit.STOPPED || r === Exit.SHUTDOWN) return { kernel: kernelPath, steps, seconds: seconds(), end: 'exit', breakpointSteps };
        return { kernel: kernelPath, steps, seconds: seconds(), end: 'divergence', report: `QEMU ended after step ${steps}, our machine did not:\n  ours: ${describe(ours(m))}\n${history.map((h) => `    ${h}`).join('\n')}` };
      }
      let qNext = await qemu.regs();
      // Now and then QEMU 7.2's stub reports a step that executed nothing (seen in the exceptions
      // kernel, not reproducibly): every register as it was. Nothing real does that (a REP
      // iteration moves ECX), so step QEMU again.
      for (let retry = 0; retry < 3 && sameRegs(qNext, q); retry++) {
        if (!(await qemu.step()) || qemu.hasExited) return { kernel: kernelPath, steps, seconds: seconds(), end: 'exit', breakpointSteps };
        qNext = await qemu.regs();
      }
      q = qNext;
      // QEMU's gdb stub delivers an instruction breakpoint's #DB (a fault before the instruction) in the
      // step that arrives there; ours takes it as a step of its own: take it now, where QEMU did.
      if (r !== Exit.STOPPED && r !== Exit.SHUTDOWN && q.eip !== m.cpu.eip >>> 0 && atInstructionBreakpoint(m)) {
        r = m.executor.run(1);
        steps++;
        breakpointSteps++;
      }
      // An instruction that faulted changed no flags: its masks do not apply.
      const faulted = m.cpu.vectorCounts.reduce((a, b) => a + b, 0) !== vectorsBefore;
      const x = await x87.after(m, q, faulted);
      if (x !== null) {
        return { kernel: kernelPath, steps, seconds: seconds(), end: 'divergence', report: [report(m, q, x.diff, history, steps, `after step ${steps}`), ...x.detail].join('\n') };
      }
      const mask = faulted ? 0 : undef & ARITH;
      const diff2 = compare(ours(m), q, mask | x87.eflagsMask);
      if (diff2 !== null) {
        return { kernel: kernelPath, steps, seconds: seconds(), end: 'divergence', report: [report(m, q, diff2, history, steps, `after step ${steps}`), ...x87.lastDetail].join('\n') };
      }
      if (mask !== 0) {
        // Take QEMU's values of the undefined flags, so both go on alike.
        materialize(m.cpu);
        m.cpu.flagsRaw = (m.cpu.flagsRaw & ~mask) | (q.eflags & mask);
      }
      opts.onStep?.({ step: steps, ins: at.ins, qemu: q, delivered: faulted });
    }
  } finally {
    qemu.kill();
    if (x87Seen !== null) opts.onX87?.(x87Seen);
  }
}

/** An enabled instruction breakpoint (DR7 R/W 00) is at CS:EIP and RF is clear: our next step is its #DB (SDM Vol. 3 §17.3.1.1). */
function atInstructionBreakpoint(m: Machine): boolean {
  const c = m.cpu, dr7 = c.dr[7];
  if ((c.flagsRaw & 0x10000) !== 0) return false;
  const lin = (c.segBase[1] + c.eip) >>> 0;
  for (let n = 0; n < 4; n++) {
    if (((dr7 >>> (2 * n)) & 3) !== 0 && ((dr7 >>> (16 + 4 * n)) & 3) === 0 && c.dr[n] >>> 0 === lin) return true;
  }
  return false;
}

function sameRegs(a: QemuRegs, b: QemuRegs): boolean {
  return (Object.keys(a) as (keyof QemuRegs)[]).every((k) => a[k] === b[k]);
}
