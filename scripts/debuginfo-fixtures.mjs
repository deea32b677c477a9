#!/usr/bin/env node
// Regenerates the debug-information tests' expected data,
// test/fixtures/debuginfo/NAME.json: what GNU binutils read in the DWARF of
// some guest ELFs and of small samples, so that the tests
// (src/vm/debuginfo/*.test.ts) need no toolchain. For each ELF:
//   lines      every row of .debug_line (readelf --debug-dump=decodedline):
//              [address, file, line, is_stmt] or, ending a sequence, [address]
//   addr2line  the file and line addr2line gives for each row's address
//              (and the next byte): [address, path, line]
//   frames     the CFI rows of every FDE (readelf --debug-dump=frames-interp)
//
// The samples (samples/*.c, *.S, *.s built with DWARF 3, 4 and 5, and with
// .eh_frame) are built into test/fixtures/debuginfo/NAME.elf when missing;
// --rebuild builds them again (the ELFs are committed: another compiler
// version makes other code).
//
//   node scripts/debuginfo-fixtures.mjs            regenerate
//   node scripts/debuginfo-fixtures.mjs --check    only compare; exit 1 if stale
//   node scripts/debuginfo-fixtures.mjs --rebuild  rebuild the samples too
// CROSS overrides the tool prefix (i686-linux-gnu-).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const outDir = join(root, 'test/fixtures/debuginfo');
const samples = join(outDir, 'samples');
const CROSS = process.env.CROSS ?? 'i686-linux-gnu-';
const check = process.argv.includes('--check');
const rebuild = process.argv.includes('--rebuild');

const GUESTS = [
  ['tour', 'guests/lguest/tour/build/tour.elf'],
  ['lguest-hello', 'guests/lguest/build/hello.elf'],
  ['switcher', 'src/vm/lguest/switcher/build/switcher.elf'],
  ['bare-hello', 'guests/bare/build/hello.elf'],
  ['faults-crash', 'guests/lguest/faults/build/crash.elf'],
];

// The samples: NAME, gcc flags, and the objects to link.
const CFLAGS = ['-m32', '-march=i686', '-O2', '-fno-omit-frame-pointer', '-ffreestanding', '-fno-builtin', '-nostdlib',
  '-fno-pic', '-fno-pie', '-fno-stack-protector', '-fcf-protection=none', `-ffile-prefix-map=${root}=.`];
const SAMPLES = [
  // DWARF 3 line tables; GCC writes .debug_frame itself (CIE version 3).
  ['sample-dwarf3', ['-gdwarf-3', '-fno-dwarf2-cfi-asm', '-fno-asynchronous-unwind-tables'], ['sample.c', 'sample_asm.S']],
  // DWARF 4; gas writes .debug_frame (CIE version 1) from .cfi directives.
  ['sample-dwarf4', ['-gdwarf-4', '-fno-asynchronous-unwind-tables'], ['sample.c', 'sample_asm.S']],
  // DWARF 5, with a hand-written unit whose files have MD5 sums.
  ['sample-dwarf5', ['-gdwarf-5', '-fno-dwarf2-cfi-asm', '-fno-asynchronous-unwind-tables'], ['sample.c', 'sample_asm.S', 'md5.s']],
  // .eh_frame ("zR", pc-relative pointers) instead of .debug_frame.
  ['sample-eh', ['-gdwarf-4', '-fasynchronous-unwind-tables'], ['sample.c', 'sample_asm.S']],
];

function run(tool, args, opts = {}) {
  return execFileSync(CROSS + tool, args, { cwd: root, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...opts });
}

