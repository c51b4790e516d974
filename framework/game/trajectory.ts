import { Type, type SchemaOptions, type TSchema } from '@sinclair/typebox';
import { choice } from '../util/typebox.js';

/*
 * One finished game as a stage's JSONL file holds it, declared once: its types (framework/game/types.ts)
 * and the schema every games file is checked against (schemas/trajectory.schema.json). `expected` says
 * in words what a field holds, for the messages of a file that does not fit (framework/data/games.ts).
 */

/** A field described for the messages of a games file that does not fit: what it holds, or what its absence means. */
function said<T extends TSchema>(schema: T, expected: string, key: 'expected' | 'missing' = 'expected'): T {
  return { ...schema, [key]: expected };
}

const COUNT = { minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

export const USAGE = said(
  Type.Object(
    {
      prompt_tokens: said(Type.Integer(COUNT), 'a count of tokens'),
      completion_tokens: said(Type.Integer(COUNT), 'a count of tokens'),
      latency_ms: said(Type.Number({ minimum: 0 }), 'milliseconds'),
      /** Answered from the response cache: no request was made. */
      cached: Type.Optional(said(Type.Boolean(), 'true or false')),
    },
    { description: 'What one request to a model cost; a waiting plugin reports it so that runs can account for it.' },
  ),
  '{prompt_tokens, completion_tokens, latency_ms}',
);

/**
 * What a model actually said, beside what it was parsed to, and what saying it cost. The engine keeps
 * both in the trajectory as the plugin returned them, so that a model can later be trained on its own
 * tokens; plugins that compute their moves leave them out.
 */
const SAID = {
  raw: Type.Optional(said(Type.String(), 'a string')),
  usage: Type.Optional(USAGE),
};

const text = said(Type.String(), 'a string');

function move<K extends string, P extends Record<string, TSchema>>(kind: K, properties: P, options: SchemaOptions) {
  return Type.Object({ kind: Type.Literal(kind), text, ...properties, ...SAID }, options);
}

export const QUESTION_MOVE = move('question', { attribute: Type.Optional(said(Type.String(), 'a string')) }, { description: 'A question the answerer is asked: its text, and the attribute it stands for when the policy knows it.' });

export const GUESS_MOVE = move('guess', { candidate: said(Type.String(), 'is a guess without a candidate', 'missing') }, { description: 'A guess ("Is it a giraffe?"): a question too, that wins when the candidate is the target.' });

export const INVALID_MOVE = move('invalid', { reason: said(Type.String(), 'a string') }, { description: 'A reply that is neither: it costs a question and gets no answer.' });

const MOVE_KINDS = ['question', 'guess', 'invalid'];

/** One of the three moves, told apart by `kind` (ajv's discriminator: one branch's errors, not three). */
const MOVE = Type.Unsafe<typeof QUESTION_MOVE.static | typeof GUESS_MOVE.static | typeof INVALID_MOVE.static>({
  type: 'object',
  required: ['kind'],
  discriminator: { propertyName: 'kind' },
  oneOf: [QUESTION_MOVE, GUESS_MOVE, INVALID_MOVE],
  expected: '{kind, text}',
  kinds: `one of ${MOVE_KINDS.join(', ')}`,
});

export const ANSWER = said(choice(['yes', 'no', 'unknown']), 'one of yes, no, unknown');

export const TURN = said(
  Type.Object({
    move: MOVE,
    /** Absent for an invalid move. */
    answer: Type.Optional(ANSWER),
    /** What the answerer's model said, when it returned an AnswerReply with them. */
    answer_raw: Type.Optional(said(Type.String(), 'a string')),
    answer_usage: Type.Optional(USAGE),
  }),
  'an object {move, answer}',
);

/**
 * `error`: a waiting plugin failed the game (after its own retries); the game is kept with the error
 * and its turns so far, counted apart, and left out of every figure and every training set.
 */
export const OUTCOME = said(choice(['win', 'loss', 'error']), '"win", "loss" or "error"');

const ERROR_MESSAGE = 'the message of the failure';

export const TRAJECTORY = said(
  Type.Object(
    {
      game: said(Type.Integer(COUNT), 'the index of the game (an integer from 0)'),
      seed: said(Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }), 'an integer'),
      policy: said(Type.String(), 'the label of a policy'),
      /** The answerer's label, in a stage that plays against several. */
      answerer: Type.Optional(said(Type.String(), 'the label of an answerer')),
      target: said(Type.String(), 'the id of a candidate'),
      turns: said(Type.Array(TURN), 'a list of turns'),
      outcome: OUTCOME,
      /**
       * Questions asked: every turn counts, guesses and invalid moves included. Metrics count a lost game
       * as the whole budget, however early a wrong guess under `wrong_guess: lose` ended it.
       */
      questions: said(Type.Integer(COUNT), 'the number of questions asked'),
      invalid: said(Type.Integer(COUNT), 'the number of invalid moves'),
      /** Absent for a game whose outcome is `error`. */
      reward: Type.Optional(said(Type.Number(), 'a number')),
      /** Why the game failed (outcome `error`), naming the stage, the plugin and the game. */
      error: Type.Optional(said(Type.String(), ERROR_MESSAGE)),
    },
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: 'https://twentyq.dev/schemas/trajectory.schema.json',
      title: 'twentyq game',
      description: "One finished game, one line of a stage's games file (<stage>.jsonl).",
      // only a failed game has an error, and it always has one
      if: { properties: { outcome: { const: 'error' } } },
      then: { required: ['error'], properties: { error: { expected: ERROR_MESSAGE } } },
      else: { properties: { error: { not: {}, expected: 'nothing (only a game whose outcome is "error" has one)' } } },
    },
  ),
  'not a game (expected an object with target, turns and outcome, as twentyq writes them)',
);
