import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../../framework/config/load.js';
import type { Progress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';
import type { RunRecord } from '../../framework/run/rundir.js';

describe('the runner and the stop signal', () => {
  it('a stop that comes during a stage that does not look at it (an audit, the last stage) still ends the run interrupted', async () => {
    const experiment = await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: ['stages.0.generate.games_per_animal=1'] });
    experiment.stages = experiment.stages.slice(0, 2); // generate, audit
    const stop = new AbortController();
    // the audit logs its summary while it runs: the stop comes then
    const progress: Progress = { start() {}, update() {}, stop() {}, log: (line) => void (line.startsWith('02-audit') && stop.abort()) };
    const result = await runExperiment(experiment, { workers: 1, runsDir: mkdtempSync(join(tmpdir(), 'twentyq-stop-')), progress, stop: stop.signal });
    expect(stop.signal.aborted).toBe(true);
    expect(result.status).toBe('interrupted');
    const record = JSON.parse(readFileSync(join(result.dir, 'run.json'), 'utf8')) as RunRecord;
    expect(record.status).toBe('interrupted');
  });
});