/** Builds a sample into test/fixtures/debuginfo/NAME.elf (paths relative to the repository keep it reproducible). */
function buildSample(name, flags, sources) {
  const tmp = mkdtempSync(join(tmpdir(), 'debuginfo-fixtures-'));
  try {
    const objs = sources.map((src) => {
      const obj = join(tmp, src.replace(/\.\w+$/, '.o'));
      const path = relative(root, join(samples, src));
      if (src.endsWith('.s')) run('as', ['--32', `--gdwarf-${/-gdwarf-(\d)/.exec(flags.join(' '))[1]}`, `--debug-prefix-map=${root}=.`, '-o', obj, path]);
      else run('gcc', [...CFLAGS, ...flags, '-c', '-o', obj, path]);
      return obj;
    });
    const elf = join(tmp, name + '.elf');
    run('ld', ['-m', 'elf_i386', '-Ttext=0x1000000', '-e', '_start', '--build-id=none', '-nostdlib', '-o', elf, ...objs]);
    copyFileSync(elf, join(outDir, name + '.elf'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const hex = (n) => n.toString(16);

/** readelf's decoded line table: rows in program order, with the file from the preceding "CU: path:" / "path:" heading. */
function decodedLines(elf) {
  const out = run('readelf', ['-W', '--debug-dump=decodedline', elf]);
  const files = [];
  const index = new Map();
  let file;
  const rows = [];
  for (const text of out.split('\n')) {
    const head = /^(?:CU: )?(.+):$/.exec(text);
    if (head && !text.startsWith('Contents of')) {
      file = head[1];
      if (!index.has(file)) { index.set(file, files.length); files.push(file); }
      continue;
    }
    const m = /^(\S+)\s+(\d+|-)\s+0x([0-9a-f]+)\s*(\d*)\s*(x?)\s*$/.exec(text);
    if (!m) continue;
    if (m[2] === '-') rows.push([m[3]]);
    else rows.push([m[3], index.get(file), Number(m[2]), m[5] === 'x' ? 1 : 0]);
  }
  return { files, rows };
}

/** addr2line's answer for each address: [address, path, line]; "??" and 0 where it has none. */
function addr2line(elf, addrs) {
  if (addrs.length === 0) return [];
  const out = run('addr2line', ['-e', elf], { input: addrs.map((a) => '0x' + hex(a)).join('\n') + '\n' }).split('\n');
  return addrs.map((a, k) => {
    const m = /^(.*):(\d+|\?)(?: \(discriminator \d+\))?$/.exec(out[k] ?? '');
    return [hex(a), m ? m[1] : '??', m && m[2] !== '?' ? Number(m[2]) : 0];
  });
}

/** The CFI rows of each FDE, as readelf --debug-dump=frames-interp prints them. */
function frames(elf) {
  const out = run('readelf', ['-W', '--debug-dump=frames-interp', elf]);
  const fdes = [];
  let section, fde;
  for (const text of out.split('\n')) {
    const sec = /^Contents of the (\S+) section:/.exec(text);
    if (sec) { section = sec[1]; fde = undefined; continue; }
    const f = /^[0-9a-f]+ [0-9a-f]+ [0-9a-f]+ FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(text);
    if (f) { fdes.push((fde = { section, pc: [f[1], f[2]], columns: [], rows: [] })); continue; }
    if (/ CIE /.test(text)) { fde = undefined; continue; }
    if (!fde) continue;
    const cols = text.trim().split(/\s+/);
    if (cols[0] === 'LOC') fde.columns = cols.slice(1);
    else if (/^[0-9a-f]+$/.test(cols[0]) && cols.length === fde.columns.length + 1) fde.rows.push(cols);
  }
  return fdes;
}

function fixture(ref) {
  const elf = join(root, ref);
  const { files, rows } = decodedLines(elf);
  // Each row's address and the byte after it (when still in the row), in order, once.
  const addrs = [];
  const seen = new Set();
  rows.forEach((r, k) => {
    if (r.length === 1) return;
    const a = parseInt(r[0], 16), next = rows[k + 1] ? parseInt(rows[k + 1][0], 16) : a;
    for (const x of next > a + 1 ? [a, a + 1] : [a]) if (!seen.has(x)) { seen.add(x); addrs.push(x); }
  });
  return {
    elf: ref,
    sha256: createHash('sha256').update(readFileSync(elf)).digest('hex'),
    binutils: run('readelf', ['--version']).split('\n')[0],
    files,
    lines: rows,
    addr2line: addr2line(elf, addrs),
    frames: frames(elf),
  };
}

/** JSON with one row (line-table row, addr2line answer, CFI row) per line, for readable diffs. */
function format(fx) {
  const rows = (a, indent) => (a.length ? `[\n${a.map((r) => indent + '  ' + JSON.stringify(r)).join(',\n')}\n${indent}]` : '[]');
  const frameText = fx.frames.map((f) => `    {"section": ${JSON.stringify(f.section)}, "pc": ${JSON.stringify(f.pc)}, "columns": ${JSON.stringify(f.columns)}, "rows": ${rows(f.rows, '    ')}}`);
  return `{
  "elf": ${JSON.stringify(fx.elf)},
  "sha256": ${JSON.stringify(fx.sha256)},
  "binutils": ${JSON.stringify(fx.binutils)},
  "files": ${JSON.stringify(fx.files)},
  "lines": ${rows(fx.lines, '  ')},
  "addr2line": ${rows(fx.addr2line, '  ')},
  "frames": ${frameText.length ? `[\n${frameText.join(',\n')}\n  ]` : '[]'}
}
`;
}

mkdirSync(outDir, { recursive: true });
const inputs = [...GUESTS];
for (const [name, flags, sources] of SAMPLES) {
  const ref = relative(root, join(outDir, name + '.elf'));
  if (!check && (rebuild || !existsSync(join(root, ref)))) buildSample(name, flags, sources);
  inputs.push([name, ref]);
}

const files = new Map();
for (const [name, ref] of inputs) files.set(name + '.json', format(fixture(ref)));

const stale = [];
for (const [name, content] of files) {
  const path = join(outDir, name);
  if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
  stale.push(name);
  if (!check) writeFileSync(path, content);
}
for (const name of readdirSync(outDir).filter((n) => n.endsWith('.json') && !files.has(n))) {
  stale.push(name + ' (no longer generated)');
  if (!check) rmSync(join(outDir, name));
}
if (check) {
  if (stale.length) {
    console.error(`debuginfo fixtures out of date (run node scripts/debuginfo-fixtures.mjs):\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`debuginfo fixtures up to date (${files.size} ELFs)`);
} else {
  console.log(stale.length ? `updated:\n  ${stale.join('\n  ')}` : 'nothing to update');
}
