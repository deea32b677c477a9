// npm run mutate [-- [--list] [NAME...]]
//
// Are lguest's page-fault (and FPU) rules really under test? For each rule, a mutant
// takes it out of the Host (one textual replacement in one source file),
// the test files that should notice are run, and the mutant is put back at
// once. Each line says "caught" (the tests failed, and which) or
// "SURVIVED" (they passed without the rule: a hole in the tests); the exit
// status is 1 if any survived. NAMEs (parts of mutant names) pick some;
// --list only lists them. Not part of `npm test`: it runs the chosen tests
// once per mutant.
//
// A mutant whose text is not in its file exactly once stops the script
// before anything is changed: the source moved on, and the mutant must be
// written again, not skipped. The file is restored from the copy read just
// before, in a finally and on Ctrl-C; never from git, since others may be
// editing the tree. Should the file change while the mutant is in, only
// the mutant's own text is put back.
import { readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const PAGE_TABLES = 'src/vm/lguest/pageTables.ts';
const DECIDE = 'src/vm/lguest/decide.ts';
const X86 = 'src/vm/lguest/x86.ts';
const HOST_WORLD = 'src/vm/lguest/hostWorld.ts';
const PAGERULES = 'test/lguest/pagerules.test.ts';
const FAULTS = 'test/lguest/faults.test.ts';
const FUZZ = 'test/lguest/fuzz.test.ts';
const FPU = 'test/lguest/fpu.test.ts';
/** Failed tests listed under a caught mutant (the first are those nearest the rule: a hang fails all after it). */
const SHOWN = 3;

/** Each: what the mutant removes, where, the exact text and what replaces it, and the tests that must catch it. */
const MUTANTS = [
  {
    name: 'read-only until dirty: every page mapped writable at once',
    file: DECIDE, from: 'const writable = (gpte & _PAGE_DIRTY) !== 0;', to: 'const writable = true;',
    tests: [PAGERULES],
  },
  {
    name: 'user/kernel: ring 3 may use a kernel page',
    file: DECIDE, from: "  if ((errcode & 4) !== 0 && (gpte & _PAGE_USER) === 0) return { kind: 'guest', why: 'its entry is the kernel\\'s and this is ring 3' };\n", to: '',
    // The fuzz test too: without the rule, some seeds make the Host fix the same fault for ever (a hang).
    tests: [PAGERULES, FUZZ], env: { LGUEST_FUZZ_SEEDS: '10' },
  },
  {
    name: 'write to read-only: a write may use a read-only page',
    file: DECIDE, from: "  if ((errcode & 2) !== 0 && (gpte & _PAGE_RW) === 0) return { kind: 'guest', why: 'its entry is read-only and this is a write' };\n", to: '',
    tests: [PAGERULES],
  },
  {
    name: 'present: a page table entry that is not present is mapped',
    file: DECIDE, from: "  if ((gpte & _PAGE_PRESENT) === 0) return { kind: 'guest', why: 'its page table entry is not present' };\n", to: '',
    tests: [PAGERULES],
  },
  {
    name: 'present: a page directory entry that is not present is followed',
    file: DECIDE, from: "    if ((gpgd & _PAGE_PRESENT) === 0) return { kind: 'guest', why: 'its page directory entry is not present' };\n", to: '',
    tests: [PAGERULES],
  },
  {
    name: 'accessed: A is not set in the Guest\'s entry',
    file: DECIDE, from: '  gpte |= _PAGE_ACCESSED;\n', to: '',
    tests: [PAGERULES],
  },
  {
    name: 'dirty: D is not set in the Guest\'s entry on a write',
    file: DECIDE, from: '  if ((errcode & 2) !== 0) gpte |= _PAGE_DIRTY;\n', to: '',
    tests: [PAGERULES],
  },
  {
    name: 'the Switcher\'s addresses are filled from the Guest\'s tables',
    file: DECIDE, from: '  if (vaddr >= SWITCHER_ADDR) return { kind: \'guest\', why: "the Switcher\'s pages are never the Guest\'s" };\n', to: '',
    tests: [PAGERULES],
  },
  {
    name: 'PSE kill: a page table entry with PSE is used',
    file: DECIDE, from: '(gpte & _PAGE_PSE) !== 0 || gpte >>> 12 >= lg.pfnLimit', to: 'gpte >>> 12 >= lg.pfnLimit',
    tests: [FAULTS, PAGERULES],
  },
  {
    name: 'past-memory kill: a page table entry past memory is used',
    file: DECIDE, from: '(gpte & _PAGE_PSE) !== 0 || gpte >>> 12 >= lg.pfnLimit', to: '(gpte & _PAGE_PSE) !== 0',
    tests: [FAULTS, PAGERULES],
  },
  {
    name: 'directory entry kill: any flags (PSE among them) are used',
    file: DECIDE, from: '(gpgd & FLAGS & ~_PAGE_TABLE) !== 0 || gpgd >>> 12 >= lg.pfnLimit', to: 'gpgd >>> 12 >= lg.pfnLimit',
    tests: [FAULTS],
  },
  {
    name: 'past-memory kill: a page directory entry past memory is followed',
    file: DECIDE, from: '(gpgd & FLAGS & ~_PAGE_TABLE) !== 0 || gpgd >>> 12 >= lg.pfnLimit', to: '(gpgd & FLAGS & ~_PAGE_TABLE) !== 0',
    tests: [FAULTS],
  },
  {
    name: 'directory entry: a write may go through a read-only one',
    file: DECIDE, from: "  if ((errcode & 2) !== 0 && (gpgd & _PAGE_RW) === 0) return { kind: 'guest', why: 'its directory entry is read-only and this is a write' };\n", to: '',
    tests: [FUZZ], env: { LGUEST_FUZZ_SEEDS: '1' },
  },
  {
    name: 'directory entry: ring 3 may go through a kernel one',
    file: DECIDE, from: "  if ((errcode & 4) !== 0 && (gpgd & _PAGE_USER) === 0) return { kind: 'guest', why: 'its directory entry is the kernel\\'s and this is ring 3' };\n", to: '',
    tests: [FUZZ], env: { LGUEST_FUZZ_SEEDS: '1' },
  },
  {
    name: 'SET_PTE: an accessed entry goes in unchecked',
    file: PAGE_TABLES, from: "      if (badGpte(this.lg, gpte)) {\n        this.lg.kill('bad page table entry');\n        return;\n      }\n", to: '',
    tests: [PAGERULES],
  },
  {
    name: 'SET_PTE: a device frame goes into the shadow like memory',
    file: PAGE_TABLES, from: ' && !gpteInIomem(this.lg, gpte)) {', to: ') {',
    tests: [PAGERULES],
  },
  {
    name: 'demand_page: a device frame is mapped like memory',
    file: DECIDE, from: "  if (gpteInIomem(lg, gpte)) return { kind: 'mmio'", to: "  if (false) return { kind: 'mmio'",
    tests: [FAULTS],
  },
  {
    name: 'SET_PTE: an accessed entry waits for a fault like any other',
    file: PAGE_TABLES, from: 'if ((gpte & (_PAGE_DIRTY | _PAGE_ACCESSED)) !== 0 && !gpteInIomem(this.lg, gpte)) {', to: 'if (false) {',
    tests: [PAGERULES],
  },
  {
    name: '#NM: one from a TS that was not the Guest\'s is reflected to it too',
    file: DECIDE, from: "return lg.ts !== 0 ? null : { kind: 'clts' };", to: 'return null;',
    tests: [FPU],
  },
  {
    name: 'TS: the Guest runs with CR0.TS whatever it asked for',
    file: X86, from: '  if (lg.ts !== 0) c.cr0 |= CR0_TS;\n', to: '  c.cr0 |= CR0_TS;\n',
    tests: [FPU],
  },
  {
    name: 'MP: WAIT runs on under the Guest\'s TS',
    file: HOST_WORLD, from: 'CR0_PE | CR0_MP | CR0_ET', to: 'CR0_PE | CR0_ET',
    tests: [FPU],
  },
];

const count = (text, part) => text.split(part).length - 1;

/** The mutants to run, every one checked against its file first. */
function chosen(names) {
  const picked = names.length === 0 ? MUTANTS : MUTANTS.filter((m) => names.some((n) => m.name.includes(n)));
  if (picked.length === 0) throw new Error(`no mutant's name contains ${names.join(' or ')}`);
  for (const m of picked) {
    const n = count(readFileSync(join(ROOT, m.file), 'utf8'), m.from);
    if (n !== 1) throw new Error(`mutant "${m.name}": its text is in ${m.file} ${n} times, not once:\n${m.from}`);
  }
  return picked;
}

let child = null;

/** npx vitest run FILES: its exit status and the tests that failed. */
function vitest(files, env) {
  return new Promise((resolve, reject) => {
    let out = '';
    child = spawn('npx', ['vitest', 'run', ...files], { cwd: ROOT, env: { ...process.env, ...env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (status) => {
      child = null;
      const failed = [...new Set(out.split('\n').filter((l) => /^\s*FAIL\s+\S+\.test\.ts >/.test(l)).map((l) => l.trim().replace(/^FAIL\s+/, '')))];
      resolve({ status, failed, out });
    });
  });
}

/** The file back as it was; if someone changed it meanwhile, only the mutant's text is taken out. */
function restore(m, original, mutated) {
  const path = join(ROOT, m.file), now = readFileSync(path, 'utf8');
  if (now === mutated) writeFileSync(path, original);
  else if (m.to !== '' && count(now, m.to) === 1) writeFileSync(path, now.replace(m.to, m.from));
  else if (now !== original) throw new Error(`${m.file} changed while mutant "${m.name}" was in: take it out by hand (it replaced\n${m.from}\nwith\n${JSON.stringify(m.to)})`);
}

/** The mutant in force, for Ctrl-C. */
let applied = null;

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (applied !== null) restore(...applied);
    child?.kill('SIGTERM');
    console.log(`\nstopped: ${applied ? `${applied[0].file} restored` : 'nothing was changed'}`);
    process.exit(130);
  });
}

