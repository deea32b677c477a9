/**
 * What the random kernels leave out, and why: the rows of the opcode map
 * never generated (from their policies in instructions.ts), the rows
 * generated only at ring 3, and the operand values avoided in rows that
 * are generated. EXCLUSIONS.md is this, printed:
 *
 *   node scripts/build.mjs && node dist/oracle.js --random --exclusions > test/oracle/random/EXCLUSIONS.md
 */
import { mapEntries, policyFor } from './instructions';
import { X87_DEPARTURES, X87_UNDEFINED } from '../x87compare';

/** What the x87 streams leave out (random/x87.ts), and why. */
export const X87_AVOIDED: [string, string][] = [
  ['FISTTP (DB /1, DD /1, DF /1)', 'SSE3\'s, after the P6: we raise #UD, QEMU runs it'],
  ['The undocumented aliases (D9 D8+i FSTP1, DC D0+i/D8+i, DD C8+i, DE D0+i, DF C0+i FFREEP, DF C8+i/D0+i/D8+i) and the 8087/287 no-ops (DB E0, E1, E4)', 'not in the manual: nothing to hold either machine to'],
  ['FLDCW of the reserved control-word bits (6, 7, 13-15)', 'reserved: QEMU keeps them as loaded, we read them as the P6 does (bit 6 one, the others zero)'],
  ['A FLDCW that changes the exception masks while a flag is set', 'QEMU does not recompute ES (es-stale below): the kernels execute FNCLEX first'],
  ['A waiting x87 instruction while an unmasked exception is pending', 'QEMU takes #MF only at WAIT (mf-at-wait below): after an instruction with unmasked exceptions only FNSTSW, FNSTENV, then FWAIT, FNCLEX or FNINIT run'],
  ['x87 stores that cross into a page where they fault', 'QEMU writes the bytes up to the fault: stores aim at the read-write scratch pages only (loads reach the neighbours too)'],
  ['CR0.NE = 0', 'with NE = 0 a pending exception goes to FERR#/IRQ 13 at FWAIT (QEMU, which then shut down in a trial), while this machine has no FERR# and leaves it pending: the x87 kernels set NE, and their MOV CR0 never clears it'],
];

/**
 * Where QEMU 7.2 departs from the manual on every kernel, not only the random ones, and each
 * comparison with it (lockstep, its log, the recorded checkpoints, our machine alone next to
 * them) adjusts ours instead of leaving cases out: what QEMU does, the manual's rule,
 * and how.
 */
export const ADJUSTED: { what: string; rule: string; how: string }[] = [
  {
    what: 'EFLAGS.RF is pushed as it is in every frame',
    rule: 'SDM Vol. 3 §17.3.1.1: RF = 1 in the frame of a fault-class exception other than an instruction breakpoint\'s #DB, and of an interrupt or trap between two iterations of a REP string, so that the instruction restarts without its instruction breakpoint firing again (QEMU 8.1 sets it for faults)',
    how: 'qemuRf.ts clears the bit in our frame as it is pushed, where ours set it and EFLAGS had it clear; src/vm/cpu/debugregs.test.ts holds ours to the manual',
  },
];

