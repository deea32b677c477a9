/**
 * The C-level reading of .debug_info held to GDB's: test/fixtures/dwarf/*.json
 * is what GDB says of our Guests' ELFs (scripts/dwarf-fixtures.mjs): every
 * struct's layout, every global's declaration, and for every function the
 * location list of each variable in its outermost block. Then what GDB has
 * no batch command for: the inlined calls around a pc, innermost first.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Elf32 } from '../elf';
import { DebugInfo } from './debugInfo';
import { declaration, resolved, sizeOf, typeName, type CType } from './ctypes';
import type { ExprContext } from './dwarfExpr';
import type { Where } from './dwarfLocation';
import type { CVariable } from './dwarfScopes';
import { inRanges, rangesOf, readAranges } from './dwarfLists';

const ROOT = join(__dirname, '../../..');

interface Fixture {
  elf: string;
  types: Record<string, { size: number; members: { offset: number; size: number; decl: string }[] }>;
  variables: { file: string; decl: string }[];
  scopes: Record<string, { name: string; single?: string; ranges: [number, number, string][] }[]>;
}

function load(name: string): { fx: Fixture; info: DebugInfo } {
  const fx = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/dwarf', `${name}.json`), 'utf8')) as Fixture;
  return { fx, info: new DebugInfo(new Elf32(new Uint8Array(readFileSync(join(ROOT, fx.elf))))) };
}

const REGS = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
/** A frame whose registers and CFA are easy to tell apart: register n holds 0x1000 * (n + 1). */
const CFA = 0x80000;
const frame: ExprContext = { reg: (n) => (n < 8 ? 0x1000 * (n + 1) : undefined), read32: () => null, cfa: () => CFA };

/** What GDB's words for a location say we must find. */
function expected(desc: string): (w: Where) => boolean {
  let m = /^a variable in \$(\w+)$/.exec(desc);
  if (m) return (w) => w.kind === 'register' && REGS[w.reg] === m![1];
  m = /^the constant (-?\d+)$/.exec(desc);
  if (m) return (w) => w.kind === 'value' && new DataView(w.bytes.buffer, w.bytes.byteOffset).getInt32(0, true) === Number(m![1]);
  m = /^a complex DWARF expression: DW_OP_fbreg (-?\d+)$/.exec(desc);
  if (m) return (w) => w.kind === 'memory' && w.addr === CFA + Number(m![1]);
  m = /^a complex DWARF expression: DW_OP_breg(\d) (-?\d+)$/.exec(desc);
  if (m) return (w) => w.kind === 'memory' && w.addr === 0x1000 * (Number(m![1]) + 1) + Number(m![2]);
  if (/optimized out/.test(desc)) return (w) => w.kind === 'unavailable';
  return () => true; // another shape: counted as not compared
}

