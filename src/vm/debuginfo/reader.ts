/**
 * A cursor over the bytes of a DWARF section: little-endian fixed-size
 * integers, LEB128 numbers and NUL-terminated strings, the vocabulary every
 * DWARF table (.debug_line, .debug_frame, .eh_frame) is written in.
 * Reading past the end throws a DwarfError, which the table parsers catch
 * to drop a damaged unit rather than the whole section.
 */
export class DwarfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DwarfError';
  }
}

const utf8 = new TextDecoder();

export class Reader {
  pos: number;
  private readonly dv: DataView;

  constructor(readonly bytes: Uint8Array, pos = 0, readonly end = bytes.length) {
    this.pos = pos;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.end) throw new DwarfError(`truncated: ${n} byte(s) wanted at offset 0x${at.toString(16)}`);
    this.pos = at + n;
    return at;
  }

  u8(): number { return this.bytes[this.need(1)]; }
  i8(): number { return this.dv.getInt8(this.need(1)); }
  u16(): number { return this.dv.getUint16(this.need(2), true); }
  i16(): number { return this.dv.getInt16(this.need(2), true); }
  u32(): number { return this.dv.getUint32(this.need(4), true); }
  i32(): number { return this.dv.getInt32(this.need(4), true); }
  /** A 64-bit number as a JS number: exact below 2^53, which covers every offset and i386 address. */
  u64(): number {
    const at = this.need(8);
    return this.dv.getUint32(at, true) + this.dv.getUint32(at + 4, true) * 0x1_0000_0000;
  }
  i64(): number {
    const at = this.need(8);
    return this.dv.getUint32(at, true) + this.dv.getInt32(at + 4, true) * 0x1_0000_0000;
  }

  /** An unsigned integer of `size` bytes (1, 2, 4 or 8). */
  uint(size: number): number {
    switch (size) {
      case 1: return this.u8();
      case 2: return this.u16();
      case 4: return this.u32();
      case 8: return this.u64();
      default: throw new DwarfError(`unsupported integer size ${size}`);
    }
  }

  uleb(): number {
    let result = 0, scale = 1, b: number;
    do {
      b = this.u8();
      result += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    return result;
  }

  sleb(): number {
    let result = 0, scale = 1, b: number;
    do {
      b = this.u8();
      result += (b & 0x7f) * scale;
      scale *= 128;
    } while (b & 0x80);
    return b & 0x40 ? result - scale : result;
  }

  cstring(): string {
    let e = this.pos;
    while (e < this.end && this.bytes[e] !== 0) e++;
    if (e >= this.end) throw new DwarfError(`unterminated string at offset 0x${this.pos.toString(16)}`);
    const s = utf8.decode(this.bytes.subarray(this.pos, e));
    this.pos = e + 1;
    return s;
  }

  skip(n: number): void {
    this.need(n);
  }

  /**
   * A unit's initial length: 32-bit DWARF, or 0xffffffff then a 64-bit
   * length (64-bit DWARF, whose section offsets are 8 bytes wide).
   */
  initialLength(): { length: number; offsetSize: 4 | 8 } {
    const l = this.u32();
    if (l === 0xffffffff) return { length: this.u64(), offsetSize: 8 };
    if (l >= 0xfffffff0) throw new DwarfError(`reserved unit length 0x${l.toString(16)}`);
    return { length: l, offsetSize: 4 };
  }
}

/** The NUL-terminated string at `offset` in a string section (.debug_str, .debug_line_str). */
export function stringAt(section: Uint8Array | undefined, offset: number, what: string): string {
  if (!section || offset >= section.length) throw new DwarfError(`${what} offset 0x${offset.toString(16)} is outside the section`);
  let e = offset;
  while (e < section.length && section[e] !== 0) e++;
  return utf8.decode(section.subarray(offset, e));
}
