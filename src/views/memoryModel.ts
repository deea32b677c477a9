/**
 * The memory view's pure parts (no `vscode`): memory references, which chunks to read for what is on
 * show, the hex rows with their changed and unreadable bytes, and how an expression becomes an address.
 * src/views/memoryView.ts does the asking and the showing.
 */

/** Bytes per row of the view. */
export const ROW = 16;
/** The unit of reading and caching: a page, so a chunk is all mapped or all unmapped (Guest-virtual). */
export const CHUNK = 4096;
/** Rows read beyond what is on show, above and below, so a small scroll needs no request. */
export const MARGIN_ROWS = 32;
/** The address space: 4 GiB, virtual or physical. */
export const LIMIT = 2 ** 32;
/** The most rows the view shows at once (a tall window still reads a few KiB). */
export const MAX_ROWS = 256;

/** Where a memory view looks: Guest-virtual, or Guest-physical (`phys:`). */
export interface Place {
  address: number;
  physical: boolean;
}

/** `0xc0100000`, `c0100000`, `phys:0x1000` (the adapter's memory references); null for anything else. */
export function parseReference(text: string): Place | null {
  const m = /^\s*(phys:)?\s*(0x[0-9a-f]+|[0-9]+)\s*$/i.exec(text);
  if (!m) return null;
  const address = Number(m[2]);
  if (!Number.isSafeInteger(address) || address >= LIMIT) return null;
  return { address, physical: m[1] !== undefined };
}

export function hex8(a: number): string {
  return `0x${(a >>> 0).toString(16).padStart(8, '0')}`;
}

/** The adapter's memory reference for an address. */
export function reference(p: Place): string {
  return p.physical ? `phys:${hex8(p.address)}` : hex8(p.address);
}

/** An address rounded down to its row. */
export function rowOf(address: number): number {
  return Math.floor(address / ROW) * ROW;
}

/** The first row shown, kept inside the address space for `rows` rows. */
export function clampTop(top: number, rows: number): number {
  const last = LIMIT - Math.max(1, rows) * ROW;
  return Math.min(Math.max(0, rowOf(top)), Math.max(0, last));
}

/** Where a followed address goes: a few rows below the top, so what lies just before it shows too. */
export function topFor(address: number, rows: number): number {
  const above = Math.min(4, Math.floor(rows / 4));
  return clampTop(rowOf(address) - above * ROW, rows);
}

/** The chunks (their first addresses) that hold rows [top, top + rows) and the margin around them. */
export function chunksFor(top: number, rows: number, margin = MARGIN_ROWS): number[] {
  const from = Math.max(0, top - margin * ROW);
  const to = Math.min(LIMIT, top + (rows + margin) * ROW); // exclusive
  const out: number[] = [];
  for (let c = Math.floor(from / CHUNK) * CHUNK; c < to; c += CHUNK) out.push(c);
  return out;
}

/** Bytes as read: a number, or null where the memory cannot be read (an unmapped page). */
export type Bytes = (number | null)[];

/**
 * A readMemory response as bytes: its data, then `unreadableBytes` nulls (the adapter stops at the
 * first byte it cannot read), then nulls up to `count`.
 */
export function decodeRead(body: { data?: string; unreadableBytes?: number } | undefined, count: number): Bytes {
  const data = body?.data ? [...Buffer.from(body.data, 'base64')] : [];
  const out: Bytes = data.slice(0, count);
  while (out.length < count) out.push(null);
  return out;
}

/** What the cache knows of a byte: its value, null (unreadable), undefined (not read). */
export type ByteAt = (address: number) => number | null | undefined;

/** A cache of chunks: one per stop (the last stop's is kept to see what changed). */
export class Snapshot {
  readonly chunks = new Map<number, Bytes>();

  at: ByteAt = (a) => {
    const c = this.chunks.get(Math.floor(a / CHUNK) * CHUNK);
    return c === undefined ? undefined : c[a % CHUNK];
  };

  missing(chunks: number[]): number[] {
    return chunks.filter((c) => !this.chunks.has(c));
  }
}

/** One byte as shown. */
export interface Cell {
  /** Two hex digits, `??` unreadable, blank while it is being read. */
  text: string;
  /** The byte's address. */
  address: number;
  unreadable: boolean;
  /** Different from the last stop's value (both known). */
  changed: boolean;
  /** In the followed range (its first byte up to `size`). */
  target: boolean;
}

export interface Row {
  /** The row's first address, 8 hex digits (`phys:` before it for physical memory). */
  offset: string;
  cells: Cell[];
  /** The 16 bytes as ASCII: `.` for what is not printable, a blank for what cannot be read. */
  ascii: string;
}

/** Whether a byte changed between two stops: only when both reads have it, and they differ. */
export function changedByte(before: number | null | undefined, now: number | null | undefined): boolean {
  return before !== undefined && now !== undefined && before !== now;
}

