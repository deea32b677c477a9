/**
 * npm run oracle:record: record QEMU's checkpoints for the lockstep kernels
 * into test/fixtures/oracle/ (needs qemu-system-i386). Run it from the
 * repository's root whenever a kernel changes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { record } from './checkpoints';
import { DEFAULT_KERNELS } from './kernels';

const EVERY = 1000;

async function main(): Promise<void> {
  const version = execFileSync('qemu-system-i386', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  mkdirSync('test/fixtures/oracle', { recursive: true });
  for (const name of DEFAULT_KERNELS) {
    const kernel = `guests/bare/build/${name}.elf`;
    const t0 = Date.now();
    const rec = await record(kernel, '', EVERY, version);
    writeFileSync(join('test/fixtures/oracle', `${name}.json`), JSON.stringify(rec) + '\n');
    console.log(`${name}: ${rec.checkpoints.length} checkpoints in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
