/**
 * The x87 in the debugger: the FPU scope's variables and what setVariable
 * does to them, the `$st0`/`$fctrl` names in expressions, and `info fpu`; on
 * an FpuState set up directly (x87 instructions are not needed to look).
 */
import { describe, it, expect } from 'vitest';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { FpuState } from '../vm/cpu/fpu/state';
import { makeF80, INDEFINITE } from '../vm/cpu/fpu/float80';
import { Machine } from '../vm/machine';
import { evaluate, type EvalEnv } from './expression';
import { f80Hex } from './float80Text';
import { fpuRegister, fpuExpressionText, controlSummary, statusSummary, tagSummary, fopText } from './fpu';
import { FpuView, type Setter } from './fpuScope';
import { runMonitorCommand, cpuRegister } from './monitor';

const PI = makeF80(0, 0x4000, 0xc90fdaa22168c235n);
const ONE = makeF80(0, 0x3fff, 1n << 63n);

/** The scope's references, as the session keeps them. */
function scope(fpu: FpuState) {
  const handles = new Map<number, { children: () => DebugProtocol.Variable[]; set?: Setter }>();
  let next = 1;
  const env: EvalEnv = { register: () => undefined, symbol: () => undefined, read: () => undefined, fpu: (n) => fpuRegister(fpu, n) };
  const view = new FpuView(fpu, (children, set) => { handles.set(next, { children, set }); return next++; }, (e) => evaluate(e, env));
  const vars = () => new Map(view.variables().map((v) => [v.name, v]));
  const children = (name: string) => {
    const v = vars().get(name)!;
    const h = handles.get(v.variablesReference)!;
    return { values: new Map(h.children().map((c) => [c.name, c.value])), set: (n: string, value: string) => h.set!(n, value) };
  };
  return { view, vars, value: (name: string) => vars().get(name)!.value, children };
}

/** A state as after FNINIT with pi then 1.0 pushed: ST(0) = 1 in R6, ST(1) = pi in R7. */
function pushed(): FpuState {
  const f = FpuState.atReset();
  f.push(PI);
  f.push(ONE);
  return f;
}

