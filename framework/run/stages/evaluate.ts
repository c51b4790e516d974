import { STAGE_FILES } from '../../config/files.js';
import type { EvaluateStage } from '../../config/types.js';
import type { OutcomeMetrics } from '../../metrics/outcome.js';
import type { StageContext, StageOutcome, SummaryRow } from '../context.js';
import { gameSpecs } from '../games.js';
import { agreementOf, playedGames, playInto, sortPlayed } from './play.js';

/** Plays fresh games with each policy and measures the outcome: all policies play the same games. */
export async function evaluate(stage: EvaluateStage, ctx: StageContext): Promise<StageOutcome> {
  const specs = gameSpecs(ctx.experiment.seed, stage.name, stage, ctx.domain);
  const file = STAGE_FILES.evaluate(stage.name).games;
  const policies = stage.policies ?? [ctx.current.policy];
  const played = ctx.resuming ? await playedGames(ctx.run.file(file)) : new Map();
  const out = ctx.run.openJsonl(file);
  ctx.run.setStage(stage.name, 'running', file);
  const rows: SummaryRow[] = [];
  const metrics: Record<string, OutcomeMetrics> = {};
  try {
    for (const policy of policies) {
      const result = await playInto(ctx, stage, { policy, answerer: stage.answerer }, specs, out, played.get(policy.label));
      metrics[policy.label] = result.metrics;
      rows.push({ stage: stage.name, policy: policy.label, metrics: result.metrics });
      if (!result.completed) return { completed: false, rows, metrics: { policies: metrics } };
    }
  } finally {
    out.close();
  }
  if (ctx.resuming) await sortPlayed(ctx.run.file(file), policies.map((p) => p.label));
  const { agreement, notes } = await agreementOf(ctx, stage, file);
  return { completed: true, rows, notes, metrics: { policies: metrics, ...(agreement ? { answerer_agreement: agreement } : {}) } };
}
