import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../../framework/config/load.js';
import type { Progress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';
import { RunDir, type RunRecord } from '../../framework/run/rundir.js';

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
    // an interrupted run still has its report, of what there is
    const report = readFileSync(join(result.dir, 'report.html'), 'utf8');
    expect(report).toContain('<b class="status-interrupted">interrupted</b>');
    expect(report).toContain('Audit 02-audit: coverage');
  });

  it('the progress of a resumed stage starts from the games it kept', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=2', 'stages.0.evaluate.policies=[infogain]'] });
    const stop = new AbortController();
    const stopping: Progress = { start() {}, update: (done) => void (done >= 50 && stop.abort()), stop() {}, log() {} };
    const cut = await runExperiment(experiment, { workers: 1, runsDir: mkdtempSync(join(tmpdir(), 'twentyq-stop-')), progress: stopping, stop: stop.signal });
    expect(cut.status).toBe('interrupted');
    const kept = readFileSync(join(cut.dir, '01-evaluate.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    const shown: number[] = [];
    const recording: Progress = { start() {}, update: (done) => void shown.push(done), stop() {}, log() {} };
    const { run, experiment: again } = await RunDir.resume(cut.dir, 1);
    await runExperiment(again, { workers: 1, resume: run, progress: recording });
    expect(kept).toBeGreaterThan(0);
    expect(shown[0]).toBe(kept);
    expect(shown.at(-1)).toBe(180);
  });

  it('a training stage stopped half way says it was interrupted, not that it trained', async () => {
    const experiment = await loadExperiment('test/fixtures/long-train.yaml');
    const stop = new AbortController();
    const lines: string[] = [];
    let unit = '';
    // Ctrl-C after two epochs of training
    const stopping: Progress = { start: (_label, _total, u = 'games') => void (unit = u), update: (done) => void (unit === 'epochs' && done >= 2 && stop.abort()), stop() {}, log: (line) => void lines.push(line) };
    const cut = await runExperiment(experiment, { workers: 1, runsDir: mkdtempSync(join(tmpdir(), 'twentyq-stop-')), progress: stopping, stop: stop.signal });
    expect(cut.status).toBe('interrupted');
    expect(lines).toContainEqual(expect.stringMatching(/^sft: interrupted; weighted-sft\(.*\) so far -> sft\.ckpt\.json \(loss/));
    expect(cut.summary).toMatch(/sft: interrupted while training sft with weighted-sft\(.*\) \(loss .*\); twentyq run --resume finishes it/);
    expect(cut.summary).not.toMatch(/sft: trained sft/);
  });
});
