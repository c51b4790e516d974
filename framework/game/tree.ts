import { NO, UNKNOWN, YES, type Domain } from './domain.js';
import { optimalTable } from './bounds.js';
import type { WrongGuessRule } from './types.js';

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
  /** Give up proving after this long and report the best lower and upper bounds found (default: no limit). */
  timeLimitMs?: number;
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
  /** Most questions any game needs with that tree. */
  worst: number;
  /** histogram[q]: games (weight) that need q questions with that tree. */
  histogram: number[];
  /** Sets of candidates searched (memoised). */
  states: number;
  ms: number;
  tree: TreeNode;
}

const EPS = 1e-9;

type Branch = 'yes' | 'no' | 'unknown';
/** Indexed by the table's values: NO = 0, YES = 1, UNKNOWN = 2. */
const BRANCHES: readonly Branch[] = ['no', 'yes', 'unknown'];

/** A state of the search: the candidates still possible, their weights, and (coin) the live questions asked. */
interface State {
  bits: Uint32Array;
  members: number[];
  /** weight[c] for every member c (indexed by candidate). */
  weight: Float64Array;
  /** Coin semantics: questions asked on the way here, which must not be asked again (their coins are drawn). */
  asked: readonly number[];
  total: number;
}

type Action = { kind: 'ask'; attribute: number; children: State[] } | { kind: 'guess'; candidate: number; children: State[] };

interface Entry {
  exact?: number;
  lb: number;
  action?: { kind: 'ask' | 'guess'; index: number };
}

class TimeUp extends Error {}

/**
 * Lower bound on f(S) from the weights alone. Equal weights: the optimal tree with arbitrary questions
 * of the same arity (three-way for `say`, two-way for `coin`), by dynamic programming over counts.
 * Unequal weights: the better of layers of equal weights (see layered) and this: every candidate ends at the yes of a guess, and at least one guess (every guess under
 * `lose`) has nothing on its no side; taking those guesses out leaves a tree of arity k with the
 * candidates as leaves, which costs at least the k-ary Huffman code of the weights.
 */
class LowerBounds {
  private readonly counts: Float64Array;

  constructor(
    size: number,
    private readonly arity: 2 | 3,
    private readonly rule: WrongGuessRule,
  ) {
    this.counts = arity === 2 ? optimalTable(size, rule).total : ternaryTable(size, rule);
  }

  of(weights: readonly number[]): number {
    const n = weights.length;
    if (n === 0) return 0;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const w of weights) {
      if (w < min) min = w;
      if (w > max) max = w;
      sum += w;
    }
    if (max - min < EPS) return min * this.counts[n]!;
    return Math.max(this.layered(weights), huffman(weights, this.arity) + (this.rule === 'lose' ? sum : min));
  }

  /**
   * f is a minimum of linear functions of the weights, so f(a + b) >= f(a) + f(b): cut the weights into
   * layers (the least weight over all, the next over those heavier, ...) and add the equal-weight bounds.
   */
  private layered(weights: readonly number[]): number {
    const sorted = [...weights].sort((a, b) => a - b);
    let bound = 0;
    let below = 0;
    for (let i = 0; i < sorted.length; i++) {
      const step = sorted[i]! - below;
      if (step > EPS) {
        bound += step * this.counts[sorted.length - i]!;
        below = sorted[i]!;
      }
    }
    return bound;
  }
}

/** f(n) with arbitrary questions answered three ways: n + min(f(n-1) [guess], best 2- or 3-way split). */
export function ternaryTable(size: number, rule: WrongGuessRule): Float64Array {
  const f = new Float64Array(size + 1);
  const two = new Float64Array(size + 1).fill(Infinity);
  if (size >= 1) f[1] = 1;
  for (let n = 2; n <= size; n++) {
    for (let k = 1; k <= n >> 1; k++) two[n] = Math.min(two[n]!, f[k]! + f[n - k]!);
    let best = Math.min(two[n]!, rule === 'continue' ? f[n - 1]! : Infinity);
    for (let k = 1; k <= n - 2; k++) best = Math.min(best, f[k]! + two[n - k]!);
    f[n] = n + best;
  }
  return f;
}

