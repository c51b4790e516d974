import { GameError, type GameSpec } from '../game/engine.js';
import type { GamePool } from './pool.js';
import type { PlayResult, PlayTask } from './worker.js';

export interface BatchOptions {
  /** Called once per finished batch, in batch order while the stage runs normally. */
  onResult(result: PlayResult, batch: number): void;
  /** Stops handing out new batches; batches already running finish and are reported. */
  stop?: AbortSignal;
  batchSize?: number;
}

/** Batch size that keeps every worker busy with a few batches each, without tiny batches. */
export function batchSizeFor(games: number, workers: number): number {
  return Math.max(16, Math.min(512, Math.ceil(games / (workers * 8))));
}

/**
 * Plays games in batches over the pool. Results are reported in batch order, so a stage's JSONL file
 * is the same whatever the number of workers. When `stop` fires, queued batches are dropped, running
 * ones finish, and every finished batch is still reported (those after a gap out of order) so that no
 * finished game is lost. Returns whether every batch was played.
 */
export async function playInBatches(pool: GamePool, base: Omit<PlayTask, 'specs'>, specs: readonly GameSpec[], options: BatchOptions): Promise<boolean> {
  const size = options.batchSize ?? batchSizeFor(specs.length, pool.workers);
  const done: (PlayResult | undefined)[] = [];
  const tasks: Promise<void>[] = [];
  for (let start = 0, b = 0; start < specs.length; start += size, b++) {
    const index = b;
    const task = pool.run({ ...base, specs: specs.slice(start, start + size) }).then((r) => {
      if (r.error !== undefined) throw new GameError(r.error);
      done[index] = r;
    });
    task.catch(() => undefined); // awaited in order below; this keeps an early failure from going unhandled
    tasks.push(task);
  }
  const onStop = () => pool.cancelPending();
  options.stop?.addEventListener('abort', onStop, { once: true });
  let next = 0;
  try {
    for (; next < tasks.length; next++) {
      if (options.stop?.aborted) break;
      try {
        await tasks[next];
      } catch (error) {
        if (options.stop?.aborted) break;
        pool.cancelPending();
        throw error;
      }
      options.onResult(done[next]!, next);
    }
  } finally {
    options.stop?.removeEventListener('abort', onStop);
    if (next < tasks.length) {
      await Promise.allSettled(tasks);
      for (let b = next; b < tasks.length; b++) if (done[b]) options.onResult(done[b]!, b);
    }
  }
  return next === tasks.length;
}
