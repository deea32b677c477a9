/**
 * Monitor commands on real machines: tour under the lguest Host, stopped
 * mid-run (in the Guest) and at its end (in the Host), and the bare
 * machine's paging test with paging on. The outputs must state the right
 * facts, and looking must change nothing.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Host } from '../vm/lguest/host';
import { Machine } from '../vm/machine';
import { Cpu } from '../vm/cpu/state';
import { PhysicalMemory } from '../vm/cpu/memory';
import { Elf32 } from '../vm/elf';
import { peekTranslate } from '../vm/cpu/paging';
import { guestWalk, shadowWalk } from '../vm/lguest/walk';
import { evaluate } from './expression';
import { runMonitorCommand, cpuRegister, peekLinear, type MonitorContext } from './monitor';

const ROOT = join(__dirname, '../..');
const TOUR = new Uint8Array(readFileSync(join(ROOT, 'guests/lguest/tour/build/tour.elf')));
const PAGING = new Uint8Array(readFileSync(join(ROOT, 'guests/bare/build/paging.elf')));

/** Symbol lookups from an ELF's symbol table, as the adapter would give them. */
function symbols(image: Uint8Array) {
  const syms = new Elf32(image).symbols().filter((s) => s.name !== '' && s.shndx !== 0 && (s.type === 1 || s.type === 2 || s.type === 0))
    .sort((a, b) => a.value - b.value);
  return {
    symbol: (name: string) => syms.find((s) => s.name === name)?.value,
    symbolAt(addr: number) {
      let best = null;
      for (const s of syms) if (s.value <= addr) best = s;
      return best && addr - best.value < 0x1000 ? { name: best.name, offset: addr - best.value } : null;
    },
  };
}

/** Guest-virtual reads through the Guest's own page tables (what the adapter reads on lguest). */
function guestReader(host: Host) {
  return (addr: number, size: 1 | 2 | 4) => {
    let v = 0;
    for (let k = 0; k < size; k++) {
      const p = guestWalk(host.lg, (addr + k) >>> 0).phys;
      if (p === null || !host.lg.addressOk(p, 1)) return undefined;
      v |= host.mem.bytes[p] << (8 * k);
    }
    return v >>> 0;
  };
}

function context(cpu: Cpu, host: Host | null, image: Uint8Array, read: MonitorContext['read']): MonitorContext {
  const syms = symbols(image);
  const env = { register: (n: string) => cpuRegister(cpu, n), symbol: syms.symbol, read };
  return { cpu, host, read, evaluate: (e) => evaluate(e, env), symbolAt: syms.symbolAt };
}

function run(ctx: MonitorContext, line: string): string {
  const r = runMonitorCommand(line, ctx);
  if (r === null) throw new Error(`not a monitor command: ${line}`);
  return r.output;
}

/** The first words of the monitor's table headers. */
const HEADERS = ['vector', 'index', 'ring', 'linear', 'level', 'field', 'state', 'slot'];

/**
 * The cells of the table row whose first cell is `key`, by column name: the
 * columns start where the names in the table's header do.
 */
function row(output: string, key: string): Record<string, string> {
  const lines = output.split('\n');
  const at = lines.findIndex((l) => l.startsWith(key + ' ') || l === key);
  if (at < 0) throw new Error(`no row ${key} in\n${output}`);
  let h = at - 1;
  while (h >= 0 && !HEADERS.includes(lines[h].split(/\s{2,}/)[0])) h--;
  const starts = [...lines[h].matchAll(/\S+(?: \S+)*/g)].map((m) => ({ name: m[0], start: m.index! }));
  const out: Record<string, string> = {};
  starts.forEach((c, i) => { out[c.name] = lines[at].slice(c.start, starts[i + 1]?.start).trim(); });
  return out;
}

const hex8 = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

function bootTour(): Host {
  const host = new Host();
  host.boot(TOUR, 'tour.elf');
  expect(host.run(3_000_000)).toEqual({ kind: 'limit' });
  return host;
}

