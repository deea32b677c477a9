/**
 * Running the fuzz Guest (guests/lguest/fuzz/) for one seed, and what the
 * Host must do whatever the Guest throws at it: shared by the fuzz test
 * (test/lguest/fuzz.test.ts, a few dozen seeds) and the campaign script
 * (scripts/fuzz-host.ts, `npm run fuzz -- --seeds N`). The Host must:
 * - never throw (a TypeScript exception is a Host bug);
 * - never hang: never take the same exit over and over while the Guest
 *   gets nowhere (hangWatch.ts);
 * - end the run in one of the ways a run can end, within the instruction
 *   limit (time the Host skips while the Guest is halted counts);
 * - kill only with one of lguest's reasons, as this Host writes them;
 * - leave its own world as it must be: shadow page tables that map nothing
 *   but Guest memory (and the Switcher's pages, read-only where they must
 *   be), no shadow page used twice or lost, the Switcher's code untouched,
 *   no ring-0 segment or call gate in the Guest's GDT, no interrupt gate or
 *   foreign selector among the Guest's gates in the real IDT, and the
 *   Guest's probe (far_landing) never run at ring 0;
 * - leave the x87 to the Guest: what it loaded is there after any trip
 *   through the Host (the Guest's fpu_check marks fpu_wrong if not), and
 *   an #NM reaches the Guest only while its last LHCALL_TS asked for TS,
 *   while one it did not ask for is fixed (TS cleared), never reflected.
 */
import { Host, HostRunResult } from '../../src/vm/lguest/host';
import { Elf32 } from '../../src/vm/elf';
import { directTrap, isDirectGate } from '../../src/vm/lguest/traps';
import { ignoredGdt } from '../../src/vm/lguest/segments';
import {
  HOST, PAGE_SIZE, POOL_PAGES, PAGES_GUEST_TSS, SWITCHER_PGD_INDEX, GDT_ENTRIES, GUEST_KERNEL_CS, LGUEST_CS, _PAGE_PRESENT, _PAGE_RW,
  _PAGE_USER,
} from '../../src/vm/lguest/layout';
import { HangWatch, Hang } from './hangWatch';

/** Guest memory: the fuzzer needs 4 MiB, and small is fast. */
const MIB = 8;
/** The last slice of the executor may run a few instructions past the limit. */
const MARGIN = 1000;
/** How a run may end (one the hang watch stopped counts as a hang). */
const ENDINGS = ['killed', 'poweroff', 'exit', 'halted', 'limit', 'restart'];