export function asciiOf(b: number | null | undefined): string {
  if (b === null || b === undefined) return ' ';
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

/**
 * The rows from `top`: each byte from `now`, compared with `before` (the last stop's reads), the
 * followed range marked. A byte `written` through the view since the stop is changed too.
 */
export function layoutRows(
  top: number, rows: number, now: ByteAt, before: ByteAt, physical: boolean, target?: { address: number; size: number },
  written: (address: number) => boolean = () => false,
): Row[] {
  const out: Row[] = [];
  for (let r = 0; r < rows; r++) {
    const base = top + r * ROW;
    if (base >= LIMIT) break;
    const cells: Cell[] = [];
    let ascii = '';
    for (let i = 0; i < ROW; i++) {
      const address = base + i, b = now(address);
      cells.push({
        text: b === undefined ? '  ' : b === null ? '??' : b.toString(16).padStart(2, '0'),
        address,
        unreadable: b === null,
        changed: changedByte(before(address), b) || written(address),
        target: target !== undefined && address >= target.address && address < target.address + target.size,
      });
      ascii += asciiOf(b);
    }
    out.push({ offset: `${physical ? 'phys:' : ''}${hex8(base)}`, cells, ascii });
  }
  return out;
}

/** Two hex digits (a byte typed into the view), or null. */
export function parseByte(text: string): number | null {
  return /^[0-9a-f]{1,2}$/i.test(text.trim()) ? parseInt(text.trim(), 16) : null;
}

/** What an evaluate request answered (the part the view uses). */
export interface Evaluated {
  result: string;
  type?: string;
  memoryReference?: string;
}

/**
 * The address an expression names, as gdb's `x` takes it: a pointer's or an integer's value (`$esp`,
 * `current`, `&procs[1]`, `tf->ecx`), an array's first element (`procs`), and for any other object
 * in memory (a struct, `procs[1]`) its address. A register, a number or a symbol without debug
 * information is its value (the adapter's memoryReference for it). `phys:...` is no expression: it
 * is the place itself.
 *
 * `evaluate` asks the adapter (context watch, in the focused frame) and throws its error.
 */
export async function resolve(
  expression: string, evaluate: (expression: string) => Promise<Evaluated>,
): Promise<Place & { size: number; shown: string }> {
  const direct = /^\s*phys:/i.test(expression) ? parseReference(expression) : null;
  if (direct) return { ...direct, size: 1, shown: reference(direct) };
  if (/^\s*phys:/i.test(expression)) throw new Error(`not a physical address: ${expression.trim()} (phys:0x...)`);
  const plain = await evaluate(expression);
  // An untyped value (a register, a number, a symbol): its memoryReference is its value.
  if (plain.type === undefined && plain.memoryReference) {
    const p = parseReference(plain.memoryReference);
    if (p) return { ...p, size: 1, shown: plain.result };
  }
  // A typed value: what C's cast to an integer makes of it (a pointer's value, an array's address).
  const cast = await evaluate(`(unsigned long)(${expression})`).catch(() => null);
  const value = cast ? parseNumber(cast.result) : null;
  if (value !== null) return { address: value, physical: false, size: sizeOfPointee(plain.type), shown: plain.result };
  // A struct or union in memory: its address.
  const p = plain.memoryReference ? parseReference(plain.memoryReference) : null;
  if (p) return { ...p, size: 1, shown: plain.result };
  throw new Error(`${expression.trim()} is no address: ${plain.result}${plain.type ? ` (${plain.type})` : ''}`);
}

/** A number at the start of a shown value: `3222290432`, `0xc0104000 <procs+64>`, `-1`. */
export function parseNumber(text: string): number | null {
  const m = /^\s*(0x[0-9a-f]+|-?\d+)\b/i.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n >>> 0 : null;
}

/** How many bytes to mark at a followed address: a pointer to a basic type's size, else one. */
export function sizeOfPointee(type: string | undefined): number {
  const m = type ? /^\s*(?:const\s+|volatile\s+)*([\w\s]+?)\s*\*\s*$/.exec(type) : null;
  if (!m) return 1;
  const sizes: Record<string, number> = {
    char: 1, 'signed char': 1, 'unsigned char': 1, uint8_t: 1, int8_t: 1, short: 2, 'unsigned short': 2, uint16_t: 2,
    int16_t: 2, int: 4, unsigned: 4, 'unsigned int': 4, long: 4, 'unsigned long': 4, uint32_t: 4, int32_t: 4,
    uintptr_t: 4, 'long long': 8, 'unsigned long long': 8, uint64_t: 8, int64_t: 8,
  };
  return sizes[m[1].replace(/\s+/g, ' ')] ?? 1;
}
