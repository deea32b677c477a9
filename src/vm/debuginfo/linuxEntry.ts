/**
 * Through Linux's i386 entry code, which has no call frame information in
 * 4.10 (entry_32.S lost its CFI annotations in 4.2). Every way into that
 * kernel (a system call, an exception, an interrupt) pushes a struct pt_regs
 * and calls C with %esp pointing at it, so when a C function's return
 * address lies in the entry code, the stack pointer after that return is the
 * pt_regs, and the interrupted context is in it: its eip, cs and, from ring 3
 * only (the CPU pushes them only on a change of privilege), its esp and ss.
 */
import type { FrameRegisters, Read32, UnwoundFrame } from './unwind';

/** struct pt_regs of Linux 4.10, i386 (arch/x86/include/asm/ptrace.h): the offset of each field. */
export const PT_REGS = {
  bx: 0, cx: 4, dx: 8, si: 12, di: 16, bp: 20, ax: 24, ds: 28, es: 32, fs: 36, gs: 40, orig_ax: 44,
  ip: 48, cs: 52, flags: 56, sp: 60, ss: 64,
} as const;

/**
 * The entry code (between __entry_text_start and __entry_text_end) that
 * calls C with %esp at the pt_regs: syscalls, exceptions, interrupts, the
 * way back to user mode, the child's first return from fork.
 */
export const LINUX_ENTRY_SYMBOLS: ReadonlySet<string> = new Set([
  'ret_from_fork', 'ret_from_exception', 'ret_from_intr', 'resume_userspace', 'entry_SYSENTER_32', 'entry_INT80_32',
  'common_interrupt', 'common_exception', 'debug', 'nmi', 'int3',
  // BUILD_INTERRUPT's (entry_arch.h): push the vector, SAVE_ALL, call smp_NAME.
  'reschedule_interrupt', 'call_function_interrupt', 'call_function_single_interrupt', 'irq_work_interrupt',
  'apic_timer_interrupt', 'x86_platform_ipi', 'error_interrupt', 'spurious_interrupt', 'thermal_interrupt',
  'threshold_interrupt', 'deferred_error_interrupt', 'kvm_posted_intr_ipi', 'kvm_posted_intr_wakeup_ipi',
]);

const POP_EAX = 0x58;

/**
 * The interrupted context, from the pt_regs under a C function's return
 * into the entry code: `regs` are the registers of the entry code's frame
 * (eip the return address), `symbol` the entry symbol it is in. Null when
 * the pt_regs cannot be read or do not look like one (a selector with bits
 * above 16, a kernel-mode ip of 0).
 */
export function unwindPtRegs(symbol: string, regs: FrameRegisters, read32: Read32): UnwoundFrame | null {
  // ret_from_fork pushes %eax around its call to schedule_tail: pt_regs are one word up until the `pop %eax`.
  const afterPush = symbol === 'ret_from_fork' && ((read32(regs.eip) ?? 0) & 0xff) === POP_EAX;
  const at = (regs.esp + (afterPush ? 4 : 0)) >>> 0;
  const field = (name: keyof typeof PT_REGS) => read32((at + PT_REGS[name]) >>> 0);
  const ip = field('ip'), cs = field('cs'), bp = field('bp');
  if (ip === null || cs === null || bp === null || cs >>> 16 !== 0 || cs === 0) return null;
  // From ring 3 the CPU pushed the user's esp; from the kernel's own ring the stack simply continues above the frame.
  const fromUser = (cs & 3) === 3;
  const sp = fromUser ? field('sp') : (at + PT_REGS.sp) >>> 0;
  if (sp === null || (!fromUser && ip === 0)) return null;
  const out: UnwoundFrame = { eip: ip, esp: sp, ebp: bp, method: 'pt-regs', trapped: true };
  for (const [name, reg] of [['ax', 'eax'], ['bx', 'ebx'], ['cx', 'ecx'], ['dx', 'edx'], ['si', 'esi'], ['di', 'edi']] as const) {
    const v = field(name);
    if (v !== null) out[reg] = v;
  }
  return out;
}
