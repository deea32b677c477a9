/**
 * The line of an address read a unit at a time (unitLines.ts) against the index over every line
 * table: the same answers to lineForAddress, statementAt and unitFileName, at every byte of the
 * fixtures' code and at a few thousand places in the shared Linux kernel when it is here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Elf32 } from '../elf';
import { DebugInfo } from './debugInfo';
import { fixtures, loadElf, ROOT } from './testFixtures';

const SHF_EXECINSTR = 4;
const VMLINUX = join(ROOT, '../shared/linux/vmlinux');
const LINUX_HERE = existsSync(VMLINUX);

interface Internals { lineTables?: unknown; unitLines?: unknown }

/** Compares a DebugInfo answering a unit at a time with one that built the whole index first; the mismatches. */
function compare(elf: () => Elf32, addrs: Iterable<number>): { bad: string[]; lazy: DebugInfo } {
  const lazy = new DebugInfo(elf()), whole = new DebugInfo(elf());
  void whole.lines;
  const bad: string[] = [];
  const show = (x: unknown) => JSON.stringify(x);
  const check = (what: string, a: unknown, b: unknown) => {
    if (show(a) !== show(b) && bad.length < 10) bad.push(`${what}: ${show(a)}, whole: ${show(b)}`);
  };
  for (const addr of addrs) {
    const hex = `0x${(addr >>> 0).toString(16)}`;
    const line = whole.lineForAddress(addr);
    check(`lineForAddress(${hex})`, lazy.lineForAddress(addr), line);
    check(`statementAt(${hex})`, lazy.statementAt(addr), whole.statementAt(addr));
    // Where the row begins: where a statement can begin.
    if (line) check(`statementAt(0x${line.address.toString(16)})`, lazy.statementAt(line.address), whole.statementAt(line.address));
  }
  for (const [k, unit] of (lazy.dwarf?.info.units ?? []).entries()) {
    const other = whole.dwarf!.info.units[k];
    for (let i = 0; i < 4; i++) check(`unitFileName(unit 0x${unit.offset.toString(16)}, ${i})`, lazy.unitFileName(unit, i), whole.unitFileName(other, i));
  }
  check('errors', lazy.errors, whole.errors);
  return { bad, lazy };
}

/** The questions were answered a unit at a time: no whole index was built. */
function wasLazy(di: DebugInfo): boolean {
  const internals = di as unknown as Internals;
  return internals.lineTables === undefined && internals.unitLines !== undefined && internals.unitLines !== null;
}

describe.each(fixtures())('line tables a unit at a time in $name', (fx) => {
  it('answer as the whole index does at every byte of code and around it', () => {
    const elf = () => loadElf(fx);
    const addrs = new Set<number>([0, 0xffffffff, 0x100000]);
    for (const s of elf().sections.filter((x) => (x.flags & SHF_EXECINSTR) !== 0 && x.size > 0)) {
      for (let a = s.addr - 16; a < s.addr + s.size + 16; a++) addrs.add(a >>> 0);
    }
    const { bad, lazy } = compare(elf, addrs);
    expect(bad).toEqual([]);
    expect(wasLazy(lazy)).toBe(true);
    // The questions that need every table still build the whole index, and agree with it.
    expect(lazy.sourceFiles().length).toBeGreaterThan(0);
    expect((lazy as unknown as Internals).lineTables).toBeDefined();
  });
});

const title = 'line tables a unit at a time in the shared Linux kernel';
describe.skipIf(!LINUX_HERE)(LINUX_HERE ? title : `${title} (skipped: ../shared/linux/ is not here)`, () => {
  it('answer as the whole index does at every function entry and 4,000 other places', () => {
    const bytes = LINUX_HERE ? new Uint8Array(readFileSync(VMLINUX)) : new Uint8Array();
    const elf = () => new Elf32(bytes, VMLINUX);
    const e = elf();
    const code = e.sections.filter((x) => (x.flags & SHF_EXECINSTR) !== 0 && x.size > 0);
    const total = code.reduce((n, s) => n + s.size, 0);
    // Places spread over the code by a fixed pseudo-random walk, each function's first bytes, the edges of
    // the sections, and addresses the kernel has no code at (a user process, the Switcher).
    const addrs = new Set<number>([0, 0x08048000, 0x400000, 0xffc00000, 0x1000000]);
    let seed = 18;
    for (let n = 0; n < 4000; n++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      let off = seed % total;
      for (const s of code) {
        if (off < s.size) { addrs.add(s.addr + off); break; }
        off -= s.size;
      }
    }
    for (const s of code) for (const a of [s.addr - 1, s.addr, s.addr + s.size - 1, s.addr + s.size]) addrs.add(a >>> 0);
    for (const f of new DebugInfo(e).functions()) for (let a = f.address; a < f.address + 4; a++) addrs.add(a);
    const { bad, lazy } = compare(elf, addrs);
    expect(bad).toEqual([]);
    expect(wasLazy(lazy)).toBe(true);
  });
});
