/**
 * Random kernels in lockstep, seed after seed (cli.ts --random): each
 * kernel is written to a temporary file, run on QEMU and on us side by
 * side, and reported with the command that replays it.
 */
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockstep } from '../lockstep';
import { logstep } from '../logstep';
import { pushRfAsQemu72 } from '../qemuRf';
import { Machine } from '../../../src/vm/machine';
import { generateKernel, type GeneratorOptions, type Kernel } from './generator';
import { mapEntries, policyFor } from './instructions';
import { MAP, isGroup } from '../../../src/vm/cpu/optable';
import type { Instr } from '../../../src/vm/cpu/instr';
import { x87Rule, isX87 } from '../x87rules';
import { x87Forms } from './x87';
import type { X87Checker } from '../x87compare';

export interface RandomRunOptions {
  seed: number;
  runs: number;
  cases: number;
  perCase: number;
  maxSteps?: number;
  /** Keep the kernels here (default: a temporary directory, removed at the end). */
  keep?: string;
  /** Generate the cases of our known bugs too. */
  knownBugs?: boolean;
  /**
   * Compare against QEMU's execution log instead of its gdb stub (logstep.ts): about 15 times faster, for
   * long campaigns, but without the per-row coverage count (the log does not say which row ran). The log
   * is a filter, not the judge: QEMU sometimes logs EFLAGS at an exception from a stale lazy-flags state,
   * so a seed that diverges in the log is run again through the gdb stub, whose verdict counts.
   */
  viaLog?: boolean;
  /** x87 streams (generator.ts `x87`). */
  x87?: boolean;
  /** With x87: an FNSTENV after every x87 item, compared (generator.ts `x87EnvEvery`). */
  x87EnvEvery?: boolean;
  log?: (line: string) => void;
}

export interface RandomRunResult {
  steps: number;
  seconds: number;
  seeds: number;
  divergences: { seed: number; report: string }[];
  /** Steps compared per opcode-map entry (its key, as in instructions.ts). */
  executed: Map<string, number>;
  /** Seeds whose log diverged but which the gdb stub then compared equal to the end (viaLog only). */
  logOnly: number[];
  /** x87 instructions (and WAITs) compared. */
  x87Steps: number;
  /** Debug-register breakpoint #DBs (not INT1, INT n) delivered and compared (DR6 is compared at the handler's next step, in EDX). */
  breakpointDbs: number;
  /** x87 forms executed and compared (the rule's name, ST(i) left out), with counts. */
  x87Executed: Map<string, number>;
  /** How often each x87 departure of QEMU's (or undefined case) was masked. */
  x87Masked: Map<string, number>;
}

/** The x87 form an instruction is, for coverage: `fadd st(i)`, `fld mf80`... */
export function x87FormKey(i: Instr): string | null {
  if (!isX87(i)) return i.opcode === 0x9b ? 'fwait' : null;
  const r = x87Rule(i);
  return r === null ? null : r.name.replace(/st\(\d\)/, 'st(i)');
}

/** The opcode-map entry an instruction decoded to: `80/3`, `0F 18/0r`... */
export function entryKey(i: Instr): string {
  const name = (i.opcode >= 0x100 ? '0F ' : '') + (i.opcode & 0xff).toString(16).toUpperCase().padStart(2, '0');
  const e = MAP[i.opcode];
  if (!isGroup(e)) return name;
  const regForm = i.mod === 3 && e.groupReg !== undefined && e.groupReg[i.reg] !== e.group[i.reg];
  return `${name}/${i.reg}${regForm ? 'r' : ''}`;
}

/** The generated rows no compared step has executed (a coverage report). */
export function notExecuted(executed: Map<string, number>): string[] {
  return mapEntries()
    .filter((e) => policyFor(e)?.gen !== undefined && !executed.has(e.key))
    .map((e) => `${e.key} ${e.row.mnem}${policyFor(e)?.ring3Only ? ' (ring 3 only)' : ''}`);
}

/** The command line that replays one seed. */
export function replayCommand(seed: number, o: { cases: number; perCase: number; knownBugs?: boolean; x87?: boolean; x87EnvEvery?: boolean }): string {
  return `node scripts/build.mjs && node dist/oracle.js --random${o.x87 ? ' --x87' : ''}${o.x87EnvEvery ? ' --x87-env-every' : ''} --seed ${seed} --cases ${o.cases} --per-case ${o.perCase}${o.knownBugs ? ' --known-bugs' : ''}`;

}

/** Which case an address is in (for reports): its index and ring, or null for the kernel's own code. */
export function caseAt(k: Kernel, eip: number): { index: number; cpl: number } | null {
  if (k.cases.length === 0 || eip < k.cases[0].addr || eip >= k.end) return null;
  let lo = 0;
  while (lo + 1 < k.cases.length && k.cases[lo + 1].addr <= eip) lo++;
  return { index: lo, cpl: k.cases[lo].cpl };
}

/**
 * Run a kernel on our machine alone, as the product runs it (blocks
 * compiled): how it ends and after how many instructions. A kernel always
 * ends with isa-debug-exit, status 1.
 */
