import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadExperiment } from '../../framework/config/load.js';
import type { Trajectory } from '../../framework/game/types.js';
import { createProgress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';
import type { RunRecord } from '../../framework/run/rundir.js';

const quiet = createProgress('silent');
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-run-'));

function lines(file: string): Trajectory[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Trajectory);
}

describe('runner', () => {
  it('plays the same games, byte for byte, with 1 and with 2 workers', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=3'] });
    const one = await runExperiment(experiment, { workers: 1, runsDir: tmp(), progress: quiet });
    const two = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    const a = readFileSync(join(one.dir, '01-evaluate.jsonl'), 'utf8');
    const b = readFileSync(join(two.dir, '01-evaluate.jsonl'), 'utf8');
    expect(a.length).toBeGreaterThan(0);
    expect(a).toBe(b);
    expect(one.rows.map((r) => r.metrics)).toEqual(two.rows.map((r) => r.metrics));
    // and a different seed plays different games
    const other = await runExperiment(await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=3', 'seed=2'] }), {
      workers: 2,
      runsDir: tmp(),
      progress: quiet,
    });
    expect(readFileSync(join(other.dir, '01-evaluate.jsonl'), 'utf8')).not.toBe(a);
  });

  it('writes the run directory: resolved config, status, trajectories, metrics and summary', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=2'] });
    const result = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    expect(result.status).toBe('completed');
    expect(readdirSync(result.dir).sort()).toEqual(['01-evaluate.jsonl', '01-evaluate.regret.jsonl', 'config.yaml', 'domain.json', 'metrics.json', 'report.html', 'run.json', 'summary.txt']);

    const config = parse(readFileSync(join(result.dir, 'config.yaml'), 'utf8'));
    expect(config).toMatchObject({ name: 'quickstart', seed: 1, game: { max_questions: 20, wrong_guess: 'continue' } });
    expect(config.stages[0].evaluate.games_per_animal).toBe(2);

    const run = JSON.parse(readFileSync(join(result.dir, 'run.json'), 'utf8')) as RunRecord;
    expect(run).toMatchObject({ experiment: 'quickstart', status: 'completed', workers: 2, game: experiment.game });
    expect(run.stages).toEqual([
      {
        name: '01-evaluate',
        kind: 'evaluate',
        status: 'done',
        files: ['01-evaluate.jsonl', '01-evaluate.regret.jsonl'],
        outputs: { games: '01-evaluate.jsonl', regret: '01-evaluate.regret.jsonl' },
        digests: { '01-evaluate.jsonl': expect.stringMatching(/^[0-9a-f]{64}$/), '01-evaluate.regret.jsonl': expect.stringMatching(/^[0-9a-f]{64}$/) },
        seconds: expect.any(Number),
        // against kb, every move's regret (the random policy's games the costliest)
        outcome: {
          rows: result.rows,
          notes: [expect.stringMatching(/^01-evaluate: regret per game \(expected questions lost to the best moves\): random \d+\.\d{3}, infogain 0\.000, infogain-noisy \d+\.\d{3}$/)],
          policy: experiment.policy,
        },
      },
    ]);

    const games = lines(join(result.dir, '01-evaluate.jsonl'));
    expect(games).toHaveLength(3 * 180);
    for (const label of ['random', 'infogain', 'infogain-noisy']) {
      const mine = games.filter((g) => g.policy === label);
      expect(mine.map((g) => g.game)).toEqual([...Array(180).keys()]);
      // every animal twice, and every policy the same targets and seeds (paired)
      expect(new Set(mine.map((g) => g.target)).size).toBe(90);
    }
    const g = games.find((x) => x.policy === 'infogain')!;
    expect(g).toMatchObject({ outcome: 'win', invalid: 0 });
    expect(g.reward).toBeCloseTo(1 - g.questions / 20, 12);
    expect(g.turns.at(-1)!.move.kind).toBe('guess');
    expect(g.turns[0]!.move).toMatchObject({ kind: 'question', attribute: expect.any(String) });

    const metrics = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8'));
    expect(metrics.stages['01-evaluate'].policies.infogain).toMatchObject({ games: 180, wins: 180, success: 1 });
    expect(metrics.stages['01-evaluate'].policies.infogain.avg_questions).toBeLessThanOrEqual(7.5);
    expect(Object.keys(metrics.stages['01-evaluate'].policies.infogain.per_candidate)).toHaveLength(90);

    const summary = readFileSync(join(result.dir, 'summary.txt'), 'utf8');
    // 180 games, 90 of them distinct; the interval at 90 games; the exact bound of the game played
    expect(summary).toMatch(/01-evaluate\s+infogain\s+180\s+90\s+0\s+100\.0%\s+95\.9%-100\.0%\s+5\.20\s+[\d.]+-[\d.]+\s+5\.20\s+0\.740\s+0\.0%\s+5\.200/);
    expect(summary).toContain('With arbitrary yes/no questions over 90 equally likely candidates the best is 6.933');
    expect(metrics.stages['01-evaluate'].bound).toMatchObject({ rule: 'continue', semantics: 'say', targets: 90, games: 180, proved: true });
    expect(metrics.stages['01-evaluate'].policies.infogain.clustered).toMatchObject({ distinct_games: 90, targets: 90, effective_games: 90 });
  });

  it('keeps every finished game and marks the run interrupted when stopped', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=40'] });
    const stop = new AbortController();
    let reported = 0;
    const progress = { ...quiet, update: (done: number) => ((reported = done), done >= 400 && stop.abort()), start() {}, stop() {}, log() {} };
    const result = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress, stop: stop.signal });
    expect(result.status).toBe('interrupted');
    const run = JSON.parse(readFileSync(join(result.dir, 'run.json'), 'utf8')) as RunRecord;
    expect(run.status).toBe('interrupted');
    expect(run.stages[0]!.status).toBe('interrupted');
    const games = lines(join(result.dir, '01-evaluate.jsonl'));
    // every reported game is on disk, each line whole, no game twice; the stage stopped early
    expect(games.length).toBeGreaterThanOrEqual(reported);
    expect(games.length).toBeLessThan(3 * 3600);
    expect(new Set(games.map((g) => `${g.policy}:${g.game}`)).size).toBe(games.length);
    expect(result.rows[0]!.metrics.games).toBe(games.length);
  });

  it('plays with a user plugin loaded by path inside the workers', async () => {
    const experiment = await loadExperiment('test/fixtures/user-plugin.yaml');
    const result = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    // an answerer that says yes to everything leaves infogain's first candidate; guesses are settled by the engine
    const games = lines(join(result.dir, '01-evaluate.jsonl'));
    expect(games).toHaveLength(10);
    expect(games.every((g) => g.turns.filter((t) => t.move.kind === 'question').every((t) => t.answer === 'yes'))).toBe(true);
  });

  it('marks the run failed, with the error, when a stage throws', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.games_per_animal=1'] });
    const [stage] = experiment.stages;
    if (stage?.kind !== 'evaluate') throw new Error('expected an evaluate stage');
    stage.policies = [{ use: '/nonexistent/policy.js', with: {}, label: 'ghost' }];
    const runsDir = tmp();
    await expect(runExperiment(experiment, { workers: 1, runsDir, progress: quiet })).rejects.toThrow(/policy plugin file not found/);
    const [dir] = readdirSync(join(runsDir, 'quickstart'));
    const run = JSON.parse(readFileSync(join(runsDir, 'quickstart', dir!, 'run.json'), 'utf8')) as RunRecord;
    expect(run).toMatchObject({ status: 'failed', error: expect.stringMatching(/policy plugin file not found/) });
    expect(run.stages[0]!.status).toBe('failed');
  });
});
