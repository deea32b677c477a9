/**
 * System instructions (system.ts) against the Intel SDM Vol. 2 pages and
 * Vol. 3 (protection): flag instructions and their privilege rules,
 * PUSHF/POPF masks, descriptor-table and control-register instructions,
 * #GP(0) for privileged instructions at CPL 3, LAR LSL VERR VERW ARPL,
 * CPUID, RDTSC, RDMSR/WRMSR, UD2 and undefined
 * opcodes.
 */
import { describe, it, expect } from 'vitest';
import {
  runCode, regs, flagNames, setDescriptor, enterRing3, installTss,
  CODE, STACK_TOP, SEL_TSS, SEL_DATA3, type Init, type TestCpu,
} from '../../../../test/cpu/harness';
import { CR0_PE, CR0_MP, CR0_TS, CR0_ET, CR0_PG, CR4_DE, CR4_TSD, type Cpu } from '../state';
import { CF, ZF, IF, DF, OF, IOPL, NT, AC, ID, VIF, VIP, RF, VM, ARITH } from '../flags';

const DATA = 0x2000;
const deliveries = (t: TestCpu) => t.history.map((d) => [d.vector, d.code, d.eip]);
const faultAt = (t: TestCpu, vector: number, code = -1) => expect(deliveries(t)).toEqual([[vector, code, CODE]]);
/** A ring-3 run that completed: the only delivery is the #GP(0) of the final HLT. */
const reachedEnd = (t: TestCpu) => expect(deliveries(t)).toEqual([[13, 0, t.end]]);
const ring3 = (init: Init = {}, more?: (c: Cpu) => void) => (code: string) => runCode(code, init, (c) => { enterRing3(c); more?.(c); });
function le32(v: number): string {
  return [0, 8, 16, 24].map((s) => ((v >>> s) & 0xff).toString(16).padStart(2, '0')).join(' ');
}

describe('flag instructions', () => {
  it('CLI and STI at CPL 0 clear and set IF', () => {
    expect(runCode('fa', { flags: IF }).flags() & IF).toBe(0);
    expect(runCode('fb', { flags: 0 }).flags() & IF).toBe(IF);
  });
  it('CLI at CPL 3 with IOPL 0 raises #GP(0) and leaves IF set', () => {
    const t = ring3({ flags: IF })('fa');
    expect(deliveries(t)).toEqual([[13, 0, CODE]]);
    expect(t.frame().eflags & IF).toBe(IF);
  });
  it('STI at CPL 3 with IOPL 0 raises #GP(0)', () => {
    const t = ring3({ flags: 0 })('fb');
    expect(deliveries(t)).toEqual([[13, 0, CODE]]);
    expect(t.frame().eflags & IF).toBe(0);
  });
  it('CLI at CPL 3 with IOPL 3 clears IF', () => {
    const t = ring3({ flags: IF | IOPL })('fa');
    reachedEnd(t);
    expect(t.frame().eflags & IF).toBe(0);
  });
  it('CLC STC CMC CLD STD', () => {
    expect(flagNames(runCode('f9').flags() & (CF | DF))).toBe('CF');
    expect(flagNames(runCode('f8', { flags: CF | ZF }).flags() & (CF | ZF))).toBe('ZF');
    expect(flagNames(runCode('f5 f5 f5', { flags: 0 }).flags() & CF)).toBe('CF');
    expect(flagNames(runCode('fd').flags() & DF)).toBe('DF');
    expect(flagNames(runCode('fc', { flags: DF }).flags() & DF)).toBe('');
  });
});

