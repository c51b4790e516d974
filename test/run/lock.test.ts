import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockError, RunLock } from '../../framework/run/lock.js';
import { RunDir } from '../../framework/run/rundir.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-lock-'));
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid;

describe('the lock of a run directory', () => {
  it('holds pid, host and start time; a second holder is refused with the pid; unlock frees it', () => {
    const dir = tmp();
    const lock = RunLock.acquire(dir);
    expect(JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8'))).toEqual({ pid: process.pid, host: hostname(), started: expect.any(String) });
    expect(() => RunLock.acquire(dir)).toThrow(new RegExp(`is in use by process ${process.pid} \\(since `));
    lock.unlock();
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
    RunLock.acquire(dir).unlock();
  });

  it('takes over the lock of a process that is gone on this host, and says so; never one of another host', () => {
    const dir = tmp();
    const pid = deadPid();
    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid, host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
    const lock = RunLock.acquire(dir);
    expect(lock.takeover).toContain(`took over the stale lock of process ${pid}`);
    lock.unlock();
    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid, host: 'elsewhere', started: '2026-01-01T00:00:00.000Z' }));
    expect(() => RunLock.acquire(dir)).toThrow(new RegExp(`in use by process ${pid} on host elsewhere`));
  });

  it('an empty lock is being written by someone: refused while it is young', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'run.lock'), '');
    expect(() => RunLock.acquire(dir)).toThrow(LockError);
    expect(() => RunLock.acquire(dir)).toThrow(/is being locked by another process right now/);
  });

  it('a resume that is refused gives the lock back at once', async () => {
    const dir = tmp();
    await expect(RunDir.resume(dir, 1)).rejects.toThrow(/is not a run directory to resume/);
    expect(existsSync(join(dir, 'run.lock'))).toBe(false);
    await expect(RunDir.resume(join(dir, 'missing'), 1)).rejects.toThrow(/missing: no such folder/);
  });
});
