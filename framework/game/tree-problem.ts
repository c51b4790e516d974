import { NO, UNKNOWN, YES, type Domain } from './domain.js';

/**
 * A domain's table as the tree search reads it: the targets only (candidates played with weight > 0),
 * renumbered so that candidates that share every answer (a class) are neighbours, heaviest first, and
 * one bitset per attribute and answer over that numbering.
 *
 * Candidates of a class go down the same branch of every question, so only the order in which they are
 * guessed tells them apart, and the heaviest first is best. The search therefore only ever guesses the
 * first member of a class still in play: a set it reaches holds the last members of each class, and two
 * sets that differ only in which members of a class they hold (and cost the same) are never both met.
 * Under `lose` a class is its heaviest member alone (see lost).
 */
export class SearchProblem {
  /** Targets (internal candidates), attributes, and 32-bit words per candidate bitset. */
  readonly size: number;
  readonly attributes: number;
  readonly words: number;
  /** internal -> the domain's candidate index */
  readonly order: Int32Array;
  /** the domain's candidate index -> internal, or -1 for a candidate not played */
  readonly internal: Int32Array;
  readonly weight: Float64Array;
  /** Every target weighs the same. */
  readonly uniform: boolean;
  /** yes[a * words + w] (likewise no, unknown): the targets whose fact for attribute a is yes. */
  readonly yes: Uint32Array;
  readonly no: Uint32Array;
  readonly unknown: Uint32Array;
  /** The table has unknown cells among the targets. */
  readonly hasUnknown: boolean;
  /** Each class of two or more, as a bitset; a set with two members in one of them holds candidates no question tells apart. */
  readonly twins: Uint32Array[];
  /** The first member of each target's class (the one guessed first). */
  readonly classStart: Int32Array;
  readonly all: Uint32Array;
  /**
   * Under `wrong_guess: lose` only one member of a class can be won (a wrong guess among them ends
   * the game): the search keeps the heaviest, and these are the others, their number and weight.
   */
  readonly lost: { targets: number; weight: number };

  constructor(
    readonly domain: Domain,
    targets: readonly number[] | undefined,
    onlyWinnable = false,
  ) {
    if (!domain.truth) throw new Error(`domain ${domain.name} has no truth table: no tree over its questions`);
    const A = domain.attributes.length;
    const truth = domain.truth;
    const counts = new Float64Array(domain.size);
    for (const t of targets ?? domain.candidates.map((_, i) => i)) {
      if (!(Number.isInteger(t) && t >= 0 && t < domain.size)) throw new Error(`tree: no candidate ${t}`);
      counts[t]! += 1;
    }
    const rowKey = (c: number) => truth.subarray(c * A, (c + 1) * A).join('');
    const classes = new Map<string, number[]>();
    for (let c = 0; c < domain.size; c++) {
      if (counts[c] === 0) continue;
      const key = rowKey(c);
      const members = classes.get(key);
      if (members) members.push(c);
      else classes.set(key, [c]);
    }
    if (classes.size === 0) throw new Error('tree: no targets');
    const order: number[] = [];
    this.lost = { targets: 0, weight: 0 };
    for (const members of classes.values()) {
      members.sort((p, q) => counts[q]! - counts[p]! || p - q);
      for (const dropped of onlyWinnable ? members.splice(1) : []) {
        this.lost.targets++;
        this.lost.weight += counts[dropped]!;
      }
      order.push(...members);
    }
    this.size = order.length;
    this.attributes = A;
    this.words = Math.ceil(this.size / 32);
    this.order = Int32Array.from(order);
    this.internal = new Int32Array(domain.size).fill(-1);
    order.forEach((c, i) => (this.internal[c] = i));
    this.weight = Float64Array.from(order, (c) => counts[c]!);
    this.uniform = this.weight.every((w) => w === this.weight[0]);
    this.classStart = new Int32Array(this.size);
    this.twins = [];
    let i = 0;
    for (const members of classes.values()) {
      const bits = new Uint32Array(this.words);
      for (let k = 0; k < members.length; k++) {
        this.classStart[i + k] = i;
        bits[(i + k) >> 5]! |= 1 << ((i + k) & 31);
      }
      if (members.length > 1) this.twins.push(bits);
      i += members.length;
    }
    this.yes = new Uint32Array(A * this.words);
    this.no = new Uint32Array(A * this.words);
    this.unknown = new Uint32Array(A * this.words);
    let hasUnknown = false;
    for (let c = 0; c < this.size; c++) {
      for (let a = 0; a < A; a++) {
        const v = truth[order[c]! * A + a];
        const masks = v === YES ? this.yes : v === NO ? this.no : this.unknown;
        masks[a * this.words + (c >> 5)]! |= 1 << (c & 31);
        hasUnknown ||= v === UNKNOWN;
      }
    }
    this.hasUnknown = hasUnknown;
    this.all = new Uint32Array(this.words);
    for (let c = 0; c < this.size; c++) this.all[c >> 5]! |= 1 << (c & 31);
  }

  /** The fact for an internal candidate and an attribute: NO, YES or UNKNOWN. */
  fact(c: number, a: number): number {
    return this.domain.truth![this.order[c]! * this.attributes + a]!;
  }

  /** Whether a set holds two candidates that share every answer. */
  hasTwins(bits: Uint32Array): boolean {
    for (const twin of this.twins) {
      let k = 0;
      for (let w = 0; w < this.words; w++) k += popcount(bits[w]! & twin[w]!);
      if (k > 1) return true;
    }
    return false;
  }

  /**
   * Under coin semantics: whether every two targets differ on some question where neither is unknown
   * (then every set of two or more has a question that tells some of them apart, whatever was asked).
   */
  coinSeparable(): boolean {
    const A = this.attributes;
    for (let c = 0; c < this.size; c++) {
      for (let d = c + 1; d < this.size; d++) {
        let apart = false;
        for (let a = 0; a < A && !apart; a++) {
          const x = this.fact(c, a);
          const y = this.fact(d, a);
          apart = x !== y && x !== UNKNOWN && y !== UNKNOWN;
        }
        if (!apart) return false;
      }
    }
    return true;
  }
}

export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** The members of a bitset, in order. */
export function bitsOf(bits: Uint32Array): number[] {
  const out: number[] = [];
  for (let w = 0; w < bits.length; w++) {
    let x = bits[w]!;
    while (x !== 0) {
      const low = x & -x;
      out.push(w * 32 + 31 - Math.clz32(low));
      x ^= low;
    }
  }
  return out;
}
