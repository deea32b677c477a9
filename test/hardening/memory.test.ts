/**
 * Hardening item 1: every memory size the documentation allows works, up to the largest: 2048 MiB for an
 * lguest Guest (its Host's own pages then lie above 2 GiB) and 3072 MiB for a bare kernel. Physical
 * addresses at or above 2 GiB are negative as 32-bit signed numbers, and each of these runs crashed on one.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Host } from '../../src/vm/lguest/host';
import { Machine } from '../../src/vm/machine';
import { R_S, W_S } from '../../src/vm/cpu/paging';
import { hasQemu } from '../helpers';
import { startClient, ROOT, TOUR } from '../adapter/client';

const CLI = join(ROOT, 'dist/cli.js');
const HELLO = join(ROOT, 'guests/lguest/build/hello.elf');
const BARE = join(ROOT, 'guests/bare');
const BIGMEM = join(BARE, 'build/bigmem.elf');
const HELLO_MEMORY_LINE = 'memory: 0x80000000 bytes at 0x00000000, RAM\n';

function runLguest(path: string, memoryMiB: number) {
  let output = '';
  const host = new Host({ memoryMiB, output: (b) => { output += String.fromCharCode(b); } });
  host.boot(new Uint8Array(readFileSync(path)), path);
  return { result: host.run(100_000_000), output };
}

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { timeout: 60_000 });
  return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString() };
}

/** What QEMU printed for bigmem with 3 GiB (guests/bare/README.md says how it was recorded). */
const bigmemExpected = {
  out: readFileSync(join(BARE, 'expected/bigmem.out')).toString('latin1'),
  status: Number(readFileSync(join(BARE, 'expected/bigmem.status'), 'utf8').trim()),
};

describe('hardening item 1: lguest Guests with 2048 MiB', () => {
  it('hello runs to its power-off under the Host', () => {
    const r = runLguest(HELLO, 2048);
    expect(r.result).toEqual({ kind: 'poweroff', message: 'hello: power off' });
    expect(r.output).toContain(HELLO_MEMORY_LINE);
  });

  it('tour runs to its power-off: its shadow page tables come and go above 2 GiB', () => {
    const r = runLguest(TOUR, 2048);
    expect(r.result).toEqual({ kind: 'poweroff', message: 'tour: power off' });
    expect(r.output).toMatch(/tour: every process has finished after \d+ ns\n/);
  });

  it('lguest-vm run --mem 2048 runs hello to its end', () => {
    const r = cli('run', '--mem', '2048', HELLO);
    expect(r.stdout).toContain(HELLO_MEMORY_LINE);
    expect(r.stderr).toBe('hello: power off\n');
    expect(r.status).toBe(0);
  });

  describe('the debug adapter', () => {
    let dc: DebugClient;
    afterEach(async () => { await dc?.stop(); });

    it('launches hello with memory 2048 and runs it to its end', async () => {
      dc = await startClient();
      let printed = '';
      dc.on('output', (e: DebugProtocol.OutputEvent) => { if (e.body.category === 'stdout') printed += e.body.output; });
      const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
      await Promise.all([
        dc.initializeRequest({ adapterID: 'lguest', pathFormat: 'path' }),
        dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
        dc.launchRequest({ program: HELLO, memory: 2048 } as DebugProtocol.LaunchRequestArguments),
      ]);
      expect((await exited).body.exitCode).toBe(0);
      expect(printed).toContain(HELLO_MEMORY_LINE);
    });
  });
});

describe('hardening item 1: a bare kernel with 3072 MiB, using RAM at and above 2 GiB', () => {
  function runBigmem(compileAfter?: number) {
    const bytes: number[] = [];
    const m = new Machine({ memoryMiB: 3072, output: (b) => bytes.push(b), compileAfter });
    m.bootMultiboot(new Uint8Array(readFileSync(BIGMEM)), 'bigmem');
    const result = m.run(100_000_000);
    return { out: Buffer.from(bytes).toString('latin1'), result };
  }

  it.each([['as it comes', undefined], ['every block compiled at once', 1], ['no block compiled', Infinity]])(
    'bigmem prints what QEMU prints (%s)', (_how, compileAfter) => {
      const r = runBigmem(compileAfter);
      expect(r.out).toBe(bigmemExpected.out);
      expect(r.result).toEqual({ kind: 'exit', status: bigmemExpected.status });
    });

  it('lguest-vm run --bare --mem 3072 prints the same, with the same status', () => {
    const r = cli('run', '--bare', '--mem', '3072', BIGMEM);
    expect(r.stdout).toBe(bigmemExpected.out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(bigmemExpected.status);
  });

  it('code at 2 GiB is decoded into blocks once and kept, as it is lower down', () => {
    // A countdown loop, then `out 0xf4`: the loop's block is decoded once however often it runs.
    const loop = [0xb9, 0xe8, 0x03, 0, 0, 0x49, 0x75, 0xfd, 0xb0, 0x21, 0xe6, 0xf4];
    const decoded = (memoryMiB: number, at: number) => {
      const m = new Machine({ memoryMiB });
      m.bootMultiboot(new Uint8Array(readFileSync(BIGMEM)), 'bigmem');
      m.mem.load(at, Uint8Array.from(loop));
      m.cpu.eip = at;
      expect(m.run(100_000)).toEqual({ kind: 'exit', status: 0x43 });
      return m.executor.blocksDecoded;
    };
    const low = decoded(64, 0x100000);
    expect(low).toBeGreaterThan(0);
    expect(decoded(3072, 0x80000000)).toBe(low);
  });

  it('memory beyond RAM above 2 GiB reads as all ones every time, also once its page was looked up', () => {
    const c = new Machine({ memoryMiB: 64 }).cpu;
    for (let k = 0; k < 2; k++) {
      expect(c.rdLin32(0x80000000, R_S)).toBe(-1);
      expect(c.rdLin8(0x80000004, R_S)).toBe(0xff);
      c.wrLin32(0x80000008, 0, W_S);
    }
  });

  it.runIf(hasQemu())('QEMU with 3 GiB still prints what was recorded', () => {
    const q = spawnSync(join(ROOT, 'scripts/qemu-bare.sh'), [BIGMEM], {
      timeout: 90_000, env: { ...process.env, QEMU: join(BARE, 'qemu-3g.sh') },
    });
    expect(q.stdout.toString('latin1')).toBe(bigmemExpected.out);
    expect(q.status).toBe(bigmemExpected.status);
  });
});
