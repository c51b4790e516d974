import type { WrongGuessRule } from './types.js';

/** f(n) with arbitrary questions answered three ways: n + min(f(n-1) [guess], best 2- or 3-way split). */
export function ternaryTable(size: number, rule: WrongGuessRule): Float64Array {
  return splitTable(size, size, rule);
}

/**
 * f(n) for n equally likely candidates when any question may be asked whose "unknown" side holds at
 * most `unknowns` of them (0: yes/no questions only): n + min(f(n-1) [a guess, under continue], the
 * best split in two, the best split in three whose smallest part is at most `unknowns`). A set of
 * candidates no question of the table splits with more than `unknowns` on the unknown side, nor any
 * subset of it, costs at least this.
 */
function splitTable(size: number, unknowns: number, rule: WrongGuessRule): Float64Array {
  const f = new Float64Array(size + 1);
  const two = new Float64Array(size + 1).fill(Infinity);
  if (size >= 1) f[1] = 1;
  for (let n = 2; n <= size; n++) {
    for (let k = 1; k <= n >> 1; k++) two[n] = Math.min(two[n]!, f[k]! + f[n - k]!);
    let best = Math.min(two[n]!, rule === 'continue' ? f[n - 1]! : Infinity);
    for (let k = 1; k <= Math.min(unknowns, n - 2); k++) best = Math.min(best, f[k]! + two[n - k]!);
    f[n] = n + best;
  }
  return f;
}

/** Cost (sum of weight x depth) of the optimal k-ary prefix code of the weights. */
export function huffman(weights: readonly number[], arity: 2 | 3): number {
  return huffmanSorted(
    [...weights].sort((a, b) => a - b),
    arity,
  );
}

/**
 * The same for weights sorted in increasing order, in linear time: merged weights come out in
 * increasing order too, so the smallest are always at the head of one of two queues.
 */
function huffmanSorted(sorted: readonly number[], arity: 2 | 3): number {
  // k-ary Huffman pads with zero weights so that every merge takes k
  const leaves = arity === 3 && sorted.length % 2 === 0 ? [0, ...sorted] : sorted;
  const merged: number[] = [];
  let i = 0;
  let j = 0;
  let cost = 0;
  while (leaves.length - i + merged.length - j > 1) {
    let sum = 0;
    for (let k = 0; k < arity && leaves.length - i + merged.length - j > 0; k++) {
      sum += j >= merged.length || (i < leaves.length && leaves[i]! <= merged[j]!) ? leaves[i++]! : merged[j++]!;
    }
    cost += sum;
    merged.push(sum);
  }
  return cost;
}

const EPS = 1e-9;

/**
 * Lower bounds on f(S), the least sum over S of weight x questions, from what is cheap to know about S:
 * its weights, the most candidates any question leaves on its unknown side (`unknowns`), and whether
 * it holds candidates no question tells apart (then a wrong guess may go on even under `lose`).
 *
 * Equal weights: the optimal tree with arbitrary questions of the arity the set can get (splitTable).
 * Unequal weights: the better of layers of equal weights (see layered) and this: every candidate ends
 * at the yes of a guess, and at least one guess (every guess under `lose`) has nothing on its no side;
 * taking those guesses out leaves a tree of the questions' arity with the candidates as leaves, which
 * costs at least the Huffman code of the weights.
 */
export class LowerBounds {
  /** tables[rule][unknowns]: splitTable, made when first asked for. */
  private readonly tables = { continue: new Map<number, Float64Array>(), lose: new Map<number, Float64Array>() };

  constructor(private readonly size: number) {}

  /** f(n) for n candidates of weight 1 (see splitTable); `separable`: no two of them share every answer. */
  table(unknowns: number, rule: WrongGuessRule, separable: boolean): Float64Array {
    const r = rule === 'lose' && separable ? 'lose' : 'continue';
    const u = Math.min(unknowns, this.size);
    let t = this.tables[r].get(u);
    if (!t) this.tables[r].set(u, (t = splitTable(this.size, u, r)));
    return t;
  }

  /** The bound for a set with these weights (any order). */
  of(weights: readonly number[], unknowns: number, rule: WrongGuessRule, separable: boolean): number {
    const n = weights.length;
    if (n === 0) return 0;
    const counts = this.table(unknowns, rule, separable);
    const sorted = [...weights].sort((a, b) => a - b);
    const min = sorted[0]!;
    if (sorted[n - 1]! - min < EPS) return min * counts[n]!;
    let sum = 0;
    for (const w of sorted) sum += w;
    const lose = rule === 'lose' && separable;
    return Math.max(layered(sorted, counts), huffmanSorted(sorted, unknowns > 0 ? 3 : 2) + (lose ? sum : min));
  }
}

/**
 * f is a minimum of linear functions of the weights, so f(a + b) >= f(a) + f(b): cut the weights
 * (sorted, increasing) into layers (the least weight over all, the next over those heavier, ...) and
 * add the equal-weight bounds.
 */
function layered(sorted: readonly number[], counts: Float64Array): number {
  let bound = 0;
  let below = 0;
  for (let i = 0; i < sorted.length; i++) {
    const step = sorted[i]! - below;
    if (step > EPS) {
      bound += step * counts[sorted.length - i]!;
      below = sorted[i]!;
    }
  }
  return bound;
}
