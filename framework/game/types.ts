import type { Static } from '@sinclair/typebox';
import type { RULES } from './rules.js';
import type { Rng } from '../util/rng.js';

export type Answer = 'yes' | 'no' | 'unknown';

/** What one request to a model cost; a waiting plugin reports it so that runs can account for it. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms: number;
  /** Answered from the response cache: no request was made. */
  cached?: boolean;
}

/**
 * What a model actually said, beside what it was parsed to, and what saying it cost. The engine keeps
 * both in the trajectory as the plugin returned them, so that a model can later be trained on its own
 * tokens; plugins that compute their moves leave them out.
 */
export interface Said {
  raw?: string;
  usage?: Usage;
}

/** An answerer's reply with what the model said: a waiting answerer may return this instead of a bare Answer. */
export interface AnswerReply extends Said {
  answer: Answer;
}

/** The answer itself, whichever form an answerer returned it in. */
export function answerOf(reply: Answer | AnswerReply): Answer {
  return typeof reply === 'object' ? reply.answer : reply;
}

/** A question the answerer is asked: its text, and the attribute it stands for when the policy knows it. */
export interface QuestionMove extends Said {
  kind: 'question';
  text: string;
  attribute?: string;
}

/** A guess ("Is it a giraffe?"): a question too, that wins when the candidate is the target. */
export interface GuessMove extends Said {
  kind: 'guess';
  text: string;
  candidate: string;
}

/** A reply that is neither: it costs a question and gets no answer. */
export interface InvalidMove extends Said {
  kind: 'invalid';
  text: string;
  reason: string;
}

export type Move = QuestionMove | GuessMove | InvalidMove;

export interface Turn {
  move: Move;
  /** Absent for an invalid move. */
  answer?: Answer;
  /** What the answerer's model said, when it returned an AnswerReply with them. */
  answer_raw?: string;
  answer_usage?: Usage;
}

/** The rules of the game, as the experiment's `game` section writes them (declared by its schema). */
export type Rules = Static<typeof RULES>;

export type WrongGuessRule = Rules['wrong_guess'];

/**
 * What an answerer's "unknown" tells a questioner about the truth table:
 * `say`: it answers "unknown" exactly where the table's fact is unknown, so an attribute question splits
 *   the candidates three ways (the `kb` answerer by default);
 * `coin`: where the fact is unknown it answers yes or no at random (fixed per game and question), so
 *   "unknown" carries nothing and such a candidate stays on both sides of the question;
 * `vague`: it may say "unknown" whenever it is unsure (a model): not to be read as a fact.
 */
export type UnknownAnswers = 'say' | 'coin' | 'vague';

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
  /** What the answerer's "unknown" means (see UnknownAnswers); absent: `vague`. */
  readonly unknowns?: UnknownAnswers;
}

/**
 * `error`: a waiting plugin failed the game (after its own retries); the game is kept with the error
 * and its turns so far, counted apart, and left out of every figure and every training set.
 */
export type Outcome = 'win' | 'loss' | 'error';

/** One finished game, as it is written to a stage's JSONL file. */
export interface Trajectory {
  game: number;
  seed: number;
  policy: string;
  /** The answerer's label, in a stage that plays against several. */
  answerer?: string;
  target: string;
  turns: Turn[];
  outcome: Outcome;
  /**
   * Questions asked: every turn counts, guesses and invalid moves included. Metrics count a lost game
   * as the whole budget, however early a wrong guess under `wrong_guess: lose` ended it.
   */
  questions: number;
  invalid: number;
  /** Absent for a game whose outcome is `error`. */
  reward?: number;
  /** Why the game failed (outcome `error`), naming the stage, the plugin and the game. */
  error?: string;
}

export type Awaitable<T> = T | Promise<T>;