/** Cost (sum of weight x depth) of the optimal k-ary prefix code of the weights. */
function huffman(weights: readonly number[], arity: 2 | 3): number {
  const heap = [...weights].sort((a, b) => a - b);
  // k-ary Huffman pads with zero weights so that every merge takes k
  if (arity === 3 && heap.length % 2 === 0) heap.unshift(0);
  let cost = 0;
  // weights are few (a node's candidates): a sorted array with insertion is fast enough
  while (heap.length > 1) {
    let merged = 0;
    for (let i = 0; i < arity && heap.length > 0; i++) merged += heap.shift()!;
    cost += merged;
    let lo = 0;
    let hi = heap.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (heap[mid]! < merged) lo = mid + 1;
      else hi = mid;
    }
    heap.splice(lo, 0, merged);
  }
  return cost;
}

/**
 * Exact optimal decision tree over a domain's attribute questions, by memoised branch and bound.
 *
 * f(S) is the least sum over S of weight x questions (the final guess counted). From S one may ask an
 * attribute, which costs every member one question and splits S by its answer (see Semantics), or,
 * under `wrong_guess: continue`, guess a member, which ends that member's game and leaves the rest.
 * Under `lose` a guess is made only of a lone candidate (a wrong guess would lose a game), unless no
 * question tells the rest apart. Each state is solved at most once exactly; a search that fails under
 * its budget stores the lower bound it proved, so a later visit starts from it. Actions are tried in
 * order of their lower bound (the weight of the state plus its children's bounds); a child is solved
 * with the budget the others' bounds leave it.
 */
export class TreeSearch {
  private readonly memo = new Map<string, Entry>();
  private readonly words: number;
  private readonly attributes: number;
  private readonly truth: Uint8Array;
  private readonly bounds: LowerBounds;
  private readonly masks: { yes: Uint32Array; no: Uint32Array };
  private deadline = Infinity;
  private ticks = 0;

  constructor(
    private readonly domain: Domain,
    private readonly rule: WrongGuessRule,
    private readonly semantics: Semantics,
  ) {
    if (!domain.truth) throw new Error(`domain ${domain.name} has no truth table: no tree over its questions`);
    this.truth = domain.truth;
    this.words = Math.ceil(domain.size / 32);
    this.attributes = domain.attributes.length;
    // Under lose, a set no question tells apart is guessed one by one as under continue: the bounds of
    // lose hold only when that cannot happen.
    this.bounds = new LowerBounds(domain.size, semantics === 'say' ? 3 : 2, rule === 'lose' && this.separable() ? 'lose' : 'continue');
    const yes = new Uint32Array(this.attributes * this.words);
    const no = new Uint32Array(this.attributes * this.words);
    for (let c = 0; c < domain.size; c++) {
      for (let a = 0; a < this.attributes; a++) {
        const v = this.truth[c * this.attributes + a];
        if (v === YES) yes[a * this.words + (c >> 5)]! |= 1 << (c & 31);
        else if (v === NO) no[a * this.words + (c >> 5)]! |= 1 << (c & 31);
      }
    }
    this.masks = { yes, no };
  }

  /**
   * Whether every two candidates are told apart by some question whatever the answers before: rows
   * that differ (say), or a question one answers yes and the other no (coin: an unknown can follow
   * either side).
   */
  private separable(): boolean {
    const n = this.domain.size;
    const A = this.attributes;
    for (let c = 0; c < n; c++) {
      for (let d = c + 1; d < n; d++) {
        let apart = false;
        for (let a = 0; a < A && !apart; a++) {
          const x = this.truth[c * A + a]!;
          const y = this.truth[d * A + a]!;
          apart = this.semantics === 'say' ? x !== y : x !== y && x !== UNKNOWN && y !== UNKNOWN;
        }
        if (!apart) return false;
      }
    }
    return true;
  }

