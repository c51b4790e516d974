import { countWhere, informationGain, informationGain3, type TruthMasks } from './belief.js';
import { optimalMeans } from './bounds.js';
import { ternaryTable } from './tree-bounds.js';
import type { WrongGuessRule } from './types.js';

/** What the greedy expert does next: ask an attribute, or guess (a member of the candidates in play). */
export type GreedyMove = { ask: number; cost: number } | { guess: true };

/**
 * The information-gain expert's rule (the `infogain` policy, and the first upper bound of the exact
 * tree search): among the attributes not asked yet, the one with the highest expected information
 * gain over the candidates in play, or a guess when a guess is expected to finish sooner. The cost of
 * finishing from n candidates is estimated by the optimal mean for n (the bound's dynamic programme),
 * so from 2 or 3 candidates it guesses, as a perfect player would.
 */
export class GreedyRule {
  private readonly means: Float64Array;
  /** Optimal means for n candidates when questions split three ways, a wrong guess going on or losing. */
  private readonly means3: Float64Array;
  private readonly lose3: Float64Array;

  constructor(size: number) {
    this.means = optimalMeans(size, 'continue');
    this.means3 = ternaryTable(size, 'continue').map((t, n) => (n === 0 ? 0 : t / n));
    this.lose3 = ternaryTable(size, 'lose').map((t, n) => (n === 0 ? 0 : t / n));
  }

  /**
   * Scores every attribute not asked yet over the candidates in play (`set`, `count` of them) into
   * `gains` (-1: asked) and returns the best one with its expected cost to finish, or -1 when none is
   * informative. `threeWay`: an "unknown" answer means the table's fact is unknown.
   */
  score(masks: TruthMasks, set: Uint32Array, count: number, asked: ArrayLike<number>, rule: WrongGuessRule, threeWay: boolean, gains: Float64Array): { best: number; cost: number } {
    let best = -1;
    let bestGain = 1e-9;
    const { yes: yesMasks, no: noMasks, words } = masks;
    // Under lose a pair costs a question more than under continue (no guessing one of two), and a
    // three-way split's estimated cost picks better than its entropy there (5.44 questions, not 5.50,
    // for animals90; under continue the entropy does better: 5.20, not 5.30).
    const byCost = threeWay && rule === 'lose';
    let bestCost = Infinity;
    for (let a = 0; a < gains.length; a++) {
      if (asked[a]) {
        gains[a] = -1;
        continue;
      }
      // the hot loop of every expert move: counts only, nothing allocated
      const yes = countWhere(yesMasks, words, set, a);
      const no = countWhere(noMasks, words, set, a);
      const gain = threeWay ? informationGain3(count, yes, no, count - yes - no) : informationGain(count, yes, no, count - yes - no);
      gains[a] = gain;
      if (byCost) {
        const u = count - yes - no;
        const m = this.lose3;
        const cost = yes * m[yes]! + no * m[no]! + u * m[u]!;
        if (gain > 1e-9 && (cost < bestCost - 1e-9 || (cost < bestCost + 1e-9 && gain > bestGain))) {
          best = a;
          bestGain = gain;
          bestCost = cost;
        }
        continue;
      }
      if (gain > bestGain) {
        best = a;
        bestGain = gain;
      }
    }
    if (best < 0) return { best, cost: Infinity };
    const yes = countWhere(yesMasks, words, set, best);
    const no = countWhere(noMasks, words, set, best);
    const u = count - yes - no;
    if (threeWay) {
      const m = this.means3;
      return { best, cost: 1 + (yes * m[yes]! + no * m[no]! + u * m[u]!) / count };
    }
    const m = this.means;
    return { best, cost: 1 + (yes * m[yes + u]! + no * m[no + u]! + u * m[count]!) / count };
  }

  /** Whether to guess rather than ask the best question (of expected cost `cost`); under lose only a lone candidate. */
  guesses(count: number, cost: number, rule: WrongGuessRule, threeWay: boolean): boolean {
    if (rule === 'lose') return count === 1;
    const guessCost = 1 + ((count - 1) / count) * (threeWay ? this.means3 : this.means)[count - 1]!;
    return guessCost < cost - 1e-9;
  }

  /** The expert's move: the best question, or a guess when none informs or a guess is expected to finish sooner. */
  move(masks: TruthMasks, set: Uint32Array, count: number, asked: ArrayLike<number>, rule: WrongGuessRule, threeWay: boolean, gains: Float64Array): GreedyMove {
    const { best, cost } = this.score(masks, set, count, asked, rule, threeWay, gains);
    if (best < 0 || this.guesses(count, cost, rule, threeWay)) return { guess: true };
    return { ask: best, cost };
  }
}
