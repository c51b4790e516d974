import type { Experiment } from '../config/types.js';
import type { StageFiles } from '../stages/define.js';
import type { Clustered } from '../metrics/paired.js';
import type { StageBound } from './bound.js';
import type { Domain } from '../game/domain.js';
import type { Trajectory } from '../game/types.js';
import type { OutcomeMetrics } from '../metrics/outcome.js';
import type { ModelLayer } from '../llm/layer.js';
import type { PluginFactory } from '../plugins/factory.js';
import type { PluginRef } from '../plugins/types.js';
import type { GamePool } from './pool.js';
import type { Progress } from './progress.js';
import type { RunDir } from './rundir.js';
import type { Setup } from './worker.js';

/** One line of the run's summary table. */
export interface SummaryRow {
  stage: string;
  policy: string;
  /** The answerer's label, in a stage that plays against several. */
  answerer?: string;
  metrics: OutcomeMetrics;
  /** Distinct games and intervals clustered by target (evaluate stages). */
  clustered?: Clustered;
  /** The exact bound of the game this row played: its targets, rules and answerer (absent for a vague answerer). */
  bound?: StageBound;
}

/** What a stage gets to do its work. */
export interface StageContext {
  experiment: Experiment;
  domain: Domain;
  /** Builds plugins in the main thread (strategies, trainable policies). */
  plugins: PluginFactory;
  /** The run's model layer: endpoints, the accounting of their calls, the servers the run launched. */
  models: ModelLayer;
  setup: Setup;
  run: RunDir;
  pool: GamePool;
  progress: Progress;
  /** `stop`: finish what is running and keep it (a second Ctrl-C also ends the pool's workers). */
  signals: { stop: AbortSignal };
  /** The policy stages use unless they name their own; a training stage replaces it with its checkpoint. */
  current: { policy: PluginRef };
  /** The games an earlier stage wrote, streamed from its file at each call (checked line by line). */
  games(stage: string): AsyncIterable<Trajectory>;
  /** The files a stage of the experiment writes, by its name. */
  files(stage: string): StageFiles;
  /** True while a stage that was interrupted earlier runs again: it keeps the games already played. */
  resuming: boolean;
}

export interface StageOutcome {
  /** False when the stage was interrupted before it finished. */
  completed: boolean;
  rows: SummaryRow[];
  /** Lines for the end of the run's summary (what a data stage made, what an audit found). */
  notes?: string[];
  /** Written to metrics.json under the stage's name. */
  metrics?: unknown;
}

/** A stage that cannot go on for a reason the user can fix (an audit gap): reported without a stack trace. */
export class StageError extends Error {}
