/**
 * The Launcher's devices over hand-built rings (src/vm/lguest/devices/console.ts, block.ts, blockFile.ts,
 * rng.ts): what each does with a buffer, the used lengths it gives back, and the bad drivers it names.
 * The block device runs against a disk in memory and against a real temporary file.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriverError } from '../../src/vm/lguest/devices/virtqueue';
import type { VirtioDeviceModel } from '../../src/vm/lguest/devices/model';
import { ConsoleDevice } from '../../src/vm/lguest/devices/console';
import { BlockDevice, MemoryBlockBackend, type BlockBackend } from '../../src/vm/lguest/devices/block';
import { FileBlockBackend } from '../../src/vm/lguest/devices/blockFile';
import { RngDevice, Xoshiro128 } from '../../src/vm/lguest/devices/rng';
import { RingBuilder, newMemory, type Piece } from './ringBuilder';

/** A device with its queues set up in fresh memory: queue k's rings at 0x10000 * k + 0x1000.. */
function attach<D extends VirtioDeviceModel>(dev: D) {
  const mem = newMemory();
  const rings = dev.queueNames.map((_, k) => new RingBuilder(mem, 8, 0x10000 * k + 0x1000, 0x10000 * k + 0x2000, 0x10000 * k + 0x3000));
  const vqs = rings.map((rb, k) => rb.queue(dev.name, dev.queueNames[k]));
  return { dev, mem, rings, vqs, service: (k: number) => dev.service(k, vqs[k], 0) };
}

function thrown(f: () => void): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DriverError);
    return (e as Error).message;
  }
  throw new Error('no DriverError');
}

const text = (s: string) => new TextEncoder().encode(s);

describe('console', () => {
  let out: number[];
  let t: ReturnType<typeof attach<ConsoleDevice>>;
  beforeEach(() => {
    out = [];
    t = attach(new ConsoleDevice((b) => out.push(b)));
  });

  it('is what the Launcher made: type 3, class 07/00, EMERG_WRITE, input then output, 12 bytes of config', () => {
    const d = t.dev;
    expect([d.type, d.pciClass, d.pciSubclass, d.features, d.name]).toEqual([3, 0x07, 0x00, 1 << 2, 'console']);
    expect(d.queueNames).toEqual(['input', 'output']);
    expect([...d.config]).toEqual(new Array(12).fill(0));
  });

  it('prints the output queue\'s bytes in order, buffer after buffer, each used with length 0', () => {
    const rb = t.rings[1];
    rb.bytes(0x8000, text('he'));
    rb.bytes(0x8100, text('llo'));
    rb.bytes(0x8200, text(', world'));
    rb.offer(rb.chain(0, [{ addr: 0x8000, len: 2 }, { addr: 0x8100, len: 3 }]));
    rb.offer(rb.chain(5, [{ addr: 0x8200, len: 7 }]));
    t.service(1);
    expect(new TextDecoder().decode(Uint8Array.from(out))).toBe('hello, world');
    expect(rb.usedIdx).toBe(2);
    expect([rb.usedElem(0), rb.usedElem(1)]).toEqual([{ id: 0, len: 0 }, { id: 5, len: 0 }]);
    expect(t.vqs[1].interruptDue()).toBe(true);
  });

  it('calls a writable buffer in the output queue a bad driver', () => {
    const rb = t.rings[1];
    rb.offer(rb.chain(0, [{ addr: 0x8000, len: 2 }, { addr: 0x8100, len: 1, write: true }]));
    expect(thrown(() => t.service(1))).toBe('console vq output: bad driver: Input buffers in console output queue?');
    expect(out).toEqual([]);
  });

  it('leaves the input queue\'s buffers available at a notify, and fills them when input comes', () => {
    const rb = t.rings[0], vq = t.vqs[0];
    rb.offer(rb.chain(0, [{ addr: 0x9000, len: 2, write: true }]));
    rb.offer(rb.chain(1, [{ addr: 0x9100, len: 4, write: true }]));
    t.service(0);
    expect([vq.lastAvail, rb.usedIdx]).toEqual([0, 0]);
    expect(t.dev.input(vq, text('abc'), 0)).toBe(3);
    expect([rb.usedElem(0), rb.usedElem(1)]).toEqual([{ id: 0, len: 2 }, { id: 1, len: 1 }]);
    expect(new TextDecoder().decode(t.mem.slice(0x9000, 2)) + new TextDecoder().decode(t.mem.slice(0x9100, 1))).toBe('abc');
    expect(t.dev.input(vq, text('more'), 0)).toBe(0); // no buffers left: nothing taken
  });

  it('calls a readable buffer in the input queue a bad driver', () => {
    const rb = t.rings[0];
    rb.offer(rb.chain(0, [{ addr: 0x9000, len: 2 }]));
    expect(thrown(() => t.dev.input(t.vqs[0], text('x'), 0))).toBe('console vq input: bad driver: Output buffers in console in queue?');
  });

  it('prints an emergency write at once', () => {
    t.dev.emergencyWrite(0x41);
    t.dev.emergencyWrite(0x142);
    expect(out).toEqual([0x41, 0x42]);
  });
});

