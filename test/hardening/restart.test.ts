/**
 * Hardening item 5: a restart used to zero all of memory, so a Guest restarting in a loop with 1 GiB ran at a
 * few thousand instructions a second and the debugger's pause waited for it. Now memory keeps a list of the
 * pages written since the last restart, and a restart zeroes those: exactly as correct as zeroing everything,
 * at the cost of what was written.
 */
import { describe, it, expect, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from '../../src/vm/lguest/host';
import { PhysicalMemory } from '../../src/vm/cpu/memory';
import { Cpu } from '../../src/vm/cpu/state';
import { R_S, W_S } from '../../src/vm/cpu/paging';

const ROOT = join(__dirname, '../..');
const RESTART = join(ROOT, 'guests/lguest/faults/build/restart.elf');
const image = new Uint8Array(readFileSync(RESTART));

/** The first index where the two differ, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.compare(a, b) === 0) return -1;
  let i = 0;
  while (a[i] === b[i]) i++;
  return i;
}

describe('hardening item 5: a restart zeroes the pages written, and only those', () => {
  it('counts pages written by the CPU (also through a TLB entry a read filled), the Host and a loader', () => {
    const mem = new PhysicalMemory(1 << 20);
    const cpu = new Cpu(mem, { in: () => 0xff, out: () => {} });
    // Paging is off, so the read's TLB entry allows writing: the write after it stays on the fast path.
    cpu.rdLin8(0x5000, R_S);
    cpu.wrLin32(0x5ffc, 0x12345678, W_S);
    mem.write8(0x6000, 1);
    mem.write32(0x7000, 1);
    mem.load(0x9ffe, Uint8Array.of(1, 2, 3, 4));
    expect(mem.clearWritten()).toBe(5);
    cpu.flushTlb(false);
    expect(firstDifference(mem.bytes, new Uint8Array(mem.size))).toBe(-1);
    // The count starts again from nothing.
    cpu.wrLin8(0x5000, 1, W_S);
    expect(mem.clearWritten()).toBe(1);
    expect(mem.clearWritten()).toBe(0);
  });

  it('leaves all of memory as a fresh boot does, whatever the Guest, the Host or a debugger wrote', () => {
    const host = new Host({ memoryMiB: 64 });
    host.onEvent = (e) => {
      if (e.kind !== 'restart') return;
      // A debugger's write, far from anything the Guest touches; then stop as soon as the Host has restarted.
      host.mem.write32(60 << 20, 0xdeadbeef);
      host.requestStop();
    };
    host.boot(image, 'restart.elf');
    expect(host.run(10_000_000)).toEqual({ kind: 'stopped' });
    expect(host.restarts).toBe(1);
    const fresh = new Host({ memoryMiB: 64 });
    fresh.boot(image, 'restart.elf');
    expect(firstDifference(host.mem.bytes, fresh.mem.bytes)).toBe(-1);
  });

  it('clears the same few pages with 1 GiB as with 64 MiB', () => {
    const pagesCleared = (memoryMiB: number) => {
      const host = new Host({ memoryMiB });
      const clear = vi.spyOn(host.mem, 'clearWritten');
      host.boot(image, 'restart.elf');
      host.run(500_000);
      expect(host.restarts).toBeGreaterThanOrEqual(10);
      return clear.mock.results.map((r) => r.value as number);
    };
    const small = pagesCleared(64), big = pagesCleared(1024);
    expect(big).toEqual(small);
    expect(Math.max(...big)).toBeLessThan(100); // of 262,144 pages
  });

  it('lguest-vm run --mem 1024 restarts the Guest in a loop up to --max-instructions 3000000', () => {
    const args = ['run', '--mem', '1024', '--max-instructions', '3000000', RESTART];
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), ...args], { timeout: 60_000 });
    const boots = r.stdout.toString().split('\n').filter((l) => l !== '');
    expect(boots.length).toBeGreaterThanOrEqual(100);
    expect(new Set(boots)).toEqual(new Set(['boot, generation 0x00000001']));
    expect(r.stderr.toString()).toBe('lguest-vm: stopped after 3000000 instructions (--max-instructions)\n');
    expect(r.status).toBe(124);
  });
});