export function runOurs(k: Kernel, compileAfter?: number): { end: string; instructions: number } {
  const m = new Machine({ memoryMiB: 64, compileAfter });
  m.bootMultiboot(k.elf, 'random', '');
  pushRfAsQemu72(m.cpu); // as lockstep runs it, so that the two end alike
  const r = m.run(10_000_000);
  return { end: r.kind === 'exit' ? `exit ${r.status}` : r.kind === 'fault' ? r.reason : r.kind, instructions: m.cpu.instructions };
}

export async function runRandom(o: RandomRunOptions): Promise<RandomRunResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const dir = o.keep ?? mkdtempSync(join(tmpdir(), 'lguest-random-'));
  const result: RandomRunResult = { steps: 0, seconds: 0, seeds: 0, divergences: [], executed: new Map(), logOnly: [], x87Steps: 0, x87Executed: new Map(), x87Masked: new Map(), breakpointDbs: 0 };
  let dbHandler = -1;
  const onStep = ({ ins, delivered, qemu }: { ins: Instr; delivered: boolean; qemu: { eip: number } }) => {
    if (delivered && qemu.eip === dbHandler && ins.opcode !== 0xf1 && ins.opcode !== 0xcd) result.breakpointDbs++;
    if (ins.def === null) return;
    const k = entryKey(ins);
    result.executed.set(k, (result.executed.get(k) ?? 0) + 1);
    const x = delivered ? null : x87FormKey(ins);
    if (x !== null) result.x87Executed.set(x, (result.x87Executed.get(x) ?? 0) + 1);
  };
  const onX87 = (x: X87Checker) => {
    result.x87Steps += x.x87Steps;
    for (const [k, n] of x.masked) result.x87Masked.set(k, (result.x87Masked.get(k) ?? 0) + n);
  };
  try {
    for (let seed = o.seed; seed < o.seed + o.runs; seed++) {
      const gen: GeneratorOptions = { seed, cases: o.cases, perCase: o.perCase, knownBugs: o.knownBugs, x87: o.x87, x87EnvEvery: o.x87EnvEvery };
      const kernel = generateKernel(gen);
      dbHandler = kernel.dbHandler;
      const path = join(dir, `random-${seed}.elf`);
      writeFileSync(path, kernel.elf);
      const alone = runOurs(kernel);
      let r = o.viaLog ? await logstep(path, { maxSteps: o.maxSteps, history: 30 }) : await lockstep(path, { maxSteps: o.maxSteps, history: 30, onStep, onX87 });
      if (o.viaLog && r.end === 'divergence') {
        const judged = await lockstep(path, { maxSteps: o.maxSteps, history: 30 });
        if (judged.end !== 'divergence') {
          log(`seed ${seed}: the log diverged after ${r.steps} steps (${r.report?.split('\n')[0] ?? ''}); the gdb stub compares it equal`);
          result.logOnly.push(seed);
        }
        r = judged;
      }
      result.steps += r.steps;
      result.seconds += r.seconds;
      result.seeds++;
      log(`seed ${seed}: ${r.steps} steps in ${r.seconds.toFixed(1)} s: ${r.end}`);
      // QEMU shuts down on a triple fault (-no-reboot): if we did too, at the same step, the two agree.
      const bothShutDown = alone.end.startsWith('triple fault') && alone.instructions === r.steps;
      // (Not with x87 streams: lockstep copies QEMU's values into ours where QEMU departs from the manual, so
      // ours alone takes another path. Lockstep itself checks that ours ended in QEMU's last step.)
      if (r.end === 'exit' && !o.x87 && (alone.end !== 'exit 1' || alone.instructions !== r.steps) && !bothShutDown) {
        // Lockstep stops when QEMU does: QEMU may have died (it aborts on a few instructions) or shut down.
        r.end = 'divergence';
        r.report = `QEMU stopped after ${r.steps} steps; alone, our machine ran ${alone.instructions} instructions to: ${alone.end}`;
      }
      if (r.end === 'divergence' && r.report) {
        const eip = /eip=([0-9a-f]{8})/.exec(r.report.split('\n')[1] ?? '');
        const c = eip ? caseAt(kernel, parseInt(eip[1], 16)) : null;
        const where = c ? `  in case ${c.index} (ring ${c.cpl})` : '';
        log(r.report + (where ? `\n${where}` : ''));
        log(`  replay: ${replayCommand(seed, o)}`);
        result.divergences.push({ seed, report: r.report });
      }
    }
  } finally {
    if (o.keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

/** The x87 forms the generator makes that no compared step executed (register forms by mnemonic, memory forms by operand type). */
export function x87FormsNotExecuted(executed: Map<string, number>): string[] {
  const { reg, mem } = x87Forms();
  const regSeen = new Set([...executed.keys()].filter((k) => !/ m/.test(k)).map((k) => k.split(' ')[0]));
  return [...reg.filter((n) => !regSeen.has(n)), ...mem.filter((n) => !executed.has(n))].sort();
}
