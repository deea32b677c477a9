// npm run bench, the FPU part: x87 work on our CPU beside QEMU's, timed by
// each process's CPU time as well as its wall time.
//
// The workload is guests/bare/build/fpbench.elf: each iteration draws the
// same corner of the Mandelbrot set and moves the n-body problem's five
// bodies 50 steps, all in long double (FADD/FMUL/FDIV/FSQRT, FCOMI, loads
// and stores of m80). Every iteration runs the same instructions, so the
// count is exact and known for any number of iterations: ours says it for
// one and two (c1, c2), and count(n) = c1 + (n - 1)(c2 - c1), which the
// timed run confirms. Guest MIPS = that count / the process's CPU time.
// QEMU runs the same kernel for the same iterations (the count is the
// same: it is the same program), and, since that is over in a fraction of a
// second, for many more too; its firmware start-up (a run with no
// iterations) is shown and taken off. Nothing here asserts a time.
//
// BENCH_FPU_ITERATIONS (default 4), BENCH_FPU_QEMU_ITERATIONS (default
// 100), BENCH_REPEATS (default 3: the run with the least CPU time is kept).
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timed, leastCpu } from './cputime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli.js');
const kernel = join(root, 'guests/bare/build/fpbench.elf');
const iterations = Number(process.env.BENCH_FPU_ITERATIONS ?? 4);
const qemuIterations = Number(process.env.BENCH_FPU_QEMU_ITERATIONS ?? 100);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

function ours(n) {
  const r = timed(process.execPath, [cli, 'run', '--bare', '--stats', '--cmdline', `iterations=${n}`, kernel]);
  if (r.status !== 1) throw new Error(`lguest-vm failed (${r.status}): ${r.stderr}`);
  return { ...r, instructions: Number(/^instructions: (\d+)$/m.exec(r.stderr)[1]) };
}

function qemu(n) {
  const r = timed(join(root, 'scripts/qemu-bare.sh'), [kernel, `iterations=${n}`]);
  return r.status === 1 ? r : null;
}

const repeat = (f) => leastCpu(Array.from({ length: repeats }, f).filter(Boolean));
const s = (x) => `${x.toFixed(3)} s`;
const mips = (count, seconds) => (count / seconds / 1e6).toFixed(1);

if (!existsSync(kernel)) throw new Error(`${kernel} is missing: run make -C guests`);
const c1 = ours(1).instructions, perIteration = ours(2).instructions - c1;
const count = (n) => c1 + (n - 1) * perIteration;
console.log(`\nFPU benchmark: guests/bare/build/fpbench.elf (long double Mandelbrot and n-body), ${perIteration} instructions an iteration, best of ${repeats} by CPU time`);
const row = (who, n, r, mipsText) =>
  console.log(`  ${who.padEnd(10)} ${String(n).padStart(4)} iterations ${String(count(n)).padStart(11)} instructions  CPU ${s(r.cpu).padStart(9)}  wall ${s(r.wall).padStart(9)}  ${mipsText}`);

const us = repeat(() => ours(iterations));
if (us.instructions !== count(iterations)) {
  throw new Error(`fpbench ran ${us.instructions} instructions for ${iterations} iterations, not ${count(iterations)}: not linear`);
}
row('lguest-vm', iterations, us, `guest MIPS ${mips(us.instructions, us.cpu)} by CPU time, ${mips(us.instructions, us.wall)} by wall time`);

const hasQemu = timed('qemu-system-i386', ['--version']).status === 0;
if (hasQemu) {
  const start = repeat(() => qemu(0));
  const show = (n) => {
    const q = repeat(() => qemu(n));
    const cpu = Math.max(q.cpu - start.cpu, 1e-3), wall = Math.max(q.wall - start.wall, 1e-3);
    row('QEMU TCG', n, q, `guest MIPS ${mips(count(n), cpu)} by CPU time, ${mips(count(n), wall)} by wall time, less the start-up`);
    return q;
  };
  console.log(`  ${'QEMU TCG'.padEnd(10)} start-up (no iterations): CPU ${s(start.cpu)}, wall ${s(start.wall)}`);
  const same = show(iterations);
  show(qemuIterations);
  console.log(`  output: ${same.stdout === us.stdout ? 'the same' : 'DIFFERS'} at ${iterations} iterations`);
} else {
  console.log('  QEMU       not installed (qemu-system-i386): no comparison');
}
