/**
 * The x87 through the protocol: the FPU scope beside the registers (under the
 * lguest Host and on the bare machine), setVariable on its registers, words
 * and fields, `$st0` in watches, expressions and logpoints, and `info fpu` in
 * the debug console. The values are put there by setVariable: the sample
 * Guests do not use the x87.
 */
import { describe, it, expect, afterEach } from 'vitest';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { join } from 'node:path';
import { startClient, launchAndStop, ROOT, TOUR, TOUR_SRC } from './client';

const BARE = join(ROOT, 'guests/bare/build/hello.elf');

/** The scopes at the top frame, by name. */
async function scopes(dc: DebugClient): Promise<Map<string, DebugProtocol.Scope>> {
  const st = await dc.stackTraceRequest({ threadId: 1 });
  const sc = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
  return new Map(sc.body.scopes.map((s) => [s.name, s]));
}

async function variables(dc: DebugClient, ref: number): Promise<Map<string, DebugProtocol.Variable>> {
  const vars = await dc.variablesRequest({ variablesReference: ref });
  return new Map(vars.body.variables.map((v) => [v.name, v]));
}

/** setVariable's error message, or a failure if it succeeded. */
async function refusal(dc: DebugClient, args: DebugProtocol.SetVariableArguments): Promise<string> {
  try {
    await dc.setVariableRequest(args);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`setVariable ${args.name} = ${args.value} succeeded`);
}

const evaluate = async (dc: DebugClient, expression: string, context = 'watch') => (
  (await dc.evaluateRequest({ expression, context })).body.result
);

