/**
 * A split virtqueue (virtio 1.0) as lguest's Launcher serviced it
 * (tools/lguest/lguest.c in Linux 4.10: check_virtqueue, wait_for_vq_desc,
 * next_desc, add_used, trigger_irq). The rings live in the Guest's memory and
 * the Guest is never trusted: every address it hands us is checked against its
 * memory (check_pointer) before a byte of it is read or written, and a driver
 * that breaks a rule gets the Launcher's own words, thrown as DriverError
 * (bad_driver and bad_driver_vq, which killed the Launcher with that text).
 *
 * Two changes, both for safety. The Launcher pointed its `struct vring` at the
 * rings when the driver enabled the queue and kept it; we do the same (`ring`,
 * set by check()), and a queue that was never checked has nothing to pop. And a
 * descriptor's address is 64 bits: the 32-bit Launcher dropped the high half
 * when it passed it to check_pointer; we call any address with a high half
 * invalid, and print all of it.
 */
import type { PhysicalMemory } from '../../cpu/memory';
import { hexC } from '../lguest';

/** A driver broke a rule: the message is the Launcher's whole text ("block vq request: bad driver: Looped descriptor"). */
export class DriverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverError';
  }
}

/** A piece of a buffer in Guest physical memory, checked to lie inside it. */
export interface Segment { addr: number; len: number }
/** One available buffer: its head descriptor, the device-readable (`out`) then device-writable (`in`) segments. */
export interface Chain { head: number; out: Segment[]; in: Segment[] }

/** The per-queue part of virtio_pci_common_cfg, as the transport saves it for each queue. */
export interface QueueRegisters {
  size: number; enable: number; notifyOff: number;
  descLo: number; descHi: number; availLo: number; availHi: number; usedLo: number; usedHi: number;
}

/** Where check() found the rings (the Launcher's struct vring): the queue size then and the three addresses. */
export interface RingLayout { num: number; desc: number; avail: number; used: number }

/** VIRTQUEUE_NUM: the queue size at reset. */
export const QUEUE_SIZE_AT_RESET = 256;
export const VRING_DESC_F_NEXT = 1, VRING_DESC_F_WRITE = 2, VRING_DESC_F_INDIRECT = 4;
export const VRING_AVAIL_F_NO_INTERRUPT = 1;
/** VIRTIO_RING_F_INDIRECT_DESC: a feature bit in the low word. */
export const VIRTIO_RING_F_INDIRECT_DESC = 28;

/** bad_driver(d, fmt): "<device>: bad driver: ...". */
export function badDriver(device: string, what: string): DriverError {
  return new DriverError(`${device}: bad driver: ${what}`);
}
/** bad_driver_vq(vq, fmt): "<device> vq <queue>: bad driver: ...". */
export function badDriverVq(device: string, queue: string, what: string): DriverError {
  return new DriverError(`${device} vq ${queue}: bad driver: ${what}`);
}

/** How many bytes the segments hold. */
export function totalLength(segs: readonly Segment[]): number {
  return segs.reduce((n, s) => n + s.len, 0);
}

/** iov_consume without the copy: the segments with their first `n` bytes taken off. */
export function dropFront(segs: readonly Segment[], n: number): Segment[] {
  const rest: Segment[] = [];
  for (const s of segs) {
    const skip = Math.min(n, s.len);
    n -= skip;
    if (skip < s.len) rest.push({ addr: s.addr + skip, len: s.len - skip });
  }
  return rest;
}

function resetRegisters(): QueueRegisters {
  return { size: QUEUE_SIZE_AT_RESET, enable: 0, notifyOff: 0, descLo: 0, descHi: 0, availLo: 0, availHi: 0, usedLo: 0, usedHi: 0 };
}

export class Virtqueue {
  readonly regs: QueueRegisters = resetRegisters();
  /** The Launcher's last_avail_idx: the next avail ring slot we will look at (u16). */
  lastAvail = 0;
  /** Buffers used since the last interruptDue(). */
  pendingUsed = 0;
  /** Where the rings are, as check() found them; null until the driver enables the queue. */
  ring: RingLayout | null = null;

  constructor(readonly deviceName: string, readonly name: string,
    private readonly mem: PhysicalMemory, private readonly guestBytes: number) {}

  /** reset_vq_pci_config, and last_avail_idx back to 0. */
  reset(): void {
    Object.assign(this.regs, resetRegisters());
    this.lastAvail = 0;
    this.pendingUsed = 0;
    this.ring = null;
  }

  /** bad_driver_vq for this queue. */
  vqError(what: string): DriverError { return badDriverVq(this.deviceName, this.name, what); }
  /** bad_driver for this queue's device. */
  deviceError(what: string): DriverError { return badDriver(this.deviceName, what); }

