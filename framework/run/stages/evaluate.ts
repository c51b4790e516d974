import type { EvaluateStage } from '../../config/types.js';
import type { OutcomeMetrics } from '../../metrics/outcome.js';
import type { StageContext, StageOutcome, SummaryRow } from '../context.js';
import { gameSpecs } from '../games.js';
import { playInto } from './play.js';

/** Plays fresh games with each policy and measures the outcome: all policies play the same games. */
export async function evaluate(stage: EvaluateStage, ctx: StageContext): Promise<StageOutcome> {
  const specs = gameSpecs(ctx.experiment.seed, stage.name, stage, ctx.domain);
  const file = `${stage.name}.jsonl`;
  const out = ctx.run.openJsonl(file);
  ctx.run.setStage(stage.name, 'running', file);
  const rows: SummaryRow[] = [];
  const metrics: Record<string, OutcomeMetrics> = {};
  try {
    for (const policy of stage.policies ?? [ctx.current.policy]) {
      const played = await playInto(ctx, stage.name, { policy, answerer: stage.answerer }, specs, out);
      metrics[policy.label] = played.metrics;
      rows.push({ stage: stage.name, policy: policy.label, metrics: played.metrics });
      if (!played.completed) return { completed: false, rows, metrics: { policies: metrics } };
    }
  } finally {
    out.close();
  }
  return { completed: true, rows, metrics: { policies: metrics } };
}
