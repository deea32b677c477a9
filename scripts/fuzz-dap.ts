/**
 * `npm run fuzz:dap -- [--frames N] [--seed S] [--batch B]`: a fuzzing
 * campaign against the debug adapter's protocol edge (test/adapter/dapFuzzer.ts
 * says what it sends), on the built adapter and the tour Guest. Prints its
 * counts; exits 1 if the adapter died, hung, or answered with a JavaScript
 * error, 64 for bad arguments.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCampaign } from '../test/adapter/dapFuzzer';

const ROOT = join(__dirname, '..');
const TOUR = join(ROOT, 'guests/lguest/tour');
const USAGE = 'usage: npm run fuzz:dap -- [--frames N] [--seed S] [--batch B]';

async function main(): Promise<number> {
  let values;
  try {
    const options = {
      frames: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      batch: { type: 'string', default: '25' },
    } as const;
    ({ values } = parseArgs({ options }));
  } catch (e) {
    process.stderr.write(`fuzz:dap: ${(e as Error).message}\n${USAGE}\n`);
    return 64;
  }
  const [frames, seed, batch] = [values.frames, values.seed, values.batch].map(Number);
  if (![frames, seed, batch].every((n) => Number.isSafeInteger(n) && n >= 0) || batch < 1) {
    process.stderr.write('fuzz:dap: --frames, --seed and --batch take whole numbers (--batch at least 1)\n');
    return 64;
  }
  const started = Date.now();
  const { counts: c, problems } = await runCampaign({
    frames, seed, batch,
    program: join(TOUR, 'build/tour.elf'),
    adapter: join(ROOT, 'dist/debugAdapter.js'),
    sources: ['kernel/main.c', 'kernel/sched.c', 'kernel/traps.c', 'kernel/mm.c'].map((f) => join(TOUR, f)),
    onProgress: (now) => {
      if (now.livenessChecks % 400 === 0) process.stderr.write(`fuzz:dap: ${now.frames} frames...\n`);
    },
  });
  process.stdout.write([
    `fuzz:dap seed ${seed}: ${c.frames} frames (${c.requests} requests, ${c.broken} broken frames)`
      + ` over ${c.sessions} sessions, in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    `  responses ${c.responses} (errors ${c.errors}), frames skipped by the adapter ${c.skipped},`
      + ` liveness checks ${c.livenessChecks}`,
    `  deaths ${c.deaths}, hangs ${c.hangs}, internal errors ${c.internalErrors}`,
    ...problems.map((p) => `  ! ${p}`),
  ].join('\n') + '\n');
  return c.deaths + c.hangs + c.internalErrors === 0 ? 0 : 1;
}

main().then((status) => process.exit(status));
