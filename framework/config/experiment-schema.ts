import { Type, type Static, type TObject } from '@sinclair/typebox';
import { RULES } from '../game/rules.js';
import { REPORT } from './report-schema.js';
import { DEFAULT_PLUGINS } from '../plugins/builtins.js';
import { PLUGIN_REF, pluginField } from '../plugins/ref.js';
import type { StageDef } from '../stages/define.js';
import { defaulted } from '../util/typebox.js';

const NAME = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

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
  domain: defaulted(pluginField({ default: DEFAULT_PLUGINS.domain, description: 'What is guessed: candidates, attributes, truth table.' })),
  game: defaulted(RULES),
  answerer: defaulted(pluginField({ default: DEFAULT_PLUGINS.answerer, description: 'Who answers the questions.' })),
  policy: defaulted(pluginField({ default: DEFAULT_PLUGINS.policy, description: 'The questioner that stages use unless they name their own.' })),
  reward: defaulted(pluginField({ default: DEFAULT_PLUGINS.reward, description: 'Scores each game (written to the trajectories; maximised by grpo).' })),
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
    description: "One experiment: the game, the plugins, and the stages to run in order. Plugin options are checked against each plugin's own schema (twentyq plugins <kind>).",
    ...Type.Object(TOP, { additionalProperties: false }),
    definitions: { plugin: PLUGIN_REF, stage, ...Object.fromEntries(stages.map((s) => [s.kind, s.settings])) },
  };
}
