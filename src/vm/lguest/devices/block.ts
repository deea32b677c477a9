/**
 * The disk: lguest's Launcher's virtio block device (setup_block_file and
 * blk_request in tools/lguest/lguest.c, Linux 4.10). One queue, "request"; each
 * request is a virtio_blk_outhdr (u32 type, u32 ioprio, u64 sector) at the front
 * of the device-readable bytes, then the data (written to the disk, or room for
 * what is read from it), and a status byte: the last byte of the last non-empty
 * device-writable segment. The bytes live behind a BlockBackend (blockFile.ts
 * for a file, MemoryBlockBackend here for tests).
 *
 * Where we part from the Launcher, each time to answer the Guest instead of
 * dying or guessing:
 * - A write past the end of the disk (offset + length > size): the Launcher
 *   wrote it, truncated the file back and killed the Guest ("Write past end").
 *   We write nothing and answer VIRTIO_BLK_S_IOERR: the file is never grown,
 *   not even for a moment, and the Guest lives to see its error.
 * - A read past the end: the Launcher's readv read short and said OK with the
 *   short length. We answer IOERR and read nothing, as for writes.
 * - Types: the Launcher tested bits (type & T_OUT, type & T_FLUSH) and read for
 *   everything else, so an unknown type was a read. The virtio spec says a
 *   device answers VIRTIO_BLK_S_UNSUPP to a type it does not know, and we do;
 *   we also answer VIRTIO_BLK_T_GET_ID (the file's name, as QEMU does).
 * - A read-only disk (--block-readonly) offers VIRTIO_BLK_F_RO and answers
 *   IOERR to every write.
 * - The backend failing (an I/O error) is IOERR, as the Launcher's ret < 0 was.
 */
import type { VirtioDeviceModel } from './model';
import { VIRTIO_RING_F_INDIRECT_DESC, dropFront, totalLength, type Chain, type Segment, type Virtqueue } from './virtqueue';

export const VIRTIO_ID_BLOCK = 2;
export const VIRTIO_BLK_F_SEG_MAX = 2, VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_T_IN = 0, VIRTIO_BLK_T_OUT = 1, VIRTIO_BLK_T_FLUSH = 4, VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_S_OK = 0, VIRTIO_BLK_S_IOERR = 1, VIRTIO_BLK_S_UNSUPP = 2;
/** VIRTIO_BLK_ID_BYTES: the length of a device's id string. */
export const BLK_ID_BYTES = 20;
/** VIRTQUEUE_NUM - 2: two descriptors are the header and the status. */
export const BLK_SEG_MAX = 254;

/** Where the disk's bytes are. Offsets are bytes from the start; the size never changes. */
export interface BlockBackend {
  readonly size: number;
  /** Opened read-only: the device offers VIRTIO_BLK_F_RO and refuses writes. */
  readonly readOnly?: boolean;
  /** What VIRTIO_BLK_T_GET_ID answers (a file's base name); cut to 20 bytes. */
  readonly id?: string;
  /** `length` bytes at `offset` (inside the size); may return fewer only if the medium failed. */
  read(offset: number, length: number): Uint8Array;
  write(offset: number, data: Uint8Array): void;
  flush(): void;
}

/** A disk in memory (for tests, or a scratch disk). */
export class MemoryBlockBackend implements BlockBackend {
  flushes = 0;
  constructor(readonly data: Uint8Array, readonly readOnly = false, readonly id = '') {}
  get size(): number { return this.data.length; }
  read(offset: number, length: number): Uint8Array { return this.data.slice(offset, offset + length); }
  write(offset: number, data: Uint8Array): void { this.data.set(data, offset); }
  flush(): void { this.flushes++; }
}

export class BlockDevice implements VirtioDeviceModel {
  readonly name = 'block';
  readonly type = VIRTIO_ID_BLOCK;
  readonly pciClass = 0x01;
  readonly pciSubclass = 0x80;
  readonly features: number;
  readonly queueNames = ['request'] as const;
  /** struct virtio_blk_config, packed (36 bytes): capacity in sectors and seg_max; the rest 0. */
  readonly config = new Uint8Array(36);
  private readonly readOnly: boolean;

