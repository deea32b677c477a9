/**
 * Operands of a disassembled instruction, independent of syntax, and how
 * GNU objdump prints them in AT&T and Intel syntax.
 *
 * Operands are kept in Intel order (destination first, as in the opcode
 * table); the AT&T printer reverses them.
 */

export type Syntax = 'att' | 'intel';

export const REG32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
export const REG16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
export const REG8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
/** Segment registers by number; objdump prints `?` for the undefined encodings 6 and 7. */
export const SREG = ['es', 'cs', 'ss', 'ds', 'fs', 'gs', '?', '?'];

export function regName(r: number, size: number): string {
  return size === 4 ? REG32[r] : size === 2 ? REG16[r] : REG8[r];
}

/** Intel-syntax size keyword of a memory operand ('' prints none, as for `lea`). */
export type MemSize = '' | 'BYTE' | 'WORD' | 'DWORD' | 'FWORD' | 'QWORD' | 'TBYTE';

export function sizeKeyword(bytes: number): MemSize {
  return bytes === 1 ? 'BYTE' : bytes === 2 ? 'WORD' : 'DWORD';
}

export interface Mem {
  /** 32-bit addressing (else the 16-bit base/index pairs). */
  a32: boolean;
  /** Segment printed with the operand (an override, or the implicit one of string operands); null prints none. */
  seg: string | null;
  base: number;
  index: number;
  scale: number;
  disp: number;
  /** A SIB byte was present (32-bit addressing with r/m = 4). */
  sib: boolean;
  /** A displacement was encoded (mod 1 or 2, or no base register). */
  hasDisp: boolean;
  /** `modrm`: a ModRM operand; `moffs`: A0-A3's bare offset; `string`: (%esi)/(%edi) of a string instruction. */
  kind: 'modrm' | 'moffs' | 'string';
}

export type Operand =
  | { kind: 'reg'; name: string; indirect?: boolean }
  | { kind: 'mem'; mem: Mem; size: MemSize; indirect?: boolean }
  | { kind: 'imm'; value: number }
  /** The implicit count of D0-D3 shifts: Intel prints `,1`, AT&T nothing. */
  | { kind: 'one' }
  /** DX as an I/O port: AT&T `(%dx)`, Intel `dx`. */
  | { kind: 'port' }
  | { kind: 'target'; addr: number }
  | { kind: 'far'; sel: number; off: number }
  /** What objdump prints for an operand it cannot decode. */
  | { kind: 'bad' };

export function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

/** objdump prints displacements signed: `-0x10(%ebp)`, `[ebp-0x10]`. */
function signedHex(v: number): string {
  return v < 0 ? '-0x' + (-v).toString(16) : '0x' + v.toString(16);
}

/** An operand as objdump prints it. `symbolize` names branch targets (`100020 <main+0x10>`). */
export function renderOperand(op: Operand, syntax: Syntax, symbolize?: (addr: number) => string | undefined): string {
  const att = syntax === 'att';
  switch (op.kind) {
    case 'reg': return att ? (op.indirect ? '*%' : '%') + op.name : op.name;
    case 'mem': return att ? (op.indirect ? '*' : '') + attMem(op.mem) : intelMem(op.mem, op.size);
    case 'imm': return att ? '$' + hex(op.value) : hex(op.value);
    case 'one': return '1';
    case 'port': return att ? '(%dx)' : 'dx';
    case 'bad': return '(bad)';
    case 'far': return att ? `$${hex(op.sel)},$${hex(op.off)}` : `${hex(op.sel)}:${hex(op.off)}`;
    case 'target': {
      // objdump prints a target as its address, bare hex followed by the
      // symbol when it has one (`call   100d80 <rt_init>`), else as 0x...
      const name = symbolize?.(op.addr >>> 0);
      return name === undefined ? hex(op.addr) : `${(op.addr >>> 0).toString(16)} <${name}>`;
    }
  }
}

/** Index register of a 32-bit address, or null. With a SIB byte but no index objdump shows `%eiz`, except for plain (%esp). */
function index32(m: Mem): string | null {
  if (m.index >= 0) return REG32[m.index];
  if (m.sib && !(m.base === 4 && m.scale === 0)) return 'eiz';
  return null;
}

function isAbsolute(m: Mem): boolean {
  return m.base < 0 && m.index < 0 && !m.sib;
}

function attMem(m: Mem): string {
  const seg = m.seg ? `%${m.seg}:` : '';
  if (m.kind === 'moffs') return seg + hex(m.a32 ? m.disp : m.disp & 0xffff);
  // A bare 32-bit address prints unsigned, a bare 16-bit one signed.
  if (isAbsolute(m)) return seg + (m.a32 ? hex(m.disp) : signedHex((m.disp << 16) >> 16));
  let s = seg + (m.hasDisp ? signedHex(m.disp) : '') + '(';
  if (m.a32) {
    if (m.base >= 0) s += '%' + REG32[m.base];
    const idx = index32(m);
    if (idx !== null) s += `,%${idx},${1 << m.scale}`;
  } else {
    s += '%' + REG16[m.base];
    if (m.index >= 0) s += ',%' + REG16[m.index];
  }
  return s + ')';
}

function intelMem(m: Mem, size: MemSize): string {
  const ptr = size ? size + ' PTR ' : '';
  // Intel syntax names the segment of a bare address (`ds:0x1000`) even without an override.
  if (m.kind === 'moffs') return `${m.seg ?? 'ds'}:${hex(m.a32 ? m.disp : m.disp & 0xffff)}`;
  if (isAbsolute(m)) return `${ptr}${m.seg ?? 'ds'}:${hex(m.a32 ? m.disp : m.disp & 0xffff)}`;
  const parts: string[] = [];
  if (m.a32) {
    if (m.base >= 0) parts.push(REG32[m.base]);
    const idx = index32(m);
    if (idx !== null) parts.push(`${idx}*${1 << m.scale}`);
  } else {
    parts.push(REG16[m.base]);
    if (m.index >= 0) parts.push(REG16[m.index]);
  }
  let inner = parts.join('+');
  if (m.hasDisp) inner += m.disp < 0 ? signedHex(m.disp) : '+' + signedHex(m.disp);
  return `${ptr}${m.seg ? m.seg + ':' : ''}[${inner}]`;
}
