import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** What a lock file says about the process that holds it. */
export interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

/** A run directory in use by another process (or not lockable): nothing of it was touched. */
export class LockError extends Error {}

export const LOCK_FILE = 'run.lock';

/** A lock just created may be empty for an instant: give its writer this long before calling it broken. */
const BEING_WRITTEN_MS = 5_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isInteger(owner?.pid) && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The lock of one process on one run directory: run.lock, created exclusively ('wx'), holding the pid,
 * host and start time. Only a lock whose process is known to be gone (same host, no such pid) is taken
 * over; a lock of another host is never guessed about. Released when the run ends, and in any case
 * when the process exits (a second Ctrl-C, an uncaught error); only kill -9 leaves one behind, and the
 * next resume takes it over.
 */
export class RunLock {
  private readonly release = () => this.unlock();
  private held = true;

  private constructor(
    readonly file: string,
    readonly owner: LockOwner,
    /** What was taken over to get this lock, if anything: a message for the user. */
    readonly takeover?: string,
  ) {
    process.once('exit', this.release);
  }

  /** Locks `dir`, or throws a LockError naming the process that holds it; a stale lock is taken over. */
  static acquire(dir: string): RunLock {
    const file = join(dir, LOCK_FILE);
    const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
    let takeover: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(file, JSON.stringify(owner) + '\n', { flag: 'wx' });
        return new RunLock(file, owner, takeover);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw RunLock.refusal(dir, file, error as NodeJS.ErrnoException);
      }
      const holder = readOwner(file);
      if (holder === undefined) {
        let age = Infinity;
        try {
          age = Date.now() - statSync(file).mtimeMs;
        } catch {
          continue; // released meanwhile: try again
        }
        if (age < BEING_WRITTEN_MS) throw new LockError(`${dir} is being locked by another process right now; try again in a few seconds`);
        takeover = `took over the unreadable lock ${file} (its writer died before finishing it)`;
      } else if (holder.host === owner.host && !alive(holder.pid)) {
        takeover = `took over the stale lock of process ${holder.pid} (started ${holder.started}), which is gone: ${file}`;
      } else {
        throw RunLock.refusal(dir, file, undefined, holder);
      }
      try {
        unlinkSync(file);
      } catch {
        // another process took it over first: the next attempt finds its lock
      }
    }
  }

  private static refusal(dir: string, file: string, error?: NodeJS.ErrnoException, holder = readOwner(file)): LockError {
    if (holder) {
      const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
      return new LockError(`${dir} is in use by process ${holder.pid}${where} (since ${holder.started}): wait for it to end or stop it (Ctrl-C, kill ${holder.pid}); if that process is gone for good, delete ${file}`);
    }
    if (error?.code === 'ENOENT') return new LockError(`${dir}: no such folder; give the path of a run directory (runs/<experiment>/<run-id>)`);
    return new LockError(`${dir}: cannot create its lock ${file} (${error?.code ?? error?.message}); check that you may write to the folder`);
  }

  /** Removes the lock if this process still holds it. Safe to call more than once. */
  unlock(): void {
    if (!this.held) return;
    this.held = false;
    process.off('exit', this.release);
    const holder = readOwner(this.file);
    if (holder?.pid !== this.owner.pid || holder.started !== this.owner.started) return; // taken over after all: not ours to delete
    try {
      unlinkSync(this.file);
    } catch {
      // already gone
    }
  }
}
