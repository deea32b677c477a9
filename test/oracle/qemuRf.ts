/**
 * QEMU 7.2 pushes EFLAGS.RF as it is in every frame, where the manual pushes
 * RF = 1 for a fault-class exception (other than an instruction breakpoint's
 * #DB) and for an interrupt or trap between two iterations of a REP string
 * (SDM Vol. 3 §17.3.1.1; QEMU 8.1 does the former). The comparisons with
 * QEMU clear the bit our CPU added, in our frame, as the frame is pushed, and
 * count how often: the handlers read the frame and IRET loads it, so the two
 * then go on alike. Our rule itself is held to the manual by
 * src/vm/cpu/debugregs.test.ts.
 */
import type { Cpu } from '../../src/vm/cpu/state';
import { SS, ESP } from '../../src/vm/cpu/state';
import { RF } from '../../src/vm/cpu/flags';

/** Install the adjustment on `cpu` (after any other onVector, which it keeps calling). */
export function pushRfAsQemu72(cpu: Cpu): { cleared: number } {
  const counts = { cleared: 0 };
  const told = cpu.onVector;
  cpu.onVector = (vector, code, eip) => {
    told?.(vector, code, eip);
    // Called once the frame is pushed and before EFLAGS changes: flagsRaw is what was interrupted.
    if ((cpu.flagsRaw & RF) !== 0) return;
    const gateHi = cpu.rdSys32((cpu.idtr.base + vector * 8 + 4) | 0);
    if ((gateHi & 0x800) === 0) return; // a 16-bit gate pushes FLAGS, which has no RF
    const sp = cpu.stack32 ? cpu.r32[ESP] : cpu.r16[ESP << 1];
    const at = sp + (code >= 0 ? 12 : 8);
    const image = cpu.rd32(SS, at);
    if ((image & RF) === 0) return;
    cpu.wr32(SS, at, image & ~RF);
    counts.cleared++;
  };
  return counts;
}
