/**
 * The Machine: CPU, memory and devices, and the one API everything above
 * uses to run a guest: boot it, run it for a while, see why it stopped.
 *
 * For now there is the bare machine: a minimal PC that boots a Multiboot
 * kernel at ring 0 with QEMU's conventions (COM1, the 0xE9 console, the
 * isa-debug-exit port at 0xF4), so the same binaries run under QEMU and us.
 */
import { PhysicalMemory } from './cpu/memory';
import { Cpu } from './cpu/state';
import { Executor, Exit } from './cpu/executor';
import { IF } from './cpu/flags';
import { IoPorts } from './ioports';
import { DebugConsole } from './devices/debugcon';
import { DebugExit } from './devices/debugExit';
import { Uart16550 } from './devices/uart16550';
import { bootMultiboot } from './multiboot';

export interface MachineOptions {
  /** Memory in MiB (default 64). */
  memoryMiB?: number;
  /** Called with each byte the guest prints (serial and 0xE9). */
  output?: (byte: number) => void;
  /** Executions of a block before it is compiled (tests use 1 and Infinity to check both tiers). */
  compileAfter?: number;
  /** Runs of a block of 32-bit code before it is compiled to WebAssembly (cpu/wasm/; Infinity: never; see ExecutorOptions). */
  wasmAfter?: number;
  /** Blocks compiled to WebAssembly together (tests: 1). */
  wasmBatch?: number;
}

/** Why a run ended. */
export type RunResult =
  | { kind: 'exit'; status: number }
  | { kind: 'limit' }
  | { kind: 'stopped' }
  /** EIP reached one of the debugger's breakpoints (executor.setBreakpoints). */
  | { kind: 'breakpoint' }
  | { kind: 'fault'; reason: string };

export class Machine {
  readonly mem: PhysicalMemory;
  readonly cpu: Cpu;
  readonly io = new IoPorts();
  readonly executor: Executor;
  private exitStatus: number | null = null;
  private readonly output: (byte: number) => void;

  constructor(opts: MachineOptions = {}) {
    const mib = opts.memoryMiB ?? 64;
    this.mem = new PhysicalMemory(mib * 1024 * 1024);
    this.cpu = new Cpu(this.mem, this.io);
    this.executor = new Executor(this.cpu, { compileAfter: opts.compileAfter, wasmAfter: opts.wasmAfter, wasmBatch: opts.wasmBatch });
    this.output = opts.output ?? (() => {});
    const out = (b: number) => this.output(b);
    this.io.register(0xe9, 1, new DebugConsole(out));
    this.io.register(0x3f8, 8, new Uart16550(0x3f8, out));
    this.io.register(0xf4, 1, new DebugExit((status) => {
      this.exitStatus = status;
      this.executor.requestStop();
    }));
  }

  /** Load a Multiboot kernel and point the CPU at its entry; the command line is "NAME ARGS". Throws ImageError for a bad image. */
  bootMultiboot(image: Uint8Array, name: string, args = ''): void {
    bootMultiboot(image, name, this.mem, this.cpu, args);
  }

  /** Run until the guest exits, stops, or `maxInstructions` more have run. */
  run(maxInstructions = Infinity): RunResult {
    const c = this.cpu;
    const end = c.instructions + maxInstructions;
    for (;;) {
      if (this.exitStatus !== null) return { kind: 'exit', status: this.exitStatus };
      const left = end - c.instructions;
      if (left <= 0) return { kind: 'limit' };
      const exit = this.executor.run(Math.min(left, 1_000_000));
      switch (exit) {
        case Exit.STOPPED:
          if (this.exitStatus !== null) return { kind: 'exit', status: this.exitStatus };
          return { kind: 'stopped' };
        case Exit.SHUTDOWN:
          return { kind: 'fault', reason: c.shutdownReason ?? 'the CPU shut down' };
        case Exit.HALTED:
          // Nothing on the bare machine raises interrupts yet: a halted CPU never wakes.
          return { kind: 'fault', reason: `the guest halted at EIP 0x${(c.eip >>> 0).toString(16)} with ${(c.flagsRaw & IF) !== 0 ? 'no interrupt source to wake it' : 'interrupts disabled'}` };
        case Exit.BREAKPOINT:
          return { kind: 'breakpoint' };
        case Exit.LIMIT:
          break;
      }
    }
  }

  /** Ask a running `run` to return at the next instruction boundary (from a device or another event). */
  requestStop(): void {
    this.executor.requestStop();
  }
}
