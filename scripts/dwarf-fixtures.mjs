#!/usr/bin/env node
// Regenerates what the C-level tests hold our DWARF reading to:
// test/fixtures/dwarf/NAME.json, as GDB (the reference C debugger) reads
// some guest ELFs, so that the tests (src/vm/debuginfo/dwarfScopes.test.ts)
// need no GDB. For each ELF:
//   types      every struct and union GDB lists (`info types`), laid out by
//              `ptype/o`: total size, and each member's offset, size and type
//   variables  every global variable (`info variables`): its file and declaration
//   scopes     for every C function (`info functions`), the variables of its
//              block at its address (`info scope *FUNCTION`): each with the ranges
//              of its location list and what GDB says is there (a register,
//              a constant, an expression), or its single location
//
//   node scripts/dwarf-fixtures.mjs            regenerate
//   node scripts/dwarf-fixtures.mjs --check    only compare; exit 1 if stale
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const outDir = join(root, 'test/fixtures/dwarf');
const check = process.argv.includes('--check');

const GUESTS = [
  ['tour', 'guests/lguest/tour/build/tour.elf'],
  ['faults-crash', 'guests/lguest/faults/build/crash.elf'],
  // DWARF 3 and 4 (.debug_loc, .debug_ranges, no DWARF 5 forms): debuginfo-fixtures.mjs's samples.
  ['sample-dwarf3', 'test/fixtures/debuginfo/sample-dwarf3.elf'],
  ['sample-dwarf4', 'test/fixtures/debuginfo/sample-dwarf4.elf'],
];

/** Run GDB on an ELF with commands; its output. */
function gdb(elf, commands) {
  const args = ['-batch', '-nx', ...commands.flatMap((c) => ['-ex', c]), elf];
  return execFileSync('gdb', args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Names listed by `info types|variables|functions .`, per source file, C files only. */
function listed(elf, what) {
  const out = [];
  let file = null;
  for (const line of gdb(elf, [`info ${what} .`]).split('\n')) {
    const f = /^File (.*):$/.exec(line);
    if (f) { file = f[1]; continue; }
    if (!file || !file.endsWith('.c') && !file.endsWith('.h')) continue;
    const m = /^\d*:?\s+(.*);$/.exec(line);
    if (m) out.push({ file, decl: m[1] });
  }
  return out;
}

function types(elf) {
  const names = new Set();
  for (const { decl } of listed(elf, 'types')) {
    const m = /^(struct|union) (\w+)$/.exec(decl);
    if (m) names.add(`${m[1]} ${m[2]}`);
  }
  const out = {};
  for (const name of [...names].sort()) {
    const text = gdb(elf, [`ptype/o ${name}`]);
    const members = [];
    let depth = 0, size, open = null;
    for (const line of text.split('\n')) {
      // Only the members of the outermost struct. A member that is itself a struct or union is printed
      // expanded: its line ends in `{`, and `} name;` closes it.
      const m = /^\/\*\s+(\d+)(?::\s*\d+)?\s+\|\s+(\d+)\s+\*\/\s+(.*?)\s*([;{])$/.exec(line);
      if (m && depth === 1) {
        if (m[4] === ';') members.push({ offset: Number(m[1]), size: Number(m[2]), decl: m[3].trim() });
        else open = { offset: Number(m[1]), size: Number(m[2]), decl: m[3].trim() };
      }
      if (/\{\s*$/.test(line)) depth++;
      const close = /^\s*(?:\/\*.*\*\/)?\s*}\s*(.*?);?\s*$/.exec(line);
      if (close) {
        depth--;
        if (depth === 1 && open) {
          members.push({ ...open, decl: `${open.decl} ${close[1]}`.trim() });
          open = null;
        }
      }
      const t = /total size \(bytes\):\s+(\d+)/.exec(line);
      if (t && size === undefined && depth <= 1) size = Number(t[1]);
    }
    out[name] = { size, members };
  }
  return out;
}

function variables(elf) {
  return listed(elf, 'variables').map(({ file, decl }) => ({ file, decl: decl.replace(/^static /, '') }));
}

function scopes(elf) {
  const out = {};
  const fns = new Set(listed(elf, 'functions').filter((f) => f.file.endsWith('.c')).map(({ decl }) => /(\w+)\(/.exec(decl)?.[1]).filter(Boolean));
  for (const fn of [...fns].sort()) {
    const text = gdb(elf, [`info scope *${fn}`]);
    const symbols = [];
    let cur = null;
    for (const line of text.split('\n')) {
      const s = /^Symbol (\w+) is (.*)$/.exec(line);
      if (s) {
        cur = { name: s[1], ranges: [] };
        symbols.push(cur);
        if (s[2] !== 'multi-location:') cur.single = s[2].replace(/, length \d+\.$/, '');
        continue;
      }
      // A list's first line may name its base address first: "Base address 0x...  Range 0x...-0x...: ...".
      const r = /^\s+(?:Base address 0x[0-9a-f]+\s+)?Range (0x[0-9a-f]+)-(0x[0-9a-f]+): (.*)$/.exec(line);
      if (r && cur) { cur.ranges.push([Number(r[1]), Number(r[2]), r[3]]); continue; }
      const op = /^\s+\d+: (DW_OP_.*)$/.exec(line);
      if (op && cur) {
        const last = cur.ranges.at(-1);
        const text = op[1].replace(/\s+\[\$\w+\]$/, ''); // "DW_OP_breg4 16 [$esp]": the register's name is known
        if (last) last[2] += ` ${text}`;
        else cur.single = `${cur.single ?? ''} ${text}`.trim();
      }
    }
    if (symbols.length > 0) out[fn] = symbols;
  }
  return out;
}

mkdirSync(outDir, { recursive: true });
let stale = false;
for (const [name, path] of GUESTS) {
  const elf = join(root, path);
  if (!existsSync(elf)) throw new Error(`${path} is missing: make -C guests`);
  const data = { elf: path, types: types(elf), variables: variables(elf), scopes: scopes(elf) };
  const text = JSON.stringify(data, null, 1) + '\n';
  const file = join(outDir, `${name}.json`);
  if (check) {
    if (!existsSync(file) || readFileSync(file, 'utf8') !== text) { console.error(`${file} is stale`); stale = true; }
  } else writeFileSync(file, text);
}
if (stale) process.exit(1);
