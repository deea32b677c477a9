/**
 * Call frame information and unwinding: the CFI rows of every FDE of the
 * guests and samples as readelf interprets them (test/fixtures/debuginfo/),
 * hand-made tables for the instructions GCC does not use here, and
 * backtraces over made-up stacks: through CFI frames (saved registers, a
 * realigned stack described by expressions) and by frame pointers where
 * there is no CFI.
 */
import { describe, expect, it } from 'vitest';
import { CallFrameInfo, type CfaRule, type CfiRow, type RegisterRule } from './cfi';
import { DebugInfo } from './debugInfo';
import { evaluate } from './dwarfExpr';
import { unwindWithFramePointer } from './unwind';
import { Bytes, fixture, fixtures, loadElf, memory } from './testFixtures';

const NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip'];
/** readelf's names of the other i386 DWARF registers the tour's trap frames save (psABI: 9, 40-45). */
const MORE: Record<string, number> = { eflags: 9, es: 40, cs: 41, ss: 42, ds: 43, fs: 44, gs: 45 };
const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);

/** A rule as readelf --debug-dump=frames-interp prints it. */
function cell(rule: RegisterRule | undefined): string {
  if (!rule) return 'u';
  switch (rule.type) {
    case 'undefined': return 'u';
    case 'sameValue': return 's';
    case 'offset': return `c${signed(rule.offset)}`;
    case 'valOffset': return `v${signed(rule.offset)}`;
    case 'register': return NAMES[rule.register] ?? `r${rule.register}`;
    case 'expression': return 'exp';
    case 'valExpression': return 'vexp';
  }
}
const cfaCell = (c: CfaRule) => (c.type === 'expression' ? 'exp' : `${NAMES[c.register]}${signed(c.offset)}`);

function render(row: CfiRow, columns: string[]): string[] {
  return [row.loc.toString(16).padStart(8, '0'), ...columns.map((c) => {
    if (c === 'CFA') return cfaCell(row.cfa);
    const n = c === 'ra' ? row.returnAddress : MORE[c] ?? NAMES.indexOf(c);
    return cell(row.registers.get(n));
  })];
}

const withFrames = fixtures().filter((f) => f.frames.length > 0);

describe.each(withFrames)('CFI of $name', (fx) => {
  it('has the FDEs and rows readelf shows', () => {
    const di = new DebugInfo(loadElf(fx));
    expect(di.cfi.errors).toEqual([]);
    const ranges = (xs: [number, number, string][]) => xs.sort((a, b) => a[0] - b[0]);
    expect(ranges(di.cfi.allFdes().map((f) => [f.start, f.end, f.section])))
      .toEqual(ranges(fx.frames.map((f) => [parseInt(f.pc[0], 16), parseInt(f.pc[1], 16), f.section])));
    const bad: string[] = [];
    for (const fde of fx.frames) {
      fde.rows.forEach((want, k) => {
        const loc = parseInt(want[0], 16);
        // At the row's first byte, and at its last one.
        const last = k + 1 < fde.rows.length ? parseInt(fde.rows[k + 1][0], 16) - 1 : parseInt(fde.pc[1], 16) - 1;
        for (const pc of [loc, last]) {
          const row = di.cfiRowAt(pc);
          const got = row ? render(row, fde.columns) : ['none'];
          if (got.join(' ') !== want.join(' ') && bad.length < 10) bad.push(`at ${pc.toString(16)}: ${got.join(' ')}; readelf: ${want.join(' ')}`);
        }
      });
    }
    expect(bad).toEqual([]);
  });
});

describe('which ELFs have CFI', () => {
  it('is .debug_frame for the C guests, .eh_frame for sample-eh, none for the Switcher', () => {
    const sections = (n: string) => [...new Set(new DebugInfo(loadElf(fixture(n))).cfi.allFdes().map((f) => f.section))];
    expect(sections('tour')).toEqual(['.debug_frame']);
    expect(sections('sample-eh')).toEqual(['.eh_frame']);
    expect(sections('switcher')).toEqual([]);
    // The tour's asm (entry.S) has its own, written with .cfi directives: trap_common's is a signal frame.
    expect(new DebugInfo(loadElf(fixture('tour'))).cfiRowAt(0xc0100102)?.signalFrame).toBe(true);
  });
});

