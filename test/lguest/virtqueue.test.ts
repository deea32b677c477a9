/**
 * The split virtqueue as lguest's Launcher serviced it (src/vm/lguest/devices/virtqueue.ts): chains
 * popped from hand-built rings, used buffers and the interrupt rule, the indices wrapping at 65536,
 * indirect tables, and every way a driver can break a ring, each with the Launcher's exact words.
 */
import { describe, it, expect, beforeEach } from 'vitest';
import { DriverError, Virtqueue, VRING_DESC_F_INDIRECT, VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, dropFront } from '../../src/vm/lguest/devices/virtqueue';
import { PhysicalMemory } from '../../src/vm/cpu/memory';
import { GUEST, RingBuilder, newMemory } from './ringBuilder';

const BAD = 'test: bad driver: ';
const BAD_VQ = 'test vq q: bad driver: ';

let mem: PhysicalMemory;
let rb: RingBuilder;
let vq: Virtqueue;

beforeEach(() => {
  mem = newMemory();
  rb = new RingBuilder(mem);
  vq = rb.queue();
});

/** What pop throws, which must be a DriverError. */
function popError(indirect = false): string {
  try {
    vq.pop(indirect);
  } catch (e) {
    expect(e).toBeInstanceOf(DriverError);
    return (e as Error).message;
  }
  throw new Error('pop did not throw');
}

function checkError(q: Virtqueue): string {
  try {
    q.check();
  } catch (e) {
    expect(e).toBeInstanceOf(DriverError);
    return (e as Error).message;
  }
  throw new Error('check did not throw');
}

describe('popping chains', () => {
  it('gives nothing when nothing is available, then a one-segment chain', () => {
    expect(vq.pop(false)).toBeNull();
    rb.offer(rb.chain(3, [{ addr: 0x8000, len: 5 }]));
    expect(vq.pop(false)).toEqual({ head: 3, out: [{ addr: 0x8000, len: 5 }], in: [] });
    expect(vq.lastAvail).toBe(1);
    expect(vq.pop(false)).toBeNull();
  });

  it('splits several out segments then several in segments, in order', () => {
    rb.offer(rb.chain(0, [
      { addr: 0x8000, len: 16 }, { addr: 0x9000, len: 3 },
      { addr: 0xa000, len: 100, write: true }, { addr: 0xb000, len: 1, write: true },
    ]));
    rb.offer(rb.chain(4, [{ addr: 0xc000, len: 7, write: true }]));
    expect(vq.pop(false)).toEqual({
      head: 0,
      out: [{ addr: 0x8000, len: 16 }, { addr: 0x9000, len: 3 }],
      in: [{ addr: 0xa000, len: 100 }, { addr: 0xb000, len: 1 }],
    });
    expect(vq.pop(false)).toEqual({ head: 4, out: [], in: [{ addr: 0xc000, len: 7 }] });
  });

  it('follows next links in any order, and accepts a segment that ends exactly at the end of Guest memory', () => {
    rb.setDesc(5, { addr: 0x8000, len: 2, flags: VRING_DESC_F_NEXT, next: 1 });
    rb.setDesc(1, { addr: GUEST - 8, len: 8, flags: VRING_DESC_F_WRITE });
    rb.offer(5);
    expect(vq.pop(false)).toEqual({ head: 5, out: [{ addr: 0x8000, len: 2 }], in: [{ addr: GUEST - 8, len: 8 }] });
  });

  it('reads an indirect table when the feature was negotiated', () => {
    rb.chain(0, [{ addr: 0x8000, len: 16 }, { addr: 0x9000, len: 512, write: true }, { addr: 0xa000, len: 1, write: true }], 0x4000);
    rb.setDesc(2, { addr: 0x4000, len: 48, flags: VRING_DESC_F_INDIRECT });
    rb.offer(2);
    expect(vq.pop(true)).toEqual({
      head: 2, out: [{ addr: 0x8000, len: 16 }], in: [{ addr: 0x9000, len: 512 }, { addr: 0xa000, len: 1 }],
    });
  });

  it('reads an indirect table reached from the middle of a chain, as the Launcher did', () => {
    rb.chain(0, [{ addr: 0x9000, len: 4, write: true }], 0x4000);
    rb.setDesc(0, { addr: 0x8000, len: 16, flags: VRING_DESC_F_NEXT, next: 6 });
    rb.setDesc(6, { addr: 0x4000, len: 32, flags: VRING_DESC_F_INDIRECT });
    rb.offer(0);
    expect(vq.pop(true)).toEqual({ head: 0, out: [{ addr: 0x8000, len: 16 }], in: [{ addr: 0x9000, len: 4 }] });
  });

  it('has nothing to pop on a queue the driver never enabled, and forgets its rings at reset', () => {
    const fresh = new Virtqueue('test', 'q', mem, GUEST);
    rb.offer(rb.chain(0, [{ addr: 0x8000, len: 1 }]));
    expect(fresh.pop(false)).toBeNull();
    vq.reset();
    expect(vq.regs).toEqual({ size: 256, enable: 0, notifyOff: 0, descLo: 0, descHi: 0, availLo: 0, availHi: 0, usedLo: 0, usedHi: 0 });
    expect([vq.lastAvail, vq.pendingUsed, vq.ring]).toEqual([0, 0, null]);
    expect(vq.pop(false)).toBeNull();
  });
});