  constructor(private readonly backend: BlockBackend) {
    this.readOnly = backend.readOnly === true;
    this.features = (1 << VIRTIO_BLK_F_SEG_MAX) | (this.readOnly ? 1 << VIRTIO_BLK_F_RO : 0);
    const view = new DataView(this.config.buffer);
    const capacity = Math.floor(backend.size / 512);
    view.setUint32(0, capacity >>> 0, true);
    view.setUint32(4, Math.floor(capacity / 2 ** 32), true);
    view.setUint32(12, BLK_SEG_MAX, true);
  }

  service(index: number, vq: Virtqueue, accepted: number): void {
    const indirect = (accepted & (1 << VIRTIO_RING_F_INDIRECT_DESC)) !== 0;
    for (let chain = vq.pop(indirect); chain !== null; chain = vq.pop(indirect)) this.request(vq, chain);
  }

  /** blk_request: one request, its status written and the buffer used. */
  private request(vq: Virtqueue, chain: Chain): void {
    if (totalLength(chain.out) < 16) throw vq.deviceError('iovec too short!');
    const hdr = vq.gather(chain.out, 16);
    const hv = new DataView(hdr.buffer);
    const type = hv.getUint32(0, true);
    const offset = (hv.getUint32(8, true) + hv.getUint32(12, true) * 2 ** 32) * 512;
    const data = dropFront(chain.out, 16);

    // The status byte: taken off the end of the last non-empty device-writable segment.
    const room = chain.in.slice();
    let k = room.length - 1;
    while (k >= 0 && room[k].len === 0) k--;
    if (k < 0) throw vq.vqError('Bad virtblk cmd with no room for status');
    const statusAddr = room[k].addr + room[k].len - 1;
    room.length = k + 1;
    room[k] = { addr: room[k].addr, len: room[k].len - 1 };

    const { status, written } = this.perform(vq, type, offset, data, room);
    vq.writeByte(statusAddr, status);
    vq.pushUsed(chain.head, written + 1);
  }

  /** The request's work: its status and how many bytes it wrote into the Guest's buffers. */
  private perform(vq: Virtqueue, type: number, offset: number, data: Segment[], room: Segment[]): { status: number; written: number } {
    const ioerr = { status: VIRTIO_BLK_S_IOERR, written: 0 };
    try {
      switch (type) {
        case VIRTIO_BLK_T_IN: {
          const len = totalLength(room);
          if (offset + len > this.backend.size) return ioerr;
          const bytes = this.backend.read(offset, len);
          if (bytes.length !== len) return ioerr;
          return { status: VIRTIO_BLK_S_OK, written: vq.scatter(room, bytes) };
        }
        case VIRTIO_BLK_T_OUT: {
          const len = totalLength(data);
          if (this.readOnly || offset + len > this.backend.size) return ioerr;
          this.backend.write(offset, vq.gather(data));
          return { status: VIRTIO_BLK_S_OK, written: 0 };
        }
        case VIRTIO_BLK_T_FLUSH:
          this.backend.flush();
          return { status: VIRTIO_BLK_S_OK, written: 0 };
        case VIRTIO_BLK_T_GET_ID: {
          const id = new Uint8Array(Math.min(BLK_ID_BYTES, totalLength(room)));
          id.set(new TextEncoder().encode(this.backend.id ?? '').subarray(0, id.length));
          return { status: VIRTIO_BLK_S_OK, written: vq.scatter(room, id) };
        }
        default:
          return { status: VIRTIO_BLK_S_UNSUPP, written: 0 };
      }
    } catch (e) {
      // The medium failed (EIO and the like): the Launcher's ret < 0. Our own mistakes still surface.
      if (e instanceof Error && 'code' in e) return ioerr;
      throw e;
    }
  }

  reset(): void {}
}
