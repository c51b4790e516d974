import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../../framework/config/load.js';
import { createProgress, type Progress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';
import { RunDir, RunFileError, type RunRecord } from '../../framework/run/rundir.js';
import { GamesFileError } from '../../framework/data/games.js';
import { isUserFacing } from '../../framework/cli/shared.js';

const quiet = createProgress('silent');
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-resume-'));
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');

/** A progress sink that fires `stop` once a stage whose label starts with `prefix` has made `after` steps. */
function stopAt(prefix: string, after: number, stop: AbortController): Progress {
  let label = '';
  return { start: (l) => void (label = l), update: (done) => void (label.startsWith(prefix) && done >= after && stop.abort()), stop() {}, log() {} };
}

describe('resuming an interrupted run', () => {
  it('keeps the games played, plays the rest, and ends with the files an uninterrupted run writes', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=20'] });
    const whole = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    const stop = new AbortController();
    const cut = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: stopAt('01-evaluate infogain', 500, stop), stop: stop.signal });
    expect(cut.status).toBe('interrupted');
    // a hard stop can leave half a line: it is dropped and played again
    appendFileSync(join(cut.dir, '01-evaluate.jsonl'), '{"game": 17, "policy": "infog');
    const { run, experiment: again } = await RunDir.resume(cut.dir, 1);
    const done = await runExperiment(again, { workers: 1, resume: run, progress: quiet });
    expect(done.status).toBe('completed');
    expect(done.dir).toBe(cut.dir);
    expect(read(cut.dir, '01-evaluate.jsonl')).toBe(read(whole.dir, '01-evaluate.jsonl'));
    expect(done.rows.map((r) => r.metrics)).toEqual(whole.rows.map((r) => r.metrics));
    const record = JSON.parse(read(cut.dir, 'run.json')) as RunRecord;
    expect(record).toMatchObject({ status: 'completed', workers: 1, resumed: [expect.any(String)] });
  });

  it('carries finished stages over and starts an interrupted training stage again: the same checkpoints', async () => {
    const experiment = await loadExperiment('test/fixtures/mini-pipeline.yaml');
    const whole = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    const stop = new AbortController();
    const cut = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: stopAt('grpo', 1, stop), stop: stop.signal });
    expect(cut.status).toBe('interrupted');
    const record = JSON.parse(read(cut.dir, 'run.json')) as RunRecord;
    expect(record.stages.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'interrupted', 'pending']);
    const { run, experiment: again } = await RunDir.resume(cut.dir, 2);
    const done = await runExperiment(again, { workers: 2, resume: run, progress: quiet });
    expect(done.status).toBe('completed');
    for (const file of ['sft.ckpt.json', 'dpo.ckpt.json', 'grpo.ckpt.json', 'final.jsonl']) expect(read(cut.dir, file), file).toBe(read(whole.dir, file));
    expect(done.summary.replace(/\d+\.\d+s/g, '')).toBe(whole.summary.replace(/\d+\.\d+s/g, ''));
    // the curve of the stage that ran twice holds its second run only
    expect(read(cut.dir, 'grpo.curve.jsonl').trim().split('\n')).toHaveLength(2);
  });

  it('refuses what cannot be resumed, saying why', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=1'] });
    const complete = await runExperiment(experiment, { workers: 1, runsDir: tmp(), progress: quiet });
    await expect(RunDir.resume(complete.dir, 1)).rejects.toThrow(/this run is complete; there is nothing to resume/);
    await expect(RunDir.resume(tmp(), 1)).rejects.toThrow(/is not a run directory to resume \(ENOENT\): it needs run.json and config.yaml/);
  });

  it('names a damaged file and what to do, and leaves run.json as it was', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=4'] });
    const stop = new AbortController();
    const cut = await runExperiment(experiment, { workers: 1, runsDir: tmp(), progress: stopAt('01-evaluate', 30, stop), stop: stop.signal });
    expect(cut.status).toBe('interrupted');
    const before = read(cut.dir, 'run.json');
    const damage = async (file: string, text: string) => {
      const good = read(cut.dir, file);
      writeFileSync(join(cut.dir, file), text);
      let error: unknown;
      try {
        await RunDir.resume(cut.dir, 1);
      } catch (e) {
        error = e;
      }
      writeFileSync(join(cut.dir, file), good);
      expect(read(cut.dir, 'run.json')).toBe(before);
      return error as Error;
    };
    // the full disk of the issue: metrics.json cut short
    const metrics = await damage('metrics.json', read(cut.dir, 'metrics.json').slice(0, 40));
    expect(metrics).toBeInstanceOf(RunFileError);
    expect(isUserFacing(metrics)).toBe(true);
    expect(metrics.message).toMatch(new RegExp(`^${join(cut.dir, 'metrics.json')} is damaged \\(not JSON: .*\\)\\. .*restore it from a copy, or run the experiment again`));
    // config.yaml is read by the experiment loader: a damaged one gets its place
    const yaml = await damage('config.yaml', 'stages: [ {');
    expect(isUserFacing(yaml)).toBe(true);
    expect(yaml.message).toContain(join(cut.dir, 'config.yaml') + ':');
    expect(isUserFacing(await damage('config.yaml', 'name: quickstart\n'))).toBe(true);
    expect((await damage('run.json', before.slice(0, before.length / 2))).message).toMatch(/run\.json is damaged \(not JSON/);
    // every file fine again: the run resumes
    const { run, experiment: again } = await RunDir.resume(cut.dir, 1);
    expect((await runExperiment(again, { workers: 1, resume: run, progress: quiet })).status).toBe('completed');
    expect(readdirSync(cut.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('stops a resume at a damaged games line with its file and line, and does not leave the run marked running', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=4'] });
    const stop = new AbortController();
    const cut = await runExperiment(experiment, { workers: 1, runsDir: tmp(), progress: stopAt('01-evaluate', 30, stop), stop: stop.signal });
    const file = join(cut.dir, '01-evaluate.jsonl');
    const lines = read(cut.dir, '01-evaluate.jsonl').split('\n');
    lines[2] = lines[2]!.replace(/"questions":\d+,/, '');
    writeFileSync(file, lines.join('\n'));
    const { run, experiment: again } = await RunDir.resume(cut.dir, 1);
    const failure = runExperiment(again, { workers: 1, resume: run, progress: quiet });
    await expect(failure).rejects.toThrow(GamesFileError);
    await expect(failure).rejects.toThrow(new RegExp(`^${file}:3: questions is missing, .*delete that line \\(its game is played again\\) and resume again`));
    expect((JSON.parse(read(cut.dir, 'run.json')) as RunRecord).status).toBe('failed');
  });

  it("refuses to go on when a finished stage's file changed since it finished, or an interrupted one holds a game twice", async () => {
    const experiment = await loadExperiment('test/fixtures/mini-pipeline.yaml');
    const stop = new AbortController();
    const cut = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: stopAt('grpo', 1, stop), stop: stop.signal });
    const record = JSON.parse(read(cut.dir, 'run.json')) as RunRecord;
    expect(Object.keys(record.stages[0]!.digests!)).toEqual(['games.jsonl']);
    const games = read(cut.dir, 'games.jsonl');
    // a line added to the finished generate stage's games
    appendFileSync(join(cut.dir, 'games.jsonl'), games.split('\n')[0] + '\n');
    await expect(RunDir.resume(cut.dir, 2)).rejects.toThrow(
      new RegExp(`^${join(cut.dir, 'games.jsonl')}: changed since stage games finished \\(run\\.json keeps the sha256 it had then\\); restore it, or run the experiment again in a new run directory$`),
    );
    writeFileSync(join(cut.dir, 'games.jsonl'), games);
    const { run, experiment: again } = await RunDir.resume(cut.dir, 2);
    expect((await runExperiment(again, { workers: 2, resume: run, progress: quiet })).status).toBe('completed');

    // an evaluate stage cut short, its file with a game twice: the resume names the line
    const quick = await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=4'] });
    const stop2 = new AbortController();
    const cut2 = await runExperiment(quick, { workers: 1, runsDir: tmp(), progress: stopAt('01-evaluate', 30, stop2), stop: stop2.signal });
    const lines = read(cut2.dir, '01-evaluate.jsonl').split('\n').filter(Boolean);
    writeFileSync(join(cut2.dir, '01-evaluate.jsonl'), [...lines, lines[1]].join('\n') + '\n');
    const resumed = await RunDir.resume(cut2.dir, 1);
    await expect(runExperiment(resumed.experiment, { workers: 1, resume: resumed.run, progress: quiet })).rejects.toThrow(
      new RegExp(`^${join(cut2.dir, '01-evaluate.jsonl')}:${lines.length + 1}: game \\d+ of \\S+ is in the file twice \\(first at line 2\\)`),
    );
  });
});
