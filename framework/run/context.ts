import type { Experiment, Stage } from '../config/types.js';
import type { Domain } from '../game/domain.js';
import type { OutcomeMetrics } from '../metrics/outcome.js';
import type { PluginRef } from '../plugins/types.js';
import type { GamePool } from './pool.js';
import type { Progress } from './progress.js';
import type { RunDir } from './rundir.js';
import type { Setup } from './worker.js';

/** One line of the run's summary table. */
export interface SummaryRow {
  stage: string;
  policy: string;
  metrics: OutcomeMetrics;
}

/** What a stage gets to do its work. */
export interface StageContext {
  experiment: Experiment;
  domain: Domain;
  setup: Setup;
  run: RunDir;
  pool: GamePool;
  progress: Progress;
  /** `stop`: finish what is running and keep it (a second Ctrl-C also ends the pool's workers). */
  signals: { stop: AbortSignal };
  /** The policy stages use unless they name their own; a training stage replaces it with its checkpoint. */
  current: { policy: PluginRef };
}

export interface StageOutcome {
  /** False when the stage was interrupted before it finished. */
  completed: boolean;
  rows: SummaryRow[];
  /** Written to metrics.json under the stage's name. */
  metrics?: unknown;
}

export type StageRunner<S extends Stage = Stage> = (stage: S, context: StageContext) => Promise<StageOutcome>;
