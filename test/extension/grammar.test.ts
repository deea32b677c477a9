/**
 * The GNU as grammar (syntaxes/lguest-asm.tmLanguage.json), run by the same TextMate engine VS Code
 * uses (vscode-textmate with the Oniguruma regex library), on lines of our own assembly.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import { Registry, INITIAL, IGrammar, parseRawGrammar } from 'vscode-textmate';

const ROOT = join(__dirname, '../..');
let grammar: IGrammar;

beforeAll(async () => {
  const wasm = readFileSync(join(ROOT, 'node_modules/vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(Uint8Array.from(wasm).buffer);
  const registry = new Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p) => new oniguruma.OnigScanner(p), createOnigString: (s) => new oniguruma.OnigString(s) }),
    loadGrammar: async (scope) => scope === 'source.lguest-asm'
      ? parseRawGrammar(readFileSync(join(ROOT, 'syntaxes/lguest-asm.tmLanguage.json'), 'utf8'), 'lguest-asm.tmLanguage.json')
      : null,
  });
  grammar = (await registry.loadGrammar('source.lguest-asm'))!;
});

/** Each token's text with the innermost scope it got. */
function tokens(line: string): [string, string][] {
  const r = grammar.tokenizeLine(line, INITIAL);
  return r.tokens.map((t) => [line.slice(t.startIndex, t.endIndex), t.scopes[t.scopes.length - 1]] as [string, string]).filter(([s]) => s.trim() !== '');
}
const scopeOf = (line: string, text: string) => tokens(line).find(([s]) => s.trim() === text)?.[1];

describe('the GNU as (i386) grammar', () => {
  it('knows labels, mnemonics, registers, immediates and memory operands', () => {
    const line = 'switch_to_guest:';
    expect(scopeOf(line, 'switch_to_guest')).toBe('entity.name.function.label.lguest-asm');
    const mov = '        movl    %esp, PAGES_host_sp(%eax)';
    expect(scopeOf(mov, 'movl')).toBe('keyword.mnemonic.lguest-asm');
    expect(scopeOf(mov, '%esp')).toBe('variable.language.register.lguest-asm');
    expect(scopeOf(mov, '%eax')).toBe('variable.language.register.lguest-asm');
    expect(scopeOf(mov, 'PAGES_host_sp')).toBe('variable.other.symbol.lguest-asm');
    const push = '        pushl   $0x1f';
    expect(scopeOf(push, '$0x1f')).toBe('constant.numeric.immediate.lguest-asm');
    expect(scopeOf('        iret', 'iret')).toBe('keyword.control.mnemonic.lguest-asm');
    expect(scopeOf('        ltr     %dx', 'ltr')).toBe('keyword.mnemonic.system.lguest-asm');
    expect(scopeOf('        movl    %ebx, %cr3', '%cr3')).toBe('variable.language.register.lguest-asm');
  });

  it('knows directives, the C preprocessor and both kinds of comment', () => {
    expect(scopeOf('        .globl  switch_to_guest', '.globl')).toBe('keyword.other.directive.lguest-asm');
    expect(scopeOf('#include "layout.h"', 'include')).toBe('keyword.control.directive.lguest-asm');
    expect(tokens('        cld             # the string instructions go up').at(-1)).toEqual(['# the string instructions go up', 'comment.line.number-sign.lguest-asm']);
    const block = grammar.tokenizeLine('        /* a comment */', INITIAL).tokens.filter((t) => t.startIndex >= 8);
    expect(block.every((t) => t.scopes.includes('comment.block.lguest-asm'))).toBe(true);
    expect(scopeOf('        .type   switch_to_guest, @function', '@function')).toBe('storage.type.lguest-asm');
  });

  it('colours every line of the Switcher and the samples without leaving text unscoped', () => {
    for (const f of ['src/vm/lguest/switcher/switcher_32.S', 'src/vm/lguest/switcher/host_32.S', 'guests/lguest/tour/kernel/entry.S', 'guests/lguest/hello_entry.S', 'guests/lguest/fuzz/entry.S', 'guests/lguest/faults/trap256.S']) {
      let state = INITIAL;
      for (const line of readFileSync(join(ROOT, f), 'utf8').split('\n')) {
        const r = grammar.tokenizeLine(line, state);
        state = r.ruleStack;
        // Every non-blank token carries a scope of ours, besides the file's own.
        for (const t of r.tokens) {
          const text = line.slice(t.startIndex, t.endIndex).trim();
          if (text !== '' && !/^[(),:]+$/.test(text)) expect(t.scopes.length, `${f}: '${text}' in: ${line}`).toBeGreaterThan(1);
        }
      }
    }
  });
});
