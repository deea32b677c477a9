/**
 * Paging (paging.ts, through instructions) against the Intel SDM Vol. 3
 * chapter 4: #PF error codes (P, W/R, U/S) and CR2, user/supervisor and
 * read/write protection with and without CR0.WP, the Accessed and Dirty
 * bits, 4 MiB pages with CR4.PSE, and TLB invalidation by INVLPG and by a
 * CR3 load.
 */
import { describe, it, expect } from 'vitest';
import { runCode, regs, enablePaging, enterRing3, pteAddr, CODE, PAGE_DIR, PAGE_TABLE, type Init, type TestCpu } from '../../../test/cpu/harness';
import { CR0_WP, CR4_PSE, type Cpu } from './state';
import { PTE_P, PTE_W, PTE_U, PTE_A, PTE_D, PTE_PS, PF_P, PF_W, PF_U } from './paging';

const PAGE = 0x5000;
const READ = '8b 19', WRITE = '89 19'; // mov (%ecx),%ebx / mov %ebx,(%ecx)
const deliveries = (t: TestCpu) => t.history.map((d) => [d.vector, d.code, d.eip]);

/** Run with paging on, the PTE of PAGE replaced by `pte`, ECX = PAGE. */
function run(code: string, pte: number, o: { ring3?: boolean; init?: Init; more?: (c: Cpu) => void } = {}): TestCpu {
  return runCode(code, { ecx: PAGE, ...o.init }, (c) => {
    enablePaging(c);
    c.mem.write32(pteAddr(PAGE), pte);
    if (o.ring3) enterRing3(c);
    o.more?.(c);
  });
}
function pageFault(t: TestCpu, code: number, cr2: number, eip = CODE): void {
  expect(deliveries(t)).toEqual([[14, code, eip]]);
  expect(t.cpu.cr2 >>> 0).toBe(cr2);
}
/** A ring-3 run that completed: the only delivery is the #GP(0) of the final HLT. */
const reachedEnd = (t: TestCpu) => expect(deliveries(t)).toEqual([[13, 0, t.end]]);

describe('#PF error codes and CR2', () => {
  it('a read of a not-present page at CPL 0: error code 0, CR2 = the address', () => {
    pageFault(run(READ, PAGE | PTE_W, { init: { ecx: PAGE + 0x123 } }), 0, PAGE + 0x123);
  });
  it('a write to a not-present page at CPL 0: error code W', () => {
    pageFault(run(WRITE, 0), PF_W, PAGE);
  });
  it('a read through a not-present page-directory entry: error code 0', () => {
    const t = run(READ, PAGE | 7, { init: { ecx: 0x00400010 } });
    pageFault(t, 0, 0x00400010);
  });
  it('a read of a not-present page at CPL 3: error code U', () => {
    pageFault(run(READ, 0, { ring3: true }), PF_U, PAGE);
  });
  it('a user read of a supervisor page: error code P|U', () => {
    pageFault(run(READ, PAGE | PTE_P | PTE_W, { ring3: true }), PF_P | PF_U, PAGE);
  });
  it('a user write to a supervisor page: error code P|W|U', () => {
    pageFault(run(WRITE, PAGE | PTE_P | PTE_W, { ring3: true }), PF_P | PF_W | PF_U, PAGE);
  });
  it('a user write to a read-only user page: error code P|W|U, memory unchanged', () => {
    const t = run(WRITE, PAGE | PTE_P | PTE_U, { ring3: true, init: { ebx: 0x1234 } });
    pageFault(t, PF_P | PF_W | PF_U, PAGE);
    expect(t.mem.read32(PAGE)).toBe(0);
  });
  it('a user read of a read-only user page works', () => {
    const t = run(READ, PAGE | PTE_P | PTE_U, { ring3: true, more: (c) => c.mem.write32(PAGE, 0x77) });
    reachedEnd(t);
    expect(regs(t.cpu).ebx).toBe(0x77);
  });
  it('a user page whose directory entry is supervisor-only is not user-accessible', () => {
    const t = run(READ, PAGE | 7, { ring3: true, more: (c) => c.mem.write32(PAGE_DIR, PAGE_TABLE | PTE_P | PTE_W) });
    // The code page itself is now supervisor-only: the fetch faults first, at the first instruction.
    pageFault(t, PF_P | PF_U, CODE);
  });
  it('a user write through a read-only directory entry: error code P|W|U', () => {
    const t = run(WRITE, PAGE | 7, { ring3: true, more: (c) => c.mem.write32(PAGE_DIR, PAGE_TABLE | PTE_P | PTE_U) });
    pageFault(t, PF_P | PF_W | PF_U, PAGE);
  });
  it('a supervisor write to a read-only page works with CR0.WP clear', () => {
    const t = run(WRITE, PAGE | PTE_P | PTE_U, { init: { ebx: 0x99 } });
    expect(t.history).toEqual([]);
    expect(t.mem.read32(PAGE)).toBe(0x99);
  });
  it('a supervisor write to a read-only page with CR0.WP set: error code P|W', () => {
    const t = run(WRITE, PAGE | PTE_P, { init: { ebx: 0x99 }, more: (c) => { c.cr0 |= CR0_WP; } });
    pageFault(t, PF_P | PF_W, PAGE);
    expect(t.mem.read32(PAGE)).toBe(0);
  });
  it('a supervisor may read and write user pages', () => {
    const t = run(`${READ} 43 ${WRITE}`, PAGE | 7, { more: (c) => c.mem.write32(PAGE, 41) }); // read; inc %ebx; write
    expect(t.history).toEqual([]);
    expect(t.mem.read32(PAGE)).toBe(42);
  });
  it('a dword access straddling into a not-present page faults before writing either page', () => {
    const t = run('89 19', 0, { init: { ecx: PAGE - 2, ebx: 0x11223344 } });
    pageFault(t, PF_W, PAGE);
    expect(t.mem.read32(PAGE - 4)).toBe(0);
  });
  it('an instruction fetch from a not-present page faults with EIP and CR2 at the target', () => {
    const t = run('ff e1', 0); // jmp *%ecx
    pageFault(t, 0, PAGE, PAGE);
  });
  it('the page fault leaves the faulting instruction\'s registers unchanged', () => {
    const t = run('ff 01', 0, { init: { ebx: 5 } }); // incl (%ecx)
    pageFault(t, PF_W, PAGE);
    expect(regs(t.cpu)).toMatchObject({ ecx: PAGE, ebx: 5 });
  });
});

