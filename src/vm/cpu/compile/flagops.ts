/**
 * Inline CLC, STC, CMC, CLD, STD. DF is never lazy, so CLD and STD leave the
 * lazy record (and what a Jcc knows of it) alone; the carry ones make the
 * flags concrete first, as ops/system.ts does.
 */
import type { Instr } from '../instr';
import { CF, DF } from '../flags';
import { Known, type Ctx } from './common';

/** One of the five, or null. */
export function flagOp(i: Instr, ctx: Ctx): string | null {
  switch (i.opcode) {
    case 0xfc: return `c.flagsRaw &= ${~DF};`;
    case 0xfd: return `c.flagsRaw |= ${DF};`;
    case 0xf5: ctx.known = Known.NONE; return `materialize(c); c.flagsRaw ^= ${CF};`;
    case 0xf8: ctx.known = Known.NONE; return `materialize(c); c.flagsRaw &= ${~CF};`;
    case 0xf9: ctx.known = Known.NONE; return `materialize(c); c.flagsRaw |= ${CF};`;
    default: return null;
  }
}
