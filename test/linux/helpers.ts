/**
 * The prebuilt Linux Guest (../shared/linux/, see its README): where it is, whether it is here, and a run of it
 * through the command line. A clone without ../shared/linux skips these tests, and their titles say so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../..');
export const LINUX = join(ROOT, '../shared/linux');
export const CLI = join(ROOT, 'dist/cli.js');

/** Are these files of the shared Linux Guest here? */
export function linuxHas(...files: string[]): boolean {
  return files.every((f) => existsSync(join(LINUX, f)));
}

/** A test title that says why it was skipped when the shared kernel is absent. */
export function linuxTitle(title: string, here: boolean): string {
  return here ? title : `${title} (skipped: ../shared/linux/ is not here)`;
}

/** lguest-vm run, to its end: status, stdout (the Guest's console) and stderr. */
export function runLinux(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'run', ...args], { timeout: 240_000, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') };
}

/** A symbol's address from System.map. */
export function symbol(name: string): number {
  const line = readFileSync(join(LINUX, 'System.map'), 'utf8').split('\n').find((l) => l.endsWith(` ${name}`));
  if (line === undefined) throw new Error(`System.map has no ${name}`);
  return parseInt(line.split(' ')[0], 16);
}
