/**
 * The user's breakpoints, of every kind: on a source line, at a function, at
 * an instruction, on a write to memory; each with its condition and hit
 * count, and a source line's as a logpoint that prints instead of stopping.
 * Function breakpoints that name a trap (`trap 14`) are the Host's stops,
 * kept in trapStops.ts.
 *
 * The CPU is given the addresses (and a step's temporary one); when it stops
 * at one, `stopsAt` says whether the user wants the stop. Before a program is
 * loaded, there is nothing to resolve a line or a name against: those
 * breakpoints are refused, and the client sets them again once it is.
 */
import { Target } from './target';
import type { Programs } from '../programs';
import { formatValue as hex } from '../expression';
import { fpuExpressionText } from '../fpu';
import { watchedObject, logText } from '../lvalue';
import { parseTrapFunctionBreakpoint } from '../filters';
import { Counted, Judge, hitStops } from './hits';
import { TrapStops, NamedTrap } from './trapStops';

interface UserBreakpoint extends Counted {
  id: number;
  addresses: number[];
  logMessage?: string;
  /** Bytes watched (data breakpoints). */
  size?: number;
  /** A source breakpoint's file and (verified) line: what a stop there shows, whatever else the line table says. */
  path?: string;
  line?: number;
}

/** The answer about one breakpoint asked for: where it is, or why it cannot be. */
export interface BreakpointResult {
  id: number;
  verified: boolean;
  message?: string;
  line?: number;
  address?: number;
  /** The source file a function breakpoint is in, when it can be found. */
  file?: string;
  path?: string;
}

/** How the user asks for a breakpoint, whatever its kind. */
interface Asked {
  condition?: string;
  hitCondition?: string;
}

/** Why the Host's stops cannot be had on the bare machine. */
export const NO_HOST = 'a bare machine has no Host, whose stops these are (lguest mode)';

export class Breakpoints {
  readonly traps: TrapStops;
  private nextId = 1;
  private readonly source = new Map<string, UserBreakpoint[]>();
  private functions: UserBreakpoint[] = [];
  private instructions: UserBreakpoint[] = [];
  private data: UserBreakpoint[] = [];
  /** A step's temporary stop (over or out). */
  private temporary: number | null = null;
  private target: Target | null = null;
  private programs: Programs | null = null;

  constructor(private readonly judge: Judge) {
    this.traps = new TrapStops(judge);
  }

  /** The program is loaded: the CPU gets the addresses, and the Host an observer. */
  attach(target: Target, programs: Programs): void {
    this.target = target;
    this.programs = programs;
    if (target.host) this.traps.watch(target.host);
    this.apply();
  }

  setSource(path: string, asked: (Asked & { line: number; logMessage?: string })[]): BreakpointResult[] {
    const results: BreakpointResult[] = [];
    const list: UserBreakpoint[] = [];
    for (const sb of asked) {
      const id = this.nextId++;
      const where = this.programs ? this.programs.breakpointLines(path, sb.line) : { line: sb.line, addresses: [] };
      if (where.addresses.length === 0) {
        const message = this.programs ? 'no code for this line in the program' : 'no program loaded yet';
        results.push({ id, verified: false, line: sb.line, message });
        continue;
      }
      list.push({ ...counted(sb), id, addresses: where.addresses, logMessage: sb.logMessage, path, line: where.line });
      results.push({ id, verified: true, line: where.line, address: where.addresses[0] });
    }
    this.source.set(path, list);
    this.apply();
    return results;
  }

  /** Functions by name, and the Host's stops by theirs (`trap 14`, `hypercall SET_PTE`, `guestKilled`). */
  setFunctions(asked: (Asked & { name: string })[]): BreakpointResult[] {
    const results: BreakpointResult[] = [];
    const named: NamedTrap[] = [];
    this.functions = [];
    for (const fb of asked) {
      const id = this.nextId++;
      const trap = parseTrapFunctionBreakpoint(fb.name);
      if (trap !== null) {
        if ('error' in trap) { results.push({ id, verified: false, message: trap.error }); continue; }
        if (this.target !== null && this.target.host === null) {
          results.push({ id, verified: false, message: `${NO_HOST}: '${fb.name.trim()}' never stops here` });
          continue;
        }
        named.push({ ...counted(fb), filter: trap.filter, set: trap.set });
        results.push({ id, verified: true, message: `stops at ${fb.name}` });
        continue;
      }
      const addr = this.programs?.addressOf(fb.name.trim());
      if (addr === undefined) {
        results.push({ id, verified: false, message: `no function '${fb.name}' in the program's symbols` });
        continue;
      }
      this.functions.push({ ...counted(fb), id, addresses: [addr] });
      const loc = this.programs!.lineFor(addr);
      results.push({ id, verified: true, address: addr, line: loc?.line, file: loc?.file, path: loc?.path });
    }
    this.traps.setNamed(named);
    this.apply();
    return results;
  }

  /** Instructions by reference (a hex address and an offset). */
  setInstructions(asked: (Asked & { instructionReference: string; offset?: number })[]): BreakpointResult[] {
    this.instructions = [];
    const results = asked.map((ib): BreakpointResult => {
      const id = this.nextId++;
      const ref = Target.parseReference(ib.instructionReference);
      if (!ref || ref.physical) {
        return { id, verified: false, message: `bad instruction reference '${ib.instructionReference}'` };
      }
      const addr = (ref.address + (ib.offset ?? 0)) >>> 0;
      this.instructions.push({ ...counted(ib), id, addresses: [addr] });
      return { id, verified: true, address: addr };
    });
    this.apply();
    return results;
  }