describe('used buffers and interrupts', () => {
  it('writes {id, len} at used.idx and counts it; an interrupt is due once', () => {
    rb.offer(rb.chain(2, [{ addr: 0x8000, len: 1, write: true }]));
    const chain = vq.pop(false)!;
    expect(vq.interruptDue()).toBe(false);
    vq.pushUsed(chain.head, 1);
    expect(rb.usedIdx).toBe(1);
    expect(rb.usedElem(0)).toEqual({ id: 2, len: 1 });
    expect(vq.pendingUsed).toBe(1);
    expect(vq.interruptDue()).toBe(true);
    expect(vq.pendingUsed).toBe(0);
    expect(vq.interruptDue()).toBe(false);
  });

  it('sends no interrupt when the driver set VRING_AVAIL_F_NO_INTERRUPT, and still forgets what was pending', () => {
    rb.availFlags = 1;
    vq.pushUsed(0, 0);
    expect(vq.interruptDue()).toBe(false);
    expect(vq.pendingUsed).toBe(0);
    rb.availFlags = 0;
    vq.pushUsed(1, 0);
    expect(vq.interruptDue()).toBe(true);
  });

  it('calls avail.flags above 1 a bad driver when an interrupt is considered', () => {
    rb.availFlags = 2;
    expect(vq.interruptDue()).toBe(false); // nothing used: not even looked at
    vq.pushUsed(0, 0);
    expect(() => vq.interruptDue()).toThrow(new DriverError(`${BAD_VQ}avail->flags = 2`));
  });

  it('wraps avail.idx, lastAvail and used.idx at 65536', () => {
    vq.lastAvail = 65534;
    rb.availIdx = 65534;
    rb.usedIdx = 65534;
    for (let k = 0; k < 4; k++) rb.offer(rb.chain(k, [{ addr: 0x8000 + 0x100 * k, len: 1 + k }]));
    expect(rb.availIdx).toBe(2);
    const heads: number[] = [];
    for (let c = vq.pop(false); c !== null; c = vq.pop(false)) {
      heads.push(c.head);
      vq.pushUsed(c.head, 10 + c.head);
    }
    expect(heads).toEqual([0, 1, 2, 3]);
    expect(vq.lastAvail).toBe(2);
    expect(rb.usedIdx).toBe(2);
    expect([65534, 65535, 0, 1].map((i) => rb.usedElem(i))).toEqual([
      { id: 0, len: 10 }, { id: 1, len: 11 }, { id: 2, len: 12 }, { id: 3, len: 13 },
    ]);
  });
});

describe('copying bytes', () => {
  it('gathers out segments in order, up to a limit', () => {
    rb.bytes(0x8000, [1, 2, 3]);
    rb.bytes(0x9000, [4, 5]);
    const segs = [{ addr: 0x8000, len: 3 }, { addr: 0x9000, len: 2 }];
    expect([...vq.gather(segs)]).toEqual([1, 2, 3, 4, 5]);
    expect([...vq.gather(segs, 4)]).toEqual([1, 2, 3, 4]);
    expect(dropFront(segs, 4)).toEqual([{ addr: 0x9001, len: 1 }]);
  });

  it('scatters into in segments, as far as they go, as a write the code cache hears of', () => {
    const heard: number[] = [];
    mem.codePages[0xa] = 1;
    mem.onCodeWrite = (page) => { heard.push(page); return true; };
    const n = vq.scatter([{ addr: 0x9ffe, len: 2 }, { addr: 0xa000, len: 2 }], Uint8Array.from([9, 8, 7, 6, 5]));
    expect(n).toBe(4);
    expect([...mem.slice(0x9ffe, 5)]).toEqual([9, 8, 7, 6, 0]);
    expect(heard).toEqual([0xa]);
    expect(mem.clearWritten()).toBeGreaterThan(0);
  });
});

