/** The Switcher's assembly and the TypeScript Host must agree on every number they share. */
import { describe, it, expect } from 'vitest';
import { switcherImage } from '../../src/vm/lguest/switcherImage';
import * as L from '../../src/vm/lguest/layout';

describe('the Switcher image', () => {
  const img = switcherImage();

  it('exports the layout layout.ts has', () => {
    const sym = (n: string) => img.symbols.get(n);
    expect(sym('LAYOUT_SWITCHER_ADDR')).toBe(L.SWITCHER_ADDR);
    expect(sym('LAYOUT_PAGES_regs')).toBe(L.PAGES_REGS);
    expect(sym('LAYOUT_PAGES_host_cr3')).toBe(L.PAGES_HOST_CR3);
    expect(sym('LAYOUT_PAGES_host_sp')).toBe(L.PAGES_HOST_SP);
    expect(sym('LAYOUT_PAGES_guest_tss')).toBe(L.PAGES_GUEST_TSS);
    expect(sym('LAYOUT_PAGES_guest_idt')).toBe(L.PAGES_GUEST_IDT);
    expect(sym('LAYOUT_PAGES_guest_gdt')).toBe(L.PAGES_GUEST_GDT);
    expect(sym('LAYOUT_HOST_RETURN_PORT')).toBe(L.HOST_RETURN_PORT);
    expect(sym('LAYOUT_TSS_SEL')).toBe(L.TSS_SEL);
  });

  it('lays struct lguest_pages out as REFERENCE.md 7.3 computes it', () => {
    expect(L.PAGES_REGS).toBe(4096 - 72);
    expect(L.PAGES_HOST_IDT_DESC - L.PAGES_HOST_CR3).toBe(4);
    expect(L.PAGES_HOST_GDT_DESC - L.PAGES_HOST_CR3).toBe(10);
    expect(L.PAGES_HOST_SP - L.PAGES_HOST_CR3).toBe(16);
    expect(L.PAGES_GUEST_IDT_DESC - L.PAGES_HOST_CR3).toBe(20);
    expect(L.PAGES_GUEST_GDT_DESC - L.PAGES_HOST_CR3).toBe(26);
    expect(L.PAGES_GUEST_TSS - L.PAGES_HOST_CR3).toBe(32);
    expect(L.PAGES_GUEST_IDT - L.PAGES_HOST_CR3).toBe(136);
    expect(L.PAGES_GUEST_GDT - L.PAGES_HOST_CR3).toBe(2184);
    expect(Object.values(L.REGS)).toEqual(Array.from({ length: 18 }, (_, i) => i * 4));
  });

  it('fits the Switcher in one page and has a stub for every vector, each in the page', () => {
    expect(img.text.length).toBeLessThanOrEqual(4096);
    expect(new Set(img.stubs).size).toBe(256);
    for (const s of img.stubs) {
      expect(s).toBeGreaterThanOrEqual(L.SWITCHER_ADDR);
      expect(s).toBeLessThan(L.SWITCHER_ADDR + img.text.length);
    }
  });

  it('gives each stub the shape its vector needs: a dummy error code unless the CPU pushes one', () => {
    // push $0 is 6a 00; the vector's push follows (6a NN or 68 NN NN NN NN).
    for (let v = 0; v < 256; v++) {
      const off = img.stubs[v] - L.SWITCHER_ADDR;
      const dummy = img.text[off] === 0x6a && img.text[off + 1] === 0x00 && (img.text[off + 2] === 0x6a || img.text[off + 2] === 0x68);
      expect(dummy, `vector ${v}`).toBe(!L.hasErrorCode(v));
    }
  });
});

describe('the offsets by name', () => {
  it('regOffset and dataOffset give what REGS and LGUEST_DATA say', () => {
    for (const n of L.REG_NAMES) expect(L.regOffset(n), n).toBe(L.REGS[n]);
    for (const n of Object.keys(L.LGUEST_DATA) as (keyof typeof L.LGUEST_DATA)[]) expect(L.dataOffset(n), n).toBe(L.LGUEST_DATA[n]);
  });
});
