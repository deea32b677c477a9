/**
 * Which rows of the opcode map the compared programs execute: every row the
 * decoder accepts should appear in at least one program that is compared
 * with QEMU (in lockstep, or at recorded checkpoints). Rows that cannot be
 * compared by design are listed with the reason (NOT_COMPARED).
 */
import { MAP, isGroup, type Row } from '../../src/vm/cpu/optable';
import type { Handler, Instr } from '../../src/vm/cpu/instr';
import type { Cpu } from '../../src/vm/cpu/state';

/** Every row of the map, with a printable key. */
export function allRows(): Map<Row, string> {
  const rows = new Map<Row, string>();
  MAP.forEach((e, op) => {
    if (e === undefined) return;
    const hex = op >= 0x100 ? `0F ${(op & 0xff).toString(16).toUpperCase().padStart(2, '0')}` : op.toString(16).toUpperCase().padStart(2, '0');
    if (isGroup(e)) {
      e.group.forEach((r, reg) => { if (r && !rows.has(r)) rows.set(r, `${hex}/${reg} ${r.mnem} ${r.ops.join(',')}`); });
      e.groupReg?.forEach((r, reg) => { if (r && !rows.has(r)) rows.set(r, `${hex}/${reg}r ${r.mnem} ${r.ops.join(',')}`); });
    } else if (!rows.has(e)) {
      rows.set(e, `${hex} ${e.mnem} ${e.ops.join(',')}`.trim());
    }
  });
  return rows;
}

/**
 * Run `body` with every handler wrapped to record its row: the rows executed
 * (at least started: a faulting instruction counts, its fault is compared too).
 */
export function recordRows(body: () => void): Set<Row> {
  const seen = new Set<Row>();
  const saved: [Row, Handler, Handler][] = [];
  for (const row of allRows().keys()) {
    saved.push([row, row.fn32, row.fn16]);
    const f32 = row.fn32, f16 = row.fn16;
    row.fn32 = (c: Cpu, i: Instr) => { seen.add(row); f32(c, i); };
    row.fn16 = (c: Cpu, i: Instr) => { seen.add(row); f16(c, i); };
  }
  try {
    body();
  } finally {
    for (const [row, f32, f16] of saved) { row.fn32 = f32; row.fn16 = f16; }
  }
  return seen;
}

/** Rows no compared program runs, on purpose, and why. */
export const NOT_COMPARED: { match: RegExp; why: string }[] = [
  { match: / fpu Ef$/, why: 'x87: there is no FPU yet (these raise #NM or #UD, which the exceptions kernel compares for one escape)' },
  { match: / hlt$/, why: 'HLT: a single step never returns in QEMU (kernels end through isa-debug-exit instead)' },
  { match: / (cpuid|rdtsc|rdmsr|wrmsr|rdpmc)$/, why: 'results differ on purpose: our virtual CPU and clock are not QEMU\'s' },
  { match: / (in|ins) /, why: 'IN from ports where QEMU has devices and we have open bus; compared only on ports both leave unclaimed' },
  { match: / (sysenter|sysexit)$/, why: 'not used by the test programs yet' },
];
