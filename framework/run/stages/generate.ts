import type { GenerateStage } from '../../config/types.js';
import type { StageContext, StageOutcome } from '../context.js';
import { gameSpecs } from '../games.js';
import { playInto } from './play.js';

/** Plays games with the teacher and keeps every trajectory: the data set later stages read. */
export async function generate(stage: GenerateStage, ctx: StageContext): Promise<StageOutcome> {
  const specs = gameSpecs(ctx.experiment.seed, stage.name, stage, ctx.domain, stage.weights);
  const file = `${stage.name}.jsonl`;
  const out = ctx.run.openJsonl(file);
  ctx.run.setStage(stage.name, 'running', file);
  try {
    const { completed, metrics } = await playInto(ctx, stage.name, { policy: stage.policy, answerer: stage.answerer }, specs, out);
    return {
      completed,
      rows: [{ stage: stage.name, policy: stage.policy.label, metrics }],
      metrics: { teacher: stage.policy.label, answerer: stage.answerer.label, file, ...metrics },
    };
  } finally {
    out.close();
  }
}
