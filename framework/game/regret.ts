import { NO, UNKNOWN, YES, type Domain } from './domain.js';
import type { Meaning } from './meaning.js';
import { TreeValues, type Semantics } from './tree.js';
import type { Answer, Move, QuestionMove, Rules, Trajectory, Turn } from './types.js';

/**
 * The exact regret of each move of a game against a deterministic answerer (`kb` with `unknown: say`
 * or `coin`), from the exact tree search of tree.ts (TreeValues: one search per domain and rules, memoised per
 * candidate set, so the sets of many games cost little more than those of the first).
 *
 * V(S) is the least expected number of questions still needed from the candidates S that the answers
 * so far leave (each as likely as the answers make it; the final guess counted): under `coin` a candidate
 * whose fact was unknown for a question asked weighs half for each such question. A move m at S costs
 * in expectation Q(S, m) = 1 + sum over answers a of P(a | S) V(S_a), the branch where a guess is
 * right costing nothing more; its regret is Q(S, m) - V(S) >= 0: what the move lost against
 * the best one, whichever candidate is the secret, so it rewards decisions rather than luck. A move
 * that tells nothing (an invalid move, a question not understood or asked again, a guess of a
 * candidate already ruled out) leaves S as it was and has regret 1. A game of the optimal tree has
 * regret 0 at every turn.
 *
 * The budget of questions is not in V: exact while the game has more questions left than the tree
 * needs (9 at most on animals90). Under `wrong_guess: lose` a wrong guess costs the questions left in
 * the budget, as the metrics count a lost game.
 */

/** What the answers so far leave: the candidates still possible (domain indices) and the questions asked. */
interface Belief {
  members: number[];
  asked: number[];
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
  private readonly values: TreeValues;
  private readonly truth: Uint8Array;
  private readonly attributes: number;

  constructor(
    private readonly domain: Domain,
    private readonly setup: RegretSetup,
  ) {
    if (!domain.truth) throw new Error(`regret needs a domain with a truth table; ${domain.name} has none`);
    this.truth = domain.truth;
    this.attributes = domain.attributes.length;
    this.values = new TreeValues(domain, { rule: setup.rules.wrong_guess, semantics: setup.semantics });
  }

  /** Every candidate: a game's start. */
  start(): Belief {
    return { members: this.domain.candidates.map((_, c) => c), asked: [] };
  }

  /** V(S): optimal expected questions from S. */
  value(belief: Belief): number {
    return this.values.value(belief.members, belief.asked);
  }

  /** The regret of every turn of a game, in order; the game's total regret is their sum. */
  turns(turns: readonly Turn[]): TurnRegret[] {
    let belief = this.start();
    return turns.map((turn, t) => {
      const value = this.value(belief);
      const cost = this.cost(belief, turn.move, t);
      const left = belief.members.length;
      if (turn.answer !== undefined && !(turn.move.kind === 'guess' && turn.answer === 'yes')) belief = this.after(belief, turn.move, turn.answer, t);
      // rounding: an optimal move is 0, not -1e-16
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
    if ('attribute' in meaning) return this.values.valueOfAsk(belief.members, belief.asked, meaning.attribute);
    const c = this.domain.candidateIndexOf(meaning.candidate)!;
    if (!belief.members.includes(c)) return 1 + this.value(belief);
    if (move.kind === 'guess' && this.setup.rules.wrong_guess === 'continue') return this.values.valueOfGuess(belief.members, belief.asked, c);
    // the share of S's weight that is not c
    const weights = belief.members.map((m) => this.weightOf(m, belief.asked));
    const total = weights.reduce((a, b) => a + b, 0);
    const others = (total - this.weightOf(c, belief.asked)) / total;
    // a wrong guess under lose loses the game: the questions left in the budget, as a lost game counts
    if (move.kind === 'guess') return 1 + others * (this.setup.rules.max_questions - t - 1);
    // a question naming a candidate is answered, not won: the guess is still to make
    const rest = this.without(belief, c);
    return 1 + (1 - others) + others * this.value(rest);
  }

  /** A candidate's weight in S: under coin halved for each question asked whose fact is unknown for it. */
  private weightOf(c: number, asked: readonly number[]): number {
    if (this.setup.semantics === 'say') return 1;
    return asked.reduce((w, a) => (this.fact(c, a) === UNKNOWN ? w / 2 : w), 1);
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

  private without(belief: Belief, candidate: number): Belief {
    return { members: belief.members.filter((c) => c !== candidate), asked: belief.asked };
  }

  /** The belief after the answer a move got (turn t). */
  private after(belief: Belief, move: Move, answer: Answer, t: number): Belief {
    const meaning = this.meaningOf(move);
    let next = belief;
    if (meaning && 'candidate' in meaning) {
      const c = this.domain.candidateIndexOf(meaning.candidate)!;
      next = answer === 'yes' ? { members: belief.members.filter((x) => x === c), asked: belief.asked } : this.without(belief, c);
    } else if (meaning) {
      const a = meaning.attribute;
      if (this.setup.semantics === 'say') {
        const v = answer === 'yes' ? YES : answer === 'no' ? NO : UNKNOWN;
        next = { members: belief.members.filter((c) => this.fact(c, a) === v), asked: belief.asked };
      } else if (answer !== 'unknown') {
        // coin: an unknown fact may have come up either way; asked again, the coin repeats
        const side = answer === 'yes' ? YES : NO;
        const members = belief.members.filter((c) => this.fact(c, a) === side || this.fact(c, a) === UNKNOWN);
        next = { members, asked: belief.asked.includes(a) ? belief.asked : [...belief.asked, a] };
      }
    }
    if (next.members.length === 0) {
      throw new RegretError(`turn ${t + 1}: the answer "${answer}" to ${JSON.stringify(move.text)} leaves no candidate the truth table allows; regret needs a deterministic answerer (kb with unknown: say or coin)`);
    }
    return next;
  }
}
