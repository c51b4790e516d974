import { createHash } from 'node:crypto';
import type { Trajectory } from '../game/types.js';
import { Rng } from '../util/rng.js';
import { wilson } from './outcome.js';

/**
 * Statistics that respect how games were played. A deterministic policy against a deterministic
 * answerer plays each target's game identically however often it is played: its games cluster by
 * target, and intervals computed as if every game were independent are far too narrow. Policies of
 * one stage play the same targets (and seeds), so they are compared pair by pair.
 */

/** What these statistics need of a game. */
export interface GameRecord {
  target: string;
  win: boolean;
  /** Questions charged: a lost game counts the whole budget. */
  questions: number;
  /** The same for two games with the same target, moves and answers. */
  signature: string;
}

export function recordOf(t: Trajectory, maxQuestions: number): GameRecord {
  const hash = createHash('sha1').update(t.target);
  for (const turn of t.turns) {
    const m = turn.move;
    hash.update(`\u0001${m.kind}\u0002${m.kind === 'guess' ? m.candidate : m.kind === 'question' ? (m.attribute ?? m.text) : m.text}\u0002${turn.answer ?? ''}`);
  }
  const win = t.outcome === 'win';
  return { target: t.target, win, questions: win ? t.questions : maxQuestions, signature: hash.digest('base64') };
}

export interface Clustered {
  /** Distinct games: different targets, or different moves or answers. */
  distinct_games: number;
  /** Targets played: the clusters. */
  targets: number;
  /** The number of independent games the success interval is worth (games / design effect). */
  effective_games: number;
  /** 95% Wilson interval at effective_games. */
  success_ci: [number, number];
  /** 95% interval of the mean questions from the cluster-robust standard error. */
  avg_questions_ci: [number, number];
}

const Z = 1.959963984540054;

/** Groups records by target, keeping the order of first appearance. */
function byTarget<T extends { target: string }>(records: readonly T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const r of records) {
    const g = groups.get(r.target);
    if (g) g.push(r);
    else groups.set(r.target, [r]);
  }
  return groups;
}

/**
 * Intervals clustered by target. Success: the Wilson interval at the effective number of games,
 * n / deff, where the design effect deff is the cluster-robust variance of the success rate over the
 * variance it would have if the games were independent, kept between 1 and the mean games per target
 * (n_eff between the number of targets and the number of games). When every game was won (or lost) the
 * variance says nothing, and the number of distinct games is taken (no fewer than the targets): the
 * honest count for a policy whose games repeat exactly. Mean questions: mean +- 1.96 x the cluster-robust (CR1) standard error.
 */
export function clustered(records: readonly GameRecord[]): Clustered {
  const n = records.length;
  const groups = byTarget(records);
  const C = groups.size;
  const distinct = new Set(records.map((r) => r.signature)).size;
  if (n === 0) return { distinct_games: 0, targets: 0, effective_games: 0, success_ci: [0, 1], avg_questions_ci: [0, 0] };
  const wins = records.filter((r) => r.win).length;
  const p = wins / n;
  const mean = records.reduce((s, r) => s + r.questions, 0) / n;
  let vp = 0;
  let vq = 0;
  for (const g of groups.values()) {
    const k = g.filter((r) => r.win).length;
    const q = g.reduce((s, r) => s + r.questions, 0);
    vp += (k - p * g.length) ** 2;
    vq += (q - mean * g.length) ** 2;
  }
  vp /= n * n;
  const correction = C > 1 ? C / (C - 1) : 1;
  vq = (vq / (n * n)) * correction;
  const iid = (p * (1 - p)) / n;
  const effective = iid === 0 ? Math.min(n, Math.max(C, distinct)) : vp === 0 ? n : Math.min(n, Math.max(C, (n * iid) / vp));
  const half = Z * Math.sqrt(vq);
  return {
    distinct_games: distinct,
    targets: C,
    effective_games: effective,
    success_ci: wilson(p * effective, effective),
    avg_questions_ci: [mean - half, mean + half],
  };
}

/** Two-sided exact McNemar test: the binomial(b + c, 1/2) probability of a split at least as uneven as b : c. */
export function mcnemarExact(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // log-space binomial terms: n can be thousands
  let logTerm = -n * Math.LN2; // i = 0: C(n, 0) / 2^n
  let tail = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i);
    tail += Math.exp(logTerm);
  }
  return Math.min(1, 2 * tail);
}

export interface Comparison {
  /** Pairs of games compared (same target; the same game when both played in one stage). */
  pairs: number;
  success: number;
  baseline_success: number;
  /** success - baseline_success */
  success_diff: number;
  /** Pairs the policy won and the baseline lost, and the other way round. */
  wins_only_policy: number;
  wins_only_baseline: number;
  /** Targets where the policy won more of the target's games than the baseline, and the other way round (with one game a target: the two counts above). */
  targets_only_policy: number;
  targets_only_baseline: number;
  /**
   * Exact McNemar test over targets, of the two target counts: the games of one target are not
   * independent (a deterministic policy repeats them exactly), so the target is the unit, as in the
   * bootstrap. With one game a target it is the exact McNemar test of the games.
   */
  mcnemar_p: number;
  avg_questions: number;
  baseline_avg_questions: number;
  /** avg_questions - baseline_avg_questions (negative: the policy needs fewer questions). */
  questions_diff: number;
  /** 95% paired bootstrap interval of questions_diff, resampling targets (clusters). */
  questions_diff_ci: [number, number];
  bootstrap: { resamples: number; seed: number };
}

