import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadExperiment } from '../../framework/config/load.js';
import { createProgress } from '../../framework/run/progress.js';
import { runExperiment } from '../../framework/run/runner.js';

const quiet = createProgress('silent');
const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('the regret of every move of an evaluate stage', () => {
  it("is 0 for optimal's games, equals mean questions less V at the start for a deterministic policy over every animal once, and is written per game and per policy", async () => {
    const stages = `stages=[{evaluate: {policies: [optimal, checklist, {use: infogain, with: {epsilon: 0.3}, label: noisy}], answerers: [kb, {use: kb, with: {unknown: coin}, label: coin-kb}], games_per_animal: 1}}]`;
    const result = await runExperiment(await loadExperiment('experiments/quickstart.yaml', { set: [stages] }), { workers: 2, runsDir: mkdtempSync(join(tmpdir(), 'twentyq-regret-')), progress: quiet });
    const metrics = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8')).stages['01-evaluate'].answerers;
    const kb = metrics.kb.policies;
    expect(kb.optimal.regret).toMatchObject({ games: 90, mean_regret: 0, costliest: [] });
    expect(kb.optimal.regret.by_turn.every((r: number) => r === 0)).toBe(true);
    // checklist wins every game against kb: each question's regret is what it adds to the optimal 5.2
    expect(kb.checklist.success).toBe(1);
    expect(kb.checklist.regret.mean_regret).toBeCloseTo(kb.checklist.avg_questions - 5.2, 6);
    expect(kb.noisy.regret.mean_regret).toBeGreaterThan(0);
    expect(kb.checklist.regret.costliest[0]).toMatchObject({ move: expect.any(String), total: expect.any(Number), times: expect.any(Number) });
    expect(kb.checklist.regret.reached[0]).toBe(90);
    // auto: kb with unknown: coin gets none (its search is far slower)
    expect(metrics['coin-kb'].policies.optimal.regret).toBeUndefined();
    const perGame = lines(join(result.dir, '01-evaluate.regret.jsonl'));
    expect(perGame).toHaveLength(3 * 90);
    const games = lines(join(result.dir, '01-evaluate.jsonl')).filter((g) => g.answerer === 'kb');
    for (const line of perGame) {
      const game = games.find((g) => g.game === line.game && g.policy === line.policy)!;
      expect(line.regret).toHaveLength(game.turns.length);
      expect(line.regret.every((r: number) => r >= 0)).toBe(true);
    }
    const noisy = perGame.filter((l) => l.policy === 'noisy');
    expect(noisy.reduce((s, l) => s + l.regret.reduce((a: number, b: number) => a + b, 0), 0) / 90).toBeCloseTo(kb.noisy.regret.mean_regret, 5);
    expect(result.summary).toMatch(/01-evaluate: regret per game against kb \(expected questions lost to the best moves\): optimal 0\.000, checklist 5\.889, noisy [\d.]+/);
  });

  it('under coin when asked (regret: always): optimal still 0', async () => {
    const stages = `stages=[{evaluate: {policies: [optimal], answerer: {use: kb, with: {unknown: coin}}, games_per_animal: 1, regret: always}}]`;
    const result = await runExperiment(await loadExperiment('experiments/quickstart.yaml', { set: [stages] }), { workers: 1, runsDir: mkdtempSync(join(tmpdir(), 'twentyq-regret-')), progress: quiet });
    const metrics = JSON.parse(readFileSync(join(result.dir, 'metrics.json'), 'utf8')).stages['01-evaluate'];
    expect(metrics.policies.optimal.regret).toMatchObject({ games: 90, mean_regret: 0 });
  });
});
