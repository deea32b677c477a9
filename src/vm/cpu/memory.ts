/**
 * Physical memory: one flat stretch of RAM starting at physical address 0,
 * in the machine's WebAssembly memory after the CPU's state (wasm/layout.ts).
 *
 * Addresses at or above `size` are not RAM: on a PC they are an open bus, so
 * reads return all ones and writes vanish. The CPU's fast paths only ever see
 * RAM (its TLB never caches a non-RAM page), so the bounds checks here are
 * for the slow paths and for the Host and loaders, which write through here.
 *
 * `codePages` marks the 4 KiB pages that hold decoded (cached) instructions
 * (bit 0), or that the debugger watches for writes (bit 1). A write to the
 * decoded bytes must throw those decodings away, so every writer (CPU or
 * Host) tells `onCodeWrite` which bytes of such a page it wrote; the CPU
 * also tells `onWatchedWrite` which bytes it is about to write on a watched
 * page.
 *
 * Addresses are unsigned numbers: RAM reaches 3 GiB, and an address at or
 * above 2 GiB is negative as an int32, so each entry point makes it
 * unsigned (`>>> 0`) before using it.
 *
 * `written` marks the pages that may hold non-zero bytes, so that a
 * restart clears those and not all of memory (`clearWritten`). Every writer
 * marks them: the writes below, `load`, and the CPU, which marks a page once
 * when a TLB entry lets it write there (paging.ts) instead of at every write.
 * Zeros may be written straight into `bytes`; anything else must not.
 */
import { CODE_PAGES, WRITTEN_PAGES, memoryPages, ramBase } from './wasm/layout';

/** 4 GiB: a 32-bit WebAssembly memory's most. */
const MAX_WASM_PAGES = 65536;

export class PhysicalMemory {
  readonly size: number;
  /** The machine's memory: the CPU state compiled blocks use, then RAM at `ramBase`. */
  readonly wasm: WebAssembly.Memory;
  readonly ramBase: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Non-zero for a page that has decoded instructions cached. */
  readonly codePages: Uint8Array;
  /**
   * Called when a code page is written: the page, and the physical bytes written. Returns whether
   * decoded code was dropped (a write beside the code on its page drops nothing).
   */
  onCodeWrite: (page: number, addr: number, size: number) => boolean = () => false;
  /** Called by the CPU before it writes `size` bytes at `addr` on a watched page (see watch). */
  onWatchedWrite: (addr: number, size: number) => void = () => {};

  /** 1 for a page written since the last clearWritten, and those pages in the order they were first written. */
  private readonly written: Uint8Array;
  private readonly writtenList: Int32Array;
  private writtenCount = 0;

  /** Watch (or stop watching) the pages of these physical ranges for CPU writes. */
  watch(ranges: { addr: number; size: number }[]): void {
    for (let p = 0; p < this.codePages.length; p++) this.codePages[p] &= 1;
    for (const r of ranges) {
      for (let p = r.addr >>> 12; p <= (r.addr + r.size - 1) >>> 12 && p < this.codePages.length; p++) this.codePages[p] |= 2;
    }
  }

  constructor(sizeBytes: number) {
    if (sizeBytes <= 0 || sizeBytes % 4096 !== 0) throw new Error(`memory size must be a positive multiple of 4096, not ${sizeBytes}`);
    this.size = sizeBytes;
    const pages = memoryPages(sizeBytes);
    if (pages > MAX_WASM_PAGES) throw new RangeError(`memory of ${sizeBytes} bytes is more than the machine can hold`);
    this.wasm = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.ramBase = ramBase(sizeBytes);
    const buffer = this.wasm.buffer;
    this.bytes = new Uint8Array(buffer, this.ramBase, sizeBytes);
    this.view = new DataView(buffer, this.ramBase, sizeBytes);
    this.codePages = new Uint8Array(buffer, CODE_PAGES, sizeBytes >>> 12);
    this.written = new Uint8Array(buffer, WRITTEN_PAGES, sizeBytes >>> 12);
    this.writtenList = new Int32Array(sizeBytes >>> 12);
  }

