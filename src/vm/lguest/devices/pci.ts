/**
 * The PCI bus of lguest's final Launcher: configuration mechanism #1 and
 * the configuration space of each function on it.
 *
 * Linux finds its virtio devices by probing PCI, so the Launcher emulated
 * just enough of it: the address latch at 0xCF8 (bus, device, function,
 * register, enable bit), the data window at 0xCFC, bus 0 and function 0
 * only, 32 slots. Every access is an IN or OUT the Guest kernel cannot do at
 * ring 1: it traps, and the Host does it here. What the Launcher refused
 * (a write to a read-only register, or to nothing) gives the Guest its #GP.
 */
import { DriverError } from './virtqueue';

export const PCI_CONFIG_ADDR = 0xcf8;
export const PCI_CONFIG_DATA = 0xcfc;
export const PCI_SLOTS = 32;

/** struct pci_config as the Launcher laid it out: the standard header, then the virtio capabilities. */
export const CFG = {
  vendor: 0x00, device: 0x02, command: 0x04, status: 0x06, revision: 0x08, subclass: 0x0a, class: 0x0b,
  cacheline: 0x0c, bar0: 0x10, bar6End: 0x28, subsystemDevice: 0x2e, romAddress: 0x30, capabilities: 0x34,
  irqLine: 0x3c, irqPin: 0x3d,
  /** struct virtio_pci_cap (16 bytes) for the common configuration, then the others in this order. */
  capCommon: 0x40, capNotify: 0x50, capIsr: 0x64, capDevice: 0x74, capCfgAccess: 0x84,
  /** The PCI-configuration access window: cap.bar, cap.offset, cap.length, then the data word. */
  windowBar: 0x88, windowOffset: 0x8c, windowLength: 0x90, windowData: 0x94,
  size: 0x98,
} as const;

/** A device's BAR0: the memory-mapped registers behind the configuration window. */
export interface Bar0 {
  readonly size: number;
  read(offset: number, mask: number): number;
  write(offset: number, value: number, mask: number): void;
}

/** The mask of a 1-, 2- or 4-byte access. */
export function maskOf(size: 1 | 2 | 4): number {
  return size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff;
}

/** ioread/iowrite: the window's bytes from `off` under `mask`. */
function ioread(off: number, word: number, mask: number): number {
  return ((word >>> (off * 8)) & mask) >>> 0;
}
function iowrite(off: number, value: number, mask: number, word: number): number {
  const m = (mask << (off * 8)) >>> 0;
  return ((word & ~m) | ((value << (off * 8)) & m)) >>> 0;
}

/**
 * One function's configuration space, with the Launcher's rules for what a
 * driver may write: BAR0 (sizing by writing all ones), the other BARs and
 * the ROM address, cache line and latency timer, the command register
 * (ignored), and the access window's fields; a write or read of the window
 * is an access to BAR0.
 */
export class PciConfigSpace {
  readonly bytes = new Uint8Array(CFG.size);
  readonly view = new DataView(this.bytes.buffer);

  constructor(readonly name: string, private readonly bar0: Bar0 | null) {}

  word(reg: number): number {
    return this.view.getUint32(reg * 4, true);
  }
  private setWord(reg: number, v: number): void {
    this.view.setUint32(reg * 4, v >>> 0, true);
  }

  /** pci_data_ioread: a window read does the BAR0 access first. Throws DriverError for a bad window. */
  read(reg: number): number {
    if (reg * 4 === CFG.windowData) {
      const w = this.window();
      if (w === null) {
        throw new DriverError(`${this.name}: bad driver: Invalid cfg_access to bar${this.bytes[CFG.windowBar]}, `
          + `offset ${this.view.getUint32(CFG.windowOffset, true)} len ${this.view.getUint32(CFG.windowLength, true)}`);
      }
      this.setWord(reg, this.bar0!.read(w.offset, w.mask));
    }
    return this.word(reg);
  }

  /** Would the Launcher take this write (else the Guest gets #GP)? Reads nothing that changes. */
  writeAccepted(reg: number, mask: number): boolean {
    const at = reg * 4;
    if (at >= CFG.bar0 && at < CFG.bar6End) return true;
    if (at === CFG.romAddress || at === CFG.cacheline) return true;
    if (at === CFG.command) return mask === 0xffff;
    if (at === CFG.windowBar || at === CFG.windowOffset || at === CFG.windowLength) return true;
    if (at === CFG.windowData) return this.window() !== null;
    return false;
  }