async function main() {
  const args = process.argv.slice(2);
  const mutants = chosen(args.filter((a) => a !== '--list'));
  if (args.includes('--list')) {
    for (const m of mutants) console.log(`${m.name}  (${m.file}; ${m.tests.join(' ')})`);
    return 0;
  }
  // The tests must pass as they are, or a failure under a mutant would say nothing.
  const files = [...new Set(mutants.flatMap((m) => m.tests))];
  const base = await vitest(files, {});
  if (base.status !== 0) {
    console.log(`the tests fail with no mutant in: ${files.join(' ')}\n${base.out}`);
    return 2;
  }
  let survived = 0;
  for (const m of mutants) {
    const path = join(ROOT, m.file), original = readFileSync(path, 'utf8');
    if (count(original, m.from) !== 1) throw new Error(`mutant "${m.name}": ${m.file} changed under us`);
    const mutated = original.replace(m.from, m.to);
    let result;
    try {
      applied = [m, original, mutated];
      writeFileSync(path, mutated);
      result = await vitest(m.tests, m.env ?? {});
    } finally {
      if (applied !== null) restore(...applied);
      applied = null;
    }
    if (result.status === 0) survived++;
    console.log(`${result.status === 0 ? 'SURVIVED' : 'caught  '}  ${m.name}`);
    for (const t of result.failed.slice(0, SHOWN)) console.log(`            ${t}`);
    if (result.failed.length > SHOWN) console.log(`            and ${result.failed.length - SHOWN} more`);
  }
  console.log(`${mutants.length - survived} of ${mutants.length} mutants caught`);
  return survived === 0 ? 0 : 1;
}

main().then((status) => { process.exitCode = status; }, (e) => { console.error(e.message); process.exitCode = 2; });