describe('monitor commands on tour, stopped in the Guest', () => {
  const host = bootTour();
  const ctx = context(host.cpu, host, TOUR, guestReader(host));

  it('knows its commands, and leaves everything else to the expression evaluator', () => {
    const help = run(ctx, 'help');
    for (const c of ['info gdt', 'info idt', 'info tss', 'info tlb', 'info registers', 'info fpu', 'info lguest', 'page ADDR', 'x/NF ADDR']) expect(help).toContain(c);
    expect(runMonitorCommand('eax + 1', ctx)).toBeNull();
    expect(runMonitorCommand('x', ctx)).toBeNull();
    expect(runMonitorCommand('pages', ctx)).toBeNull();
    expect(runMonitorCommand('', ctx)).toBeNull();
    expect(runMonitorCommand('monitor info tss', ctx)?.output).toContain('0xffc02000');
  });

  it('info idt: the system call goes straight to the Guest, page faults through the Host', () => {
    const out = run(ctx, 'info idt');
    expect(out).toContain("the Guest's real IDT");
    expect(row(out, '0x80')).toMatchObject({ name: 'system call', type: 'trap', DPL: '3', target: '0x0061:' + hex8(symbols(TOUR).symbol('system_call')!), symbol: '<system_call>', route: 'direct' });
    const pf = row(out, '0x0e');
    expect(pf).toMatchObject({ name: 'page fault (#PF)', type: 'int', route: 'via the Host' });
    expect(pf.target.startsWith('0x0050:0xffc0')).toBe(true); // a Switcher stub
    expect(pf["Guest's handler"]).toMatch(/^0x0061:0x[0-9a-f]{8} <page_fault>$/);
    expect(row(out, '0x1f')).toMatchObject({ name: 'hypercall', DPL: '1', route: 'via the Host' });
    expect(row(out, '0x20')["Guest's handler"]).toContain('<timer_interrupt>');
    expect(out).toMatch(/\d+ other vectors go to the Host/);
    // One vector alone.
    expect(run(ctx, 'info idt 0x80').split('\n')).toHaveLength(3);
    expect(run(ctx, 'info idt 300')).toBe('info idt: no vector 300\nusage: info idt [VECTOR]');
  });

  it("info gdt: the Guest's slots at their rings, the Host's own", () => {
    const out = run(ctx, 'info gdt');
    expect(out).toContain('GDTR base 0xffc02888');
    expect(row(out, '14')).toMatchObject({ sel: '0x0070', DPL: '3', type: 'code RX', owner: 'Guest', P: '1', 'D/B': '32' });
    expect(row(out, '12')).toMatchObject({ DPL: '1', owner: 'Guest' }); // tour asked for 0; the Host made it 1
    expect(row(out, '10')).toMatchObject({ owner: 'Host', base: '0x00000000', limit: '0xffffffff' });
    expect(row(out, '16')).toMatchObject({ type: 'TSS32 busy', base: '0xffc02020', owner: 'Host' });
    expect(out).toContain("the Host's slots: 10 and 11");
  });

  it('info tss: ring 0 is the Switcher\'s register page, ring 1 the Guest\'s stack', () => {
    const out = run(ctx, 'info tss');
    expect(out).toContain('TR 0x0080 base 0xffc02020');
    expect(row(out, '0')).toMatchObject({ esp: '0xffc02000', ss: '0x0058' });
    expect(row(out, '1')).toMatchObject({ esp: hex8(host.lg.esp1), ss: '0x0069' });
    expect(out).toContain('iomap base 0x68 (past the limit');
  });

  it('info tlb: the entries the CPU holds, the page of EIP among them', () => {
    const out = run(ctx, 'info tlb');
    expect(out).toMatch(/^\d+ valid entries/);
    const eipPage = host.cpu.eip & ~0xfff;
    const r = row(out, hex8(eipPage));
    expect(r.physical).toBe(hex8(guestWalk(host.lg, eipPage).phys!));
    expect(r.user).toMatch(/^r/); // tour is stopped in a user program
    expect(run(ctx, 'info tlb $eip').split('\n')).toHaveLength(3);
    expect(run(ctx, 'info tlb 0')).toBe('no TLB entry for 0x00000000');
  });

  it('page: both walks of the kernel end at physical 0x100000; the shadow drops the global bit', () => {
    const out = run(ctx, 'page 0xc0100000');
    expect(out.match(/-> physical 0x00100000/g)).toHaveLength(2);
    expect(out).toContain("The Guest's page tables");
    expect(out).toContain('The shadow the CPU runs on');
    expect(out).toContain('note: the shadow drops the global bit');
    expect(out).toMatch(/PTE\s+0x[0-9a-f]{8}\s+0x00100163\s+P RW S A D G/);
  });

  it('page: what is not yet faulted in, the Switcher, and nothing', () => {
    // A page the Guest maps that the shadow does not have yet.
    let lazy = -1;
    for (let v = 0xc0000000; v < 0xc4000000 && lazy < 0; v += 0x1000) {
      if (guestWalk(host.lg, v).phys !== null && shadowWalk(host.lg, v).phys === null) lazy = v;
    }
    expect(lazy).toBeGreaterThan(0);
    const out = run(ctx, `page ${lazy}`);
    // Each note is a whole sentence (it once ended at "copies the Guest's").
    expect(out).toContain("note: not yet faulted in: the shadow has no entry here yet; the first access faults to the Host, which copies the Guest's entry into it (demand_page)\n");
    expect(out).toMatch(/-> not mapped \((PDE|PTE) not present\)/);
    expect(run(ctx, 'page 0xffc00000')).toContain("note: the Switcher's page");
    expect(run(ctx, 'page 0')).toContain("note: not mapped: an access is the Guest's own page fault");
  });

  it('page: a clean page the shadow maps read-only until the first write', () => {
    // Made by hand on a Host of its own: what the Host leaves after a read of a clean writable page.
    const h = bootTour();
    const g = guestWalk(h.lg, 0xc0100000), s = shadowWalk(h.lg, 0xc0100000);
    h.mem.write32(g.pte!.addr, g.pte!.value & ~0x40);
    h.mem.write32(s.pte!.addr, s.pte!.value & ~0x2);
    const out = run(context(h.cpu, h, TOUR, guestReader(h)), 'page 0xc0100000');
    expect(out).toContain('note: read-only until dirty');
    expect(out).toMatch(/PTE\s+0x[0-9a-f]{8}\s+0x00100061\s+P RO S A D$/m);
  });

  it('x: words, bytes, instructions and strings as the Guest sees them', () => {
    const esp = host.cpu.r32[4] >>> 0;
    const words = run(ctx, 'x/4x $esp');
    const read = guestReader(host);
    expect(words).toBe(`${hex8(esp)}:  ${[0, 1, 2, 3].map((k) => hex8(read(esp + 4 * k, 4)!)).join('  ')}`);
    const bytes = run(ctx, 'x/16b 0xc0100000').split('\n');
    expect(bytes).toHaveLength(2);
    expect(bytes[0]).toBe(`0xc0100000 <_start>:      ${[...host.mem.bytes.subarray(0x100000, 0x100008)].map((b) => '0x' + b.toString(16).padStart(2, '0')).join('  ')}`);
    expect(bytes[1].startsWith('0xc0100008 <_start+0x8>:  ')).toBe(true);
    expect(run(ctx, 'x/2xh 0xc0100000')).toMatch(/^0xc0100000 <_start>:  0x[0-9a-f]{4}  0x[0-9a-f]{4}$/);
    const ins = run(ctx, 'x/4i $eip').split('\n');
    expect(ins).toHaveLength(4);
    expect(ins[0].startsWith(`=>  ${hex8(host.cpu.eip)}`)).toBe(true);
    expect(run(ctx, 'x/3i system_call')).toMatch(/<system_call>:\s+6a 00\s+push\s+\$0x0\n.*push\s+\$0x80/);
    // A string from the kernel's read-only data.
    const rodata = new Elf32(TOUR).section('.rodata')!;
    const text = 'tour: every process has finished';
    const at = rodata.addr + Buffer.from(new Elf32(TOUR).sectionBytes(rodata)).indexOf(text);
    expect(run(ctx, `x/s ${at}`)).toMatch(new RegExp(`^${hex8(at)}.*:  "${text} after %llu ns\\\\n"$`));
    expect(run(ctx, 'x/2x 0')).toBe('0x00000000:  <nothing mapped>');
    expect(run(ctx, 'x/2dw $esp')).toMatch(/^0x[0-9a-f]{8}:\s+-?\d+\s+-?\d+$/);
  });

  it('info registers and info lguest', () => {
    const regs = run(ctx, 'info registers');
    expect(regs).toContain(`eip     ${hex8(host.cpu.eip)}`);
    expect(regs).toContain('cs   0x0073');
    expect(regs).toContain("the CPU is in the Guest's world");
    const lg = run(ctx, 'info lguest');
    expect(lg).toContain('lguest_data at 0x00103000');
    expect(row(lg, 'syscall_vec').value).toBe('0x80');
    expect(row(lg, 'kernel_address').value).toBe('0xc0000000');
    expect(row(lg, 'noirq_iret').value).toContain('<lguest_noirq_iret>');
    expect(row(lg, 'halted').value).toBe('no');
    expect(lg.match(/^\d\s+0x[0-9a-f]{8}\s+0x[0-9a-f]{8}\s+yes\s+yes/gm)).toHaveLength(1); // one active slot
  });

  it('bad arguments: one line saying why, then the usage', () => {
    expect(run(ctx, 'page')).toBe('page: missing address\nusage: page ADDR');
    expect(run(ctx, 'page nosuch')).toBe("page: unknown name 'nosuch'\nusage: page ADDR");
    expect(run(ctx, 'page (1')).toBe("page: missing ')' at end of expression\nusage: page ADDR");
    expect(run(ctx, 'x/q 0').split('\n')[0]).toBe("x: bad format 'q'");
    expect(run(ctx, 'x/0x 0').split('\n')[0]).toBe('x: count 0 is not between 1 and 4096');
    expect(run(ctx, 'x/4x').split('\n')).toEqual(['x: missing address', expect.stringMatching(/^usage: x\/NF ADDR/)]);
    expect(run(ctx, 'info')).toBe('info: what about?\nusage: info gdt|idt|tss|tlb|registers|fpu|lguest');
    expect(run(ctx, 'info foo').split('\n')[0]).toBe("info: unknown subcommand 'foo'");
    expect(run(ctx, 'info t').split('\n')[0]).toBe("info: ambiguous subcommand 't'");
    expect(run(ctx, 'info reg')).toContain('eax');
  });
});

