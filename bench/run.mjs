// npm run bench: how fast the emulator runs guest code, side by side with QEMU,
// and what a system call and a page fault cost under the lguest Host.
//
// The CPU benchmark is our own bare-metal kernel (guests/bare/bench.c):
// integer work with paging on, a fixed number of instructions for a given
// iteration count. Both emulators run the same binary; guest MIPS is the
// instruction count (ours, exact and deterministic) over the time, by each
// process's CPU time (bench/cputime.mjs) and by wall time. QEMU's time
// includes its firmware start-up, so a run with zero iterations is timed
// too and subtracted. The FPU benchmark (bench/fpu.mjs) does the same with
// x87 work. Nothing here asserts a time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timed } from './cputime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli.js');
const kernel = join(root, 'guests/bare/build/bench.elf');
const iterations = Number(process.env.BENCH_ITERATIONS ?? 100);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

function ours(iters, extra = []) {
  const r = timed(process.execPath, [cli, 'run', '--bare', '--stats', ...extra, '--cmdline', `iterations=${iters}`, kernel]);
  if (r.status !== 1) throw new Error(`lguest-vm failed (${r.status}): ${r.stderr}`);
  const num = (re) => Number(re.exec(r.stderr)[1]);
  return { instructions: num(/^instructions: (\d+)$/m), seconds: num(/^wall time: ([\d.]+) s$/m), cpu: r.cpu, output: r.stdout };
}

function qemu(iters) {
  const r = timed(join(root, 'scripts/qemu-bare.sh'), [kernel, `iterations=${iters}`]);
  if (r.status !== 1) return null;
  return { seconds: r.wall, cpu: r.cpu, output: r.stdout };
}

function best(runs) {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

if (!existsSync(kernel)) throw new Error(`${kernel} is missing: run make -C guests`);
console.log(`CPU benchmark: guests/bare/build/bench.elf, iterations=${iterations}, best of ${repeats}`);
const us = best(Array.from({ length: repeats }, () => ours(iterations)));
const mipsUs = us.instructions / us.seconds / 1e6;
console.log(`  lguest-vm  ${us.instructions} instructions in ${us.seconds.toFixed(3)} s: ${mipsUs.toFixed(1)} guest MIPS`
  + ` (the process's CPU time ${us.cpu.toFixed(3)} s: ${(us.instructions / us.cpu / 1e6).toFixed(1)})`);
// The JavaScript tier alone (--no-wasm): what the WebAssembly tier, on by default, adds.
const js = best(Array.from({ length: repeats }, () => ours(iterations, ['--no-wasm'])));
if (js.output !== us.output) throw new Error('the JavaScript tier alone printed something else');
console.log(`  lguest-vm --no-wasm ${js.instructions} instructions in ${js.seconds.toFixed(3)} s: ${(js.instructions / js.seconds / 1e6).toFixed(1)} guest MIPS`
  + ` (CPU time ${js.cpu.toFixed(3)} s: ${(js.instructions / js.cpu / 1e6).toFixed(1)})`);

const hasQemu = spawnSync('qemu-system-i386', ['--version']).status === 0;
if (hasQemu) {
  const full = best(Array.from({ length: repeats }, () => qemu(iterations)).filter(Boolean));
  const empty = best(Array.from({ length: repeats }, () => qemu(0)).filter(Boolean));
  const seconds = Math.max(full.seconds - empty.seconds, 1e-6), cpu = Math.max(full.cpu - empty.cpu, 1e-3);
  const same = full.output === us.output ? 'same output' : 'OUTPUT DIFFERS';
  console.log(`  QEMU TCG   ${full.seconds.toFixed(3)} s - ${empty.seconds.toFixed(3)} s start-up = ${seconds.toFixed(3)} s: ${(us.instructions / seconds / 1e6).toFixed(1)} guest MIPS`
    + ` (CPU time ${full.cpu.toFixed(3)} s - ${empty.cpu.toFixed(3)} s = ${cpu.toFixed(3)} s: ${(us.instructions / cpu / 1e6).toFixed(1)}) (${same})`);
} else {
  console.log('  QEMU       not installed (qemu-system-i386): no comparison');
}

await import('./fpu.mjs');

// The Host: what a trip through it costs. tour's bench program makes COUNT
// system calls (getpid), or touches COUNT fresh heap pages, and prints the
// virtual time that took (one instruction per ns: the instructions, the
// Switcher's included). Each is run at two counts and the difference taken,
// so boot and the kernel's start-up cancel out. lguest measured a system
// call at 1750 ns through the Host and 270 ns as a direct trap (2007 hardware).
const tour = join(root, 'guests/lguest/tour/build/tour.elf');

function hostRun(bench, direct) {
  const args = [cli, 'run', '--stats', '--cmdline', `bench=${bench}`, tour];
  if (!direct) args.splice(2, 0, '--no-direct-traps');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lguest-vm failed (${r.status}): ${r.stderr}`);
  const m = /^bench: \w+ x (\d+): (\d+) ns$/m.exec(r.stdout);
  if (!m) throw new Error(`no bench line in: ${r.stdout}`);
  const exits = [...r.stderr.matchAll(/^exits for trap \d+ .*: (\d+)$/gm)].reduce((a, x) => a + Number(x[1]), 0);
  return { ns: Number(m[2]), seconds: Number(/^wall time: ([\d.]+) s$/m.exec(r.stderr)[1]), exits };
}

function perOperation(kind, small, large, direct) {
  const a = best(Array.from({ length: repeats }, () => hostRun(`${kind}:${small}`, direct)));
  const b = best(Array.from({ length: repeats }, () => hostRun(`${kind}:${large}`, direct)));
  const n = large - small;
  return { instructions: (b.ns - a.ns) / n, micros: ((b.seconds - a.seconds) / n) * 1e6, exits: (b.exits - a.exits) / n };
}

if (existsSync(tour)) {
  const calls = Number(process.env.BENCH_SYSCALLS ?? 200000), pages = Number(process.env.BENCH_PAGES ?? 8000);
  console.log(`\nHost benchmark: guests/lguest/tour/build/tour.elf bench=..., difference of two counts, best of ${repeats}`);
  const show = (label, r) => console.log(`  ${label.padEnd(40)} ${r.instructions.toFixed(1).padStart(7)} instructions (virtual ns), ${r.micros.toFixed(2).padStart(6)} us wall, ${r.exits.toFixed(2)} Host exits`);
  show('system call, direct trap', perOperation('getpid', 1000, 1000 + calls, true));
  show('system call, through the Host', perOperation('getpid', 1000, 1000 + calls, false));
  show('fresh page (Guest page fault + SET_PTE)', perOperation('fault', 100, 100 + pages, true));
} else {
  console.log(`\n${tour} is missing: run make -C guests`);
}

await import('./adapter.mjs');
await import('./linux.mjs');
