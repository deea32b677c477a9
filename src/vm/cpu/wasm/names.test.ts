/**
 * The compiled functions carry names (emit.ts `names`): a stack trace or a CPU profile taken inside
 * compiled code says which Guest code it was in (`eip_1005`), and which of the tier's own functions
 * (`dispatch`), instead of `wasm-function[7]`.
 */
import { describe, it, expect } from 'vitest';
import { makeCpu, CODE } from '../../../../test/cpu/harness';
import { Executor } from '../executor';

describe('compiled functions are named', () => {
  it('a device that throws from inside a compiled loop shows the loop by its Guest address in the stack', () => {
    // mov ecx, 1000; loop: out 0x80, al; dec ecx; jnz loop; hlt
    const t = makeCpu('b9e8030000 e680 49 75fb');
    t.exec = new Executor(t.cpu, { compileAfter: Infinity, wasmAfter: 10, wasmBatch: 1 });
    let writes = 0;
    t.io.register(0x80, 1, {
      read: () => 0,
      write: () => { if (++writes === 500) throw new Error('the device broke'); },
    });
    let stack = '';
    try { t.run(100_000); } catch (e) { stack = (e as Error).stack ?? ''; }
    expect(stack).toContain('the device broke');
    expect(stack).toMatch(new RegExp(`\\beip_${(CODE + 5).toString(16)}\\b`));
    expect(stack).toMatch(/\bdispatch\b/);
    expect(t.exec.wasmEntries).toBeGreaterThan(0);
  });
});