export class PairingError extends Error {}

/**
 * Pairs two sets of games: the k-th game of a target in one with the k-th game of that target in the
 * other (in a stage, policies play the same games in the same order, so a pair is one game). Refuses
 * when the two did not play the same targets as often, saying where they differ.
 */
export function pairGames<T extends { target: string }>(a: readonly T[], b: readonly T[], names: [string, string] = ['A', 'B']): Map<string, [T, T][]> {
  const ga = byTarget(a);
  const gb = byTarget(b);
  const problems: string[] = [];
  for (const [target, list] of ga) {
    const other = gb.get(target)?.length ?? 0;
    if (other !== list.length) problems.push(`${target}: ${list.length} games in ${names[0]}, ${other} in ${names[1]}`);
  }
  for (const [target, list] of gb) if (!ga.has(target)) problems.push(`${target}: 0 games in ${names[0]}, ${list.length} in ${names[1]}`);
  if (problems.length > 0) {
    throw new PairingError(
      `${names[0]} (${a.length} games) and ${names[1]} (${b.length} games) did not play the same targets, so their games cannot be paired: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more targets` : ''}`,
    );
  }
  const pairs = new Map<string, [T, T][]>();
  for (const [target, list] of ga)
    pairs.set(
      target,
      list.map((g, i) => [g, gb.get(target)![i]!]),
    );
  return pairs;
}

/** The paired figures of a policy against a baseline (see Comparison); the bootstrap is seeded. */
export function compare(policy: readonly GameRecord[], baseline: readonly GameRecord[], seed: number, resamples = 2000, names?: [string, string]): Comparison {
  const pairs = pairGames(policy, baseline, names);
  const clusters = [...pairs.values()];
  let n = 0;
  let wa = 0;
  let wb = 0;
  let onlyA = 0;
  let onlyB = 0;
  let qa = 0;
  let qb = 0;
  let targetsA = 0;
  let targetsB = 0;
  const sums = clusters.map((list) => {
    let d = 0;
    let w = 0;
    for (const [x, y] of list) {
      w += Number(x.win) - Number(y.win);
      n++;
      if (x.win) wa++;
      if (y.win) wb++;
      if (x.win && !y.win) onlyA++;
      if (y.win && !x.win) onlyB++;
      qa += x.questions;
      qb += y.questions;
      d += x.questions - y.questions;
    }
    if (w > 0) targetsA++;
    if (w < 0) targetsB++;
    return { d, n: list.length };
  });
  const rng = new Rng(seed);
  const stats = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let d = 0;
    let m = 0;
    for (let i = 0; i < sums.length; i++) {
      const s = sums[rng.int(sums.length)]!;
      d += s.d;
      m += s.n;
    }
    stats[b] = m === 0 ? 0 : d / m;
  }
  stats.sort();
  const at = (q: number) => stats[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))] ?? 0;
  const safe = (x: number) => (n === 0 ? 0 : x / n);
  return {
    pairs: n,
    success: safe(wa),
    baseline_success: safe(wb),
    success_diff: safe(wa - wb),
    wins_only_policy: onlyA,
    wins_only_baseline: onlyB,
    targets_only_policy: targetsA,
    targets_only_baseline: targetsB,
    mcnemar_p: mcnemarExact(targetsA, targetsB),
    avg_questions: safe(qa),
    baseline_avg_questions: safe(qb),
    questions_diff: safe(qa - qb),
    questions_diff_ci: [at(0.025), at(0.975)],
    bootstrap: { resamples, seed },
  };
}

/** "won only by each" as games, and as targets when those differ (several games a target): "58:16 (targets 6:2)". */
export function winsOnlyText(c: Pick<Comparison, 'wins_only_policy' | 'wins_only_baseline'> & Partial<Pick<Comparison, 'targets_only_policy' | 'targets_only_baseline'>>): string {
  const games = `${c.wins_only_policy}:${c.wins_only_baseline}`;
  // a metrics.json written before the targets were counted has games only
  if (c.targets_only_policy === undefined || c.targets_only_baseline === undefined) return games;
  return c.targets_only_policy === c.wins_only_policy && c.targets_only_baseline === c.wins_only_baseline ? games : `${games} (targets ${c.targets_only_policy}:${c.targets_only_baseline})`;
}

/** Targets where two paired sets of games differ most: by the difference of mean questions, then of wins. */
export function largestDifferences(policy: readonly GameRecord[], baseline: readonly GameRecord[], top = 5): { target: string; games: number; questions_diff: number; wins_diff: number }[] {
  const rows = [...pairGames(policy, baseline).entries()].map(([target, list]) => ({
    target,
    games: list.length,
    questions_diff: list.reduce((s, [x, y]) => s + x.questions - y.questions, 0) / list.length,
    wins_diff: list.reduce((s, [x, y]) => s + Number(x.win) - Number(y.win), 0),
  }));
  return rows
    .filter((r) => r.questions_diff !== 0 || r.wins_diff !== 0)
    .sort((a, b) => Math.abs(b.questions_diff) - Math.abs(a.questions_diff) || Math.abs(b.wins_diff) - Math.abs(a.wins_diff) || a.target.localeCompare(b.target))
    .slice(0, top);
}
