import type { Domain } from './domain.js';
import { GreedyTree } from './tree-greedy.js';
import { askChildren, unknownsOf } from './tree-moves.js';
import { SearchProblem } from './tree-problem.js';
import { Search, SliceOver } from './tree-search.js';
import { forEachBit, guessed, type Action, type State } from './tree-state.js';
import { DEFAULT_RULES, type WrongGuessRule } from './types.js';

export { ternaryTable } from './tree-bounds.js';

/**
 * What an answerer's "unknown" means for a question whose fact the table marks unknown:
 * `say`: it answers "unknown", so an attribute question splits the candidates three ways;
 * `coin`: it answers yes or no at random (fixed per game and question), so "unknown" carries nothing
 * and such a candidate stays on both sides of the question, with half its weight on each.
 */
export type Semantics = 'say' | 'coin';

/** The optimal decision tree over a domain's own questions, as a policy plays it (ids, not indices). */
export type TreeNode = { ask: string; yes?: TreeNode; no?: TreeNode; unknown?: TreeNode } | { guess: string; no?: TreeNode };

export interface TreeOptions {
  rule: WrongGuessRule;
  semantics: Semantics;
  /** The targets played, as candidate indices; a target played several times weighs as many. Default: every candidate once. */
  targets?: readonly number[];
  /** Give up proving after this long and report the best tree found and the best lower bound proved (default: no limit). */
  timeLimitMs?: number;
  /**
   * Under lose, candidates that share every answer cannot all be won: the tree wins the heaviest of
   * them and the others' games are lost, each counted as this many questions, as the game's average
   * counts a lost game (default 20).
   */
  maxQuestions?: number;
}

export interface TreeBound {
  rule: WrongGuessRule;
  semantics: Semantics;
  /** Distinct targets, and the games they stand for (the total weight). */
  candidates: number;
  games: number;
  /** Mean questions of the best tree found (the final guess counted), over the games. */
  mean: number;
  /** True when the search proved that tree optimal; otherwise `lower` is the best lower bound proved. */
  proved: boolean;
  lower: number;
  /** Mean questions of the information-gain expert's tree (infogain's games), the search's first upper bound. */
  greedy: number;
  /** Most questions any game needs with that tree. */
  worst: number;
  /** histogram[q]: games (weight) that need q questions with that tree. */
  histogram: number[];
  /** Sets of candidates searched (memoised). */
  states: number;
  ms: number;
  tree: TreeNode;
}

/** How far a search has got: for a progress line. */
export interface TreeProgress {
  ms: number;
  states: number;
  /** Mean questions of the best tree found so far. */
  best: number;
}

export interface SearchControl {
  /** Stops the search (the promise rejects with the signal's reason) at its next slice. */
  signal?: AbortSignal;
  /** Called between slices. */
  onProgress?(progress: TreeProgress): void;
  /** Length of a slice of search between yields to the event loop (default 50 ms). */
  sliceMs?: number;
}

/**
 * One exact search: the problem, the expert's tree as the first upper bound, and the branch and bound
 * (see Search) run in slices, so that a caller can yield between them.
 */
class TreeSolver {
  private readonly problem: SearchProblem;
  private readonly search: Search;
  private readonly greedy: GreedyTree;
  private readonly root: State;
  private readonly rootUnknowns: number;
  private readonly greedyTotal: number;
  private readonly started = performance.now();
  private readonly deadline: number;
  private value: number | undefined;

  constructor(
    private readonly domain: Domain,
    private readonly options: TreeOptions,
  ) {
    this.problem = new SearchProblem(domain, options.targets, options.rule === 'lose');
    this.search = new Search(this.problem, options.rule, options.semantics === 'coin');
    this.greedy = new GreedyTree(this.search.states, options.rule, options.semantics === 'say');
    this.root = this.search.states.root();
    this.rootUnknowns = unknownsOf(this.search.states, this.root);
    this.greedyTotal = this.greedy.cost(this.root);
    this.deadline = this.started + (options.timeLimitMs ?? Infinity);
  }

