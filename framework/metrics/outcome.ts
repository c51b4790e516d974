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
}

export interface CandidateMetrics {
  games: number;
  wins: number;
  /** Mean questions, a lost game counted as the whole budget. */
  avg_questions: number;
}

export interface OutcomeMetrics {
  games: number;
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
}

/** Wilson score interval for k successes in n trials (z = 1.96 for 95%). */
export function wilson(k: number, n: number, z = 1.959963984540054): [number, number] {
  if (n === 0) return [0, 1];
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

export function efficiency(success: number, avgQuestions: number, maxQuestions: number): number {
  return success * (1 - avgQuestions / maxQuestions);
}

/** Accumulates games one by one (in any order) and reports the metrics at any point. */
export class OutcomeAccumulator {
  private games = 0;
  private wins = 0;
  private questions = 0;
  private winQuestions = 0;
  private moves = 0;
  private invalid = 0;
  private reward = 0;
  private readonly perCandidate = new Map<string, { games: number; wins: number; questions: number }>();

  constructor(readonly maxQuestions: number) {}

  add(g: GameSummary): void {
    const charged = g.win ? g.questions : this.maxQuestions;
    this.games++;
    this.questions += charged;
    this.moves += g.questions;
    this.invalid += g.invalid;
    this.reward += g.reward;
    if (g.win) {
      this.wins++;
      this.winQuestions += g.questions;
    }
    let c = this.perCandidate.get(g.target);
    if (!c) this.perCandidate.set(g.target, (c = { games: 0, wins: 0, questions: 0 }));
    c.games++;
    c.questions += charged;
    if (g.win) c.wins++;
  }

  get count(): number {
    return this.games;
  }

  get successSoFar(): number {
    return this.games === 0 ? 0 : this.wins / this.games;
  }

  metrics(): OutcomeMetrics {
    const success = this.games === 0 ? 0 : this.wins / this.games;
    const avg = this.games === 0 ? 0 : this.questions / this.games;
    const per: Record<string, CandidateMetrics> = {};
    for (const [id, c] of [...this.perCandidate].sort(([a], [b]) => a.localeCompare(b))) {
      per[id] = { games: c.games, wins: c.wins, avg_questions: c.questions / c.games };
    }
    return {
      games: this.games,
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