/** lguest's kill reasons (REFERENCE.md section 10), as this Host formats them. */
const HEX = '(?:0|0x[0-9a-f]+)';
const KILL_REASONS: RegExp[] = [
  /^Bad hypercall -?\d+$/,
  /^hypercall -?\d+ before INIT$/,
  /^already have lguest_data$/,
  new RegExp(`^bad guest page ${HEX}$`),
  /^CRASH: [\s\S]*$/,
  new RegExp(`^bad read address ${HEX} len \\d+$`),
  new RegExp(`^bad write address ${HEX} len \\d+$`),
  /^bad IDT type \d+$/,
  /^Setting idt entry \d+$/,
  new RegExp(`^unhandled trap \\d+ at ${HEX} \\(${HEX}\\)$`),
  /^bad syscall vector$/,
  /^bad page table entry$/,
  /^bad page directory entry$/,
  /^bad stack segment -?\d+$/,
  /^bad stack pages \d+$/,
  new RegExp(`^bad stack page ${HEX}$`),
  new RegExp(`^Bad address ${HEX}$`),
  /^attempt to set pte into Switcher pages$/,
  /^Attempt to set pgd \d+\/1024$/,
  new RegExp(`^bad kernel address ${HEX}$`),
  /^too many gdt entries -?\d+$/,
  // A MOV at a device register that breaks the virtio rules: the Launcher's bad_driver, as the Host plays it.
  /^(console|block|rng|PCI Host Bridge)( vq \w+)?: bad driver: .+$/,
];
/** What a JavaScript error looks like, should one leak into a reason. */
const JS_ERROR = /Error\b|is not a function|is not defined|undefined|NaN|\[object |Cannot read|call stack/;

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

export interface FuzzRun {
  seed: number;
  /** null if the Host threw. */
  result: HostRunResult | null;
  error: string | null;
  hang: Hang | null;
  /** The instruction limit the run had. */
  max: number;
  instructions: number;
  hypercalls: number;
  restarts: number;
  /** What checkHost found wrong with the Host's own state afterwards. */
  problems: string[];
  /** What was wrong with the x87 or the #NM rule, first thing only (null if nothing). */
  fpu: string | null;
  /** The Guest's x87 checks that passed (fpu_checked), #NMs it was handed, #NMs the Host fixed, #MFs it got. */
  fpuChecks: number;
  nmReflected: number;
  nmFixed: number;
  mf: number;
}

/** Run the fuzz Guest `image` for `seed`, at most `max` instructions; a hang stops it at once. */
export function fuzz(image: Uint8Array, seed: number, max: number): FuzzRun {
  const host = new Host({ memoryMiB: MIB, seed });
  const watch = new HangWatch(host, image, () => host.requestStop());
  let fpu: string | null = null, nmReflected = 0, nmFixed = 0, mf = 0;
  host.onEvent = (e) => {
    watch.see(e);
    if (e.kind === 'trap' && e.trap === 7) {
      // The TS the Guest ran with is the one its last TS hypercall asked for: no hypercall ran since it went in.
      const asked = host.lg.ts !== 0;
      if (e.action === 'fixed') nmFixed++;
      else if (e.action === 'reflected' || e.action === 'killed') nmReflected++;
      if (asked && e.action === 'fixed') fpu ??= `an #NM at ${hex(e.eip)} fixed by the Host, when the Guest had asked for TS`;
      if (!asked && e.action !== 'fixed') fpu ??= `an #NM at ${hex(e.eip)} ${e.action}, when the Guest had not asked for TS`;
    }
    if ((e.kind === 'trap' && e.trap === 16) || (e.kind === 'direct' && e.vector === 16)) mf++;
  };
  host.boot(image, 'fuzz.elf', `seed=${seed}`);
  const before = hostConstants(host);
  let result: HostRunResult | null = null, error: string | null = null;
  try {
    result = host.run(max);
  } catch (e) {
    error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  }
  let hypercalls = 0;
  for (const n of host.lg.stats.hypercalls.values()) hypercalls += n;
  const wrong = host.mem.read32(symbol(image, 'fpu_wrong')) >>> 0;
  if (wrong >>> 16 === 0xf870) fpu ??= `the x87 changed across a trip to the Host (fpu_check, what ${wrong & 0xffff})`;
  return {
    seed, result, error, hang: watch.hang, max, hypercalls, instructions: host.cpu.instructions, restarts: host.restarts,
    problems: error === null ? checkHost(host, before, symbol(image, 'landed_cs')) : [],
    fpu, fpuChecks: host.mem.read32(symbol(image, 'fpu_checked')) >>> 0, nmReflected, nmFixed, mf,
  };
}

/** Each rule a run must keep, and what is wrong with a run that breaks it (null if nothing). */
export const RULES: { rule: string; broken: (r: FuzzRun) => string | null }[] = [
  { rule: 'Host exceptions', broken: (r) => r.error },
  {
    rule: 'hangs',
    broken: ({ hang: h }) => h && `trap ${h.trap} at ${hex(h.eip)}, cr2 ${hex(h.cr2)}, esp ${hex(h.esp)}, again and again`,
  },
  {
    rule: 'bad endings',
    broken: (r) => {
      if (r.result === null || r.hang !== null) return null;
      const ok = ENDINGS.includes(r.result.kind) && r.instructions <= r.max + MARGIN;
      return ok ? null : `${JSON.stringify(r.result)} after ${r.instructions} instructions`;
    },
  },
  {
    rule: "kill reasons not lguest's",
    broken: ({ result }) => {
      if (result?.kind !== 'killed') return null;
      const reason = result.reason;
      const ok = KILL_REASONS.some((re) => re.test(reason)) && (reason.startsWith('CRASH: ') || !JS_ERROR.test(reason));
      return ok ? null : JSON.stringify(result);
    },
  },
  { rule: 'broken Host state', broken: (r) => r.problems.length === 0 ? null : r.problems.join('; ') },
  { rule: "x87 not the Guest's", broken: (r) => r.fpu },
];

/** Every rule `r` breaks, as "RULE: what". */
export function failures(r: FuzzRun): string[] {
  return RULES.flatMap(({ rule, broken }) => {
    const what = broken(r);
    return what === null ? [] : [`${rule}: ${what}`];
  });
}

/** A run's ending without its numbers, to count runs by. */
export function ending(r: FuzzRun): string {
  if (r.result === null) return 'exception';
  if (r.hang !== null) return 'hang';
  const res = r.result;
  const text = res.kind === 'killed' || res.kind === 'halted' ? res.reason
    : res.kind === 'poweroff' || res.kind === 'restart' ? res.message
    : res.kind === 'exit' ? 'status' : '';
  return `${res.kind}${text ? ': ' : ''}${text.replace(/0x[0-9a-f]+/g, 'A').replace(/-?\d+/g, 'N')}`;
}

/**
 * Where the fuzz Guest keeps what the test reads: landed_cs (the CS
 * far_landing ran with), fpu_wrong and fpu_checked (entry.S).
 */
function symbol(image: Uint8Array, name: string): number {
  let symbols = SYMBOLS.get(image);
  if (symbols === undefined) SYMBOLS.set(image, symbols = new Elf32(image, 'fuzz.elf').symbols());
  return symbols.find((s) => s.name === name)!.value;
}
const SYMBOLS = new WeakMap<Uint8Array, { name: string; value: number }[]>();

/**
 * What must never change in the Host's region while a Guest runs: the
 * Switcher's code and the Host's, the Host's IDT and page tables, and in
 * the state page lguest's own GDT slots and the TSS's ring-0 stack.
 */
function hostConstants(host: Host): Map<string, Uint8Array> {
  const w = host.world, b = w.base, state = w.statePage - 0x1000, m = host.mem.bytes;
  const parts: [string, number, number][] = [
    ['the Switcher text', w.switcherTextPage, PAGE_SIZE],
    ['the Host text', b + HOST.hostText, PAGE_SIZE],
    ['the Host IDT', b + HOST.tables, 0x800],
    ["the Host's page tables", b + HOST.pgdir, HOST.pool - HOST.pgdir],
    ['the TSS ring-0 stack', state + PAGES_GUEST_TSS + 4, 8],
  ];
  for (const slot of [10, 11, 31]) parts.push([`GDT slot ${slot}`, w.guestGdt + slot * 8, 8]);
  return new Map(parts.map(([name, at, len]) => [name, m.slice(at, at + len)]));
}

/** Everything wrong with the Host's own state after a run (empty if nothing). */
function checkHost(host: Host, before: Map<string, Uint8Array>, landedCsAt: number): string[] {
  const problems: string[] = [];
  const m = host.mem, w = host.world, lg = host.lg, guestBytes = host.guestBytes;
  const poolStart = w.base + HOST.pool, poolEnd = poolStart + POOL_PAGES * PAGE_SIZE;
  const inPool = (p: number) => p >= poolStart && p < poolEnd && p % PAGE_SIZE === 0;

  // The shadow page tables: pool pages, each used once, mapping Guest memory only.
  const used = new Set<number>();
  const use = (page: number, what: string) => {
    if (!inPool(page)) problems.push(`${what} at ${hex(page)} is not a pool page`);
    else if (used.has(page)) problems.push(`${what} at ${hex(page)} is used twice`);
    used.add(page);
  };
  lg.pageTables.pgdirs.forEach((slot, s) => {
    if (slot.pgdir === 0) return;
    use(slot.pgdir, `shadow directory ${s}`);
    for (let i = 0; i < 1024; i++) {
      const pde = m.read32(slot.pgdir + i * 4) >>> 0;
      if ((pde & _PAGE_PRESENT) === 0) continue;
      const pt = pde & ~0xfff;
      use(pt, `shadow page table ${s}/${i}`);
      if (!inPool(pt)) continue;
      for (let j = 0; j < 1024; j++) {
        const pte = m.read32(pt + j * 4) >>> 0;
        if ((pte & _PAGE_PRESENT) === 0) continue;
        const frame = pte & ~0xfff, at = `${s}/${i}/${j} = ${hex(pte)}`;
        if (i !== SWITCHER_PGD_INDEX) {
          if (frame >= guestBytes) problems.push(`shadow PTE ${at} maps Host memory`);
        } else if ((pte & _PAGE_USER) !== 0) {
          problems.push(`Switcher PTE ${at} is open to ring 3`);
        } else if (!(j === 0 && frame === w.switcherTextPage && (pte & _PAGE_RW) === 0)
                && !(j === 1 && frame === w.regsPage)
                && !(j === 2 && frame === w.statePage && (pte & _PAGE_RW) === 0)) {
          problems.push(`Switcher PTE ${at} is not the Switcher's`);
        }
      }
    }
  });
  if (used.size !== w.pool.inUse) problems.push(`the pool has ${w.pool.inUse} pages in use, the shadows ${used.size}`);

  // The Host's constants (a restart builds the same world again).
  for (const [name, bytes] of hostConstants(host)) {
    if (!bytes.every((v, i) => v === before.get(name)![i])) problems.push(`${name} changed`);
  }

  // The real GDT: nothing of the Guest's at ring 0, no call gate.
  for (let i = 0; i < GDT_ENTRIES; i++) {
    if (ignoredGdt(i)) continue;
    const hi = m.read32(w.guestGdt + i * 8 + 4) >>> 0;
    if ((hi & 0x8000) === 0) continue;
    const type = (hi >>> 8) & 0x1f;
    if ((hi & 0x6000) === 0) problems.push(`GDT slot ${i} = ${hex(hi)} has DPL 0`);
    if (type === 0x04 || type === 0x0c) problems.push(`GDT slot ${i} = ${hex(hi)} is a call gate`);
  }

  // The real IDT: the Guest's own gates only where they may go direct, as trap gates.
  for (let v = 0; v < 256; v++) {
    const lo = m.read32(w.guestIdt + v * 8) >>> 0, hi = m.read32(w.guestIdt + v * 8 + 4) >>> 0;
    if ((hi & 0x8000) === 0) continue;
    const sel = lo >>> 16;
    if (sel !== LGUEST_CS && sel !== GUEST_KERNEL_CS) problems.push(`IDT gate ${v} has selector ${hex(sel)}`);
    if (isDirectGate(lg, v) && (!directTrap(v) || ((hi >>> 8) & 0xf) !== 0xf)) problems.push(`IDT gate ${v} = ${hex(hi)} goes to the Guest`);
  }

  // The Guest's probe of far calls through its GDT entries.
  const landed = m.read32(landedCsAt) >>> 0;
  if (landed >>> 16 === 0x1a9d && (landed & 3) === 0) problems.push(`far_landing ran with CS ${hex(landed & 0xffff)}`);
  return problems;
}
