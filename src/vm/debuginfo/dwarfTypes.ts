/**
 * C types from the DWARF type entries (DW_TAG_base_type, pointer_type,
 * structure_type, array_type...), built once per entry and shared, so a
 * struct that points to itself is one object with a pointer back to it.
 * A struct's members are read when first asked for (ctypes.ts).
 *
 * A declaration only (`struct proc;` in a unit that never defines it) is
 * completed from another unit's definition of the same name when one is
 * asked for (`complete`), as gdb does.
 */
import { VOID, type BaseEncoding, type CType, type Member } from './ctypes';
import { AT, TAG, type Die } from './dwarfDies';

const ENCODINGS: Record<number, BaseEncoding> = {
  0x02: 'bool', 0x04: 'float', 0x05: 'signed', 0x06: 'signedChar', 0x07: 'unsigned', 0x08: 'unsignedChar',
  0x10: 'unsigned', // DW_ATE_UTF (char8_t...)
};

export class TypeBuilder {
  private readonly cache = new Map<number, CType>();

  /** The type an entry's DW_AT_type names (void when it has none). */
  typeOf(die: Die): CType {
    const t = die.ref(AT.type);
    return t === undefined ? VOID : this.build(t);
  }

  /** The C type a type entry describes. */
  build(die: Die): CType {
    const known = this.cache.get(die.offset);
    if (known !== undefined) return known;
    const t = this.make(die);
    this.cache.set(die.offset, t);
    return t;
  }

  private make(die: Die): CType {
    const name = die.name();
    switch (die.tag) {
      case TAG.base_type:
        return { kind: 'base', name: name ?? '?', size: die.num(AT.byte_size) ?? 0, encoding: ENCODINGS[die.num(AT.encoding) ?? 0] ?? 'other' };
      case TAG.pointer_type: {
        // Built in two steps: the pointer is cached before its target, which may point back to it.
        const p: { kind: 'pointer'; target: CType; size: number } = { kind: 'pointer', target: VOID, size: die.num(AT.byte_size) ?? 4 };
        this.cache.set(die.offset, p);
        p.target = this.typeOf(die);
        return p;
      }
      case TAG.typedef: {
        const t: { kind: 'typedef'; name: string; target: CType } = { kind: 'typedef', name: name ?? '?', target: VOID };
        this.cache.set(die.offset, t);
        t.target = this.typeOf(die);
        return t;
      }
      case TAG.const_type: case TAG.volatile_type: case TAG.restrict_type: case TAG.atomic_type: {
        const qualifier = die.tag === TAG.const_type ? 'const' : die.tag === TAG.volatile_type ? 'volatile' : die.tag === TAG.restrict_type ? 'restrict' : 'atomic';
        const t: { kind: 'qualified'; qualifier: typeof qualifier; target: CType } = { kind: 'qualified', qualifier, target: VOID };
        this.cache.set(die.offset, t);
        t.target = this.typeOf(die);
        return t;
      }
      case TAG.structure_type: case TAG.union_type: return this.struct(die);
      case TAG.array_type: return this.array(die);
      case TAG.enumeration_type: return this.enumeration(die);
      case TAG.subroutine_type: {
        const params = die.children.filter((c) => c.tag === TAG.formal_parameter).map((c) => this.typeOf(c));
        const variadic = die.children.some((c) => c.tag === TAG.unspecified_parameters);
        return { kind: 'function', result: this.typeOf(die), params, variadic };
      }
      default:
        return { kind: 'base', name: name ?? `<DWARF tag 0x${die.tag.toString(16)}>`, size: die.num(AT.byte_size) ?? 0, encoding: 'other' };
    }
  }

  private struct(die: Die): CType {
    let members: Member[] | undefined;
    const self = this;
    return {
      kind: die.tag === TAG.structure_type ? 'struct' : 'union',
      name: die.name(),
      size: die.num(AT.byte_size) ?? 0,
      declaration: die.num(AT.declaration) === 1,
      members(): Member[] {
        if (members === undefined) members = die.children.filter((c) => c.tag === TAG.member).map((m) => self.member(m));
        return members;
      },
    };
  }

  private member(m: Die): Member {
    const type = this.typeOf(m);
    // DW_AT_data_member_location is a constant in GCC's output; an expression form (DWARF 2) starts with plus_uconst.
    let offset = m.num(AT.data_member_location);
    const block = m.block(AT.data_member_location);
    if (offset === undefined && block !== undefined && block[0] === 0x23) offset = uleb(block, 1);
    const out: Member = { name: m.name(), type, offset: offset ?? 0 };
    const bitSize = m.num(AT.bit_size);
    if (bitSize !== undefined) {
      out.bitSize = bitSize;
      const dataBit = m.num(AT.data_bit_offset);
      if (dataBit !== undefined) {
        // DWARF 4+: the bit offset from the start of the struct; keep it relative to a byte offset.
        out.offset = Math.floor(dataBit / 8);
        out.bitOffset = dataBit % 8;
      } else {
        // DWARF 2/3: DW_AT_bit_offset counts from the most significant bit of the storage unit (little-endian here).
        const storage = (m.num(AT.byte_size) ?? typeSize(type)) * 8;
        out.bitOffset = storage - (m.num(AT.bit_offset) ?? 0) - bitSize;
      }
    }
    return out;
  }

  private array(die: Die): CType {
    const element = this.typeOf(die);
    // Multi-dimensional: one subrange per dimension, outermost first: int a[2][3] is an array of 2 arrays of 3.
    const dims = die.children.filter((c) => c.tag === TAG.subrange_type).map((s) => {
      const count = s.num(AT.count);
      if (count !== undefined) return count;
      const upper = s.signed(AT.upper_bound);
      return upper === undefined ? undefined : upper + 1;
    });
    if (dims.length === 0) dims.push(undefined);
    let t: CType = element;
    for (let i = dims.length - 1; i >= 0; i--) t = { kind: 'array', element: t, count: dims[i] };
    return t;
  }

  private enumeration(die: Die): CType {
    const under = die.ref(AT.type);
    const underType = under === undefined ? undefined : this.build(under);
    const signed = underType !== undefined && underType.kind === 'base' ? underType.encoding === 'signed' : false;
    const values = die.children.filter((c) => c.tag === TAG.enumerator).map((e) => ({
      name: e.name() ?? '?',
      value: (signed ? e.signed(AT.const_value) : e.num(AT.const_value)) ?? e.signed(AT.const_value) ?? 0,
    }));
    return { kind: 'enum', name: die.name(), size: die.num(AT.byte_size) ?? 4, signed: signed || values.some((v) => v.value < 0), values };
  }
}

function typeSize(t: CType): number {
  let u = t;
  while (u.kind === 'typedef' || u.kind === 'qualified') u = u.target;
  return u.kind === 'base' || u.kind === 'enum' || u.kind === 'pointer' ? u.size : 4;
}

function uleb(b: Uint8Array, at: number): number {
  let result = 0, scale = 1;
  for (let i = at; i < b.length; i++) {
    result += (b[i] & 0x7f) * scale;
    if ((b[i] & 0x80) === 0) break;
    scale *= 128;
  }
  return result;
}
