/**
 * Just enough of an assembler for the random kernels: bytes at known
 * addresses, labels, and the relative and absolute references to them that
 * are resolved at the end. Instructions themselves are encoded by hand by
 * their callers (generator.ts, instructions.ts): every byte is chosen on
 * purpose, prefixes and ModRM forms included, which no assembler would let
 * us do.
 */
export class Label {
  addr = -1;
  constructor(readonly name: string) {}
}

interface Fixup { at: number; label: Label; kind: 'rel8' | 'rel32' | 'abs32' }

export class Asm {
  private readonly buf: number[] = [];
  private readonly fixups: Fixup[] = [];

  constructor(readonly origin: number) {}

  /** The address of the next byte. */
  get here(): number {
    return this.origin + this.buf.length;
  }

  u8(...bytes: number[]): this {
    for (const b of bytes) this.buf.push(b & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v, v >> 8);
  }
  u32(v: number): this {
    return this.u8(v, v >> 8, v >> 16, v >>> 24);
  }
  bytes(b: ArrayLike<number>): this {
    for (let k = 0; k < b.length; k++) this.buf.push(b[k] & 0xff);
    return this;
  }

  label(name = ''): Label {
    return new Label(name);
  }
  bind(l: Label): this {
    if (l.addr >= 0) throw new Error(`label ${l.name} bound twice`);
    l.addr = this.here;
    return this;
  }

  /**
   * A reference to `l`: relative ones are measured from the end of the
   * instruction, which ends right after the reference (true of every
   * branch encoding; the generator never puts an immediate after one).
   */
  ref(l: Label, kind: Fixup['kind']): this {
    this.fixups.push({ at: this.buf.length, label: l, kind });
    return this.u8(...new Array(kind === 'rel8' ? 1 : 4).fill(0));
  }

  /** Append code generated separately at this very address (a block a branch jumps over). */
  append(other: Asm): this {
    if (other.origin !== this.here) throw new Error('appended code was generated for another address');
    const base = this.buf.length;
    for (const f of other.fixups) this.fixups.push({ ...f, at: f.at + base });
    for (const b of other.buf) this.buf.push(b);
    return this;
  }

  get length(): number {
    return this.buf.length;
  }

  /** The bytes, every reference resolved. */
  finish(): Uint8Array {
    for (const f of this.fixups) {
      if (f.label.addr < 0) throw new Error(`label ${f.label.name} never bound`);
      const size = f.kind === 'rel8' ? 1 : 4;
      const end = this.origin + f.at + size;
      let v = f.kind === 'abs32' ? f.label.addr : f.label.addr - end;
      if (f.kind === 'rel8' && (v < -128 || v > 127)) throw new Error(`rel8 to ${f.label.name} out of range (${v})`);
      for (let k = 0; k < size; k++, v >>= 8) this.buf[f.at + k] = v & 0xff;
    }
    return Uint8Array.from(this.buf);
  }
}