  /** Searches for up to `sliceMs`; true when the search is over (proved, or out of time). */
  step(sliceMs: number): boolean {
    if (this.value !== undefined || performance.now() >= this.deadline) return true;
    this.search.sliceEnd = Math.min(this.deadline, performance.now() + sliceMs);
    try {
      this.value = this.search.search(this.root, this.greedyTotal, this.rootUnknowns, true);
      return true;
    } catch (error) {
      if (!(error instanceof SliceOver)) throw error;
      return performance.now() >= this.deadline;
    } finally {
      this.search.sliceEnd = Infinity;
    }
  }

  progress(): TreeProgress {
    const lost = this.problem.lost.weight * (this.options.maxQuestions ?? DEFAULT_RULES.max_questions);
    return { ms: performance.now() - this.started, states: this.search.memo.size, best: (this.bestTotal() + lost) / (this.root.total + this.problem.lost.weight) };
  }

  private bestTotal(): number {
    if (this.value !== undefined) return Math.min(this.value, this.greedyTotal);
    return Math.min(this.search.rootBest?.cost ?? Infinity, this.greedyTotal);
  }

  /** The best lower bound proved for the root: its own, or the least over its moves of what their children are proved to cost. */
  private rootLower(): number {
    const { moves } = this.search.moves(this.root);
    const slot = this.search.memo.find(this.root.key);
    const stored = slot >= 0 ? this.search.memo.value(slot) : 0;
    return Math.max(stored, this.search.staticLower(this.root, this.rootUnknowns), moves.length > 0 ? moves[0]!.bound : 0);
  }

  result(): TreeBound {
    const proved = this.value !== undefined;
    const rootAction = proved ? undefined : this.search.rootBest?.action;
    const built = this.build(this.root, 0, rootAction);
    const lost = this.problem.lost;
    const maxQuestions = this.options.maxQuestions ?? DEFAULT_RULES.max_questions;
    const lostQuestions = lost.weight * maxQuestions;
    if (lost.weight > 0) built.histogram[maxQuestions] = (built.histogram[maxQuestions] ?? 0) + lost.weight;
    for (let q = 0; q < built.histogram.length; q++) built.histogram[q] ??= 0;
    const games = this.root.total + lost.weight;
    const lower = proved ? built.total : Math.min(this.rootLower(), built.total);
    return {
      rule: this.options.rule,
      semantics: this.options.semantics,
      candidates: this.root.n + lost.targets,
      games,
      mean: (built.total + lostQuestions) / games,
      proved,
      lower: (lower + lostQuestions) / games,
      greedy: (this.greedyTotal + lostQuestions) / games,
      worst: built.histogram.length - 1,
      histogram: built.histogram,
      states: this.search.memo.size,
      ms: performance.now() - this.started,
      tree: built.node,
    };
  }

  /** The move for s in the tree returned: the solved one, else (a search cut short) the expert's. */
  private decide(s: State, forced: Action | undefined): Action {
    if (forced !== undefined) return forced;
    return this.search.direct(s)?.action ?? this.greedy.move(s);
  }

  private build(s: State, depth: number, forced?: Action): { node: TreeNode; total: number; histogram: number[] } {
    const histogram: number[] = [];
    const add = (q: number, w: number) => (histogram[q] = (histogram[q] ?? 0) + w);
    const action = this.decide(s, forced);
    if (action < 0) {
      const c = guessed(action);
      const w = this.search.states.weightOf(s, c);
      add(depth + 1, w);
      const id = this.domain.candidates[this.problem.order[c]!]!.id;
      if (s.n === 1) return { node: { guess: id }, total: w * (depth + 1), histogram };
      const rest = this.build(this.search.states.without(s, c), depth + 1);
      rest.histogram.forEach((h, q) => h && add(q, h));
      return { node: { guess: id, no: rest.node }, total: w * (depth + 1) + rest.total, histogram };
    }
    const node: TreeNode = { ask: this.domain.attributes[action]!.id };
    let total = 0;
    const split = askChildren(this.search.states, s, action)!;
    split.children.forEach((child, i) => {
      const sub = this.build(child, depth + 1);
      sub.histogram.forEach((h, q) => h && add(q, h));
      total += sub.total;
      node[split.branches[i]!] = sub.node;
    });
    return { node, total, histogram };
  }
}

