import type { EvaluateStage } from '../../config/types.js';
import { OutcomeAccumulator, type OutcomeMetrics } from '../../metrics/outcome.js';
import { playInBatches } from '../batches.js';
import type { StageContext, StageOutcome, SummaryRow } from '../context.js';
import { gameSpecs } from '../games.js';

/** Plays fresh games with each policy and measures the outcome: all policies play the same games. */
export async function evaluate(stage: EvaluateStage, ctx: StageContext): Promise<StageOutcome> {
  const { experiment, domain, run, pool, progress, signals } = ctx;
  const specs = gameSpecs(experiment.seed, stage.name, stage, domain);
  const file = `${stage.name}.jsonl`;
  const out = run.openJsonl(file);
  run.setStage(stage.name, 'running', file);
  const rows: SummaryRow[] = [];
  const metrics: Record<string, OutcomeMetrics> = {};
  try {
    for (const policy of stage.policies) {
      const acc = new OutcomeAccumulator(experiment.game.max_questions, domain.candidates.map((c) => c.id));
      progress.start(`${stage.name} ${policy.label}`, specs.length);
      const completed = await playInBatches(
        pool,
        { setup: ctx.setup, policy, answerer: stage.answerer, reward: experiment.reward },
        specs,
        {
          stop: signals.stop,
          onResult(result) {
            out.write(result.jsonl);
            acc.addPacked(result.summaries);
            progress.update(acc.count, { success: acc.successSoFar });
          },
        },
      );
      progress.stop();
      metrics[policy.label] = acc.metrics();
      rows.push({ stage: stage.name, policy: policy.label, metrics: metrics[policy.label]! });
      if (!completed) return { completed: false, rows, metrics: { policies: metrics } };
    }
  } finally {
    out.close();
  }
  return { completed: true, rows, metrics: { policies: metrics } };
}