  /** pci_data_iowrite, once writeAccepted said yes. Throws DriverError if the BAR0 write is a bad driver's. */
  write(reg: number, off: number, value: number, mask: number): void {
    const at = reg * 4;
    if (at === CFG.bar0) {
      // BAR sizing: the driver writes all ones and reads back which bits stuck.
      let bar = iowrite(off, value, mask, this.word(reg));
      for (let i = 0; (1 << i) < (this.bar0?.size ?? 0); i++) bar &= ~(1 << i);
      this.setWord(reg, bar);
    } else if (at === CFG.cacheline) {
      // Only the cache line size and latency timer: a 32-bit write keeps the header type and BIST.
      this.setWord(reg, iowrite(off, value, mask === 0xffffffff ? 0xffff : mask, this.word(reg)));
    } else if (at === CFG.command) {
      // Command writes are ignored (memory and I/O decoding are always on).
    } else if (at === CFG.windowData) {
      const w = this.window()!;
      this.setWord(reg, iowrite(off, value, mask, this.word(reg)));
      // The access's width is the window's length, not this write's.
      this.bar0!.write(w.offset, this.word(reg), w.mask);
    } else {
      this.setWord(reg, iowrite(off, value, mask, this.word(reg)));
    }
  }

  /** valid_bar_access: the window names BAR0, within it, 1, 2 or 4 bytes, aligned. */
  private window(): { offset: number; mask: number } | null {
    const bar = this.bytes[CFG.windowBar], offset = this.view.getUint32(CFG.windowOffset, true);
    const length = this.view.getUint32(CFG.windowLength, true), size = this.bar0?.size ?? 0;
    if (bar !== 0 || offset >= size || offset + length > size) return null;
    if (length !== 1 && length !== 2 && length !== 4) return null;
    if (offset % length !== 0) return null;
    return { offset, mask: maskOf(length) };
  }
}

/**
 * The bus: the address latch and the slots. A data access goes to the
 * register the latch names, if it is enabled, on bus 0, function 0, within
 * a present function's configuration space; otherwise reads see all ones and
 * writes are refused.
 */
export class PciBus {
  /** What the driver last wrote to 0xCF8 (readable back, at any width and offset). */
  address = 0;
  readonly slots: (PciConfigSpace | undefined)[] = new Array(PCI_SLOTS).fill(undefined);

  /** dev_and_reg: the function and register the latch names, or null. */
  target(): { fn: PciConfigSpace; reg: number } | null {
    const a = this.address;
    if ((a & 0x80000000) === 0 || ((a >>> 8) & 7) !== 0 || ((a >>> 16) & 0xff) !== 0) return null;
    const reg = (a >>> 2) & 0x3f;
    if (reg * 4 >= CFG.size) return null;
    const fn = this.slots[(a >>> 11) & 0x1f];
    return fn === undefined ? null : { fn, reg };
  }

  static isAddressPort(port: number): boolean {
    return port >= PCI_CONFIG_ADDR && port < PCI_CONFIG_ADDR + 4;
  }
  static isDataPort(port: number): boolean {
    return port >= PCI_CONFIG_DATA && port < PCI_CONFIG_DATA + 4;
  }

  /** An IN from 0xCF8–0xCFF. Throws DriverError for a bad window read. */
  read(port: number, size: 1 | 2 | 4): number {
    const mask = maskOf(size);
    if (PciBus.isAddressPort(port)) return ioread(port - PCI_CONFIG_ADDR, this.address, mask);
    const t = this.target();
    if (t === null) return mask;
    return ioread(port - PCI_CONFIG_DATA, t.fn.read(t.reg), mask);
  }

  /** The same without side effects (the debugger's view): a window read shows the last data, not a new access. */
  peek(port: number, size: 1 | 2 | 4): number {
    const mask = maskOf(size);
    if (PciBus.isAddressPort(port)) return ioread(port - PCI_CONFIG_ADDR, this.address, mask);
    const t = this.target();
    return t === null ? mask : ioread(port - PCI_CONFIG_DATA, t.fn.word(t.reg), mask);
  }

  /** Would an OUT to this port be taken? (The Launcher's refusal is the Guest's #GP.) */
  writeAccepted(port: number, size: 1 | 2 | 4): boolean {
    if (PciBus.isAddressPort(port)) return true;
    const t = this.target();
    return t !== null && t.fn.writeAccepted(t.reg, maskOf(size));
  }

  /** An OUT that writeAccepted took. Throws DriverError if it reaches a device that finds it a bad driver's. */
  write(port: number, size: 1 | 2 | 4, value: number): void {
    const mask = maskOf(size);
    if (PciBus.isAddressPort(port)) {
      this.address = iowrite(port - PCI_CONFIG_ADDR, value, mask, this.address);
      return;
    }
    const t = this.target()!;
    t.fn.write(t.reg, port - PCI_CONFIG_DATA, value, mask);
  }
}
