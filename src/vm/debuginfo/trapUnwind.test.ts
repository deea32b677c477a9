/**
 * Unwinding across traps: the CFI of the tour's entry.S (signal frames, the
 * interrupted ESP chosen by the saved CS's ring, an undefined return address
 * at each _start), a hand-made "S" CIE, where a backtrace ends (0, outside
 * the ELF's code, a loop), and Linux's pt_regs for its entry code without CFI.
 */
import { describe, expect, it } from 'vitest';
import { CallFrameInfo } from './cfi';
import { DebugInfo } from './debugInfo';
import { unwindWithCfi } from './unwind';
import { unwindPtRegs, PT_REGS } from './linuxEntry';
import { Bytes, fixture, loadElf, memory } from './testFixtures';

const tour = new DebugInfo(loadElf(fixture('tour')));
const at = (name: string) => tour.addressOf(name)!;
const USER_CS = 0x73, KERNEL_CS = 0x61;

/**
 * A kernel stack stopped at trap_dispatch's first instruction, called by
 * trap_common with the trapframe at 0x9008: eip, cs and, from ring 3, the
 * user's esp (0x7000) above it.
 */
function trapStack(eip: number, cs: number, user: Record<number, number> = {}) {
  const tf = 0x9008;
  const words: Record<number, number> = {
    0x9000: at('ret_to_user') - 3, // after `call trap_dispatch`, `addl $4,%esp` (3 bytes) then ret_to_user
    0x9004: tf, // its argument
    [tf]: 0xd1, [tf + 4]: 0x51, [tf + 8]: 0x7010, [tf + 16]: 0xb1, [tf + 20]: 0xd2, [tf + 24]: 0xc1, [tf + 28]: 0xa1, // pushal
    [tf + 56]: eip, [tf + 60]: cs, [tf + 64]: 0x202, [tf + 68]: 0x7000, [tf + 72]: 0x7b,
    ...user,
  };
  return { regs: { eip: at('trap_dispatch'), esp: 0x9000, ebp: 0x9100 }, read32: memory(tour.elf, words) };
}

describe('the tour\'s trap frames', () => {
  it('are signal frames: trap_common\'s rows are marked, the C functions\' not', () => {
    expect(tour.cfiRowAt(at('trap_common'))!.signalFrame).toBe(true);
    expect(tour.cfiRowAt(at('page_fault'))!.signalFrame).toBe(true);
    expect(tour.cfiRowAt(at('trap_dispatch'))!.signalFrame).toBe(false);
  });

  it('go from the kernel\'s C into a user process at its faulting instruction, to its _start and no further', () => {
    // crasher_main+0x15 faulted; its frame (CFA = ebp+8) says crasher_start+7 called it.
    const { regs, read32 } = trapStack(at('crasher_main') + 0x15, USER_CS, { 0x7010: 0, 0x7014: at('crasher_start') + 7 });
    const frames = tour.backtrace(regs, read32);
    expect(frames.map((f) => tour.symbolAt(f.regs.eip)?.name)).toEqual(['trap_dispatch', 'trap_common', 'crasher_main', 'crasher_start']);
    // The user's registers, from the trapframe: esp the one pushed at ring 3's entry, the others from pushal.
    expect(frames[2]).toEqual({ method: 'cfi', trapped: true, regs: { eip: at('crasher_main') + 0x15, esp: 0x7000, ebp: 0x7010, eax: 0xa1, ebx: 0xb1, ecx: 0xc1, edx: 0xd2, esi: 0x51, edi: 0xd1 } });
    expect(frames[3].trapped).toBeUndefined();
  });

  it('look up an interrupted frame\'s rules at its eip, not eip - 1 (a fault at a function\'s first byte)', () => {
    // At crasher_main's first byte the return address is at [esp]; eip - 1 is padding without CFI.
    const { regs, read32 } = trapStack(at('crasher_main'), USER_CS, { 0x7000: at('crasher_start') + 7 });
    expect(tour.backtrace(regs, read32).map((f) => tour.symbolAt(f.regs.eip)?.name)).toEqual(['trap_dispatch', 'trap_common', 'crasher_main', 'crasher_start']);
  });

  it('from the kernel\'s own ring find the stack right above EFLAGS (no ESP pushed)', () => {
    const { regs, read32 } = trapStack(at('trap_dispatch') + 0x20, KERNEL_CS);
    const frames = tour.backtrace(regs, read32, 3);
    expect(frames[2].regs).toMatchObject({ eip: at('trap_dispatch') + 0x20, esp: 0x9008 + 68, ebp: 0x7010 });
  });

  it('end at a trapped eip outside the ELF\'s code, shown; at a return address outside it, not shown', () => {
    const { regs, read32 } = trapStack(0x08048000, USER_CS);
    const frames = tour.backtrace(regs, read32);
    expect(frames.map((f) => f.regs.eip)).toEqual([at('trap_dispatch'), at('ret_to_user') - 3, 0x08048000]);
    const bogus = memory(tour.elf, { 0x9000: 0x0000000e });
    expect(tour.backtrace({ eip: at('trap_dispatch'), esp: 0x9000, ebp: 0x9100 }, bogus)).toHaveLength(1);
  });

  it('end at a trap that comes back to where it was (a loop), and at the kernel\'s _start', () => {
    // A trapframe claiming to have interrupted trap_dispatch's first instruction on the same stack.
    const { regs, read32 } = trapStack(at('trap_dispatch'), KERNEL_CS);
    const looped = (a: number) => (a === 0x9008 + 68 ? at('ret_to_user') - 3 : read32(a));
    expect(tour.backtrace({ ...regs, esp: 0x9008 + 68 }, looped).length).toBeLessThan(8);
    // kernel_main's caller is _start, whose return address is undefined.
    const start = tour.unwind(at('_start') + 0xa2, { eip: at('_start') + 0xa3, esp: 0x8000, ebp: 0 }, memory(tour.elf, { 0x8000: 0x1234 }));
    expect(start).toBeNull();
  });
});

