/** launch.json's `initrd`: the ramdisk is where lguest's Launcher puts it, and a bad one is a clear error. */
import { describe, it, expect, afterEach, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { startClient, launchAndStop, ROOT } from './client';

const HELLO = join(ROOT, 'guests/lguest/build/hello.elf');
const TEMP = mkdtempSync(join(tmpdir(), 'lguest-adapter-initrd-'));
const RAMDISK = join(TEMP, 'ramdisk.cpio');
const BYTES = Buffer.from('an initial ramdisk, as a test has it');
writeFileSync(RAMDISK, new Uint8Array(BYTES));

let dc: DebugClient;
afterEach(async () => { await dc?.stop(); });
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));

describe('launch with an initrd', () => {
  it('puts it at the top of Guest memory, and boot_params says where', async () => {
    dc = await startClient();
    await launchAndStop(dc, { program: HELLO, memory: 8, stopOnEntry: true, initrd: RAMDISK });
    const top = 8 * 1024 * 1024 - 4096;
    const data = await dc.customRequest('readMemory', { memoryReference: `phys:0x${top.toString(16)}`, count: BYTES.length });
    expect(Buffer.from(data.body.data, 'base64')).toEqual(BYTES);
    const image = await dc.customRequest('readMemory', { memoryReference: 'phys:0x218', count: 4 });
    expect(Buffer.from(image.body.data, 'base64').readUInt32LE(0)).toBe(top);
  });

  it('refuses a missing initrd, and one for a bare kernel, with a clear message', async () => {
    dc = await startClient();
    await dc.initializeRequest({ adapterID: 'lguest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
    const launch = (args: Record<string, unknown>) => dc.launchRequest(args as DebugProtocol.LaunchRequestArguments);
    await expect(launch({ program: HELLO, initrd: join(TEMP, 'none.cpio') })).rejects.toThrow(/cannot read initrd '.*none\.cpio': no such file/);
    const bare = { program: join(ROOT, 'guests/bare/build/hello.elf'), mode: 'bare', initrd: RAMDISK };
    await expect(launch(bare)).rejects.toThrow(/'initrd' is for lguest Guests, not mode "bare"/);
  });
});