/** A block request through the ring: header at 0x8000, data out at 0x9000, room in at 0xa000, status at 0xb000. */
function blockRequest(t: ReturnType<typeof attach<BlockDevice>>, type: number, sector: number,
  opts: { write?: Uint8Array; readLen?: number; pieces?: Piece[] } = {}) {
  const rb = t.rings[0];
  const hdr = new Uint8Array(16);
  const v = new DataView(hdr.buffer);
  v.setUint32(0, type, true);
  v.setUint32(8, sector >>> 0, true);
  v.setUint32(12, Math.floor(sector / 2 ** 32), true);
  rb.bytes(0x8000, hdr);
  t.mem.bytes.fill(0xee, 0xa000, 0xb001); // the room and the status, so a device that leaves them is seen
  const pieces: Piece[] = opts.pieces ?? [
    { addr: 0x8000, len: 16 },
    ...(opts.write ? [{ addr: 0x9000, len: opts.write.length }] : []),
    ...(opts.readLen ? [{ addr: 0xa000, len: opts.readLen, write: true }] : []),
    { addr: 0xb000, len: 1, write: true },
  ];
  if (opts.write) rb.bytes(0x9000, opts.write);
  const used = rb.usedIdx;
  rb.offer(rb.chain(0, pieces));
  t.service(0);
  expect(rb.usedIdx).toBe((used + 1) & 0xffff);
  const elem = rb.usedElem(used);
  expect(elem.id).toBe(0);
  return { status: t.mem.read8(0xb000), len: elem.len, room: t.mem.slice(0xa000, opts.readLen ?? 0) };
}

function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >>> 9)) & 0xff);
}

const SIZE = 8 * 512;