describe('PUSHF POPF', () => {
  it('PUSHFD pushes EFLAGS with RF and VM clear and bit 1 set', () => {
    const t = runCode('9c', { flags: CF | ZF | IF | IOPL | AC | ID | RF });
    expect(t.mem.read32(STACK_TOP - 4) >>> 0).toBe(CF | ZF | IF | IOPL | AC | ID | 2);
  });
  it('PUSHF (16-bit) pushes the low word', () => {
    const t = runCode('66 9c', { flags: CF | OF | AC });
    expect(regs(t.cpu).esp).toBe(STACK_TOP - 2);
    expect(t.mem.read16(STACK_TOP - 2)).toBe(CF | OF | 2);
  });
  it('POPFD at CPL 0 loads every flag but RF, VM, VIF, VIP and the reserved bits', () => {
    const t = runCode(`68 ${le32(0xfffffeff)} 9d`); // push $~TF; popfd
    expect(t.history).toEqual([]);
    expect(t.flags() >>> 0).toBe(0xfffffeff & (ARITH | IF | DF | IOPL | NT | AC | ID) | 2);
    expect(t.flags() & (RF | VM | VIF | VIP)).toBe(0);
  });
  it('POPFD at CPL 0 leaves VIF and VIP as they were', () => {
    const t = runCode(`68 ${le32(0)} 9d`, { flags: VIF | VIP });
    expect(t.flags() & (VIF | VIP)).toBe(VIF | VIP);
  });
  it('POPFD at CPL 0 changes IF and IOPL', () => {
    const t = runCode(`68 ${le32(IF | IOPL | CF)} 9d`, { flags: 0 });
    expect(t.flags() & (IF | IOPL | CF)).toBe(IF | IOPL | CF);
  });
  it('POPFD at CPL 3 with IOPL 0 silently keeps IF and IOPL but loads the other flags', () => {
    const t = ring3({ flags: IF })(`68 ${le32(IOPL | CF | ZF | DF | AC | ID)} 9d`);
    reachedEnd(t);
    expect(t.frame().eflags >>> 0).toBe(IF | CF | ZF | DF | AC | ID | 2 | RF); // RF: the final HLT's #GP is a fault
  });
  it('POPFD at CPL 3 with IOPL 3 changes IF but not IOPL', () => {
    const t = ring3({ flags: IOPL | IF })(`68 ${le32(0)} 9d`);
    reachedEnd(t);
    expect(t.frame().eflags & (IF | IOPL)).toBe(IOPL);
  });
  it('POPF (16-bit) leaves the upper half of EFLAGS', () => {
    const t = runCode('66 68 ff 0e 66 9d', { flags: AC | ID }); // pushw $0x0eff; popfw
    expect(regs(t.cpu).esp).toBe(STACK_TOP);
    expect(t.flags() >>> 0).toBe(AC | ID | 0x0ed7);
  });
});

