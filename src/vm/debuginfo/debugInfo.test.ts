/**
 * DebugInfo against binutils and against what a debugger needs: the line
 * of every address as addr2line gives it, breakpoints on known lines of
 * the tour (C, asm, the Switcher's asm), symbols, source files on disk,
 * and the time it takes to build. The expected data comes from
 * test/fixtures/debuginfo/ (scripts/debuginfo-fixtures.mjs), which the last
 * test checks against the installed binutils when there are some.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DebugInfo } from './debugInfo';
import { readFunctionDecls } from './dwarfInfo';
import { fixture, fixtures, installedBinutils, loadElf, ROOT, sameFile } from './testFixtures';

const cache = new Map<string, DebugInfo>();
function info(name: string): DebugInfo {
  let di = cache.get(name);
  if (!di) cache.set(name, (di = new DebugInfo(loadElf(fixture(name)))));
  return di;
}

describe.each(fixtures())('lineForAddress in $name', (fx) => {
  it('agrees with addr2line at every row and the byte after', () => {
    const di = info(fx.name);
    const bad: string[] = [];
    for (const [hex, path, line] of fx.addr2line) {
      const addr = parseInt(hex, 16);
      const got = di.lineForAddress(addr);
      const ok = path === '??' ? got === null : got !== null && got.line === line && sameFile(path, got.file);
      if (!ok && bad.length < 10) bad.push(`${hex}: ${got ? `${got.file}:${got.line}` : 'null'}, addr2line: ${path}:${line}`);
    }
    expect(bad).toEqual([]);
    // The line tables were read at the first lookup: without a complaint.
    expect(di.errors).toEqual([]);
  });
});

describe('lineForAddress', () => {
  it('gives the column and the row, and null outside the line tables', () => {
    const di = info('tour');
    expect(di.lineForAddress(0xc010196c)).toEqual({ file: 'common/format.c', line: 34, column: 21, address: 0xc010196c, isStmt: false });
    expect(di.lineForAddress(0xc010196d)).toMatchObject({ line: 34, address: 0xc010196c });
    expect(di.lineForAddress(0xc0100000)).toMatchObject({ file: 'kernel/entry.S', line: 28, isStmt: true });
    expect(di.lineForAddress(0xbfffffff)).toBeNull();
    expect(di.lineForAddress(0)).toBeNull();
    const sw = info('switcher');
    expect(sw.lineForAddress(0xffc00000)).toMatchObject({ file: 'src/vm/lguest/switcher/switcher_32.S', line: 38 });
  });
});

describe('addressesForLine', () => {
  const abs = (p: string) => join(ROOT, 'guests/lguest/tour', p);

  it('finds a C line by absolute path, relative name or "./" name', () => {
    const di = info('tour');
    const want = { line: 37, addresses: [0xc0100da0] };
    expect(di.addressesForLine(abs('kernel/sched.c'), 37)).toEqual(want);
    expect(di.addressesForLine('kernel/sched.c', 37)).toEqual(want);
    expect(di.addressesForLine('./kernel/sched.c', 37)).toEqual(want);
    expect(di.addressesForLine(abs('kernel/sched.c').replace(/\//g, '\\'), 37)).toEqual(want);
    expect(di.lineForAddress(0xc0100da0)).toMatchObject({ file: 'kernel/sched.c' });
  });

  it('puts one breakpoint per function on a line the optimizer scattered', () => {
    const di = info('tour');
    // primes.c:14 `if (d * d > n)` is at 0x41000046 and again at 0x4100009c, both in primes_main.
    expect(di.addressesForLine(abs('user/primes.c'), 14)).toEqual({ line: 14, addresses: [0x41000046] });
    expect(di.addressesForLine(abs('user/primes.c'), 18)).toEqual({ line: 18, addresses: [0x41000088] });
    // format.c is compiled into the kernel and into the user library: a breakpoint in each.
    expect(di.addressesForLine(abs('common/format.c'), 28)).toEqual({ line: 28, addresses: [0x300001b0, 0xc0101940] });
  });

  it('moves a line without code to the next line with code, within the function (like gdb)', () => {
    const di = info('tour');
    const primes = abs('user/primes.c');
    expect(di.addressesForLine(primes, 7)).toEqual({ line: 8, addresses: [0x41000000] }); // the signature line
    expect(di.addressesForLine(primes, 19)).toEqual({ line: 21, addresses: [0x4100006b] }); // closing braces
    expect(di.addressesForLine(primes, 6)).toEqual({ line: 6, addresses: [] }); // before primes_main is declared
    expect(di.addressesForLine(primes, 24)).toEqual({ line: 24, addresses: [] }); // past the end
    const sched = abs('kernel/sched.c');
    expect(di.addressesForLine(sched, 35)).toEqual({ line: 36, addresses: [0xc0100da0] }); // void sched_init(void)
    expect(di.addressesForLine(sched, 34)).toEqual({ line: 34, addresses: [] }); // the comment above it
    expect(di.addressesForLine(sched, 33)).toEqual({ line: 33, addresses: [] }); // a blank line
  });

  it('finds lines of assembly', () => {
    const di = info('tour');
    expect(di.addressesForLine(abs('kernel/entry.S'), 28)).toEqual({ line: 28, addresses: [0xc0100000] });
    expect(di.addressesForLine(abs('kernel/entry.S'), 30)).toEqual({ line: 31, addresses: [0xc0100006] }); // a comment
    expect(di.addressesForLine(abs('kernel/entry.S'), 105)).toEqual({ line: 105, addresses: [0xc01000a5] }); // a macro use
    const sw = info('switcher');
    const s = join(ROOT, 'src/vm/lguest/switcher/switcher_32.S');
    expect(sw.addressesForLine(s, 38)).toEqual({ line: 38, addresses: [0xffc00000] });
    expect(sw.addressesForLine(s, 36)).toEqual({ line: 38, addresses: [0xffc00000] }); // the label
  });

  it('matches files by their whole tail, and finds nothing for other files', () => {
    const di = info('tour');
    expect(di.addressesForLine('/elsewhere/user/primes.c', 14).addresses).toEqual([0x41000046]);
    expect(di.addressesForLine('/work/main/guests/lguest/hello.c', 10).addresses).toEqual([]);
    expect(di.addressesForLine('/x/other/sched.c', 37).addresses).toEqual([]); // another sched.c
    // An absolute name in the table (built without -ffile-prefix-map) matches by its longest tail.
    const s5 = info('sample-dwarf5');
    expect(s5.addressesForLine('/work/lib/md5lib.h', 3).addresses).toEqual(s5.addressesForLine('/build/root/lib/md5lib.h', 3).addresses);
    expect(s5.addressesForLine('/work/lib/md5lib.h', 3).addresses).toHaveLength(1);
    expect(di.linesWithCode(abs('user/primes.c'))).toEqual([5, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 21, 22]);
  });

  it('works with DWARF 3, 4 and 5 tables alike', () => {
    const f = join(ROOT, 'test/fixtures/debuginfo/samples/sample.c');
    for (const n of ['sample-dwarf3', 'sample-dwarf4', 'sample-dwarf5', 'sample-eh']) {
      const di = info(n);
      const weighted = di.addressOf('weighted');
      // weighted() is declared on line 25 (its name), with `int __attribute__((noinline))` on 24
      // and its parameters going on to 26: those move to the opening brace, 27; 22-24 get nothing.
      expect([22, 23, 24, 25, 26, 29].map((l) => di.addressesForLine(f, l)), n).toEqual([
        { line: 22, addresses: [] }, { line: 23, addresses: [] }, { line: 24, addresses: [] },
        { line: 27, addresses: [weighted] }, { line: 27, addresses: [weighted] },
        { line: 30, addresses: [expect.any(Number)] },
      ]);
      expect(di.linesWithCode(f)).toEqual([9, 11, 14, 15, 16, 17, 18, 19, 27, 28, 30, 31, 32, 36, 37, 39, 43, 44, 45, 46, 47, 48, 52, 53, 54]);
    }
  });
});

describe('function declarations (.debug_info)', () => {
  it.each(fixtures().map((f) => f.name))('are read without errors from %s', (name) => {
    const elf = loadElf(fixture(name));
    const b = (n: string) => { const s = elf.section(n); return s && elf.sectionBytes(s); };
    const infoBytes = b('.debug_info'), abbrev = b('.debug_abbrev');
    if (!infoBytes || !abbrev) return;
    const { functions, errors } = readFunctionDecls({ info: infoBytes, abbrev, str: b('.debug_str'), lineStr: b('.debug_line_str') });
    expect(errors).toEqual([]);
    // Every C function has its declaration line; gas describes asm functions (.type @function) without one.
    expect(functions.length).toBeGreaterThan(0);
    for (const f of functions) {
      if (f.declLine === undefined) expect(info(name).lineForAddress(f.lowPc)?.file, f.name).toMatch(/\.[sS]$/);
      else expect(f.declLine, f.name).toBeGreaterThan(0);
    }
  });

  it('follow abstract origins to the declaration', () => {
    const elf = loadElf(fixture('tour'));
    const b = (n: string) => elf.sectionBytes(elf.section(n)!);
    const { functions } = readFunctionDecls({ info: b('.debug_info'), abbrev: b('.debug_abbrev'), str: b('.debug_str'), lineStr: b('.debug_line_str') });
    const at = (a: number) => functions.find((f) => f.lowPc === a);
    expect(at(0xc0100d90)).toMatchObject({ name: 'now_ns', declLine: 26 }); // also inlined: an abstract instance
    expect(at(0xc0100da0)).toMatchObject({ name: 'sched_init', declLine: 35, highPc: 0xc0100da0 + 0x29 });
    expect(at(0xc0101920)).toMatchObject({ name: 'vformat', declLine: 21 });
    expect(at(0x30000190)).toMatchObject({ name: 'libtour_vformat', declLine: 21 }); // libtour's copy, renamed by a macro
  });
});

describe('source files', () => {
  it('lists the files with code, as the tables name them', () => {
    expect(info('tour').sourceFiles()).toEqual(expect.arrayContaining(['kernel/sched.c', 'kernel/entry.S', 'user/primes.c', 'common/format.c', '../../include/lguest.h']));
    expect(info('switcher').sourceFiles()).toEqual(['src/vm/lguest/switcher/host_32.S', 'src/vm/lguest/switcher/switcher_32.S']);
    expect(info('sample-dwarf5').sourceFiles()).toContain('/build/root/lib/md5lib.h');
  });

  it('finds them on disk next to the ELF, in its parent, or further up', () => {
    const tour = info('tour');
    const elf = join(ROOT, 'guests/lguest/tour/build/tour.elf');
    for (const name of tour.sourceFiles()) expect(tour.resolveSource(name, elf), name).toBeDefined();
    expect(tour.resolveSource('kernel/sched.c', elf)).toBe(join(ROOT, 'guests/lguest/tour/kernel/sched.c'));
    expect(tour.resolveSource('../../include/lguest.h', elf)).toBe(join(ROOT, 'guests/include/lguest.h'));
    expect(tour.resolveSource('kernel/nonesuch.c', elf)).toBeUndefined();
    const sw = info('switcher');
    expect(sw.resolveSource('src/vm/lguest/switcher/switcher_32.S', join(ROOT, 'src/vm/lguest/switcher/build/switcher.elf')))
      .toBe(join(ROOT, 'src/vm/lguest/switcher/switcher_32.S'));
    // A root from the caller (a workspace folder) comes before the ELF's further ancestors.
    expect(tour.resolveSource('hello.c', '/tmp/x/y.elf', [join(ROOT, 'guests/lguest')])).toBe(join(ROOT, 'guests/lguest/hello.c'));
    const hello = info('lguest-hello');
    for (const name of hello.sourceFiles()) expect(hello.resolveSource(name, join(ROOT, 'guests/lguest/build/hello.elf')), name).toBeDefined();
  });
});

describe('symbols', () => {
  it('names the function an address is in, preferring functions to labels', () => {
    const di = info('tour');
    expect(di.symbolAt(0xc0101930)).toMatchObject({ name: 'vformat', address: 0xc0101920, size: 0x48c, offset: 0x10, kind: 'function' });
    expect(di.symbolAt(0xc0100000)).toMatchObject({ name: '_start', offset: 0 });
    expect(di.symbolAt(0x41000010)).toMatchObject({ name: 'primes_main', offset: 0x10 }); // not __user_primes_text
    expect(di.symbolAt(0xc010013e)).toMatchObject({ name: 'trap_common', offset: 0x3c }); // lguest_noirq_iret is inside it
    expect(di.symbolAt(0xc01470a9)).toMatchObject({ name: 'nr_free', offset: 1, kind: 'object' });
    expect(di.symbolAt(0xc0147020 + 0x7f)).toMatchObject({ name: 'buf.0', offset: 0x7f });
    expect(di.symbolAt(0xc0104000)).toMatchObject({ name: 'kernel_pgdir', offset: 0, kind: 'label' }); // not __bss_start
    expect(di.symbolAt(0x00270000)).toBeNull(); // an absolute symbol's value, no section
    expect(di.symbolAt(0xd0000000)).toBeNull();
  });

  it('falls back to the nearest label before an address, in the same section', () => {
    const sw = info('switcher');
    const at = sw.addressOf('default_idt_entries')!;
    expect(sw.symbolAt(at + 0x20)).toMatchObject({ name: 'default_idt_entries', offset: 0x20, kind: 'label' });
    const di = info('tour');
    expect(di.symbolAt(0xc0105000 + 0x10)).toMatchObject({ name: 'boot_ptes', offset: 0x10 });
  });

  it('a sized symbol names its own bytes only: the Switcher\'s trap stubs are theirs, not handle_nmi+0x6e', () => {
    const sw = info('switcher');
    const nmi = sw.symbols.lookup('handle_nmi')!;
    expect(nmi.size).toBeGreaterThan(0);
    // The byte after handle_nmi is the first stub's, vector 0; the page fault's is vector 14's.
    expect(sw.symbolAt(nmi.address + nmi.size)).toMatchObject({ name: 'trap_stub_0', offset: 0 });
    const pf = sw.addressOf('trap_stub_14')!;
    expect(sw.symbolAt(pf + 2)).toMatchObject({ name: 'trap_stub_14', offset: 2, kind: 'function' });
    // Past the end of a sized symbol with nothing after it: no name.
    const tour = info('tour');
    const last = tour.functions().filter((f) => f.size > 0 && f.address >= 0xc0100000).reduce((a, b) => (b.address > a.address ? b : a));
    const after = tour.symbolAt(last.address + last.size);
    expect(after === null || after.name !== last.name).toBe(true);
  });

  it('finds addresses by name', () => {
    const di = info('tour');
    expect(di.addressOf('vformat')).toBe(0xc0101920); // in the kernel and in libtour: the global one
    expect(di.addressOf('primes_main')).toBe(0x41000000);
    expect(di.addressOf('__user_primes_text_pa')).toBe(0x270000);
    expect(di.addressOf('lguest_noirq_iret')).toBe(0xc010013e);
    expect(di.addressOf('no_such_symbol')).toBeUndefined();
    const fns = di.functions();
    expect(fns.map((f) => f.name)).toEqual(expect.arrayContaining(['_start', 'vformat', 'printf', 'primes_main', 'divide_error']));
    expect(fns.every((f, k) => k === 0 || fns[k - 1].address <= f.address)).toBe(true);
  });
});

// How fast it is built and looked up is for `npm run bench` (the adapter's launch figure includes building it):
// a test that times itself fails at random on a loaded machine.
describe('lookups', () => {
  it('find a line and a symbol for every byte of the kernel text', () => {
    const di = info('tour');
    let n = 0;
    for (let a = 0xc0100000; a < 0xc0101dac; a++) if (di.lineForAddress(a) && di.symbolAt(a)) n++;
    expect(n).toBeGreaterThan(7000);
  });
});

describe('fixtures', () => {
  const tools = installedBinutils();
  const recorded = fixtures()[0]?.binutils;
  it.skipIf(tools === undefined || tools !== recorded)(`are up to date (with ${recorded})`, () => {
    let out = '';
    try {
      out = execFileSync('node', [join(ROOT, 'scripts/debuginfo-fixtures.mjs'), '--check'], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      expect.fail(`${err.stdout ?? ''}${err.stderr ?? ''}`);
    }
    expect(out).toContain('up to date');
  });
});

describe('reading lazily', () => {
  it('reads the line tables and the CFI only when first asked for, once', () => {
    const di = new DebugInfo(loadElf(fixture(fixtures()[0].name)));
    const internals = di as unknown as { lineTables?: unknown; frameInfo?: unknown };
    expect(internals.lineTables).toBeUndefined();
    expect(internals.frameInfo).toBeUndefined();
    expect(di.symbols).toBeDefined();
    const lines = di.lines;
    expect(internals.lineTables).toBeDefined();
    expect(di.lines).toBe(lines);
    const cfi = di.cfi;
    expect(di.cfi).toBe(cfi);
  });
});
