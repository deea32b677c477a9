/**
 * What C names mean at a pc: the function it is in, the inlined calls
 * around it (innermost first, each a frame of its own for the debugger),
 * the parameters and local variables in scope at each of those levels
 * (lexical blocks whose ranges hold pc), the globals of the unit and of the
 * program, and the types by name. Built on dwarfDies.ts, one unit decoded at
 * a time: a stop in one of Linux's functions decodes that function's unit.
 */
import type { CType } from './ctypes';
import { AT, DwarfInfo, TAG, type Die, type DwarfSections, type Unit } from './dwarfDies';
import { inRanges, locationAt, rangesOf, readAranges, type Range } from './dwarfLists';
import { evaluateLocation, OPTIMIZED_OUT, type Where } from './dwarfLocation';
import { TypeBuilder } from './dwarfTypes';
import type { ExprContext } from './dwarfExpr';

export interface CVariable {
  name: string;
  type: CType;
  kind: 'param' | 'local' | 'global';
  /** The entry that says where it is (the concrete one, for a variable of an inlined call). */
  die: Die;
  declLine?: number;
  /** A global the unit only declares (`extern`): its address, from the ELF symbol table. */
  address?: number;
}

/**
 * A program bigger than this many units (Linux has 858) is not indexed whole for a name that its
 * current unit does not know: decoding every unit takes seconds there. Its globals are found through
 * the current unit's definitions and declarations (with the ELF symbol's address), its types in the
 * current unit; anything else falls back to the untyped symbol.
 */
const INDEX_ALL_UNITS_UP_TO = 256;

export interface ScopeLevel {
  /** The function this level is: the out-of-line one (last level) or an inlined call. */
  die: Die;
  name: string;
  inlined: boolean;
  /** For an inlined call: where it was called from (file index in the unit's line table, line, column). */
  call?: { file?: number; line?: number; column?: number };
  /** Where this level's code starts: the inlined call's entry pc, or the function's low pc. */
  entry?: number;
  params: CVariable[];
  /** Innermost block first. */
  locals: CVariable[];
}

export interface Scope {
  unit: Unit;
  /** Innermost first: the inlined calls holding pc, then the function. */
  levels: ScopeLevel[];
  /** The function's DW_AT_frame_base entry (for DW_OP_fbreg). */
  function: Die;
}

export class DwarfScopes {
  readonly info: DwarfInfo;
  readonly types = new TypeBuilder();
  private unitRanges?: { unit: Unit; ranges: Range[] }[];
  private aranges?: { lo: number; hi: number; unit: number }[];
  private globalIndex?: Map<string, Die>;
  private typeIndex?: Map<string, Die>;

  /** `symbolAddress` gives a declared-only global its address (the ELF symbol table). */
  constructor(sections: DwarfSections, private readonly symbolAddress: (name: string) => number | undefined = () => undefined) {
    this.info = new DwarfInfo(sections);
  }

  get errors(): string[] {
    return this.info.errors;
  }