/** The optimal tree over a domain's questions for the given rules, semantics and targets, searched without a break. */
export function optimalTree(domain: Domain, options: TreeOptions): TreeBound {
  const solver = new TreeSolver(domain, options);
  while (!solver.step(Infinity));
  return solver.result();
}

/**
 * The same search, yielding to the event loop between slices of `sliceMs`, so that a signal handler
 * (Ctrl-C) runs and `signal` can stop it within a slice.
 */
export async function searchTree(domain: Domain, options: TreeOptions & SearchControl): Promise<TreeBound> {
  const solver = new TreeSolver(domain, options);
  const slice = options.sliceMs ?? 50;
  for (;;) {
    options.signal?.throwIfAborted();
    if (solver.step(slice)) break;
    options.onProgress?.(solver.progress());
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return solver.result();
}

/**
 * V(S): the least expected number of questions still needed (the final guess counted) when the
 * candidates in `members` are still possible, every target weighing as in `targets` (default: each
 * candidate once), under the given rules and semantics. Exact; each set of candidates is solved once
 * and remembered across calls, so the sets of a whole game, or of many games, cost little more than
 * the first. Under coin semantics `asked` lists the questions asked so far: their coins are drawn (they
 * tell nothing if asked again) and each halved the weight of the members unknown there. Under lose,
 * of candidates that share every answer only the first (the one the tree would win) counts; the games
 * of the others are lost whatever is asked.
 */
export class TreeValues {
  private readonly problem: SearchProblem;
  private readonly search: Search;

  constructor(domain: Domain, options: Omit<TreeOptions, 'timeLimitMs' | 'maxQuestions'>) {
    this.problem = new SearchProblem(domain, options.targets, options.rule === 'lose');
    this.search = new Search(this.problem, options.rule, options.semantics === 'coin');
  }

  /** V(S) for the candidates `members` (domain indices; those not among the targets weigh nothing). */
  value(members: readonly number[], asked: readonly number[] = []): number {
    const s = this.state(members, asked);
    return s.n === 0 ? 0 : this.total(s) / s.total;
  }

  /** The expected questions of asking `attribute` now and playing best after: V(S) plus the question's regret. */
  valueOfAsk(members: readonly number[], asked: readonly number[], attribute: number): number {
    const s = this.state(members, asked);
    const split = askChildren(this.search.states, s, attribute);
    if (!split) return 1 + this.value(members, asked);
    return (s.total + split.children.reduce((t, c) => t + this.total(c), 0)) / s.total;
  }

  /** The expected questions of guessing `candidate` now (a domain index) and playing best after. */
  valueOfGuess(members: readonly number[], asked: readonly number[], candidate: number): number {
    const s = this.state(members, asked);
    const c = this.problem.internal[candidate]!;
    if (c < 0 || !((s.bits[c >> 5]! >>> (c & 31)) & 1)) return 1 + this.value(members, asked);
    return (s.total + (s.n === 1 ? 0 : this.total(this.search.states.without(s, c)))) / s.total;
  }

  private total(s: State): number {
    return this.search.search(s, Infinity, unknownsOf(this.search.states, s));
  }

  private state(members: readonly number[], asked: readonly number[]): State {
    const { states } = this.search;
    const bits = new Uint32Array(this.problem.words);
    for (const m of members) {
      const c = this.problem.internal[m];
      if (c === undefined) throw new Error(`tree: no candidate ${m}`);
      if (c >= 0) bits[c >> 5]! |= 1 << (c & 31);
    }
    if (!states.coin) return states.make(bits, null, null);
    const askedBits = new Uint32Array(states.attributeWords);
    for (const a of asked) askedBits[a >> 5]! |= 1 << (a & 31);
    const weights = this.problem.weight.slice();
    const { unknown, words } = this.problem;
    forEachBit(askedBits, (a) =>
      forEachBit(bits, (c) => {
        if (unknown[a * words + (c >> 5)]! & (1 << (c & 31))) weights[c]! /= 2;
      }),
    );
    return states.make(bits, states.liveIn(bits, askedBits), weights);
  }
}
