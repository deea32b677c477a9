/**
 * Our bare-metal test kernels print the same bytes, and end with the same
 * status, on our machine as on QEMU. QEMU's output is recorded in
 * guests/bare/expected/ (scripts/record-bare-expected.sh), so this runs
 * without QEMU; where QEMU is installed, it is also run live and must still
 * agree with the recording.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Machine } from '../../src/vm/machine';

const DIR = join(__dirname, '../../guests/bare');
const kernels = readdirSync(join(DIR, 'expected')).filter((f) => f.endsWith('.out')).map((f) => f.slice(0, -4)).sort();
/** Kernels too long for the default run (the benchmark) run with a short command line. */
const CMDLINE: Record<string, string> = { bench: 'iterations=2' };

function hasQemu(): boolean {
  try {
    execFileSync('qemu-system-i386', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function runOurs(name: string): { out: Buffer; status: number; reason?: string } {
  const bytes: number[] = [];
  const m = new Machine({ memoryMiB: 64, output: (b) => bytes.push(b) });
  m.bootMultiboot(new Uint8Array(readFileSync(join(DIR, 'build', `${name}.elf`))), name, CMDLINE[name] ?? '');
  const r = m.run(2_000_000_000);
  const status = r.kind === 'exit' ? r.status : -1;
  return { out: Buffer.from(bytes), status, reason: r.kind === 'fault' ? r.reason : r.kind };
}

describe('bare-metal kernels print what QEMU prints', () => {
  it('has kernels to compare', () => {
    expect(kernels.length).toBeGreaterThanOrEqual(8);
  });
  for (const name of kernels) {
    it(name, () => {
      const expected = readFileSync(join(DIR, 'expected', `${name}.out`));
      const expectedStatus = Number(readFileSync(join(DIR, 'expected', `${name}.status`), 'utf8').trim());
      const ours = runOurs(name);
      expect(ours.out.toString('latin1')).toBe(expected.toString('latin1'));
      if (expectedStatus === 0 && expected.length === 0) {
        // QEMU -no-reboot ends a triple-faulted kernel silently with status 0; we stop it with a reason.
        expect(ours.reason).toMatch(/triple fault/);
      } else {
        expect(ours.status).toBe(expectedStatus);
      }
    });
  }
});

describe.runIf(hasQemu())('QEMU still prints what was recorded', () => {
  for (const name of kernels) {
    if (!existsSync(join(DIR, 'build', `${name}.elf`))) continue;
    it(name, () => {
      const serial = name === 'uart';
      const args = ['-kernel', join(DIR, 'build', `${name}.elf`), '-display', 'none', '-m', '64', '-no-reboot', '-nodefaults',
        ...(serial ? ['-serial', 'stdio'] : ['-debugcon', 'stdio']), '-device', 'isa-debug-exit,iobase=0xf4,iosize=1'];
      if (CMDLINE[name]) args.push('-append', CMDLINE[name]);
      const q = spawnSync('qemu-system-i386', args, { timeout: 60_000 });
      expect(q.stdout.toString('latin1')).toBe(readFileSync(join(DIR, 'expected', `${name}.out`)).toString('latin1'));
      expect(q.status).toBe(Number(readFileSync(join(DIR, 'expected', `${name}.status`), 'utf8').trim()));
    });
  }
});