describe('the bare kernels\' trap frames (rt_entry.S, ring 0)', () => {
  it('go from trap_dispatch through isr_common into ring 3 and end at user_tramp, the user stack\'s first frame', () => {
    const bare = new DebugInfo(loadElf(fixture('bare-hello')));
    const b = (name: string) => bare.addressOf(name)!;
    // isr_common pushed pushal then ds, es, fs, gs (struct trapframe of rt.h), at 0x9008; the CPU, the user's ESP.
    const tf = 0x9008, fn = b('kmain'); // any C function, interrupted at its first byte: its return address at [esp]
    const read32 = memory(bare.elf, {
      0x9000: b('isr_common') + 0x1b, 0x9004: tf, // after its call to trap_dispatch, and its argument
      [tf + 24]: 0x6100, // ebp
      [tf + 56]: fn, [tf + 60]: 0x1b, [tf + 64]: 0x202, [tf + 68]: 0x6000, [tf + 72]: 0x23,
      0x6000: b('user_tramp') + 2, // after its call *%ebx
    });
    const frames = bare.backtrace({ eip: b('trap_dispatch'), esp: 0x9000, ebp: 0x9100 }, read32);
    expect(frames.map((f) => bare.symbolAt(f.regs.eip)?.name)).toEqual(['trap_dispatch', 'isr_common', 'kmain', 'user_tramp']);
    expect(frames[2].regs).toMatchObject({ eip: fn, esp: 0x6000, ebp: 0x6100 });
  });
});

describe('a hand-made signal frame', () => {
  const entry = (body: Bytes) => new Bytes().u32(body.length).bytes(body);
  it('reads a .debug_frame CIE with augmentation "S" and no "z", and marks the frame found as trapped', () => {
    const cie = entry(new Bytes().u32(0xffffffff).u8(1).str('S').uleb(1).sleb(-4).u8(8)
      .u8(0x0c).uleb(4).uleb(12) // def_cfa esp+12
      .u8(0x80 | 8).uleb(3)); // eip at cfa-12
    const fde = entry(new Bytes().u32(0).u32(0x1000).u32(0x10)
      .u8(0x16).uleb(4).uleb(2).u8(0x31, 0x22)); // esp: val_expression CFA + 1
    const cfi = new CallFrameInfo([{ name: '.debug_frame', bytes: new Bytes().bytes(cie).bytes(fde).array, address: 0 }]);
    expect(cfi.errors).toEqual([]);
    const row = cfi.rowAt(0x1004)!;
    expect(row.signalFrame).toBe(true);
    const read32 = (a: number) => (a === 0x1ff4 ? 0x4444 : null);
    expect(unwindWithCfi(row, { eip: 0x1004, esp: 0x1ff4, ebp: 5 }, read32)).toEqual({ method: 'cfi', trapped: true, eip: 0x4444, esp: 0x2001, ebp: 5 });
  });
});

describe('Linux pt_regs', () => {
  const ptRegs = (base: number, f: Partial<Record<keyof typeof PT_REGS, number>>) =>
    (a: number) => Object.entries(f).find(([k]) => base + PT_REGS[k as keyof typeof PT_REGS] === a)?.[1] ?? 0;
  it('give the user context of a system call (esp pushed at ring 3) and a kernel one (the stack above)', () => {
    const user = ptRegs(0x5000, { ip: 0xb77a0b31, cs: 0x73, sp: 0xbf00, bp: 0xbf40, ax: 122, bx: 7 });
    expect(unwindPtRegs('entry_INT80_32', { eip: 0xc114a163, esp: 0x5000, ebp: 0 }, user))
      .toEqual({ method: 'pt-regs', trapped: true, eip: 0xb77a0b31, esp: 0xbf00, ebp: 0xbf40, eax: 122, ebx: 7, ecx: 0, edx: 0, esi: 0, edi: 0 });
    const kernel = ptRegs(0x5000, { ip: 0xc1001234, cs: 0x61, bp: 0x5100 });
    expect(unwindPtRegs('common_interrupt', { eip: 0xc114a909, esp: 0x5000, ebp: 0 }, kernel)).toMatchObject({ eip: 0xc1001234, esp: 0x5000 + 60, ebp: 0x5100 });
  });

  it('are one word up in ret_from_fork before its `pop %eax`, and refused when they are not pt_regs', () => {
    const regs = ptRegs(0x5004, { ip: 0x8048000, cs: 0x73, sp: 0xbf00 });
    const code = (a: number) => (a === 0xc114a082 ? 0x58 : regs(a)); // pop %eax at the return address
    expect(unwindPtRegs('ret_from_fork', { eip: 0xc114a082, esp: 0x5000, ebp: 0 }, code)).toMatchObject({ eip: 0x8048000, esp: 0xbf00 });
    expect(unwindPtRegs('common_exception', { eip: 1, esp: 0x5000, ebp: 0 }, ptRegs(0x5000, { ip: 0x1000, cs: 0x10073 }))).toBeNull();
    expect(unwindPtRegs('common_exception', { eip: 1, esp: 0x5000, ebp: 0 }, ptRegs(0x5000, { ip: 0, cs: 0x61 }))).toBeNull();
  });
});
