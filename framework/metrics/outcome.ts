import type { Trajectory } from '../game/types.js';
import type { Clustered } from './paired.js';

/** Outcome metrics of a set of games: what the policy achieved, not what its games looked like. */

/** The little a metric needs of one game (the worker sends these rather than whole trajectories). */
export interface GameSummary {
  game: number;
  target: string;
  win: boolean;
  /** Questions actually asked (a game lost early under `wrong_guess: lose` asked fewer). */
  questions: number;
  invalid: number;
  reward: number;
  /** Set for a game that failed (outcome `error`): its message. Such a game counts only as an error. */
  error?: string;
}

export interface CandidateMetrics {
  games: number;
  wins: number;
  /** Mean questions, a lost game counted as the whole budget. */
  avg_questions: number;
}

export interface OutcomeMetrics {
  /** Games that were played out (won or lost); every figure below is over them. */
  games: number;
  /** Games that failed (outcome `error`, a waiting plugin that gave up): left out of every other figure. */
  errors: number;
  wins: number;
  success: number;
  /** 95% Wilson score interval of the success rate. */
  success_ci: [number, number];
  /** Mean questions over all games, a lost game counted as the whole budget. */
  avg_questions: number;
  /** Mean questions over won games (null when none was won). */
  avg_questions_wins: number | null;
  /** success x (1 - avg_questions / max_questions) */
  efficiency: number;
  /** Invalid moves per move. */
  invalid_rate: number;
  avg_reward: number;
  per_candidate: Record<string, CandidateMetrics>;
  /** Distinct games and intervals clustered by target (added by an evaluate stage from its games). */
  clustered?: Clustered;
}

/** Wilson score interval for k successes in n trials (z = 1.96 for 95%). */
export function wilson(k: number, n: number, z = 1.959963984540054): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // The ends are exact at 0/n and n/n; rounding would otherwise leave 0.9999999999999999.
  return [k === 0 ? 0 : Math.max(0, centre - half), k === n ? 1 : Math.min(1, centre + half)];
}

export function efficiency(success: number, avgQuestions: number, maxQuestions: number): number {
  return success * (1 - avgQuestions / maxQuestions);
}

/** How the outcome of a game is packed: the third field of its row. */
const PACKED_OUTCOME = { loss: 0, win: 1, error: 2 } as const;

/**
 * Per-game figures of a batch packed in one Float64Array, a row per game: game, target (candidate
 * index), outcome (0 loss, 1 win, 2 error), questions, invalid, reward. Workers send them this way so that they cross to the
 * main thread without copying or rebuilding an object per game.
 */
export const PACKED_FIELDS = 6;

export function packSummaries(games: readonly GameSummary[], candidateIndex: (id: string) => number): Float64Array {
  const packed = new Float64Array(games.length * PACKED_FIELDS);
  let r = 0;
  for (const g of games) {
    packed[r++] = g.game;
    packed[r++] = candidateIndex(g.target);
    packed[r++] = g.error !== undefined ? PACKED_OUTCOME.error : g.win ? PACKED_OUTCOME.win : PACKED_OUTCOME.loss;
    packed[r++] = g.questions;
    packed[r++] = g.invalid;
    packed[r++] = g.reward;
  }
  return packed;
}

/** The figures of a finished game that metrics use. */
export function summaryOf(t: Trajectory): GameSummary {
  const summary: GameSummary = { game: t.game, target: t.target, win: t.outcome === 'win', questions: t.questions, invalid: t.invalid, reward: t.reward ?? 0 };
  if (t.outcome === 'error') summary.error = t.error ?? 'failed';
  return summary;
}

/** Accumulates games one by one (in any order) and reports the metrics at any point. */
export class OutcomeAccumulator {
  private games = 0;
  private errors = 0;
  private wins = 0;
  private questions = 0;
  private winQuestions = 0;
  private moves = 0;
  private invalid = 0;
  private reward = 0;
  private readonly index: Map<string, number>;
  private readonly candidateGames: Float64Array;
  private readonly candidateWins: Float64Array;
  private readonly candidateQuestions: Float64Array;

  constructor(
    readonly maxQuestions: number,
    /** Candidate ids, in the domain's order (the index packed summaries use). */
    private readonly candidates: readonly string[],
  ) {
    this.index = new Map(candidates.map((id, i) => [id, i]));
    this.candidateGames = new Float64Array(candidates.length);
    this.candidateWins = new Float64Array(candidates.length);
    this.candidateQuestions = new Float64Array(candidates.length);
  }

  add(g: GameSummary): void {
    const target = this.index.get(g.target);
    if (target === undefined) throw new Error(`game ${g.game}: unknown target "${g.target}"`);
    if (g.error !== undefined) this.errors++;
    else this.addGame(target, g.win, g.questions, g.invalid, g.reward);
  }

  /** Adds a batch packed by packSummaries. */
  addPacked(packed: Float64Array): void {
    for (let r = 0; r < packed.length; r += PACKED_FIELDS) {
      if (packed[r + 2] === PACKED_OUTCOME.error) this.errors++;
      else this.addGame(packed[r + 1]!, packed[r + 2] === PACKED_OUTCOME.win, packed[r + 3]!, packed[r + 4]!, packed[r + 5]!);
    }
  }

  private addGame(target: number, win: boolean, questions: number, invalid: number, reward: number): void {
    const charged = win ? questions : this.maxQuestions;
    this.games++;
    this.questions += charged;
    this.moves += questions;
    this.invalid += invalid;
    this.reward += reward;
    if (win) {
      this.wins++;
      this.winQuestions += questions;
      this.candidateWins[target]!++;
    }
    this.candidateGames[target]!++;
    this.candidateQuestions[target]! += charged;
  }

  /** Games done, failed ones included (how far a stage has gone). */
  get count(): number {
    return this.games + this.errors;
  }

  get errorCount(): number {
    return this.errors;
  }

  get successSoFar(): number {
    return this.games === 0 ? 0 : this.wins / this.games;
  }

  metrics(): OutcomeMetrics {
    const success = this.games === 0 ? 0 : this.wins / this.games;
    const avg = this.games === 0 ? 0 : this.questions / this.games;
    const per: Record<string, CandidateMetrics> = {};
    this.candidates.forEach((id, i) => {
      const games = this.candidateGames[i]!;
      if (games > 0) per[id] = { games, wins: this.candidateWins[i]!, avg_questions: this.candidateQuestions[i]! / games };
    });
    return {
      games: this.games,
      errors: this.errors,
      wins: this.wins,
      success,
      success_ci: wilson(this.wins, this.games),
      avg_questions: avg,
      avg_questions_wins: this.wins === 0 ? null : this.winQuestions / this.wins,
      efficiency: efficiency(success, avg, this.maxQuestions),
      invalid_rate: this.moves === 0 ? 0 : this.invalid / this.moves,
      avg_reward: this.games === 0 ? 0 : this.reward / this.games,
      per_candidate: per,
    };
  }
}
