import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../framework/config/load.js';
import { ConfigError } from '../../framework/config/errors.js';
import type { Trajectory } from '../../framework/game/types.js';
import { createProgress } from '../../framework/run/progress.js';
import { runExperiment, summaryTable } from '../../framework/run/runner.js';
import { RunDir } from '../../framework/run/rundir.js';
import type { Progress } from '../../framework/run/progress.js';
import type { SummaryRow } from '../../framework/run/context.js';

const quiet = createProgress('silent');
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-eval-'));
process.env.TWENTYQ_TREES = tmp();

describe('evaluate: bounds, answerers and paired comparisons', () => {
  it('plays every policy against every answerer, compares each with the baseline, and bounds each game as played', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', {
      set: [
        'stages.0.evaluate.games_per_animal=2',
        'stages.0.evaluate.policies=[optimal, infogain, {use: infogain, with: {unknown: two-way}, label: two-way}]',
        'stages.0.evaluate.answerers=[kb, {use: kb, with: {unknown: coin}, label: coin}, {use: noisy, with: {p: 0.1}, label: noisy}]',
        'stages.0.evaluate.baseline=optimal',
      ],
    });
    const result = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    const m = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8')).stages['01-evaluate'];
    expect(Object.keys(m.answerers)).toEqual(['kb', 'coin', 'noisy']);
    // each answerer's own bound: say, coin, and noisy reads like the kb it wraps
    expect(m.answerers.kb.bound).toMatchObject({ semantics: 'say', proved: true });
    expect(m.answerers.kb.bound.mean).toBeCloseTo(5.2, 12);
    expect(m.answerers.coin.bound.mean).toBeCloseTo(629.25 / 90, 12);
    expect(m.answerers.noisy.bound.semantics).toBe('say');
    expect(m.answerers.kb.policies.optimal.avg_questions).toBeCloseTo(5.2, 12);
    // infogain ties optimal against kb; two-way does far worse, and the paired test says so
    const vsTwoWay = m.answerers.kb.comparisons['two-way'];
    expect(vsTwoWay.pairs).toBe(180);
    expect(vsTwoWay.questions_diff).toBeGreaterThan(1.5);
    expect(vsTwoWay.questions_diff_ci[0]).toBeGreaterThan(1);
    expect(m.answerers.kb.comparisons.infogain.questions_diff).toBeCloseTo(0, 12);
    expect(m.answerers.kb.comparisons.infogain.mcnemar_p).toBe(1);
    const games = readFileSync(join(result.dir, '01-evaluate.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Trajectory);
    expect(games).toHaveLength(3 * 3 * 180);
    expect(new Set(games.map((g) => `${g.policy}/${g.answerer}`)).size).toBe(9);
    expect(result.summary).toMatch(/01-evaluate\s+optimal\s+coin\s+180/);
    expect(result.summary).toMatch(/paired with optimal/);
    expect(result.summary).toMatch(/two-way\s+kb\s+180\s+\+0\.0%\s+0:0\s+1\.0000\s+\+\d\.\d{3}/);
    expect(result.summary).not.toContain('WARNING');
  });

  it('bounds a stage of five games by its five targets, and compares with an earlier stage by target', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', {
      set: ['stages=[{evaluate: {name: first, games: 5, policies: [infogain]}}, {evaluate: {name: second, games: 5, policies: [random], baseline: first/infogain}}]'],
    });
    const result = await runExperiment(experiment, { workers: 1, runsDir: tmp(), progress: quiet });
    const m = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8')).stages;
    // the five targets alone can be told apart in fewer questions than 90
    expect(m.first.bound).toMatchObject({ targets: 5, games: 5, proved: true });
    expect(m.first.bound.mean).toBeLessThan(3);
    expect(m.second.comparisons.random.pairs).toBe(5);
    expect(m.second.comparisons.random.questions_diff).toBeGreaterThan(0);
  });

  it('refuses a baseline that names no policy', async () => {
    await expect(loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.baseline=optimal'] })).rejects.toThrow(ConfigError);
    await expect(loadExperiment('experiments/quickstart.yaml', { set: ['stages.0.evaluate.baseline=optimal'] })).rejects.toThrow(/no policy of this stage is labelled "optimal"; its policies: random, infogain, infogain-noisy/);
  });
});

describe('resuming a stage with several answerers', () => {
  it('keeps the games of each policy and answerer, plays the rest, and ends as an uninterrupted run', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml', {
      set: [
        'stages.0.evaluate.games_per_animal=6',
        'stages.0.evaluate.policies=[infogain, {use: infogain, with: {epsilon: 0.3}, label: noisy-expert}]',
        'stages.0.evaluate.answerers=[kb, {use: noisy, with: {p: 0.1}, label: noisy}]',
        'stages.0.evaluate.baseline=infogain',
      ],
    });
    const whole = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    const stop = new AbortController();
    let label = '';
    const progress: Progress = { start: (l) => void (label = l), update: (done) => void (label === '01-evaluate infogain vs noisy' && done >= 200 && stop.abort()), stop() {}, log() {} };
    const cut = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress, stop: stop.signal });
    expect(cut.status).toBe('interrupted');
    const { run, experiment: again } = await RunDir.resume(cut.dir, 1);
    const done = await runExperiment(again, { workers: 1, resume: run, progress: quiet });
    expect(done.status).toBe('completed');
    const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
    expect(read(cut.dir, '01-evaluate.jsonl')).toBe(read(whole.dir, '01-evaluate.jsonl'));
    expect(JSON.parse(read(cut.dir, 'metrics.json'))).toEqual(JSON.parse(read(whole.dir, 'metrics.json')));
  });
});

describe('the warning below the bound', () => {
  it('fires for exactly repeated games below the bound, and for varying games only beyond their interval', async () => {
    const experiment = await loadExperiment('experiments/quickstart.yaml');
    const bound = { rule: 'continue' as const, semantics: 'coin' as const, targets: 90, games: 900, mean: 6.9917, lower: 6.9917, proved: true };
    const row = (avg: number, distinct: number, ci: [number, number]): SummaryRow => ({
      stage: 's',
      policy: 'p',
      metrics: { games: 900, errors: 0, wins: 900, success: 1, success_ci: [0.99, 1], avg_questions: avg, avg_questions_wins: avg, efficiency: 0.6, invalid_rate: 0, avg_reward: 0.6, per_candidate: {} },
      clustered: { distinct_games: distinct, targets: 90, effective_games: 90, success_ci: [0.959, 1], avg_questions_ci: ci },
      bound,
    });
    // a coin's luck: 6.990 with an interval reaching over the bound is no bug
    expect(summaryTable(experiment, [row(6.99, 103, [6.81, 7.18])], 90)).not.toContain('WARNING');
    expect(summaryTable(experiment, [row(6.5, 300, [6.3, 6.7])], 90)).toMatch(/WARNING: s\/p averages 6\.500 questions \(95% CI up to 6\.700\), below the exact bound 6\.992/);
    // one game per target: the mean is exact, and any shortfall is a bug
    expect(summaryTable(experiment, [row(6.99, 90, [6.81, 7.18])], 90)).toMatch(/WARNING: s\/p averages 6\.990 questions, below the exact bound 6\.992 of the game it played \(90 targets, continue, unknown: coin\): a bug/);
  });
});
