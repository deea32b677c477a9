/**
 * The faults Guests (guests/lguest/faults/): one small Guest per way the
 * Host ends a Guest that breaks a rule, and per other abnormal ending. Each
 * is run under the Host, and the test checks the exact reason (lguest's
 * text), and where it matters the Host's counters and events. Most Guests
 * take the number they break the rule with from the command line
 * (name=VALUE), so the values just inside each rule are tried too: those
 * must survive (the Guest powers off with "survived").
 *
 * Kill reasons no Guest can provoke from this Host, and so not tried here:
 * - `Fetching async hypercalls`, `Writing result for async hypercall`,
 *   `Writing timestamp`, `Disabling interrupts`, `Re-enabling interrupts`,
 *   `Writing cr2`: all accesses to struct lguest_data, which LGUEST_INIT
 *   range-checks once ("bad guest page"); Guest memory is one block that
 *   never changes, so an access that passed the check cannot fail later.
 * - `failed to get page P`: lguest could fail to pin a Launcher page; here
 *   Guest-physical memory is host-physical memory, always there.
 * - `out of memory allocating pte page` (and `... pmd page`), `Cannot
 *   populate switcher mapping`: the shadow-page pool is sized for the worst
 *   case (4 directories of 1024 page tables each), so allocation never fails.
 * - `bad page middle directory entry`: PAE only; this Host is non-PAE.
 * - `attempt to access switcher pages`: lguest's mid versions only; here, as
 *   in its final one, a fault at the Switcher's addresses is not fixed and
 *   goes to the Guest like any other.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runGuest, ROOT } from './helpers';
import { Elf32 } from '../../src/vm/elf';
import { LHCALL, LGUEST_DATA } from '../../src/vm/lguest/layout';
import type { HostOptions } from '../../src/vm/lguest/host';

const BUILD = join(ROOT, 'guests/lguest/faults/build');
const path = (name: string) => join(BUILD, `${name}.elf`);

/** The Guests this file runs: every one in the directory. */
const GUESTS = [
  'bad_hcall', 'before_init', 'init_twice', 'bad_guest_page', 'bad_syscall_vec', 'bad_kernel_addr', 'crash',
  'shutdown_bad_msg', 'bad_idt_type', 'bad_idt_vector', 'too_many_gdt', 'bad_stack_segment', 'bad_stack_pages',
  'bad_stack_page', 'bad_pde', 'bad_pte', 'linear_beyond', 'bad_pgdir', 'bad_tls', 'set_pte_switcher', 'set_pgd',
  'ud2', 'unhandled_pf', 'gp_not_io', 'trap256', 'bad_address', 'bad_write', 'halt', 'restart', 'exit_port',
  'pf_handler',
];

/** Guest memory for most runs: small is fast, and 8 MiB still holds the 4-8 MiB the paging Guests map. */
const MIB = 8;
const MEM = MIB << 20;
/** Where the reason names the end of memory, the default 64 MiB is used too, as in the Guests' comments. */
const MEM64 = 64 << 20;

function run(name: string, cmdline = '', opts: HostOptions & { max?: number } = {}) {
  return runGuest(path(name), { memoryMiB: MIB, max: 2_000_000, cmdline, ...opts });
}