describe('descriptor tables', () => {
  it('LGDT and LIDT load limit and base; SGDT and SIDT store them', () => {
    const t = runCode('0f 01 15 00 20 00 00 0f 01 05 10 20 00 00 0f 01 1d 08 20 00 00 0f 01 0d 18 20 00 00', {}, (c) => {
      c.mem.write16(DATA, 0x7ff); c.mem.write32(DATA + 2, 0x800);  // the same GDT, so the run goes on
      c.mem.write16(DATA + 8, 0x3ff); c.mem.write32(DATA + 10, 0);
    });
    expect(t.history).toEqual([]);
    expect(t.cpu.gdtr).toMatchObject({ base: 0x800, limit: 0x7ff });
    expect(t.cpu.idtr).toMatchObject({ base: 0, limit: 0x3ff });
    expect([t.mem.read16(DATA + 0x10), t.mem.read32(DATA + 0x12)]).toEqual([0x7ff, 0x800]);
    expect([t.mem.read16(DATA + 0x18), t.mem.read32(DATA + 0x1a)]).toEqual([0x3ff, 0]);
  });
  it('LGDT with a 16-bit operand size uses only 24 bits of the base', () => {
    const t = runCode('66 0f 01 15 00 20 00 00', {}, (c) => { c.mem.write16(DATA, 0x27); c.mem.write32(DATA + 2, 0xff000800); });
    expect(t.cpu.gdtr).toMatchObject({ base: 0x000800, limit: 0x27 });
  });
  it('SGDT, SIDT, SMSW, STR and SLDT are allowed at CPL 3', () => {
    const t = ring3()('0f 01 05 00 20 00 00 0f 01 e0 0f 00 cb');
    reachedEnd(t);
    expect([t.mem.read16(DATA), t.mem.read32(DATA + 2)]).toEqual([t.cpu.gdtr.limit, 0x800]);
    expect(regs(t.cpu).eax & 0xffff).toBe((CR0_PE | CR0_ET) & 0xffff);
    expect(regs(t.cpu).ebx).toBe(SEL_TSS);
  });
  it('LTR loads TR and marks the TSS descriptor busy', () => {
    const t = runCode('0f 00 d8 0f 00 cb', { eax: 0x60, ebx: 0xffffffff }, (c) => setDescriptor(c, 0x60, 0x5000, 0x67, 0x89, 0));
    expect(t.history).toEqual([]);
    expect(t.cpu.tr).toMatchObject({ sel: 0x60, base: 0x5000, limit: 0x67 });
    expect(t.mem.read8(0x800 + 0x60 + 5)).toBe(0x8b);
    expect(regs(t.cpu).ebx).toBe(0x60);
  });
  it('LTR of a busy TSS raises #GP(selector)', () => {
    faultAt(runCode('0f 00 d8', { eax: 0x60 }, (c) => setDescriptor(c, 0x60, 0x5000, 0x67, 0x8b, 0)), 13, 0x60);
  });
  it('LTR of a null selector raises #GP(0)', () => {
    faultAt(runCode('0f 00 d8', { eax: 0 }), 13, 0);
  });
  it('LTR of a data segment raises #GP(selector)', () => {
    faultAt(runCode('0f 00 d8', { eax: 0x10 }), 13, 0x10);
  });
  it('LTR of a TSS that is not present raises #NP(selector)', () => {
    faultAt(runCode('0f 00 d8', { eax: 0x60 }, (c) => setDescriptor(c, 0x60, 0x5000, 0x67, 0x09, 0)), 11, 0x60);
  });
  it('LLDT loads LDTR; SLDT stores the selector', () => {
    const t = runCode('0f 00 d0 0f 00 c3', { eax: 0x58 }, (c) => setDescriptor(c, 0x58, 0x4000, 0x1f, 0x82, 0));
    expect(t.history).toEqual([]);
    expect(t.cpu.ldtr).toMatchObject({ sel: 0x58, base: 0x4000, limit: 0x1f });
    expect(regs(t.cpu).ebx).toBe(0x58);
  });
  it('LLDT of a null selector empties LDTR', () => {
    const t = runCode('0f 00 d0', { eax: 0 });
    expect(t.history).toEqual([]);
    expect(t.cpu.ldtr.sel & 0xfffc).toBe(0);
  });
  it('LLDT of a selector that is not an LDT raises #GP(selector)', () => {
    faultAt(runCode('0f 00 d0', { eax: 0x08 }), 13, 0x08);
  });
});

