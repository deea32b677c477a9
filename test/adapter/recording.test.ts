/**
 * launch.json's record and replay, through the real DAP client: a session's recording carries the run's facts;
 * a replay of it runs, refuses typed input (the recording's is the input), and another run's facts are refused
 * at launch, as lguest-vm --replay refuses them.
 */
import { describe, it, expect, afterEach, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { startClient, launchAndStop, TOUR } from './client';

const TEMP = mkdtempSync(join(tmpdir(), 'lguest-adapter-recording-'));
let dc: DebugClient;
afterEach(async () => { await dc?.stop(); });
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));

async function refusal(args: Record<string, unknown>): Promise<string> {
  dc = await startClient();
  await dc.initializeRequest({ adapterID: 'lguest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const err = await dc.launchRequest(args as DebugProtocol.LaunchRequestArguments).then(() => null, (e: Error) => e);
  expect(err, JSON.stringify(args)).not.toBeNull();
  return err!.message;
}

describe('launch.json record and replay', () => {
  it('records the facts of the run; a replay runs, and takes no typed input', async () => {
    const file = join(TEMP, 'tour.rec');
    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, record: file, seed: 7, stopOnEntry: true });
    const head = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]);
    expect(head).toMatchObject({ lguestRecording: 1, facts: { seed: 7, memoryMiB: 64, cmdline: '', initrd: null, rng: false } });
    expect(head.facts.image).toMatch(/^[0-9a-f]{64}$/);
    await dc.stop();

    dc = await startClient();
    await launchAndStop(dc, { program: TOUR, replay: file, seed: 7, stopOnEntry: true });
    const typed = await dc.customRequest('lguest/input', { text: 'ls\n' }).then(() => null, (e: Error) => e.message);
    expect(typed).toBe("lguest/input: this session replays a recording, whose input is the recording's");
    await dc.stop();

    expect(await refusal({ program: TOUR, replay: file })).toBe(
      `cannot replay ${file}: the recording's seed 7 is not this run's 1`,
    );
  });

  it('refuses wrong values, both at once, and files that cannot be used', async () => {
    expect(await refusal({ program: TOUR, record: 5 })).toBe("invalid launch configuration: 'record' must be the path of a recording, not 5");
    expect(await refusal({ program: TOUR, record: 'a', replay: 'b' }))
      .toBe("invalid launch configuration: 'record' and 'replay' do not go together: a replay is the recording");
    expect(await refusal({ program: TOUR, replay: join(TEMP, 'none.rec') }))
      .toMatch(/^cannot read the recording .*none\.rec: ENOENT: no such file or directory$/);
    expect(await refusal({ program: TOUR, record: join(TEMP, 'no-dir', 'x.rec') }))
      .toMatch(/^cannot write the recording .*x\.rec: ENOENT: no such file or directory$/);
  });
});
