/** The runtime stands on its own: none of its files speaks the Debug Adapter Protocol or needs VS Code. */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const FORBIDDEN = ['@vscode/debugadapter', '@vscode/debugprotocol', 'vscode'];

describe('runtime/', () => {
  it('imports nothing from the protocol libraries or vscode', () => {
    const files = readdirSync(__dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(files).toContain('debuggee.ts');
    const found: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(__dirname, f), 'utf8');
      for (const [, module] of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
        if (FORBIDDEN.some((m) => module === m || module.startsWith(`${m}/`))) found.push(`${f}: ${module}`);
      }
    }
    expect(found).toEqual([]);
  });
});
