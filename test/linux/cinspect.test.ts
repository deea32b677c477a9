/**
 * C-level inspection on Linux (issue 16), through the real DAP client: the shared vmlinux's DWARF 5, read a unit
 * at a time, gives each frame its Arguments and Locals with their C types, and C expressions evaluate in the frame.
 * Every value is checked against another witness: the stack a parameter was passed on, a register, the Host's stop
 * description, System.map, or a constant of the kernel's own. Skipped with a clear title without ../shared/linux.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { startClient, launchAndStop, registers } from '../adapter/client';
import { LINUX, linuxHas, linuxTitle, symbol } from './helpers';

const HERE = linuxHas('vmlinux', 'initrd.cpio', 'System.map');
const LAUNCH = { program: join(LINUX, 'vmlinux'), initrd: join(LINUX, 'initrd.cpio'), cmdline: 'lguest_test=1', memory: 64 };
const hex8 = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');
let dc: DebugClient;
afterEach(async () => { await dc?.stop(); });

/** Continue with these function breakpoints (replacing the others) to the next stop. */
async function runTo(...names: string[]): Promise<DebugProtocol.StoppedEvent> {
  await dc.setFunctionBreakpointsRequest({ breakpoints: names.map((name) => ({ name })) });
  const s = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await dc.continueRequest({ threadId: 1 });
  return s;
}

const frames = async () => (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;

/** A frame's Arguments or Locals, by name. */
async function scope(frameId: number, name: 'Arguments' | 'Locals'): Promise<Map<string, DebugProtocol.Variable>> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const ref = scopes.find((s) => s.name === name)!.variablesReference;
  return new Map((await dc.variablesRequest({ variablesReference: ref })).body.variables.map((v) => [v.name, v]));
}

const watch = async (expression: string, frameId?: number, hex = false) =>
  (await dc.evaluateRequest({ expression, context: 'watch', frameId, format: hex ? { hex: true } : undefined })).body;

