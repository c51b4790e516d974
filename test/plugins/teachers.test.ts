import { describe, expect, it } from 'vitest';
import { playGames } from '../../framework/game/engine.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { deriveSeed } from '../../framework/util/rng.js';
import { animals90 } from '../helpers.js';

const domain = animals90();
const rules = { max_questions: 20, wrong_guess: 'continue' as const };
const factory = new PluginFactory(domain, rules, process.cwd());
const specs = Array.from({ length: 180 }, (_, i) => ({ game: i, seed: deriveSeed(4, i), target: domain.candidates[i % 90]!.id }));

async function play(policy: unknown) {
  return playGames(specs, { domain, rules, policy: await factory.create('policy', policy as string), answerer: await factory.create('answerer', 'kb'), policyLabel: 'p' });
}

describe('checklist', () => {
  it('goes down the attribute list in order, skipping what cannot split, and always ends up right', async () => {
    const games = await play('checklist');
    expect(games.every((g) => g.outcome === 'win' || g.questions === 20)).toBe(true);
    expect(games[0]!.turns[0]!.move).toMatchObject({ attribute: 'mammal' });
    for (const g of games) {
      const order = g.turns.filter((t) => t.move.kind === 'question').map((t) => domain.attributeIndexOf((t.move as { attribute: string }).attribute)!);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    const reverse = await play({ use: 'checklist', with: { order: 'reverse' } });
    expect(reverse[0]!.turns[0]!.move).toMatchObject({ attribute: 'products' });
    // a habit, not a strategy: both take longer than the expert
    const mean = (gs: { questions: number }[]) => gs.reduce((s, g) => s + g.questions, 0) / gs.length;
    expect(mean(games)).toBeGreaterThan(9);
    expect(mean(reverse)).toBeGreaterThan(mean(games));
  });
});

describe('mixture', () => {
  it('plays each game with one member, drawn with the weights, the same for the same seed', async () => {
    const mix = { use: 'mixture', with: { policies: ['infogain', { use: 'checklist', with: { order: 'reverse' } }], weights: [1, 3] } };
    const games = await play(mix);
    // the expert's opening question, whatever it is (against kb it reads unknown three ways)
    const opening = ((await play('infogain'))[0]!.turns[0]!.move as { attribute: string }).attribute;
    const byExpert = games.filter((g) => g.turns[0]!.move.kind === 'question' && (g.turns[0]!.move as { attribute: string }).attribute === opening);
    const byHabit = games.filter((g) => (g.turns[0]!.move as { attribute?: string }).attribute === 'products');
    expect(byExpert.length + byHabit.length).toBe(180);
    // 1 : 3 of 180 games: about 45 to the expert
    expect(byExpert.length).toBeGreaterThan(25);
    expect(byExpert.length).toBeLessThan(65);
    expect(JSON.stringify(await play(mix))).toBe(JSON.stringify(games));
    await expect(factory.create('policy', { use: 'mixture', with: { policies: ['infogain'], weights: [1, 2] } })).rejects.toThrow(/mixture: 2 weights for 1 policies/);
  });
});
