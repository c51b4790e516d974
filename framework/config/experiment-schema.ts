import { Type, type Static, type TObject } from '@sinclair/typebox';
import { RULES } from '../game/rules.js';
import { PLUGIN_REF, pluginField } from '../plugins/ref.js';
import type { StageDef } from '../stages/define.js';
import { defaulted } from '../util/typebox.js';

const NAME = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

const EMBEDDINGS = Type.Object(
  {
    base_url: Type.String({
      minLength: 1,
      pattern: '^https?://',
      description: 'The URL under which /embeddings is served, e.g. http://127.0.0.1:8000/v1 (`twentyq serve`) or https://api.openai.com/v1.',
    }),
    model: Type.String({ minLength: 1, description: 'The embedding model sent with each request, e.g. embed:hash (twentyq serve) or text-embedding-3-small.' }),
    api_key_env: defaulted(
      Type.Unsafe<string | null>({
        type: ['string', 'null'],
        default: null,
        description: 'Environment variable that holds the API key (read from the environment only); null (the default): the endpoint takes no key.',
      }),
    ),
    timeout: defaulted(Type.Number({ exclusiveMinimum: 0, default: 60, description: 'Seconds one request may take before it is abandoned (and retried).' })),
    max_retries: defaulted(Type.Integer({ minimum: 0, default: 3, description: 'Retries of a request after a 429, a 5xx, a timeout or a reset connection.' })),
    batch: defaulted(Type.Integer({ minimum: 1, maximum: 2048, default: 64, description: 'Texts embedded per request.' })),
  },
  {
    additionalProperties: false,
    description:
      'An OpenAI-compatible /v1/embeddings endpoint: the evaluation gap then also shows, for each evaluated policy, the mean cosine similarity of the embedding of its games\' question texts to the expert\'s games of the same target (the best of them), and its rank correlation with efficiency. Called through the endpoint layer of the api policy (retries, response cache). An endpoint that cannot be reached leaves the score out, with the reason, and never fails the run. `twentyq serve` serves a deterministic one as model embed:hash.',
  },
);

const REPORT = Type.Object(
  { embeddings: Type.Optional(EMBEDDINGS) },
  { additionalProperties: false, description: "What the report (report.html at the end of a run, and `twentyq report`) computes beyond the run's files." },
);

/** The endpoint whose /embeddings the report's evaluation gap measures the embedding cosine with. */
export type EmbeddingsSettings = Static<typeof EMBEDDINGS>;
export type ReportSettings = Static<typeof REPORT>;

/** The experiment file's top level: everything but the stages, which each kind of stage declares. */
const TOP = {
  name: Type.String({ pattern: NAME, description: 'Names the run folder runs/<name>/<run-id>/: letters, digits, dot, dash, underscore.' }),
  description: Type.Optional(Type.String()),
  seed: defaulted(
    Type.Integer({
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      default: 0,
      description: "Every game's seed derives from it, every bit of it (a whole number from 0 to 2^53 - 1); the same seed replays the same games.",
    }),
  ),
  domain: defaulted(pluginField({ default: 'animals90', description: 'What is guessed: candidates, attributes, truth table.' })),
  game: defaulted(RULES),
  answerer: defaulted(pluginField({ default: 'kb', description: 'Who answers the questions.' })),
  policy: defaulted(pluginField({ default: 'infogain', description: 'The questioner that stages use unless they name their own.' })),
  reward: defaulted(pluginField({ default: 'efficiency', description: 'Scores each game (written to the trajectories; maximised by grpo).' })),
  stages: Type.Array(Type.Unsafe<Record<string, Record<string, unknown>>>({ $ref: '#/definitions/stage' }), { minItems: 1 }),
  report: Type.Optional(REPORT),
};

/** The experiment as the schema has checked it, defaults filled in: what the loader resolves. */
export type RawExperiment = Static<TObject<typeof TOP>>;

/**
 * The JSON Schema of an experiment file (schemas/experiment.schema.json), with each kind of stage's
 * settings as its module declares them. A stage is a map with one key, its kind.
 */
export function experimentSchema(stages: readonly StageDef[]): Record<string, unknown> {
  const kinds = Object.fromEntries(stages.map((s) => [s.kind, Type.Optional(Type.Unsafe({ $ref: `#/definitions/${s.kind}` }))]));
  const stage = Type.Object(kinds, {
    description: 'One stage, written as a map with one key: the kind of stage.',
    minProperties: 1,
    maxProperties: 1,
    additionalProperties: false,
  });
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://twentyq.dev/schemas/experiment.schema.json',
    title: 'twentyq experiment',
    description:
      "One experiment: the game, the plugins, and the stages to run in order. Plugin options are checked against each plugin's own schema (twentyq plugins <kind>).",
    ...Type.Object(TOP, { additionalProperties: false }),
    definitions: { plugin: PLUGIN_REF, stage, ...Object.fromEntries(stages.map((s) => [s.kind, s.settings])) },
  };
}
