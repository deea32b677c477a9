/**
 * npm run fuzz -- [--seeds N] [--first S] [--max I]
 *
 * The Host-fuzzing campaign: the fuzz Guest (guests/lguest/fuzz/) for
 * seeds S..S+N-1 (default 1..1000), each for at most I instructions
 * (default 2,000,000), with the checks of the fuzz test
 * (test/lguest/fuzzChecks.ts). Prints the seeds run, how the runs ended,
 * what the x87 case did (checks of the x87 across trips to the Host, #NM
 * handed to the Guest, #MF), and how many broke each rule (Host exceptions,
 * hangs, bad endings, kill reasons not lguest's, broken Host state, x87 not
 * the Guest's), with the first failing seeds;
 * exits 1 if any run broke a rule. One process, one core: the runs are
 * deterministic, so a failing seed replays alone with --first S --seeds 1.
 * Bundled into dist/fuzz-host.js by scripts/build.mjs.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzz, failures, ending, RULES } from '../test/lguest/fuzzChecks';

const USAGE = 'usage: npm run fuzz -- [--seeds N] [--first S] [--max I]';
/** Failing seeds listed in full; the counts cover the rest. */
const SHOWN = 20;

function options(): { seeds: number; first: number; max: number } {
  const number = { type: 'string' } as const;
  const { values } = parseArgs({ options: { seeds: number, first: number, max: number } });
  const num = (v: string | undefined, def: number) => (v === undefined ? def : Number(v));
  const o = { seeds: num(values.seeds, 1000), first: num(values.first, 1), max: num(values.max, 2_000_000) };
  if (![o.seeds, o.first, o.max].every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new Error('numbers must be whole and not negative');
  }
  return o;
}

function main(): number {
  let o;
  try {
    o = options();
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 64;
  }
  const image = new Uint8Array(readFileSync(join(__dirname, '../guests/lguest/fuzz/build/fuzz.elf')));
  const endings = new Map<string, number>();
  const broken = new Map<string, number>(RULES.map(({ rule }) => [rule, 0]));
  const failed: string[] = [];
  let deep = 0;
  const x87 = { runs: 0, checks: 0, nmRuns: 0, nm: 0, nmFixed: 0, mfRuns: 0, mf: 0 };
  const start = Date.now(), seconds = () => Math.round((Date.now() - start) / 1000);
  for (let seed = o.first; seed < o.first + o.seeds; seed++) {
    const r = fuzz(image, seed, o.max);
    endings.set(ending(r), (endings.get(ending(r)) ?? 0) + 1);
    if (r.hypercalls > 50) deep++;
    x87.runs += r.fpuChecks > 0 ? 1 : 0;
    x87.checks += r.fpuChecks;
    x87.nmRuns += r.nmReflected > 0 ? 1 : 0;
    x87.nm += r.nmReflected;
    x87.nmFixed += r.nmFixed;
    x87.mfRuns += r.mf > 0 ? 1 : 0;
    x87.mf += r.mf;
    for (const { rule, broken: breaks } of RULES) if (breaks(r) !== null) broken.set(rule, broken.get(rule)! + 1);
    const f = failures(r);
    if (f.length > 0) failed.push(...f.map((what) => `seed ${seed}: ${what}`));
    const done = seed - o.first + 1;
    if (done % 1000 === 0) console.error(`fuzz: ${done} seeds, ${failed.length} failures, ${seconds()} s`);
  }
  const count = (n: number) => String(n).padStart(7);
  console.log(`fuzz: seeds ${o.first}..${o.first + o.seeds - 1}, at most ${o.max} instructions each`);
  console.log(`${count(o.seeds)}  seeds run (${deep} past 50 hypercalls), ${seconds()} s`);
  console.log('endings:');
  const byCount = [...endings].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [k, n] of byCount) console.log(`${count(n)}  ${k}`);
  console.log(`x87: ${x87.checks} checks that the x87 came through the Host unchanged (in ${x87.runs} runs), `
    + `${x87.nm} #NM handed to the Guest for its own TS (${x87.nmRuns} runs), ${x87.nmFixed} fixed, ${x87.mf} #MF (${x87.mfRuns} runs)`);
  console.log('rules broken:');
  for (const [rule, n] of broken) console.log(`${count(n)}  ${rule}`);
  for (const line of failed.slice(0, SHOWN)) console.log(line);
  if (failed.length > SHOWN) console.log(`... and ${failed.length - SHOWN} more`);
  return failed.length === 0 ? 0 : 1;
}

process.exitCode = main();