/** The same requests, whatever holds the disk. */
function blockBehaviour(open: (data: Uint8Array, readOnly: boolean, id: string) => BlockBackend, contents: () => Uint8Array) {
  const setup = (readOnly = false, id = 'disk.img') => attach(new BlockDevice(open(pattern(SIZE), readOnly, id)));

  it('is what the Launcher made: type 2, class 01/80, SEG_MAX, capacity in sectors, seg_max 254', () => {
    const d = setup().dev;
    expect([d.type, d.pciClass, d.pciSubclass, d.features, d.name, d.queueNames]).toEqual([2, 0x01, 0x80, 1 << 2, 'block', ['request']]);
    const expected = new Uint8Array(36);
    expected[0] = 8;
    expected[12] = 254;
    expect([...d.config]).toEqual([...expected]);
  });

  it('reads sectors into the writable buffers: status OK, used length the bytes read and the status', () => {
    const r = blockRequest(setup(), 0, 1, { readLen: 1024 });
    expect([r.status, r.len]).toEqual([0, 1025]);
    expect([...r.room]).toEqual([...pattern(SIZE).subarray(512, 1536)]);
  });

  it('takes the status from the end of the last non-empty writable segment', () => {
    const t = setup();
    const r = blockRequest(t, 0, 0, { pieces: [{ addr: 0x8000, len: 16 }, { addr: 0xa000, len: 513, write: true }, { addr: 0xc000, len: 0, write: true }] });
    expect(r.len).toBe(513);
    expect(t.mem.read8(0xa000 + 512)).toBe(0);
    expect([...t.mem.slice(0xa000, 512)]).toEqual([...pattern(SIZE).subarray(0, 512)]);
  });

  it('writes sectors at once: status OK, used length 1', () => {
    const data = new Uint8Array(512).fill(0x5a);
    const r = blockRequest(setup(), 1, 2, { write: data });
    expect([r.status, r.len]).toEqual([0, 1]);
    const want = pattern(SIZE);
    want.set(data, 1024);
    expect([...contents()]).toEqual([...want]);
  });

  it('answers IOERR to a write past the end, and writes none of it', () => {
    const r = blockRequest(setup(), 1, 7, { write: new Uint8Array(1024).fill(1) });
    expect([r.status, r.len]).toEqual([1, 1]);
    expect([...contents()]).toEqual([...pattern(SIZE)]);
    expect(blockRequest(setup(), 1, 7, { write: new Uint8Array(512) })).toMatchObject({ status: 0, len: 1 });
  });

  it('answers IOERR to a read past the end (or far past it), and reads none of it', () => {
    const t = setup();
    for (const sector of [7, 2 ** 40]) {
      const r = blockRequest(t, 0, sector, { readLen: 1024 });
      expect([r.status, r.len]).toEqual([1, 1]);
      expect(r.room.every((b) => b === 0xee)).toBe(true);
    }
    const last = blockRequest(t, 0, 7, { readLen: 512 }); // up to the very end is fine
    expect([last.status, last.len]).toEqual([0, 513]);
  });

  it('flushes: status OK', () => {
    expect(blockRequest(setup(), 4, 0)).toMatchObject({ status: 0, len: 1 });
  });

  it('gives its id: the name, cut to the room and to 20 bytes, zero-padded', () => {
    const t = setup(false, 'a-rather-long-name-for-a-disk.img');
    const long = blockRequest(t, 8, 0, { readLen: 30 });
    expect([long.status, long.len]).toEqual([0, 21]);
    expect(new TextDecoder().decode(long.room.subarray(0, 20))).toBe('a-rather-long-name-f');
    expect(long.room[20]).toBe(0xee);
    const short = blockRequest(t, 8, 0, { readLen: 6 });
    expect([short.len, new TextDecoder().decode(short.room)]).toEqual([7, 'a-rath']);
    const t2 = setup(false, 'disk.img');
    const padded = blockRequest(t2, 8, 0, { readLen: 20 });
    expect([...padded.room]).toEqual([...text('disk.img'), ...new Array(12).fill(0)]);
  });

  it('answers UNSUPP to a type it does not know (the Launcher read instead)', () => {
    const r = blockRequest(setup(), 3, 0, { readLen: 512 });
    expect([r.status, r.len]).toEqual([2, 1]);
    expect(r.room.every((b) => b === 0xee)).toBe(true);
  });

  it('read-only: offers VIRTIO_BLK_F_RO, reads, and answers IOERR to every write', () => {
    const t = setup(true);
    expect(t.dev.features).toBe((1 << 2) | (1 << 5));
    expect(blockRequest(t, 1, 0, { write: new Uint8Array(512).fill(3) })).toMatchObject({ status: 1, len: 1 });
    expect([...contents()]).toEqual([...pattern(SIZE)]);
    expect(blockRequest(t, 0, 0, { readLen: 512 })).toMatchObject({ status: 0, len: 513 });
  });

  it('reads a header split across segments', () => {
    const t = setup();
    const r = blockRequest(t, 0, 3, { pieces: [{ addr: 0x8000, len: 10 }, { addr: 0x800a, len: 6 }, { addr: 0xa000, len: 4, write: true }, { addr: 0xb000, len: 1, write: true }] });
    expect([r.status, r.len]).toEqual([0, 5]);
    expect([...t.mem.slice(0xa000, 4)]).toEqual([...pattern(SIZE).subarray(1536, 1540)]);
  });

  it('calls a header shorter than 16 bytes a bad driver', () => {
    const t = setup();
    t.rings[0].offer(t.rings[0].chain(0, [{ addr: 0x8000, len: 15 }, { addr: 0xb000, len: 1, write: true }]));
    expect(thrown(() => t.service(0))).toBe('block: bad driver: iovec too short!');
  });

  it('calls a request with no room for the status a bad driver', () => {
    const t = setup();
    const rb = t.rings[0];
    rb.offer(rb.chain(0, [{ addr: 0x8000, len: 16 }]));
    expect(thrown(() => t.service(0))).toBe('block vq request: bad driver: Bad virtblk cmd with no room for status');
    rb.offer(rb.chain(2, [{ addr: 0x8000, len: 16 }, { addr: 0xa000, len: 0, write: true }]));
    expect(thrown(() => t.service(0))).toBe('block vq request: bad driver: Bad virtblk cmd with no room for status');
  });
}