describe('hand-made CFI', () => {
  /** A .debug_frame entry: length, then the body. */
  const entry = (body: Bytes) => new Bytes().u32(body.length).bytes(body);

  it('runs the rarer DW_CFA instructions, with a version 4 CIE', () => {
    const cie = entry(new Bytes().u32(0xffffffff).u8(4).str('').u8(4, 0).uleb(2).sleb(-4).uleb(8)
      .u8(0x0c).uleb(4).uleb(4) // def_cfa esp+4
      .u8(0x80 | 8).uleb(1)); // eip at cfa-4
    const fde = new Bytes().u32(0).u32(0x5000).u32(0x100)
      .u8(0x40 | 1) // advance 1*2 -> 0x5002
      .u8(0x12).uleb(5).sleb(-3) // def_cfa_sf ebp, -3*-4 = 12
      .u8(0x11).uleb(3).sleb(2) // offset_extended_sf ebx at cfa-8
      .u8(0x09).uleb(6).uleb(1) // esi in ecx
      .u8(0x08).uleb(7) // edi same value
      .u8(0x07).uleb(0) // eax undefined
      .u8(0x2e).uleb(16) // GNU_args_size
      .u8(0x02, 3) // advance_loc1 3*2 -> 0x5008
      .u8(0x14).uleb(2).uleb(1) // edx: val_offset cfa-4
      .u8(0x15).uleb(1).sleb(-1) // ecx: val_offset cfa+4
      .u8(0x0a) // remember
      .u8(0x13).sleb(-5) // def_cfa_offset_sf 20
      .u8(0x06).uleb(3) // restore_extended ebx
      .u8(0x04).u32(4) // advance_loc4 4*2 -> 0x5010
      .u8(0x0b) // restore_state
      .u8(0x16).uleb(3).uleb(2).u8(0x70 + 5, 4) // ebx: val_expression breg5+4
      .u8(0x01).u32(0x5040) // set_loc
      .u8(0x2f).uleb(7).uleb(2) // GNU_negative_offset_extended: edi at cfa+8
      .u8(0x0f).uleb(3).u8(0x74, 8, 0x06) // def_cfa_expression [esp+8]
      .u8(0x00, 0x00);
    const bytes = new Bytes().bytes(cie).bytes(entry(fde));
    const cfi = new CallFrameInfo([{ name: '.debug_frame', bytes: bytes.array, address: 0 }]);
    expect(cfi.errors).toEqual([]);
    const show = (pc: number) => {
      const r = cfi.rowAt(pc)!;
      return [r.loc.toString(16), cfaCell(r.cfa), ...NAMES.map((_, n) => cell(r.registers.get(n)))].join(' ');
    };
    //                          loc  CFA     eax ecx edx ebx esp ebp esi edi eip
    expect(show(0x5000)).toBe('5000 esp+4 u u u u u u u u c-4');
    expect(show(0x5007)).toBe('5002 ebp+12 u u u c-8 u u ecx s c-4');
    expect(show(0x5008)).toBe('5008 ebp+20 u v+4 v-4 u u u ecx s c-4');
    expect(show(0x5010)).toBe('5010 ebp+12 u v+4 v-4 vexp u u ecx s c-4');
    expect(show(0x50ff)).toBe('5040 exp u v+4 v-4 vexp u u ecx c+8 c-4');
    expect(cfi.rowAt(0x5100)).toBeNull();
    expect(cfi.rowAt(0x4fff)).toBeNull();
  });

  it('reads .eh_frame: CIE pointers backwards, augmentation data, pc-relative addresses', () => {
    const section = 0x8000;
    // CIE "zPLR": personality (udata4), LSDA encoding, FDE encoding pcrel|sdata4.
    const cieBody = new Bytes().u32(0).u8(1).str('zPLR').uleb(1).sleb(-4).u8(8)
      .uleb(7).u8(0x03).u32(0x12345678).u8(0x1b).u8(0x1b)
      .u8(0x0c).uleb(4).uleb(4).u8(0x88).uleb(1);
    while ((cieBody.length + 4) % 4) cieBody.u8(0);
    const cie = new Bytes().u32(cieBody.length).bytes(cieBody);
    const fdeAt = cie.length; // the FDE's length field
    const idPos = fdeAt + 4;
    const startField = idPos + 4;
    // the function at 0x1000: pc-relative to the field's address
    const fdeBody = new Bytes().u32(idPos).u32((0x1000 - (section + startField)) >>> 0).u32(0x20).uleb(4).u32(0)
      .u8(0x41).u8(0x0e).uleb(8).u8(0x85).uleb(2);
    const bytes = new Bytes().bytes(cie).u32(fdeBody.length).bytes(fdeBody).u32(0);
    const cfi = new CallFrameInfo([{ name: '.eh_frame', bytes: bytes.array, address: section }]);
    expect(cfi.errors).toEqual([]);
    expect(cfi.allFdes().map((f) => [f.start, f.end])).toEqual([[0x1000, 0x1020]]);
    expect(cfaCell(cfi.rowAt(0x1001)!.cfa)).toBe('esp+8');
    expect(cell(cfi.rowAt(0x1001)!.registers.get(5))).toBe('c-8');
  });

  it('reports a CIE it cannot read and keeps the rest', () => {
    const bad = entry(new Bytes().u32(0xffffffff).u8(9).str(''));
    const good = entry(new Bytes().u32(0xffffffff).u8(1).str('').uleb(1).sleb(-4).u8(8).u8(0x0c, 4, 4));
    const fdeBad = entry(new Bytes().u32(0).u32(0x100).u32(0x10));
    const fdeGood = entry(new Bytes().u32(bad.length).u32(0x200).u32(0x10));
    const cfi = new CallFrameInfo([{ name: '.debug_frame', bytes: new Bytes().bytes(bad).bytes(good).bytes(fdeBad).bytes(fdeGood).array, address: 0 }]);
    expect(cfi.allFdes().map((f) => f.start)).toEqual([0x200]);
    expect(cfi.errors).toHaveLength(1);
    expect(cfi.errors[0]).toMatch(/CIE version 9/);
  });
});

