/**
 * MOVS, STOS and LODS (bytes and doublewords, 32-bit addresses), and LODS
 * with REP, written out for the last instruction of a block (REP MOVS and
 * REP STOS call their handler, which runs them a page at a time; a string
 * instruction always ends its block). It stands where the handler's call
 * would: c.eip is the instruction, c.eipNext the next one. As ops/string.ts:
 * each iteration after the first is counted before it runs and only while
 * the budget lasts and nobody asked to leave (then EIP stays on the
 * instruction to go on later); a fault leaves ECX, ESI and EDI as the
 * iterations done left them.
 */
import type { Instr } from '../instr';
import { DF } from '../flags';

const ES = 0, DS = 3;

/** One iteration's work, or null. */
function one(i: Instr): string | null {
  const src = i.segPrefix >= 0 ? i.segPrefix : DS, w = i.size === 4 ? 32 : 8;
  switch (i.opcode) {
    case 0xa4: case 0xa5: return `c.wr${w}(${ES}, R[7], c.rd${w}(${src}, R[6])); R[6] = (R[6] + d) | 0; R[7] = (R[7] + d) | 0;`;
    case 0xaa: return `c.wr8(${ES}, R[7], R[0] & 255); R[7] = (R[7] + d) | 0;`;
    case 0xab: return `c.wr32(${ES}, R[7], R[0]); R[7] = (R[7] + d) | 0;`;
    case 0xac: return `c.r8[0] = c.rd8(${src}, R[6]); R[6] = (R[6] + d) | 0;`;
    case 0xad: return `R[0] = c.rd32(${src}, R[6]); R[6] = (R[6] + d) | 0;`;
    default: return null;
  }
}

/** The string instruction `i` (the block's last), or null to call its handler. */
export function stringOp(i: Instr): string | null {
  if (!i.a32 || i.lock || (!i.o32 && i.size !== 1)) return null;
  // REP MOVS and REP STOS go to their handler, which runs whole pages at once (ops/stringBulk.ts).
  if (i.rep !== 0 && (i.opcode === 0xa4 || i.opcode === 0xa5 || i.opcode === 0xaa || i.opcode === 0xab)) return null;
  const body = one(i);
  if (body === null) return null;
  const d = `const d = (c.flagsRaw & ${DF}) !== 0 ? ${-i.size} : ${i.size};`;
  if (i.rep === 0) return `{ ${d} ${body} }`;
  // REP and REPNE alike repeat these while ECX lasts; the run loop counted the first iteration.
  return `{ ${d} let n = R[1]; if (n !== 0) for (let done = 0; ; done++) {`
    + ' if (done > 0) { if (c.instructions >= c.instructionLimit || c.exitBlock) { c.eipNext = c.eip; c.repLeftOffAt = c.instructions; break; } c.instructions++; }'
    + ` ${body} n = (n - 1) | 0; R[1] = n; if (n === 0) break; } }`;
}