describe.skipIf(!HERE)(linuxTitle('C inspection on Linux', HERE), () => {
  it('at the first printk: vprintk_emit\'s stacked arguments, its format string, its va_list, and jiffies by printk.c\'s declaration', async () => {
    dc = await startClient();
    dc.defaultTimeout = 120_000;
    await launchAndStop(dc, LAUNCH, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'vprintk_emit' }] }));
    const st = await frames();
    expect(st[0].name).toBe('vprintk_emit');
    // The first message: lguest_init makes room for the Switcher at the top of the address space.
    expect(st.map((f) => f.name.split('+')[0])).toContain('reserve_top_address');
    const args = await scope(st[0].id, 'Arguments');
    expect([...args.values()].map((v) => [v.name, v.type])).toEqual([
      ['facility', 'int'], ['level', 'int'], ['dict', 'const char *'], ['dictlen', 'size_t'], ['fmt', 'const char *'], ['args', 'va_list'],
    ]);
    // vprintk_default's call: facility 0, LOGLEVEL_DEFAULT (-1), no dictionary; the level is in the format, KERN_INFO.
    expect(['facility', 'level', 'dict', 'dictlen'].map((n) => args.get(n)!.value)).toEqual(['0', '-1', '0x0', '0']);
    expect(args.get('fmt')!.value).toMatch(/^0x[0-9a-f]{8} "\\0016Reserving virtual address space above 0x%08lx /);
    // asmlinkage: every argument is on the stack (DW_OP_fbreg, the CFA), fmt the fifth word above the return address.
    expect((await watch('(unsigned)fmt == *(u32 *)($esp + 20)')).result).toBe('1');
    expect((await watch('*fmt')).result).toBe("1 '\\001'");
    // The format's two %08lx are read through va_list: the Switcher's 0xffc00000, and the same once rounded.
    expect((await watch('*(unsigned long *)args', undefined, true)).result).toBe('0xffc00000');
    expect((await watch('((unsigned long *)args)[1]', undefined, true)).result).toBe('0xffc00000');

    // printk.c declares jiffies (extern): typed by the declaration, at the ELF symbol's address (the linker's alias
    // of jiffies_64). No tick yet: INITIAL_JIFFIES, (unsigned int)(-300 * HZ) with HZ 250.
    const jiffies = await watch('jiffies');
    expect(jiffies.type).toBe('volatile long unsigned int');
    expect(jiffies.result).toBe(String(2 ** 32 - 300 * 250));
    expect((await watch('&jiffies')).result.split(' ')[0]).toBe(hex8(symbol('jiffies')));
    // current_task, declared in every unit that says `current`: the boot task, init_task, still.
    expect((await watch('current_task')).result).toBe(`${hex8(symbol('init_task'))} <init_task>`);
    expect((await watch('current_task->comm')).result).toBe('"swapper"');
  }, 240_000);

  it('in the first page fault the Guest handles: do_page_fault\'s register arguments, the pt_regs of ring 1', async () => {
    dc = await startClient();
    dc.defaultTimeout = 120_000;
    await launchAndStop(dc, LAUNCH, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'do_page_fault' }] }));
    const r = await registers(dc);
    const st = await frames();
    expect(st[0].name).toBe('do_page_fault');
    const args = await scope(st[0].id, 'Arguments');
    const regs = args.get('regs')!, errorCode = args.get('error_code')!;
    expect([regs.type, errorCode.type]).toEqual(['struct pt_regs *', 'long unsigned int']);
    // regparm(3): the first two arguments in eax and edx at entry, as DWARF's location lists say.
    expect(regs.value.split(' ')[0]).toBe(r.get('eax'));
    expect(errorCode.value).toBe(String(Number(r.get('edx'))));
    // mem_init's test of the WP bit: a kernel write to a read-only page (present | write), from ring 1,
    // where lguest runs the Guest kernel; the saved eip is where the caller's frame stands, as unwound.
    expect(errorCode.value).toBe('3');
    expect((await watch('regs->cs & 3')).result).toBe('1');
    const faulting = st.find((f) => f.name.startsWith('do_test_wp_bit'))!;
    expect((await watch('regs->ip', undefined, true)).result).toBe(`0x${Number(faulting.instructionPointerReference).toString(16)}`);
    // A pointer to a struct expands to its members, each with the expression that names it.
    const members = new Map((await dc.variablesRequest({ variablesReference: regs.variablesReference })).body.variables.map((v) => [v.name, v]));
    expect([...members.keys()]).toEqual(['bx', 'cx', 'dx', 'si', 'di', 'bp', 'ax', 'ds', 'es', 'fs', 'gs', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss']);
    expect(members.get('cs')!.evaluateName).toBe('regs->cs');
    expect(Number(members.get('cs')!.value) & 3).toBe(1);
  }, 240_000);

  it('in a system call and a page fault from /init: sys_newuname\'s user pointer, init_task by kernel/sys.c, a user fault\'s pt_regs', async () => {
    dc = await startClient();
    dc.defaultTimeout = 120_000;
    // `uname -a` in /init, in the Host first: the process's ebx is the buffer it passes.
    const trap = await launchAndStop(dc, LAUNCH, () => dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'syscall 122' }] }));
    expect(trap.body.description).toMatch(/^trap 128: system call 122 at /);
    const buffer = Number((await registers(dc)).get('ebx'));
    expect(buffer).toBeLessThan(0xc0000000);

    await runTo('sys_newuname');
    let st = await frames();
    // Stopped at the first instruction of SyS_newuname (sys_newuname), SYSC_newuname's inlined call has not begun
    // (gdb's rule): the frame is the out-of-line function, whose `name` (a long) is the stacked argument.
    expect(st.slice(0, 2).map((f) => f.name.split('+')[0])).toEqual(['sys_newuname', 'do_syscall_32_irqs_on']);
    const outer = (await scope(st[0].id, 'Arguments')).get('name')!;
    expect([outer.type, outer.value]).toEqual(['long int', String(buffer | 0)]);
    // One instruction on, inside the inlined SYSC_newuname: its own `name` has no location in the DWARF (gdb says
    // "optimized out" too); the caller's frame, sharing the machine frame, still has the long.
    const stepped = dc.waitForEvent('stopped');
    await dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
    await stepped;
    st = await frames();
    expect(st.slice(0, 2).map((f) => f.name.split('+')[0])).toEqual(['SYSC_newuname', 'sys_newuname']);
    const inlined = (await scope(st[0].id, 'Arguments')).get('name')!;
    expect([inlined.type, inlined.value]).toEqual(['struct new_utsname *', '<optimized out>']);
    expect((await scope(st[1].id, 'Arguments')).get('name')!.value).toBe(String(buffer | 0));
    const cast = await watch('(struct new_utsname *)name', st[1].id);
    expect([cast.type, cast.result]).toEqual(['struct new_utsname *', hex8(buffer)]);
    // do_int80_syscall_32's frame, further out: the same value is its pt_regs' bx, and orig_ax the call's number.
    const int80 = st.find((f) => f.name.startsWith('do_int80_syscall_32'))!;
    expect((await watch('regs->bx', int80.id, true)).result).toBe(`0x${buffer.toString(16)}`);
    expect((await watch('regs->orig_ax', int80.id)).result).toBe('122');
    expect((await watch('regs->cs & 3', int80.id)).result).toBe('3');
    // kernel/sys.c declares init_task (defined in init/init_task.c): found by that declaration and the ELF symbol.
    expect((await watch('init_task.pid')).result).toBe('0');
    expect((await watch('init_task.comm')).result).toBe('"swapper"');
    expect((await watch('&init_task')).result.split(' ')[0]).toBe(hex8(symbol('init_task')));
    // busybox's uname runs inside /init's shell: the current task is init, pid 1, whose parent is the boot task.
    expect((await watch('current_task->pid')).result).toBe('1');
    expect((await watch('current_task->comm')).result).toBe('"init"');
    expect((await watch('current_task->real_parent == &init_task')).result).toBe('1');
    const task = await watch('*current_task');
    expect(task.type).toBe('struct task_struct');
    const fields = new Map((await dc.variablesRequest({ variablesReference: task.variablesReference })).body.variables.map((v) => [v.name, v]));
    expect(fields.get('pid')!.value).toBe('1');
    expect(fields.get('pid')!.evaluateName).toBe('(*current_task).pid');

    // Back in do_int80_syscall_32 at the call's return address: copy_to_user has filled the buffer, which reads
    // through init's page tables.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: int80.instructionPointerReference! }] });
    const back = dc.waitForEvent('stopped');
    await dc.continueRequest({ threadId: 1 });
    await back;
    await dc.customRequest('setInstructionBreakpoints', { breakpoints: [] });
    expect((await frames())[1].name).toBe(int80.name);
    expect((await watch('current_task->pid')).result).toBe('1');
    expect((await watch('(const char *)' + buffer)).result).toBe(`${hex8(buffer)} "Linux"`);
    expect((await watch(`(const char *)${buffer} + 2 * 65`)).result).toBe(`${hex8(buffer + 130)} "4.10.17"`);

    // A page fault from user space that the Host reflects to the Guest (not one demand_page fixes by itself).
    let fault: RegExpExecArray | null = null;
    for (let i = 0; i < 400 && fault === null; i++) {
      const s = await runTo('trap 14');
      const info = (await dc.exceptionInfoRequest({ threadId: 1 })).body;
      if (/reflect it to/.test(info.description ?? '')) fault = /page fault at (0x[0-9a-f]{8}) \((read|write), user, (not present|protection)\) at (0x[0-9a-f]{8})$/.exec(s.body.description ?? '');
    }
    expect(fault).not.toBeNull();
    const [, cr2, access, why, eip] = fault!;
    const bits = (access === 'write' ? 2 : 0) | 4 | (why === 'protection' ? 1 : 0);
    // Nothing runs between the reflection and the Guest's handler that could fault into it first.
    await runTo('do_page_fault');
    st = await frames();
    const args = await scope(st[0].id, 'Arguments');
    expect(Number(args.get('error_code')!.value) & 7).toBe(bits);
    expect((await watch('regs->ip', undefined, true)).result).toBe(`0x${Number(eip).toString(16)}`);
    expect((await watch('regs->cs & 3')).result).toBe('3');
    // 4.10's common_exception takes the error code out of orig_ax and leaves -1 there.
    expect((await watch('(long)regs->orig_ax')).result).toBe('-1');
    expect(st.at(-1)!.instructionPointerReference).toBe(eip);
    // do_page_fault's `address` is optimized out; __do_page_fault, which it jumps to, has it from read_cr2.
    expect((await scope(st[0].id, 'Locals')).get('address')!.value).toBe('<optimized out>');
    await runTo('__do_page_fault');
    expect((await watch('address', undefined, true)).result).toBe(`0x${Number(cr2).toString(16)}`);
  }, 240_000);
});
