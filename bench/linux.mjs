// The Linux Guest (../shared/linux/, when it is there): what booting it costs, where the Host's time goes,
// and how fast its console carries bytes. Timed by wall clock and by the process's CPU time (bash's
// `time`, user + system), as the machine may be shared. Nothing here asserts a time.
//
//   1. vmlinux with its initramfs, a disk and rng, `lguest_test=1`: from launch to "test done" and the
//      power-off; instructions, times, and the Host's exits by reason (--stats).
//   2. The console's throughput: an initramfs of ours whose /init cats the output of `seq 1 20000`
//      (108,894 bytes) to the console, against one that cats an empty file: the difference is the
//      console's cost. (The bytes are made here, not by the Guest's `seq`, so only the console is timed.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli.js');
const linux = join(root, '../shared/linux');
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

/** lguest-vm run ARGS --stats under bash's `time`: its counters and its wall and CPU seconds. */
function run(args) {
  const quoted = [process.execPath, cli, 'run', '--stats', ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('bash', ['-c', `TIMEFORMAT='cpu %U %S'; time ${quoted} 2>&1 >/dev/null`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = r.stdout + r.stderr;
  const num = (re) => Number(re.exec(out)?.[1] ?? NaN);
  const cpu = /^cpu ([\d.]+) ([\d.]+)$/m.exec(out);
  return {
    out, instructions: num(/^instructions: (\d+)$/m), wall: num(/^wall time: ([\d.]+) s$/m),
    cpu: cpu ? Number(cpu[1]) + Number(cpu[2]) : NaN, done: out.includes('Power down'),
  };
}

const best = (runs) => runs.reduce((a, b) => (b.wall < a.wall ? b : a));

if (!existsSync(join(linux, 'vmlinux'))) {
  console.log('\nLinux benchmark: ../shared/linux/ is not here: skipped');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'lguest-bench-'));
  try {
    const disk = join(dir, 'disk.img');
    copyFileSync(join(linux, 'disk.img'), disk);
    console.log(`\nLinux benchmark: ../shared/linux/vmlinux, best of ${repeats}`);
    const boot = best(Array.from({ length: repeats }, () => run([
      join(linux, 'vmlinux'), '--initrd', join(linux, 'initrd.cpio'), '--block', disk, '--rng', '--cmdline', 'lguest_test=1',
    ])));
    console.log(`  launch to power-off (lguest_test=1): ${boot.instructions} instructions, ${boot.wall.toFixed(2)} s wall, `
      + `${boot.cpu.toFixed(2)} s CPU: ${(boot.instructions / boot.wall / 1e6).toFixed(1)} guest MIPS${boot.done ? '' : ' (NO POWER-OFF)'}`);
    for (const line of boot.out.split('\n')) {
      if (/^(exits for trap|hypercall |page faults|instructions emulated|interrupts delivered|idle)/.test(line)) console.log(`    ${line}`);
    }

    const seq = Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join('');
    writeFileSync(join(dir, 'seq.txt'), seq);
    writeFileSync(join(dir, 'empty.txt'), '');
    writeFileSync(join(dir, 'init'), '#!/bin/busybox sh\ncat /data.txt\n/bin/busybox poweroff -f\n');
    const cpio = (data) => {
      const out = join(dir, `${data}.cpio`);
      const r = spawnSync('bash', [join(root, 'scripts/mkinitramfs.sh'), '--init', join(dir, 'init'), '--add', `${join(dir, data)}:/data.txt`, '-o', out], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mkinitramfs failed: ${r.stderr}`);
      return out;
    };
    const withSeq = cpio('seq.txt'), withNothing = cpio('empty.txt');
    const timed = (initrd) => best(Array.from({ length: repeats }, () => run([join(linux, 'vmlinux'), '--initrd', initrd, '--cmdline', 'quiet'])));
    const a = timed(withNothing), b = timed(withSeq);
    const bytes = Buffer.byteLength(seq);
    console.log(`  console: ${bytes} bytes (seq 1 20000) cost ${b.instructions - a.instructions} instructions, `
      + `${(b.wall - a.wall).toFixed(2)} s wall, ${(b.cpu - a.cpu).toFixed(2)} s CPU: `
      + `${Math.round(bytes / Math.max(b.wall - a.wall, 1e-3))} bytes/s wall, `
      + `${Math.round(bytes / Math.max(b.cpu - a.cpu, 1e-3))} bytes/s CPU, ${((b.instructions - a.instructions) / bytes).toFixed(0)} instructions a byte`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The same kernel under the debugger: launch to the entry, and the first C inspection inside a Linux function.
await import('./linuxAdapter.mjs');
