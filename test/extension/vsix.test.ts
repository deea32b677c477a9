/**
 * What the .vsix ships, as `vsce ls` lists it with the flags of `npm run package`: a user who installs
 * it gets a readme written for users, and sample Guests whose Makefiles find everything they include.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';

const ROOT = join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const packageScript: string = pkg.scripts.package;
const readmePath = /--readme-path (\S+)/.exec(packageScript)?.[1];
const hasMake = spawnSync('make', ['--version']).status === 0;

let files: string[] = [];
let copy = '';

beforeAll(() => {
  const vsce = join(ROOT, 'node_modules/.bin/vsce');
  const r = spawnSync(vsce, ['ls', '--no-dependencies', ...(readmePath ? ['--readme-path', readmePath] : [])], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  files = r.stdout.split('\n').filter((l) => l !== '');
  // The shipped files alone, as a user's installed extension has them.
  copy = mkdtempSync(join(tmpdir(), 'lguest-vsix-'));
  for (const f of files) {
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(copy, f));
  }
});
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('hardening item 10: the .vsix', () => {
  it('has a readme for users of the extension, not the developers\' README', () => {
    expect(readmePath).toBeDefined();
    expect(files).toContain(readmePath);
    expect(files).not.toContain('README.md');
    const readme = readFileSync(join(ROOT, readmePath!), 'utf8');
    expect(readme).not.toMatch(/npm (test|ci)/);
    // Every document it names is shipped with it.
    for (const [, doc] of readme.matchAll(/`(docs\/[\w.-]+\.md)`/g)) expect(files).toContain(doc);
  });

  it('names no placeholder repository', () => {
    expect(JSON.stringify(pkg.repository ?? {})).not.toMatch(/example\.(invalid|com)|placeholder/);
    expect(packageScript).toMatch(pkg.repository ? /vsce package/ : /--allow-missing-repository/);
  });

  it('ships the sample Guests\' sources with every file their Makefiles need', () => {
    const makefiles = files.filter((f) => f.endsWith('/Makefile'));
    expect(makefiles).toEqual(expect.arrayContaining(['guests/lguest/Makefile', 'guests/lguest/tour/Makefile']));
    for (const f of makefiles) {
      for (const [, inc] of readFileSync(join(ROOT, f), 'utf8').matchAll(/^include (\S+)$/gm)) {
        expect(files, `${f} includes ${inc}`).toContain(join(dirname(f), inc));
      }
    }
  });

  it.skipIf(!hasMake)('lets make plan a full rebuild of each shipped Guest from the shipped files alone', () => {
    for (const f of files.filter((x) => x.endsWith('/Makefile'))) {
      const r = spawnSync('make', ['-n', '-B', '-C', join(copy, dirname(f))], { encoding: 'utf8' });
      expect(r.status, `make -n -B in ${dirname(f)}: ${r.stderr}`).toBe(0);
    }
  });
});
