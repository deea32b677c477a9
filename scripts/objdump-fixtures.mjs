#!/usr/bin/env node
// Regenerates the disassembler's expected output, test/fixtures/objdump/:
// GNU objdump's listings (`-d` -> NAME.att.txt, `-d -M intel` -> NAME.intel.txt)
// of every executable ELF under guests/ (but git-ignored intermediate
// files) and of the test inputs
// test/disasm/*.S, which it assembles and links into NAME.elf there.
// manifest.json lists each listing with its ELF and mode, for the test
// (test/disasm/objdump.test.ts), which thus needs no binutils.
//
//   node scripts/objdump-fixtures.mjs          regenerate
//   node scripts/objdump-fixtures.mjs --check  only compare; exit 1 if stale
//
// A .S file says how to build and list it in a comment line:
//   objdump-fixtures: text=0x100000 modes=i386,i8086
// (link address of .text; i386 lists it as 32-bit code, i8086 as 16-bit,
// named NAME-16 when both are listed). CROSS overrides the tool prefix.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const outDir = join(root, 'test/fixtures/objdump');
const CROSS = process.env.CROSS ?? 'i686-linux-gnu-';
const check = process.argv.includes('--check');

function run(tool, args, cwd = root) {
  return execFileSync(CROSS + tool, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });
}

/** An ELF executable (ET_EXEC), as opposed to objects and other files. */
function isElfExec(path) {
  const b = readFileSync(path);
  return b.length > 0x12 && b.readUInt32BE(0) === 0x7f454c46 && b.readUInt16LE(0x10) === 2;
}

/** Paths git ignores (intermediate build products, like guests/bare/obj/). */
function ignoredByGit(paths) {
  if (paths.length === 0) return new Set();
  try {
    const out = execFileSync('git', ['check-ignore', '--stdin'], { cwd: root, input: paths.join('\n'), encoding: 'utf8' });
    return new Set(out.split('\n').filter(Boolean));
  } catch (e) {
    // Exit status 1: nothing ignored. Without git, keep everything.
    return new Set(e.status === 1 ? [] : String(e.stdout ?? '').split('\n').filter(Boolean));
  }
}

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/** Builds a test input into `dir`; returns the ELF's path and its listing modes. */
function buildSource(src, dir) {
  const text = readFileSync(src, 'utf8');
  const m = /objdump-fixtures:\s*text=(\S+)\s+modes=(\S+)/.exec(text);
  if (!m) throw new Error(`${src}: no "objdump-fixtures: text=... modes=..." line`);
  const name = basename(src, '.S');
  const obj = join(dir, name + '.o'), elf = join(dir, name + '.elf');
  // Paths relative to the repository keep the output reproducible.
  run('as', ['--32', '-o', obj, relative(root, src)]);
  run('ld', ['-m', 'elf_i386', '-Ttext=' + m[1], '-e', '_start', '--build-id=none', '-nostdlib', '-o', elf, obj]);
  rmSync(obj);
  return { name, elf, modes: m[2].split(',') };
}

function listing(elf, mode, syntax) {
  const opts = [mode === 'i8086' ? 'i8086' : '', syntax === 'intel' ? 'intel' : ''].filter(Boolean);
  // Run next to the file so that the header line names only the file.
  return run('objdump', ['-d', ...(opts.length ? ['-M', opts.join(',')] : []), basename(elf)], dirname(elf));
}

const tmp = mkdtempSync(join(tmpdir(), 'objdump-fixtures-'));
const files = new Map(); // fixture file name -> content (string or Buffer)
const manifest = [];
try {
  const inputs = [];
  for (const src of walk(join(root, 'test/disasm')).filter((p) => p.endsWith('.S'))) {
    const b = buildSource(src, tmp);
    files.set(b.name + '.elf', readFileSync(b.elf));
    inputs.push({ ...b, ref: relative(root, join(outDir, b.name + '.elf')), source: relative(root, src) });
  }
  const guests = walk(join(root, 'guests')).map((p) => relative(root, p));
  const ignored = ignoredByGit(guests);
  for (const elf of guests.filter((p) => !ignored.has(p) && isElfExec(join(root, p))).map((p) => join(root, p))) {
    // Named by the guests/ folder and the file (bare-hello, lguest-hello): two folders may hold the same name.
    const folder = relative(join(root, 'guests'), elf).split('/')[0];
    inputs.push({ name: `${folder}-${basename(elf).replace(/\.elf$/, '')}`, elf, modes: ['i386'], ref: relative(root, elf) });
  }
  for (const input of inputs) {
    for (const mode of input.modes) {
      const name = input.name + (mode === 'i8086' && input.modes.length > 1 ? '-16' : '');
      if (manifest.some((e) => e.name === name)) throw new Error(`two inputs named ${name}`);
      manifest.push({ name, elf: input.ref, ...(input.source ? { source: input.source } : {}), code32: mode !== 'i8086' });
      files.set(name + '.att.txt', listing(input.elf, mode, 'att'));
      files.set(name + '.intel.txt', listing(input.elf, mode, 'intel'));
    }
  }
  files.set('manifest.json', JSON.stringify({ objdump: run('objdump', ['--version']).split('\n')[0], fixtures: manifest }, null, 2) + '\n');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const existing = existsSync(outDir) ? readdirSync(outDir) : [];
const stale = [];
for (const [name, content] of files) {
  const path = join(outDir, name);
  const same = existsSync(path) && Buffer.compare(readFileSync(path), Buffer.from(content)) === 0;
  if (same) continue;
  stale.push(name);
  if (!check) { mkdirSync(outDir, { recursive: true }); writeFileSync(path, content); }
}
for (const name of existing.filter((n) => !files.has(n))) {
  stale.push(name + ' (no longer generated)');
  if (!check) rmSync(join(outDir, name));
}
if (check) {
  if (stale.length) {
    console.error(`objdump fixtures out of date (run node scripts/objdump-fixtures.mjs):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`objdump fixtures up to date (${manifest.length} listings)`);
} else {
  console.log(stale.length ? `updated:\n  ${stale.join('\n  ')}` : 'nothing to update');
}
