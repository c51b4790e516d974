import { availableParallelism } from 'node:os';
import Tinypool from 'tinypool';
import { RUNNING_FROM_SOURCE } from '../util/paths.js';
import type { PlayResult, PlayTask } from './worker.js';

export const defaultWorkers = (): number => availableParallelism();

/** Heap limit of each worker thread, in MB: a runaway plugin fails its run instead of eating the machine. */
export const DEFAULT_WORKER_MEMORY_MB = 2048;

/** A worker thread that died under a task (process.exit in a plugin, out of memory, a native crash). */
export class WorkerError extends Error {}

type Thread = { on(event: 'exit', listener: (code: number) => void): void; on(event: 'error', listener: (error: Error) => void): void };

/** One pool of worker threads for a run; each worker builds its plugins once and keeps them. */
export class GamePool {
  private readonly pool: Tinypool;
  private destroyed = false;
  /** Set once a thread died: tinypool's destroy waits for an exit event, and a dead thread's has passed. */
  private dead = false;
  private readonly watched = new WeakSet<object>();
  /** Rejected when a worker dies: tinypool does not notice a thread that exits, and its tasks would never settle. */
  private readonly death: Promise<never>;
  private die!: (error: WorkerError) => void;

  constructor(
    readonly workers: number,
    readonly memoryMb = DEFAULT_WORKER_MEMORY_MB,
  ) {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
    if (!Number.isInteger(memoryMb) || memoryMb < 16) throw new Error(`worker memory must be an integer of at least 16 MB, got ${memoryMb}`);
    const file = RUNNING_FROM_SOURCE ? './worker-source.js' : './worker.js';
    this.pool = new Tinypool({
      filename: new URL(file, import.meta.url).href,
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60_000,
      concurrentTasksPerWorker: 2,
      resourceLimits: { maxOldGenerationSizeMb: memoryMb },
    });
    this.death = new Promise<never>((_, reject) => (this.die = reject));
    this.death.catch(() => undefined); // reported through run()
    this.watch();
  }

  private outOfMemory(): WorkerError {
    return new WorkerError(`a worker ran out of memory (limit ${this.memoryMb} MB; raise it with --worker-memory)`);
  }

  /** Listens for the death of every thread of the pool (tinypool replaces a thread that fails with an error). */
  private watch(): void {
    for (const thread of this.pool.threads as unknown as Thread[]) {
      if (this.watched.has(thread)) continue;
      this.watched.add(thread);
      let oom = false;
      thread.on('error', (error) => void (oom ||= (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY'));
      thread.on('exit', (code) => {
        if (this.destroyed) return;
        this.dead = true;
        this.die(oom ? this.outOfMemory() : new WorkerError(`a worker thread exited with code ${code} (a plugin called process.exit, or crashed)`));
      });
    }
  }

  /** Plays a batch in a worker; rejects with a WorkerError, naming the task's plugins, if the worker dies. */
  async run(task: PlayTask): Promise<PlayResult> {
    this.watch();
    try {
      return await Promise.race([this.pool.run(task) as Promise<PlayResult>, this.death]);
    } catch (error) {
      const dead = error instanceof WorkerError ? error : (error as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY' ? this.outOfMemory() : undefined;
      if (!dead) throw error;
      throw new WorkerError(`${dead.message}, playing policy ${task.policy.label} against answerer ${task.answerer.label} (reward ${task.reward.label})`);
    }
  }

  /** Drops the tasks still waiting for a worker (they reject); running ones finish. */
  cancelPending(): void {
    this.pool.cancelPendingTasks();
  }

  /** Ends the workers, running tasks included (they reject). Safe to call more than once. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const ended = this.pool.destroy();
    if (this.dead) ended.catch(() => undefined);
    else await ended;
  }
}
