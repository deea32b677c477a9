/**
 * A tiny virtio driver for tests: it lays out a split virtqueue's three rings
 * in a PhysicalMemory, writes descriptors and makes chains available, as Linux's
 * virtio_ring.c would, and reads back what the device put in the used ring.
 * Nothing here checks anything: tests build broken rings with it on purpose.
 */
import { PhysicalMemory } from '../../src/vm/cpu/memory';
import { Virtqueue, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } from '../../src/vm/lguest/devices/virtqueue';

export interface Desc { addr: number; len: number; flags?: number; next?: number; addrHi?: number }
/** A buffer piece for `chain`: `write` for device-writable. */
export interface Piece { addr: number; len: number; write?: boolean }

export const RAM = 0x100000;
/** The Guest's memory ends below the RAM's end, so a test can point just past it at bytes that are there. */
export const GUEST = 0xf0000;

export class RingBuilder {
  constructor(readonly mem: PhysicalMemory, readonly num = 8,
    readonly desc = 0x1000, readonly avail = 0x2000, readonly used = 0x3000) {}

  /** A queue for `device`/`name` with these rings, enabled and checked. */
  queue(device = 'test', name = 'q', guestBytes = GUEST): Virtqueue {
    const vq = new Virtqueue(device, name, this.mem, guestBytes);
    this.program(vq);
    vq.check();
    return vq;
  }

  /** Put our addresses and size in a queue's registers (as the driver writes common config), enabled. */
  program(vq: Virtqueue): void {
    Object.assign(vq.regs, { size: this.num, enable: 1, descLo: this.desc, availLo: this.avail, usedLo: this.used });
  }

  setDesc(i: number, d: Desc, table = this.desc): void {
    const at = table + 16 * i;
    this.mem.write32(at, d.addr);
    this.mem.write32(at + 4, d.addrHi ?? 0);
    this.mem.write32(at + 8, d.len);
    this.mem.write16(at + 12, d.flags ?? 0);
    this.mem.write16(at + 14, d.next ?? 0);
  }

  /** Descriptors first, first+1, ... linked with NEXT, in `table` (the ring's, or an indirect one); returns first. */
  chain(first: number, pieces: Piece[], table = this.desc): number {
    pieces.forEach((p, k) => {
      const last = k === pieces.length - 1;
      this.setDesc(first + k, {
        addr: p.addr, len: p.len,
        flags: (p.write ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT),
        next: last ? 0 : first + k + 1,
      }, table);
    });
    return first;
  }

  get availIdx(): number { return this.mem.read16(this.avail + 2); }
  set availIdx(v: number) { this.mem.write16(this.avail + 2, v & 0xffff); }
  set availFlags(v: number) { this.mem.write16(this.avail, v); }
  get usedIdx(): number { return this.mem.read16(this.used + 2); }
  set usedIdx(v: number) { this.mem.write16(this.used + 2, v & 0xffff); }
  set usedFlags(v: number) { this.mem.write16(this.used, v); }

  /** Make `head` available: avail.ring[idx % num] = head, idx++. */
  offer(head: number): void {
    const idx = this.availIdx;
    this.mem.write16(this.avail + 4 + 2 * (idx % this.num), head);
    this.availIdx = idx + 1;
  }

  /** The used ring's element for used index `idx`. */
  usedElem(idx: number): { id: number; len: number } {
    const at = this.used + 4 + 8 * (idx % this.num);
    return { id: this.mem.read32(at) >>> 0, len: this.mem.read32(at + 4) >>> 0 };
  }

  bytes(addr: number, data: Uint8Array | number[]): void {
    this.mem.load(addr, Uint8Array.from(data));
  }
}

export function newMemory(): PhysicalMemory {
  return new PhysicalMemory(RAM);
}
