import type { RenderOptions } from '../game/chat.js';
import type { Domain } from '../game/domain.js';
import type { Rules } from '../game/types.js';
import type { TrainingSet } from './dataset.js';

/**
 * How training sets are written as rows for a trainer outside twentyq (`twentyq export`, the dataset
 * stage): a plugin contributes it (the trl backend's TRL conversational formats), listed in the table of
 * formats beside the built-in plugins.
 */
export interface RowFormat {
  /** Names the dataset stage's file (<stage>.<name>.jsonl) and its metrics. */
  name: string;
  /** How messages call the rows ("TRL": "120 TRL sft rows"). */
  title: string;
  /** The kinds of training set it writes; it refuses others. */
  kinds: readonly string[];
  /**
   * Writes the set's rows as JSONL through `write`, in chunks (awaited: a pipe can push back), every row
   * checked first; throws on the first bad row. Returns the number of rows.
   */
  write(set: TrainingSet, game: { domain: Domain; rules: Rules; render: RenderOptions }, write: (chunk: string) => void | Promise<void>): Promise<number>;
}

/** The row formats plugins contribute, by name, each loaded on first use. */
export type FormatTable = Record<string, () => Promise<{ default: RowFormat }>>;
