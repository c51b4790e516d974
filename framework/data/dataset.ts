import type { Move, Trajectory, Turn } from '../game/types.js';

/** A game selected for supervised fine-tuning, and how many times it goes into the data. */
export interface SftRow {
  game: Trajectory;
  copies: number;
}

/** A preference between two moves from the same state of a game with the same target. */
export interface PreferencePair {
  kind: 'divergence' | 'information';
  target: string;
  /** The turns before the moves compared (identical for both sides). */
  history: Turn[];
  chosen: Move;
  rejected: Move;
  /** Where the pair came from: the games compared (divergence) or the gains of the two moves (information). */
  source: { chosen_game?: number; rejected_game?: number; chosen_score?: number; rejected_score?: number; chosen_gain?: number; rejected_gain?: number };
}

/** Figures that describe a training set (printed and written to metrics.json). */
export type DataStats = Record<string, number>;

/**
 * What a strategy makes of games, for a trainer outside twentyq (`twentyq export`, the dataset stage):
 * `kind` names what it holds. The built-in strategies make SftSet, DpoSet and GrpoSet; a strategy of one's
 * own may make a kind of its own, which a row format writes if it knows it (read with `isSet`).
 */
export interface TrainingSet {
  kind: string;
  stats: DataStats;
  [field: string]: unknown;
}

/** SFT rows stream, and can be read once: a large games file never needs to be in memory to be exported. */
export interface SftSet extends TrainingSet {
  kind: 'sft';
  rows: AsyncIterable<SftRow>;
}

export interface DpoSet extends TrainingSet {
  kind: 'dpo';
  pairs: PreferencePair[];
}

export interface GrpoSet extends TrainingSet {
  kind: 'grpo';
  targets: string[];
}

/** Whether a set is of the kind its type says (`isSet<SftSet>(set, 'sft')`). */
export function isSet<S extends TrainingSet>(set: TrainingSet, kind: S['kind']): set is S {
  return set.kind === kind;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
