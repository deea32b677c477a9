/**
 * What both oracle modes compare after every step, and how they report a
 * difference: the gdb-stub lockstep (lockstep.ts) and the log-driven one
 * (logstep.ts) share this, so the two check exactly the same state.
 */
import { Machine } from '../../src/vm/machine';
import { Instr } from '../../src/vm/cpu/instr';
import { decode } from '../../src/vm/cpu/decoder';
import { disassemble } from '../../src/vm/cpu/disasm';
import { getFlags } from '../../src/vm/cpu/flags';
import { peekTranslate } from '../../src/vm/cpu/paging';
import type { QemuRegs } from './rsp';

export const NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
export const SEGS = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;
/** Everything compared, in one order (the log mode keeps states as arrays in this order). */
export const FIELDS = [...NAMES, 'eip', 'eflags', ...SEGS, 'cr0', 'cr2', 'cr3', 'cr4'] as const;
export const EFLAGS_INDEX = FIELDS.indexOf('eflags');

export type State = Record<string, number>;

/** Our machine's state, into `out` in FIELDS order. */
export function oursInto(m: Machine, out: Uint32Array): Uint32Array {
  const c = m.cpu;
  for (let k = 0; k < 8; k++) out[k] = c.r32[k];
  out[8] = c.eip;
  out[9] = getFlags(c);
  for (let k = 0; k < 6; k++) out[10 + k] = c.segSel[k];
  out[16] = c.cr0; out[17] = c.cr2; out[18] = c.cr3; out[19] = c.cr4;
  return out;
}

/** A state array (FIELDS order) as a record, for compare() and describe(). */
export function toState(a: ArrayLike<number>): State {
  const s: State = {};
  FIELDS.forEach((k, i) => { s[k] = a[i] >>> 0; });
  return s;
}

export function ours(m: Machine): State {
  return toState(oursInto(m, new Uint32Array(FIELDS.length)));
}

export const hex = (v: number) => (v >>> 0).toString(16).padStart(8, '0');

export function describe(s: State): string {
  return FIELDS.map((k) => `${k}=${hex(s[k])}`).join(' ');
}

/** The instruction at a linear address, decoded from our memory (for masks and reports). */
export function instructionAtLinear(m: Machine, lin: number, code32: boolean): { ins: Instr; bytes: Uint8Array; text: string } {
  const c = m.cpu;
  const bytes = new Uint8Array(15);
  for (let k = 0; k < 15; k++) {
    const p = peekTranslate(c, (lin + k) | 0);
    bytes[k] = p < 0 ? 0 : c.mem.read8(p);
  }
  const ins = new Instr(() => {});
  const len = decode(bytes, 0, 15, code32, ins);
  const text = disassemble(ins, { syntax: 'att', address: lin >>> 0 });
  return { ins, bytes: bytes.subarray(0, Math.max(len, 1)), text };
}

/** The instruction at CS:EIP. */
export function instructionAt(m: Machine): { ins: Instr; bytes: Uint8Array; text: string } {
  const c = m.cpu;
  return instructionAtLinear(m, (c.segBase[1] + c.eip) | 0, c.code32);
}

/** One line of a divergence report's history: "eip: bytes  disassembly". */
export function historyLine(eip: number, at: { bytes: Uint8Array; text: string }): string {
  return `${hex(eip)}: ${Buffer.from(at.bytes).toString('hex').padEnd(20)} ${at.text}`;
}

/** The names of the registers that differ, or null. */
export function compare(s: State, q: QemuRegs | State, flagMask: number): string[] | null {
  const diff: string[] = [];
  for (const k of FIELDS) {
    if (k !== 'eflags' && s[k] !== (q as unknown as State)[k]) diff.push(k);
  }
  if (((s.eflags ^ q.eflags) & ~flagMask) !== 0) diff.push('eflags');
  return diff.length > 0 ? diff : null;
}

export function report(m: Machine, q: QemuRegs | State, diff: string[], history: string[], steps: number, when: string): string {
  return [
    `divergence ${when} (${steps} steps compared): ${diff.join(', ')} differ`,
    `  ours: ${describe(ours(m))}`,
    `  qemu: ${describe(q as unknown as State)}`,
    '  recent instructions (the last one ran last):',
    ...history.map((h) => `    ${h}`),
  ].join('\n');
}