describe('control and debug registers', () => {
  it('MOV CR0 reads and writes CR0; ET stays set', () => {
    const t = runCode('0f 20 c0 83 c8 08 83 e0 ef 0f 22 c0 0f 20 c3', {}); // mov %cr0,%eax; or $8; and $~0x10; mov %eax,%cr0; mov %cr0,%ebx
    expect(t.history).toEqual([]);
    expect(regs(t.cpu).ebx).toBe(CR0_PE | CR0_TS | CR0_ET);
  });
  it('MOV CR0 with PG set and PE clear raises #GP(0)', () => {
    const t = runCode('0f 22 c0', { eax: CR0_PG | CR0_ET });
    faultAt(t, 13, 0);
    expect(t.cpu.cr0).toBe(CR0_PE | CR0_ET);
  });
  it('MOV CR0 with NW set and CD clear raises #GP(0)', () => {
    const t = runCode('0f 22 c0', { eax: 0x20000000 | CR0_PE | CR0_ET });
    faultAt(t, 13, 0);
    expect(t.cpu.cr0).toBe(CR0_PE | CR0_ET);
  });
  it('MOV CR2 and CR3 store and load', () => {
    const t = runCode('0f 22 d0 0f 20 d1 0f 22 db 0f 20 da', { eax: 0x12345678, ebx: 0x5000 }); // cr2 <- eax, ecx <- cr2, cr3 <- ebx, edx <- cr3
    expect(t.history).toEqual([]);
    expect(regs(t.cpu)).toMatchObject({ ecx: 0x12345678, edx: 0x5000 });
  });
  it('MOV CR4 with a reserved bit raises #GP(0)', () => {
    faultAt(runCode('0f 22 e0', { eax: 1 << 13 }), 13, 0); // VMXE: not supported
  });
  it('MOV to or from CR1 raises #UD', () => {
    faultAt(runCode('0f 22 c8'), 6);
    faultAt(runCode('0f 20 c8'), 6);
  });
  it('CLTS clears CR0.TS', () => {
    const t = runCode('0f 06', {}, (c) => { c.cr0 |= CR0_TS; });
    expect(t.cpu.cr0 & CR0_TS).toBe(0);
  });
  it('LMSW loads MP EM TS but cannot clear PE', () => {
    const t = runCode('0f 01 f0', { eax: CR0_MP | CR0_TS });
    expect(t.history).toEqual([]);
    expect(t.cpu.cr0).toBe(CR0_PE | CR0_MP | CR0_TS | CR0_ET);
  });
  it('MOV DR0 and DR7 store and load', () => {
    const t = runCode('0f 23 c0 0f 21 c3 0f 23 f9 0f 21 fa', { eax: 0xc0001000, ecx: 0x00000003 });
    expect(t.history).toEqual([]);
    expect(regs(t.cpu).ebx).toBe(0xc0001000);
    expect(regs(t.cpu).edx & 0xff).toBe(0x03);
  });
  it('MOV DR4 is DR6 when CR4.DE is clear and raises #UD when it is set', () => {
    const t = runCode('0f 21 e3', {}, (c) => { c.dr[6] = 0xffff4ff0 | 0; });
    expect(regs(t.cpu).ebx).toBe(0xffff4ff0);
    faultAt(runCode('0f 21 e3', {}, (c) => { c.cr4 |= CR4_DE; }), 6);
  });
});

describe('privileged instructions at CPL 3 raise #GP(0)', () => {
  const cases: [string, string][] = [
    ['HLT', 'f4'],
    ['MOV CR0,r32', '0f 22 c0'],
    ['MOV r32,CR0', '0f 20 c0'],
    ['MOV CR3,r32', '0f 22 d8'],
    ['LGDT', '0f 01 15 00 20 00 00'],
    ['LIDT', '0f 01 1d 00 20 00 00'],
    ['LTR', '0f 00 d8'],
    ['LLDT', '0f 00 d0'],
    ['LMSW', '0f 01 f0'],
    ['INVLPG', '0f 01 3d 00 20 00 00'],
    ['RDMSR', '0f 32'],
    ['WRMSR', '0f 30'],
    ['CLTS', '0f 06'],
    ['MOV DR7,r32', '0f 23 f8'],
    ['MOV r32,DR0', '0f 21 c3'],
    ['WBINVD', '0f 09'],
  ];
  for (const [name, code] of cases) {
    it(name, () => {
      const t = ring3({ eax: 0x60, ecx: 0x174 })(code);
      faultAt(t, 13, 0);
      expect(t.cpu.cr0).toBe(CR0_PE | CR0_ET);
      expect(t.cpu.cr3).toBe(0);
      expect(t.cpu.gdtr.base).toBe(0x800);
      expect(t.cpu.tr.sel).toBe(SEL_TSS);
    });
  }
});