describe('monitor commands change nothing', () => {
  it('runs on as a twin that nobody looked at', () => {
    const a = bootTour(), b = bootTour();
    const ctx = context(b.cpu, b, TOUR, guestReader(b));
    const tlb = [b.cpu.tlbTag.slice(), b.cpu.tlbRights.slice()];
    for (const c of ['help', 'info gdt', 'info idt', 'info tss', 'info tlb', 'info registers', 'info fpu', 'info lguest', 'page 0xc0100000', 'page 0x30000000', 'page $esp', 'x/64x $esp', 'x/16i $eip', 'x/4s 0xc0100000']) run(ctx, c);
    expect(b.cpu.tlbTag).toEqual(tlb[0]);
    expect(b.cpu.tlbRights).toEqual(tlb[1]);
    expect(b.run()).toEqual(a.run());
    expect(b.cpu.instructions).toBe(a.cpu.instructions);
    expect(run(ctx, 'info fpu')).toBe(run(context(a.cpu, a, TOUR, guestReader(a)), 'info fpu'));
  });
});

describe('monitor commands on tour, stopped in the Host', () => {
  const host = new Host();
  host.boot(TOUR, 'tour.elf');
  host.run();
  const ctx = context(host.cpu, host, TOUR, guestReader(host));

  it("info fpu: the Guest's x87, which the Host leaves alone", () => {
    const out = run(ctx, 'info fpu').split('\n');
    expect(out[7]).toBe(`=>R0:  Empty  st0  0x00000000000000000000`);
    expect(out).toContain('Control Word:        0x037f  IM DM ZM OM UM PM masked');
  });

  it("shows the Host's tables the CPU has loaded, then the Guest's", () => {
    const gdt = run(ctx, 'info gdt');
    expect(gdt).toContain("The CPU is in the Host: the GDT above is the Host's");
    const [hostPart, guestPart] = gdt.split("The CPU is in the Host");
    expect(hostPart).not.toMatch(/^14 /m);
    expect(row(guestPart, '14')).toMatchObject({ DPL: '3', owner: 'Guest' });
    const tss = run(ctx, 'info tss');
    expect(tss).toContain("The Guest's, at 0xffc02020");
    expect(tss.split("The Guest's")[1]).toMatch(/0\s+0xffc02000\s+0x0058/);
    expect(run(ctx, 'info idt')).toContain("The CPU is in the Host, on the Host's IDT");
    expect(run(ctx, 'info registers')).toContain("the CPU is in the Host: the Guest's saved eip");
    expect(row(run(ctx, 'info lguest'), 'dead').value).toBe('poweroff: tour: power off');
  });
});

