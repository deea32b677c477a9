/**
 * The x86 half of the Host (lguest's x86/core.c): how the Guest is entered
 * through the Switcher and what is done with the trap that brings it back.
 * host.ts's run loop calls these in turn, as lguest's core.c calls
 * lguest_arch_run_guest and lguest_arch_handle_trap.
 */
import { Cpu, EAX, EBX, ESP, CR0_TS } from '../cpu/state';
import { peekTranslate } from '../cpu/paging';
import { Lguest, CHANGED_IDT, CHANGED_GDT, CHANGED_GDT_TLS } from './lguest';
import { copyGdt } from './segments';
import { copyTraps, applyReflection } from './traps';
import { applyEmulation } from './emulate';
import type { TrapDecision } from './decide';
import type { TrapPoint } from './observer';
import {
  SWITCHER_PAGES, PAGES_HOST_CR3, PAGES_GUEST_TSS, GUEST_KERNEL_CS, GUEST_KERNEL_DS, BOOT_EFLAGS, IMPOSSIBLE_TRAP,
  HOST_KERNEL_CS, REG_NAMES,
} from './layout';

/** lguest_arch_setup_regs: the Guest starts at ring 1 on the flat kernel segments, interrupts on. */
export function setupRegs(lg: Lguest, entry: number): void {
  for (const r of REG_NAMES) lg.setReg(r, 0);
  lg.setReg('eip', entry);
  lg.setReg('cs', GUEST_KERNEL_CS);
  lg.setReg('ds', GUEST_KERNEL_DS);
  lg.setReg('es', GUEST_KERNEL_DS);
  lg.setReg('ss', GUEST_KERNEL_DS);
  lg.setReg('eflags', BOOT_EFLAGS);
}

/** copy_in_guest_info: bring the real GDT, IDT, TSS and Switcher mapping up to date. */
function copyInGuestInfo(lg: Lguest): void {
  const m = lg.mem, state = lg.world.statePage - 0x1000;
  m.write32(state + PAGES_HOST_CR3, lg.world.hostPgdir);
  lg.pageTables.mapSwitcherInGuest();
  m.write32(state + PAGES_GUEST_TSS + 12, lg.esp1);
  m.write32(state + PAGES_GUEST_TSS + 16, lg.ss1);
  if ((lg.changed & CHANGED_IDT) !== 0) copyTraps(lg);
  if ((lg.changed & CHANGED_GDT) !== 0) copyGdt(lg, false);
  else if ((lg.changed & CHANGED_GDT_TLS) !== 0) copyGdt(lg, true);
  lg.changed = 0;
}

/**
 * run_guest_once: the CPU, in the Host, is pointed at the Host's glue, which
 * calls into the Switcher with the per-CPU pages and the shadow CR3. What
 * follows runs on the emulated CPU until the Switcher comes back.
 */
export function enterSwitcher(lg: Lguest, c: Cpu): void {
  copyInGuestInfo(lg);
  lg.setReg('trapnum', IMPOSSIBLE_TRAP);
  // SYSENTER would land at ring 0: off while the Guest runs.
  c.msrSysenterCs = 0;
  // The Guest runs with the Host's CR0 (HOST_CR0), and TS only while it asked for it: then its #NM is its own.
  if (lg.ts !== 0) c.cr0 |= CR0_TS;
  c.eip = lg.world.image.runGuestOnce;
  c.r32[ESP] = lg.world.hostStackTop;
  c.r32[EAX] = SWITCHER_PAGES;
  c.r32[EBX] = lg.pageTables.shadowCr3;
  lg.stats.entries++;
}

/**
 * Back from the Switcher: undo what entering changed. Returns CR2, which the C code grabs before anything can fault
 * again.
 */
export function backFromSwitcher(c: Cpu): number {
  c.intrLine = false; // the Host is here now: its timer has nothing more to pull in
  c.msrSysenterCs = HOST_KERNEL_CS;
  c.cr0 &= ~CR0_TS;
  return c.cr2 >>> 0;
}

/** The trap the Switcher brought back, as the registers it saved say it. */
export function trapPoint(lg: Lguest, cr2: number, decision: TrapDecision): TrapPoint {
  return {
    kind: 'trap', trap: lg.reg('trapnum'), errcode: lg.reg('errcode'), cr2, eip: lg.reg('eip'), cs: lg.reg('cs'),
    eax: lg.reg('eax'), direct: false, decision,
  };
}

/**
 * lguest_arch_handle_trap: carry out what decide.ts decided about the trap
 * in the register page (CR2 `cr2`), count it and tell the world.
 */
export function handleTrap(lg: Lguest, cr2: number, d: TrapDecision): void {
  const trap = lg.reg('trapnum'), errcode = lg.reg('errcode'), eip = lg.reg('eip');
  lg.stats.exits[Math.min(trap, 256)]++;
  // A page fault that is the Guest's own: it finds the address in lguest_data, as a real CPU's CR2.
  if ((d.action === 'reflected' || d.action === 'killed') && d.pageFault !== undefined && lg.lguestData !== null) {
    lg.dataWrite('cr2', cr2);
  }
  switch (d.action) {
    case 'fixed':
      if (d.fix.kind === 'clts') {
        // The x87 is the Guest's already (the Host never touches cpu.fpu): clearing TS is all there is to restore.
        lg.cpu.cr0 &= ~CR0_TS;
        break;
      }
      lg.pageTables.applyFix(d.fix);
      lg.stats.pageFaultsFixed++;
      break;
    case 'emulated':
      applyEmulation(lg, d.emulation);
      break;
    case 'reflected':
      applyReflection(lg, d.reflection);
      if (d.pageFault !== undefined) lg.stats.pageFaultsReflected++;
      break;
    case 'hypercall':
      lg.hcallPending = true;
      break;
    case 'host-interrupt':
      break;
    case 'killed':
      lg.kill(d.reason);
      break;
  }
  if (lg.onEvent !== null) lg.emit({ kind: 'trap', trap, errcode, eip, cr2, action: d.action, time: lg.now });
}

/**
 * The CPU went through a gate into the Guest's kernel code itself (a direct
 * trap): the point a debugger may stop at, in the Guest's handler. The frame
 * the CPU just pushed on the ring 1 stack says where the trap came from.
 */
export function directTrapPoint(c: Cpu, vector: number, code: number, eip: number): TrapPoint {
  const hasCode = code >= 0;
  const sp = (c.segBase[2] + c.r32[ESP] + (hasCode ? 8 : 4)) >>> 0;
  const phys = peekTranslate(c, sp);
  const cs = phys < 0 ? 0 : c.mem.read16(phys);
  return {
    kind: 'trap', trap: vector, errcode: hasCode ? code : 0, cr2: c.cr2 >>> 0, eip: eip >>> 0, cs,
    eax: c.r32[EAX] >>> 0, direct: true,
  };
}
