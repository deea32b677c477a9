/**
 * Port I/O (io.ts, and INS/OUTS in string.ts) against the Intel SDM: IN,
 * OUT, INS, OUTS with a fake device, and the protection rule of Vol. 1
 * §19.5 (I/O privilege level and the TSS's I/O permission bitmap): at
 * CPL > IOPL every byte of the access must have its bitmap bit clear,
 * otherwise #GP(0), before the device sees anything.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, regs, enterRing3, installTss, allowPort, setFlags, CODE, type Init, type TestCpu } from '../../../../test/cpu/harness';
import type { Cpu } from '../state';
import { IOPL } from '../flags';

/** A device on ports 0x60..0x67 and 0x3f8..0x407 that answers reads with 0x89abcdef (cut to size) and logs every access. */
function withDevice(code: string, setup?: (c: Cpu) => void, init: Init = {}): { t: TestCpu; log: string[] } {
  const log: string[] = [];
  const t = makeCpu(code, (c) => {
    (['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const).forEach((n, r) => { if (init[n] !== undefined) c.r32[r] = init[n]; });
    setup?.(c);
  });
  const dev = {
    read: (port: number, size: number) => { log.push(`in${size} ${port.toString(16)}`); return size === 4 ? 0x89abcdef : 0x89abcdef & ((1 << (8 * size)) - 1); },
    write: (port: number, size: number, v: number) => { log.push(`out${size} ${port.toString(16)}=${(v >>> 0).toString(16)}`); },
  };
  t.io.register(0x60, 8, dev);
  t.io.register(0x3f8, 16, dev);
  t.run();
  return { t, log };
}

describe('IN OUT at CPL 0', () => {
  it('IN AL,imm8 reads a byte and keeps the rest of EAX', () => {
    const { t, log } = withDevice('e4 60', undefined, { eax: 0x11223344 });
    expect(log).toEqual(['in1 60']);
    expect(regs(t.cpu).eax).toBe(0x112233ef);
  });
  it('IN EAX,DX reads a dword from the port in DX', () => {
    const { t, log } = withDevice('ed', undefined, { edx: 0xffff03f8 });
    expect(log).toEqual(['in4 3f8']);
    expect(regs(t.cpu).eax).toBe(0x89abcdef);
  });
  it('IN AX,DX reads a word', () => {
    const { t } = withDevice('66 ed', undefined, { eax: 0x55555555, edx: 0x3f8 });
    expect(regs(t.cpu).eax).toBe(0x5555cdef);
  });
  it('OUT imm8,AL, OUT DX,AX and OUT DX,EAX write the accumulator', () => {
    const { log } = withDevice('e6 61 66 ef ef', undefined, { eax: 0x12345678, edx: 0x3f9 });
    expect(log).toEqual(['out1 61=78', 'out2 3f9=5678', 'out4 3f9=12345678']);
  });
});

describe('INS OUTS', () => {
  it('REP OUTSB writes ECX bytes from DS:ESI to the port', () => {
    const { t, log } = withDevice('f3 6e', (c) => { c.mem.write32(0x2000, 0x44332211); }, { ecx: 3, edx: 0x60, esi: 0x2000 });
    expect(log).toEqual(['out1 60=11', 'out1 60=22', 'out1 60=33']);
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, esi: 0x2003 });
  });
  it('REP INSB stores ECX bytes from the port at ES:EDI', () => {
    const { t, log } = withDevice('f3 6c', undefined, { ecx: 2, edx: 0x60, edi: 0x3000 });
    expect(log).toEqual(['in1 60', 'in1 60']);
    expect(t.mem.read32(0x3000)).toBe(0xefef);
    expect(regs(t.cpu)).toMatchObject({ ecx: 0, edi: 0x3002 });
  });
  it('INSD stores a dword', () => {
    const { t } = withDevice('6d', undefined, { edx: 0x3f8, edi: 0x3000 });
    expect(t.mem.read32(0x3000) >>> 0).toBe(0x89abcdef);
  });
});

