/**
 * lguest's page-fault rules, seen from both sides: the pagerules Guest
 * (guests/lguest/pagerules/) touches pages its tables map in every way
 * demand_page has a rule for, and prints what happened and the A and D bits
 * of its own entry; this test reads those lines, and watches what the Host
 * did about each fault at each address (fixed in the shadow page tables,
 * or reflected to the Guest's handler) and its counters.
 *
 * The rules the Host kills for at a fault (a PSE entry or a frame past
 * memory) have their Guests in faults/ (bad_pte, bad_pde, linear_beyond);
 * here, the same check on SET_PTE.
 */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { runGuest, ROOT } from './helpers';

const IMAGE = join(ROOT, 'guests/lguest/pagerules/build/pagerules.elf');
const MIB = 8;
const MEM = MIB << 20;
const TEST_BASE = 0x400000;
const testVa = (page: number) => TEST_BASE + page * 0x1000;

const run = (cmdline = '') => runGuest(IMAGE, { memoryMiB: MIB, max: 5_000_000, cmdline });
const main = run();

/** What the Host did about each page fault at `va`: the error code, and fixed or reflected. */
function faultsAt(va: number): string[] {
  return main.events.flatMap((e) => (e.kind === 'trap' && e.trap === 14 && e.cr2 === va
    ? [`${e.errcode} ${e.action}`] : []));
}

/** The Guest's lines for one rule. */
const lines = (rule: string) => main.output.split('\n').filter((l) => l.startsWith(`${rule}: `));

it('the Guest gets through every rule, and the Host never loops', () => {
  expect(main.hang).toBeNull();
  expect(main.result).toEqual({ kind: 'poweroff', message: 'pagerules: done' });
});

describe('demand_page, seen from the Guest', () => {
  it('a fresh page: the first read costs one fixed fault and sets A; the first write one more, and sets D', () => {
    expect(lines('fresh page')).toEqual([
      'fresh page: kernel read went through; A=1 D=0',
      'fresh page: kernel write went through; A=1 D=1',
    ]);
    // Read-only until dirty: the read maps the page read-only, so the write faults (present, write) and the Host sets D.
    expect(faultsAt(testVa(0))).toEqual(['0 fixed', '3 fixed']);
  });

  it('a page the Guest already calls dirty is mapped writable at the first read', () => {
    expect(lines('dirty page')).toEqual([
      'dirty page: kernel read went through; A=1 D=1',
      'dirty page: kernel write went through; A=1 D=1',
    ]);
    expect(faultsAt(testVa(1))).toEqual(['0 fixed']);
  });

  it('a write to a page the Guest maps read-only is the Guest\'s fault, and leaves D clear', () => {
    expect(lines('read-only page')).toEqual([
      'read-only page: kernel read went through; A=1 D=0',
      'read-only page: kernel write reflected, cr2 0x00402000, error code 0x00000003; A=1 D=0',
    ]);
    expect(faultsAt(testVa(2))).toEqual(['0 fixed', '3 reflected']);
  });

  it('a page that is not present is the Guest\'s fault, and its entry is left alone', () => {
    expect(lines('not-present page')).toEqual([
      'not-present page: kernel read reflected, cr2 0x00403000, error code 0x00000000; A=0 D=0',
    ]);
    expect(faultsAt(testVa(3))).toEqual(['0 reflected']);
  });

  it('so is a page behind a directory entry that is not present', () => {
    expect(lines('not-present directory entry')).toEqual([
      'not-present directory entry: kernel read reflected, cr2 0x00800000, error code 0x00000000; A=0 D=0',
    ]);
    expect(faultsAt(0x800000)).toEqual(['0 reflected']);
  });

  it('ring 3 on a kernel page is the Guest\'s fault (error code 4, user); on a user page it goes through', () => {
    expect(lines('kernel page')).toEqual([
      'kernel page: user read reflected, cr2 0x00404000, error code 0x00000004; A=0 D=0',
    ]);
    expect(faultsAt(testVa(4))).toEqual(['4 reflected']);
    expect(lines('user page')).toEqual([
      'user page: user read went through; A=1 D=0',
      'user page: user write went through; A=1 D=1',
    ]);
    expect(faultsAt(testVa(5))).toEqual(['4 fixed', '7 fixed']);
  });

  it('a write from ring 3 to a read-only user page is the Guest\'s fault (error code 6)', () => {
    expect(lines('read-only user page')).toEqual([
      'read-only user page: user write reflected, cr2 0x00406000, error code 0x00000006; A=0 D=0',
    ]);
    expect(faultsAt(testVa(6))).toEqual(['6 reflected']);
  });

  it('the Switcher\'s addresses are never filled from the Guest\'s tables, whatever they say', () => {
    expect(lines('the Switcher\'s page')).toEqual([
      'the Switcher\'s page: kernel write reflected, cr2 0xffc00000, error code 0x00000003; A=0 D=0',
    ]);
    expect(faultsAt(0xffc00000)).toEqual(['3 reflected']);
  });

  it('SET_PTE of an entry already accessed puts it in the shadow at once: no fault', () => {
    expect(lines('accessed entry from SET_PTE')).toEqual([
      'accessed entry from SET_PTE: kernel read went through; A=1 D=0',
    ]);
    expect(faultsAt(testVa(7))).toEqual([]);
  });

  it('the counters agree: six faults reflected, every other one fixed', () => {
    const s = main.host.lg.stats, faults = main.events.filter((e) => e.kind === 'trap' && e.trap === 14);
    expect(s.pageFaultsReflected).toBe(6);
    expect(s.pageFaultsFixed).toBe(faults.filter((e) => e.kind === 'trap' && e.action === 'fixed').length);
    expect(s.pageFaultsFixed + s.pageFaultsReflected).toBe(s.exits[14]);
  });
});

describe('SET_PTE checks the entry as a fault would', () => {
  /** Every line but the last: the Guest dies at its SET_PTE. */
  const beforeSetPte = main.output.slice(0, main.output.lastIndexOf('accessed entry'));

  it('a frame past the devices\' registers kills the Guest; one among them is left for the fault (MMIO)', () => {
    const r = run(`frame=${MEM + 0x101000}`);
    expect(r.result).toEqual({ kind: 'killed', reason: 'bad page table entry' });
    expect(r.output).toBe(beforeSetPte);
    expect(run(`frame=${MEM - 0x1000}`).result).toEqual({ kind: 'poweroff', message: 'pagerules: done' });
    // SET_PTE of a device frame leaves the shadow empty: the Guest's next touch faults, for the Host to play the device.
    expect(run(`frame=${MEM}`).result).toEqual({ kind: 'poweroff', message: 'pagerules: done' });
  });

  it('so does PSE', () => {
    expect(run('flags=0x80').result).toEqual({ kind: 'killed', reason: 'bad page table entry' });
  });
});
