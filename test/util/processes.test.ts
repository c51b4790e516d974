import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processIdentity, reapProcesses, recordProcess, type ProcessRecord } from '../../framework/util/processes.js';
import { alive } from '../helpers.js';

/** A process in a group of its own with a child of its own, as a launched server is. */
function sleeper(): number {
  const child = spawn('/bin/sh', ['-c', 'sleep 60 & sleep 60; wait'], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid!;
}

describe('the processes a run records and a resume reaps', () => {
  it('stops a recorded process group that is still running and the same process, and says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-processes-'));
    const pid = sleeper();
    const forget = recordProcess(dir, 'served', pid, 'sh -c sleep');
    const [file] = readdirSync(dir);
    const record = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as ProcessRecord;
    expect(record).toMatchObject({ label: 'served', pid, pgid: pid, ...processIdentity(pid) });
    const said: string[] = [];
    expect(await reapProcesses(dir, (l) => said.push(l), 2000)).toBe(1);
    expect(said).toEqual([expect.stringMatching(new RegExp(`^stopping served \\(pid ${pid}, "sh -c sleep"\\)`))]);
    expect(alive(pid)).toBe(false);
    // the whole group: the shell's own child is gone too
    expect(() => process.kill(-pid, 0)).toThrow();
    expect(readdirSync(dir)).toEqual([]);
    forget(); // once the record is gone, forgetting it is harmless
  });

  it('leaves alone a process whose pid is now another process, and forgets records of processes gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-processes-'));
    const pid = sleeper();
    recordProcess(dir, 'reused', pid, 'sh');
    const [file] = readdirSync(dir);
    const record = JSON.parse(readFileSync(join(dir, file!), 'utf8')) as ProcessRecord;
    // the same pid, started at another time: another process that took the pid over
    writeFileSync(join(dir, file!), JSON.stringify({ ...record, start: String(Number(record.start) - 1) }));
    writeFileSync(join(dir, 'gone.999999999.json'), JSON.stringify({ ...record, label: 'gone', pid: 999_999_999, pgid: 999_999_999 }));
    writeFileSync(join(dir, 'garbage.json'), '{ not json');
    const said: string[] = [];
    expect(await reapProcesses(dir, (l) => said.push(l), 2000)).toBe(0);
    expect(alive(pid)).toBe(true);
    expect(said.sort()).toEqual([`processes/garbage.json: not a process record; removed`, `reused (pid ${pid}): its pid now belongs to another process: left alone`]);
    expect(readdirSync(dir)).toEqual([]);
    process.kill(-pid, 'SIGKILL');
  });

  it('records nothing outside a run, and a record is removed once its process is known to be gone', () => {
    expect(recordProcess(undefined, 'x', process.pid, 'node')).toBeTypeOf('function');
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-processes-'));
    const forget = recordProcess(dir, 'me', process.pid, 'node');
    expect(readdirSync(dir)).toHaveLength(1);
    forget();
    expect(existsSync(dir) && readdirSync(dir)).toEqual([]);
  });
});
