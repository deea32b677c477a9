/**
 * The part of the WebAssembly JavaScript API the compiled tier uses (Node has it all; the typings of
 * @types/node 20 declare only its namespace, and lib.dom would bring the whole browser along).
 */
declare namespace WebAssembly {
  interface MemoryDescriptor { initial: number; maximum?: number }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Table {
    constructor(descriptor: { element: 'anyfunc'; initial: number; maximum?: number });
    readonly length: number;
    grow(delta: number): number;
    set(index: number, value: unknown): void;
  }
  type ImportValue = Memory | Table | ((...args: number[]) => number | void);
  class Instance {
    constructor(module: Module, imports: Record<string, Record<string, ImportValue>>);
    readonly exports: Record<string, unknown>;
  }
}
