import { huffman, LowerBounds } from './tree-bounds.js';
import { StateMemo } from './tree-memo.js';
import { askMoves, guessMoves, guessThrough, unknownsOf, type Move } from './tree-moves.js';
import type { SearchProblem } from './tree-problem.js';
import { forEachBit, guessAction, States, type Action, type State } from './tree-state.js';
import type { WrongGuessRule } from './types.js';

const EPS = 1e-9;

/** Thrown out of the search when its time slice is over; the memo keeps what was proved. */
export class SliceOver extends Error {}

/**
 * Exact optimal decision tree over a table's questions, by memoised branch and bound.
 *
 * f(S) is the least sum over S of weight x questions (the final guess counted). From S one may ask an
 * attribute, which costs every member one question and splits S by its answer (see askChildren), or,
 * under `wrong_guess: continue`, guess a member, which ends that member's game and leaves the rest.
 * Under `lose` a guess is made only of a lone candidate (candidates that share every answer are one:
 * see SearchProblem.lost), unless no question tells the rest apart, which under coin can happen with
 * rows that differ only where a drawn coin hides them (then they are guessed heaviest first, as under
 * continue).
 *
 * search(S, ub) returns f(S) when it is below ub (and stores it), else a lower bound of at least ub
 * (stored too, so that a later visit starts from it). Moves are tried in order of their lower bound
 * (the weight of S plus its children's bounds); a child is searched with the budget the others'
 * bounds leave it. Bounds of a set: see LowerBounds, from its size, how many members a question can
 * leave on its unknown side, and whether it holds twins.
 */
export class Search {
  readonly states: States;
  readonly memo: StateMemo;
  private readonly bounds: LowerBounds;
  private readonly coinSeparable: boolean;
  /** Sets expanded so far. */
  expanded = 0;
  /** When the current time slice ends (performance.now()); checked every 16 expansions. */
  sliceEnd = Infinity;
  /** The root of the current search, and the best complete move found there (its children are solved in the memo). */
  private root: State | undefined;
  rootBest: { cost: number; action: Action } | undefined;

  constructor(
    readonly problem: SearchProblem,
    readonly rule: WrongGuessRule,
    coin: boolean,
  ) {
    this.states = new States(problem, coin);
    this.memo = new StateMemo(this.states.keyWidth);
    this.bounds = new LowerBounds(problem.size);
    this.coinSeparable = this.states.coin && rule === 'lose' && problem.coinSeparable();
  }

  /**
   * The bound of s from its weights alone (see LowerBounds), and from its classes when it holds twins
   * (the bounds of `lose` hold only for a set without: then no wrong guess is made).
   */
  staticLower(s: State, unknowns: number): number {
    if (s.n <= 1) return s.total;
    if (this.states.coin) return this.bounds.of(this.states.weightList(s), 0, this.rule, this.coinSeparable);
    const twins = this.problem.twins.length > 0 && this.problem.hasTwins(s.bits);
    const plain = !s.weights && this.problem.uniform ? this.problem.weight[0]! * this.bounds.table(unknowns, this.rule, !twins)[s.n]! : this.bounds.of(this.states.weightList(s), unknowns, this.rule, !twins);
    return twins ? Math.max(plain, this.classLower(s, unknowns > 0 ? 3 : 2)) : plain;
  }

  /**
   * A bound for a set with twins. Members of a class go down one path and are guessed one after
   * another, heaviest first; the place where a class's first member is guessed (under lose: where the
   * class is alone) is a leaf of a tree of the questions' arity over the classes, which costs at least
   * the Huffman code of the classes' weights.
   */
  private classLower(s: State, arity: 2 | 3): number {
    const classes: number[] = [];
    let within = 0;
    let first = -1;
    let weight = 0;
    let rank = 0;
    forEachBit(s.bits, (c) => {
      const start = this.problem.classStart[c]!;
      if (start !== first) {
        if (first >= 0) classes.push(weight);
        first = start;
        weight = 0;
        rank = this.rule === 'lose' ? 1 : 0;
      }
      const w = this.states.weightOf(s, c);
      weight += w;
      within += w * rank++;
    });
    classes.push(weight);
    const code = classes.length === 1 ? (this.rule === 'lose' ? 0 : classes[0]!) : huffman(classes, arity);
    return code + within;
  }

