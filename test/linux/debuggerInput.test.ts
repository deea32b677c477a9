/**
 * Typing into Linux's console through the debugger (lguest/input), as VS Code's Guest console terminal does:
 * the shared vmlinux with its initramfs and no `lguest_test=1`, so /init starts busybox's shell on the console.
 * A command typed runs; a function breakpoint on the console's receive interrupt (`in_intr`, virtio_console.c)
 * stops when input comes; input sent while stopped is delivered once the Guest runs on; `poweroff -f` ends it.
 * And what lguest/input refuses: a text that is not a string, one too long, a bare machine.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { startClient, launchAndStop, topFrame, TOUR, ROOT } from '../adapter/client';
import { LINUX, linuxHas, linuxTitle } from './helpers';

const HERE = linuxHas('vmlinux', 'initrd.cpio', 'System.map');
let dc: DebugClient;
afterEach(async () => { await dc?.stop(); });

/**
 * The Guest's console as the client reads it (output events in category stdout), and waits for what it shows.
 * A wait is asked for before the input that causes it: an event before its listener is lost.
 */
class GuestConsole {
  text = '';
  private waits: { re: RegExp; from: number; done: (ok: boolean, why: string) => void }[] = [];

  constructor(dc: DebugClient) {
    dc.on('output', (e: DebugProtocol.OutputEvent) => {
      if (e.body.category !== 'stdout') return;
      this.text += e.body.output;
      this.check(true, '');
    });
    dc.on('exited', () => this.check(false, 'the Guest ended'));
  }

  /** Resolves when the console, from offset `from` (now, unless given) on, matches `re`. */
  until(re: RegExp, from = this.text.length, timeoutMs = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(false, `not seen in ${timeoutMs / 1000} s`), timeoutMs);
      const done = (ok: boolean, why: string) => {
        clearTimeout(timer);
        if (ok) resolve();
        else reject(new Error(`${why}: ${re} after ${JSON.stringify(this.text.slice(from).slice(-400))}`));
      };
      this.waits.push({ re, from, done });
      this.check(true, '');
    });
  }

  private check(running: boolean, why: string): void {
    this.waits = this.waits.filter((w) => {
      if (w.re.test(this.text.slice(w.from))) { w.done(true, ''); return false; }
      if (!running) { w.done(false, why); return false; }
      return true;
    });
  }
}

/** Launch and let it run (no stop on entry): resolves once the launch is answered. */
async function launchRunning(dc: DebugClient, args: Record<string, unknown>): Promise<void> {
  await Promise.all([
    dc.initializeRequest({ adapterID: 'lguest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }),
    dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
    dc.launchRequest(args as DebugProtocol.LaunchRequestArguments),
  ]);
}

const input = (text: string) => dc.customRequest('lguest/input', { text });

describe.skipIf(!HERE)(linuxTitle("Linux's console takes input through the debugger", HERE), () => {
  it('runs a command typed at its shell, stops in its receive interrupt, and powers off when told', async () => {
    dc = await startClient();
    dc.defaultTimeout = 120_000;
    const guest = new GuestConsole(dc);
    const prompt = guest.until(/starting a shell on the console[\s\S]*\/ # /);
    await launchRunning(dc, {
      program: join(LINUX, 'vmlinux'), initrd: join(LINUX, 'initrd.cpio'), cmdline: 'quiet', memory: 64,
    });
    // Someone is at the console (an empty input says so): a halted Guest now waits in wall-clock time.
    await input('');
    await prompt;

    const answer = guest.until(/\n42\r?\n/);
    await input('echo $((6*7))\n');
    await answer;

    // The next input stops in the virtio console's receive interrupt, before the shell sees it.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'in_intr' }] });
    const stopped = dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
    const from = guest.text.length;
    await input('echo $((100+23))\n');
    expect((await stopped).body.reason).toBe('function breakpoint');
    expect((await topFrame(dc)).name).toMatch(/^in_intr/);

    // Input sent while stopped waits in the Host, and goes in when the Guest runs on.
    await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
    await input('echo $((11*11))\n');
    const both = guest.until(/\n123\r?\n[\s\S]*\n121\r?\n/, from);
    await dc.continueRequest({ threadId: 1 });
    await both;

    const exited = dc.waitForEvent('exited') as Promise<DebugProtocol.ExitedEvent>;
    await input('poweroff -f\n');
    expect((await exited).body.exitCode).toBe(0);
  }, 240_000);
});

describe('lguest/input refuses', () => {
  it('a text that is not a string, or one too long', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, stopOnEntry: true });
    const notString = /^lguest\/input wants \{ text: string \}/;
    await expect(dc.customRequest('lguest/input', { text: 42 })).rejects.toThrow(notString);
    await expect(dc.customRequest('lguest/input', {})).rejects.toThrow(notString);
    await expect(input('x'.repeat(65537))).rejects.toThrow(/at most 65536 characters at a time, not 65537/);
    // The longest it takes, and an empty one, are fine (tour reads no input: they just wait in the Host).
    await input('x'.repeat(65536));
    await input('');
  });

  it('a bare machine', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: join(ROOT, 'guests/bare/build/hello.elf'), mode: 'bare', stopOnEntry: true });
    await expect(input('ls\n')).rejects.toThrow(/lguest\/input is for lguest Guests \(this session is mode "bare"\)/);
  });
});
