/**
 * Inline data movement the compiler's first cases leave out: XCHG, LEAVE, PUSHA, POPA,
 * MOV with a 32-bit offset (A0-A3), byte MOVs into registers, the
 * 16-bit MOV forms, PUSH and POP r/m32, and the NOPs. None touches the flags or
 * the locals fa fb fr, so what a following Jcc knows of them still holds.
 */
import type { Instr } from '../instr';
import { eaExpr, reg8, setReg8 } from './common';

const SS = 2, EAX = 0, ESP = 4, EBP = 5;

/** A 16-bit register's low half as a store target (c.r16 overlays c.r32). */
const r16 = (r: number) => `c.r16[${r << 1}]`;

/** A move with a 16-bit operand (66 prefix), or null. Called before the 32-bit forms are looked at. */
export function move16(i: Instr): string | null {
  if (i.o32 || !i.a32 || i.lock || i.rep !== 0) return null;
  const op = i.opcode, mem = i.mod !== 3, seg = i.seg;
  if (op === 0x89) return mem ? `c.wr16(${seg}, ${eaExpr(i)}, R[${i.reg}] & 65535);` : `${r16(i.rm)} = R[${i.reg}];`;
  if (op === 0x8b) return `${r16(i.reg)} = ${mem ? `c.rd16(${seg}, ${eaExpr(i)})` : `R[${i.rm}]`};`;
  if (op === 0xc7 && i.reg === 0) return mem ? `c.wr16(${seg}, ${eaExpr(i)}, ${i.imm & 0xffff});` : `${r16(i.rm)} = ${i.imm & 0xffff};`;
  if (op >= 0xb8 && op <= 0xbf) return `${r16(op & 7)} = ${i.imm & 0xffff};`;
  if (op === 0x90 || i.def?.mnem === 'nop') return '';
  return null;
}

/** XCHG, LEAVE, PUSHA, POPA, moffs MOVs, byte MOVs into registers, PUSH Ev from memory, POP Ev, NOPs: or null. */
export function move(i: Instr): string | null {
  const op = i.opcode, mem = i.mod !== 3, seg = i.seg;
  if (i.def?.mnem === 'nop') return '';
  switch (op) {
    case 0x87:
      return mem ? `{ const o = ${eaExpr(i)}, a = c.rdW32(${seg}, o); c.wr32(${seg}, o, R[${i.reg}]); R[${i.reg}] = a; }`
        : `{ const a = R[${i.rm}]; R[${i.rm}] = R[${i.reg}]; R[${i.reg}] = a; }`;
    case 0x86:
      return mem ? `{ const o = ${eaExpr(i)}, a = c.rdW8(${seg}, o); c.wr8(${seg}, o, ${reg8(i.reg)}); ${setReg8(i.reg, 'a')} }`
        : `{ const a = ${reg8(i.rm)}, b = ${reg8(i.reg)}; ${setReg8(i.rm, 'b')} ${setReg8(i.reg, 'a')} }`;
    case 0x91: case 0x92: case 0x93: case 0x94: case 0x95: case 0x96: case 0x97:
      return `{ const a = R[${op & 7}]; R[${op & 7}] = R[${EAX}]; R[${EAX}] = a; }`;
    case 0xc9:
      // LEAVE: ESP = EBP (SP = BP on a 16-bit stack), then EBP is popped.
      return `{ const s32 = c.stack32, bp = s32 ? R[${EBP}] : R[${EBP}] & 65535, v = c.rd32(${SS}, bp); `
        + `if (s32) R[${ESP}] = (bp + 4) | 0; else ${r16(ESP)} = bp + 4; R[${EBP}] = v; }`;
    case 0x60: {
      // PUSHA: EAX first, down to EDI, ESP as it was; ESP moves only once all are written.
      const writes = [0, 1, 2, 3, 4, 5, 6, 7].map((r) => `c.wr32(${SS}, (sp - ${4 * (r + 1)}) & m, R[${r}]);`).join(' ');
      return `{ const m = c.stack32 ? -1 : 65535, sp = R[${ESP}] & m; ${writes} c.addSP(-32); }`;
    }
    case 0x61: {
      // POPA: EDI at the lowest address; ESP's slot is skipped.
      const reads = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => `v${7 - k} = c.peek32(${4 * k})`).join(', ');
      return `{ const ${reads}; R[0] = v0; R[1] = v1; R[2] = v2; R[3] = v3; R[5] = v5; R[6] = v6; R[7] = v7; c.addSP(32); }`;
    }
    case 0xa0: return setReg8(EAX, `c.rd8(${seg}, ${i.disp | 0})`);
    case 0xa1: return `R[${EAX}] = c.rd32(${seg}, ${i.disp | 0});`;
    case 0xa2: return `c.wr8(${seg}, ${i.disp | 0}, R[${EAX}] & 255);`;
    case 0xa3: return `c.wr32(${seg}, ${i.disp | 0}, R[${EAX}]);`;
    case 0x88: return mem ? null : setReg8(i.rm, reg8(i.reg)); // the memory form is written elsewhere
    case 0xb0: case 0xb1: case 0xb2: case 0xb3: case 0xb4: case 0xb5: case 0xb6: case 0xb7: return setReg8(op & 7, String(i.imm & 255));
    case 0xc6: return i.reg === 0 && !mem ? setReg8(i.rm, String(i.imm & 255)) : null;
    case 0xff: return i.reg === 6 && mem ? `c.push32(c.rd32(${seg}, ${eaExpr(i)}));` : null;
    case 0x8f:
      if (i.reg !== 0) return null;
      if (!mem) return `{ const v = c.peek32(0); c.addSP(4); R[${i.rm}] = v; }`;
      // POP to memory: the address is taken after ESP moved (it may use ESP); a faulting write puts ESP back.
      return `{ const v = c.peek32(0), old = R[${ESP}]; c.addSP(4); try { c.wr32(${seg}, ${eaExpr(i)}, v); } catch (e) { R[${ESP}] = old; throw e; } }`;
    default: return null;
  }
}
