/**
 * For the tests only: the expected data recorded from GNU binutils
 * (test/fixtures/debuginfo/NAME.json, written by
 * scripts/debuginfo-fixtures.mjs) and the ELFs they describe.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Elf32 } from '../elf';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const FIXTURES = join(ROOT, 'test/fixtures/debuginfo');

export interface Fixture {
  name: string;
  elf: string;
  sha256: string;
  binutils: string;
  files: string[];
  /** [address (hex), file index, line, is_stmt] or [address] for the end of a sequence */
  lines: ([string, number, number, number] | [string])[];
  /** [address (hex), path ("??" for none), line (0 for none)] */
  addr2line: [string, string, number][];
  frames: { section: string; pc: [string, string]; columns: string[]; rows: string[][] }[];
}

export function fixtures(): Fixture[] {
  return readdirSync(FIXTURES).filter((n) => n.endsWith('.json')).sort().map((n) => ({
    name: n.replace(/\.json$/, ''),
    ...JSON.parse(readFileSync(join(FIXTURES, n), 'utf8')),
  }));
}

export function fixture(name: string): Fixture {
  const f = fixtures().find((x) => x.name === name);
  if (!f) throw new Error(`no fixture ${name}`);
  return f;
}

/** The fixture's ELF; throws if it is not the file the fixture was made from. */
export function loadElf(fx: Fixture): Elf32 {
  const bytes = new Uint8Array(readFileSync(join(ROOT, fx.elf)));
  const sum = createHash('sha256').update(bytes).digest('hex');
  if (sum !== fx.sha256) throw new Error(`${fx.elf} changed since test/fixtures/debuginfo/${fx.name}.json was made: run node scripts/debuginfo-fixtures.mjs`);
  return new Elf32(bytes, fx.elf);
}

/** The first line of `readelf --version` if the cross binutils are installed. */
export function installedBinutils(): string | undefined {
  try {
    execFileSync('i686-linux-gnu-addr2line', ['--version'], { stdio: 'ignore' });
    return execFileSync('i686-linux-gnu-readelf', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return undefined;
  }
}

/** True when path `a` ends with all the components of `b` (or the other way round). */
export function sameFile(a: string, b: string): boolean {
  const pa = a.split('/').filter((c) => c !== '' && c !== '.'), pb = b.split('/').filter((c) => c !== '' && c !== '.');
  const n = Math.min(pa.length, pb.length);
  return n > 0 && pa.slice(-n).join('/') === pb.slice(-n).join('/');
}

/** Little byte-writing helpers for hand-made sections. */
export class Bytes {
  readonly out: number[] = [];
  u8(...v: number[]) { this.out.push(...v); return this; }
  u16(v: number) { return this.u8(v & 0xff, v >> 8); }
  u32(v: number) { return this.u8(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24); }
  uleb(v: number) { do { let b = v & 0x7f; v >>>= 7; if (v) b |= 0x80; this.out.push(b); } while (v); return this; }
  sleb(v: number) {
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) { this.out.push(b); return this; }
      this.out.push(b | 0x80);
    }
  }
  str(s: string) { return this.u8(...new TextEncoder().encode(s), 0); }
  bytes(b: Bytes) { return this.u8(...b.out); }
  get length() { return this.out.length; }
  get array() { return new Uint8Array(this.out); }
}

/**
 * A read32 over an ELF's loaded segments (code and data, by virtual
 * address) and a few words of made-up memory (a stack) on top.
 */
export function memory(elf: Elf32, words: Record<number, number> = {}): (addr: number) => number | null {
  return (addr) => {
    if (addr in words) return words[addr] >>> 0;
    for (const p of elf.loadSegments) {
      if (addr >= p.vaddr && addr + 4 <= p.vaddr + p.filesz) {
        const o = p.offset + addr - p.vaddr;
        const b = elf.bytes;
        return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
      }
    }
    return null;
  };
}
