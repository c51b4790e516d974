import { availableParallelism } from 'node:os';
import Tinypool from 'tinypool';
import { RUNNING_FROM_SOURCE } from '../util/paths.js';
import type { PlayResult, PlayTask } from './worker.js';

export const defaultWorkers = (): number => availableParallelism();

/** One pool of worker threads for a run; each worker builds its plugins once and keeps them. */
export class GamePool {
  private readonly pool: Tinypool;
  private destroyed = false;

  constructor(readonly workers: number) {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
    const file = RUNNING_FROM_SOURCE ? './worker-source.js' : './worker.js';
    this.pool = new Tinypool({
      filename: new URL(file, import.meta.url).href,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: 2,
    });
  }

  run(task: PlayTask): Promise<PlayResult> {
    return this.pool.run(task);
  }

  /** Drops the tasks still waiting for a worker (they reject); running ones finish. */
  cancelPending(): void {
    this.pool.cancelPendingTasks();
  }

  /** Ends the workers, running tasks included (they reject). Safe to call more than once. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.pool.destroy();
  }
}
