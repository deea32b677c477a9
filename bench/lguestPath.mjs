// The lguest path (issue 18, item 1) by each process's CPU time, in interleaved rounds so a shared
// machine's load falls on every build alike. Figures:
//   - tour's system call, direct trap: guest MIPS by CPU (the instructions and CPU time of bench=getpid:N
//     minus those of getpid:1000, so boot cancels out);
//   - the same through the Host (--no-direct-traps): CPU microseconds a call;
//   - the shared Linux kernel from launch to its first ring-3 instruction (LINUX_FIRST_USER instructions,
//     found once by running it: it is the same every run), CPU seconds, start-up included.
//
//   node bench/lguestPath.mjs [CLI.js ...]     (default dist/cli.js; give two builds to compare them)
//   BENCH_ROUNDS (5), BENCH_SYSCALLS (200000), BENCH_LINUX=0 to leave Linux out.
// Nothing here asserts a time.
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timed } from './cputime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const clis = process.argv.length > 2 ? process.argv.slice(2) : [join(root, 'dist/cli.js')];
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const calls = Number(process.env.BENCH_SYSCALLS ?? 200000);
const tour = join(root, 'guests/lguest/tour/build/tour.elf');
const linux = join(root, '../shared/linux');
const withLinux = process.env.BENCH_LINUX !== '0' && existsSync(join(linux, 'vmlinux'));
/** The first ring-3 instruction of ../shared/linux/vmlinux with its initrd and no command line is the 61,696,xxxth. */
const LINUX_FIRST_USER = 61_696_000;

function tourRun(cli, n, direct) {
  const args = [cli, 'run', '--stats', '--cmdline', `bench=getpid:${n}`, tour];
  if (!direct) args.splice(2, 0, '--no-direct-traps');
  const r = timed(process.execPath, args);
  if (r.status !== 0) throw new Error(`${cli} failed (${r.status}): ${r.stderr}`);
  return { instructions: Number(/^instructions: (\d+)$/m.exec(r.stderr)[1]), cpu: r.cpu };
}

function linuxRun(cli) {
  const r = timed(process.execPath, [cli, 'run', '--max-instructions', String(LINUX_FIRST_USER), '--initrd', join(linux, 'initrd.cpio'), join(linux, 'vmlinux')]);
  if (r.status !== 124) throw new Error(`${cli} failed (${r.status}): ${r.stderr}`);
  return r.cpu;
}

const results = clis.map(() => ({ direct: [], host: [], linux: [] }));
for (let round = 0; round < rounds; round++) {
  clis.forEach((cli, k) => {
    const a = tourRun(cli, 1000, true), b = tourRun(cli, 1000 + calls, true);
    results[k].direct.push((b.instructions - a.instructions) / (b.cpu - a.cpu) / 1e6);
    const h0 = tourRun(cli, 1000, false), h1 = tourRun(cli, 1000 + calls / 4, false);
    results[k].host.push(((h1.cpu - h0.cpu) / (calls / 4)) * 1e6);
    if (withLinux) results[k].linux.push(linuxRun(cli));
  });
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const show = (xs, digits) => `median ${median(xs).toFixed(digits)} (${xs.map((x) => x.toFixed(digits)).join(' ')})`;
clis.forEach((cli, k) => {
  const r = results[k];
  console.log(cli);
  console.log(`  system call, direct trap:      ${show(r.direct, 1)} guest MIPS by CPU`);
  console.log(`  system call, through the Host: ${show(r.host, 2)} us CPU a call`);
  if (withLinux) console.log(`  Linux to its first user instruction (${LINUX_FIRST_USER} instructions): ${show(r.linux, 2)} s CPU`);
});
