// The debugger's latency, through the protocol (npm run bench runs it after
// the CPU and Host benchmarks): launch to stopped-on-entry, a step's round
// trip (the median of many), and how much slower tour runs to a breakpoint
// near its end with breakpoints and trap filters set than with none.
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const adapter = join(root, 'dist/debugAdapter.js');
const tour = join(root, 'guests/lguest/tour/build/tour.elf');
const now = () => Number(process.hrtime.bigint()) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function session(args, configure = async () => {}) {
  const dc = new DebugClient('node', adapter, 'lguest');
  dc.defaultTimeout = 120_000;
  await dc.start();
  const t0 = now();
  const stopped = dc.waitForEvent('stopped');
  await Promise.all([
    dc.initializeRequest({ adapterID: 'lguest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }),
    dc.waitForEvent('initialized').then(async () => { await configure(dc); await dc.configurationDoneRequest(); }),
    dc.launchRequest({ program: tour, ...args }),
  ]);
  await stopped;
  return { dc, ms: now() - t0 };
}

// Launch to the stop on entry.
const launches = [];
for (let i = 0; i < 5; i++) {
  const { dc, ms } = await session({ stopOnEntry: true });
  launches.push(ms);
  await dc.stop();
}

// Step round trips: from request to stopped event.
const { dc } = await session({}, (c) => c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'primes_main' }] }));
const steps = [];
for (let i = 0; i < 300; i++) {
  const t0 = now();
  const s = dc.waitForEvent('stopped');
  await dc.stepInRequest({ threadId: 1, granularity: 'instruction' });
  await s;
  steps.push(now() - t0);
}
await dc.stop();

// Pause latency while the Guest spins (in system calls): from the request to the stopped event.
const spin = await (async () => {
  const d = new DebugClient('node', adapter, 'lguest');
  d.defaultTimeout = 60_000;
  await d.start();
  await Promise.all([
    d.initializeRequest({ adapterID: 'lguest', pathFormat: 'path' }),
    d.waitForEvent('initialized').then(() => d.configurationDoneRequest()),
    d.launchRequest({ program: tour, cmdline: 'bench=getpid:1000000000' }),
  ]);
  const pauses = [];
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const t0 = now();
    const s = d.waitForEvent('stopped');
    await d.pauseRequest({ threadId: 1 });
    await s;
    pauses.push(now() - t0);
    await d.continueRequest({ threadId: 1 });
  }
  await d.stop();
  return pauses;
})();

// To a breakpoint near the end: bare, then with breakpoints (never hit) and trap filters set.
async function toTheEnd(extra) {
  const { dc, ms } = await session({}, async (c) => {
    // The extra ones are on code tour never runs: its panic, and the crasher's last words.
    await c.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'summary_and_power_off' }, ...(extra ? [{ name: 'panic' }, { name: 'idle_loop', condition: '0' }] : [])] });
    if (extra) {
      const panic = Number((await c.evaluateRequest({ expression: 'panic', context: 'watch' })).body.result.split(' ')[0]);
      await c.customRequest('setInstructionBreakpoints', { breakpoints: [1, 3, 4].map((o) => ({ instructionReference: `0x${(panic + o).toString(16)}` })) });
      await c.setBreakpointsRequest({ source: { path: join(root, 'guests/lguest/tour/user/crasher.c') }, breakpoints: [{ line: 14 }] });
      await c.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'trap', condition: '0x99' }, { filterId: 'hypercall', condition: 'SET_PMD' }, { filterId: 'syscall', condition: '399' }] });
    }
  });
  await dc.stop();
  return ms;
}
const plain = [], loaded = [];
for (let i = 0; i < 3; i++) {
  plain.push(await toTheEnd(false));
  loaded.push(await toTheEnd(true));
}

console.log('\nDebug adapter (tour, through the Debug Adapter Protocol):');
console.log(`  launch to stopped on entry          ${median(launches).toFixed(1).padStart(8)} ms (median of ${launches.length}, adapter start-up included)`);
console.log(`  pause while the Guest spins          ${median(spin).toFixed(1).padStart(8)} ms (median of ${spin.length}; worst ${Math.max(...spin).toFixed(1)} ms)`);
console.log(`  instruction step round trip         ${median(steps).toFixed(2).padStart(8)} ms (median of ${steps.length})`);
const a = Math.min(...plain), b = Math.min(...loaded);
console.log(`  run to a breakpoint near the end    ${a.toFixed(0).padStart(8)} ms with no other breakpoints, ${b.toFixed(0)} ms with 6 more (one with a condition) and 3 trap filters: ${((b / a - 1) * 100).toFixed(1)} % slower (best of 3)`);