  /** The search for the given targets (every candidate once by default). */
  solve(options: Omit<TreeOptions, 'rule' | 'semantics'> = {}): TreeBound {
    const started = performance.now();
    // say states are keyed by their members alone: the weights (targets) must not change between searches
    this.memo.clear();
    const weight = new Float64Array(this.domain.size);
    for (const t of options.targets ?? this.domain.candidates.map((_, i) => i)) {
      if (!(t >= 0 && t < this.domain.size)) throw new Error(`tree: no candidate ${t}`);
      weight[t]! += 1;
    }
    const root = this.state(weight, []);
    if (root.members.length === 0) throw new Error('tree: no targets');
    this.deadline = options.timeLimitMs === undefined ? Infinity : Date.now() + options.timeLimitMs;
    let proved = true;
    let lower: number;
    try {
      lower = this.search(root, Infinity);
    } catch (error) {
      if (!(error instanceof TimeUp)) throw error;
      proved = false;
      this.deadline = Infinity;
      lower = this.rootLower(root);
    }
    const { node, total, histogram } = this.build(root, 0, proved);
    for (let q = 0; q < histogram.length; q++) histogram[q] ??= 0;
    return {
      rule: this.rule,
      semantics: this.semantics,
      candidates: root.members.length,
      games: root.total,
      mean: total / root.total,
      proved,
      lower: (proved ? total : Math.min(lower, total)) / root.total,
      worst: histogram.length - 1,
      histogram,
      states: this.memo.size,
      ms: performance.now() - started,
      tree: node,
    };
  }

  /**
   * f(S) of one set of candidates, exactly (the weights of its members, and under `coin` the questions
   * asked on the way), keeping what earlier calls proved: regret asks for many sets of one domain.
   * Under `say` every member must weigh 1, as in solve's default targets, for the memo to stay valid.
   */
  value(weight: Float64Array, asked: readonly number[] = []): number {
    const s = this.state(weight, asked);
    if (s.members.length === 0) return 0;
    this.deadline = Infinity;
    return this.search(s, Infinity);
  }

  private state(weight: Float64Array, asked: readonly number[]): State {
    const bits = new Uint32Array(this.words);
    const members: number[] = [];
    let total = 0;
    for (let c = 0; c < weight.length; c++) {
      if (weight[c]! > 0) {
        bits[c >> 5]! |= 1 << (c & 31);
        members.push(c);
        total += weight[c]!;
      }
    }
    return { bits, members, weight, asked, total };
  }

  /** Memo key; f scales with the weights, so coin states are keyed by weights relative to the least. */
  private key(s: State): { key: string; scale: number } {
    if (this.semantics === 'say') return { key: s.bits.join(','), scale: 1 };
    let min = Infinity;
    for (const c of s.members) min = Math.min(min, s.weight[c]!);
    const live = s.asked.filter((a) => s.members.some((c) => this.truth[c * this.attributes + a] === UNKNOWN));
    return { key: `${s.members.map((c) => `${c}:${s.weight[c]! / min}`).join(',')}|${live.join(',')}`, scale: min };
  }

  private lowerOf(s: State): number {
    const entry = this.lookup(s);
    if (entry.entry?.exact !== undefined) return entry.entry.exact * entry.scale;
    const stat = this.bounds.of(s.members.map((c) => s.weight[c]!));
    return entry.entry ? Math.max(stat, entry.entry.lb * entry.scale) : stat;
  }

  private lookup(s: State): { key: string; scale: number; entry: Entry | undefined } {
    const { key, scale } = this.key(s);
    return { key, scale, entry: this.memo.get(key) };
  }

