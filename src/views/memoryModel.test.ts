import { describe, it, expect } from 'vitest';
import {
  CHUNK, LIMIT, ROW, Snapshot, chunksFor, clampTop, decodeRead, layoutRows, parseByte, parseNumber, parseReference,
  reference, resolve, sizeOfPointee, topFor, changedByte, Evaluated,
} from './memoryModel';

describe('memory references', () => {
  it('reads and writes the adapter\'s references, virtual and phys:', () => {
    expect(parseReference('0xc0100000')).toEqual({ address: 0xc0100000, physical: false });
    expect(parseReference('phys:0x1000')).toEqual({ address: 0x1000, physical: true });
    expect(parseReference(' 4096 ')).toEqual({ address: 4096, physical: false });
    expect(parseReference('0x100000000')).toBeNull();
    expect(parseReference('procs')).toBeNull();
    expect(reference({ address: 0x1000, physical: true })).toBe('phys:0x00001000');
    expect(reference({ address: 0xffc00000, physical: false })).toBe('0xffc00000');
  });
});

describe('paging arithmetic', () => {
  it('keeps the first row inside 4 GiB, on a row', () => {
    expect(clampTop(0x1237, 10)).toBe(0x1230);
    expect(clampTop(-64, 10)).toBe(0);
    expect(clampTop(LIMIT - 16, 10)).toBe(LIMIT - 10 * ROW);
  });

  it('puts a followed address a few rows below the top', () => {
    expect(topFor(0xc0104045, 32)).toBe(0xc0104040 - 4 * ROW);
    expect(topFor(0x10, 32)).toBe(0);
    expect(topFor(0xfffffff0, 32)).toBe(LIMIT - 32 * ROW);
  });

  it('reads the pages that hold what is on show and a margin, never more', () => {
    expect(chunksFor(0xc0104000, 40, 0)).toEqual([0xc0104000]);
    // 32 rows of margin (512 bytes) reach back into the page before.
    expect(chunksFor(0xc0104000, 40)).toEqual([0xc0103000, 0xc0104000]);
    expect(chunksFor(0xc0104f00, 40)).toEqual([0xc0104000, 0xc0105000]);
    expect(chunksFor(0, 10)).toEqual([0]);
    expect(chunksFor(LIMIT - 10 * ROW, 10)).toEqual([LIMIT - CHUNK]);
    // However tall the view: a bounded read.
    expect(chunksFor(0x1000, 256).length).toBeLessThanOrEqual(3);
  });

  it('asks only for the chunks this stop has not read', () => {
    const s = new Snapshot();
    s.chunks.set(0x1000, new Array(CHUNK).fill(0));
    expect(s.missing([0, 0x1000, 0x2000])).toEqual([0, 0x2000]);
    expect(s.at(0x1fff)).toBe(0);
    expect(s.at(0x2000)).toBeUndefined();
  });
});

describe('readMemory answers', () => {
  it('are the data, then nulls for what could not be read', () => {
    expect(decodeRead({ data: Buffer.from([1, 2]).toString('base64'), unreadableBytes: 2 }, 4)).toEqual([1, 2, null, null]);
    expect(decodeRead({ data: '', unreadableBytes: 3 }, 3)).toEqual([null, null, null]);
    expect(decodeRead(undefined, 2)).toEqual([null, null]);
  });
});