describe('the FPU scope', () => {
  it('shows ST(0)..ST(7) in stack order, in decimal with the raw bits, tag and physical register', () => {
    const s = scope(pushed());
    expect([...s.vars().keys()]).toEqual(['st0', 'st1', 'st2', 'st3', 'st4', 'st5', 'st6', 'st7', 'fctrl', 'fstat', 'ftag', 'fcs', 'fip', 'fds', 'fdp', 'fop']);
    expect(s.value('st0')).toBe('1 (raw 0x3fff8000000000000000)');
    expect(s.value('st1')).toBe('3.14159265358979323851 (raw 0x4000c90fdaa22168c235)');
    expect(s.value('st2')).toBe('empty (raw 0x00000000000000000000)');
    expect(s.vars().get('st1')!.evaluateName).toBe('$st1');
    const st1 = s.children('st1').values;
    expect(Object.fromEntries(st1)).toEqual({
      value: '3.14159265358979323851', raw: '0x4000c90fdaa22168c235', tag: 'valid', physical: 'R7', class: 'normal', sign: '0',
      exponent: '0x4000 (unbiased 1)', significand: '0xc90fdaa22168c235',
    });
    expect(s.children('st0').values.get('physical')).toBe('R6');
    expect(s.children('st2').values.get('tag')).toBe('empty');
    expect(s.children('st2').values.get('value')).toBe('0 (what the empty register still holds)');
  });

  it('decodes the control, status and tag words and the pointers', () => {
    const f = pushed();
    f.fcs = 0x61; f.fip = 0xc0100123; f.fds = 0x69; f.fdp = 0xc0200000; f.fop = 0x1e8; // fld1: d9 e8
    const s = scope(f);
    expect(s.value('fctrl')).toBe('0x037f (masked IM DM ZM OM UM PM, PC 64-bit (extended), RC to nearest (even))');
    expect(s.value('fstat')).toBe('0x3000 (TOP 6, set: none)');
    expect(s.value('ftag')).toBe('0x0fff (R7 valid, R6 valid, others empty)');
    expect([s.value('fcs'), s.value('fip'), s.value('fds'), s.value('fdp'), s.value('fop')])
      .toEqual(['0x0061', '0xc0100123', '0x0069', '0xc0200000', '0x1e8 (d9 e8)']);
    expect(Object.fromEntries(s.children('fctrl').values)).toEqual({
      im: '1', dm: '1', zm: '1', om: '1', um: '1', pm: '1', pc: '3: 64-bit (extended)', rc: '0: to nearest (even)', x: '0',
    });
    expect(s.children('fstat').values.get('top')).toBe('6');
    expect(s.children('ftag').values.get('r6')).toBe('valid (st0)');
    expect(s.children('ftag').values.get('r0')).toBe('empty (st2)');
    expect(controlSummary(0x0040)).toBe('masked none, PC 24-bit (single), RC to nearest (even)');
    expect(controlSummary(0x1e7f)).toBe('masked IM DM ZM OM UM PM, PC 53-bit (double), RC toward zero (truncate), X');
    expect(statusSummary(0xc7ff)).toBe('TOP 0, set: IE DE ZE OE UE PE SF ES C0 C1 C2 C3 B');
    expect(tagSummary(0x5555)).toBe('R7 zero, R6 zero, R5 zero, R4 zero, R3 zero, R2 zero, R1 zero, R0 zero');
    expect(tagSummary(0xffff)).toBe('all empty');
    expect(fopText(0x7ff)).toBe('0x7ff (df ff)');
  });

  it('sets ST(i) from decimals, specials, raw bits or another register, tagging it from its contents', () => {
    const f = FpuState.atReset();
    const s = scope(f);
    expect(s.view.set('st0', '0.1')).toEqual({ value: '0.100000000000000000001 (raw 0x3ffbcccccccccccccccd)' });
    expect(f80Hex(f.st(0))).toBe('0x3ffbcccccccccccccccd');
    expect(f.stTag(0)).toBe(0);
    expect(s.view.set('st1', '-2e-3')).toEqual({ value: '-0.00199999999999999999992 (raw 0xbff683126e978d4fdf3b)' });
    expect(s.view.set('st2', '0x4000c90fdaa22168c235')).toEqual({ value: '3.14159265358979323851 (raw 0x4000c90fdaa22168c235)' });
    expect(s.view.set('st3', 'inf')).toEqual({ value: '+inf (raw 0x7fff8000000000000000)' });
    expect(s.view.set('st4', '-nan')).toEqual({ value: '-qnan (indefinite) (raw 0xffffc000000000000000)' });
    expect(s.view.set('st5', '0')).toEqual({ value: '0 (raw 0x00000000000000000000)' });
    expect(s.view.set('st6', '$st2')).toEqual({ value: '3.14159265358979323851 (raw 0x4000c90fdaa22168c235)' });
    expect(s.view.set('st7', '3.6e-4951')).toEqual({ value: '3.64519953188247460253e-4951 (denormal) (raw 0x00000000000000000001)' });
    // Tags from contents: valid, valid, valid, special, special, zero, valid, special.
    expect(f.tagWord).toBe(0b10_00_01_10_10_00_00_00);
    expect(s.view.set('st0', 'pi')).toEqual({ error: expect.stringMatching(/^'pi' is not a value: give a decimal number .* 20 hex digits$/) });
    expect(s.view.set('st0', '0x123')).toEqual({ error: "'0x123' has 3 hex digits; the 80 bits are 0x and 20 hex digits" });
    expect(s.view.set('st0', '$st0 + 1')).toHaveProperty('error');
    f.free(1);
    expect(s.view.set('st0', '$st1')).toEqual({ error: '$st1 is empty' });
    expect(f80Hex(f.st(0))).toBe('0x3ffbcccccccccccccccd');
    // The value as shown, edited in place: its text before the notes.
    expect(s.view.set('st5', '2.5 (raw 0x4000c90fdaa22168c235)')).toEqual({ value: '2.5 (raw 0x4000a000000000000000)' });
    expect(s.view.set('st5', '-qnan (indefinite) (raw 0x00000000000000000000)')).toEqual({ value: '-qnan (indefinite) (raw 0xffffc000000000000000)' });
    expect(s.view.set('st5', '3.64519953188247460253e-4951 (denormal)')).toEqual({ value: '3.64519953188247460253e-4951 (denormal) (raw 0x00000000000000000001)' });
    expect(s.children('st0').set('tag', 'empty')).toEqual({ error: 'set st0 itself: its fields follow from its value and the tag word' });
  });

  it('sets the words, their fields and the tags', () => {
    const f = pushed();
    const s = scope(f);
    expect(s.view.set('fctrl', '0x0c7f')).toEqual({ value: '0x0c7f (masked IM DM ZM OM UM PM, PC 24-bit (single), RC toward zero (truncate))' });
    expect(f.controlWord).toBe(0x0c7f);
    expect(s.view.set('fctrl', '0xffff')).toEqual({ value: expect.stringMatching(/^0x1f7f /) }); // reserved bits as the P6 reads them
    expect(s.children('fctrl').set('rc', '1')).toEqual({ value: '1: down (toward -inf)' });
    expect(s.children('fctrl').set('pc', '2: 53-bit (double)')).toEqual({ value: '2: 53-bit (double)' });
    expect(s.children('fctrl').set('im', '0')).toEqual({ value: '0' });
    expect(f.controlWord).toBe(0x167e);
    expect(s.children('fctrl').set('im', '2')).toEqual({ error: 'im is 0 to 1 (0x1), not 2' });
    expect(s.children('fctrl').set('nope', '1')).toEqual({ error: 'fctrl has the fields im, dm, zm, om, um, pm, pc, rc, x' });
    // IE set with IM clear: ES and B follow.
    expect(s.children('fstat').set('ie', '1')).toEqual({ value: '1' });
    expect(s.value('fstat')).toBe('0xb081 (TOP 6, set: IE ES B)');
    expect(f.exceptionPending).toBe(true);
    expect(s.children('fstat').set('es', '0')).toEqual({ error: expect.stringMatching(/^es is not stored: set while an exception flag/) });
    expect(s.children('fstat').set('top', '7')).toEqual({ value: '7' });
    expect(s.value('st0')).toMatch(/^3\.14159265358979323851 /);
    expect(s.children('fstat').set('top', '8')).toEqual({ error: 'top is 0 to 7 (0x7), not 8' });
    expect(s.children('fstat').set('c3', '1')).toEqual({ value: '1' });
    expect(f.conditionCodes).toBe(0x4000);
    expect(s.view.set('fstat', '0x3800 | 0x0100')).toEqual({ value: '0x3900 (TOP 7, set: C0)' });
    // The tag word as FLDENV takes it: 11 empties, anything else is tagged from the contents.
    expect(s.view.set('ftag', '0')).toEqual({ value: '0x0555 (R7 valid, R6 valid, R5 zero, R4 zero, R3 zero, R2 zero, R1 zero, R0 zero)' });
    expect(s.children('ftag').set('r0', 'valid')).toEqual({ value: 'zero (st1)' }); // R0 holds +0
    expect(s.children('ftag').set('r7', 'empty')).toEqual({ value: 'empty (st0)' });
    expect(s.children('ftag').set('r7', '4')).toEqual({ error: "r7's tag is 0 to 3 (0x3), not 4 (give valid, zero, special, empty or 0 to 3)" });
    expect(f.tagWord).toBe(0xc555);
    expect(s.view.set('fop', '0x7ff')).toEqual({ value: '0x7ff (df ff)' });
    expect(s.view.set('fop', '0x800')).toEqual({ error: 'fop is 0 to 2047 (0x7ff), not 2048' });
    expect(s.view.set('fip', '0xc0100000 + 4')).toEqual({ value: '0xc0100004' });
    expect(s.view.set('fcs', '0x10000')).toEqual({ error: 'fcs is 0 to 65535 (0xffff), not 65536' });
    expect(s.view.set('eax', '1')).toEqual({ error: 'the FPU scope sets st0 to st7, fctrl, fstat, ftag, fcs, fip, fds, fdp and fop' });
  });
});

