import { STAGE_FILES } from '../../config/files.js';
import type { DatasetStage } from '../../config/types.js';
import { toTrl, writeTrl } from '../../data/trl.js';
import { AtomicFile } from '../../util/fs.js';
import type { StageContext, StageOutcome } from '../context.js';

/** A training set from a stage's games, by a strategy, written as TRL rows (each validated). */
export async function dataset(stage: DatasetStage, ctx: StageContext): Promise<StageOutcome> {
  const { run, domain, experiment, progress } = ctx;
  const strategy = await ctx.plugins.create('strategy', stage.strategy);
  const set = await strategy.build(() => ctx.games(stage.from));
  const file = STAGE_FILES.dataset(stage.name).rows;
  // a stage run again (a resume) replaces the file only once the new one is whole
  const out = new AtomicFile(run.file(file));
  let rows: number;
  try {
    rows = await writeTrl(set.kind, toTrl(set, domain, experiment.game, { show_candidates: stage.show_candidates }), (chunk) => out.write(chunk));
    out.commit();
  } catch (error) {
    out.abort();
    throw error;
  }
  run.setStage(stage.name, 'running', file);
  const figures = Object.entries(set.stats)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(', ');
  progress.log(`${stage.name}: ${stage.strategy.label} on the games of ${stage.from} -> ${rows} TRL ${set.kind} rows in ${file} (${figures})`);
  return {
    completed: true,
    rows: [],
    notes: [`${stage.name}: ${stage.strategy.label}: ${rows} ${set.kind} rows (${figures})`],
    metrics: { strategy: stage.strategy.label, from: stage.from, format: `trl-${set.kind}`, file, trl_rows: rows, ...set.stats },
  };
}