  /** Note that this page may now hold something other than zeros. */
  markWritten(page: number): void {
    if (this.written[page] !== 0) return;
    this.written[page] = 1;
    this.writtenList[this.writtenCount++] = page;
  }

  /**
   * Zero every page written since the last call, and return how many there were: memory is then as new, at a
   * cost that follows what was written, not the memory's size. The CPU's TLB must be flushed with it, since
   * its writable entries marked their pages only when they were filled.
   */
  clearWritten(): number {
    const n = this.writtenCount;
    for (let k = 0; k < n; k++) {
      const page = this.writtenList[k];
      this.written[page] = 0;
      this.bytes.fill(0, page * 4096, page * 4096 + 4096);
      if (this.codePages[page] !== 0) this.onCodeWrite(page, page * 4096, 4096);
    }
    this.writtenCount = 0;
    return n;
  }

  isRam(addr: number, len = 1): boolean {
    return addr >= 0 && addr + len <= this.size;
  }

  read8(addr: number): number {
    addr >>>= 0;
    return addr < this.size ? this.bytes[addr] : 0xff;
  }
  read16(addr: number): number {
    addr >>>= 0;
    if (addr + 2 <= this.size) return this.view.getUint16(addr, true);
    return this.read8(addr) | (this.read8(addr + 1) << 8);
  }
  read32(addr: number): number {
    addr >>>= 0;
    if (addr + 4 <= this.size) return this.view.getInt32(addr, true);
    return this.read8(addr) | (this.read8(addr + 1) << 8) | (this.read8(addr + 2) << 16) | (this.read8(addr + 3) << 24);
  }

  /** Returns whether decoded code was dropped (the CPU then leaves its block: it may be the code written). */
  write8(addr: number, v: number): boolean {
    addr >>>= 0;
    if (addr >= this.size) return false;
    const dropped = this.codePages[addr >>> 12] !== 0 && this.codePageWritten(addr, 1);
    this.markWritten(addr >>> 12);
    this.bytes[addr] = v;
    return dropped;
  }
  write16(addr: number, v: number): void {
    this.write8(addr, v);
    this.write8(addr + 1, v >>> 8);
  }
  write32(addr: number, v: number): void {
    addr >>>= 0;
    if (addr + 4 <= this.size && (addr & 0xfff) <= 0xffc) {
      if (this.codePages[addr >>> 12] !== 0) this.codePageWritten(addr, 4);
      this.markWritten(addr >>> 12);
      this.view.setInt32(addr, v, true);
      return;
    }
    this.write16(addr, v);
    this.write16(addr + 2, v >>> 16);
  }

  private codePageWritten(addr: number, size: number): boolean {
    if ((this.codePages[addr >>> 12] & 2) !== 0) this.onWatchedWrite(addr, size);
    return this.onCodeWrite(addr >>> 12, addr, size);
  }

  /** Copy bytes in (loaders, the Host): counts as a write for the code cache. */
  load(addr: number, data: Uint8Array): void {
    if (!this.isRam(addr, data.length)) throw new RangeError(`0x${addr.toString(16)}+0x${data.length.toString(16)} is outside physical memory`);
    for (let p = addr >>> 12; p <= (addr + data.length - 1) >>> 12 && data.length > 0; p++) {
      if (this.codePages[p] !== 0) this.onCodeWrite(p, Math.max(addr, p * 4096), Math.min(addr + data.length, p * 4096 + 4096) - Math.max(addr, p * 4096));
      this.markWritten(p);
    }
    this.bytes.set(data, addr);
  }

  /** Read a range (for debuggers and dumps); bytes outside RAM read as 0xff. */
  slice(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) out[i] = this.read8(addr + i);
    return out;
  }
}
