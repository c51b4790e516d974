import { GreedyRule } from './greedy.js';
import { askChildren } from './tree-moves.js';
import { forEachBit, guessAction, guessed, type Action, type State, type States } from './tree-state.js';
import type { WrongGuessRule } from './types.js';

/**
 * The information-gain expert's tree (the `infogain` policy's moves, see GreedyRule) over the search's
 * states: the first upper bound of the search, and the tree played where a search is cut short. It
 * guesses the candidate of the lowest index in play, as infogain does (the first member of its class
 * still in play, which is the same candidate when targets weigh the same). Under lose, where infogain
 * would guess with a question left that tells the members apart, it asks that question instead.
 */
export class GreedyTree {
  private readonly rule: GreedyRule;
  private readonly gains: Float64Array;
  private readonly asked: Uint8Array;

  constructor(
    private readonly states: States,
    private readonly wrongGuess: WrongGuessRule,
    private readonly threeWay: boolean,
  ) {
    this.rule = new GreedyRule(states.problem.domain.size);
    this.gains = new Float64Array(states.problem.attributes);
    this.asked = new Uint8Array(states.problem.attributes);
  }

  move(s: State): Action {
    const p = this.states.problem;
    if (s.n > 1) {
      this.asked.fill(0);
      if (s.live) forEachBit(s.live, (a) => (this.asked[a] = 1));
      const move = this.rule.move(p, s.bits, s.n, this.asked, this.wrongGuess, this.threeWay, this.gains);
      if ('ask' in move) return move.ask;
      // Under lose the tree guesses only where no question tells the members apart; infogain's gain
      // misses a question that splits off half a coin (it guesses, and may lose the game)
      if (this.wrongGuess === 'lose') {
        for (let a = 0; a < p.attributes; a++) if (askChildren(this.states, s, a)) return a;
      }
    }
    let lowest = -1;
    forEachBit(s.bits, (c) => {
      if (lowest < 0 || p.order[c]! < p.order[lowest]!) lowest = c;
    });
    // the first of its class in play: the members of a class are told apart by nothing but the order of guesses
    let first = p.classStart[lowest]!;
    while (!((s.bits[first >> 5]! >>> (first & 31)) & 1)) first++;
    return guessAction(first);
  }

  /** The children a move leads to (a guess: the state without the candidate, unless it was the last). */
  children(s: State, action: Action): State[] {
    if (action < 0) return s.n === 1 ? [] : [this.states.without(s, guessed(action))];
    return askChildren(this.states, s, action)!.children;
  }

  /** Sum over s of weight x questions when the expert plays from s. */
  cost(s: State): number {
    let total = s.total;
    for (const child of this.children(s, this.move(s))) total += this.cost(child);
    return total;
  }
}