describe('LAR LSL VERR VERW ARPL', () => {
  const gdt = (c: Cpu) => {
    setDescriptor(c, 0x30, 0, 0x2fff, 0x91, 0x4);  // read-only data, DPL 0, byte limit 0x2fff
    setDescriptor(c, 0x38, 0, 0x1, 0x99, 0xc);     // execute-only code, DPL 0, limit 1 page
    setDescriptor(c, 0x40, 0, 0xfffff, 0x9f);      // conforming readable code, DPL 0
    setDescriptor(c, 0x48, 0, 0, 0xec, 0);         // call gate, DPL 3
    setDescriptor(c, 0x50, 0, 0, 0x8e, 0);         // interrupt gate (not valid in the GDT for LAR)
    setDescriptor(c, 0x58, 0x4000, 0xf, 0x82, 0);  // LDT
    setDescriptor(c, 0x60, 0x5000, 0x67, 0x89, 0); // available TSS
    setDescriptor(c, 0x68, 0x5000, 0x67, 0x8b, 0); // busy TSS
  };
  const lar = (sel: number, init: Init = {}, r3 = false) =>
    runCode('0f 02 d8', { eax: sel, ebx: 0xdeadbeef, ...init }, (c) => { gdt(c); if (r3) enterRing3(c); });

  it('LAR of the flat code segment loads its access rights (masked by 0x00F0FF00) and sets ZF', () => {
    const t = lar(0x08);
    expect(regs(t.cpu).ebx & 0x00f0ff00).toBe(0x00c09b00);
    expect(regs(t.cpu).ebx & 0xff0000ff).toBe(0);
    expect(t.flags() & ZF).toBe(ZF);
  });
  it('LAR r16 loads the type byte and DPL only', () => {
    const t = runCode('66 0f 02 d8', { eax: 0x10, ebx: 0xffffffff });
    expect(regs(t.cpu).ebx).toBe(0xffff9300);
  });
  it('LAR of a null selector or one beyond the GDT limit clears ZF and leaves the destination', () => {
    for (const sel of [0, 3, 0x7f8]) {
      const t = lar(sel, { flags: ZF });
      expect([sel, regs(t.cpu).ebx, t.flags() & ZF]).toEqual([sel, 0xdeadbeef, 0]);
    }
  });
  it('LAR of LDT, TSS and call-gate descriptors succeeds; of an interrupt gate fails', () => {
    for (const [sel, ok] of [[0x58, true], [0x60, true], [0x68, true], [0x48, true], [0x50, false]] as const) {
      expect([sel, lar(sel).flags() & ZF]).toEqual([sel, ok ? ZF : 0]);
    }
  });
  it('LAR with RPL > DPL clears ZF', () => {
    expect(lar(0x13).flags() & ZF).toBe(0);
  });
  it('LAR at CPL 3: DPL-0 data is not visible, DPL-3 data and conforming code are', () => {
    expect(lar(0x10, {}, true).flags() & ZF).toBe(0);
    expect(lar(SEL_DATA3, {}, true).flags() & ZF).toBe(ZF);
    expect(lar(0x43, {}, true).flags() & ZF).toBe(ZF);
  });
  it('LSL loads the byte-granular limit, or the page-granular limit scaled', () => {
    const lsl = (sel: number) => runCode('0f 03 d8', { eax: sel }, gdt);
    expect(regs(lsl(0x08).cpu).ebx).toBe(0xffffffff);
    expect(regs(lsl(0x30).cpu).ebx).toBe(0x2fff);
    expect(regs(lsl(0x38).cpu).ebx).toBe(0x1fff);
    expect(regs(lsl(0x60).cpu).ebx).toBe(0x67);
    expect(lsl(0x30).flags() & ZF).toBe(ZF);
  });
  it('LSL of a call gate clears ZF', () => {
    const t = runCode('0f 03 d8', { eax: 0x48, ebx: 5, flags: ZF }, gdt);
    expect([regs(t.cpu).ebx, t.flags() & ZF]).toEqual([5, 0]);
  });
  it('VERR: readable segments set ZF, execute-only code does not', () => {
    const verr = (sel: number) => runCode('0f 00 e0', { eax: sel }, gdt).flags() & ZF;
    expect([verr(0x10), verr(0x08), verr(0x30), verr(0x38), verr(0x60), verr(0)]).toEqual([ZF, ZF, ZF, 0, 0, 0]);
  });
  it('VERW: only writable data sets ZF', () => {
    const verw = (sel: number) => runCode('0f 00 e8', { eax: sel }, gdt).flags() & ZF;
    expect([verw(0x10), verw(0x30), verw(0x08), verw(0x40)]).toEqual([ZF, 0, 0, 0]);
  });
  it('VERR at CPL 3 of a DPL-0 data segment clears ZF', () => {
    const t = runCode('0f 00 e0', { eax: 0x10, flags: ZF }, (c) => { gdt(c); enterRing3(c); });
    reachedEnd(t);
    expect(t.frame().eflags & ZF).toBe(0);
  });
  it('ARPL raises the destination RPL to the source RPL and sets ZF', () => {
    const t = runCode('63 d8', { eax: 0x12340010, ebx: 0x0003 });
    expect(regs(t.cpu).eax).toBe(0x12340013);
    expect(t.flags() & ZF).toBe(ZF);
  });
  it('ARPL with a destination RPL already >= the source RPL clears ZF and changes nothing', () => {
    const t = runCode('63 d8', { eax: 0x0012, ebx: 0x0001, flags: ZF });
    expect(regs(t.cpu).eax).toBe(0x0012);
    expect(t.flags() & ZF).toBe(0);
  });
  it('ARPL m16,r16', () => {
    const t = runCode('63 1d 00 20 00 00', { ebx: 2 }, (c) => c.mem.write32(DATA, 0xffff0008));
    expect(t.mem.read32(DATA) >>> 0).toBe(0xffff000a);
  });
});

