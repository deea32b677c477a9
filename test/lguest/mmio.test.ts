/**
 * The MOVs the Host does for the Guest at a device register (mmio.ts): every ModRM, SIB and displacement
 * form of 88, 89, 8A and 8B, with and without 0x66, and what is not one. Lengths checked against the CPU's
 * own decoder, which the disassembler shares.
 */
import { describe, it, expect } from 'vitest';
import { decodeMmioMove, registerValue, setRegisterValue } from '../../src/vm/lguest/mmio';
import type { Lguest } from '../../src/vm/lguest/lguest';
import { disassembleBytes } from '../../src/vm/cpu/disasm';

describe('decodeMmioMove', () => {
  it('knows the four opcodes, their widths and directions', () => {
    expect(decodeMmioMove([0x8b, 0x00])).toEqual({ store: false, size: 4, reg: 0, length: 2 }); // mov (%eax),%eax
    expect(decodeMmioMove([0x89, 0x10])).toEqual({ store: true, size: 4, reg: 2, length: 2 }); // mov %edx,(%eax)
    expect(decodeMmioMove([0x66, 0x89, 0x10])).toEqual({ store: true, size: 2, reg: 2, length: 3 }); // mov %dx,(%eax)
    expect(decodeMmioMove([0x66, 0x8b, 0x08])).toEqual({ store: false, size: 2, reg: 1, length: 3 });
    expect(decodeMmioMove([0x88, 0x20])).toEqual({ store: true, size: 1, reg: 4, length: 2 }); // mov %ah,(%eax)
    expect(decodeMmioMove([0x8a, 0x38])).toEqual({ store: false, size: 1, reg: 7, length: 2 }); // mov (%eax),%bh
  });

  it('finds the length of every addressing form as the CPU\'s decoder does', () => {
    let checked = 0;
    for (const op of [0x88, 0x89, 0x8a, 0x8b]) {
      for (let modrm = 0; modrm < 0xc0; modrm++) {
        for (const sib of [0x00, 0x05, 0x24, 0x25, 0xe5]) {
          const bytes = [op, modrm, sib, 0x11, 0x22, 0x33, 0x44, 0x55];
          const mv = decodeMmioMove(bytes);
          expect(mv).not.toBeNull();
          expect(mv!.length, `${op.toString(16)} ${modrm.toString(16)} ${sib.toString(16)}`).toBe(disassembleBytes(Uint8Array.from(bytes), 0, true, 'att')[0].length);
          checked++;
        }
      }
    }
    expect(checked).toBe(4 * 0xc0 * 5);
  });

  it('is no MMIO MOV: a register operand, other opcodes, a 16-bit address, too few bytes', () => {
    expect(decodeMmioMove([0x89, 0xc0])).toBeNull(); // mov %eax,%eax touches no memory
    expect(decodeMmioMove([0xc7, 0x00, 1, 0, 0, 0])).toBeNull(); // mov $imm: not a driver's ioread/iowrite
    expect(decodeMmioMove([0x67, 0x8b, 0x00])).toBeNull();
    expect(decodeMmioMove([0x8b, 0x05, 0x00, 0x10])).toBeNull(); // disp32 cut short
    expect(decodeMmioMove([0x8b])).toBeNull();
  });
});

describe('the register a MOV loads or stores', () => {
  /** Just the saved registers of an Lguest. */
  function regs(values: Record<string, number>) {
    const r = { ...values };
    return { reg: (n: string) => r[n] >>> 0, setReg: (n: string, v: number) => { r[n] = v >>> 0; }, r } as unknown as Lguest & { r: Record<string, number> };
  }

  it('reads AL..BL and AH..BH, 16-bit and 32-bit registers', () => {
    const lg = regs({ eax: 0x11223344, ecx: 0x55667788, edx: 0, ebx: 0xaabbccdd, esp: 0, ebp: 0, esi: 0x12345678, edi: 0 });
    expect(registerValue(lg, 0, 1)).toBe(0x44); // al
    expect(registerValue(lg, 4, 1)).toBe(0x33); // ah
    expect(registerValue(lg, 7, 1)).toBe(0xcc); // bh
    expect(registerValue(lg, 1, 2)).toBe(0x7788); // cx
    expect(registerValue(lg, 6, 4)).toBe(0x12345678); // esi
  });

  it('writes only the part the access names', () => {
    const lg = regs({ eax: 0x11223344, ecx: 0x55667788, edx: 0, ebx: 0xaabbccdd, esp: 0, ebp: 0, esi: 0, edi: 0 });
    setRegisterValue(lg, 4, 1, 0xee); // ah
    expect(lg.r.eax).toBe(0x1122ee44);
    setRegisterValue(lg, 3, 1, 0x01); // bl
    expect(lg.r.ebx).toBe(0xaabbcc01);
    setRegisterValue(lg, 1, 2, 0xbeef); // cx
    expect(lg.r.ecx).toBe(0x5566beef);
    setRegisterValue(lg, 2, 4, 0xdeadbeef); // edx
    expect(lg.r.edx).toBe(0xdeadbeef);
  });
});
