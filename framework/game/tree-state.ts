import { popcount, type SearchProblem } from './tree-problem.js';

/**
 * A set of candidates still possible in the search, with what its cost depends on: under coin
 * semantics the questions asked whose coin is drawn for some member (`live`: they must not be asked
 * again, and each halved the weight of the members unknown there), and the members' weights.
 */
export interface State {
  bits: Uint32Array;
  /** Coin semantics only: the live questions as a bitset over attributes; null otherwise. */
  live: Uint32Array | null;
  /** Coin semantics only: weight by internal candidate; null: the problem's weights. */
  weights: Float64Array | null;
  /** What the memo knows the state by: bits, then live. */
  key: Uint32Array;
  n: number;
  total: number;
}

/** How a state ends or goes on: ask attribute `action` (>= 0), or guess internal candidate `-action - 1`. */
export type Action = number;

export const guessAction = (c: number): Action => -c - 1;
export const guessed = (action: Action): number => -action - 1;

/** Builds states of one problem under one semantics. */
export class States {
  readonly coin: boolean;
  readonly attributeWords: number;

  constructor(
    readonly problem: SearchProblem,
    coin: boolean,
  ) {
    // with no unknown cell a coin is never tossed: coin plays as say
    this.coin = coin && problem.hasUnknown;
    this.attributeWords = Math.ceil(problem.attributes / 32);
  }

  get keyWidth(): number {
    return this.problem.words + (this.coin ? this.attributeWords : 0);
  }

  weightOf(s: State, c: number): number {
    return s.weights ? s.weights[c]! : this.problem.weight[c]!;
  }

  /** A state from its members (and, under coin, its live questions and weights). */
  make(bits: Uint32Array, live: Uint32Array | null, weights: Float64Array | null): State {
    const { words } = this.problem;
    let n = 0;
    for (let w = 0; w < words; w++) n += popcount(bits[w]!);
    let total = 0;
    if (this.problem.uniform && !weights) total = n * this.problem.weight[0]!;
    else forEachBit(bits, (c) => void (total += weights ? weights[c]! : this.problem.weight[c]!));
    let key = bits;
    if (this.coin) {
      key = new Uint32Array(words + this.attributeWords);
      key.set(bits);
      key.set(live!, words);
    }
    return { bits, live, weights, key, n, total };
  }

  root(): State {
    return this.make(this.problem.all.slice(), this.coin ? new Uint32Array(this.attributeWords) : null, this.coin ? this.problem.weight.slice() : null);
  }

  /** The state less candidate c (a wrong guess). */
  without(s: State, c: number): State {
    const bits = s.bits.slice();
    bits[c >> 5]! &= ~(1 << (c & 31));
    return this.make(bits, s.live && this.liveIn(bits, s.live), s.weights);
  }

  /** The live questions of `live` that some member of `bits` is unknown at. */
  liveIn(bits: Uint32Array, live: Uint32Array): Uint32Array {
    const out = new Uint32Array(live.length);
    const { words, unknown } = this.problem;
    forEachBit(live, (a) => {
      for (let w = 0; w < words; w++) {
        if ((bits[w]! & unknown[a * words + w]!) !== 0) {
          out[a >> 5]! |= 1 << (a & 31);
          return;
        }
      }
    });
    return out;
  }

  /** The members' weights (for the bounds of unequal weights). */
  weightList(s: State): number[] {
    const out: number[] = [];
    forEachBit(s.bits, (c) => void out.push(this.weightOf(s, c)));
    return out;
  }
}

export function forEachBit(bits: Uint32Array, f: (i: number) => void): void {
  for (let w = 0; w < bits.length; w++) {
    let x = bits[w]!;
    while (x !== 0) {
      const low = x & -x;
      f(w * 32 + 31 - Math.clz32(low));
      x ^= low;
    }
  }
}

export function firstBit(bits: Uint32Array): number {
  for (let w = 0; w < bits.length; w++) if (bits[w] !== 0) return w * 32 + 31 - Math.clz32(bits[w]! & -bits[w]!);
  return -1;
}