describe('CPUID RDTSC RDMSR WRMSR RDPMC', () => {
  it('CPUID leaf 0 gives the highest leaf and "GenuineIntel" in EBX EDX ECX', () => {
    const r = regs(runCode('0f a2', { eax: 0 }).cpu);
    expect(r.eax).toBe(1);
    const text = [r.ebx, r.edx, r.ecx].map((v) => String.fromCharCode(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24)).join('');
    expect(text).toBe('GenuineIntel');
  });
  it('CPUID leaf 1 reports family 6 and the features this CPU has (FPU TSC MSR CX8 CMOV PSE)', () => {
    const r = regs(runCode('0f a2', { eax: 1 }).cpu);
    expect((r.eax >>> 8) & 0xf).toBe(6);
    const bit = (n: number) => (r.edx >>> n) & 1;
    expect([bit(0), bit(3), bit(4), bit(5), bit(8), bit(15)]).toEqual([1, 1, 1, 1, 1, 1]);
  });
  it('CPUID of a leaf above the maximum (basic or extended) returns the highest basic leaf', () => {
    const leaf1 = regs(runCode('0f a2', { eax: 1 }).cpu);
    for (const leaf of [2, 0x40000000, 0x80000005]) {
      const r = regs(runCode('0f a2', { eax: leaf }).cpu);
      expect([leaf, r.eax, r.ebx, r.ecx, r.edx]).toEqual([leaf, leaf1.eax, leaf1.ebx, leaf1.ecx, leaf1.edx]);
    }
  });
  it('RDTSC counts retired instructions', () => {
    // rdtsc; mov %eax,%ebx; nop; nop; nop; rdtsc
    const r = regs(runCode('0f 31 89 c3 90 90 90 0f 31').cpu);
    expect(r.eax - r.ebx).toBe(5);
  });
  it('WRMSR to the TSC (0x10) sets the counter RDTSC reads', () => {
    // wrmsr; rdtsc
    const r = regs(runCode('0f 30 0f 31', { ecx: 0x10, edx: 7, eax: 0xfffffff0 }).cpu);
    expect([r.edx, r.eax]).toEqual([7, 0xfffffff1]);
  });
  it('RDTSC at CPL 3 with CR4.TSD raises #GP(0); without TSD it works', () => {
    faultAt(runCode('0f 31', {}, (c) => { c.cr4 |= CR4_TSD; enterRing3(c); }), 13, 0);
    reachedEnd(runCode('0f 31', {}, (c) => enterRing3(c)));
  });
  it('WRMSR and RDMSR of the SYSENTER MSRs', () => {
    // for msr in 0x174..0x176: mov msr,%ecx; mov val,%eax; wrmsr
    const code = [0x174, 0x175, 0x176].map((m, k) => `b9 ${le32(m)} b8 ${le32([0x08, 0xc0001000, 0xc0002000][k])} 31 d2 0f 30`).join(' ')
      + ` b9 ${le32(0x175)} 0f 32 89 c3 b9 ${le32(0x176)} 0f 32 89 c6 b9 ${le32(0x174)} 0f 32`;
    const t = runCode(code);
    expect(t.history).toEqual([]);
    expect(t.cpu.msrSysenterCs).toBe(0x08);
    expect(regs(t.cpu)).toMatchObject({ ebx: 0xc0001000, esi: 0xc0002000, eax: 0x08, edx: 0 });
  });
  it('RDPMC at CPL 3 with CR4.PCE clear raises #GP(0)', () => {
    faultAt(runCode('0f 33', { ecx: 0 }, (c) => enterRing3(c)), 13, 0);
  });
  it('RDPMC of counter 0 or 1 works at CPL 0, and at CPL 3 with CR4.PCE set (40-bit counters)', () => {
    const t = runCode('0f 33', { ecx: 1, edx: 0xffffffff });
    expect(t.history).toEqual([]);
    expect(regs(t.cpu).edx).toBeLessThan(0x100);
    reachedEnd(runCode('0f 33', { ecx: 0 }, (c) => { c.cr4 |= 0x100; enterRing3(c); }));
  });
  it('RDPMC of a counter the processor does not have raises #GP(0)', () => {
    faultAt(runCode('0f 33', { ecx: 2 }), 13, 0);
  });
  it('IA32_APIC_BASE (1BH) reads the APIC globally disabled: base FEE00000H, BSP, EN clear (SDM Vol. 3 §10.4.4)', () => {
    const r = regs(runCode('0f 32', { ecx: 0x1b }).cpu);
    expect([r.eax >>> 0, r.edx]).toEqual([0xfee00100, 0]);
  });
  it('WRMSR IA32_APIC_BASE keeps a new base but not EN (a P6\'s disabled APIC stays disabled, §10.4.3); reserved bits are #GP(0)', () => {
    // wrmsr; rdmsr
    const r = regs(runCode('0f 30 0f 32', { ecx: 0x1b, eax: 0xfec00900, edx: 0 }).cpu);
    expect([r.eax >>> 0, r.edx]).toEqual([0xfec00100, 0]);
    faultAt(runCode('0f 30', { ecx: 0x1b, eax: 0xfee00001, edx: 0 }), 13, 0);
    faultAt(runCode('0f 30', { ecx: 0x1b, eax: 0xfee00000, edx: 1 }), 13, 0);
  });
  it('RDMSR and WRMSR of an unknown MSR raise #GP(0)', () => {
    faultAt(runCode('0f 32', { ecx: 0x12345 }), 13, 0);
    faultAt(runCode('0f 30', { ecx: 0x12345 }), 13, 0);
  });
});

