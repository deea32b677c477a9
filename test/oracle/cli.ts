/**
 * npm run oracle -- [--max-steps N] [--args TEXT] [KERNEL.elf ...]
 * npm run oracle -- --log [--max-steps N] [--args TEXT] [KERNEL.elf ...]
 * npm run oracle -- --random [--x87 [--x87-env-every]] [--log] [--seed S] [--runs R] [--cases N] [--per-case K] [--max-steps N] [--keep DIR] [--known-bugs]
 * npm run oracle -- --random --exclusions
 *
 * Run kernels in lockstep with QEMU (default: the bare test kernels short
 * enough for it, see kernels.ts) and report the steps compared, the
 * time, and the first divergence if any. Exit status 1 on a divergence.
 * With --log, the same comparison against QEMU's execution log instead of
 * its gdb stub (logstep.ts): ~40 times faster, for the long kernels.
 *
 * With --random, kernels of random instructions (random/generator.ts) for
 * seeds S..S+R-1: each seed's steps, time, and on a divergence the report
 * and the command that replays it. --exclusions prints EXCLUSIONS.md.
 * With --x87, the kernels are x87 streams (random/x87.ts): the summary
 * then counts the x87 instructions compared, the x87 forms never executed,
 * and how often each of QEMU's x87 departures was masked.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { lockstep } from './lockstep';
import { logstep } from './logstep';
import { runRandom, notExecuted, x87FormsNotExecuted } from './random/run';
import { exclusionsMarkdown } from './random/exclusions';
import { DEFAULT_KERNELS } from './kernels';
import { parseArgsErrorLine } from '../../src/cliArgs';

function parseOptions() {
  return parseArgs({
    allowPositionals: true,
    options: {
      'max-steps': { type: 'string' }, args: { type: 'string' }, log: { type: 'boolean' },
      random: { type: 'boolean' }, seed: { type: 'string' }, runs: { type: 'string' }, cases: { type: 'string' }, 'per-case': { type: 'string' },
      keep: { type: 'string' }, exclusions: { type: 'boolean' }, 'known-bugs': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      x87: { type: 'boolean' }, 'x87-env-every': { type: 'boolean' },
    },
  });
}

/** The usage, as this file's opening comment says it. */
const USAGE = `usage: npm run oracle -- [--max-steps N] [--args TEXT] [KERNEL.elf ...]
       npm run oracle -- --log [--max-steps N] [--args TEXT] [KERNEL.elf ...]
       npm run oracle -- --random [--x87 [--x87-env-every]] [--log] [--seed S] [--runs R] [--cases N] [--per-case K] [--max-steps N] [--keep DIR] [--known-bugs]
       npm run oracle -- --random --exclusions
Runs kernels (default: the bare test kernels) in lockstep with QEMU (its gdb stub, or with --log its execution log),
or kernels of random instructions for seeds S..S+R-1, and reports the steps compared and the first divergence.
Exit status 1 on a divergence, 64 for a bad command line.`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions();
  } catch (e) {
    const line = parseArgsErrorLine(e, 'npm run oracle --');
    if (line === null) throw e;
    console.error(`oracle: ${line}`);
    return 64;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.random) {
    if (values.exclusions) {
      process.stdout.write(exclusionsMarkdown());
      return 0;
    }
    const o = {
      seed: Number(values.seed ?? 1), runs: Number(values.runs ?? 1), cases: Number(values.cases ?? 100), perCase: Number(values['per-case'] ?? 24),
      maxSteps: values['max-steps'] ? Number(values['max-steps']) : undefined, keep: values.keep, knownBugs: values['known-bugs'],
      viaLog: values.log, x87: values.x87, x87EnvEvery: values['x87-env-every'],
    };
    const r = await runRandom(o);
    const missed = notExecuted(r.executed);
    console.log(`${r.seeds} seeds (${o.seed}..${o.seed + r.seeds - 1}), ${r.steps} steps compared in ${r.seconds.toFixed(1)} s, ${r.divergences.length} divergences`);
    if (!o.viaLog) console.log(`${r.breakpointDbs} debug-register #DBs (instruction, data, I/O breakpoints) compared`);
    if (o.viaLog) console.log(`${r.logOnly.length} seeds diverged in QEMU's log only, and compared equal through its gdb stub: ${r.logOnly.join(', ') || 'none'}`);
    if (o.x87 && !o.viaLog) {
      const missedX87 = x87FormsNotExecuted(r.x87Executed);
      console.log(`${r.x87Steps} x87 instructions compared; x87 forms executed: ${r.x87Executed.size}, generated but not executed (${missedX87.length}): ${missedX87.join(', ') || 'none'}`);
      console.log(`QEMU's x87 departures masked: ${[...r.x87Masked].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
    } else if (!o.viaLog) console.log(`${r.executed.size} rows of the opcode map executed and compared; generated rows not executed (${missed.length}): ${missed.join(', ') || 'none'}`);
    return r.divergences.length > 0 ? 1 : 0;
  }
  const root = join(__dirname, '..');
  const kernels = positionals.length > 0 ? positionals : DEFAULT_KERNELS.map((k) => join(root, 'guests/bare/build', `${k}.elf`));
  let failed = false;
  for (const k of kernels) {
    const o = { maxSteps: values['max-steps'] ? Number(values['max-steps']) : undefined, args: values.args };
    const l = values.log ? await logstep(k, o) : null;
    const r = l ?? await lockstep(k, o);
    const extra = l !== null ? ` [log: ${(l.bytes / 1e9).toFixed(2)} GB; ${l.masked} steps with undefined flags taken from QEMU, ${l.merged} merged steps, ${l.repeats} repeated states]` : '';
    console.log(`${k}: ${r.steps} steps in ${r.seconds.toFixed(1)} s (${Math.round(r.steps / r.seconds)}/s): ${r.end}${extra}`);
    if (r.report) {
      console.log(r.report);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

main().then((s) => { process.exitCode = s; }, (e) => { console.error(e); process.exitCode = 2; });