describe('block, on a disk in memory', () => {
  let backend: MemoryBlockBackend;
  blockBehaviour((data, readOnly, id) => (backend = new MemoryBlockBackend(data, readOnly, id)), () => backend.data);

  it('hands a flush to the backend', () => {
    const t = attach(new BlockDevice(backend = new MemoryBlockBackend(new Uint8Array(512))));
    blockRequest(t, 4, 0);
    expect(backend.flushes).toBe(1);
  });
});

describe('block, on a file', () => {
  let dir = '';
  let file = '';
  const opened: FileBlockBackend[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lguest-block-'));
  });
  afterEach(() => {
    for (const b of opened.splice(0)) b.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = (data: Uint8Array, readOnly: boolean, id: string) => {
    file = join(dir, id);
    writeFileSync(file, data);
    const b = new FileBlockBackend(file, readOnly);
    opened.push(b);
    return b;
  };

  blockBehaviour(open, () => new Uint8Array(readFileSync(file)));

  it('never changes the file\'s size, and names itself by the file\'s base name', () => {
    const b = open(pattern(SIZE), false, 'x.img');
    expect([b.size, b.id, b.readOnly]).toEqual([SIZE, 'x.img', false]);
    blockRequest(attach(new BlockDevice(b)), 1, 7, { write: new Uint8Array(1024) });
    expect(statSync(file).size).toBe(SIZE);
  });

  it('says which file it could not open, and why', () => {
    expect(() => new FileBlockBackend(join(dir, 'missing.img'))).toThrow(`cannot open block device file ${join(dir, 'missing.img')}: ENOENT: no such file or directory`);
    mkdirSync(join(dir, 'sub'));
    expect(() => new FileBlockBackend(join(dir, 'sub'), true)).toThrow(`cannot use ${join(dir, 'sub')} as a block device: not a regular file`);
  });
});

describe('rng', () => {
  /** Fill these writable buffers, one chain each, and return what each got. */
  function draw(dev: RngDevice, lens: number[][]): number[][] {
    const t = attach(dev);
    const rb = t.rings[0];
    let addr = 0x8000;
    const chains = lens.map((segs, k) => {
      const pieces = segs.map((len) => ({ addr: (addr += 0x100) - 0x100, len, write: true }));
      rb.offer(rb.chain(k * 2, pieces));
      return pieces;
    });
    t.service(0);
    return chains.map((pieces, k) => {
      expect(rb.usedElem(k)).toEqual({ id: k * 2, len: pieces.reduce((n, p) => n + p.len, 0) });
      return pieces.flatMap((p) => [...t.mem.slice(p.addr, p.len)]);
    });
  }

  it('is what the Launcher made: type 4, class ff/00, one queue "input", no features, no config', () => {
    const d = new RngDevice(1);
    expect([d.type, d.pciClass, d.pciSubclass, d.features, d.name, d.queueNames, d.config.length]).toEqual([4, 0xff, 0, 0, 'rng', ['input'], 0]);
  });

  it('gives the same bytes for a seed, however the buffers are cut, and others for another seed', () => {
    const a = draw(new RngDevice(42), [[8], [4]]);
    const b = draw(new RngDevice(42), [[3, 5], [1, 3]]);
    const c = draw(new RngDevice(43), [[8], [4]]);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(new Set(a.flat()).size).toBeGreaterThan(4);
  });

  it('starts its stream again at reset', () => {
    const dev = new RngDevice(7);
    const first = draw(dev, [[16]]);
    expect(draw(dev, [[16]])).not.toEqual(first);
    dev.reset();
    expect(draw(dev, [[16]])).toEqual(first);
  });

  it('is xoshiro128**: the published outputs from state {1, 2, 3, 4}', () => {
    const g = Xoshiro128.fromState([1, 2, 3, 4]);
    expect([g.next(), g.next(), g.next(), g.next()]).toEqual([11520, 0, 5927040, 70819200]);
  });

  it('calls a readable buffer a bad driver', () => {
    const t = attach(new RngDevice(1));
    t.rings[0].offer(t.rings[0].chain(0, [{ addr: 0x8000, len: 4 }, { addr: 0x9000, len: 4, write: true }]));
    expect(thrown(() => t.service(0))).toBe('rng vq input: bad driver: Output buffers in rng?');
  });
});
