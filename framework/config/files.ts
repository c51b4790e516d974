import type { Stage } from './types.js';

/**
 * The files a run directory holds besides its stages' (config.yaml, run.json, metrics.json,
 * summary.txt, the lock, the report): no stage may write one of these names.
 */
export const RUN_FILES: readonly string[] = ['config.yaml', 'run.json', 'metrics.json', 'summary.txt', 'run.lock', 'report.html', 'usage.jsonl'];

/** Every model call of the run, a line each, written as it is answered (llm/usage.ts). */
export const USAGE_FILE = 'usage.jsonl';

/**
 * The files each kind of stage writes in the run directory, named after the stage. The stages write
 * exactly these, and validation checks that no two stages (nor a stage and the run) share one.
 */
export const STAGE_FILES = {
  generate: (name: string) => ({ games: `${name}.jsonl` }),
  evaluate: (name: string) => ({ games: `${name}.jsonl` }),
  audit: (name: string) => ({ report: `${name}.json`, table: `${name}.txt` }),
  dataset: (name: string) => ({ rows: `${name}.trl.jsonl` }),
  train: (name: string) => ({ curve: `${name}.curve.jsonl`, checkpoint: `${name}.ckpt.json`, model: `${name}.model` }),
} satisfies Record<Stage['kind'], (name: string) => Record<string, string>>;

export function stageFiles(stage: Pick<Stage, 'kind' | 'name'>): string[] {
  return Object.values(STAGE_FILES[stage.kind](stage.name));
}