describe('the x87 in the debug adapter', () => {
  let dc: DebugClient;
  afterEach(async () => { await dc?.stop(); });

  it('shows, sets and evaluates the FPU under the lguest Host', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, stopOnEntry: true });
    const sc = await scopes(dc);
    // The C scopes of the frame come first (cscopes.ts), then the machine's.
    expect([...sc.keys()].filter((k) => !['Arguments', 'Locals', 'Globals'].includes(k))).toEqual(['Registers', 'FPU', 'lguest']);
    const ref = sc.get('FPU')!.variablesReference;
    let fpu = await variables(dc, ref);
    // The Guest starts with FNINIT's x87: every register empty, all exceptions masked, 64-bit, to nearest.
    expect([...fpu.keys()].slice(0, 8)).toEqual(['st0', 'st1', 'st2', 'st3', 'st4', 'st5', 'st6', 'st7']);
    expect(fpu.get('st0')!.value).toBe('empty (raw 0x00000000000000000000)');
    expect(fpu.get('fctrl')!.value).toBe('0x037f (masked IM DM ZM OM UM PM, PC 64-bit (extended), RC to nearest (even))');
    expect(fpu.get('fstat')!.value).toBe('0x0000 (TOP 0, set: none)');
    expect(fpu.get('ftag')!.value).toBe('0xffff (all empty)');

    // ST(0) from a decimal, correctly rounded; ST(1) from the raw bits of FLDPI's pi; ST(7) the smallest denormal.
    const invalidated = dc.waitForEvent('invalidated');
    const set0 = await dc.setVariableRequest({ variablesReference: ref, name: 'st0', value: '0.1' });
    expect(set0.body.value).toBe('0.100000000000000000001 (raw 0x3ffbcccccccccccccccd)');
    await invalidated;
    await dc.setVariableRequest({ variablesReference: ref, name: 'st1', value: '0x4000c90fdaa22168c235' });
    await dc.setVariableRequest({ variablesReference: ref, name: 'st2', value: '-2.5' });
    const set7 = await dc.setVariableRequest({ variablesReference: ref, name: 'st7', value: '3.6e-4951' });
    expect(set7.body.value).toBe('3.64519953188247460253e-4951 (denormal) (raw 0x00000000000000000001)');
    expect(await refusal(dc, { variablesReference: ref, name: 'st3', value: 'pi' }))
      .toMatch(/^cannot set st3: 'pi' is not a value: give a decimal number/);
    expect(await refusal(dc, { variablesReference: ref, name: 'eax', value: '1' })).toMatch(/^cannot set eax: the FPU scope sets st0 to st7/);

    fpu = await variables(dc, ref);
    expect(fpu.get('st1')!.value).toBe('3.14159265358979323851 (raw 0x4000c90fdaa22168c235)');
    expect(fpu.get('st1')!.evaluateName).toBe('$st1');
    expect(fpu.get('ftag')!.value).toBe('0xbfc0 (R7 special, R2 valid, R1 valid, R0 valid, others empty)');
    const st1 = await variables(dc, fpu.get('st1')!.variablesReference);
    expect(st1.get('tag')!.value).toBe('valid');
    expect(st1.get('physical')!.value).toBe('R1');

    // A field of the control word, through its own reference: RC down; and TOP through the status word's.
    const rc = await dc.setVariableRequest({ variablesReference: fpu.get('fctrl')!.variablesReference, name: 'rc', value: '1' });
    expect(rc.body.value).toBe('1: down (toward -inf)');
    expect(await refusal(dc, { variablesReference: fpu.get('fstat')!.variablesReference, name: 'es', value: '1' }))
      .toMatch(/^cannot set es: es is not stored/);

    // Watches: a register alone in decimal, in arithmetic truncated to an integer; the words as numbers.
    expect(await evaluate(dc, '$st1')).toBe('3.14159265358979323851');
    expect(await evaluate(dc, '$st7', 'hover')).toBe('3.64519953188247460253e-4951 (denormal)');
    expect(await evaluate(dc, '$st4')).toBe('empty');
    expect(await evaluate(dc, '$st1 * 2')).toMatch(/^0x00000006 \(6\)/);
    expect(await evaluate(dc, '$st2 == -2')).toMatch(/^0x00000001 /);
    expect(await evaluate(dc, '$fctrl')).toMatch(/^0x0000077f /);
    await expect(dc.evaluateRequest({ expression: '$st4 + 1', context: 'watch' })).rejects.toThrow('$st4 is empty');

    // The debug console: info fpu, R7..R0 with => at TOP.
    const info = (await evaluate(dc, 'info fpu', 'repl')).split('\n');
    expect(info.slice(0, 8)).toEqual([
      '  R7:  Special  st7  0x00000000000000000001  +3.64519953188247460253e-4951 (denormal)',
      '  R6:  Empty    st6  0x00000000000000000000',
      '  R5:  Empty    st5  0x00000000000000000000',
      '  R4:  Empty    st4  0x00000000000000000000',
      '  R3:  Empty    st3  0x00000000000000000000',
      '  R2:  Valid    st2  0xc000a000000000000000  -2.5',
      '  R1:  Valid    st1  0x4000c90fdaa22168c235  +3.14159265358979323851',
      '=>R0:  Valid    st0  0x3ffbcccccccccccccccd  +0.100000000000000000001',
    ]);
    expect(info).toContain('                       RC: down (toward -inf)');
    expect(info).toContain('Tag Word:            0xbfc0');

    // The values stay through a step of the Guest (which does not use the x87), and a logpoint prints $st0 in decimal.
    const stepped = dc.waitForEvent('stopped');
    await dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
    await stepped;
    expect(await evaluate(dc, '$st0')).toBe('0.100000000000000000001');
    const r = await dc.setBreakpointsRequest({
      source: { path: join(TOUR_SRC, 'kernel/sched.c') }, breakpoints: [{ line: 166, logMessage: 'st0={$st0} as integer {$st1 + 0}' }],
    });
    expect(r.body.breakpoints[0].verified).toBe(true);
    const logged = new Promise<string>((resolve) => {
      dc.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.output.startsWith('st0=')) resolve(e.body.output); });
    });
    await dc.continueRequest({ threadId: 1 });
    expect(await logged).toBe('st0=0.100000000000000000001 as integer 0x00000003\n');
  });

  it('has the FPU scope on the bare machine too', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: BARE, mode: 'bare', stopOnEntry: true });
    const sc = await scopes(dc);
    expect([...sc.keys()]).toEqual(expect.arrayContaining(['Registers', 'FPU']));
    const ref = sc.get('FPU')!.variablesReference;
    const set = await dc.setVariableRequest({ variablesReference: ref, name: 'st0', value: '-inf' });
    expect(set.body.value).toBe('-inf (raw 0xffff8000000000000000)');
    await dc.setVariableRequest({ variablesReference: ref, name: 'st1', value: '-nan' });
    await dc.setVariableRequest({ variablesReference: ref, name: 'fop', value: '0x1e8' });
    const fpu = await variables(dc, ref);
    expect(fpu.get('st1')!.value).toBe('-qnan (indefinite) (raw 0xffffc000000000000000)');
    expect(fpu.get('fop')!.value).toBe('0x1e8 (d9 e8)');
    expect(await evaluate(dc, '$st0')).toBe('-inf');
    await expect(dc.evaluateRequest({ expression: '$st0 > 0', context: 'watch' })).rejects.toThrow('$st0: -inf is not a number');
    const info = await evaluate(dc, 'info fpu', 'repl');
    expect(info).toContain('=>R0:  Special  st0  0xffff8000000000000000  -inf');
    expect(info).toContain('  R1:  Special  st1  0xffffc000000000000000  -qnan (indefinite)');
    expect(info).toContain('Opcode:              0x1e8 (d9 e8)');
  });
});
