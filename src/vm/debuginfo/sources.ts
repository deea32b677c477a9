/**
 * Finding a line table's source file on disk. The guests are built with
 * -ffile-prefix-map=$(CURDIR)=., so their tables name files relative to
 * the directory make ran in ("kernel/sched.c"), which is the parent of the
 * build/ directory holding the ELF; the Switcher's are relative to the
 * repository ("src/vm/lguest/switcher/switcher_32.S"). So a name is tried
 * against the ELF's directory, its parent, any roots the caller adds (a
 * workspace folder), then the further ancestors of the ELF.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isAbsolute } from './paths';

export function resolveSource(name: string, elfPath: string, extraRoots: string[] = [], exists: (p: string) => boolean = existsSync): string | undefined {
  if (isAbsolute(name)) return exists(name) ? name : undefined;
  const elfDir = dirname(resolve(elfPath));
  const roots = [elfDir, dirname(elfDir), ...extraRoots.map((r) => resolve(r))];
  for (let d = dirname(dirname(elfDir)); ; d = dirname(d)) {
    roots.push(d);
    if (dirname(d) === d) break;
  }
  for (const root of new Set(roots)) {
    const p = resolve(root, name);
    if (exists(p)) return p;
  }
  return undefined;
}