/** A symbol's address in a Guest (the faulting instructions carry global labels). */
function sym(name: string, symbol: string): number {
  const s = new Elf32(new Uint8Array(readFileSync(path(name))), name).symbols().find((x) => x.name === symbol);
  if (!s) throw new Error(`${name}.elf has no symbol ${symbol}`);
  return s.value;
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
const hex8 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
const killed = (reason: string) => ({ kind: 'killed', reason });
const SURVIVED = { kind: 'poweroff', message: 'survived' };

it('every Guest in guests/lguest/faults/build is run here', () => {
  const built = readdirSync(BUILD).filter((f) => f.endsWith('.elf')).map((f) => f.slice(0, -4));
  expect(built.sort()).toEqual([...GUESTS].sort());
});

describe('hypercalls and LGUEST_INIT', () => {
  it('bad_hcall: an unknown call number', () => {
    const r = run('bad_hcall');
    expect(r.result).toEqual(killed('Bad hypercall 99'));
    expect(r.host.lg.stats.hypercalls.get(99)).toBe(1);
    for (const nr of [3, 11, 12, 13, 17, 20]) expect(run('bad_hcall', `nr=${nr}`).result).toEqual(killed(`Bad hypercall ${nr}`));
    // lguest prints the call number with %li.
    expect(run('bad_hcall', 'nr=0xffffffff').result).toEqual(killed('Bad hypercall -1'));
  });

  it('before_init: any call before LGUEST_INIT', () => {
    const r = run('before_init');
    expect(r.result).toEqual(killed('hypercall 4 before INIT'));
    expect(r.host.lg.lguestData).toBeNull();
    expect(run('before_init', 'nr=0').result).toEqual(killed('hypercall 0 before INIT'));
    expect(run('before_init', 'nr=2').result).toEqual(killed('hypercall 2 before INIT'));
  });

  it('init_twice: a second LGUEST_INIT', () => {
    const r = run('init_twice');
    expect(r.result).toEqual(killed('already have lguest_data'));
    expect(r.host.lg.stats.hypercalls.get(LHCALL.LGUEST_INIT)).toBe(2);
  });

  it('bad_guest_page: lguest_data past, across or wrapping the end of Guest memory', () => {
    expect(run('bad_guest_page', '', { memoryMiB: 64 }).result).toEqual(killed(`bad guest page ${hex(MEM64)}`));
    expect(run('bad_guest_page').result).toEqual(killed(`bad guest page ${hex(MEM)}`));
    expect(run('bad_guest_page', `at=${MEM - 1000}`).result).toEqual(killed(`bad guest page ${hex(MEM - 1000)}`));
    expect(run('bad_guest_page', 'at=0xfffffc00').result).toEqual(killed('bad guest page 0xfffffc00'));
    // All 1388 bytes in memory: the Host gets on to the next check, and finds syscall_vec 0 there.
    const inside = run('bad_guest_page', `at=${MEM - 1388}`);
    expect(inside.result).toEqual(killed('bad syscall vector'));
    expect(inside.host.lg.lguestData).toBe(MEM - 1388);
  });

  it('bad_syscall_vec: syscall_vec other than 0x80', () => {
    expect(run('bad_syscall_vec').result).toEqual(killed('bad syscall vector'));
    expect(run('bad_syscall_vec', 'vec=0x40').result).toEqual(killed('bad syscall vector'));
    expect(run('bad_syscall_vec', 'vec=0x80').result).toEqual(SURVIVED);
  });

  it('bad_kernel_addr: kernel_address at or above the Switcher', () => {
    expect(run('bad_kernel_addr').result).toEqual(killed('bad kernel address 0xffc00000'));
    expect(run('bad_kernel_addr', 'ka=0xffffffff').result).toEqual(killed('bad kernel address 0xffffffff'));
    expect(run('bad_kernel_addr', 'ka=0xffbfffff').result).toEqual(SURVIVED);
  });
});

describe('SHUTDOWN', () => {
  it('crash: a code other than power-off and restart, with the message cut at 127 characters', () => {
    expect(run('crash', 'the Guest gave up').result).toEqual(killed('CRASH: the Guest gave up'));
    expect(run('crash', 'code=0').result).toEqual(killed('CRASH: code=0'));
    expect(run('crash').result).toEqual(killed('CRASH: '));
    const long = 'x'.repeat(200);
    expect(run('crash', long).result).toEqual(killed(`CRASH: ${'x'.repeat(127)}`));
    // The two codes that are not a crash.
    expect(run('crash', 'code=1').result).toEqual({ kind: 'poweroff', message: 'code=1' });
    expect(run('crash', 'code=2', { noRestart: true }).result).toEqual({ kind: 'restart', message: 'code=2' });
  });

  it('shutdown_bad_msg: a message whose 128 bytes are not all Guest memory', () => {
    expect(run('shutdown_bad_msg', '', { memoryMiB: 64 }).result).toEqual(killed(`bad read address ${hex(MEM64 - 64)} len 128`));
    expect(run('shutdown_bad_msg', 'at=0xffffffc0').result).toEqual(killed('bad read address 0xffffffc0 len 128'));
    // The last 128 bytes of memory are fine (and zero: an empty message).
    expect(run('shutdown_bad_msg', `at=${MEM - 128}`).result).toEqual({ kind: 'poweroff', message: '' });
  });
});

describe('the IDT, the GDT and the kernel stack', () => {
  it('bad_idt_type: a present gate that is neither an interrupt nor a trap gate', () => {
    expect(run('bad_idt_type').result).toEqual(killed('bad IDT type 5'));
    expect(run('bad_idt_type', 'type=12').result).toEqual(killed('bad IDT type 12'));
    expect(run('bad_idt_type', 'type=0').result).toEqual(killed('bad IDT type 0'));
    for (const ok of ['type=14', 'type=15', 'p=0', 'vec=2', 'vec=8', 'vec=15', 'vec=31']) expect(run('bad_idt_type', ok).result, ok).toEqual(SURVIVED);
  });

  it('bad_idt_vector: a vector past the IDT', () => {
    expect(run('bad_idt_vector').result).toEqual(killed('Setting idt entry 256'));
    expect(run('bad_idt_vector', 'vec=0xffffffff').result).toEqual(killed('Setting idt entry 4294967295'));
    expect(run('bad_idt_vector', 'vec=255').result).toEqual(SURVIVED);
  });

  it('too_many_gdt: a slot past the GDT', () => {
    expect(run('too_many_gdt').result).toEqual(killed('too many gdt entries 32'));
    // lguest prints the slot with %i.
    expect(run('too_many_gdt', 'slot=0xffffffff').result).toEqual(killed('too many gdt entries -1'));
    expect(run('too_many_gdt', 'slot=31').result).toEqual(SURVIVED);
    expect(run('too_many_gdt', 'slot=30').result).toEqual(SURVIVED);
  });

  it('bad_stack_segment: SET_STACK with an SS whose RPL is not 1', () => {
    expect(run('bad_stack_segment').result).toEqual(killed('bad stack segment 104'));
    expect(run('bad_stack_segment', 'ss=0x6b').result).toEqual(killed('bad stack segment 107'));
    expect(run('bad_stack_segment', 'ss=0x69').result).toEqual(SURVIVED);
  });

  it('bad_stack_pages: SET_STACK with more than 2 pages', () => {
    expect(run('bad_stack_pages').result).toEqual(killed('bad stack pages 3'));
    expect(run('bad_stack_pages', 'pages=0xffffffff').result).toEqual(killed('bad stack pages 4294967295'));
    expect(run('bad_stack_pages', 'pages=2').result).toEqual(SURVIVED);
  });

  it('bad_stack_page: SET_STACK on pages the Guest\'s tables do not map writable', () => {
    expect(run('bad_stack_page').result).toEqual(killed('bad stack page 0x3fffffff'));
    // 4-8 MiB is mapped, read-only.
    expect(run('bad_stack_page', 'esp=0x800000').result).toEqual(killed('bad stack page 0x7fffff'));
    expect(run('bad_stack_page', 'esp=0x400000').result).toEqual(SURVIVED);
  });
});

describe('page tables', () => {
  it('bad_pde: a page-directory entry with a flag beyond 0x67, or a frame past memory', () => {
    expect(run('bad_pde').result).toEqual(killed('bad page directory entry'));
    for (const flags of [0x10, 0x80, 0x100, 0x200, 0x400, 0x800]) {
      expect(run('bad_pde', `flags=${hex(flags)}`).result, hex(flags)).toEqual(killed('bad page directory entry'));
    }
    expect(run('bad_pde', `flags=0 frame=${MEM}`).result).toEqual(killed('bad page directory entry'));
    expect(run('bad_pde', 'flags=0x64').result).toEqual(SURVIVED);
  });

  it('bad_pte: a page-table entry with PSE, or a frame past memory', () => {
    expect(run('bad_pte').result).toEqual(killed('bad page table entry'));
    // Past memory come the devices' registers (from 1 MiB above it, one page of them): past those, no one's.
    const deviceLimit = MEM64 + 0x101000;
    expect(run('bad_pte', `flags=0 frame=${deviceLimit}`, { memoryMiB: 64 }).result).toEqual(killed('bad page table entry'));
    // Below the limit it is MMIO: where no register is, the fault is the Guest's own (and it has no handler).
    const mmio = run('bad_pte', `flags=0 frame=${MEM64}`, { memoryMiB: 64 });
    expect(mmio.result).toMatchObject({ kind: 'killed', reason: expect.stringMatching(/^unhandled trap 14 at 0x[0-9a-f]+ \(0x400000\)$/) });
    // The last page below the limit holds the console's registers: reading its first one out of turn is a bad driver's.
    expect(run('bad_pte', `flags=0 frame=${deviceLimit - 4096}`, { memoryMiB: 64 }).result)
      .toEqual(killed('console: bad driver: feature read before VIRTIO_CONFIG_S_DRIVER'));
    expect(run('bad_pte', `flags=0 frame=${MEM - 4096}`).result).toEqual(SURVIVED);
    // Only PSE is refused: G, PCD, PWT go through.
    expect(run('bad_pte', 'flags=0x118').result).toEqual(SURVIVED);
  });

  it('linear_beyond: in linear mode, an address at or past the end of memory', () => {
    const r = run('linear_beyond', '', { memoryMiB: 64 });
    expect(r.result).toEqual(killed('bad page table entry'));
    expect(r.host.lg.stats.pageFaultsReflected).toBe(0);
    expect(r.host.devices.deviceLimit).toBe(MEM64 + 0x101000);
    // Between memory and the device limit: MMIO, the Guest's own fault where no register is.
    expect(run('linear_beyond', `at=${MEM64}`, { memoryMiB: 64 }).result).toMatchObject({ reason: expect.stringMatching(/^unhandled trap 14/) });
    expect(run('linear_beyond', `at=${MEM - 4}`).result).toEqual(SURVIVED);
  });

  it('bad_pgdir: NEW_PGTABLE on a page directory past memory, read at the next fault', () => {
    expect(run('bad_pgdir', '', { memoryMiB: 64 }).result).toEqual(killed(`bad read address ${hex(MEM64)} len 4`));
  });

  it('bad_tls: LOAD_TLS whose 24 bytes are not all Guest memory', () => {
    expect(run('bad_tls', '', { memoryMiB: 64 }).result).toEqual(killed(`bad read address ${hex(MEM64 - 8)} len 24`));
    expect(run('bad_tls', `at=${MEM - 24}`).result).toEqual(SURVIVED);
  });

  it('set_pte_switcher: SET_PTE in the Switcher\'s 4 MiB', () => {
    expect(run('set_pte_switcher').result).toEqual(killed('attempt to set pte into Switcher pages'));
    expect(run('set_pte_switcher', 'va=0xffffffff').result).toEqual(killed('attempt to set pte into Switcher pages'));
    expect(run('set_pte_switcher', 'va=0xffbff000').result).toEqual(SURVIVED);
  });

  it('set_pgd: SET_PGD past the page directory (1024 itself slips through, as in lguest)', () => {
    expect(run('set_pgd').result).toEqual(killed('Attempt to set pgd 1025/1024'));
    expect(run('set_pgd', 'idx=0xffffffff').result).toEqual(killed('Attempt to set pgd 4294967295/1024'));
    expect(run('set_pgd', 'idx=1024').result).toEqual(SURVIVED);
    expect(run('set_pgd', 'idx=1023').result).toEqual(SURVIVED);
  });
});

describe('traps', () => {
  it('ud2: #UD with no gate', () => {
    const r = run('ud2');
    expect(r.result).toEqual(killed(`unhandled trap 6 at ${hex(sym('ud2', 'fault'))} (0)`));
    expect(r.host.lg.stats.exits[6]).toBe(1);
    expect(r.events.filter((e) => e.kind === 'trap').at(-1)).toMatchObject({ trap: 6, eip: sym('ud2', 'fault'), action: 'killed' });
  });

  it('unhandled_pf: a page fault the Host cannot fix, with no gate; CR2 in the reason and in lguest_data', () => {
    const fault = sym('unhandled_pf', 'fault');
    const r = run('unhandled_pf');
    expect(r.result).toEqual(killed(`unhandled trap 14 at ${hex(fault)} (0x40000000)`));
    expect(r.host.mem.read32(r.host.lg.lguestData! + LGUEST_DATA.cr2) >>> 0).toBe(0x40000000);
    expect(r.events.filter((e) => e.kind === 'trap').at(-1)).toMatchObject({ trap: 14, eip: fault, cr2: 0x40000000, errcode: 0, action: 'killed' });
  });

  it('unhandled_pf: a fault that killed the Guest was not reflected to it', () => {
    expect(run('unhandled_pf').host.lg.stats.pageFaultsReflected).toBe(0);
  });

  it('gp_not_io: sti and hlt at ring 1 are the Guest\'s #GP, not port I/O', () => {
    const sti = run('gp_not_io');
    expect(sti.result).toEqual(killed(`unhandled trap 13 at ${hex(sym('gp_not_io', 'fault_sti'))} (0)`));
    expect(sti.host.lg.stats.emulated).toBe(0);
    expect(run('gp_not_io', 'hlt=1').result).toEqual(killed(`unhandled trap 13 at ${hex(sym('gp_not_io', 'fault_hlt'))} (0)`));
  });

  it('trap256: a segment the Switcher cannot reload leaves the impossible trap number', () => {
    const r = run('trap256');
    expect(r.result).toEqual(killed(`unhandled trap 256 at ${hex(sym('trap256', 'back'))} (0)`));
    expect(r.host.lg.stats.exits[256]).toBe(1);
    const last = r.events.filter((e) => e.kind === 'trap' || e.kind === 'hypercall').slice(-2);
    expect(last[0]).toMatchObject({ kind: 'hypercall', nr: LHCALL.LOAD_GDT_ENTRY, args: [15, 0xffff, 0x00cf3300, 0] });
    expect(last[1]).toMatchObject({ kind: 'trap', trap: 256, action: 'killed' });
  });

  it('bad_address: reflecting a trap onto a stack the Guest\'s page tables do not map', () => {
    const r = run('bad_address');
    expect(r.result).toEqual(killed('Bad address 0x40000000'));
    expect(r.host.lg.stats.exits[6]).toBe(1);
    // A mapped stack: the handler runs.
    expect(run('bad_address', 'esp=0x300000').result).toEqual(SURVIVED);
    // A trap gate goes straight to the Guest: the CPU faults pushing the frame, and that #PF has no gate.
    expect(run('bad_address', 'type=15').result).toEqual(killed(`unhandled trap 14 at ${hex(sym('bad_address', 'fault'))} (0x3ffffffc)`));
  });

  it('bad_write: reflecting a trap in linear mode with ESP just past the end of memory', () => {
    expect(run('bad_write', '', { memoryMiB: 64 }).result).toEqual(killed(`bad write address ${hex(MEM64)} len 4`));
    expect(run('bad_write', `esp=${MEM}`).result).toEqual(SURVIVED);
  });
});

describe('endings that are not kills', () => {
  it('halt: HALT with nothing to wake the Guest ends the run as halted', () => {
    const halted = hex(sym('halt', 'halted'));
    for (const cmdline of ['', 'timer=1000']) {
      const r = run('halt', cmdline);
      expect(r.result.kind, cmdline).toBe('halted');
      const reason = (r.result as { reason: string }).reason;
      expect(reason).toContain(`halted at ${halted}`);
      expect(reason).toMatch(/nothing can wake it/);
    }
  });

  it('restart: SHUTDOWN RESTART ends the run when told not to restart', () => {
    const r = run('restart', '', { noRestart: true });
    expect(r.result).toEqual({ kind: 'restart', message: 'restart' });
    expect(r.host.restarts).toBe(0);
    expect(r.output).toBe('boot, generation 0x00000001\n');
  });

  it('restart: otherwise the Host boots the image again, afresh each time', () => {
    const r = run('restart', '', { max: 200_000 });
    expect(r.result).toEqual({ kind: 'limit' });
    const n = r.host.restarts;
    expect(n).toBeGreaterThan(1);
    const line = 'boot, generation 0x00000001\n';
    expect(r.output.startsWith(line.repeat(n))).toBe(true);
    expect(line.repeat(n + 1).startsWith(r.output)).toBe(true);
  });

  it('exit_port: a write to port 0xf4 ends the run with status (v << 1) | 1', () => {
    expect(run('exit_port').result).toEqual({ kind: 'exit', status: 85 });
    expect(run('exit_port', 'v=0').result).toEqual({ kind: 'exit', status: 1 });
    expect(run('exit_port', 'v=0x12345').result).toEqual({ kind: 'exit', status: (0x12345 << 1) | 1 });
  });

  it('pf_handler: a page fault the Host cannot fix goes to the Guest\'s own handler, with cr2', () => {
    const fault = sym('pf_handler', 'fault');
    const r = run('pf_handler');
    expect(r.result).toEqual({ kind: 'poweroff', message: 'page fault handled' });
    // Error code 2: a write, from the kernel, to a page that is not present.
    expect(r.output).toBe(`page fault: cr2 0x40000123, error code 0x00000002, eip ${hex8(fault)}\n`);
    const s = r.host.lg.stats;
    expect(s.pageFaultsReflected).toBe(1);
    expect(r.host.mem.read32(r.host.lg.lguestData! + LGUEST_DATA.cr2) >>> 0).toBe(0x40000123);
    expect(r.host.lg.lguestData).toBe(sym('pf_handler', 'lguest_data'));
    const reflected = r.events.filter((e) => e.kind === 'trap' && e.action === 'reflected');
    expect(reflected).toEqual([expect.objectContaining({ trap: 14, errcode: 2, eip: fault, cr2: 0x40000123 })]);
  });
});