  /** check_pointer: `len` bytes at `lo` (+ `hi` * 2^32) all in Guest memory, or the driver dies. */
  private checkPointer(lo: number, len: number, hi = 0): void {
    if (hi !== 0 || lo + len > this.guestBytes) {
      const addr = hi === 0 ? hexC(lo) : `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
      throw this.deviceError(`Invalid address ${addr}`);
    }
  }

  /** check_virtqueue: the driver set queue_enable; the rings must be in Guest memory, aligned, used.flags 0. */
  check(): void {
    const r = this.regs;
    if (r.descHi !== 0 || r.availHi !== 0 || r.usedHi !== 0) throw this.vqError('invalid 64-bit queue address');
    if (r.descLo % 16 !== 0 || r.availLo % 2 !== 0 || r.usedLo % 4 !== 0) throw this.vqError('invalid alignment in queue addresses');
    const num = r.size;
    this.checkPointer(r.descLo, 16 * num);
    this.checkPointer(r.availLo, 4 + 2 * num);
    this.checkPointer(r.usedLo, 4 + 8 * num);
    const flags = this.mem.read16(r.usedLo);
    if (flags !== 0) throw this.vqError(`invalid initial used.flags ${hexC(flags)}`);
    this.ring = { num, desc: r.descLo, avail: r.availLo, used: r.usedLo };
  }

  /**
   * wait_for_vq_desc, without the wait: the next available chain, or null when the driver has made nothing
   * available (or never enabled the queue). The walk is bounded: every descriptor counts, and more of them
   * than the table holds is "Looped descriptor".
   */
  pop(indirectNegotiated: boolean): Chain | null {
    const ring = this.ring;
    if (ring === null) return null;
    const { num } = ring;
    const last = this.lastAvail, availIdx = this.mem.read16(ring.avail + 2);
    if (last === availIdx) return null;
    if (((availIdx - last) & 0xffff) > num) throw this.vqError(`Guest moved used index from ${last} to ${availIdx}`);
    const head = this.mem.read16(ring.avail + 4 + 2 * (last % num));
    this.lastAvail = (last + 1) & 0xffff;
    if (head >= num) throw this.vqError(`Guest says index ${head} is available`);

    const chain: Chain = { head, out: [], in: [] };
    let table = ring.desc, max = num, i = head, indirect = false;
    for (;;) {
      let d = this.readDesc(table, i, max);
      if (d.flags & VRING_DESC_F_INDIRECT) {
        if (!indirectNegotiated) throw this.vqError('vq indirect not negotiated');
        if (indirect) throw this.vqError('Indirect within indirect');
        if (d.flags & VRING_DESC_F_NEXT) throw this.vqError('indirect and next together');
        if (d.len % 16 !== 0) throw this.vqError('Invalid size for indirect table');
        max = d.len / 16;
        this.checkPointer(d.addrLo, d.len, d.addrHi);
        table = d.addrLo;
        indirect = true;
        i = 0;
        if (max > num) throw this.vqError('indirect has too many entries');
        d = this.readDesc(table, i, max);
      }
      this.checkPointer(d.addrLo, d.len, d.addrHi);
      if (d.flags & VRING_DESC_F_WRITE) chain.in.push({ addr: d.addrLo, len: d.len });
      else {
        if (chain.in.length > 0) throw this.vqError('Descriptor has out after in');
        chain.out.push({ addr: d.addrLo, len: d.len });
      }
      if (chain.out.length + chain.in.length > max) throw this.vqError('Looped descriptor');
      // next_desc
      if (!(d.flags & VRING_DESC_F_NEXT)) return chain;
      if (d.next >= max) throw this.deviceError(`Desc next is ${d.next}`);
      i = d.next;
    }
  }

  /**
   * Descriptor `i` of a table of `max`. The table is in Guest memory, except in one case: an empty indirect
   * table, whose entry 0 the Launcher read all the same. Past the Guest's memory we read zeros (a descriptor
   * of nothing, which then counts as "Looped descriptor"), never the Host's bytes above it.
   */
  private readDesc(table: number, i: number, max: number) {
    const at = table + 16 * i;
    if (i >= max && at + 16 > this.guestBytes) return { addrLo: 0, addrHi: 0, len: 0, flags: 0, next: 0 };
    const m = this.mem;
    return { addrLo: m.read32(at) >>> 0, addrHi: m.read32(at + 4) >>> 0, len: m.read32(at + 8) >>> 0, flags: m.read16(at + 12), next: m.read16(at + 14) };
  }

  /** add_used: {head, len} into the used ring at used.idx, then used.idx++ and one more pending. */
  pushUsed(head: number, len: number): void {
    const ring = this.ring;
    if (ring === null) throw new Error(`${this.deviceName} vq ${this.name}: add_used on a queue that is not enabled`);
    const idx = this.mem.read16(ring.used + 2);
    const elem = ring.used + 4 + 8 * (idx % ring.num);
    this.mem.write32(elem, head);
    this.mem.write32(elem + 4, len);
    this.mem.write16(ring.used + 2, (idx + 1) & 0xffff);
    this.pendingUsed++;
  }

  /**
   * trigger_irq's rule: is an interrupt due for what was used since the last call? Nothing used, no; the
   * driver's VRING_AVAIL_F_NO_INTERRUPT, no. The transport sets the ISR and raises the line when it says yes.
   */
  interruptDue(): boolean {
    if (this.pendingUsed === 0 || this.ring === null) return false;
    this.pendingUsed = 0;
    const flags = this.mem.read16(this.ring.avail);
    if (flags > 1) throw this.vqError(`avail->flags = ${flags}`);
    return (flags & VRING_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** The bytes of device-readable segments, in order, at most `maxLen` of them. */
  gather(segs: readonly Segment[], maxLen = Infinity): Uint8Array {
    const out = new Uint8Array(Math.min(totalLength(segs), maxLen));
    let n = 0;
    for (const s of segs) {
      if (n >= out.length) break;
      const take = Math.min(s.len, out.length - n);
      out.set(this.mem.bytes.subarray(s.addr, s.addr + take), n);
      n += take;
    }
    return out;
  }

  /** Copy `data` into device-writable segments, in order; returns how many bytes fitted. */
  scatter(segs: readonly Segment[], data: Uint8Array): number {
    let n = 0;
    for (const s of segs) {
      if (n >= data.length) break;
      const take = Math.min(s.len, data.length - n);
      this.mem.load(s.addr, data.subarray(n, n + take));
      n += take;
    }
    return n;
  }

  /** One byte into Guest memory (a status byte), marking the page written. */
  writeByte(addr: number, v: number): void {
    this.mem.write8(addr, v);
  }
}
