/**
 * The .debug_line parser: every row of the guests' and the samples' line
 * tables as readelf decodes them (recorded in test/fixtures/debuginfo/),
 * and hand-made units for what GCC does not write (DWARF 2, the other
 * DWARF 5 forms, define_file, damage).
 */
import { describe, expect, it } from 'vitest';
import { parseDebugLine, type LineRow } from './dwarfLines';
import { Bytes, fixtures, loadElf, sameFile } from './testFixtures';

describe.each(fixtures())('line table of $name', (fx) => {
  it('has the rows readelf decodes', () => {
    const elf = loadElf(fx);
    const b = (n: string) => { const s = elf.section(n); return s && elf.sectionBytes(s); };
    const { units, errors } = parseDebugLine({ line: b('.debug_line')!, lineStr: b('.debug_line_str'), str: b('.debug_str') });
    expect(errors).toEqual([]);
    const ours = units.flatMap((u) => u.sequences.flatMap((s) => s.rows.map((r) => ({ r, file: u.files[r.fileIndex] ?? '?' }))));
    expect(ours.length).toBe(fx.lines.length);
    const bad: string[] = [];
    ours.forEach(({ r, file }, k) => {
      const want = fx.lines[k];
      const got = describeRow(r, file);
      const ok = parseInt(want[0], 16) === r.address && (want.length === 1
        ? r.endSequence
        : !r.endSequence && r.line === want[2] && r.isStmt === (want[3] === 1) && sameFile(file, fx.files[want[1]]));
      if (!ok && bad.length < 10) bad.push(`row ${k}: ${got}, readelf: ${JSON.stringify(want)} (${want.length > 1 ? fx.files[want[1]!] : 'end'})`);
    });
    expect(bad).toEqual([]);
  });
});

function describeRow(r: LineRow, file: string): string {
  return r.endSequence ? `end at ${r.address.toString(16)}` : `${r.address.toString(16)} ${file}:${r.line}:${r.column}${r.isStmt ? ' stmt' : ''}`;
}

/** A whole unit: the length, then version, [v5 sizes], header_length, the rest of the header, the program. */
function unit(version: number, header: Bytes, program: Bytes): Bytes {
  const body = new Bytes().u16(version);
  if (version >= 5) body.u8(4, 0);
  body.u32(header.length).bytes(header).bytes(program);
  return new Bytes().u32(body.length).bytes(body);
}

/** min_inst_length, [max_ops], default_is_stmt, line_base -5, line_range 14, opcode_base 13 and the standard opcode lengths. */
function common(version: number, minInst = 1): Bytes {
  const b = new Bytes().u8(minInst);
  if (version >= 4) b.u8(1);
  return b.u8(1, 0xfb, 14, 13, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1);
}

/** An extended opcode: 0, the length, the sub-opcode and its operands. */
const ext = (p: Bytes, op: number, operands = new Bytes()) => p.u8(0).uleb(1 + operands.length).u8(op).bytes(operands);
const setAddress = (p: Bytes, a: number) => ext(p, 2, new Bytes().u32(a));
const endSequence = (p: Bytes) => ext(p, 1);

