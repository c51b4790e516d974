import type { Static } from '@sinclair/typebox';
import type { RULES } from './rules.js';
import type { ANSWER, GUESS_MOVE, INVALID_MOVE, OUTCOME, QUESTION_MOVE, TRAJECTORY, TURN, USAGE } from './trajectory.js';
import type { Rng } from '../util/rng.js';

export type Answer = Static<typeof ANSWER>;

/** What one request to a model cost; a waiting plugin reports it so that runs can account for it. */
export type Usage = Static<typeof USAGE>;

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
export type QuestionMove = Static<typeof QUESTION_MOVE>;

/** A guess ("Is it a giraffe?"): a question too, that wins when the candidate is the target. */
export type GuessMove = Static<typeof GUESS_MOVE>;

/** A reply that is neither: it costs a question and gets no answer. */
export type InvalidMove = Static<typeof INVALID_MOVE>;

export type Move = QuestionMove | GuessMove | InvalidMove;

/** A move and its answer (absent for an invalid move), with what the answerer's model said when it said more. */
export type Turn = Static<typeof TURN>;

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

/** `error`: a waiting plugin failed the game (see framework/game/trajectory.ts). */
export type Outcome = Static<typeof OUTCOME>;

/** One finished game, as it is written to a stage's JSONL file (declared in framework/game/trajectory.ts). */
export type Trajectory = Static<typeof TRAJECTORY>;

export type Awaitable<T> = T | Promise<T>;