  /** The unit whose code holds pc: by .debug_aranges, else from each unit's root entry alone. */
  unitFor(pc: number): Unit | undefined {
    const a = this.arangeTable();
    let lo = 0, hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (pc < a[mid].lo) hi = mid - 1;
      else if (pc >= a[mid].hi) lo = mid + 1;
      else return this.info.unitAt(a[mid].unit);
    }
    if (this.unitRanges === undefined) {
      this.unitRanges = this.info.units.map((unit) => ({ unit, ranges: rangesOf(unit.rootEntry()) }));
    }
    return this.unitRanges.find((u) => inRanges(u.ranges, pc))?.unit;
  }

  /** .debug_aranges, read once: each address range with the .debug_info offset of its unit, sorted by address. */
  arangeTable(): { lo: number; hi: number; unit: number }[] {
    if (this.aranges === undefined) this.aranges = this.info.s.aranges ? readAranges(this.info.s.aranges) : [];
    return this.aranges;
  }

  /** The scopes at pc, or undefined where no function's code is (assembly without DWARF functions included). */
  scopeAt(pc: number): Scope | undefined {
    const unit = this.unitFor(pc);
    if (unit === undefined) return undefined;
    const root = unit.entries()[0];
    if (root === undefined) return undefined;
    const fn = root.children.find((d) => d.tag === TAG.subprogram && inRanges(rangesOf(d), pc));
    if (fn === undefined) return undefined;
    // Walk down: blocks and inlined calls whose ranges hold pc. Each inlined call opens a level.
    const levels: ScopeLevel[] = [this.level(fn, false)];
    let node = fn;
    for (let depth = 0; depth < 64; depth++) {
      const inner = node.children.find((d) => (d.tag === TAG.lexical_block || d.tag === TAG.inlined_subroutine) && inRanges(rangesOf(d), pc));
      if (inner === undefined) break;
      if (inner.tag === TAG.inlined_subroutine) levels.unshift(this.level(inner, true));
      else levels[0].locals.unshift(...this.variables(inner, 'local'));
      node = inner;
    }
    return { unit, levels, function: fn };
  }

  private level(die: Die, inlined: boolean): ScopeLevel {
    const ranges = rangesOf(die);
    const entry = die.address(AT.entry_pc) ?? die.address(AT.low_pc) ?? (ranges.length > 0 ? ranges[0].lo : undefined);
    const level: ScopeLevel = {
      die, inlined, entry,
      name: die.inherited((d) => d.name()) ?? '??',
      params: this.variables(die, 'param'),
      locals: this.variables(die, 'local'),
    };
    if (inlined) level.call = { file: die.num(AT.call_file), line: die.num(AT.call_line), column: die.num(AT.call_column) };
    return level;
  }

  /** The parameters or the variables an entry holds directly, in declaration order. */
  private variables(scope: Die, kind: 'param' | 'local'): CVariable[] {
    const tag = kind === 'param' ? TAG.formal_parameter : TAG.variable;
    // An inlined call's concrete entries may come in another order than the function declares them
    // (GCC puts them as it emits code): the abstract ones, which they refer to, are in that order.
    const declared = (d: Die) => d.ref(AT.abstract_origin)?.offset ?? d.offset;
    const out: { v: CVariable; order: number }[] = [];
    for (const d of scope.children) {
      if (d.tag !== tag) continue;
      const v = this.variable(d, kind);
      if (v !== undefined) out.push({ v, order: declared(d) });
    }
    return out.sort((a, b) => a.order - b.order).map((e) => e.v);
  }

  private variable(d: Die, kind: CVariable['kind']): CVariable | undefined {
    const name = d.inherited((e) => e.name());
    if (name === undefined) return undefined;
    const typeDie = d.inherited((e) => e.ref(AT.type));
    const type = typeDie === undefined ? this.types.typeOf(d) : this.types.build(typeDie);
    return { name, type, kind, die: d, declLine: d.inherited((e) => e.num(AT.decl_line)) };
  }

  /** The variables defined at a unit's top level (with a location or a constant value). */
  unitGlobals(unit: Unit): CVariable[] {
    const root = unit.entries()[0];
    if (root === undefined) return [];
    const out: CVariable[] = [];
    for (const d of root.children) {
      if (d.tag !== TAG.variable || !(d.has(AT.location) || d.has(AT.const_value))) continue;
      const v = this.variable(d, 'global');
      if (v !== undefined) out.push(v);
    }
    return out;
  }

  /**
   * A global variable by name: the given unit's first (a static there wins), then any unit's
   * definition (external before static).
   */
  global(name: string, prefer?: Unit): CVariable | undefined {
    if (prefer !== undefined) {
      const local = this.unitGlobals(prefer).find((v) => v.name === name);
      if (local !== undefined) return local;
    }
    const d = this.globals().get(name);
    if (d !== undefined) return this.variable(d, 'global');
    // Declared here, defined elsewhere (or by the linker): the declaration's type at the symbol's address.
    const declared = prefer?.entries()[0]?.children.find((e) => e.tag === TAG.variable && e.num(AT.declaration) === 1 && e.name() === name);
    const address = declared === undefined ? undefined : this.symbolAddress(name);
    if (declared === undefined || address === undefined) return undefined;
    const v = this.variable(declared, 'global');
    return v && { ...v, address };
  }

  private globals(): Map<string, Die> {
    if (this.globalIndex === undefined) {
      const index = new Map<string, Die>();
      for (const unit of this.info.units.length <= INDEX_ALL_UNITS_UP_TO ? this.info.units : []) {
        for (const d of unit.entries()[0]?.children ?? []) {
          if (d.tag !== TAG.variable || !d.has(AT.location)) continue;
          const name = d.inherited((e) => e.name());
          if (name === undefined) continue;
          const known = index.get(name);
          if (known === undefined || (known.num(AT.external) !== 1 && d.inherited((e) => e.num(AT.external)) === 1)) index.set(name, d);
        }
      }
      this.globalIndex = index;
    }
    return this.globalIndex;
  }

  /**
   * A type by the name C gives it: `struct proc`, `union u`, `enum proc_state`, a typedef
   * (`uint32_t`) or a base type (`unsigned int`); definitions before declarations, the given unit first.
   */
  type(name: string, prefer?: Unit): CType | undefined {
    const key = name.replace(/\s+/g, ' ').trim();
    if (prefer !== undefined) {
      const d = typeEntries(prefer).get(key);
      if (d !== undefined && d.num(AT.declaration) !== 1) return this.types.build(d);
    }
    if (this.typeIndex === undefined) {
      const index = new Map<string, Die>();
      for (const unit of this.info.units.length <= INDEX_ALL_UNITS_UP_TO ? this.info.units : []) {
        for (const [k, d] of typeEntries(unit)) {
          const known = index.get(k);
          if (known === undefined || (known.num(AT.declaration) === 1 && d.num(AT.declaration) !== 1)) index.set(k, d);
        }
      }
      this.typeIndex = index;
    }
    const d = this.typeIndex.get(key);
    return d === undefined ? undefined : this.types.build(d);
  }

  /**
   * Where a variable is at pc, with the frame's registers and memory: its location (a single
   * expression or the location-list entry for pc), or its constant value.
   */
  locate(v: CVariable, pc: number, ctx: ExprContext): Where {
    if (v.address !== undefined) return { kind: 'memory', addr: v.address };
    const at = locationAt(v.die, AT.location, pc);
    if (at === undefined) {
      const c = v.die.attrs.get(AT.const_value);
      if (c === undefined) return OPTIMIZED_OUT;
      if (c.value instanceof Uint8Array) return { kind: 'value', bytes: c.value };
      const bytes = new Uint8Array(8);
      const n = typeof c.value === 'number' ? c.value : 0;
      const dv = new DataView(bytes.buffer);
      dv.setUint32(0, n >>> 0, true);
      dv.setUint32(4, Math.floor(n / 2 ** 32) >>> 0, true);
      return { kind: 'value', bytes };
    }
    if ('none' in at) return OPTIMIZED_OUT;
    return evaluateLocation(at.expr, ctx);
  }

  /** The function's frame base at pc (DW_AT_frame_base: DW_OP_call_frame_cfa in GCC's i386 output). */
  frameBase(fn: Die, pc: number, ctx: ExprContext): number | undefined {
    const at = locationAt(fn, AT.frame_base, pc);
    if (at === undefined || 'none' in at) return undefined;
    const w = evaluateLocation(at.expr, ctx);
    if (w.kind === 'memory') return w.addr;
    if (w.kind === 'register') return ctx.reg(w.reg);
    return undefined;
  }
}

/** A unit's named type entries at its top level, by the name C gives them. */
function typeEntries(unit: Unit): Map<string, Die> {
  const out = new Map<string, Die>();
  for (const d of unit.entries()[0]?.children ?? []) {
    const name = d.name();
    if (name === undefined) continue;
    const prefix = d.tag === TAG.structure_type ? 'struct ' : d.tag === TAG.union_type ? 'union ' : d.tag === TAG.enumeration_type ? 'enum '
      : d.tag === TAG.typedef || d.tag === TAG.base_type ? '' : undefined;
    if (prefix === undefined) continue;
    const key = prefix + name;
    const known = out.get(key);
    if (known === undefined || (known.num(AT.declaration) === 1 && d.num(AT.declaration) !== 1)) out.set(key, d);
  }
  return out;
}
