// Linux under the debug adapter (../shared/linux/, when it is there; bench/linux.mjs runs this after its own):
// what a kernel developer waits for, through the Debug Adapter Protocol. Wall time by this process's clock, CPU
// time as the adapter process's (the sum of its threads' run time, /proc/PID/task/*/schedstat, in ns). Nothing
// here asserts a time.
//
//   1. Launch to the stop on entry: vmlinux (symbols, DWARF 5) with its initramfs, from the initialize request
//      to the stopped event, adapter start-up excluded (it is running before the clock starts).
//   2. The first stack trace, at the entry, as VS Code asks for it at once: the first request that needs the
//      program's tables (the units' headers and aranges, the entry's unit's line table, call frame information).
//   3. The first C inspection at a stop inside a Linux function (vprintk_emit, at the first printk): the stack
//      trace (its frames' DWARF units decoded on demand, their inlined calls, their lines), then scopes and the
//      variables of Arguments and Locals, as VS Code asks at a stop; then the same again (decoded, cached).
//   4. A breakpoint on a source line there (printk.c:1567, in vprintk_emit): the first question that needs every
//      unit's line table (the line of an address reads only its unit's).
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const adapter = join(root, 'dist/debugAdapter.js');
const linux = join(root, '../shared/linux');
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
const stopIn = 'vprintk_emit';
// As the line tables name it (the sources are not on this machine: the frames show disassembly).
const sourceFile = '/usr/src/linux-4.10.17/kernel/printk/printk.c', sourceLine = 1567;

const wall = () => Number(process.hrtime.bigint()) / 1e6;
/** The adapter process's CPU time so far, in ms: every thread's time on a CPU. */
function cpu(pid) {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try { ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch { /* a thread that just ended */ }
  }
  return ns / 1e6;
}

/** A clock on both: lap() gives the wall and CPU ms since the last lap. */
function clock(pid) {
  let w = wall(), c = cpu(pid);
  return () => { const w1 = wall(), c1 = cpu(pid), r = { wall: w1 - w, cpu: c1 - c }; w = w1; c = c1; return r; };
}

async function once() {
  const dc = new DebugClient('node', adapter, 'lguest');
  dc.defaultTimeout = 240_000;
  await dc.start();
  // The adapter's process (the test-support client keeps it in a private field).
  const pid = dc._adapterProcess.pid;
  const lap = clock(pid);
  const stopped = dc.waitForEvent('stopped');
  await Promise.all([
    dc.initializeRequest({ adapterID: 'lguest', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }),
    dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
    dc.launchRequest({ program: join(linux, 'vmlinux'), initrd: join(linux, 'initrd.cpio'), cmdline: 'lguest_test=1', memory: 64, stopOnEntry: true }),
  ]);
  await stopped;
  const launch = lap();
  // VS Code asks for the stack at once: the first request that needs the program's tables pays for them.
  const entryFrames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames.length;
  const entry = lap();
  await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: stopIn }] });
  const at = dc.waitForEvent('stopped');
  await dc.continueRequest({ threadId: 1 });
  await at;
  const run = lap();
  // What VS Code asks at a stop: the stack, the top frame's scopes, the variables of the scopes it opens.
  const inspect = async () => {
    const frames = (await dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
    const stack = lap();
    const scopes = (await dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
    let names = 0;
    for (const s of scopes.filter((x) => x.presentationHint === 'arguments' || x.presentationHint === 'locals')) {
      names += (await dc.variablesRequest({ variablesReference: s.variablesReference })).body.variables.length;
    }
    return { stack, scopes: lap(), frames: frames.length, names };
  };
  const first = await inspect(), second = await inspect();
  lap();
  const set = await dc.setBreakpointsRequest({ source: { path: sourceFile }, breakpoints: [{ line: sourceLine }] });
  const lineBreakpoint = { ...lap(), verified: set.body.breakpoints[0]?.verified };
  await dc.stop();
  return { launch, entry, entryFrames, run, first, second, lineBreakpoint };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ms = (runs, f) => `${median(runs.map((r) => f(r).wall)).toFixed(1).padStart(7)} ms wall, ${median(runs.map((r) => f(r).cpu)).toFixed(1).padStart(7)} ms CPU`;

if (!existsSync(join(linux, 'vmlinux')) || !existsSync(join(linux, 'initrd.cpio'))) {
  console.log('\nLinux under the debug adapter: ../shared/linux/ is not here: skipped');
} else if (!existsSync(adapter)) {
  console.log('\nLinux under the debug adapter: dist/debugAdapter.js is missing (npm run build): skipped');
} else {
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(await once());
  const { frames, names } = runs[0].first;
  console.log(`\nLinux under the debug adapter (vmlinux + initrd.cpio through the protocol; median of ${repeats}; CPU is the adapter's)`);
  const row = (label, f) => console.log(`  ${label.padEnd(50)} ${ms(runs, f)}`);
  row('launch to stopped on entry', (r) => r.launch);
  row(`first stackTrace, at startup_32 (${runs[0].entryFrames} frame)`, (r) => r.entry);
  row(`function breakpoint ${stopIn}, continue to it`, (r) => r.run);
  console.log(`  first C inspection there (its units' DWARF decoded on demand):`);
  row(`  stackTrace (${frames} frames)`, (r) => r.first.stack);
  row(`  scopes + variables (Arguments, Locals: ${names})`, (r) => r.first.scopes);
  row('  both', (r) => ({ wall: r.first.stack.wall + r.first.scopes.wall, cpu: r.first.stack.cpu + r.first.scopes.cpu }));
  console.log('  the same again (cached):');
  row('  stackTrace', (r) => r.second.stack);
  row('  scopes + variables', (r) => r.second.scopes);
  const lb = runs[0].lineBreakpoint;
  row(`breakpoint on printk.c:${sourceLine} (every line table${lb.verified ? '' : '; NOT verified'})`, (r) => r.lineBreakpoint);
}
