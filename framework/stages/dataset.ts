import { Type } from '@sinclair/typebox';
import { defaulted } from '../util/typebox.js';
import { ROW_FORMAT, rowFormat } from '../plugins/builtins.js';
import { pluginField } from '../plugins/ref.js';
import type { PluginRef } from '../plugins/types.js';
import { AtomicFile } from '../util/fs.js';
import type { StageContext, StageOutcome } from '../run/context.js';
import { gamesSource, SETTINGS } from './common.js';
import { defineStage } from './define.js';
import { pluginEntry } from './write.js';

/** A training set made by a strategy from a stage's games, written in the row format the plugins contribute (TRL's). */
export interface DatasetStage {
  kind: 'dataset';
  name: string;
  from: string;
  strategy: PluginRef;
  show_candidates: boolean;
}

const files = (name: string) => ({ rows: `${name}.${ROW_FORMAT}.jsonl` });

const settings = Type.Object(
  {
    name: SETTINGS.name,
    from: SETTINGS.from('The stage whose games to read; defaults to the last generate stage before this one.'),
    strategy: pluginField({ description: 'weighted-sft or dpo (twentyq plugins strategy).' }),
    show_candidates: defaulted(Type.Boolean({ default: true, description: 'List the candidates in the system prompt.' })),
  },
  {
    additionalProperties: false,
    description: "Makes a training set from a stage's games with a strategy, and writes it in Hugging Face TRL's conversational format (validated row by row).",
  },
);

export default defineStage({
  kind: 'dataset',
  settings,
  files,
  async resolve(s, at) {
    const strategy = await at.plugin('strategy', s.strategy, ['strategy']);
    const from = gamesSource(s.from, at);
    return strategy ? { kind: 'dataset', name: at.name, from, strategy, show_candidates: s.show_candidates } : undefined;
  },
  run: dataset,
  write: (stage) => ({ name: stage.name, from: stage.from, strategy: pluginEntry(stage.strategy), show_candidates: stage.show_candidates }),
  uses: (stage) => [['strategy', stage.strategy]],
});

/** A training set from a stage's games, by a strategy, written as TRL rows (each validated). */
async function dataset(stage: DatasetStage, ctx: StageContext): Promise<StageOutcome> {
  const { run, domain, experiment, progress } = ctx;
  const strategy = await ctx.plugins.create('strategy', stage.strategy);
  const set = await strategy.build(() => ctx.games(stage.from));
  const format = await rowFormat();
  const file = files(stage.name).rows;
  // a stage run again (a resume) replaces the file only once the new one is whole
  const out = new AtomicFile(run.file(file));
  let rows: number;
  try {
    rows = await format.write(set, { domain, rules: experiment.game, render: { show_candidates: stage.show_candidates } }, (chunk) => out.write(chunk));
    out.commit();
  } catch (error) {
    out.abort();
    throw error;
  }
  run.setStage(stage.name, 'running', file);
  const figures = Object.entries(set.stats)
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`)
    .join(', ');
  progress.log(`${stage.name}: ${stage.strategy.label} on the games of ${stage.from} -> ${rows} ${format.title} ${set.kind} rows in ${file} (${figures})`);
  return {
    completed: true,
    rows: [],
    notes: [`${stage.name}: ${stage.strategy.label}: ${rows} ${set.kind} rows (${figures})`],
    metrics: { strategy: stage.strategy.label, from: stage.from, format: `${format.name}-${set.kind}`, file, [`${format.name}_rows`]: rows, ...set.stats },
  };
}