  private without(s: State, c: number): State {
    const weight = s.weight.slice();
    weight[c] = 0;
    return this.state(weight, s.asked);
  }

  /** The children of asking attribute a, or undefined when it tells nothing about S. */
  private askChildren(s: State, a: number): { branch: Branch; state: State }[] | undefined {
    const { yes, no } = this.masks;
    const base = a * this.words;
    let y = 0;
    let n = 0;
    for (let w = 0; w < this.words; w++) {
      y += popcount(s.bits[w]! & yes[base + w]!);
      n += popcount(s.bits[w]! & no[base + w]!);
    }
    const u = s.members.length - y - n;
    if (this.semantics === 'say') {
      if (y === s.members.length || n === s.members.length || u === s.members.length) return undefined;
      const parts = [new Float64Array(this.domain.size), new Float64Array(this.domain.size), new Float64Array(this.domain.size)];
      for (const c of s.members) parts[this.truth[c * this.attributes + a]!]![c] = s.weight[c]!;
      return BRANCHES.map((branch, v) => ({ branch, state: this.state(parts[v]!, s.asked) })).filter((p) => p.state.members.length > 0);
    }
    if (s.asked.includes(a) || u === s.members.length || (u === 0 && (y === 0 || n === 0))) return undefined;
    const sideYes = new Float64Array(this.domain.size);
    const sideNo = new Float64Array(this.domain.size);
    for (const c of s.members) {
      const v = this.truth[c * this.attributes + a];
      const w = s.weight[c]!;
      if (v === YES) sideYes[c] = w;
      else if (v === NO) sideNo[c] = w;
      else {
        sideYes[c] = w / 2;
        sideNo[c] = w / 2;
      }
    }
    const asked = u > 0 ? [...s.asked, a] : s.asked;
    return [
      { branch: 'yes' as const, state: this.state(sideYes, asked) },
      { branch: 'no' as const, state: this.state(sideNo, asked) },
    ].filter((p) => p.state.members.length > 0);
  }

  private actions(s: State): { action: Action; bound: number }[] {
    const out: { action: Action; bound: number }[] = [];
    const seen = new Set<string>();
    for (let a = 0; a < this.attributes; a++) {
      const children = this.askChildren(s, a)?.map((c) => c.state);
      if (!children) continue;
      // attributes that split S the same way are one action
      const sig = children.map((c) => this.key(c).key).sort().join('/');
      if (seen.has(sig)) continue;
      seen.add(sig);
      children.sort((p, q) => q.total - p.total);
      out.push({ action: { kind: 'ask', attribute: a, children }, bound: s.total + children.reduce((t, c) => t + this.lowerOf(c), 0) });
    }
    if (this.rule === 'continue' || out.length === 0) {
      // likeliest first; each bounded by the cheapest set of n-1 of these weights (Huffman is monotone)
      const order = [...s.members].sort((p, q) => s.weight[q]! - s.weight[p]! || p - q);
      const lightest = order.slice(1).map((c) => s.weight[c]!);
      const shared = s.total + this.bounds.of(lightest);
      for (const c of order) out.push({ action: { kind: 'guess', candidate: c, children: [] }, bound: shared });
    }
    return out.sort((p, q) => p.bound - q.bound);
  }