describe('I/O protection at CPL 3', () => {
  const gp = (t: TestCpu) => expect(t.history.map((d) => [d.vector, d.code, d.eip])).toEqual([[13, 0, CODE]]);
  /** The only delivery is the #GP(0) of the HLT that ends a ring-3 run. */
  const reachedEnd = (t: TestCpu) => expect(t.history.map((d) => [d.vector, d.code, d.eip])).toEqual([[13, 0, t.end]]);

  it('IN with CPL > IOPL and no I/O bitmap raises #GP(0) without touching the port', () => {
    const { t, log } = withDevice('e4 60', (c) => enterRing3(c));
    gp(t);
    expect(log).toEqual([]);
  });
  it('OUT with CPL > IOPL and no I/O bitmap raises #GP(0)', () => {
    const { t, log } = withDevice('e6 60', (c) => enterRing3(c));
    gp(t);
    expect(log).toEqual([]);
  });
  it('IN and OUT at CPL 3 with IOPL 3 are allowed', () => {
    const { t, log } = withDevice('e4 60 e6 61', (c) => { enterRing3(c); setFlags(c, IOPL); });
    reachedEnd(t);
    expect(log).toEqual(['in1 60', 'out1 61=ef']);
  });
  it('the I/O bitmap allows a port whose bit is clear', () => {
    const { t, log } = withDevice('e4 60', (c) => { installTss(c, { ioBitmap: true }); allowPort(c, 0x60); enterRing3(c); });
    reachedEnd(t);
    expect(log).toEqual(['in1 60']);
  });
  it('the I/O bitmap denies a port whose bit is set: #GP(0)', () => {
    const { t, log } = withDevice('e4 61', (c) => { installTss(c, { ioBitmap: true }); allowPort(c, 0x60); enterRing3(c); });
    gp(t);
    expect(log).toEqual([]);
  });
  it('a word access needs the bits of both ports clear', () => {
    const denied = withDevice('66 e5 60', (c) => { installTss(c, { ioBitmap: true }); allowPort(c, 0x60); enterRing3(c); });
    gp(denied.t);
    expect(denied.log).toEqual([]);
    const allowed = withDevice('66 e5 60', (c) => { installTss(c, { ioBitmap: true }); allowPort(c, 0x60); allowPort(c, 0x61); enterRing3(c); });
    reachedEnd(allowed.t);
    expect(allowed.log).toEqual(['in2 60']);
  });
  it('a dword access checks four bits across two bitmap bytes', () => {
    const some = (c: Cpu) => { installTss(c, { ioBitmap: true }); for (const p of [0x3fe, 0x3ff, 0x400]) allowPort(c, p); enterRing3(c); };
    const denied = withDevice('ed', some, { edx: 0x3fe });
    gp(denied.t);
    const allowed = withDevice('ed', (c) => { some(c); allowPort(c, 0x401); }, { edx: 0x3fe });
    reachedEnd(allowed.t);
    expect(allowed.log).toEqual(['in4 3fe']);
  });
  it('a port whose bitmap byte lies beyond the TSS limit is denied', () => {
    const { t, log } = withDevice('e6 60', (c) => {
      installTss(c, { ioBitmap: true });
      allowPort(c, 0x60);
      c.tr.limit = 0x68 + 4; // the bitmap now covers ports 0..0x27 only
      enterRing3(c);
    });
    gp(t);
    expect(log).toEqual([]);
  });
  it('at CPL 0 the bitmap is not consulted', () => {
    const { t, log } = withDevice('e4 61', (c) => installTss(c, { ioBitmap: true }));
    expect(t.history).toEqual([]);
    expect(log).toEqual(['in1 61']);
  });
  it('INSB at CPL 3 on a denied port raises #GP(0) before reading the port', () => {
    const { t, log } = withDevice('f3 6c', (c) => { installTss(c, { ioBitmap: true }); enterRing3(c); }, { ecx: 2, edx: 0x60, edi: 0x3000 });
    gp(t);
    expect(log).toEqual([]);
    expect(regs(t.cpu)).toMatchObject({ ecx: 2, edi: 0x3000 });
  });
  it('OUTSB at CPL 3 on an allowed port works', () => {
    const { t, log } = withDevice('6e', (c) => { installTss(c, { ioBitmap: true }); allowPort(c, 0x60); enterRing3(c); c.mem.write8(0x2000, 0x77); }, { edx: 0x60, esi: 0x2000 });
    reachedEnd(t);
    expect(log).toEqual(['out1 60=77']);
  });
});
