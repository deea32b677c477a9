/**
 * The fast oracle mode: lockstep against QEMU's execution log instead of
 * its gdb stub. The gdb stub costs a round trip per instruction (~5,000
 * steps/s); QEMU logging its state before every instruction into a pipe,
 * with us reading it as it comes, runs about as fast as QEMU can write
 * (~200,000 steps/s here), which is what the kernels of tens or hundreds of
 * millions of instructions (arith, bench) need.
 *
 * How: QEMU is started and run to the kernel's entry through the gdb stub,
 * exactly as lockstep.ts does (same command line, kernels.ts). Only then,
 * through monitor commands, does it get one instruction per translation
 * block (`singlestep on`) and a log (`log cpu,nochain,int` into a named
 * pipe), so the BIOS runs at full speed and unlogged, and the first state
 * logged is the entry's. The PIC is masked there too, for what gdb's
 * single-step gives with its NOIRQ flag: no timer interrupt in the middle of
 * the kernel (the bare kernels do not touch the PIC; our machine has none).
 *
 * The steps are lockstep.ts's (one instruction with any exception it
 * delivers, or one REP iteration; QEMU logs one translation block per REP
 * iteration, the last one included) and so is what is compared after each:
 * compare.ts, with undefinedFlags.ts's masks, QEMU's values of the masked
 * flags copied into ours. Three things differ from the gdb stub's view:
 * - An instruction fetch that faults (a jump to an unmapped page) has no
 *   state of its own in the log: QEMU never got to run a block there. The
 *   log goes from the jump straight to the handler, so when QEMU's last
 *   delivery happened at the CS:EIP our machine has just reached, ours takes
 *   the next step too before comparing (counted in `merged`).
 * - QEMU logs a block again when it had to leave it before its first
 *   instruction (an exit request); such a state, equal to the one before
 *   with nothing logged in between, is skipped (`repeats`).
 * - The masks are worked out only when EFLAGS differ (the same outcome as
 *   lockstep.ts, which works them out at every step, for less work), and
 *   the history of a report is disassembled at the end, from memory then.
 */
import { readFileSync, mkdtempSync, rmSync, openSync, closeSync, constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Machine } from '../../src/vm/machine';
import { Exit } from '../../src/vm/cpu/executor';
import { Elf32 } from '../../src/vm/elf';
import { materialize, ARITH } from '../../src/vm/cpu/flags';
import { QemuGdb } from './rsp';
import { undefinedFlags } from './undefinedFlags';
import { FIELDS, EFLAGS_INDEX, oursInto, toState, compare, report, instructionAtLinear, historyLine, describe, ours } from './compare';
import { qemuArgs } from './kernels';
import { pushRfAsQemu72 } from './qemuRf';
import { QemuLog, LogNext, deliveryIp } from './qemulog';
import type { LockstepOptions, LockstepResult } from './lockstep';

export type LogstepOptions = Omit<LockstepOptions, 'onStep'>;

export interface LogstepResult extends LockstepResult {
  /** Log bytes parsed. */
  bytes: number;
  /** Steps of ours taken with the one before, against one state of QEMU's (a faulting fetch). */
  merged: number;
  /** QEMU's repeated states skipped. */
  repeats: number;
  /** Steps whose EFLAGS differed in flags the instruction leaves undefined (then copied from QEMU). */
  masked: number;
}