for (const guest of ['tour', 'faults-crash', 'sample-dwarf3', 'sample-dwarf4']) {
  describe(`${guest}: as GDB reads it`, () => {
    const { fx, info } = load(guest);
    const dw = info.dwarf!;

    it('lays out every struct as GDB does: size, and each member\'s offset, size and declaration', () => {
      if (guest.startsWith('sample')) expect(Object.keys(fx.types)).toEqual([]); // the samples have no structs
      else expect(Object.keys(fx.types).length).toBeGreaterThan(0);
      for (const [name, want] of Object.entries(fx.types)) {
        const t = dw.type(name);
        expect(t, name).toBeDefined();
        expect(sizeOf(t!), name).toBe(want.size);
        const u = resolved(t!);
        const members = u.kind === 'struct' || u.kind === 'union' ? u.members() : [];
        expect(members.map((m) => ({ offset: m.offset, size: sizeOf(m.type), decl: declaration(m.type, m.name ?? '') })), name).toEqual(want.members);
      }
    });

    it('declares every global variable as GDB does', () => {
      expect(fx.variables.length).toBeGreaterThan(0);
      let compared = 0;
      for (const v of fx.variables) {
        const m = /\(\*(\w+)\)|(\w+)(\[\d+\])*$/.exec(v.decl)!; // `int a[2]`, `void (*f)(void)`
        const name = m[1] ?? m[2];
        const unit = dw.info.units.find((u) => u.rootEntry().name()?.endsWith(v.file));
        const found = dw.global(name, unit);
        // A function's static variable is not a global: GDB lists it among them, with its function's file.
        if (found === undefined) continue;
        expect(declaration(found.type, name), v.decl).toBe(v.decl);
        compared++;
      }
      expect(compared).toBeGreaterThan(fx.variables.length / 2);
    });

    it('finds each variable of each function where its location list says, register, constant or frame slot', () => {
      let compared = 0;
      for (const [fn, symbols] of Object.entries(fx.scopes)) {
        const entry = info.addressOf(fn);
        if (entry === undefined) continue;
        const scope = dw.scopeAt(entry);
        expect(scope, fn).toBeDefined();
        expect(scope!.levels[scope!.levels.length - 1].name, fn).toBe(fn);
        // GDB's "info scope *f" lists the innermost block at f's address (an inlined call there
        // included): look innermost first, as a name there hides the same name further out.
        const ours = new Map<string, CVariable>();
        for (const level of scope!.levels) for (const v of [...level.params, ...level.locals]) if (!ours.has(v.name)) ours.set(v.name, v);
        for (const s of symbols) {
          if (/^a (function|label)/.test(s.single ?? '')) continue; // an inlined function's name, a label
          const v = ours.get(s.name);
          expect(v, `${fn}: ${s.name}`).toBeDefined();
          if (s.single !== undefined) {
            const fctx = { ...frame, frameBase: () => dw.frameBase(scope!.function, entry, frame) };
            const w = dw.locate(v!, entry, fctx);
            expect(expected(s.single)(w), `${fn}: ${s.name} (${s.single}): ${JSON.stringify(w)}`).toBe(true);
            compared++;
          }
          for (const [lo, hi, desc] of s.ranges) {
            if (hi <= lo) continue; // GCC's empty ranges (a location view): no pc has them
            for (const pc of [lo, hi - 1]) {
              const fctx = { ...frame, frameBase: () => dw.frameBase(scope!.function, pc, frame) };
              const w = dw.locate(v!, pc, fctx);
              expect(expected(desc)(w), `${fn}: ${s.name} at 0x${pc.toString(16)} (${desc}): ${JSON.stringify(w)}`).toBe(true);
              compared++;
            }
          }
          // Just before its first range and just after its last, unless another range is there: nowhere.
          const covered = (pc: number) => s.ranges.some(([lo, hi]) => pc >= lo && pc < hi);
          for (const pc of s.ranges.length ? [s.ranges[0][0] - 1, s.ranges[s.ranges.length - 1][1]] : []) {
            if (covered(pc) || pc < entry) continue;
            const w = dw.locate(v!, pc, { ...frame, frameBase: () => CFA });
            expect(w, `${fn}: ${s.name} at 0x${pc.toString(16)}`).toEqual({ kind: 'unavailable', why: 'optimized out' });
          }
        }
      }
      expect(compared).toBeGreaterThan(guest === 'tour' ? 200 : 4);
    });
  });
}

describe('the unit of a pc', () => {
  it('.debug_aranges names the same unit as the units\' own ranges, for every function', () => {
    const { fx, info } = load('tour');
    const dw = info.dwarf!;
    const aranges = readAranges(info.elf.sectionBytes(info.elf.section('.debug_aranges')!));
    let n = 0;
    for (const fn of Object.keys(fx.scopes)) {
      const pc = info.addressOf(fn)!;
      const byRoots = dw.info.units.find((u) => inRanges(rangesOf(u.rootEntry()), pc));
      expect(byRoots, fn).toBeDefined();
      expect(aranges.find((a) => pc >= a.lo && pc < a.hi)?.unit, fn).toBe(byRoots!.offset);
      expect(dw.unitFor(pc), fn).toBe(byRoots);
      n++;
    }
    expect(n).toBeGreaterThan(20);
  });
});

describe('inlined calls', () => {
  const { info } = load('tour');
  const dw = info.dwarf!;
  const describeLevels = (pc: number) => dw.scopeAt(pc)!.levels.map((l) => ({
    name: l.name, inlined: l.inlined, params: l.params.map((p) => declaration(p.type, p.name)),
  }));

  it('at a pc in an inlined call, the levels are the inlined functions, innermost first, then the function', () => {
    // syscalls.c: syscall_dispatch calls sys_nanosleep, which calls user_range_ok: both inlined.
    const inner = dw.scopeAt(info.addressOf('syscall_dispatch')! + 0x69)!;
    expect(inner.levels.map((l) => l.name)).toEqual(['user_range_ok', 'sys_nanosleep', 'syscall_dispatch']);
    expect(inner.levels.map((l) => l.inlined)).toEqual([true, true, false]);
    expect(describeLevels(info.addressOf('syscall_dispatch')! + 0x69)[2].params).toEqual(['struct trapframe *tf']);
    // Where it was called from: a line of syscalls.c.
    expect(inner.levels[0].call?.line).toBeGreaterThan(0);
  });

  it('parameters come in the order the function declares them, for inlined calls too', () => {
    const levels = describeLevels(info.addressOf('syscall_dispatch')! + 0x69);
    expect(levels[0].params).toEqual(['uint32_t addr', 'uint32_t len']);
  });

  it('names types as C does', () => {
    const t = (n: string): CType => dw.type(n)!;
    expect(typeName(t('struct trapframe'))).toBe('struct trapframe');
    expect(typeName(dw.global('current')!.type)).toBe('struct proc *');
    expect(typeName(dw.global('procs')!.type)).toBe('struct proc [8]');
    expect(dw.type('struct no_such_thing')).toBeUndefined();
  });
});
