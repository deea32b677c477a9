// A child process's CPU time beside its wall time, for the benchmarks: the
// command runs under bash, whose `times` then prints the CPU time of its
// children (user and system, every thread of theirs, to the millisecond)
// on stderr. Nothing here asserts a time.
import { spawnSync } from 'node:child_process';

/** Run `cmd args`; its status, stdout, stderr (without bash's lines), wall time and CPU time in seconds. */
export function timed(cmd, args, options = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', '"$@"; s=$?; times >&2; exit $s', 'timed', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error) return { status: null, stdout: '', stderr: String(r.error), wall, cpu: NaN };
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  // The last line: the children's user and system time, as "0m1.234s 0m0.056s".
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines.at(-1) ?? '');
  const cpu = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : NaN;
  return { status: r.status, stdout: r.stdout, stderr: lines.slice(0, -2).join('\n'), wall, cpu };
}

/** The run with the least CPU time. */
export function leastCpu(runs) {
  return runs.reduce((a, b) => (b.cpu < a.cpu ? b : a));
}