describe('Accessed and Dirty bits', () => {
  it('a read sets Accessed in the PTE and the PDE, not Dirty', () => {
    const t = run(READ, PAGE | 7);
    expect(t.history).toEqual([]);
    expect(t.mem.read32(pteAddr(PAGE)) & (PTE_A | PTE_D)).toBe(PTE_A);
    expect(t.mem.read32(PAGE_DIR) & PTE_A).toBe(PTE_A);
  });
  it('a write sets Accessed and Dirty', () => {
    const t = run(WRITE, PAGE | 7);
    expect(t.mem.read32(pteAddr(PAGE)) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });
  it('a write after a read of the same page still sets Dirty', () => {
    const t = run(`${READ} ${WRITE}`, PAGE | 7);
    expect(t.mem.read32(pteAddr(PAGE)) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });
  it('a write after the OS cleared Dirty (and flushed the TLB with INVLPG) sets it again', () => {
    // mov %ebx,(%ecx); andl $~0x40,(%edx); invlpg (%ecx); mov %ebx,(%ecx)
    const t = run(`${WRITE} 83 22 bf 0f 01 39 ${WRITE}`, PAGE | 7, { init: { edx: pteAddr(PAGE) } });
    expect(t.history).toEqual([]);
    expect(t.mem.read32(pteAddr(PAGE)) & PTE_D).toBe(PTE_D);
  });
});

describe('4 MiB pages', () => {
  const BIG = 0x00400000; // directory entry 1
  /** PDE 1: a 4 MiB page at physical 0 (PS), and a page table at 0x22000 whose entry 2 maps physical 0x7000. */
  const setup = (pse: boolean) => (c: Cpu) => {
    c.mem.write32(PAGE_DIR + 4, 0x22000 | PTE_PS | 7);
    c.mem.write32(0x22000 + 8, 0x7000 | 7);
    if (pse) c.cr4 |= CR4_PSE;
  };
  it('with CR4.PSE a directory entry with PS maps 4 MiB directly', () => {
    const t = run(READ, PAGE | 7, { init: { ecx: BIG + 0x2010 }, more: (c) => { c.mem.write32(PAGE_DIR + 4, 0 | PTE_PS | 7); c.cr4 |= CR4_PSE; c.mem.write32(0x2010, 0xb16); } });
    expect(t.history).toEqual([]);
    expect(regs(t.cpu).ebx).toBe(0xb16);
  });
  it('without CR4.PSE the PS bit is ignored: the entry points to a page table', () => {
    const t = run(READ, PAGE | 7, { init: { ecx: BIG + 0x2010 }, more: (c) => { setup(false)(c); c.mem.write32(0x7010, 0x7ab1e); } });
    expect(t.history).toEqual([]);
    expect(regs(t.cpu).ebx).toBe(0x7ab1e);
  });
  it('a 4 MiB page takes its frame from bits 31..22 of the entry and the offset from the address', () => {
    const t = run(READ, PAGE | 7, { init: { ecx: BIG + 0x3004 }, more: (c) => { setup(true)(c); c.mem.write32(0x3004, 0x1234); } });
    expect(regs(t.cpu).ebx).toBe(0x1234); // the frame of 0x22000 | PS is 0: bits 21..12 of the entry are not address bits
  });
  it('a write to a 4 MiB page sets Accessed and Dirty in the directory entry', () => {
    const t = run(WRITE, PAGE | 7, { init: { ecx: BIG + 0x3000 }, more: (c) => { c.mem.write32(PAGE_DIR + 4, PTE_PS | 7); c.cr4 |= CR4_PSE; } });
    expect(t.history).toEqual([]);
    expect(t.mem.read32(PAGE_DIR + 4) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
  });
  it('a user write to a read-only 4 MiB page faults with P|W|U', () => {
    const t = run(WRITE, PAGE | 7, { ring3: true, init: { ecx: BIG + 0x3000 }, more: (c) => { c.mem.write32(PAGE_DIR + 4, PTE_PS | PTE_P | PTE_U); c.cr4 |= CR4_PSE; } });
    pageFault(t, PF_P | PF_W | PF_U, BIG + 0x3000);
  });
});

describe('TLB invalidation', () => {
  /** Read PAGE (now cached), point its PTE at 0x6000, <flush>, read PAGE again into EAX. */
  const code = (flush: string) => `${READ} c7 02 07 60 00 00 ${flush} 8b 01`; // mov (%ecx),%ebx; movl $0x6007,(%edx); ...; mov (%ecx),%eax
  const more = (c: Cpu) => { c.mem.write32(PAGE, 0x5555); c.mem.write32(0x6000, 0x6666); };
  it('INVLPG makes a changed PTE take effect', () => {
    const t = run(code('0f 01 39'), PAGE | 7, { init: { edx: pteAddr(PAGE) }, more });
    expect(t.history).toEqual([]);
    expect(regs(t.cpu)).toMatchObject({ ebx: 0x5555, eax: 0x6666 });
  });
  it('reloading CR3 makes a changed PTE take effect', () => {
    const t = run(code('0f 20 de 0f 22 de'), PAGE | 7, { init: { edx: pteAddr(PAGE) }, more }); // mov %cr3,%esi; mov %esi,%cr3
    expect(t.history).toEqual([]);
    expect(regs(t.cpu)).toMatchObject({ ebx: 0x5555, eax: 0x6666 });
  });
  it('keeps two pages 16 MiB apart at once (the TLB entry is not the page number\'s low bits alone)', () => {
    // mov (%ecx),%ebx; mov (%esi),%edi; movl $0x6007,(%edx); mov (%ecx),%eax: PAGE and PAGE + 16 MiB, both mapped
    // to PAGE's frame, are read; then PAGE's PTE changes with no flush. PAGE is still cached: EAX reads the old frame.
    const t = run(`${READ} 8b 3e c7 02 07 60 00 00 8b 01`, PAGE | 7, {
      init: { edx: pteAddr(PAGE), esi: PAGE + 0x1000000 },
      more: (c) => { c.mem.write32(PAGE_DIR + 4 * 4, PAGE_TABLE | 7); c.mem.write32(PAGE, 0x5555); c.mem.write32(0x6000, 0x6666); },
    });
    expect(t.history).toEqual([]);
    expect(regs(t.cpu)).toMatchObject({ ebx: 0x5555, edi: 0x5555, eax: 0x5555 });
  });
  it('INVLPG of a page that became not present makes the next access fault', () => {
    // mov (%ecx),%ebx; movl $0,(%edx); invlpg (%ecx); mov (%ecx),%eax
    const t = run(`${READ} c7 02 00 00 00 00 0f 01 39 8b 01`, PAGE | 7, { init: { edx: pteAddr(PAGE) } });
    pageFault(t, 0, PAGE, CODE + 2 + 6 + 3);
  });
});