describe('x87 registers in expressions', () => {
  const f = pushed();
  f.setSt(2, makeF80(1, 0x4000, 0xa000000000000000n)); // -2.5
  f.setSt(3, INDEFINITE);
  f.fop = 0x1e8;
  const env: EvalEnv = { register: (n) => (n === 'eax' ? 7 : undefined), symbol: () => undefined, read: () => undefined, fpu: (n) => fpuRegister(f, n) };
  const val = (e: string) => {
    const r = evaluate(e, env);
    return 'error' in r ? r.error : r.value;
  };

  it('gives $st0..$st7 truncated to 32-bit integers, and the words as they are', () => {
    expect(val('$st1')).toBe(3);
    expect(val('$st1 > 3')).toBe(0);
    expect(val('$ST1 == 3 && $st0 == 1')).toBe(1);
    expect(val('$st2')).toBe(0xfffffffe);
    expect(val('$st2 == -2')).toBe(1);
    expect(val('$st0 + eax')).toBe(8);
    expect(val('$fctrl')).toBe(0x037f);
    expect(val('$fstat >> 11 & 7')).toBe(6);
    expect(val('$ftag')).toBe(0x0ff8); // R0 valid, R1 special, R2-R5 empty, R6 and R7 valid
    expect(val('$fop')).toBe(0x1e8);
    expect([val('$fip'), val('$fioff'), val('$fcs'), val('$fiseg'), val('$fdp'), val('$fooff'), val('$fds'), val('$foseg')])
      .toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses what is no integer, and the names without $', () => {
    expect(val('$st3')).toBe('$st3: -qnan (indefinite) is not a number (in an integer expression $st3 is truncated to 32 bits)');
    expect(val('$st4')).toBe('$st4 is empty');
    expect(val('$st8')).toBe("unknown register '$st8'");
    expect(val('st0')).toBe("unknown name 'st0'");
    expect(val('fctrl')).toBe("unknown name 'fctrl'");
  });

  it('shows a register alone in decimal', () => {
    expect(fpuExpressionText('$st1', f)).toBe('3.14159265358979323851');
    expect(fpuExpressionText(' $ST(2) ', f)).toBe('-2.5');
    expect(fpuExpressionText('%st', f)).toBe('1');
    expect(fpuExpressionText('%st(3)', f)).toBe('-qnan (indefinite)');
    expect(fpuExpressionText('$st4', f)).toBe('empty');
    expect(fpuExpressionText('$st0 + 1', f)).toBeNull();
    expect(fpuExpressionText('$fctrl', f)).toBeNull();
  });
});

