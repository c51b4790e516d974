import { NO, UNKNOWN, YES, type Domain } from './domain.js';
import type { Meaning } from './meaning.js';
import { TreeSearch, type Semantics } from './tree.js';
import type { Answer, Move, QuestionMove, Rules, Trajectory, Turn } from './types.js';

/**
 * The exact regret of each move of a game against a deterministic answerer (`kb` with `unknown: say`
 * or `coin`), from the exact tree search of tree.ts.
 *
 * V(S) is the least expected number of questions still needed from the candidates S that the answers
 * so far leave (each as likely as the answers make it; the final guess counted): f(S) / w(S), f being
 * the search's optimal total and w(S) the weight of S. A move m at S costs in expectation
 * Q(S, m) = 1 + sum over answers a of P(a | S) V(S_a) = 1 + sum_a f(S_a) / w(S), the branch where a
 * guess is right costing nothing more; its regret is Q(S, m) - V(S) >= 0: what the move lost against
 * the best one, whichever candidate is the secret, so it rewards decisions rather than luck. A move
 * that tells nothing (an invalid move, a question not understood or asked again, a guess of a
 * candidate already ruled out) leaves S as it was and has regret 1. A game of the optimal tree has
 * regret 0 at every turn.
 *
 * The budget of questions is not in V: exact while the game has more questions left than the tree
 * needs (9 at most on animals90). Under `wrong_guess: lose` a wrong guess costs the questions left in
 * the budget, as the metrics count a lost game.
 */

/** The candidates the answers so far leave: their weights (say: 1; coin: halved for each unknown fact asked) and the questions asked. */
interface Belief {
  weight: Float64Array;
  asked: number[];
  total: number;
}

export interface TurnRegret {
  /** V(S) before the move. */
  value: number;
  /** Q(S, move). */
  cost: number;
  /** cost - value (0 for the best move). */
  regret: number;
  /** Candidates in S before the move. */
  left: number;
}

export interface RegretSetup {
  rules: Rules;
  semantics: Semantics;
  /** How the answerer reads a question without an attribute (kb: questionReader); absent: only attribute questions are understood. */
  meaning?(question: QuestionMove): Meaning;
}

/** Thrown when the answers of a game contradict the truth table: regret needs a deterministic answerer. */
export class RegretError extends Error {}

export class Regret {
  private readonly search: TreeSearch;
  private readonly truth: Uint8Array;
  private readonly attributes: number;

  constructor(
    private readonly domain: Domain,
    private readonly setup: RegretSetup,
  ) {
    if (!domain.truth) throw new Error(`regret needs a domain with a truth table; ${domain.name} has none`);
    this.truth = domain.truth;
    this.attributes = domain.attributes.length;
    this.search = new TreeSearch(domain, setup.rules.wrong_guess, setup.semantics);
  }

  /** Every candidate, each weighing 1: a game's start. */
  start(): Belief {
    return { weight: new Float64Array(this.domain.size).fill(1), asked: [], total: this.domain.size };
  }

  /** V(S): optimal expected questions from S. */
  value(belief: Belief): number {
    return belief.total > 0 ? this.search.value(belief.weight, belief.asked) / belief.total : 0;
  }

  /** The regret of every turn of a game, in order; the game's total regret is their sum. */
  turns(turns: readonly Turn[]): TurnRegret[] {
    let belief = this.start();
    return turns.map((turn, t) => {
      const value = this.value(belief);
      const cost = this.cost(belief, turn.move, t);
      const left = belief.weight.reduce((n, w) => n + (w > 0 ? 1 : 0), 0);
      if (turn.answer !== undefined && !(turn.move.kind === 'guess' && turn.answer === 'yes')) belief = this.after(belief, turn.move, turn.answer, t);
      // rounding of f / w: an optimal move is 0, not -1e-16
      const regret = Math.abs(cost - value) < 1e-9 ? 0 : cost - value;
      return { value, cost, regret, left };
    });
  }

  /** The summed regret of a finished game. */
  total(game: Pick<Trajectory, 'turns'>): number {
    return this.turns(game.turns).reduce((sum, t) => sum + t.regret, 0);
  }

