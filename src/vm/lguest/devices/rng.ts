/**
 * The hardware random number generator: lguest's Launcher's virtio rng
 * (setup_rng and rng_input in tools/lguest/lguest.c, Linux 4.10), which read
 * /dev/urandom into every buffer the Guest offered on its one queue, "input".
 * Ours must replay: a run is deterministic (the instruction counter is the
 * clock), so the bytes come from a PRNG seeded from the Host's --seed.
 *
 * The PRNG is xoshiro128** (Blackman and Vigna), four 32-bit words of state,
 * filled by SplitMix32 (a Weyl sequence, step 0x9e3779b9, through MurmurHash3's
 * finalizer) from seed ^ 0x72616e64 ("rand"), so its stream is not the one the
 * shadow page tables' xorshift (pageTables.ts) draws from the same seed. Each
 * 32-bit output gives four bytes, low byte first, and the bytes are one stream:
 * how the Guest cuts its buffers does not change what it reads. reset()
 * starts the stream again from the seed.
 */
import type { VirtioDeviceModel } from './model';
import { VIRTIO_RING_F_INDIRECT_DESC, totalLength, type Virtqueue } from './virtqueue';

export const VIRTIO_ID_RNG = 4;
/** Mixed into the seed so this stream differs from the page tables' PRNG. */
export const RNG_SEED_SALT = 0x72616e64;

/** xoshiro128**, as a stream of bytes. */
export class Xoshiro128 {
  private readonly s = new Uint32Array(4);
  private word = 0;
  private left = 0;

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1; // the one state it cannot leave
  }

  /** A generator at a given state (four 32-bit words), to check it against the published outputs. */
  static fromState(state: ArrayLike<number>): Xoshiro128 {
    const g = new Xoshiro128(0);
    g.s.set(Array.from(state, (w) => w >>> 0));
    return g;
  }

  /** Where the stream is, as plain numbers (the state words, then the word being spent and its bytes left). */
  capture(): number[] {
    return [...this.s, this.word, this.left];
  }
  restore(state: readonly number[]): void {
    this.s.set(state.slice(0, 4));
    this.word = state[4];
    this.left = state[5];
  }

  /** The next 32-bit output. */
  next(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** The next `n` bytes of the stream. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      if (this.left === 0) { this.word = this.next(); this.left = 4; }
      out[i] = this.word & 0xff;
      this.word >>>= 8;
      this.left--;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class RngDevice implements VirtioDeviceModel {
  readonly name = 'rng';
  readonly type = VIRTIO_ID_RNG;
  readonly pciClass = 0xff;
  readonly pciSubclass = 0x00;
  readonly features = 0;
  readonly queueNames = ['input'] as const;
  readonly config = new Uint8Array(0);
  private prng: Xoshiro128;

  constructor(private readonly seed: number) {
    this.prng = new Xoshiro128((seed ^ RNG_SEED_SALT) >>> 0);
  }

  service(index: number, vq: Virtqueue, accepted: number): void {
    const indirect = (accepted & (1 << VIRTIO_RING_F_INDIRECT_DESC)) !== 0;
    for (let chain = vq.pop(indirect); chain !== null; chain = vq.pop(indirect)) {
      if (chain.out.length > 0) throw vq.vqError('Output buffers in rng?');
      for (const s of chain.in) vq.scatter([s], this.prng.bytes(s.len));
      vq.pushUsed(chain.head, totalLength(chain.in));
    }
  }

  reset(): void {
    this.prng = new Xoshiro128((this.seed ^ RNG_SEED_SALT) >>> 0);
  }

  captureState(): number[] {
    return this.prng.capture();
  }
  restoreState(state: readonly number[]): void {
    this.prng.restore(state);
  }
}
