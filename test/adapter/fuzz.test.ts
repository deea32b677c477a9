/** `npm run fuzz:dap`, short: a seeded campaign of protocol abuse against the built adapter with the tour Guest. */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { runCampaign } from './dapFuzzer';
import { ADAPTER, TOUR, TOUR_SRC } from './client';

describe('hardening: fuzz:dap, bounded', () => {
  it('hardening items 3, 4, 6, 7: 400 frames of abuse, and no death, hang or JavaScript error', async () => {
    const { counts, problems } = await runCampaign({
      frames: 400, seed: 10, program: TOUR, adapter: ADAPTER,
      sources: ['kernel/main.c', 'kernel/sched.c', 'kernel/traps.c'].map((f) => join(TOUR_SRC, f)),
    });
    expect(problems).toEqual([]);
    expect(counts).toMatchObject({ frames: 400, deaths: 0, hangs: 0, internalErrors: 0 });
    // The abuse was real: broken frames the adapter skipped, requests it refused, and it kept answering.
    expect(counts.broken).toBeGreaterThan(50);
    expect(counts.skipped).toBeGreaterThan(30);
    expect(counts.errors).toBeGreaterThan(50);
    expect(counts.livenessChecks).toBe(16);
  });
});
