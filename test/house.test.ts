/**
 * House rules that a careless change breaks without any other test noticing: no test times itself (a
 * loaded machine makes such a test fail at random: speed is for `npm run bench`), and the documents
 * point only at files the repository has (a user's clone has nothing else).
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';

const ROOT = join(__dirname, '..');

function walk(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.') || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, keep));
    else if (keep(p)) out.push(p);
  }
  return out;
}

describe('house rules', () => {
  it('hardening item 8: no test reads a clock to time what it tests', () => {
    const tests = [...walk(join(ROOT, 'src'), (p) => p.endsWith('.test.ts')), ...walk(join(ROOT, 'test'), (p) => p.endsWith('.test.ts'))];
    expect(tests.length).toBeGreaterThan(30);
    const timed = tests.filter((p) => /performance\.now\(|process\.hrtime|Date\.now\(\)/.test(readFileSync(p, 'utf8')));
    expect(timed.map((p) => relative(ROOT, p)), 'tests that read the clock (measure speed in bench/ instead)').toEqual([]);
  });

  it('hardening item 10: no test prints to stdout, and every test that makes a temporary directory removes it', () => {
    const tests = [...walk(join(ROOT, 'src'), (p) => p.endsWith('.test.ts')), ...walk(join(ROOT, 'test'), (p) => p.endsWith('.test.ts'))];
    const texts = tests.map((p) => ({ file: relative(ROOT, p), text: readFileSync(p, 'utf8') }));
    expect(texts.filter((t) => /console\.log\(|process\.stdout\.write\(/.test(t.text)).map((t) => t.file)).toEqual([]);
    expect(texts.filter((t) => /mkdtempSync\(/.test(t.text) && !/rmSync\(/.test(t.text)).map((t) => t.file)).toEqual([]);
  });

  it('layers import only downwards, as docs/architecture.md says', () => {
    const imports = (dir: string) => walk(join(ROOT, dir), (p) => p.endsWith('.ts') && !p.endsWith('.test.ts'))
      .flatMap((p) => [...readFileSync(p, 'utf8').matchAll(/^import [^;]*? from '([^']+)'/gm)].map((m) => ({ file: relative(ROOT, p), from: m[1] })));
    const breaking = (dir: string, bad: RegExp) => imports(dir).filter((i) => bad.test(i.from)).map((i) => `${i.file} imports ${i.from}`);
    expect(breaking('src/vm', /^vscode$|@vscode\/|debugAdapter|\/views\/|extension$/)).toEqual([]);
    expect(breaking('src/vm/cpu', /lguest/)).toEqual([]);
    expect(breaking('src/views', /debugAdapter\/(?!lguestRequests$)/)).toEqual([]);
    const viewTypes = imports('src/views').filter((i) => /lguestRequests$/.test(i.from));
    expect(viewTypes.length).toBeGreaterThan(0);
    expect(readFileSync(join(ROOT, 'src/extension.ts'), 'utf8')).not.toMatch(/from '\.\/debugAdapter\/(?!lguestRequests')/);
  });

  it('hardening item 10: the README and the docs link only to files in the repository', () => {
    const docs = [join(ROOT, 'README.md'), join(ROOT, 'README.extension.md'), ...walk(join(ROOT, 'docs'), (p) => p.endsWith('.md')),
      ...walk(join(ROOT, 'guests'), (p) => p.endsWith('README.md'))];
    const broken: string[] = [];
    for (const doc of docs) {
      for (const [, target] of readFileSync(doc, 'utf8').matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        if (!existsSync(join(dirname(doc), target))) broken.push(`${relative(ROOT, doc)} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).not.toMatch(/ARCHITECTURE\.md of the team|\.\.\/shared/);
  });
});
