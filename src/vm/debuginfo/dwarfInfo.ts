/**
 * Just enough of .debug_info for breakpoints: the line each out-of-line
 * function is declared on (DW_AT_decl_line), by its entry address
 * (DW_AT_low_pc). A breakpoint on a line without code moves to the next
 * line with code only if that line's function is declared at or before
 * the line asked for (so its signature line works, a comment between two
 * functions does not), and the line table alone cannot say where a
 * function's signature begins: GCC's first row is the opening brace.
 *
 * The walk reads every entry of every unit (DWARF 2 to 5) without keeping
 * them: it steps over each attribute (dwarfDies.ts's skipForm) except those
 * of functions, so Linux's two million entries take a second and no memory.
 */
import { AT, DwarfInfo, TAG, type Abbrev, type DwarfSections, skipForm } from './dwarfDies';
import { DwarfError, Reader } from './reader';

export interface FunctionDecl {
  name?: string;
  lowPc: number;
  /** One past the last byte, when DW_AT_high_pc is there. */
  highPc?: number;
  declLine?: number;
}

export type InfoSections = DwarfSections;

interface Sub {
  name?: string;
  lowPc?: number;
  high?: { value: number; isOffset: boolean };
  declLine?: number;
  origin?: number;
}

/** Every function with an entry address, with its declaration line (followed through abstract origins). */
export function readFunctionDecls(s: InfoSections): { functions: FunctionDecl[]; errors: string[] } {
  const dwarf = new DwarfInfo(s);
  const subs = new Map<number, Sub>(); // by entry offset
  const errors = [...dwarf.errors];
  for (const u of dwarf.units) {
    try {
      const abbrevs = dwarf.abbrevs(u);
      const r = new Reader(s.info, u.firstDie, u.end);
      while (!r.atEnd) {
        const at = r.pos, code = r.uleb();
        if (code === 0) continue; // the end of a list of children
        const a = abbrevs.get(code);
        if (a === undefined) throw new DwarfError(`unknown abbreviation ${code} at 0x${at.toString(16)}`);
        if (a.tag !== TAG.subprogram) {
          for (const { form } of a.attrs) skipForm(r, form, u);
          continue;
        }
        const attrAt = r.pos;
        for (const { form } of a.attrs) skipForm(r, form, u);
        subs.set(at, subprogram(dwarf, u, a, attrAt));
      }
    } catch (e) {
      if (!(e instanceof DwarfError)) throw e;
      errors.push(`.debug_info unit at 0x${u.offset.toString(16)}: ${e.message}`);
    }
  }

  const functions: FunctionDecl[] = [];
  for (const sub of subs.values()) {
    if (sub.lowPc === undefined) continue;
    let declLine = sub.declLine, name = sub.name;
    for (let o = sub.origin, hops = 0; o !== undefined && hops < 8; hops++) {
      const origin = subs.get(o);
      if (!origin) break;
      declLine ??= origin.declLine;
      name ??= origin.name;
      o = origin.origin;
    }
    const highPc = sub.high ? (sub.high.isOffset ? sub.lowPc + sub.high.value : sub.high.value) : undefined;
    functions.push({ name, lowPc: sub.lowPc, highPc, declLine });
  }
  return { functions, errors };
}

/** A function's attributes that matter here, read with the unit's forms (strings and addresses through its bases). */
function subprogram(dwarf: DwarfInfo, u: DwarfInfo['units'][number], a: Abbrev, attrAt: number): Sub {
  const attrs = dwarf.readAttrs(u, a, attrAt);
  const num = (at: number) => {
    const v = attrs.get(at)?.value;
    return typeof v === 'number' ? v : undefined;
  };
  const sub: Sub = {};
  const name = attrs.get(AT.name)?.value;
  if (typeof name === 'string') sub.name = name;
  sub.lowPc = num(AT.low_pc);
  const high = attrs.get(AT.high_pc);
  if (high !== undefined && typeof high.value === 'number') sub.high = { value: high.value, isOffset: high.form !== 0x01 };
  sub.declLine = num(AT.decl_line);
  sub.origin = num(AT.abstract_origin) ?? num(AT.specification);
  return sub;
}