  /** f(S) if it is below ub (stored as exact), else a lower bound on it that is at least ub. */
  private search(s: State, ub: number): number {
    if (++this.ticks % 1024 === 0 && Date.now() > this.deadline) throw new TimeUp();
    const { key, scale, entry } = this.lookup(s);
    if (entry?.exact !== undefined) return entry.exact * scale;
    if (s.members.length === 1) {
      this.memo.set(key, { exact: s.total / scale, lb: s.total / scale, action: { kind: 'guess', index: s.members[0]! } });
      return s.total;
    }
    const lb = Math.max(entry ? entry.lb * scale : 0, this.bounds.of(s.members.map((c) => s.weight[c]!)));
    if (lb >= ub - EPS) return lb;
    let best = Infinity;
    let bestAction: Entry['action'];
    let failed = Infinity;
    for (const { action, bound } of this.actions(s)) {
      const limit = Math.min(ub, best);
      if (bound >= limit - EPS) {
        failed = Math.min(failed, bound);
        break;
      }
      if (action.kind === 'guess' && !action.children.length) action.children.push(this.without(s, action.candidate));
      const lows = action.children.map((c) => this.lowerOf(c));
      let rest = lows.reduce((t, l) => t + l, 0);
      let cost = s.total;
      let done = true;
      for (let i = 0; i < action.children.length; i++) {
        rest -= lows[i]!;
        const room = limit - cost - rest;
        const r = this.search(action.children[i]!, room);
        if (!(r < room - EPS)) {
          failed = Math.min(failed, cost + r + rest);
          done = false;
          break;
        }
        cost += r;
      }
      if (done && cost < best) {
        best = cost;
        bestAction = { kind: action.kind, index: action.kind === 'ask' ? action.attribute : action.candidate };
      }
    }
    if (best < ub - EPS) {
      this.memo.set(key, { exact: best / scale, lb: best / scale, action: bestAction });
      return best;
    }
    const proved = Math.max(lb, Math.min(failed, best));
    this.memo.set(key, { lb: proved / scale });
    return proved;
  }

  /** After a timeout: the root's best action bound from what the memo proved about its children. */
  private rootLower(root: State): number {
    const { entry, scale } = this.lookup(root);
    let best = Infinity;
    for (const { action } of this.actions(root)) {
      if (action.kind === 'guess') action.children.push(this.without(root, action.candidate));
      best = Math.min(best, root.total + action.children.reduce((t, c) => t + this.lowerOf(c), 0));
    }
    return Math.max(best, entry ? entry.lb * scale : 0, this.bounds.of(root.members.map((c) => root.weight[c]!)));
  }

  /**
   * The tree from the memo: the stored action of a solved state; where the search did not finish, the
   * action with the least bound (a greedy completion, for the upper bound).
   */
  private build(s: State, depth: number, proved: boolean): { node: TreeNode; total: number; histogram: number[] } {
    const histogram: number[] = [];
    const add = (q: number, w: number) => (histogram[q] = (histogram[q] ?? 0) + w);
    const merge = (h: number[]) => h.forEach((w, q) => w && add(q, w));
    let { entry } = this.lookup(s);
    if (!entry?.action && !proved) {
      const first = this.actions(s)[0]!.action;
      entry = { lb: 0, action: { kind: first.kind, index: first.kind === 'ask' ? first.attribute : first.candidate } };
    }
    if (!entry?.action) throw new Error('tree: a state was left unsolved');
    const { kind, index } = entry.action;
    if (kind === 'guess') {
      const id = this.domain.candidates[index]!.id;
      add(depth + 1, s.weight[index]!);
      let total = s.weight[index]! * (depth + 1);
      if (s.members.length === 1) return { node: { guess: id }, total, histogram };
      const rest = this.build(this.without(s, index), depth + 1, proved);
      merge(rest.histogram);
      total += rest.total;
      return { node: { guess: id, no: rest.node }, total, histogram };
    }
    const node: TreeNode = { ask: this.domain.attributes[index]!.id };
    let total = 0;
    for (const { branch, state } of this.askChildren(s, index)!) {
      const sub = this.build(state, depth + 1, proved);
      merge(sub.histogram);
      total += sub.total;
      node[branch] = sub.node;
    }
    return { node, total, histogram };
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** The optimal tree over a domain's questions for the given rules, semantics and targets. */
export function optimalTree(domain: Domain, options: TreeOptions): TreeBound {
  return new TreeSearch(domain, options.rule, options.semantics).solve({ targets: options.targets, timeLimitMs: options.timeLimitMs });
}