describe('a bad driver, in the Launcher\'s words', () => {
  it('a descriptor outside Guest memory', () => {
    rb.offer(rb.chain(0, [{ addr: GUEST - 4, len: 8 }]));
    expect(popError()).toBe(`${BAD}Invalid address 0xefffc`);
  });

  it('a descriptor that wraps past 4 GiB', () => {
    rb.offer(rb.chain(0, [{ addr: 0xfffffff0, len: 0x20 }]));
    expect(popError()).toBe(`${BAD}Invalid address 0xfffffff0`);
  });

  it('a descriptor above 4 GiB (high half set)', () => {
    rb.setDesc(0, { addr: 0x1000, addrHi: 1, len: 4 });
    rb.offer(0);
    expect(popError()).toBe(`${BAD}Invalid address 0x100001000`);
  });

  it('a loop in a chain', () => {
    rb.setDesc(0, { addr: 0x8000, len: 1, flags: VRING_DESC_F_NEXT, next: 1 });
    rb.setDesc(1, { addr: 0x8000, len: 1, flags: VRING_DESC_F_NEXT, next: 0 });
    rb.offer(0);
    expect(popError()).toBe(`${BAD_VQ}Looped descriptor`);
  });

  it('a next out of range', () => {
    rb.setDesc(0, { addr: 0x8000, len: 1, flags: VRING_DESC_F_NEXT, next: 8 });
    rb.offer(0);
    expect(popError()).toBe(`${BAD}Desc next is 8`);
  });

  it('a head out of range (and the slot is taken all the same)', () => {
    rb.offer(8);
    expect(popError()).toBe(`${BAD_VQ}Guest says index 8 is available`);
    expect(vq.lastAvail).toBe(1);
  });

  it('an avail index moved more than the queue holds, forwards or back', () => {
    rb.availIdx = 9;
    expect(popError()).toBe(`${BAD_VQ}Guest moved used index from 0 to 9`);
    vq.lastAvail = 5;
    rb.availIdx = 4;
    expect(popError()).toBe(`${BAD_VQ}Guest moved used index from 5 to 4`);
  });

  it('an out segment after an in segment', () => {
    rb.offer(rb.chain(0, [{ addr: 0x8000, len: 1, write: true }, { addr: 0x9000, len: 1 }]));
    expect(popError()).toBe(`${BAD_VQ}Descriptor has out after in`);
  });

  describe('indirect tables', () => {
    beforeEach(() => rb.chain(0, [{ addr: 0x8000, len: 16 }, { addr: 0x9000, len: 1, write: true }], 0x4000));

    it('not negotiated', () => {
      rb.setDesc(0, { addr: 0x4000, len: 32, flags: VRING_DESC_F_INDIRECT });
      rb.offer(0);
      expect(popError(false)).toBe(`${BAD_VQ}vq indirect not negotiated`);
    });

    it('within an indirect table', () => {
      rb.setDesc(1, { addr: 0x5000, len: 16, flags: VRING_DESC_F_INDIRECT }, 0x4000);
      rb.setDesc(0, { addr: 0x4000, len: 32, flags: VRING_DESC_F_INDIRECT });
      rb.offer(0);
      expect(popError(true)).toBe(`${BAD_VQ}Indirect within indirect`);
    });

    it('with next', () => {
      rb.setDesc(0, { addr: 0x4000, len: 32, flags: VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, next: 1 });
      rb.offer(0);
      expect(popError(true)).toBe(`${BAD_VQ}indirect and next together`);
    });

    it('a size that is not a whole number of descriptors', () => {
      rb.setDesc(0, { addr: 0x4000, len: 20, flags: VRING_DESC_F_INDIRECT });
      rb.offer(0);
      expect(popError(true)).toBe(`${BAD_VQ}Invalid size for indirect table`);
    });

    it('more entries than the queue size', () => {
      rb.setDesc(0, { addr: 0x4000, len: 16 * 9, flags: VRING_DESC_F_INDIRECT });
      rb.offer(0);
      expect(popError(true)).toBe(`${BAD_VQ}indirect has too many entries`);
    });

    it('a table outside Guest memory', () => {
      rb.setDesc(0, { addr: GUEST - 16, len: 32, flags: VRING_DESC_F_INDIRECT });
      rb.offer(0);
      expect(popError(true)).toBe(`${BAD}Invalid address 0xefff0`);
    });

    it('a loop inside the table', () => {
      rb.setDesc(1, { addr: 0x9000, len: 1, flags: VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, next: 1 }, 0x4000);
      rb.setDesc(0, { addr: 0x4000, len: 32, flags: VRING_DESC_F_INDIRECT });
      rb.offer(0);
      expect(popError(true)).toBe(`${BAD_VQ}Looped descriptor`);
    });

    it('an empty table at the very end of Guest memory: the Host\'s bytes above it are never read', () => {
      // Above the Guest's memory, bytes that would read as a descriptor with a bad address.
      rb.setDesc(0, { addr: 0xdead0000, len: 0x1000 }, GUEST);
      rb.setDesc(0, { addr: GUEST, len: 0, flags: VRING_DESC_F_INDIRECT });
      rb.offer(0);
      expect(popError(true)).toBe(`${BAD_VQ}Looped descriptor`);
    });
  });

  describe('check_virtqueue', () => {
    function queueWith(regs: Partial<Virtqueue['regs']>): Virtqueue {
      const q = new Virtqueue('test', 'q', mem, GUEST);
      rb.program(q);
      Object.assign(q.regs, regs);
      return q;
    }

    it('64-bit queue addresses', () => {
      for (const hi of ['descHi', 'availHi', 'usedHi']) {
        expect(checkError(queueWith({ [hi]: 1 }))).toBe(`${BAD_VQ}invalid 64-bit queue address`);
      }
    });

    it('misaligned queue addresses', () => {
      for (const bad of [{ descLo: 0x1008 }, { availLo: 0x2001 }, { usedLo: 0x3002 }]) {
        expect(checkError(queueWith(bad))).toBe(`${BAD_VQ}invalid alignment in queue addresses`);
      }
    });

    it('rings outside Guest memory', () => {
      expect(checkError(queueWith({ descLo: GUEST - 0x70 }))).toBe(`${BAD}Invalid address 0xeff90`);
      expect(checkError(queueWith({ availLo: GUEST - 0x12 }))).toBe(`${BAD}Invalid address 0xeffee`);
      expect(checkError(queueWith({ usedLo: GUEST - 0x40 }))).toBe(`${BAD}Invalid address 0xeffc0`);
      expect(checkError(queueWith({ usedLo: 0xfffffffc }))).toBe(`${BAD}Invalid address 0xfffffffc`);
      // Exactly fitting is fine: 16 * 8, 4 + 2 * 8 and 4 + 8 * 8 bytes.
      const q = queueWith({ descLo: GUEST - 0x80, availLo: GUEST - 0x14, usedLo: GUEST - 0x44 });
      q.check();
      expect(q.ring).toEqual({ num: 8, desc: GUEST - 0x80, avail: GUEST - 0x14, used: GUEST - 0x44 });
    });

    it('non-zero initial used flags', () => {
      rb.usedFlags = 1;
      expect(checkError(queueWith({}))).toBe(`${BAD_VQ}invalid initial used.flags 0x1`);
    });
  });

  it('whatever the rings hold, pop ends, and throws nothing but DriverError', () => {
    let x = 0x12345678;
    const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
    let errors = 0, chains = 0;
    for (let round = 0; round < 300; round++) {
      // Descriptors pointing mostly into a small window, with random flags, lengths and links.
      for (let i = 0; i < rb.num; i++) {
        const r = next();
        rb.setDesc(i, { addr: (r & 1) ? next() : 0x8000 + (r & 0xff0), len: (r >>> 8) & 0x3f, flags: (r >>> 16) & 7, next: (r >>> 20) & 15 });
      }
      rb.chain(0, [{ addr: 0x8000, len: 4 }], 0x4000);
      rb.availIdx = vq.lastAvail + (next() % 10);
      for (let i = 0; i < rb.num; i++) mem.write16(rb.avail + 4 + 2 * i, next() % 10);
      try {
        for (let c = vq.pop((round & 1) === 1); c !== null; c = vq.pop((round & 1) === 1)) chains++;
      } catch (e) {
        expect(e).toBeInstanceOf(DriverError);
        errors++;
      }
      vq.lastAvail = rb.availIdx;
    }
    expect(errors).toBeGreaterThan(0);
    expect(chains).toBeGreaterThan(0);
  });
});
