/**
 * A small seeded PRNG (mulberry32): the same seed gives the same kernel,
 * byte for byte, on any machine, so a failing seed can be replayed.
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** 32 random bits, as an unsigned number. */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }

  /** An integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** One of `items`, each as likely as its weight. */
  weighted<T>(items: readonly T[], weight: (t: T) => number): T {
    let total = 0;
    for (const t of items) total += weight(t);
    let x = (this.u32() / 0x100000000) * total;
    for (const t of items) {
      x -= weight(t);
      if (x < 0) return t;
    }
    return items[items.length - 1];
  }

  /**
   * A value for a register or an immediate: often one of the edge cases
   * where arithmetic goes wrong (0, 1, -1, the sign bits of each size...),
   * otherwise random bits, sometimes only in the low byte or word.
   */
  interesting(): number {
    switch (this.int(6)) {
      case 0: return this.pick(EDGES);
      case 1: return this.int(0x100);
      case 2: return this.int(0x10000);
      case 3: return (this.pick(EDGES) + this.range(-2, 2)) >>> 0;
      default: return this.u32();
    }
  }
}

const EDGES = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
