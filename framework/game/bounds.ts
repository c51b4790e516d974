import type { WrongGuessRule } from './types.js';

export interface Bound {
  candidates: number;
  rule: WrongGuessRule;
  /** Fewest questions summed over the candidates (each equally likely), the final guess included. */
  total: number;
  mean: number;
  /** Most questions any candidate needs under that optimal strategy. */
  worst: number;
  /** How many candidates need each number of questions: histogram[q] = count. */
  histogram: number[];
  /** log2(candidates): the information floor, with a free final guess and perfect splits. */
  entropy: number;
}

interface Table {
  /** total[n]: fewest questions summed over n candidates. */
  total: Float64Array;
  /** choice[n] = 0: guess one candidate; k > 0: split into k and n - k. */
  choice: Int32Array;
}

/**
 * f(n) = n + min(f(n-1) [guess one], min_k f(k) + f(n-k) [split]), f(1) = 1. With `wrong_guess: lose`
 * a wrong guess ends the game, so a perfect questioner guesses only when one candidate is left.
 */
export function optimalTable(candidates: number, rule: WrongGuessRule): Table {
  const total = new Float64Array(candidates + 1);
  const choice = new Int32Array(candidates + 1);
  if (candidates >= 1) total[1] = 1;
  for (let n = 2; n <= candidates; n++) {
    // On a tie a split beats a guess: same mean, shorter worst case.
    let best = rule === 'continue' ? total[n - 1]! : Infinity;
    let pick = 0;
    for (let k = 1; k <= n >> 1; k++) {
      const cost = total[k]! + total[n - k]!;
      if (cost <= best) {
        best = cost;
        pick = k;
      }
    }
    total[n] = n + best;
    choice[n] = pick;
  }
  return { total, choice };
}

/**
 * The best any questioner can do with arbitrary yes/no questions (any subset of the candidates; a
 * guess is the subset of one), by dynamic programming over the number of candidates left.
 */
export function optimalBound(candidates: number, rule: WrongGuessRule): Bound {
  if (!Number.isInteger(candidates) || candidates < 1) throw new Error(`bound: candidates must be a positive integer, got ${candidates}`);
  const { total, choice } = optimalTable(candidates, rule);
  const histogram: number[] = [];
  const count = (q: number) => (histogram[q] = (histogram[q] ?? 0) + 1);
  const walk = (n: number, depth: number): void => {
    if (n === 1) return void count(depth + 1);
    const k = choice[n]!;
    if (k === 0) {
      count(depth + 1);
      walk(n - 1, depth + 1);
    } else {
      walk(k, depth + 1);
      walk(n - k, depth + 1);
    }
  };
  walk(candidates, 0);
  for (let q = 0; q < histogram.length; q++) histogram[q] ??= 0;
  return {
    candidates,
    rule,
    total: total[candidates]!,
    mean: total[candidates]! / candidates,
    worst: histogram.length - 1,
    histogram,
    entropy: Math.log2(candidates),
  };
}

/** Efficiency of a perfect questioner: every game won, in the optimal mean number of questions. */
export function boundEfficiency(bound: Bound, maxQuestions: number): number {
  return 1 - bound.mean / maxQuestions;
}

/** means[n]: optimal expected questions to finish from n equally likely candidates, for n up to max. */
export function optimalMeans(max: number, rule: WrongGuessRule): Float64Array {
  const { total } = optimalTable(max, rule);
  return total.map((t, n) => (n === 0 ? 0 : t / n));
}
