/**
 * The disassemble request: instructions around an address, with their
 * symbols and source lines. Going backwards on x86 needs a known
 * instruction boundary: the start of the enclosing function when the
 * symbols know it, else a guess from a little before, re-synchronized.
 * The session's checks bound the request (MAX_DISASSEMBLE_INSTRUCTIONS), and
 * the work follows it: at most that many instructions each way.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Source } from '@vscode/debugadapter';
import { disassembleBytes, Syntax } from '../vm/cpu/disasm';
import type { Target } from './runtime/target';
import type { Programs } from './programs';
import { hex } from './registers';

interface Line { address: number; length: number; text: string; bytes: (number | null)[] }

/**
 * Instructions from `from` on, decoded linearly: `count` of them, or those
 * that start within `span` bytes. Unmapped bytes become "??".
 */
function decodeFrom(
  t: Target, programs: Programs, from: number, syntax: Syntax, count: number, span = Infinity,
): Line[] {
  const out: Line[] = [];
  let addr = from >>> 0;
  const more = () => out.length < count && ((addr - from) >>> 0) < span;
  while (more()) {
    const raw = t.read(addr, 16, false);
    if (raw[0] === null) {
      // Memory is mapped by pages: the rest of this one is unreadable too, a "??" per byte without reading each.
      do {
        out.push({ address: addr, length: 1, text: '??', bytes: [null] });
        addr = (addr + 1) >>> 0;
      } while ((addr & 0xfff) !== 0 && more());
      continue;
    }
    let n = 0;
    while (n < raw.length && raw[n] !== null) n++;
    const line = disassembleBytes(
      Uint8Array.from(raw.slice(0, n) as number[]), addr, true, syntax, (a) => programs.symbolize(a),
    )[0];
    out.push({ address: addr, length: line.length, text: line.text, bytes: raw.slice(0, line.length) });
    addr = (addr + line.length) >>> 0;
  }
  return out;
}

export function disassemble(
  t: Target, programs: Programs, address: number, instructionOffset: number, count: number, flavor: 'att' | 'intel',
): DebugProtocol.DisassembledInstruction[] {
  const syntax: Syntax = flavor === 'intel' ? 'intel' : 'att';
  let lines: Line[];
  if (instructionOffset >= 0) {
    lines = decodeFrom(t, programs, address, syntax, instructionOffset + count).slice(instructionOffset);
  } else {
    // Back up to a boundary we trust: the function's start, if it is not too far; else a guess.
    // Only the bytes up to the address are decoded, so the cost follows the distance.
    const back = -instructionOffset;
    const sym = programs.symbolAt(address);
    let start = sym && address - sym.address <= back * 15 + 4096 ? sym.address : (address - back * 8) >>> 0;
    let before = decodeFrom(t, programs, start, syntax, Infinity, (address - start) >>> 0);
    if (before.length < back) {
      start = (start - (back - before.length) * 8) >>> 0;
      before = decodeFrom(t, programs, start, syntax, Infinity, (address - start) >>> 0);
    }
    const pad = Math.max(0, back - before.length);
    const padding: Line[] = Array.from({ length: pad }, (_, i) => ({
      address: (address - back + i) >>> 0, length: 1, text: '??', bytes: [null],
    }));
    const kept = before.slice(before.length - (back - pad));
    lines = [
      ...padding, ...kept, ...decodeFrom(t, programs, address, syntax, Math.max(0, count + instructionOffset)),
    ].slice(0, count);
  }
  let lastFile = '';
  return lines.map((l) => {
    const loc = programs.lineFor(l.address);
    const sym = programs.symbolAt(l.address);
    const ins: DebugProtocol.DisassembledInstruction = {
      address: hex(l.address),
      instructionBytes: l.bytes.map((b) => (b === null ? '??' : b.toString(16).padStart(2, '0'))).join(' '),
      instruction: l.text,
      symbol: sym && sym.offset === 0 ? sym.name : undefined,
    };
    if (loc) {
      ins.line = loc.line;
      ins.column = loc.column || undefined;
      if (loc.path && loc.path !== lastFile) ins.location = new Source(loc.file.split('/').pop()!, loc.path);
      lastFile = loc.path ?? '';
    }
    if (l.text === '??') ins.presentationHint = 'invalid';
    return ins;
  });
}

/**
 * A frame without a source file (code without line tables, or at a physical address in linear mode) is shown as
 * its disassembly: 10 instructions before `eip` and 30 from it, as text, and the line `eip` is on.
 */
export function listingAround(
  t: Target, programs: Programs, eip: number, flavor: 'att' | 'intel',
): { text: string; line: number } {
  const listing = disassemble(t, programs, eip, -10, 40, flavor);
  const text = listing.map((ins) => {
    const mark = Number(ins.address) === eip ? '=>' : '  ', symbol = ins.symbol ? ` <${ins.symbol}>` : '';
    return `${mark} ${ins.address}${symbol}  ${(ins.instructionBytes ?? '').padEnd(20)} ${ins.instruction}`;
  }).join('\n');
  return { text, line: listing.findIndex((ins) => Number(ins.address) === eip) + 1 };
}
