import type { Rules } from '../game/types.js';
import type { PluginRef } from '../plugins/types.js';

/** How many games a stage plays: so many per candidate, or so many in all. */
export type GameCount = { games_per_animal: number; games?: undefined } | { games: number; games_per_animal?: undefined };

export type EvaluateStage = {
  kind: 'evaluate';
  name: string;
  /** Absent: the current policy (the experiment's, or the last train stage's checkpoint). */
  policies?: PluginRef[];
  /** The answerer, or the first of `answerers`. */
  answerer: PluginRef;
  /** Several answerers: every policy plays the stage's games against each (transfer). */
  answerers?: PluginRef[];
  /**
   * Compare every other policy with this one, pair by pair: a policy label of this stage, or
   * STAGE/LABEL, a policy of an earlier evaluate stage that played the same targets.
   */
  baseline?: string;
  /** The share of failed games (outcome error) a policy may have before the stage fails. */
  max_error_rate: number;
} & GameCount;

/** Plays games with a teacher and keeps them as a data set. */
export type GenerateStage = {
  kind: 'generate';
  name: string;
  policy: PluginRef;
  answerer: PluginRef;
  /** Relative weight of each candidate (by id); absent ones weigh 1. */
  weights?: Record<string, number>;
  /** The share of failed games (outcome error) the stage tolerates. */
  max_error_rate: number;
} & GameCount;

/** Coverage of a data set: wins per animal; an animal without a win stops the run unless on_gap is warn. */
export interface AuditStage {
  kind: 'audit';
  name: string;
  /** The stage whose games are audited. */
  from: string;
  min_wins_per_animal: number;
  on_gap: 'fail' | 'warn';
}

/** A training set made by a strategy from a stage's games, written in TRL's format. */
export interface DatasetStage {
  kind: 'dataset';
  name: string;
  from: string;
  strategy: PluginRef;
  show_candidates: boolean;
}

/** Trains the current policy (or a fresh one) with a strategy; its checkpoint becomes the current policy. */
export interface TrainStage {
  kind: 'train';
  name: string;
  strategy: PluginRef;
  /** The stage whose games offline strategies learn from (absent when there is none before). */
  from?: string;
  /** current: go on from the policy so far; fresh: start again from the experiment's policy; or the name of an earlier train stage: from the policy it made. */
  start: string;
  /** The policy to train instead of the current one (a second backend trained beside the first on the same data). */
  policy?: PluginRef;
  /** The reward of the games the stage plays (online strategies), instead of the experiment's. */
  reward?: PluginRef;
  /** How the trained policy is called in tables; the stage name unless set. */
  label: string;
}

export type Stage = EvaluateStage | GenerateStage | AuditStage | DatasetStage | TrainStage;

/** Stages that play games and write them (what audit and dataset stages read). */
export const GAME_STAGES: readonly Stage['kind'][] = ['evaluate', 'generate'];

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

/** The endpoint whose /embeddings the report's evaluation gap measures the embedding cosine with. */
export interface EmbeddingsSettings {
  /** The URL under which /embeddings is served (e.g. http://127.0.0.1:8000/v1 for `twentyq serve`). */
  base_url: string;
  model: string;
  /** null: the endpoint takes no key. */
  api_key_env: string | null;
  /** Seconds one request may take. */
  timeout: number;
  max_retries: number;
  /** Inputs per request. */
  batch: number;
}

export interface ReportSettings {
  embeddings?: EmbeddingsSettings;
}