describe('info fpu', () => {
  it('lists R7..R0 with => at TOP, then the words', () => {
    const m = new Machine({ memoryMiB: 2 });
    const f = m.cpu.fpu;
    f.resetToInit();
    f.push(PI);
    f.push(ONE);
    f.setSt(2, INDEFINITE);
    f.fcs = 0x61; f.fip = 0xc0100123; f.fop = 0x1e8;
    const env: EvalEnv = { register: (n) => cpuRegister(m.cpu, n), symbol: () => undefined, read: () => undefined };
    const ctx = { cpu: m.cpu, host: null, evaluate: (e: string) => evaluate(e, env), read: () => undefined };
    const out = runMonitorCommand('info fpu', ctx)!.output;
    expect(out).toBe([
      '  R7:  Valid    st1  0x4000c90fdaa22168c235  +3.14159265358979323851',
      '=>R6:  Valid    st0  0x3fff8000000000000000  +1',
      '  R5:  Empty    st7  0x00000000000000000000',
      '  R4:  Empty    st6  0x00000000000000000000',
      '  R3:  Empty    st5  0x00000000000000000000',
      '  R2:  Empty    st4  0x00000000000000000000',
      '  R1:  Empty    st3  0x00000000000000000000',
      '  R0:  Special  st2  0xffffc000000000000000  -qnan (indefinite)',
      '',
      'Status Word:         0x3000',
      '                       TOP: 6  C3 0  C2 0  C1 0  C0 0',
      'Control Word:        0x037f  IM DM ZM OM UM PM masked',
      '                       PC: 64-bit (extended)',
      '                       RC: to nearest (even)',
      'Tag Word:            0x0ffe',
      'Instruction Pointer: 0x0061:0xc0100123',
      'Operand Pointer:     0x0000:0x00000000',
      'Opcode:              0x1e8 (d9 e8)',
    ].join('\n'));
    f.controlWord = 0x037e;
    f.raise(0x01 | 0x40);
    f.setC1(true);
    const pending = runMonitorCommand('info f', ctx)!.output.split('\n');
    expect(pending.slice(9, 12)).toEqual([
      'Status Word:         0xb2c1  IE SF ES B',
      '                       TOP: 6  C3 0  C2 0  C1 1  C0 0',
      '                       (an unmasked exception is pending: #MF at the next waiting x87 instruction)',
    ]);
    expect(runMonitorCommand('help', ctx)!.output).toContain('info fpu');
  });
});
