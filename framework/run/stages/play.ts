import type { GameSpec } from '../../game/engine.js';
import { OutcomeAccumulator, type OutcomeMetrics } from '../../metrics/outcome.js';
import type { PluginRef } from '../../plugins/types.js';
import { playInBatches } from '../batches.js';
import type { StageContext } from '../context.js';
import type { JsonlWriter } from '../rundir.js';

/** Plays a stage's games with one policy into its JSONL file, with progress; shared by evaluate and generate. */
export async function playInto(
  ctx: StageContext,
  stageName: string,
  players: { policy: PluginRef; answerer: PluginRef },
  specs: readonly GameSpec[],
  out: JsonlWriter,
): Promise<{ completed: boolean; metrics: OutcomeMetrics }> {
  const { experiment, domain, pool, progress, signals } = ctx;
  // Build the plugins here first: a problem (a missing checkpoint, a bad option) is reported as it is,
  // not as an error from inside a worker thread.
  await Promise.all([ctx.plugins.create('policy', players.policy), ctx.plugins.create('answerer', players.answerer)]);
  const acc = new OutcomeAccumulator(experiment.game.max_questions, domain.candidates.map((c) => c.id));
  progress.start(`${stageName} ${players.policy.label}`, specs.length);
  const completed = await playInBatches(pool, { setup: ctx.setup, ...players, reward: experiment.reward }, specs, {
    stop: signals.stop,
    onResult(result) {
      out.write(result.jsonl);
      acc.addPacked(result.summaries);
      progress.update(acc.count, { success: acc.successSoFar });
    },
  });
  progress.stop();
  return { completed, metrics: acc.metrics() };
}
