/**
 * Seeded randomness. Every game gets its own generator, seeded from the experiment seed and the game's
 * index, so a game plays the same whichever worker runs it and whatever else runs beside it.
 */

/** 32-bit mix (from MurmurHash3's finaliser); spreads nearby inputs over the whole range. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The bits of a seed above the low 32 (seeds are safe integers, up to 2^53 - 1). They are mixed in
 * only when they are not all zero, so that a seed below 2^32 plays the games it always played.
 */
function highBits(seed: number): number {
  return Math.floor(seed / 2 ** 32) >>> 0;
}

/** Derives a seed from a parent seed and any number of integer or string keys. */
export function deriveSeed(seed: number, ...keys: (number | string)[]): number {
  let h = mix32((seed | 0) ^ 0x9e3779b9);
  const high = highBits(seed);
  if (high !== 0) h = mix32(h ^ mix32(high + 0x3c6ef372));
  for (const key of keys) {
    if (typeof key === 'number') {
      h = mix32(h ^ mix32((key | 0) + 0x7f4a7c15));
      h = mix32(h ^ Math.floor(key / 2 ** 32));
    } else {
      for (let i = 0; i < key.length; i++) h = mix32(h ^ (key.charCodeAt(i) + 0x632be5ab));
    }
  }
  return h;
}

/** sfc32: small, fast, and good enough for simulation; state fits in four 32-bit integers. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(
    /** The seed it started from: what a player may derive its own fixed draws from without taking any from the stream. */
    readonly seed: number,
  ) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    // The high bits of a seed above 2^32 go into a word that is constant for smaller seeds.
    this.c = 0xb7e15162 ^ highBits(seed);
    this.d = seed >>> 0;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list');
    return items[this.int(items.length)]!;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Index drawn with probability proportional to weights[i] (non-negative, not all zero). */
  weighted(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i]!;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    throw new Error('Rng.weighted: all weights are zero');
  }
}