describe('hand-made line tables', () => {
  it('reads DWARF 2 with include directories, DW_LNE_define_file and every standard opcode', () => {
    const h = common(2, 2).str('inc').str('/abs').u8(0)
      .str('a.c').uleb(0).uleb(0).uleb(0)
      .str('b.h').uleb(1).uleb(0).uleb(0)
      .str('c.h').uleb(2).uleb(0).uleb(0).u8(0);
    const p = new Bytes();
    setAddress(p, 0x1000);
    p.u8(3).sleb(9); // advance_line to 10
    p.u8(5).uleb(7); // column 7
    p.u8(1); // copy: 0x1000 a.c:10:7
    p.u8(2).uleb(3); // advance_pc 3 * min_inst 2 = 6
    p.u8(4).uleb(2); // file b.h
    p.u8(6); // not a statement
    p.u8(7, 10, 11); // basic_block, prologue_end, epilogue_begin
    p.u8(12).uleb(1); // isa
    p.u8(1); // copy: 0x1006 inc/b.h:10
    p.u8(8); // const_add_pc: (255-13)/14 = 17 * 2 = 34
    p.u8(9).u16(0x10); // fixed_advance_pc 16 (not scaled)
    ext(p, 3, new Bytes().str('late.c').uleb(1).uleb(0).uleb(0)); // define_file: file 4, inc/late.c
    p.u8(4).uleb(4);
    ext(p, 4, new Bytes().uleb(5)); // set_discriminator
    p.u8(13 + 5 + 14 * 2); // special: address += 2*2, line += -5 + 5 = 0 -> 0x103c inc/late.c:10
    ext(p, 0x80, new Bytes().u8(1, 2)); // an unknown extended opcode, skipped by its length
    p.u8(2).uleb(1);
    endSequence(p); // 0x103a
    const { units, errors } = parseDebugLine({ line: new Uint8Array(unit(2, h, p).out) });
    expect(errors).toEqual([]);
    expect(units).toHaveLength(1);
    const u = units[0];
    expect(u.version).toBe(2);
    expect(u.files).toEqual([undefined, 'a.c', 'inc/b.h', '/abs/c.h', 'inc/late.c']);
    const rows = u.sequences[0].rows.map((r) => [r.address, u.files[r.fileIndex], r.line, r.column, r.isStmt, r.endSequence]);
    expect(rows).toEqual([
      [0x1000, 'a.c', 10, 7, true, false],
      [0x1006, 'inc/b.h', 10, 7, false, false],
      [0x103c, 'inc/late.c', 10, 7, false, false],
      [0x103e, 'inc/late.c', 10, 7, false, true],
    ]);
    expect(u.sequences[0]).toMatchObject({ start: 0x1000, end: 0x103e });
  });

  it('reads DWARF 5 entry formats: string, strp, line_strp, udata, data1/2/4/8/16, block', () => {
    const lineStr = new Bytes().str('/comp').str('x.c'); // 0: /comp, 6: x.c
    const str = new Bytes().str('junk').str('sub'); // 5: sub
    const h5 = common(5)
      .u8(2).uleb(1).uleb(0x08).uleb(0x2001).uleb(0x0b) // format: path (string), a vendor type (data1)
      .uleb(3).str('/comp').u8(0).str('sub').u8(0).str('/elsewhere').u8(0) // three directories
      .u8(8)
      .uleb(1).uleb(0x1f) // path: line_strp
      .uleb(2).uleb(0x0f) // directory index: udata
      .uleb(3).uleb(0x06) // timestamp: data4
      .uleb(4).uleb(0x07) // size: data8
      .uleb(5).uleb(0x1e) // MD5: data16
      .uleb(0x2002).uleb(0x09) // vendor: block
      .uleb(0x2003).uleb(0x05) // vendor: data2
      .uleb(0x2004).uleb(0x0e) // vendor: strp
      .uleb(3);
    const entry = (dir: number) => h5.u32(6).uleb(dir).u32(0).u32(0).u32(0).u8(...Array(16).fill(0xab)).uleb(3).u8(1, 2, 3).u16(0).u32(5);
    entry(0); // x.c in /comp
    entry(1); // x.c in /comp/sub
    entry(2); // x.c in /elsewhere
    const p = new Bytes();
    setAddress(p, 0x2000);
    p.u8(4).uleb(2).u8(1);
    p.u8(4).uleb(0).u8(13 + 14 + 5); // address+1, line+0
    p.u8(2).uleb(1);
    endSequence(p);
    const { units, errors } = parseDebugLine({ line: new Uint8Array(unit(5, h5, p).out), lineStr: new Uint8Array(lineStr.out), str: new Uint8Array(str.out) });
    expect(errors).toEqual([]);
    expect(units[0].files).toEqual(['/comp/x.c', '/comp/sub/x.c', '/elsewhere/x.c']);
    expect(units[0].sequences[0].rows.map((r) => [r.address, units[0].files[r.fileIndex]])).toEqual([[0x2000, '/elsewhere/x.c'], [0x2001, '/comp/x.c'], [0x2002, '/comp/x.c']]);
  });

  it('reads 64-bit DWARF and DWARF 3 and 4 headers, and keeps the good units around a bad one', () => {
    const v3 = unit(3, common(3).u8(0).str('three.c').uleb(0).uleb(0).uleb(0).u8(0), endSequence(setAddress(new Bytes(), 0x3000).u8(1)));
    const v4 = unit(4, common(4).u8(0).str('four.c').uleb(0).uleb(0).uleb(0).u8(0), endSequence(setAddress(new Bytes(), 0x4000).u8(1)));
    // 64-bit: 0xffffffff, an 8-byte length, version, an 8-byte header_length.
    const h64 = common(4).u8(0).str('wide.c').uleb(0).uleb(0).uleb(0).u8(0);
    const p64 = endSequence(setAddress(new Bytes(), 0x6400).u8(1));
    const body64 = new Bytes().u16(4).u32(h64.length).u32(0).bytes(h64).bytes(p64);
    const wide = new Bytes().u32(0xffffffff).u32(body64.length).u32(0).bytes(body64);
    // A unit with a form this reader does not know: skipped by its length.
    const hBad = common(5).u8(1).uleb(1).uleb(0x7f).uleb(1).u8(0);
    const bad = unit(5, hBad, new Bytes());
    const all = new Bytes().bytes(v3).bytes(bad).bytes(v4).bytes(wide);
    const { units, errors } = parseDebugLine({ line: new Uint8Array(all.out) });
    expect(units.map((u) => [u.version, u.files[1], u.sequences[0].start])).toEqual([[3, 'three.c', 0x3000], [4, 'four.c', 0x4000], [4, 'wide.c', 0x6400]]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/unsupported form 0x7f/);
  });

  it('reports a unit that runs past the section', () => {
    const { units, errors } = parseDebugLine({ line: new Uint8Array([0x40, 0, 0, 0, 2, 0]) });
    expect(units).toEqual([]);
    expect(errors[0]).toMatch(/runs past the section/);
  });
});
