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
import { gameSpecs } from '../../framework/run/games.js';
import { animals90 } from '../helpers.js';
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
    const games = readFileSync(join(result.dir, '01-evaluate.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Trajectory);
    expect(games).toHaveLength(180);
    expect(games.filter((g) => g.outcome === 'win')).toHaveLength(0);
    expect(games.flatMap((g) => g.turns).every((t) => t.move.kind === 'invalid')).toBe(true);
  });

  it.each([1, 2])('an answer other than yes / no / unknown fails the run, naming the stage, the answerer and the game (%i workers)', async (workers) => {
    const { error, run, games } = await failing('answerer: { use: ./plugins/always-yes.js, with: { word: maybe }, label: child }\nstages:\n  - evaluate: { games: 40 }\n', workers);
    expect(error).toBeInstanceOf(GameError);
    expect(error.message).toMatch(/^01-evaluate: answerer child \(test\/fixtures\/plugins\/always-yes\.js\) answered "maybe" in game \d+ \(target \w+, seed \d+\): an answerer must return "yes", "no" or "unknown"$/);
    expectGameOf(error.message);
    expect(run).toMatchObject({ status: 'failed', error: error.message });
    expect(games.join('\n')).not.toContain('maybe');
  });

  it('a reward that is not a finite number fails the run, naming the stage, the reward and the game', async () => {
    const { error, run, games } = await failing('reward: ./plugins/nan-reward.js\nstages:\n  - evaluate: { games: 40 }\n', 2);
    expect(error).toBeInstanceOf(GameError);
    expect(error.message).toMatch(/^01-evaluate: reward nan \(test\/fixtures\/plugins\/nan-reward\.js\) scored game \d+ \(target \w+, seed \d+\) NaN: a reward must be a finite number$/);
    expect(run.status).toBe('failed');
    expect(games).toHaveLength(0);
  });

  // the plugin's own line that threw, found in its file: what the message must point at
  const brokenFile = 'test/fixtures/plugins/broken-policy.js';
  const throwLine =
    readFileSync(brokenFile, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('view.rng.choice(')) + 1;

  it.each([
    ['computing, in the worker threads', './plugins/broken-policy.js'],
    ['waiting, in the main process', './plugins/broken-waiting-policy.js'],
  ])('a policy that throws fails the stage, naming the stage, the plugin file, the game and the line that threw (%s)', async (_, file) => {
    const { error, run } = await failing(`policy: ${file}\nstages:\n  - evaluate: { games: 40 }\n`, 2);
    const named = `test/fixtures/plugins/${file.slice(10)}`;
    const site = `TypeError: view\\.rng\\.choice is not a function \\(at ${brokenFile.replaceAll('.', '\\.')}:${throwLine}:\\d+\\)`;
    expect(error.message).toMatch(new RegExp(`01-evaluate: policy broken(-waiting)? \\(${named.replaceAll('.', '\\.')}\\) failed in game \\d+ \\(target \\w+, seed \\d+\\): ${site}$`));
    expectGameOf(error.message);
    expect(run).toMatchObject({ status: 'failed', error: error.message });
  });

  it.each([
    ['kind', /returned a move of unknown kind "ask" in game \d+ \(target \w+, seed \d+\): a move is \{ kind: "question", text \}/],
    ['guess', /guessed "unicorn" in game \d+ \(target \w+, seed \d+\): a guess names a candidate of animals90 by its id/],
    ['nothing', /returned undefined as its move in game \d+ \(target \w+, seed \d+\)/],
  ])("a policy's move that breaks the contract (%s) fails the stage with its context instead of passing for an invalid move", async (breaks, rule) => {
    for (const file of ['broken-policy.js', 'broken-waiting-policy.js']) {
      const { error, run, games } = await failing(`policy: { use: ./plugins/${file}, with: { breaks: ${breaks} } }\nstages:\n  - evaluate: { games: 40 }\n`, 2);
      expect(error).toBeInstanceOf(GameError);
      expect(error.message).toMatch(new RegExp(`^01-evaluate: policy broken(-waiting)?\\(breaks=${breaks}\\) \\(test/fixtures/plugins/${file.replaceAll('.', '\\.')}\\) ${rule.source}`));
      expectGameOf(error.message);
      expect(run.status).toBe('failed');
      // no game was written as if the policy had merely made invalid moves
      expect(games.map((g) => JSON.parse(g) as Trajectory).filter((g) => g.invalid > 0)).toEqual([]);
    }
  });
});

describe('a plugin whose create has a bug', () => {
  it('fails the run with a message naming the stage, the plugin and its file, and the line that threw', async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'twentyq-contracts-'));
    const e = await experiment('policy: ./plugins/broken-create.js\nstages:\n  - evaluate: { games: 4 }\n');
    const error = await runExperiment(e, { workers: 1, runsDir, progress: quiet }).then(
      () => undefined,
      (x: Error) => x,
    );
    const line =
      readFileSync('test/fixtures/plugins/broken-create.js', 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('options.tree.depth')) + 1;
    expect(error?.message).toMatch(
      new RegExp(
        `^01-evaluate: policy broken-create \\(test/fixtures/plugins/broken-create\\.js\\): failed to start: TypeError: Cannot read properties of undefined \\(reading 'depth'\\) \\(at test/fixtures/plugins/broken-create\\.js:${line}:\\d+\\)`,
      ),
    );
  });
});

/** The game a message names is the stage's game of that number (40 games, seed 5): its target and its seed. */
function expectGameOf(message: string): void {
  const [, game, target, seed] = /game (\d+) \(target (\w+), seed (\d+)\)/.exec(message)!;
  const specs = gameSpecs(5, '01-evaluate', { games: 40 }, animals90());
  expect(specs[Number(game)]).toEqual({ game: Number(game), target, seed: Number(seed) });
}