describe('DWARF expressions', () => {
  const ctx = { reg: (n: number) => [10, 20, 30][n], read32: (a: number) => (a === 0x100 ? 0xabcd : null) };
  it('computes', () => {
    const e = (...b: number[]) => evaluate(new Uint8Array(b), ctx);
    expect(e(0x71, 0x05)).toBe(25); // breg1 + 5
    expect(e(0x0c, 0x00, 0x01, 0, 0, 0x06)).toBe(0xabcd); // const4u 0x100; deref
    expect(e(0x35, 0x33, 0x1c)).toBe(2); // 5 - 3
    expect(e(0x33, 0x35, 0x1c)).toBe(0xfffffffe); // 3 - 5, 32-bit
    expect(e(0x32, 0x23, 0x10, 0x12, 0x22)).toBe(36); // (2 + 16) dup plus
    expect(e(0x31, 0x28, 0x01, 0x00, 0x37, 0x39)).toBe(9); // lit1; bra over lit7; lit9
    expect(e(0x30, 0x28, 0x01, 0x00, 0x37)).toBe(7); // lit0; bra not taken; lit7
    expect(e(0x2f, 0x01, 0x00, 0x37, 0x39)).toBe(9); // skip over lit7; lit9
    expect(e(0x75, 0x00)).toBeNull(); // breg5: no such register here
    expect(e(0x0c, 0, 0, 0, 0, 0x06)).toBeNull(); // unreadable memory
    expect(e(0x50)).toBeNull(); // DW_OP_reg0: a register location, not a value
    expect(evaluate(new Uint8Array([0x23, 4]), ctx, [0x10])).toBe(0x14); // the CFA pushed first
  });
});

