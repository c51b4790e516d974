import { Type } from '@sinclair/typebox';
import type { Domain } from '../game/domain.js';
import type { GameSummary } from '../metrics/outcome.js';
import { pluginField } from '../plugins/ref.js';
import type { PluginRef } from '../plugins/types.js';
import type { StageContext, StageOutcome } from '../run/context.js';
import { gameSpecs, type GameCount } from '../run/games.js';
import { nearest } from '../util/text.js';
import { checkSize, gameCount, orNothing, pluginOr, SETTINGS } from './common.js';
import { defineStage, type StageResolver } from './define.js';
import { agreementOf, playedGames, playInto, sortPlayed, unknownsOf } from './play.js';
import { countEntry, pluginEntry } from './write.js';

/** Plays games with a teacher and keeps them as a data set. */
export type GenerateStage = {
  kind: 'generate';
  name: string;
  policy: PluginRef;
  answerer: PluginRef;
  /** Relative weight of each candidate (by id); absent ones weigh 1. */
  weights?: Record<string, number>;
  /** The share of failed games (outcome error) the stage tolerates. */
  max_error_rate: number;
} & GameCount;

const files = (name: string) => ({ games: `${name}.jsonl` });

const settings = orNothing(
  Type.Object(
    {
      name: SETTINGS.name,
      policy: Type.Optional(pluginField({ description: "The teacher; defaults to the experiment's policy." })),
      answerer: Type.Optional(pluginField({ description: "Defaults to the experiment's answerer." })),
      games_per_animal: SETTINGS.games_per_animal,
      games: SETTINGS.games,
      weights: Type.Optional(
        Type.Unsafe<Record<string, number>>({
          type: 'object',
          additionalProperties: Type.Number({ minimum: 0, maximum: 1_000_000 }),
          description: 'Relative weight per animal (name or id), 1 when absent: {giraffe: 0} makes data with no giraffe.',
        }),
      ),
      max_error_rate: SETTINGS.max_error_rate,
    },
    { additionalProperties: false, description: 'Plays games with a teacher policy and keeps them as a data set.' },
  ),
);

/** Weights by candidate id; a name or alias is accepted, an unknown animal is a problem. */
function candidateWeights(raw: Record<string, number> | undefined, domain: Domain | undefined, at: StageResolver): Record<string, number> | undefined {
  if (!raw || !domain) return raw;
  const weights: Record<string, number> = {};
  for (const [key, weight] of Object.entries(raw)) {
    const candidate = domain.candidateIndexOf(key) !== undefined ? domain.candidate(key) : domain.findCandidate(key);
    if (candidate) {
      weights[candidate.id] = weight;
      continue;
    }
    const guess = nearest(
      key,
      domain.candidates.map((c) => c.id),
    );
    at.keyProblem(['weights'], key, `"${key}" is not one of the ${domain.size} candidates of ${domain.name}${guess ? `; did you mean "${guess}"?` : ''} (twentyq play --list shows them)`);
  }
  return weights;
}

export default defineStage({
  kind: 'generate',
  settings,
  plays: 'data',
  files,
  async resolve(s, at) {
    const count = gameCount(s, at);
    const weights = candidateWeights(s.weights, at.scope.domain, at);
    checkSize(count, weights, 1, at);
    const policy = await pluginOr(at, 'policy', s.policy, 'policy', at.scope.policy);
    const answerer = await pluginOr(at, 'answerer', s.answerer, 'answerer', at.scope.answerer);
    return { kind: 'generate', name: at.name, policy, answerer, ...(weights ? { weights } : {}), max_error_rate: s.max_error_rate, ...count };
  },
  run: generate,
  write: (stage) => ({
    name: stage.name,
    policy: pluginEntry(stage.policy),
    answerer: pluginEntry(stage.answerer),
    ...(stage.weights ? { weights: stage.weights } : {}),
    max_error_rate: stage.max_error_rate,
    ...countEntry(stage),
  }),
  answerers: (stage) => [stage.answerer],
  uses: (stage, { reward }) => [
    ['policy', stage.policy],
    ['answerer', stage.answerer],
    ['reward', reward],
  ],
});

/** Plays games with the teacher and keeps every trajectory: the data set later stages read. */
async function generate(stage: GenerateStage, ctx: StageContext): Promise<StageOutcome> {
  const specs = gameSpecs(ctx.experiment.seed, stage.name, stage, ctx.domain, stage.weights);
  const file = files(stage.name).games;
  const played = ctx.resuming ? await playedGames(ctx.run.file(file), { domain: ctx.domain, max_questions: ctx.experiment.game.max_questions }) : new Map<string, GameSummary[]>();
  const out = ctx.run.openJsonl(file);
  ctx.run.setStage(stage.name, 'running', file);
  let result;
  try {
    result = await playInto(ctx, stage, { policy: stage.policy, answerer: stage.answerer }, specs, out, played.get(stage.policy.label));
  } finally {
    out.close();
  }
  if (ctx.resuming && result.completed) await sortPlayed(ctx.run.file(file), [stage.policy.label]);
  const { agreement, notes: agreementNotes } = result.completed ? await agreementOf(ctx, stage, file) : { notes: [] };
  const notes = [...result.notes.map((n) => `${stage.name}: ${n}`), ...agreementNotes];
  return {
    completed: result.completed,
    rows: [{ stage: stage.name, policy: stage.policy.label, metrics: result.metrics }],
    notes,
    metrics: { teacher: stage.policy.label, answerer: stage.answerer.label, unknowns: await unknownsOf(ctx, stage.answerer), file, ...result.metrics, ...(agreement ? { answerer_agreement: agreement } : {}) },
  };
}
