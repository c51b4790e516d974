/**
 * What the tree search knows about sets of candidates, keyed by the set's bits (and, under coin
 * semantics, the questions whose coin is drawn): an open-addressing hash table over flat typed arrays,
 * since the search looks up hundreds of sets per set it expands and a Map with string keys spends
 * most of its time building the strings.
 */
export class StateMemo {
  private capacity = 1 << 12;
  private keys: Uint32Array;
  /** 0: empty slot; 1: a lower bound; 2: the exact value. */
  private kinds: Uint8Array;
  private values: Float64Array;
  private actions: Int32Array;
  private count = 0;

  constructor(private readonly width: number) {
    this.keys = new Uint32Array(this.capacity * width);
    this.kinds = new Uint8Array(this.capacity);
    this.values = new Float64Array(this.capacity);
    this.actions = new Int32Array(this.capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The slot that holds this key, or -1. */
  find(key: Uint32Array): number {
    const mask = this.capacity - 1;
    for (let slot = hash(key) & mask; ; slot = (slot + 1) & mask) {
      if (this.kinds[slot] === 0) return -1;
      if (this.matches(slot, key)) return slot;
    }
  }

  isExact(slot: number): boolean {
    return this.kinds[slot] === 2;
  }

  value(slot: number): number {
    return this.values[slot]!;
  }

  action(slot: number): number {
    return this.actions[slot]!;
  }

  /** Records the exact value of a set and the action that achieves it. */
  setExact(key: Uint32Array, value: number, action: number): void {
    const slot = this.slotFor(key);
    this.kinds[slot] = 2;
    this.values[slot] = value;
    this.actions[slot] = action;
  }

  /** Records a lower bound, unless the set is solved or a better bound is known. */
  setLower(key: Uint32Array, value: number): void {
    const slot = this.slotFor(key);
    if (this.kinds[slot] === 2) return;
    if (this.kinds[slot] === 1 && this.values[slot]! >= value) return;
    this.kinds[slot] = 1;
    this.values[slot] = value;
  }

  private matches(slot: number, key: Uint32Array): boolean {
    const base = slot * this.width;
    for (let w = 0; w < this.width; w++) if (this.keys[base + w] !== key[w]) return false;
    return true;
  }

  /** The slot of a key, taken (kind 0 until the caller sets it) if the key is new. */
  private slotFor(key: Uint32Array): number {
    if ((this.count + 1) * 2 > this.capacity) this.grow();
    const mask = this.capacity - 1;
    let slot = hash(key) & mask;
    for (; this.kinds[slot] !== 0; slot = (slot + 1) & mask) if (this.matches(slot, key)) return slot;
    this.keys.set(key, slot * this.width);
    this.count++;
    return slot;
  }

  private grow(): void {
    const { keys, kinds, values, actions, capacity, width } = this;
    this.capacity *= 2;
    this.keys = new Uint32Array(this.capacity * width);
    this.kinds = new Uint8Array(this.capacity);
    this.values = new Float64Array(this.capacity);
    this.actions = new Int32Array(this.capacity);
    const mask = this.capacity - 1;
    for (let old = 0; old < capacity; old++) {
      if (kinds[old] === 0) continue;
      const key = keys.subarray(old * width, (old + 1) * width);
      let slot = hash(key) & mask;
      while (this.kinds[slot] !== 0) slot = (slot + 1) & mask;
      this.keys.set(key, slot * width);
      this.kinds[slot] = kinds[old]!;
      this.values[slot] = values[old]!;
      this.actions[slot] = actions[old]!;
    }
  }
}

/** A 32-bit hash of the key's words (murmur3's mixing), good in its low bits, which pick the slot. */
export function hash(key: Uint32Array): number {
  let h = 0x9747b28c;
  for (let w = 0; w < key.length; w++) {
    let k = Math.imul(key[w]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