describe('monitor commands on the bare machine', () => {
  const m = new Machine();
  m.bootMultiboot(PAGING, 'paging.elf');
  // Far enough into the paging test for paging (and 4 MiB pages) to be on.
  m.run(88_000);
  const ctx = context(m.cpu, null, PAGING, (a, size) => peekLinear(m.cpu, a, size));

  it('is stopped with paging on', () => {
    expect(m.cpu.cr0 >>> 31).toBe(1);
    expect(m.cpu.cr4 & 0x10).toBe(0x10);
  });

  it('info gdt, idt, tss: the tables the guest loaded', () => {
    const gdt = run(ctx, 'info gdt');
    expect(gdt).not.toContain('owner');
    expect(row(gdt, '1')).toMatchObject({ sel: '0x0008', type: 'code RX', DPL: '0', G: '1' });
    expect(row(gdt, '3')).toMatchObject({ sel: '0x0018', DPL: '3' });
    expect(row(gdt, '5').type).toBe('TSS32 busy');
    const idt = run(ctx, 'info idt');
    expect(row(idt, '0x0e')).toMatchObject({ name: 'page fault (#PF)', type: 'int', DPL: '0', symbol: '<isr_14>' });
    expect(idt).not.toContain('route');
    const tss = run(ctx, 'info tss');
    expect(tss).toContain('TR 0x0028');
    expect(row(tss, '0').ss).toBe('0x0010');
  });

  it('page: 4 KiB and 4 MiB pages, and a directory entry not present', () => {
    const small = run(ctx, 'page 0x40000000');
    expect(small).toContain(`CR3 ${hex8(m.cpu.cr3)}`);
    expect(small).toMatch(/^PDE\s/m);
    expect(small).toMatch(/^PTE\s/m);
    expect(small).toContain(`-> physical ${hex8(peekTranslate(m.cpu, 0x40000000))}`);
    const big = run(ctx, 'page 0x80001234');
    expect(big).toContain('-> physical 0x00401234');
    expect(big).toMatch(/^PDE\s.*PS$/m);
    expect(big).not.toMatch(/^PTE/m);
    expect(run(ctx, 'page 0x40c00000')).toContain('-> not mapped (PDE not present)');
  });

  it('x and info tlb read through the current page tables', () => {
    const x = run(ctx, 'x/2x 0x80001000');
    expect(x).toBe(`0x80001000:  ${hex8(m.mem.read32(0x401000))}  ${hex8(m.mem.read32(0x401004))}`);
    expect(run(ctx, 'x/1i $eip')).toMatch(/^=>\s+0x[0-9a-f]{8} <\w+\+0x[0-9a-f]+>:/);
    expect(run(ctx, 'info tlb')).toMatch(/^\d+ valid entr/);
    expect(run(ctx, 'info registers')).toContain('cr0 [PE ET PG]  cr4 [PSE]');
    expect(run(ctx, 'info lguest')).toBe('info lguest: no lguest Host here (the bare machine)\nusage: info lguest');
  });
});