describe('hex rows', () => {
  const bytes = (base: number, values: (number | null)[]) => (a: number) => {
    const i = a - base;
    return i >= 0 && i < values.length ? values[i] : undefined;
  };

  it('lay out offset, 16 bytes in hex and ASCII', () => {
    const text = [...'Hello, world!\n\0\x7f'].map((c) => c.charCodeAt(0));
    const [row] = layoutRows(0xc0100000, 1, bytes(0xc0100000, text), () => undefined, false);
    expect(row.offset).toBe('0xc0100000');
    expect(row.cells.map((c) => c.text).join(' ')).toBe('48 65 6c 6c 6f 2c 20 77 6f 72 6c 64 21 0a 00 7f');
    expect(row.ascii).toBe('Hello, world!...');
    expect(row.cells[5].address).toBe(0xc0100005);
  });

  it('show unreadable bytes as ?? and bytes not read yet as blanks', () => {
    const values = [...new Array(8).fill(0x41), ...new Array(8).fill(null)];
    const [row] = layoutRows(0x1000, 1, bytes(0x1000, values), () => undefined, true);
    expect(row.offset).toBe('phys:0x00001000');
    expect(row.cells.slice(7, 9).map((c) => c.text)).toEqual(['41', '??']);
    expect(row.cells[8].unreadable).toBe(true);
    expect(row.ascii).toBe('AAAAAAAA        ');
    const [empty] = layoutRows(0x2000, 1, () => undefined, () => undefined, false);
    expect(empty.cells[0].text).toBe('  ');
  });

  it('mark what changed since the last stop, only where both stops read it', () => {
    const before = bytes(0x1000, [1, 2, 3, null]);
    const now = bytes(0x1000, [1, 9, 3, 4, 5]);
    const [row] = layoutRows(0x1000, 1, now, before, false);
    expect(row.cells.slice(0, 6).map((c) => c.changed)).toEqual([false, true, false, true, false, false]);
    expect(changedByte(undefined, 5)).toBe(false);
    // Written through the view since the stop: changed, even where the last stop read nothing.
    const [after] = layoutRows(0x1000, 1, now, () => undefined, false, undefined, (a) => a === 0x1004);
    expect(after.cells.slice(0, 6).map((c) => c.changed)).toEqual([false, false, false, false, true, false]);
    expect(changedByte(7, null)).toBe(true);
  });

  it('mark the followed object and stop at 4 GiB', () => {
    const rows = layoutRows(LIMIT - ROW, 3, () => 0, () => 0, false, { address: LIMIT - 4, size: 4 });
    expect(rows.length).toBe(1);
    expect(rows[0].cells.map((c) => c.target).filter(Boolean).length).toBe(4);
    expect(rows[0].cells[11].target).toBe(false);
  });

  it('take a byte as one or two hex digits', () => {
    expect(parseByte('4f')).toBe(0x4f);
    expect(parseByte('A')).toBe(10);
    expect(parseByte('100')).toBeNull();
    expect(parseByte('zz')).toBeNull();
  });
});

describe('an expression to an address', () => {
  /** A fake adapter: expressions to answers (or errors). */
  const adapter = (answers: Record<string, Evaluated | string>) => {
    const asked: string[] = [];
    const evaluate = async (e: string) => {
      asked.push(e);
      const a = answers[e];
      if (a === undefined || typeof a === 'string') throw new Error(a ?? `no symbol "${e}"`);
      return a;
    };
    return { asked, evaluate };
  };

  it('takes a register or a symbol without debug information as its value', async () => {
    const a = adapter({ $esp: { result: '0xc01fffd0 (3223322576)', memoryReference: '0xc01fffd0' } });
    expect(await resolve('$esp', a.evaluate)).toMatchObject({ address: 0xc01fffd0, physical: false });
    expect(a.asked).toEqual(['$esp']);
  });

  it('takes a pointer as what it points to, as gdb\'s x does', async () => {
    const a = adapter({
      current: { result: '0xc0104040 <procs+64>', type: 'struct proc *', memoryReference: '0xc0103000' },
      '(unsigned long)(current)': { result: '3222290496', type: 'unsigned long' },
      '&stat_ticks': { result: '0xc0103010 <stat_ticks>', type: 'uint32_t *' },
      '(unsigned long)(&stat_ticks)': { result: '3222286352', type: 'unsigned long' },
    });
    expect(await resolve('current', a.evaluate)).toMatchObject({ address: 0xc0104040, size: 1 });
    expect(await resolve('&stat_ticks', a.evaluate)).toMatchObject({ address: 0xc0103010, size: 4 });
  });

  it('takes a struct in memory as its address, and says why a value has none', async () => {
    const a = adapter({
      'procs[1]': { result: '{sz = 0, ...}', type: 'struct proc', memoryReference: '0xc0104040' },
      '(unsigned long)(procs[1])': 'cannot cast struct proc to unsigned long',
      'tf->eax + tf': { result: '{...}', type: 'struct x' },
      '(unsigned long)(tf->eax + tf)': 'no',
    });
    expect(await resolve('procs[1]', a.evaluate)).toMatchObject({ address: 0xc0104040 });
    await expect(resolve('tf->eax + tf', a.evaluate)).rejects.toThrow(/is no address/);
    await expect(resolve('nosuch', a.evaluate)).rejects.toThrow(/no symbol/);
  });

  it('takes phys: as the place itself, without asking', async () => {
    const a = adapter({});
    expect(await resolve('phys:0x1000', a.evaluate)).toMatchObject({ address: 0x1000, physical: true });
    await expect(resolve('phys:procs', a.evaluate)).rejects.toThrow(/not a physical address/);
    expect(a.asked).toEqual([]);
  });

  it('reads numbers and pointee sizes from shown values and types', () => {
    expect(parseNumber('0xc0104040 <procs+64>')).toBe(0xc0104040);
    expect(parseNumber('-1')).toBe(0xffffffff);
    expect(parseNumber('<optimized out>')).toBeNull();
    expect(sizeOfPointee('const char *')).toBe(1);
    expect(sizeOfPointee('uint64_t *')).toBe(8);
    expect(sizeOfPointee('struct proc *')).toBe(1);
    expect(sizeOfPointee('int')).toBe(1);
  });
});
