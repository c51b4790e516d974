import type { Rng } from '../util/rng.js';

export type Answer = 'yes' | 'no' | 'unknown';

/** A question the answerer is asked: its text, and the attribute it stands for when the policy knows it. */
export interface QuestionMove {
  kind: 'question';
  text: string;
  attribute?: string;
}

/** A guess ("Is it a giraffe?"): a question too, that wins when the candidate is the target. */
export interface GuessMove {
  kind: 'guess';
  text: string;
  candidate: string;
}

/** A reply that is neither: it costs a question and gets no answer. */
export interface InvalidMove {
  kind: 'invalid';
  text: string;
  reason: string;
}

export type Move = QuestionMove | GuessMove | InvalidMove;

export interface Turn {
  move: Move;
  /** Absent for an invalid move. */
  answer?: Answer;
}

export type WrongGuessRule = 'continue' | 'lose';

/** The rules of the game, as the experiment's `game` section writes them. */
export interface Rules {
  max_questions: number;
  wrong_guess: WrongGuessRule;
}

export const DEFAULT_RULES: Rules = { max_questions: 20, wrong_guess: 'continue' };

/** What a policy sees of a game in progress; the target is hidden. */
export interface GameView {
  readonly turns: readonly Turn[];
  readonly rules: Rules;
  /** The game's own random stream; policies draw from it so that games replay exactly. */
  readonly rng: Rng;
  /**
   * Scratch space that lives as long as the game, for a policy to keep what it has worked out
   * (its belief state) between moves instead of reading every turn again. The engine never reads it.
   */
  readonly memo: Map<unknown, unknown>;
}

export type Outcome = 'win' | 'loss';

/** One finished game, as it is written to a stage's JSONL file. */
export interface Trajectory {
  game: number;
  seed: number;
  policy: string;
  target: string;
  turns: Turn[];
  outcome: Outcome;
  /**
   * Questions asked: every turn counts, guesses and invalid moves included. Metrics count a lost game
   * as the whole budget, however early a wrong guess under `wrong_guess: lose` ended it.
   */
  questions: number;
  invalid: number;
  reward?: number;
}

export type Awaitable<T> = T | Promise<T>;
