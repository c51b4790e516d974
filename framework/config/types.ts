import type { ReportSettings } from './report-schema.js';
import type { Rules } from '../game/types.js';
import type { PluginRef } from '../plugins/types.js';
import type { Stage } from '../stages/index.js';

/** An experiment after validation: every default filled in, every plugin resolved. Serialisable. */
export interface Experiment {
  name: string;
  description?: string;
  /** Absolute path of the experiment file, and its folder (relative paths resolve against it). */
  file: string;
  baseDir: string;
  seed: number;
  game: Rules;
  domain: PluginRef;
  answerer: PluginRef;
  policy: PluginRef;
  reward: PluginRef;
  stages: Stage[];
  /** What the report computes beyond the run's files (an embeddings endpoint); absent when nothing more. */
  report?: ReportSettings;
}

export type { EmbeddingsSettings, ReportSettings } from './report-schema.js';