/** Cases avoided inside generated rows: what, and why. */
export const AVOIDED: [string, string][] = [
  ['Memory operands outside the scratch pages (and their neighbours), the stack and the code', 'random stores would overwrite the kernel\'s own code, page tables and IDT: addresses come only from registers known to point into scratch memory (operands.ts)'],
  ['Accesses through a null, code, or 16-bit-limit segment; writes through CS', 'QEMU checks nothing on an access (no limit, type or null-selector check): loads of such selectors are generated (their checks are compared), accesses through them are not'],
  ['The LDTR the loader leaves (the reset state: base 0, limit 0xFFFF, usable)', 'an LDT selector would read a descriptor from the first page, whose contents differ (QEMU has BIOS data there): the kernel loads a null LDTR first'],
  ['The first MiB of memory', 'unmapped: QEMU has ROM and holes there where we have RAM; a stray access faults alike in both'],
  ['POPF, IRET of values off the stack', 'TF would make single steps mean something else, NT would make IRET a task switch; the flags popped are always ones the generator pushed (IF, TF, NT clear)'],
  ['Far transfers to a TSS selector (task switches)', 'task switches are not emulated; task gates neither'],
  ['SHLD/SHRD with a 16-bit operand and a count above 16', 'the result is undefined (the flags are masked, the result would not be)'],
  ['Writes to ESP other than through the stack instructions (ring 0)', 'a wild ESP at ring 0 makes the next exception a triple fault, which ends the run; at ring 3 a bad stack faults to the ring-0 stack and the run goes on'],
  ['LEAVE without a frame pointer in EBP (ring 0)', 'the same: ESP would be wild'],
  ['REP counts above 15', 'each iteration is a step: long strings would crowd out everything else'],
  ['IN/OUT other than ports 0xE9 (bytes only), 0xE0, 0xEC, 0x108, 0x2F0', 'QEMU has devices at many ports where we have open bus (and OUT could reprogram its PIC, PIT or reset it)'],
  ['RDMSR/WRMSR of MSRs other than SYSENTER_CS/ESP/EIP (ring 0)', 'the MSRs each machine has differ by design; WRMSR writes back the values the kernel set. IA32_APIC_BASE (1BH) among them: QEMU has a local APIC (FEE00900H, EN set) and takes a write to its reserved bits without #GP(0) (SDM Vol. 2 WRMSR, Vol. 3 §10.4.4); this machine has none (FEE00100H), src/vm/cpu/ops/system.test.ts checks it'],
  ['MOV to CR0/CR4 of other bits than MP, EM, TS, NE / TSD, DE, PSE, PGE; MOV CR3 of another page directory', 'the kernel must go on running: paging, protection and caching stay as they are'],
  ['MOV to DR7 other than in the DR-armed streams (templates.ts debugBreakpoints)', 'random values would arm breakpoints anywhere (on the kernel\'s own code and stack). The streams arm them at ring 0 (CR4.DE, DR0-DR3, DR6, DR7) over the instructions that follow, and set DR7 = 0 before they end; the #DB handler reads DR6 into EDX (compared) and clears DR6 and DR7, so no case starts armed'],
  ['DR7.GD (general detect)', 'SDM Vol. 3 §17.2.4: with GD set, MOV to or from a debug register is a #DB fault with BD, and GD is cleared on entry to the handler; QEMU 7.2 has no GD (the MOV runs). The streams never set GD'],
  ['A data or I/O breakpoint whose DRn is not aligned to its length; LEN 10B (8 bytes)', 'SDM Vol. 3 §17.2.5: DRn\'s low bits are ignored, the range is aligned to its length; QEMU 7.2 matches from the unaligned address. LEN 10B is undefined on the P6. The streams align DRn (LEN 1, 2, 4)'],
  ['A misaligned access against a data breakpoint', 'SDM Vol. 3 §17.2.5: an access matches when one of its own bytes falls in the range; QEMU 7.2 matches misaligned accesses against bytes they do not touch. Every access of the streams is aligned to its size (1, 2, 4)'],
  ['R/W 10B without CR4.DE', 'SDM Vol. 3 §17.2.4: undefined without DE (ours stores it and fires nothing); QEMU 7.2 takes it as an I/O breakpoint. The streams set CR4.DE before they arm an I/O breakpoint, and a slot not enabled is a data one'],
  ['Two breakpoints that one access, port access or instruction matches', 'SDM Vol. 3 §17.2.3: B0-B3 report every breakpoint whose condition was met; QEMU 7.2 sets only one. Each breakpoint of a stream has its own 16-byte slot of scratch memory, its own port range, its own instruction, and no access of 1, 2 or 4 aligned bytes reaches two slots'],
  ['An instruction breakpoint on the instruction after one that may trap (a data or I/O access); a slot not enabled whose DRn is an instruction\'s address', 'SDM Vol. 3 §17.2.3, §17.3.1.1: a trap\'s DR6 reports the breakpoints met by the instruction that trapped (the next one has not begun: its breakpoint is a fault when it does), and only enabled ones; QEMU 7.2 compares every R/W 00 slot with EIP at each #DB, so a data trap followed by an instruction breakpoint reports both, and a slot not enabled sets its Bn. The instruction before an instruction breakpoint is INC, NOT or NOP; the slots not enabled hold scratch addresses'],
  ['REP strings, MOV SS/POP SS and TF in a DR-armed stream', 'QEMU 7.2 departs from SDM Vol. 3 §17.3.1 there: the last REP iteration\'s data trap with EIP still on the string and RF = 0 pushed mid-string; MOV SS\'s data breakpoint reported at once, not after the next instruction (§6.8.3); B0 with BS for a single step onto a breakpoint; a single step with a data breakpoint delivered at wrong EIPs. The streams hold none of them (EFLAGS.TF is never set anywhere)'],
  ['AND/OR/XOR, IMUL (undefined flags) in a DR-armed stream', 'a data or I/O trap pushes EFLAGS as the instruction left them, undefined flags included, and the handler\'s registers are compared: the stream\'s read-modify-writes are ADD, ADC, SUB, SBB (CMP reads), its other instructions INC, NOT, NOP'],
  ['MOV to DR6 of a value with bit 12 set', 'the manual has DR6 bit 12 reserved as 0 (we read it back as 0); QEMU keeps the bit as written'],
  ['LGDT/LIDT at ring 0 of other tables than the current ones', 'the kernel\'s own GDT and IDT must stay'],
  ['BT/BTS/BTR/BTC with a memory operand and a register offset other than a small one', 'the offset reaches up to 256 MiB away: the access could land anywhere'],
  ['CR0.AM', 'QEMU does no alignment checks (#AC)'],
  ['ARPL with a memory operand', 'QEMU writes the operand back even when the RPL is not adjusted (the page\'s Dirty bit then differs); the manual writes only when it adjusts'],
  ['A read-modify-write operand (ADD [m], r; BTS [m], r...) on a page where it faults', 'QEMU reads it as a read and then writes: on a not-present or supervisor page its #PF error code says read, and on a read-only page it has set the Accessed bit before the write faults. We (and Bochs) check the write on the read'],
  ['LOCK where the manual says #UD (on a register, on MOV...)', 'QEMU 7.2 runs some of those (LOCK MOV r,r) and aborts on others (LOCK BTR r,r: "tcg fatal error")'],
  ['LTR of a null selector', 'QEMU 7.2 loads it (TR becomes unusable); the manual says #GP(0)'],
  ['A code segment with a limit below 4 GiB (every code descriptor of the kernels is flat)', 'QEMU 7.2 checks no instruction fetch against CS\'s limit (code runs off the end, an instruction straddles the limit), nor the targets of near JMP, Jcc, CALL, RET, far RET and IRET, and a far CALL past the limit raises #GP(selector): the manual has #GP(0) for all (SDM Vol. 3 §5.3; Vol. 2 JMP, Jcc, CALL, RET, IRET). src/vm/cpu/segments.test.ts checks ours against the manual; guests/bare/stackcs compares with QEMU where it agrees (code up to the limit, far JMP past it)'],
  ['A 16-bit or window-based stack (STACK16, WINDOW32) at ring 0 other than in the mixed-stack template', 'random loads of SS at ring 0 keep to the flat segment, for the case starts address the flat stack; the template (templates.ts mixedStack) goes onto the 16-bit stack by POP SS, LSS or MOV SS from a 32-bit one, pushes and pops there with ESP\'s upper half random, and comes back by POP SS (wrapping SP, or carrying out of it), LSS or MOV SS, or by a POP SS that faults (the handlers then go back to the flat stack). No access straddles the 16-bit stack\'s wrap (QEMU checks no limit). At ring 3, random SS loads take them too'],
  ['The Accessed/Dirty bits of the stack pages (only those of the scratch pages are compared)', 'ENTER checks that a write at its final ESP would not fault: Bochs and we do that with a write check that sets the page\'s D bit; QEMU does not check'],
];

