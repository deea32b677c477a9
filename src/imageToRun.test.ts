/** An image read to run: the same headers and loadable segments as the whole file, and nothing else read. */
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { readImageToRun } from './imageToRun';
import { Elf32 } from './vm/elf';

const ROOT = join(__dirname, '..');

describe('readImageToRun', () => {
  it('reads an ELF\'s headers, section names and loadable segments, and leaves its other bytes zero', () => {
    // tour's kernel: an ELF with a symbol table and DWARF, which are not read.
    const path = join(ROOT, 'guests/lguest/tour/build/tour.elf');
    const whole = new Uint8Array(readFileSync(path)), sparse = readImageToRun(path);
    expect(sparse.length).toBe(whole.length);
    const a = new Elf32(whole), b = new Elf32(sparse);
    expect(b.entry).toBe(a.entry);
    expect(b.programHeaders).toEqual(a.programHeaders);
    expect(b.sections).toEqual(a.sections);
    for (const s of a.loadSegments) expect(sparse.subarray(s.offset, s.offset + s.filesz)).toEqual(whole.subarray(s.offset, s.offset + s.filesz));
    // The symbol table was not read: what only the debugger needs.
    const symtab = a.sections.find((s) => s.name === '.symtab')!;
    expect(symtab.size).toBeGreaterThan(0);
    expect(sparse.subarray(symtab.offset, symtab.offset + symtab.size).every((x) => x === 0)).toBe(true);
    expect(a.symbols().length).toBeGreaterThan(0);
  });
  it('reads anything that is not ELF32 whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'image-'));
    try {
      const path = join(dir, 'notelf');
      const bytes = Uint8Array.from({ length: 5000 }, (_, k) => (k * 7) & 255);
      writeFileSync(path, bytes);
      expect(readImageToRun(path)).toEqual(bytes);
      writeFileSync(path, Uint8Array.of(0x7f, 0x45, 0x4c));
      expect(readImageToRun(path)).toEqual(Uint8Array.of(0x7f, 0x45, 0x4c));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
