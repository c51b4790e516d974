import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPython, type PythonRun } from '../../plugins/policies/trl/process.js';

describe('a trl job file', () => {
  it('is checked against its declaration before any Python starts, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'twentyq-job-'));
    const jobFile = join(dir, 'merge.job.json');
    // what a caller that bypassed the types would write: a merge job with no output folder
    const run = { python: '/nonexistent/python', command: 'merge', job: { adapter: dir }, jobFile, log: join(dir, 'python.log') } as unknown as PythonRun;
    await expect(runPython(run)).rejects.toThrow(/the merge job for the Python package does not fit its schema:\n.*missing required field "output_dir"/);
    expect(existsSync(jobFile)).toBe(false);
  });
});