  /**
   * What can be watched, for writes: the variable a C lvalue names (`stat_ticks`, `procs[1].state`), at
   * its address and for its size (4 KiB at most), or the 4 bytes at an untyped address (a number, a symbol
   * without debug information).
   */
  watchable(expression: string): { dataId: string; description: string } | { error: string } {
    if (!this.target || !this.programs) return { error: 'no program loaded yet' };
    const w = watchedObject(expression, this.judge.env());
    if ('error' in w) return w;
    const size = Math.max(1, Math.min(4096, w.size));
    const name = this.programs.symbolize(w.address);
    const description = `writes to the ${size === 1 ? 'byte' : `${size} bytes`} at ${hex(w.address)}${name ? ` (${name})` : ''}`;
    return { dataId: `${hex(w.address)}/${size}`, description };
  }

  /** Watch the writes `dataId`s (from `watchable`) name; say which could be watched. */
  setData(asked: (Asked & { dataId: string; accessType?: string })[]): BreakpointResult[] {
    // Parse each, in order; then watch the good ones.
    const parsed = asked.map((db) => {
      const id = this.nextId++;
      const m = /^(0x[0-9a-f]+)\/(\d+)$/i.exec(db.dataId);
      if (!m) return { id, error: `bad data breakpoint id '${db.dataId}'` };
      if (db.accessType !== undefined && db.accessType !== 'write') return { id, error: 'only writes can be watched' };
      const size = Math.min(Math.max(1, Number(m[2])), 4096);
      const bp: UserBreakpoint = { ...counted(db), id, addresses: [Number(m[1])], size };
      return { id, bp };
    });
    const good = parsed.filter((p) => p.bp !== undefined).map((p) => p.bp!);
    const ranges = good.map((b) => ({ addr: b.addresses[0], size: b.size! }));
    const ok = this.target ? this.target.setWatches(ranges) : good.map(() => false);
    const watched = new Set(good.filter((_, i) => ok[i]));
    this.data = [...watched];
    return parsed.map((p): BreakpointResult => p.bp === undefined ? { id: p.id, verified: false, message: p.error }
      : watched.has(p.bp) ? { id: p.id, verified: true }
        : { id: p.id, verified: false, message: `nothing is mapped at ${hex(p.bp.addresses[0])}` });
  }

  /** A step over or out stops at `address` too (null: no more). */
  setTemporary(address: number | null): void {
    this.temporary = address;
    this.apply();
  }

  /** At a breakpoint: count hits, print logpoints, check conditions; true if the machine should stop. */
  stopsAt(eip: number): boolean {
    let stop = false;
    for (const b of this.code()) {
      if (!b.addresses.includes(eip) || !hitStops(b, this.judge)) continue;
      if (b.logMessage !== undefined) {
        this.judge.say(this.interpolate(b.logMessage));
        continue;
      }
      stop = true;
    }
    return stop;
  }

  /** A watched write: does a data breakpoint there stop? */
  dataStops(address: number): boolean {
    let stop = false;
    for (const b of this.data) {
      if (address >= b.addresses[0] && address < b.addresses[0] + (b.size ?? 4) && hitStops(b, this.judge)) stop = true;
    }
    return stop;
  }

  /** The kind of breakpoint the machine stopped at (as the stop's reason), and the ids of all there. */
  reached(eip: number): { reason: string; ids: number[] } {
    const reason = this.instructions.some((b) => b.addresses.includes(eip)) ? 'instruction breakpoint'
      : this.functions.some((b) => b.addresses.includes(eip)) ? 'function breakpoint' : 'breakpoint';
    return { reason, ids: this.code().filter((b) => b.addresses.includes(eip)).map((b) => b.id) };
  }

  /** The data breakpoints a write of `size` bytes at `address` hit. */
  dataReached(address: number, size: number): number[] {
    return this.data.filter((b) => b.addresses.some((a) => address >= a && address < a + size)).map((b) => b.id);
  }

  /**
   * The line a source breakpoint at `eip` was set on: optimized code gives one address to several lines, and a
   * stop there shows (and a line step starts from) the one the user chose.
   */
  sourceLineAt(eip: number): { line: number; path: string } | null {
    const b = [...this.source.values()].flat().find((x) => x.addresses.includes(eip));
    return b ? { line: b.line!, path: b.path! } : null;
  }

  private code(): UserBreakpoint[] {
    return [...[...this.source.values()].flat(), ...this.functions, ...this.instructions];
  }

  /** Give the CPU every breakpoint address (and a step's temporary one). */
  private apply(): void {
    if (!this.target) return;
    const addrs = new Set(this.code().flatMap((b) => b.addresses));
    if (this.temporary !== null) addrs.add(this.temporary);
    this.target.executor.setBreakpoints(addrs);
  }

  /** A logpoint's message with {expressions} replaced by their values. */
  private interpolate(message: string): string {
    return message.replace(/\{([^}]+)\}/g, (_, expr: string) => {
      // An x87 register alone ({$st0}) in decimal, as the watch shows it.
      const float = this.target ? fpuExpressionText(expr, this.target.fpu) : null;
      if (float !== null) return float;
      return logText(expr, this.judge.env());
    });
  }
}

function counted(a: Asked): Counted {
  return { condition: a.condition, hitCondition: a.hitCondition, hits: 0 };
}