  /** The best bound known for s: exact when solved. */
  lower(s: State, unknowns: number): number {
    if (s.n <= 1) return s.total;
    const slot = this.memo.find(s.key);
    if (slot >= 0 && this.memo.isExact(slot)) return this.memo.value(slot);
    const bound = this.staticLower(s, unknowns);
    return slot >= 0 ? Math.max(bound, this.memo.value(slot)) : bound;
  }

  /** f(S) exactly, with the move that achieves it, where no search is needed; else undefined. */
  direct(s: State): { value: number; action: Action } | undefined {
    if (s.n === 1) return { value: s.total, action: guessAction(firstMember(s)) };
    const slot = this.memo.find(s.key);
    if (slot >= 0 && this.memo.isExact(slot)) return { value: this.memo.value(slot), action: this.memo.action(slot) };
    if (askMoves(this.states, s).length > 0) return undefined;
    const { total, first } = guessThrough(this.states, s);
    return { value: total, action: guessAction(first) };
  }

  /** The moves of s with their bounds, cheapest first; empty when no question tells its members apart. */
  moves(s: State): { moves: Move[]; unknowns: number } {
    const asks = askMoves(this.states, s);
    if (asks.length === 0) return { moves: [], unknowns: 0 };
    const unknowns = unknownsOf(this.states, s);
    const all = this.rule === 'continue' ? [...asks, ...guessMoves(this.states, s)] : asks;
    for (const m of all) {
      let bound = s.total;
      for (const c of m.children) bound += this.lower(c, unknowns);
      m.bound = bound;
    }
    return { moves: all.sort((x, y) => x.bound - y.bound), unknowns };
  }

  /** Solves s from scratch or from the memo: f(s) if below ub, else a lower bound of at least ub. */
  search(s: State, ub: number, unknowns: number, root = false): number {
    if (s.n === 1) return s.total;
    if ((++this.expanded & 15) === 0 && performance.now() > this.sliceEnd) throw new SliceOver();
    const slot = this.memo.find(s.key);
    if (slot >= 0 && this.memo.isExact(slot)) return this.memo.value(slot);
    let lb = Math.max(slot >= 0 ? this.memo.value(slot) : 0, this.staticLower(s, unknowns));
    if (lb >= ub - EPS) return lb;
    const { moves, unknowns: below } = this.moves(s);
    if (moves.length === 0) {
      const { total, first } = guessThrough(this.states, s);
      this.memo.setExact(s.key, total, guessAction(first));
      return total;
    }
    if (root) this.root = s;
    lb = Math.max(lb, moves[0]!.bound);
    if (lb >= ub - EPS) {
      this.memo.setLower(s.key, lb);
      return lb;
    }
    let best = ub;
    let bestAction: Action | undefined;
    let failed = Infinity;
    for (const m of moves) {
      if (m.bound >= best - EPS) {
        failed = Math.min(failed, m.bound);
        break;
      }
      const cost = this.tryMove(s, m, best, below);
      if (cost.done) {
        best = cost.value;
        bestAction = m.action;
        if (s === this.root) this.rootBest = { cost: best, action: m.action };
      } else failed = Math.min(failed, cost.value);
    }
    if (bestAction !== undefined) {
      this.memo.setExact(s.key, best, bestAction);
      return best;
    }
    const proved = Math.max(lb, failed);
    this.memo.setLower(s.key, proved);
    return proved;
  }

  /** A move's cost if it is below `limit` (done), else a lower bound on it of at least `limit`. */
  private tryMove(s: State, m: Move, limit: number, unknowns: number): { done: boolean; value: number } {
    const lows = m.children.map((c) => this.lower(c, unknowns));
    let rest = lows.reduce((t, l) => t + l, 0);
    if (s.total + rest >= limit - EPS) return { done: false, value: s.total + rest };
    // the heaviest child first: it decides the most
    const order = m.children.map((_, i) => i).sort((i, j) => m.children[j]!.total - m.children[i]!.total);
    let cost = s.total;
    for (const i of order) {
      rest -= lows[i]!;
      const room = limit - cost - rest;
      const r = this.search(m.children[i]!, room, unknowns);
      if (r >= room - EPS) return { done: false, value: cost + r + rest };
      cost += r;
    }
    return { done: true, value: cost };
  }
}

function firstMember(s: State): number {
  for (let w = 0; w < s.bits.length; w++) if (s.bits[w] !== 0) return w * 32 + 31 - Math.clz32(s.bits[w]! & -s.bits[w]!);
  throw new Error('tree: an empty set of candidates');
}