describe('monitor commands on a CPU set up by hand', () => {
  it('puts vectors sharing one handler on one line, and says when no TSS is loaded', () => {
    const cpu = new Cpu(new PhysicalMemory(0x10000), { in: () => 0xff, out: () => {} });
    const gate = (v: number, handler: number) => { cpu.mem.write32(0x1000 + v * 8, (0x08 << 16) | (handler & 0xffff)); cpu.mem.write32(0x1000 + v * 8 + 4, (handler & 0xffff0000) | 0x8e00); };
    cpu.idtr = { sel: 0, base: 0x1000, limit: 0x7ff, attr: 0 };
    gate(0, 0x2000);
    for (let v = 0x20; v < 0x30; v++) gate(v, 0x3000);
    const ctx: MonitorContext = { cpu, host: null, read: (a, size) => peekLinear(cpu, a, size), evaluate: (e) => evaluate(e, { register: () => undefined, symbol: () => undefined, read: () => undefined }) };
    const idt = run(ctx, 'info idt');
    expect(row(idt, '0x00')).toMatchObject({ name: 'divide error (#DE)', target: '0x0008:0x00002000' });
    expect(row(idt, '0x20-0x2f')).toMatchObject({ name: '(one handler)', type: 'int', target: '0x0008:0x00003000' });
    expect(idt.split('\n')).toHaveLength(4);
    expect(run(ctx, 'info tss')).toBe('no TSS loaded (TR is null)');
    expect(run(ctx, 'page 0x1234')).toContain('paging is off: physical 0x00001234');
  });
});