/** Run `kernelPath` against QEMU's log (see lockstep() for the path and the command line). */
export async function logstep(kernelPath: string, opts: LogstepOptions = {}): Promise<LogstepResult> {
  const path = kernelPath;
  const image = new Uint8Array(readFileSync(path));
  const entry = new Elf32(image, path).entry;
  const maxSteps = opts.maxSteps ?? Infinity;
  const keep = opts.history ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'qemu-log-'));
  const fifo = join(dir, 'log');
  execFileSync('mkfifo', [fifo]);
  const qemu = new QemuGdb(qemuArgs(path, opts.args));
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
  let fh: FileHandle | null = null;
  let opening: Promise<FileHandle> | null = null;
  let log: QemuLog | null = null;
  let steps = 0, merged = 0, repeats = 0, masked = 0;
  const result = (end: LockstepResult['end'], rep?: string): LogstepResult =>
    ({ kernel: kernelPath, steps, seconds: seconds(), end, report: rep, bytes: log?.bytes ?? 0, merged, repeats, masked });
  try {
    await qemu.start();
    await qemu.runTo(entry);
    const m = new Machine({ memoryMiB: 64, compileAfter: Infinity });
    m.bootMultiboot(image, path, opts.args ?? '');
    const c = m.cpu;
    let delivered = 0;
    c.onVector = () => { delivered++; };
    pushRfAsQemu72(c);

    // QEMU opens the log when logging is turned on, and a pipe opens for writing only once a reader is there.
    opening = open(fifo, 'r');
    for (const cmd of ['o /b 0x21 0xff', 'o /b 0xa1 0xff', 'singlestep on', `logfile ${fifo}`, 'log cpu,nochain,int']) {
      const out = (await qemu.monitor(cmd)).trim();
      if (out !== '') throw new Error(`QEMU's monitor said to "${cmd}": ${out}`);
    }
    fh = await opening;
    opening = null;
    log = new QemuLog(fh);
    void qemu.request('c'); // answered only when the guest ends

    const q = new Uint32Array(FIELDS.length), qPrev = new Uint32Array(FIELDS.length), s = new Uint32Array(FIELDS.length);
    // History: CS:EIP (linear) and code size before each step, disassembled only for a report.
    const hEip = new Int32Array(keep), hLin = new Int32Array(keep), h32 = new Uint8Array(keep);
    let hCount = 0;
    const history = (): string[] => {
      const out: string[] = [];
      for (let k = Math.max(0, hCount - keep); k < hCount; k++) {
        const j = k % keep;
        out.push(historyLine(hEip[j], instructionAtLinear(m, hLin[j], h32[j] === 1)));
      }
      if (out.length > 0) out.push('(bytes as in memory at the end of the run)');
      return out;
    };
    const events = (l: QemuLog) => l.events.length > 0 ? ['  QEMU logged in this step:', ...l.events.map((e) => `    ${e}`)] : [];
    const divergence = (diff: string[], when: string): LogstepResult => result('divergence', [
      report(m, toState(q), diff, history(), steps, when),
      ...events(log!),
      '  QEMU\'s state after it:',
      ...log!.lastDump().split('\n').map((l) => `    ${l}`),
    ].join('\n'));

    /** The next state QEMU logged, if the buffer holds it (skipping repeats). */
    const tryNext = (l: QemuLog): boolean => {
      for (;;) {
        if (l.next(q) !== LogNext.STATE) return false;
        if (l.events.length === 0 && sameState(q, qPrev)) {
          repeats++;
          continue;
        }
        return true;
      }
    };
    /** The next state QEMU logged, reading more of the log as needed; false at its end. */
    const nextState = async (l: QemuLog): Promise<boolean> => {
      while (!tryNext(l)) if (!(await l.fill())) return false;
      return true;
    };

    /**
     * QEMU's last delivery in this step happened where ours stands now, and ours has not
     * delivered it: a faulting instruction fetch, which QEMU logs no state before. Ours
     * must take that step too.
     */
    const behind = (l: QemuLog, r: Exit): boolean => {
      if (l.deliveries === 0 || delivered >= l.deliveries || r === Exit.STOPPED || r === Exit.SHUTDOWN) return false;
      const lines = l.events.filter((e) => /^\s*\d+: v=/.test(e));
      const at = deliveryIp(lines[lines.length - 1]);
      return at !== null && at.cs === c.segSel[1] && at.eip === (c.eip >>> 0);
    };

    if (!(await nextState(log))) throw new Error('QEMU logged nothing');
    {
      const diff = firstDiff(oursInto(m, s), q, 0) ? compare(toState(s), toState(q), 0) : null;
      if (diff !== null) return divergence(diff, 'at the start');
    }
    for (;;) {
      if (steps >= maxSteps) return result('limit');
      qPrev.set(q);
      const eip = c.eip, lin = (c.segBase[1] + c.eip) | 0, code32 = c.code32, ecx = c.r32[1];
      const j = hCount++ % keep;
      hEip[j] = eip; hLin[j] = lin; h32[j] = code32 ? 1 : 0;
      delivered = 0;
      let r = m.executor.run(1);
      steps++;
      if (r === Exit.HALTED) {
        // HLT with nothing to wake it: QEMU would log nothing more either (and our read would wait forever).
        return result('divergence', `our machine halted at step ${steps} with nothing to wake it: the run cannot be compared further`);
      }
      log.consume();
      // (Most steps find their state in the buffer: no await for them.)
      const more = tryNext(log) || (await nextState(log));
      const ended = r === Exit.STOPPED || r === Exit.SHUTDOWN;

      if (!more) {
        // QEMU ended (the exit port, or a triple fault with -no-reboot): so must ours, in this step.
        for (let k = 0; k < 3 && behind(log, r); k++) {
          r = m.executor.run(1);
          steps++;
          merged++;
        }
        if (r === Exit.STOPPED || r === Exit.SHUTDOWN) return result('exit');
        return result('divergence', [
          `QEMU ended after step ${steps}, our machine did not:`,
          `  ours: ${describe(ours(m))}`,
          ...events(log),
          ...history().map((h) => `    ${h}`),
        ].join('\n'));
      }
      if (ended) {
        return result('divergence', [
          `our machine ended (${r === Exit.SHUTDOWN ? c.shutdownReason : 'the exit port'}) at step ${steps}, QEMU went on:`,
          `  ours: ${describe(ours(m))}`,
          `  qemu: ${describe(toState(q))}`,
          ...events(log),
          ...history().map((h) => `    ${h}`),
        ].join('\n'));
      }
      if (!firstDiff(oursInto(m, s), q, 0)) continue;

      for (let k = 0; k < 3 && behind(log, r); k++) {
        const h = hCount++ % keep;
        hEip[h] = c.eip; hLin[h] = (c.segBase[1] + c.eip) | 0; h32[h] = c.code32 ? 1 : 0;
        r = m.executor.run(1);
        steps++;
        merged++;
        oursInto(m, s);
      }
      // Flags the instruction leaves undefined may differ (not for an instruction that faulted: it changed none).
      let mask = 0;
      if (delivered === 0 && ((s[EFLAGS_INDEX] ^ q[EFLAGS_INDEX]) & ARITH) !== 0) {
        const at = instructionAtLinear(m, lin, code32);
        mask = undefinedFlags(at.ins, { r32: Int32Array.of(0, ecx) }) & ARITH;
      }
      if (firstDiff(s, q, mask)) {
        return divergence(compare(toState(s), toState(q), mask) ?? [], `after step ${steps}`);
      }
      if (mask !== 0) {
        masked++;
        materialize(c);
        c.flagsRaw = (c.flagsRaw & ~mask) | (q[EFLAGS_INDEX] & mask);
      }
    }
  } finally {
    qemu.kill();
    if (fh !== null) await fh.close();
    if (opening !== null) {
      // QEMU never opened the pipe: open its other end, so that our pending open returns.
      try { closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK)); } catch { /* no reader waiting */ }
      await opening.then((h) => h.close(), () => {});
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function sameState(a: Uint32Array, b: Uint32Array): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/** Do two states differ (EFLAGS but for the `mask` bits)? */
function firstDiff(s: Uint32Array, q: Uint32Array, mask: number): boolean {
  for (let k = 0; k < s.length; k++) {
    if (k === EFLAGS_INDEX) {
      if (((s[k] ^ q[k]) & ~mask) !== 0) return true;
    } else if (s[k] !== q[k]) return true;
  }
  return false;
}
