import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseExperiment } from '../../framework/config/load.js';
import { GameError, playGames } from '../../framework/game/engine.js';
import type { Trajectory } from '../../framework/game/types.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { createProgress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';
import type { RunRecord } from '../../framework/run/rundir.js';

const quiet = createProgress('silent');
const fixtures = resolve('test/fixtures');
const experiment = (yaml: string) => parseExperiment(`name: contracts\nseed: 5\n${yaml}`, join(fixtures, 'contracts.yaml'));

/** Runs an experiment that should fail; returns the error and the run's record. */
async function failing(yaml: string, workers: number): Promise<{ error: Error; run: RunRecord; games: string[] }> {
  const runsDir = mkdtempSync(join(tmpdir(), 'twentyq-contracts-'));
  const error = await runExperiment(await experiment(yaml), { workers, runsDir, progress: quiet }).then(
    () => undefined,
    (e: Error) => e,
  );
  if (!error) throw new Error('the run should have failed');
  const [id] = readdirSync(join(runsDir, 'contracts'));
  const dir = join(runsDir, 'contracts', id!);
  const games = readFileSync(join(dir, '01-evaluate.jsonl'), 'utf8').split('\n').filter(Boolean);
  return { error, run: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as RunRecord, games };
}

describe('plugins are held to their contracts', () => {
  it('a policy is handed nothing that holds the target, in the main thread', async () => {
    const e = await experiment('policy: ./plugins/peeking-policy.js\nstages:\n  - evaluate: { games_per_animal: 1 }\n');
    const factory = await PluginFactory.forDomain(e.domain, e.game, e.baseDir);
    const specs = factory.domain.candidates.map((c, i) => ({ game: i, seed: 100 + i, target: c.id }));
    const games = await playGames(specs, {
      domain: factory.domain,
      rules: { max_questions: 3, wrong_guess: 'continue' },
      policy: await factory.create('policy', e.policy),
      answerer: await factory.create('answerer', 'kb'),
      policyLabel: 'peeking',
    });
    expect(games).toHaveLength(90);
    // had it found the target (or any animal) anywhere in its views, it would have guessed it
    expect(games.flatMap((g) => g.turns).every((t) => t.move.kind === 'invalid')).toBe(true);
  });

  it('a policy is handed nothing that holds the target, in the workers', async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'twentyq-contracts-'));
    const result = await runExperiment(await experiment('game: { max_questions: 2 }\npolicy: ./plugins/peeking-policy.js\nstages:\n  - evaluate: { games_per_animal: 2 }\n'), { workers: 2, runsDir, progress: quiet });
    const games = readFileSync(join(result.dir, '01-evaluate.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Trajectory);
    expect(games).toHaveLength(180);
    expect(games.filter((g) => g.outcome === 'win')).toHaveLength(0);
    expect(games.flatMap((g) => g.turns).every((t) => t.move.kind === 'invalid')).toBe(true);
  });

  it.each([1, 2])('an answer other than yes / no / unknown fails the run, naming the stage, the answerer and the game (%i workers)', async (workers) => {
    const { error, run, games } = await failing('answerer: { use: ./plugins/always-yes.js, with: { word: maybe }, label: child }\nstages:\n  - evaluate: { games: 40 }\n', workers);
    expect(error).toBeInstanceOf(GameError);
    expect(error.message).toMatch(/^01-evaluate: answerer child answered "maybe" in game \d+: an answerer must return "yes", "no" or "unknown"$/);
    expect(run).toMatchObject({ status: 'failed', error: error.message });
    expect(games.join('\n')).not.toContain('maybe');
  });

  it('a reward that is not a finite number fails the run, naming the stage, the reward and the game', async () => {
    const { error, run, games } = await failing('reward: ./plugins/nan-reward.js\nstages:\n  - evaluate: { games: 40 }\n', 2);
    expect(error).toBeInstanceOf(GameError);
    expect(error.message).toMatch(/^01-evaluate: reward nan scored game \d+ NaN: a reward must be a finite number$/);
    expect(run.status).toBe('failed');
    expect(games).toHaveLength(0);
  });
});
