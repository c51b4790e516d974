import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../../framework/config/load.js';
import { readGames, collect } from '../../framework/data/games.js';
import type { Trajectory } from '../../framework/game/types.js';
import { createProgress, type Progress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';
import { RunDir } from '../../framework/run/rundir.js';
import { stats } from '../fixtures/plugins/waiting-infogain.js';
import { calls } from '../fixtures/plugins/waiting-local.js';
import { outage } from '../fixtures/plugins/waiting-kb.js';
import { animals90 } from '../helpers.js';

const FIXTURE = 'test/fixtures/waiting.yaml';
const quiet = createProgress('silent');
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-waiting-'));
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const gamesOf = (dir: string, policy: string) => collect(readGames(join(dir, '01-evaluate.jsonl'))).then((all) => all.filter((g) => g.policy === policy));

/** A game as a computing policy would have written it: what the model said, and its usage, left out. */
function plain(game: Trajectory): Omit<Trajectory, 'policy'> {
  const { policy: _policy, ...rest } = game;
  return { ...rest, turns: game.turns.map(({ move, ...turn }) => ({ ...turn, move: (({ raw: _r, usage: _u, ...m }) => m)(move) })) };
}

function resetStats(): void {
  Object.assign(stats, { inFlight: 0, most: 0, acts: 0, aborted: 0 });
}

describe('plugins that wait, played in the main process', () => {
  it('a waiting policy plays exactly the games infogain plays in the workers, and what it said is kept', async () => {
    const experiment = await loadExperiment(FIXTURE);
    const result = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    const [computed, waited] = await Promise.all([gamesOf(result.dir, 'infogain'), gamesOf(result.dir, 'waiting')]);
    expect(waited).toHaveLength(180);
    expect(waited.map(plain)).toEqual(computed.map(plain));
    expect(result.rows[1]!.metrics).toEqual(result.rows[0]!.metrics);
    // raw and usage as the policy returned them, on every move
    const first = waited[0]!.turns[0]!.move;
    expect(first.raw).toBe(`<think>0</think>${first.text}`);
    expect(first.usage).toEqual({ prompt_tokens: 12, completion_tokens: first.text.length, latency_ms: expect.any(Number) });
    expect(waited.every((g) => g.turns.every((t) => typeof t.move.raw === 'string' && t.move.usage !== undefined))).toBe(true);
  });

  it('keeps up to `concurrency` games in flight, never more, each advancing on its own', async () => {
    resetStats();
    const experiment = await loadExperiment(FIXTURE, {
      set: ['stages.0.evaluate.games=200', 'stages.0.evaluate.policies=[{use: ./test/fixtures/plugins/waiting-infogain.js, with: {ms: 20, concurrency: 16}, label: waiting}]'],
    });
    // the stage's own time, from its progress bar's start to its end
    let started = 0;
    let seconds = 0;
    const timing: Progress = { start: () => void (started = performance.now()), update() {}, stop: () => void (seconds = (performance.now() - started) / 1000), log() {} };
    const result = await runExperiment(experiment, { workers: 1, runsDir: tmp(), progress: timing });
    const moves = (await gamesOf(result.dir, 'waiting')).reduce((n, g) => n + g.questions, 0);
    expect(stats.acts).toBe(moves);
    expect(stats.most).toBe(16);
    // one move after another would take at least moves x 10 ms (every delay is 10 to 30 ms)
    expect(seconds).toBeLessThan((moves * 0.01) / 4);
  });

  it('a waiting answerer against a computing policy: answers and what the model said are kept', async () => {
    const experiment = await loadExperiment(FIXTURE, { set: ['stages.0.evaluate.answerer={use: ./test/fixtures/plugins/waiting-kb.js, label: child}', 'stages.0.evaluate.games=90'] });
    const result = await runExperiment(experiment, { workers: 1, runsDir: tmp(), progress: quiet });
    const games = await gamesOf(result.dir, 'infogain');
    expect(games).toHaveLength(90);
    expect(result.rows[0]!.metrics).toMatchObject({ games: 90, errors: 0, success: 1 });
    const asked = games[0]!.turns[0]!;
    expect(asked).toMatchObject({ answer_raw: asked.answer === 'yes' ? 'Yes.' : asked.answer === 'no' ? 'No.' : 'Unknown.', answer_usage: { prompt_tokens: 40, completion_tokens: 2, cached: false } });
  });

  it('Ctrl-C aborts the games in flight and keeps the finished ones; --resume ends with the files of an uninterrupted run', async () => {
    const experiment = await loadExperiment(FIXTURE, {
      set: ['stages.0.evaluate.answerer={use: ./test/fixtures/plugins/waiting-kb.js, with: {ms: 2}, label: child}', 'stages.0.evaluate.policies.1.with={concurrency: 8}'],
    });
    const whole = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: quiet });
    resetStats();
    const stop = new AbortController();
    let label = '';
    const stopping: Progress = { start: (l) => void (label = l), update: (done) => void (label.endsWith('waiting') && done >= 60 && stop.abort()), stop() {}, log() {} };
    const cut = await runExperiment(experiment, { workers: 2, runsDir: tmp(), progress: stopping, stop: stop.signal });
    expect(cut.status).toBe('interrupted');
    expect(stats.aborted).toBeGreaterThan(0); // the games in flight heard the signal
    const kept = await gamesOf(cut.dir, 'waiting');
    expect(kept.length).toBeGreaterThanOrEqual(60);
    expect(kept.length).toBeLessThan(180);
    const { run, experiment: again } = await RunDir.resume(cut.dir, 1);
    const done = await runExperiment(again, { workers: 1, resume: run, progress: quiet });
    expect(done.status).toBe('completed');
    expect(read(cut.dir, '01-evaluate.jsonl')).toBe(read(whole.dir, '01-evaluate.jsonl'));
    expect(done.rows.map((r) => r.metrics)).toEqual(whole.rows.map((r) => r.metrics));
  });

  it('writes failed games with outcome error, counts and shows them, and fails the stage above max_error_rate', async () => {
    // 100 games: the candidates in turn, the first 10 twice; the targets that fail are played once each
    const once = animals90()
      .candidates.slice(10)
      .map((c) => c.id);
    const failing = (n: number) => [
      'stages.0.evaluate.games=100',
      'stages.0.evaluate.policies=[infogain]',
      `stages.0.evaluate.answerer={use: ./test/fixtures/plugins/waiting-kb.js, with: {ms: 1, fail: ${JSON.stringify(once.slice(0, n))}}, label: flaky}`,
    ];
    const few = await runExperiment(await loadExperiment(FIXTURE, { set: failing(3) }), { workers: 1, runsDir: tmp(), progress: quiet });
    expect(few.status).toBe('completed');
    expect(few.rows[0]!.metrics).toMatchObject({ games: 97, errors: 3, success: 1 });
    expect(few.summary).toMatch(/stage\s+policy\s+games\s+distinct\s+errors\s+success/);
    expect(few.summary).toMatch(/01-evaluate\s+infogain\s+97\s+\d+\s+3\s+100\.0%/);
    const failed = (await gamesOf(few.dir, 'infogain')).filter((g) => g.outcome === 'error');
    expect(failed.map((g) => g.target).sort()).toEqual(once.slice(0, 3).sort());
    const { game, target, seed } = failed[0]!;
    expect(failed[0]!.error).toMatch(
      new RegExp(
        `^01-evaluate: answerer flaky \\(test/fixtures/plugins/waiting-kb\\.js\\) failed in game ${game} \\(target ${target}, seed ${seed}\\): HTTP 503 from the model after 3 retries \\(at test/fixtures/plugins/waiting-kb\\.js:\\d+:\\d+\\)$`,
      ),
    );
    expect(failed[0]).not.toHaveProperty('reward');

    let dir = '';
    const many = runExperiment(await loadExperiment(FIXTURE, { set: failing(20) }), { workers: 1, runsDir: tmp(), progress: quiet, started: (d) => void (dir = d) });
    await expect(many).rejects.toThrow(
      /^01-evaluate: \d+ of the 100 games of policy infogain failed.*, an error rate of [\d.]+%( at least)?, above max_error_rate 5\.0%\. The first error: 01-evaluate: answerer flaky \(test\/fixtures\/plugins\/waiting-kb\.js\) failed in game \d+ \(target \w+, seed \d+\): HTTP 503/,
    );
    expect((await gamesOf(dir, 'infogain')).some((g) => g.outcome === 'error')).toBe(true); // the games played so far are kept

    // the outage over, a resume plays the failed games again and ends as a run that never failed
    outage.over = true;
    try {
      const { run, experiment: again } = await RunDir.resume(dir, 1);
      expect((await runExperiment(again, { workers: 1, resume: run, progress: quiet })).status).toBe('completed');
      const whole = await runExperiment(await loadExperiment(FIXTURE, { set: failing(20) }), { workers: 1, runsDir: tmp(), progress: quiet });
      expect(whole.rows[0]!.metrics).toMatchObject({ games: 100, errors: 0 });
      expect(read(dir, '01-evaluate.jsonl')).toBe(read(whole.dir, '01-evaluate.jsonl'));
    } finally {
      outage.over = false;
    }
  });
});

describe('GRPO with a policy that waits', () => {
  it('plays its rounds in the main process and learns exactly what it learns from the same games in the workers', async () => {
    const stages = 'stages=[{train: {name: grpo, strategy: {use: grpo, with: {iterations: 2, group_size: 2, targets_per_iteration: 12}}}}]';
    const curve = (dir: string) =>
      read(dir, 'grpo.curve.jsonl')
        .split('\n')
        .filter(Boolean)
        .map((l) => (({ games_per_s: _s, ...rest }) => rest)(JSON.parse(l)));
    const computing = await runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: [stages] }), { workers: 2, runsDir: tmp(), progress: quiet });
    const waiting = await runExperiment(await loadExperiment('test/fixtures/mini-pipeline.yaml', { set: [stages, 'policy={use: ./test/fixtures/plugins/waiting-local.js, with: {hidden: [16]}, label: local}'] }), {
      workers: 2,
      runsDir: tmp(),
      progress: quiet,
    });
    expect(calls.acts).toBeGreaterThan(2 * 12 * 2); // every move of every game of both rounds, one game per call
    expect(curve(waiting.dir)).toHaveLength(2);
    expect(curve(waiting.dir)).toEqual(curve(computing.dir));
  });
});
