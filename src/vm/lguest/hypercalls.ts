/**
 * Hypercalls (lguest's hypercalls.c): the Guest's way of asking the Host.
 *
 * A hypercall is "int $0x1f" with the call number in EAX and up to four
 * arguments in EBX, ECX, EDX and ESI. Those are the first five words of the
 * saved registers, so the Host reads them straight from the register page.
 * Calls that can wait (page table updates, mostly) go into a 64-slot ring
 * in lguest_data instead, and the Host runs them all before the next
 * synchronous call: one trip through the Switcher for a whole batch.
 *
 * The Guest must introduce itself first (LGUEST_INIT). A call the Host
 * does not know, or one with arguments it cannot accept, kills the Guest:
 * there is no error to return to a kernel that got its own ABI wrong.
 */
import { Lguest, hexC } from './lguest';
import {
  LHCALL, LGUEST_DATA, LGUEST_DATA_SIZE, LHCALL_RING_SIZE, HCALL_ARGS_SIZE, TSC_KHZ, RESERVE_MEM, SWITCHER_ADDR,
  LGUEST_SHUTDOWN_POWEROFF, LGUEST_SHUTDOWN_RESTART, SHUTDOWN_MSG_MAX,
} from './layout';
import { loadGuestIdtEntry, guestSetClockevent, guestSetStack } from './traps';
import { couldBeSyscall } from './decide';
import { loadGuestGdtEntry, guestLoadTls } from './segments';

type Args = [number, number, number, number, number];

/** do_hcall: one call, synchronous or from the ring. */
function doHcall(lg: Lguest, a: Args, fromRing: boolean): void {
  const [nr, a1, a2, a3] = a;
  lg.stats.countHypercall(nr);
  if (lg.onEvent !== null) lg.emit({ kind: 'hypercall', nr, args: [a1, a2, a3, a[4]], async: fromRing, time: lg.now });
  const pt = lg.pageTables;
  switch (nr) {
    case LHCALL.FLUSH_ASYNC:
    case LHCALL.SEND_INTERRUPTS:
      // Nothing: the trap itself drained the ring and lets interrupts in.
      break;
    case LHCALL.LGUEST_INIT:
      lg.kill('already have lguest_data');
      break;
    case LHCALL.SHUTDOWN: {
      const bytes = lg.readBytes(a1, SHUTDOWN_MSG_MAX);
      bytes[SHUTDOWN_MSG_MAX - 1] = 0;
      const end = bytes.indexOf(0);
      const msg = new TextDecoder().decode(bytes.subarray(0, end));
      if (a2 === LGUEST_SHUTDOWN_RESTART) lg.dead = { kind: 'restart', message: msg };
      else if (a2 === LGUEST_SHUTDOWN_POWEROFF) { if (lg.dead === null) lg.dead = { kind: 'poweroff', message: msg }; }
      else lg.kill(`CRASH: ${msg}`);
      break;
    }
    case LHCALL.FLUSH_TLB:
      if (a1 !== 0) pt.clearAll();
      else pt.flushUser();
      break;
    case LHCALL.NEW_PGTABLE:
      pt.newPagetable(a1);
      break;
    case LHCALL.SET_STACK:
      guestSetStack(lg, a1, a2, a3);
      break;
    case LHCALL.SET_PTE:
      pt.setPte(a1, a2, a3);
      break;
    case LHCALL.SET_PGD:
      pt.setPgd(a1, a2);
      break;
    case LHCALL.SET_CLOCKEVENT:
      guestSetClockevent(lg, a1);
      break;
    case LHCALL.TS:
      // From the next entry on, the Guest runs with CR0.TS as it asked, and its #NM is its own (decide.ts).
      lg.ts = a1;
      break;
    case LHCALL.HALT:
      lg.halted = true;
      break;
    // lguest_arch_do_hcall: the x86 calls.
    case LHCALL.LOAD_GDT_ENTRY:
      loadGuestGdtEntry(lg, a1, a2, a3);
      break;
    case LHCALL.LOAD_IDT_ENTRY:
      loadGuestIdtEntry(lg, a1, a2, a3);
      break;
    case LHCALL.LOAD_TLS:
      guestLoadTls(lg, a1);
      break;
    default:
      lg.kill(`Bad hypercall ${nr | 0}`);
  }
}

/**
 * do_async_hcalls: run the ring's ready slots in order, from where we
 * stopped last time, marking each done. A status other than 0xff is ready.
 */
function doAsyncHcalls(lg: Lguest): void {
  const base = lg.lguestData!;
  const status = lg.mem.slice(base + LGUEST_DATA.hcall_status, LHCALL_RING_SIZE);
  for (let i = 0; i < LHCALL_RING_SIZE; i++) {
    const n = lg.nextHcall;
    if (status[n] === 0xff) break;
    lg.nextHcall = (n + 1) % LHCALL_RING_SIZE;
    const at = base + LGUEST_DATA.hcalls + n * HCALL_ARGS_SIZE;
    const args: Args = [0, 0, 0, 0, 0];
    for (let k = 0; k < 5; k++) args[k] = lg.mem.read32(at + k * 4) >>> 0;
    doHcall(lg, args, true);
    lg.mem.write8(base + LGUEST_DATA.hcall_status + n, 0xff);
  }
}

/**
 * initialize: LGUEST_INIT, the Guest's first call. lguest_data must lie in
 * Guest memory; we fill in our half (tsc_khz, time, reserve_mem) and read
 * the Guest's (noirq_iret, kernel_address, syscall_vec), then start the
 * shadow page tables afresh.
 */
function initialize(lg: Lguest, nr: number, arg1: number): void {
  if (nr !== LHCALL.LGUEST_INIT) {
    lg.kill(`hypercall ${nr | 0} before INIT`);
    return;
  }
  lg.stats.countHypercall(nr);
  if (lg.onEvent !== null) {
    lg.emit({ kind: 'hypercall', nr, args: [arg1, lg.reg('ecx'), lg.reg('edx'), lg.reg('esi')], async: false, time: lg.now });
  }
  if (!lg.addressOk(arg1, LGUEST_DATA_SIZE)) {
    lg.kill(`bad guest page ${hexC(arg1)}`);
    return;
  }
  lg.lguestData = arg1 >>> 0;
  lg.dataWrite('tsc_khz', TSC_KHZ);
  if (!couldBeSyscall(lg.dataRead('syscall_vec'))) {
    lg.kill('bad syscall vector');
    return;
  }
  lg.noirqIret = lg.dataRead('noirq_iret');
  lg.writeTimestamp();
  lg.kernelAddress = lg.dataRead('kernel_address');
  lg.dataWrite('reserve_mem', RESERVE_MEM);
  if (lg.kernelAddress >= SWITCHER_ADDR) {
    lg.kill(`bad kernel address ${hexC(lg.kernelAddress)}`);
    return;
  }
  lg.pageTables.clearAll();
}

/** do_hypercalls: the synchronous call in the registers, after whatever waits in the ring. */
export function doHypercalls(lg: Lguest): void {
  const args: Args = [lg.reg('eax'), lg.reg('ebx'), lg.reg('ecx'), lg.reg('edx'), lg.reg('esi')];
  lg.hcallPending = false;
  if (lg.lguestData === null) {
    initialize(lg, args[0], args[1]);
    return;
  }
  doAsyncHcalls(lg);
  doHcall(lg, args, false);
}

