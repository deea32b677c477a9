/** lguest-vm run with an lguest Guest (the default mode): output, statuses, --stats, --trace and the option checks. */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, guestPath } from './helpers';

const CLI = join(ROOT, 'dist/cli.js');
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { timeout: 60_000 });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe('lguest-vm run (lguest mode)', () => {
  it('runs an lguest Guest by default: its console on stdout, its power-off message on stderr, status 0', () => {
    const r = run('run', guestPath('hello'), '--cmdline', 'quiet');
    expect(r.stdout).toMatch(/^Hello from an lguest Guest!\n/);
    expect(r.stdout).toContain('command line: "quiet"\n');
    expect(r.stderr).toBe('hello: power off\n');
    expect(r.status).toBe(0);
  });

  it('kills a Guest that breaks the rules, with lguest\'s reason, status 2', () => {
    // sti at ring 1 is a #GP the Guest has no handler for.
    const r = run('run', join(ROOT, 'guests/lguest/faults/build/gp_not_io.elf'));
    expect(r.stderr).toMatch(/^guest killed: unhandled trap 13 at 0x[0-9a-f]+ \(0\)\n$/);
    expect(r.status).toBe(2);
  });

  it('hardening item 9: refuses a Multiboot kernel without --bare, in one line that says so', () => {
    const r = run('run', join(ROOT, 'guests/bare/build/hello.elf'));
    expect(r.stderr).toBe(`lguest-vm: ${join(ROOT, 'guests/bare/build/hello.elf')} is a Multiboot kernel, not an lguest Guest: run it with --bare\n`);
    expect(r.status).toBe(64);
  });

  it('--stats adds the Host\'s counters', () => {
    const r = run('run', '--stats', guestPath('hello'));
    expect(r.stderr).toMatch(/^guest entries: \d+$/m);
    expect(r.stderr).toMatch(/^exits for trap 14 \(page fault \(#PF\)\): \d+$/m);
    expect(r.stderr).toMatch(/^hypercall LGUEST_INIT: 1$/m);
    expect(r.stderr).toMatch(/^page faults fixed by the Host: \d+$/m);
    expect(r.stderr).toMatch(/^instructions emulated: \d+ \(of those, the Launcher's port accesses: \d+; device register MOVs: \d+\)$/m);
  });

  it('--trace prints the Host\'s events as they happen, in virtual time', () => {
    const r = run('run', '--trace', 'hypercalls,traps', guestPath('hello'));
    expect(r.stderr).toMatch(/^\[ +\d+ ns\] trap 14 \(page fault \(#PF\)\) at 0x100000 cr2 0x100000 \(read, kernel, not present\): fixed$/m);
    expect(r.stderr).toMatch(/^\[ +\d+ ns\] hypercall LGUEST_INIT\(0x101000, 0x0, 0x0, 0x0\)$/m);
    expect(r.stderr).toMatch(/^\[ +\d+ ns\] hypercall SHUTDOWN\(/m);
    expect(r.stderr).not.toMatch(/pagetable/);
    // The trace never goes to stdout: that is the Guest's.
    expect(r.stdout).not.toMatch(/hypercall/);
  });

  it('refuses lguest options with --bare, and bad values, with status 64', () => {
    expect(run('run', '--bare', '--trace', 'traps', guestPath('hello')).status).toBe(64);
    const t = run('run', '--trace', 'everything', guestPath('hello'));
    expect(t.status).toBe(64);
    expect(t.stderr).toContain("--trace wants a comma list of traps, hypercalls, pagetables or all, not 'everything'");
    expect(run('run', '--epoch', 'yesterday', guestPath('hello')).status).toBe(64);
    expect(run('run', '--seed', '-1', guestPath('hello')).status).toBe(64);
    const big = run('run', '--mem', '4096', guestPath('hello'));
    expect(big.status).toBe(64);
  });

  it('takes --epoch as ISO 8601 or seconds', () => {
    expect(run('run', '--epoch', '2026-11-23T00:00:00Z', guestPath('hello')).stdout).toContain('time: 1795392000 s since 1970');
    expect(run('run', '--epoch', '12345', guestPath('hello')).stdout).toContain('time: 12345 s since 1970');
  });

  it('refuses an image that is not an ELF file', () => {
    const r = run('run', join(ROOT, 'README.md'));
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('not an ELF file');
  });

  it('stops at --max-instructions with status 124', () => {
    expect(run('run', '--max-instructions', '5000', guestPath('hello')).status).toBe(124);
  });
});
