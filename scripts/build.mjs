// Bundle the entry points with esbuild: the command line (and, as they are
// written, the extension and the debug adapter) into dist/.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entries = [
  ['src/cli.ts', 'dist/cli.js'],
  ['src/extension.ts', 'dist/extension.js'],
  ['src/debugAdapter.ts', 'dist/debugAdapter.js'],
  // A developer's tool, not part of the product: lockstep against QEMU.
  ['test/oracle/cli.ts', 'dist/oracle.js'],
  ['test/oracle/record.ts', 'dist/oracle-record.js'],
  // Another: a fuzzing campaign against the debug adapter's protocol edge.
  ['scripts/fuzz-dap.ts', 'dist/fuzz-dap.js'],
  // Another: the Host-fuzzing campaign (npm run fuzz).
  ['scripts/fuzz-host.ts', 'dist/fuzz-host.js'],
].filter(([src]) => existsSync(src));

await Promise.all(entries.map(([entry, outfile]) => build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['vscode'],
  logLevel: 'warning',
})));