  /** Q(S, move), the move being turn t of its game. */
  private cost(belief: Belief, move: Move, t: number): number {
    const meaning = this.meaningOf(move);
    if (!meaning) return 1 + this.value(belief);
    if ('candidate' in meaning) {
      const c = this.domain.candidateIndexOf(meaning.candidate)!;
      const w = belief.weight[c]!;
      if (w === 0) return 1 + this.value(belief);
      const rest = this.without(belief, c);
      if (move.kind === 'question') return 1 + (w + this.search.value(rest.weight, rest.asked)) / belief.total; // answered, not won: the guess is still to make
      if (this.setup.rules.wrong_guess === 'lose') return 1 + (rest.total / belief.total) * (this.setup.rules.max_questions - t - 1);
      return 1 + this.search.value(rest.weight, rest.asked) / belief.total;
    }
    const children = this.split(belief, meaning.attribute);
    return 1 + children.reduce((sum, child) => sum + this.search.value(child.weight, child.asked), 0) / belief.total;
  }

  private meaningOf(move: Move): Meaning {
    if (move.kind === 'invalid') return undefined;
    if (move.kind === 'guess') return { candidate: move.candidate };
    if (move.attribute !== undefined) {
      const a = this.domain.attributeIndexOf(move.attribute);
      return a === undefined ? undefined : { attribute: a };
    }
    return this.setup.meaning?.(move);
  }

  private fact(c: number, a: number): number {
    return this.truth[c * this.attributes + a]!;
  }

  /** The beliefs each answer to attribute a leaves (one, S itself, when a tells nothing). */
  private split(belief: Belief, a: number): Belief[] {
    if (this.setup.semantics === 'say') {
      return [NO, YES, UNKNOWN].map((v) => this.keep(belief, (c) => (this.fact(c, a) === v ? 1 : 0), belief.asked)).filter((b) => b.total > 0);
    }
    // coin: asked again, the coin repeats and tells nothing new
    if (belief.asked.includes(a)) return [belief];
    const asked = [...belief.asked, a];
    return [YES, NO].map((side) => this.keep(belief, (c) => (this.fact(c, a) === side ? 1 : this.fact(c, a) === UNKNOWN ? 0.5 : 0), asked)).filter((b) => b.total > 0);
  }

  private keep(belief: Belief, factor: (c: number) => number, asked: number[]): Belief {
    const weight = new Float64Array(belief.weight.length);
    let total = 0;
    belief.weight.forEach((w, c) => {
      if (w > 0) total += weight[c] = w * factor(c);
    });
    return { weight, asked, total };
  }

  private without(belief: Belief, candidate: number): Belief {
    return this.keep(belief, (c) => (c === candidate ? 0 : 1), belief.asked);
  }

  /** The belief after the answer a move got (turn t). */
  private after(belief: Belief, move: Move, answer: Answer, t: number): Belief {
    const meaning = this.meaningOf(move);
    let next = belief;
    if (meaning && 'candidate' in meaning) {
      const c = this.domain.candidateIndexOf(meaning.candidate)!;
      next = answer === 'yes' ? this.keep(belief, (x) => (x === c ? 1 : 0), belief.asked) : this.without(belief, c);
    } else if (meaning) {
      const a = meaning.attribute;
      if (this.setup.semantics === 'say') {
        const v = answer === 'yes' ? YES : answer === 'no' ? NO : UNKNOWN;
        next = this.keep(belief, (c) => (this.fact(c, a) === v ? 1 : 0), belief.asked);
      } else if (answer !== 'unknown') {
        const side = answer === 'yes' ? YES : NO;
        const again = belief.asked.includes(a);
        next = this.keep(belief, (c) => (this.fact(c, a) === side ? 1 : this.fact(c, a) === UNKNOWN ? (again ? 1 : 0.5) : 0), again ? belief.asked : [...belief.asked, a]);
      }
    }
    if (next.total === 0) {
      throw new RegretError(`turn ${t + 1}: the answer "${answer}" to ${JSON.stringify(move.text)} leaves no candidate the truth table allows; regret needs a deterministic answerer (kb with unknown: say or coin)`);
    }
    return next;
  }
}