/**
 * Divergences that are bugs of ours (the manual, or both references, say
 * otherwise): the generator avoids their cases unless asked (--known-bugs),
 * so that long runs find the next one. Remove an entry once it is fixed.
 */
export const KNOWN_BUGS: { id: string; what: string; avoided: string }[] = [];

/** The exclusion table, as Markdown. */
export function exclusionsMarkdown(): string {
  const never: string[] = [], ring3: string[] = [], missing: string[] = [];
  const byReason = new Map<string, string[]>();
  const byRing3 = new Map<string, string[]>();
  for (const e of mapEntries()) {
    const p = policyFor(e);
    const name = `\`${e.key}\` ${e.row.mnem}`;
    if (p === undefined) missing.push(name);
    else if (p.excluded !== undefined) byReason.set(p.excluded, [...(byReason.get(p.excluded) ?? []), name]);
    else if (p.ring3Only !== undefined) byRing3.set(p.ring3Only, [...(byRing3.get(p.ring3Only) ?? []), name]);
  }
  for (const [why, rows] of byReason) never.push(`| ${rows.join(', ')} | ${why} |`);
  for (const [why, rows] of byRing3) ring3.push(`| ${rows.join(', ')} | ${why} |`);
  return [
    '# What the random kernels leave out',
    '',
    'Printed by `node dist/oracle.js --random --exclusions` from `test/oracle/random/exclusions.ts` and the',
    'policies in `instructions.ts`; do not edit by hand. Every other row of the opcode map is generated, at',
    'ring 0 and at ring 3.',
    '',
    '## Rows never generated',
    '',
    '| rows | why |',
    '| --- | --- |',
    ...never,
    '',
    '## Rows generated only at ring 3 (where they fault before doing anything)',
    '',
    '| rows | why not at ring 0 |',
    '| --- | --- |',
    ...ring3,
    '',
    '## Operand values avoided in the rows that are generated',
    '',
    '| what | why |',
    '| --- | --- |',
    ...AVOIDED.map(([what, why]) => `| ${what} | ${why} |`),
    '',
    '## Where QEMU 7.2 departs everywhere, and the comparisons adjust ours',
    '',
    '| QEMU 7.2 | the manual | how |',
    '| --- | --- | --- |',
    ...ADJUSTED.map((a) => `| ${a.what} | ${a.rule} | ${a.how} |`),
    '',
    '## Bugs of ours, avoided until fixed (`--known-bugs` generates them)',
    '',
    '| bug | avoided how |',
    '| --- | --- |',
    ...KNOWN_BUGS.map((b) => `| ${b.what} | ${b.avoided} |`),
    '',
    '## x87: where QEMU 7.2 departs from the manual',
    '',
    'Found by the x87 streams (`--random --x87`) and checked against the SDM; `x87compare.ts` masks exactly what each',
    'touches, for the instruction where it happens, and copies QEMU\'s values into ours so both go on alike.',
    '',
    '| id | QEMU 7.2 | the manual | how the comparison deals with it |',
    '| --- | --- | --- | --- |',
    ...X87_DEPARTURES.map((d) => `| ${d.id} | ${d.what} | ${d.rule} | ${d.how} |`),
    '',
    '## x87: what the manual leaves undefined (masked, QEMU\'s copied)',
    '',
    '| what | where the manual says so |',
    '| --- | --- |',
    ...X87_UNDEFINED.map(([what, why]) => `| ${what} | ${why} |`),
    '',
    '## x87: what the x87 streams leave out',
    '',
    '| what | why |',
    '| --- | --- |',
    ...X87_AVOIDED.map(([what, why]) => `| ${what} | ${why} |`),
    ...(missing.length > 0 ? ['', '## Rows without a policy (add one in instructions.ts)', '', ...missing.map((m) => `- ${m}`)] : []),
    '',
  ].join('\n');
}