describe('unwinding', () => {
  it('follows the CFI through the tour: vformat <- printk <- panic', () => {
    const tour = new DebugInfo(loadElf(fixture('tour')));
    const read32 = memory(tour.elf, {
      // vformat at 0xc0101930: CFA = ebp+8; edi, esi, ebx at CFA-12, -16, -20
      0x9044: 0xc01006a2, 0x9040: 0x9100, 0x903c: 0x1111, 0x9038: 0x2222, 0x9034: 0x3333,
      // printk at 0xc01006a2: CFA = ebp+8; ebx at CFA-12
      0x9104: 0xc010070b, 0x9100: 0x9200, 0x90fc: 0x4444,
      // the next caller: its return address is 0, the end
      0x9204: 0, 0x9200: 0, 0x91fc: 0x5555, 0x91f8: 0x6666,
    });
    const frames = tour.backtrace({ eip: 0xc0101930, esp: 0x9000, ebp: 0x9040, ebx: 1, esi: 2, edi: 3 }, read32);
    expect(frames.map((f) => tour.symbolAt(f.regs.eip)?.name)).toEqual(['vformat', 'printk', 'panic']);
    expect(frames[1]).toEqual({ method: 'cfi', regs: { eip: 0xc01006a2, esp: 0x9048, ebp: 0x9100, ebx: 0x3333, esi: 0x2222, edi: 0x1111 } });
    expect(frames[2]).toEqual({ method: 'cfi', regs: { eip: 0xc010070b, esp: 0x9108, ebp: 0x9200, ebx: 0x4444, esi: 0x2222, edi: 0x1111 } });
    // At vformat's first instruction the return address is at [esp].
    const entry = tour.unwind(0xc0101920, { eip: 0xc0101920, esp: 0x9000, ebp: 0x9040 }, memory(tour.elf, { 0x9000: 0xc01006a2 }));
    expect(entry).toEqual({ method: 'cfi', eip: 0xc01006a2, esp: 0x9004, ebp: 0x9040 });
  });

  it('evaluates the expressions of a realigned stack (main in faults/crash.elf)', () => {
    const crash = new DebugInfo(loadElf(fixture('faults-crash')));
    // At 0x1002ae: CFA = [ebp-12]; ebp at [ebp], esi at [ebp-4], ebx at [ebp-8]; the return address at CFA-4.
    const read32 = memory(crash.elf, { 0x4ff4: 0x5020, 0x501c: 0x100123, 0x5000: 0x6000, 0x4ffc: 0x55, 0x4ff8: 0x66 });
    expect(crash.unwind(0x1002b0, { eip: 0x1002b0, esp: 0x4fe0, ebp: 0x5000 }, read32))
      .toEqual({ method: 'cfi', eip: 0x100123, esp: 0x5020, ebp: 0x6000, esi: 0x55, ebx: 0x66 });
    // At 0x100294 the CFA is %ecx: known only if ecx is.
    const at = { eip: 0x100294, esp: 0x4fe0, ebp: 0x5000 };
    expect(crash.unwind(0x100294, at, memory(crash.elf, { 0x501c: 0x100123 }))).toBeNull();
    expect(crash.unwind(0x100294, { ...at, ecx: 0x5020 }, memory(crash.elf, { 0x501c: 0x100123 }))).toMatchObject({ eip: 0x100123, esp: 0x5020, ebp: 0x5000 });
  });

  it('goes by frame pointers where there is no CFI (the Switcher)', () => {
    const sw = new DebugInfo(loadElf(fixture('switcher')));
    const read32 = memory(sw.elf, {
      0x7000: 0x7100, 0x7004: 0xffc00050,
      0x7100: 0x7200, 0x7104: 0xffc00060,
      0x7200: 0, 0x7204: 0xffc00070,
    });
    const frames = sw.backtrace({ eip: 0xffc00010, esp: 0x6f00, ebp: 0x7000 }, read32);
    expect(frames.map((f) => [f.regs.eip, f.regs.esp, f.regs.ebp, f.method])).toEqual([
      [0xffc00010, 0x6f00, 0x7000, undefined],
      [0xffc00050, 0x7008, 0x7100, 'frame-pointer'],
      [0xffc00060, 0x7108, 0x7200, 'frame-pointer'],
      [0xffc00070, 0x7208, 0, 'frame-pointer'],
    ]);
    // A frame pointer below the stack pointer is none; nor is 0.
    expect(sw.backtrace({ eip: 0xffc00010, esp: 0x7001, ebp: 0x7000 }, read32)).toHaveLength(1);
    expect(sw.backtrace(frames[3].regs, read32)).toHaveLength(1);
    // A loop in the chain ends the backtrace: the saved %ebp is then below the stack pointer.
    const loop = memory(sw.elf, { 0x7000: 0x7000, 0x7004: 0xffc00050 });
    expect(sw.backtrace({ eip: 0xffc00010, esp: 0x6f00, ebp: 0x7000 }, loop)).toHaveLength(2);
  });

  it('knows the first two instructions of a function without CFI (asm_leaf: push %ebp; mov %esp,%ebp)', () => {
    const s = new DebugInfo(loadElf(fixture('sample-dwarf5')));
    const leaf = s.addressOf('asm_leaf')!;
    expect(s.cfiRowAt(leaf)).toBeNull();
    const read32 = memory(s.elf, { 0x3000: 0x1000020, 0x3004: 0x1000030, 0x3100: 0x3200, 0x3104: 0x1000040 });
    expect(s.unwind(leaf, { eip: leaf, esp: 0x3000, ebp: 0x3100 }, read32)).toEqual({ method: 'entry', eip: 0x1000020, esp: 0x3004, ebp: 0x3100 });
    expect(s.unwind(leaf + 1, { eip: leaf + 1, esp: 0x3000, ebp: 0x3100 }, read32)).toEqual({ method: 'entry', eip: 0x1000030, esp: 0x3008, ebp: 0x1000020 });
    expect(s.unwind(leaf + 3, { eip: leaf + 3, esp: 0x3000, ebp: 0x3100 }, read32)).toEqual({ method: 'frame-pointer', eip: 0x1000040, esp: 0x3108, ebp: 0x3200 });
    // Without a symbol: plain frame pointers.
    expect(unwindWithFramePointer(0x42, { eip: 0x42, esp: 0x3000, ebp: 0x3100 }, read32)).toEqual({ method: 'frame-pointer', eip: 0x1000040, esp: 0x3108, ebp: 0x3200 });
  });
});
