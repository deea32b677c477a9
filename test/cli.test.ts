/** The lguest-vm command, end to end: what it prints where, and its exit statuses. */
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist/cli.js');
const HELLO = join(ROOT, 'guests/bare/build/hello.elf');

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { timeout: 60_000 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}
const TEMP = mkdtempSync(join(tmpdir(), 'lguest-vm-'));
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));
function tempFile(name: string, bytes: Uint8Array): string {
  const p = join(TEMP, name);
  writeFileSync(p, bytes);
  return p;
}

describe('lguest-vm run', () => {
  it('prints only what the guest printed on stdout and exits with its isa-debug-exit status', () => {
    const r = run('run', '--bare', HELLO);
    expect(r.stdout).toBe(readFileSync(join(ROOT, 'guests/bare/expected/hello.out'), 'utf8'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
  });

  it('--stats reports instructions, time, MIPS and exceptions on stderr', () => {
    const r = run('run', '--bare', '--stats', join(ROOT, 'guests/bare/build/paging.elf'));
    expect(r.stderr).toMatch(/^instructions: \d+$/m);
    expect(r.stderr).toMatch(/^wall time: [\d.]+ s$/m);
    expect(r.stderr).toMatch(/^guest MIPS: [\d.]+$/m);
    expect(r.stderr).toMatch(/^vector 14 page fault \(#PF\): \d+$/m);
    // Where they ran: paging.elf's loops are hot enough to be compiled, its start-up is not.
    const interpreted = Number(/^instructions interpreted: (\d+)$/m.exec(r.stderr)?.[1]);
    const total = Number(/^instructions: (\d+)$/m.exec(r.stderr)?.[1]);
    expect(interpreted).toBeGreaterThan(0);
    expect(interpreted).toBeLessThan(total);
    expect(r.stderr).toMatch(/^blocks decoded: \d+; compiled to WebAssembly: [1-9]\d*, in [1-9]\d* modules \(\d+ loops as regions\); entered [1-9]\d* times$/m);
  });

  it('stops at --max-instructions with status 124', () => {
    const r = run('run', '--bare', '--max-instructions', '1000', HELLO);
    expect(r.status).toBe(124);
    expect(r.stderr).toMatch(/stopped after 1000 instructions/);
  });

  it('stops a triple-faulting guest with status 2 and says why', () => {
    const r = run('run', '--bare', join(ROOT, 'guests/bare/build/triplefault.elf'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^lguest-vm: guest stopped: triple fault/);
  });

  it('refuses a missing image with status 64', () => {
    const r = run('run', '--bare', '/nonexistent/kernel.elf');
    expect(r.status).toBe(64);
    expect(r.stderr).toBe('lguest-vm: cannot read /nonexistent/kernel.elf: no such file\n');
  });

  it('refuses a file that is not ELF', () => {
    const r = run('run', '--bare', tempFile('junk.bin', new TextEncoder().encode('this is not a kernel')));
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/not an ELF file/);
  });

  it('refuses a 64-bit ELF', () => {
    const elf = new Uint8Array(readFileSync(HELLO));
    elf[4] = 2;
    const r = run('run', '--bare', tempFile('k64.elf', elf));
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/64-bit ELF; only 32-bit i386 images run here/);
  });

  it('refuses an ELF for another machine', () => {
    const elf = new Uint8Array(readFileSync(HELLO));
    elf[18] = 40; // EM_ARM
    const r = run('run', '--bare', tempFile('arm.elf', elf));
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/machine 40, not i386/);
  });

  it('refuses a kernel that does not fit in memory', () => {
    // Make the first loadable segment 256 MiB long (p_memsz of program header 0).
    const elf = new Uint8Array(readFileSync(HELLO));
    const dv = new DataView(elf.buffer);
    const phoff = dv.getUint32(28, true);
    dv.setUint32(phoff + 20, 0x10000000, true);
    const r = run('run', '--bare', '--mem', '64', tempFile('huge.elf', elf));
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/does not fit in 64 MiB of memory/);
  });

  it('refuses a truncated image', () => {
    const elf = new Uint8Array(readFileSync(HELLO)).subarray(0, 600);
    const r = run('run', '--bare', tempFile('short.elf', elf));
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/runs past the end of the file/);
  });

  it('refuses bad arguments with status 64', () => {
    for (const args of [['run'], ['frobnicate', HELLO], ['run', '--mem', 'lots', HELLO], ['run', '--max-instructions', '-5', HELLO], ['run', '--bogus', HELLO]]) {
      const r = run(...args);
      expect(r.status, args.join(' ')).toBe(64);
      expect(r.stderr, args.join(' ')).toMatch(/^lguest-vm: /);
    }
  });

  it('hardening item 9: says what is wrong with a command line in one line, and --help gives the usage', () => {
    const cases: [string[], string][] = [
      [['run', '--bogus', HELLO], 'unknown option --bogus (lguest-vm --help lists the options)'],
      [['run', HELLO, '--mem'], '--mem wants a value'],
      [['run', '--stats=yes', HELLO], '--stats takes no value'],
      [['run', HELLO, 'extra'], "run takes one IMAGE, not also 'extra' (quote a --cmdline with spaces)"],
      [['run'], 'run wants an IMAGE: lguest-vm run IMAGE'],
      [[], 'nothing to do: lguest-vm run IMAGE runs a Guest (--help lists the options)'],
      [['frobnicate', HELLO], "unknown command 'frobnicate': the command is lguest-vm run IMAGE"],
      [['run', '--mem', '0', HELLO], "--mem wants a whole number from 2 to 2048, not '0'"],
      [['run', '--bare', '--mem', '1', HELLO], "--mem wants a whole number from 2 to 3072, not '1'"],
      [['run', ROOT], `cannot read ${ROOT}: it is a directory, not a kernel image`],
    ];
    for (const [args, line] of cases) {
      const r = run(...args);
      expect(r.stderr, args.join(' ')).toBe(`lguest-vm: ${line}\n`);
      expect(r.status, args.join(' ')).toBe(64);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: lguest-vm run IMAGE \[options\]\n/);
  });

  it('hardening item 9: --version prints the version of the package', () => {
    const r = run('--version');
    expect(r.stdout).toBe(`lguest-vm ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
    expect(r.status).toBe(0);
  });

  it('hardening item 7: refuses an --epoch the Guest\'s 32-bit clock cannot hold', () => {
    const guest = join(ROOT, 'guests/lguest/build/hello.elf');
    for (const epoch of [String(2 ** 31), '2038-01-19T03:14:08Z', '4000000000']) {
      const r = run('run', '--epoch', epoch, guest);
      expect(r.stderr, epoch).toBe(`lguest-vm: --epoch '${epoch}' is past 2038-01-19T03:14:07Z, where the Guest's 32-bit clock ends\n`);
      expect(r.status, epoch).toBe(64);
    }
    expect(run('run', '--epoch', String(2 ** 31 - 1), guest).status).toBe(0);
  });

  it('hardening item 9: the oracle\'s command line gives its usage with --help, and one line for a bad option', () => {
    const oracle = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/oracle.js'), ...args], { encoding: 'utf8' });
    const help = oracle('--help');
    expect(help.stdout).toMatch(/^usage: npm run oracle -- /);
    expect(help.status).toBe(0);
    const bad = oracle('--bogus');
    expect(bad.stderr).toBe('oracle: unknown option --bogus (npm run oracle -- --help lists the options)\n');
    expect(bad.status).toBe(64);
  });

  it('stops quietly when stdout is closed early', () => {
    const r = spawnSync('sh', ['-c', `node ${CLI} run --bare ${join(ROOT, 'guests/bare/build/arith.elf')} | head -c 10`], { timeout: 60_000 });
    expect(r.stdout.toString()).toHaveLength(10);
    expect(r.stderr.toString()).toBe('');
  });
});