describe('HLT and invalid opcodes', () => {
  it('UD2 raises #UD with EIP at the instruction', () => {
    faultAt(runCode('0f 0b'), 6);
  });
  it('undefined opcodes raise #UD', () => {
    faultAt(runCode('0f ff'), 6);    // UD0
    faultAt(runCode('ff ff'), 6);    // FF /7
    faultAt(runCode('0f 01 e8'), 6); // 0F 01 /5
  });
  it('HLT at CPL 0 stops with EIP after the HLT', () => {
    const t = runCode('f4 90');
    expect(t.history).toEqual([]);
    expect(t.cpu.halted).toBe(true);
    expect(t.cpu.eip >>> 0).toBe(CODE + 1);
  });
  it('a 16-byte instruction raises #GP(0)', () => {
    faultAt(runCode('66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90'), 13, 0);
  });
});

describe('encodings the disassembler checked against objdump', () => {
  it('MOV to CR3 ignores ModRM.mod: 0F 22 58 is mov %eax,%cr3 in three bytes', () => {
    // mod = 1 would mean a displacement byte; for CRn moves the operand is always a register.
    const t = runCode('0f 22 58 90', { eax: 0x5000 });
    expect(t.cpu.cr3).toBe(0x5000);
    expect(t.history).toEqual([]);
    expect(t.cpu.eip >>> 0).toBe(t.end + 1);
  });
  it('UD1 takes a ModRM operand: #UD at the instruction, and it is three bytes long', () => {
    const t = runCode('0f b9 c0');
    faultAt(t, 6);
  });
  it('RSM outside system management mode raises #UD', () => {
    faultAt(runCode('0f aa'), 6);
  });
  it('the reserved-NOP space 0F 18-1F does nothing, in every form', () => {
    const t = runCode('0f 18 03 0f 19 c0 0f 1e 44 8e 10 0f 1f 08', { eax: 7 });
    expect(t.history).toEqual([]);
    expect(regs(t.cpu).eax).toBe(7);
  });
  it('SYSENTER goes to SYSENTER_CS:EIP at ring 0 with SYSENTER_ESP, IF cleared', () => {
    const t = runCode('0f 34', { flags: IF }, (c) => {
      enterRing3(c);
      c.msrSysenterCs = 0x08;
      c.msrSysenterEsp = 0x7000;
      c.msrSysenterEip = 0x900; // the harness's HLT
    });
    expect(t.cpu.cpl).toBe(0);
    expect(t.cpu.segSel[1]).toBe(0x08);
    expect(t.cpu.segSel[2]).toBe(0x10);
    expect(regs(t.cpu).esp).toBe(0x7000);
    expect(t.flags() & IF).toBe(0);
    expect(t.cpu.halted).toBe(true);
  });
  it('SYSENTER with SYSENTER_CS = 0 raises #GP(0)', () => {
    faultAt(runCode('0f 34'), 13, 0);
  });
  it('SYSEXIT returns to ring 3 at EDX with ESP = ECX, on the selectors after SYSENTER_CS', () => {
    // Return to the trailing HLT right after it, which at ring 3 raises #GP(0): that shows where SYSEXIT went, and at which CPL.
    const t = runCode('0f 35', { ecx: 0x6000, edx: CODE + 2 }, (c) => { installTss(c); c.msrSysenterCs = 0x08; });
    expect(deliveries(t)).toEqual([[13, 0, CODE + 2]]);
    expect(t.frame().cs).toBe(0x1b);
    expect(t.frame().ss).toBe(0x23);
    expect(t.frame().esp).toBe(0x6000);
  });
  it('SYSEXIT at CPL 3 raises #GP(0)', () => {
    const t = ring3({}, (c) => { c.msrSysenterCs = 0x08; })('0f 35');
    expect(deliveries(t)).toEqual([[13, 0, CODE]]);
  });
});

describe('exception priorities and RF (found by the random lockstep against QEMU)', () => {
  it('LGDT, LIDT and INVLPG with a register operand raise #UD before the privilege check', () => {
    for (const code of ['0f 01 d0', '0f 01 d8', '0f 01 f8']) {
      const t = ring3()(code);
      expect(deliveries(t)[0], code).toEqual([6, -1, CODE]);
    }
  });
});
