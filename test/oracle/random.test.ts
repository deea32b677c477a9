/**
 * The random instruction generator (test/oracle/random/). Without QEMU: a
 * seed always gives the same kernel, every row of the opcode map has a
 * policy, EXCLUSIONS.md is up to date, and our machine runs generated
 * kernels to their end, interpreted and compiled alike. With QEMU
 * installed: a few seeds in lockstep, with no divergence.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Machine } from '../../src/vm/machine';
import { generateKernel } from './random/generator';
import { mapEntries, policyFor } from './random/instructions';
import { exclusionsMarkdown } from './random/exclusions';
import { runOurs, replayCommand, runRandom, x87FormsNotExecuted } from './random/run';
import { x87Forms } from './random/x87';
import { lockstep } from './lockstep';

function hasQemu(): boolean {
  try {
    execFileSync('qemu-system-i386', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('random kernels', () => {
  it('are the same for the same seed, and differ between seeds', () => {
    const a = generateKernel({ seed: 7, cases: 30, perCase: 16 });
    const b = generateKernel({ seed: 7, cases: 30, perCase: 16 });
    const c = generateKernel({ seed: 8, cases: 30, perCase: 16 });
    expect(sha(a.elf)).toBe(sha(b.elf));
    expect(sha(a.elf)).not.toBe(sha(c.elf));
  });

  it('draw from a policy for every row of the opcode map', () => {
    const missing = mapEntries().filter((e) => policyFor(e) === undefined).map((e) => `${e.key} ${e.row.mnem}`);
    expect(missing).toEqual([]);
  });

  it('list their exclusions in EXCLUSIONS.md as exclusions.ts prints them', () => {
    const file = readFileSync(join(__dirname, 'random/EXCLUSIONS.md'), 'utf8');
    expect(file).toBe(exclusionsMarkdown());
  });

  it('run on our machine to their exit (isa-debug-exit, status 1), interpreted and compiled alike', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const k = generateKernel({ seed });
      const interpreted = runOurs(k, Infinity);
      expect(interpreted.end, `seed ${seed}`).toBe('exit 1');
      expect(interpreted.instructions).toBeGreaterThan(3000);
      // The block compiler must agree with the interpreter on where every case ends: same count.
      expect(runOurs(k, 1), `seed ${seed}`).toEqual(interpreted);
    }
  });

  it('with x87 streams, run on our machine to their exit, interpreted and compiled alike, and draw every x87 form', () => {
    for (const seed of [1, 2]) {
      const k = generateKernel({ seed, x87: true });
      const interpreted = runOurs(k, Infinity);
      expect(interpreted.end, `seed ${seed}`).toBe('exit 1');
      expect(runOurs(k, 1), `seed ${seed}`).toEqual(interpreted);
    }
    const { reg, mem } = x87Forms();
    // 387 + FCOMI/FCOMIP/FUCOMI/FUCOMIP + FCMOVcc: the register forms by mnemonic, the memory forms by operand type.
    expect(reg.length).toBe(66);
    expect(mem.length).toBe(57);
    expect([...reg, ...mem].filter((n) => /fisttp|ffreep|fstp1/.test(n))).toEqual([]);
  });

  it('pop SS between 16- and 32-bit stacks both ways, where SP wraps and ESP carries (the lockstep seeds below)', () => {
    const STACK16 = new Set([0x58, 0x63]);
    const seen = { wrapFrom16: 0, carryFrom32: 0, lssInto16: 0, highOn16: 0 };
    for (const seed of [1, 2, 3]) {
      const m = new Machine({ memoryMiB: 64, compileAfter: Infinity });
      m.bootMultiboot(generateKernel({ seed, cases: 40, perCase: 20 }).elf, 'random', '');
      const c = m.cpu;
      for (let n = 0; n < 100_000; n++) {
        const eip = c.eip >>> 0, ss = c.segSel[2], esp = c.r32[4] >>> 0;
        const b = c.mem.bytes.subarray(eip, eip + 8);
        const popSs = b[0] === 0x17 || (b[0] === 0x66 && b[1] === 0x17);
        const lss = b.indexOf(0xb2) > 0 && b[b.indexOf(0xb2) - 1] === 0x0f;
        if (m.run(1).kind === 'exit') break;
        const ss2 = c.segSel[2], esp2 = c.r32[4] >>> 0;
        if (popSs && STACK16.has(ss) && !STACK16.has(ss2) && (esp2 & 0xffff) === 0 && esp2 >>> 16 === esp >>> 16 && esp >>> 16 !== 0) seen.wrapFrom16++;
        if (popSs && !STACK16.has(ss) && STACK16.has(ss2) && esp2 >>> 16 !== esp >>> 16) seen.carryFrom32++;
        if (lss && !STACK16.has(ss) && STACK16.has(ss2)) seen.lssInto16++;
        if (STACK16.has(ss2) && esp2 >>> 16 > 1) seen.highOn16++;
      }
    }
    expect(seen.wrapFrom16).toBeGreaterThan(0);
    expect(seen.carryFrom32).toBeGreaterThan(0);
    expect(seen.lssInto16).toBeGreaterThan(0);
    expect(seen.highOn16).toBeGreaterThan(0);
  });

  it('arm debug registers and take a #DB of each kind: instruction, data write, data read/write, I/O (the lockstep seeds below)', () => {
    const seen = { armed: 0, inst: 0, write: 0, rw: 0, io: 0, disarmedAtCaseStart: true };
    for (const seed of [1, 2, 3]) {
      const k = generateKernel({ seed, cases: 40, perCase: 20 });
      const starts = new Set(k.cases.map((c) => c.addr));
      const m = new Machine({ memoryMiB: 64, compileAfter: Infinity });
      m.bootMultiboot(k.elf, 'random', '');
      const c = m.cpu;
      let wasArmed = false;
      for (let n = 0; n < 200_000; n++) {
        const db = c.vectorCounts[1];
        const dr7 = c.dr[7];
        if (m.run(1).kind === 'exit') break;
        const armed = (c.dr[7] & 0xff) !== 0;
        if (armed && !wasArmed) seen.armed++;
        wasArmed = armed;
        if (starts.has(c.eip >>> 0) && armed) seen.disarmedAtCaseStart = false;
        if (c.vectorCounts[1] === db) continue;
        // A breakpoint's #DB: B0-B3 say which, DR7 (as it was) what it was armed as.
        const b = c.dr[6] & 0xf;
        if (b === 0 || (dr7 & 0xff) === 0) continue;
        const bp = 31 - Math.clz32(b);
        const kind = (['inst', 'write', 'io', 'rw'] as const)[(dr7 >>> (16 + 4 * bp)) & 3];
        seen[kind]++;
      }
    }
    expect(seen.armed).toBeGreaterThan(5);
    expect(seen.inst).toBeGreaterThan(0);
    expect(seen.write).toBeGreaterThan(0);
    expect(seen.rw).toBeGreaterThan(0);
    expect(seen.io).toBeGreaterThan(0);
    expect(seen.disarmedAtCaseStart).toBe(true);
  });

  it('end with the same registers interpreted and compiled', () => {
    const k = generateKernel({ seed: 11 });
    const regs = (compileAfter: number) => {
      const m = new Machine({ memoryMiB: 64, compileAfter });
      m.bootMultiboot(k.elf, 'random', '');
      m.run(10_000_000);
      return Array.from(m.cpu.r32);
    };
    expect(regs(1)).toEqual(regs(Infinity));
  });
});

describe.runIf(hasQemu())('random kernels in lockstep with QEMU', () => {
  it('run a few seeds with no divergence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lguest-random-test-'));
    try {
      let total = 0;
      for (const seed of [1, 2, 3]) {
        const opts = { seed, cases: 40, perCase: 20 };
        const path = join(dir, `random-${seed}.elf`);
        writeFileSync(path, generateKernel(opts).elf);
        const r = await lockstep(path, { history: 30 });
        expect(r.report ?? '', `seed ${seed}: replay with ${replayCommand(seed, opts)}`).toBe('');
        expect(r.end).toBe('exit');
        total += r.steps;
      }
      expect(total).toBeGreaterThan(3000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // The bounded form of the x87 campaign (scripts/x87-campaign.sh runs a million x87 instructions):
  // eight seeds of x87 streams, about 21,000 x87 instructions, every form executed, no divergence.
  it('x87 streams: 20,000 random x87 instructions in lockstep with no divergence', async () => {
    const log: string[] = [];
    const r = await runRandom({ seed: 1, runs: 8, cases: 100, perCase: 24, x87: true, log: (l) => log.push(l) });
    expect(r.divergences.map((d) => `seed ${d.seed}: ${d.report}`)).toEqual([]);
    expect(r.x87Steps).toBeGreaterThanOrEqual(20_000);
    expect(x87FormsNotExecuted(r.x87Executed)).toEqual([]);
  }, 240_000);

  it('compare the same steps through QEMU\'s log as through its gdb stub (the campaign\'s fast mode)', async () => {
    const log: string[] = [];
    const viaGdb = await runRandom({ seed: 11, runs: 2, cases: 40, perCase: 20, log: (l) => log.push(l) });
    const viaLog = await runRandom({ seed: 11, runs: 2, cases: 40, perCase: 20, viaLog: true, log: (l) => log.push(l) });
    expect(viaLog.divergences).toEqual([]);
    expect(viaGdb.divergences).toEqual([]);
    expect(viaLog.steps).toBe(viaGdb.steps);
    expect(viaLog.steps).toBeGreaterThan(3000);
  });
});
