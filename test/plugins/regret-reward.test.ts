import { describe, expect, it } from 'vitest';
import { playGames, type GameSpec } from '../../framework/game/engine.js';
import { Regret } from '../../framework/game/regret.js';
import type { Rules, Trajectory, Turn } from '../../framework/game/types.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { deriveSeed } from '../../framework/util/rng.js';
import { animals90 } from '../helpers.js';

const domain = animals90();
const rules: Rules = { max_questions: 20, wrong_guess: 'continue' };
const factory = new PluginFactory(domain, rules, process.cwd());
const specs: GameSpec[] = domain.candidates.map((c, i) => ({ game: i, seed: deriveSeed(3, 'regret-reward', i), target: c.id }));

async function play(policy: string | { use: string; with: Record<string, unknown> }): Promise<Trajectory[]> {
  return playGames(specs, { domain, rules, policy: await factory.create('policy', policy), answerer: await factory.create('answerer', 'kb'), policyLabel: 'p' });
}

const game = (target: string, turns: Turn[], outcome: 'win' | 'loss'): Trajectory => ({ game: 0, seed: 0, policy: 'p', target, turns, outcome, questions: turns.length, invalid: turns.filter((t) => t.move.kind === 'invalid').length });
const guess = (id: string, answer: 'yes' | 'no'): Turn => ({ move: { kind: 'guess', text: `Is it a ${id}?`, candidate: id }, answer });
const invalid: Turn = { move: { kind: 'invalid', text: 'hmm', reason: 'no question' } };

describe('the regret reward', () => {
  it('scores an optimal game at the win term, and every other game below by its summed regret', async () => {
    const reward = await factory.create('reward', 'regret');
    for (const g of await play('optimal')) expect(reward.score(g)).toBe(0);
    const regret = new Regret(domain, { rules, semantics: 'say' });
    const noisy = await play({ use: 'infogain', with: { epsilon: 0.5 } });
    for (const g of noisy) expect(reward.score(g)).toBeCloseTo((g.outcome === 'win' ? 0 : -20) - regret.total(g), 12);
    expect(noisy.some((g) => reward.score(g) < -0.5)).toBe(true);
    // an invalid move wastes a question and nothing else: regret 1
    const zebra = (await play('optimal'))[domain.candidateIndexOf('zebra')!]!;
    expect(reward.score(game('zebra', [invalid, ...zebra.turns], 'win'))).toBeCloseTo(-1, 12);
  });

  it('ranks any win above a loss: a first-question win, a win at the last question, a loss by the budget, a game that never guesses', async () => {
    const reward = await factory.create('reward', { use: 'regret', with: {} });
    const lucky = reward.score(game('zebra', [guess('zebra', 'yes')], 'win'));
    const others = domain.candidates.filter((c) => c.id !== 'zebra').slice(0, 19);
    const late = reward.score(game('zebra', [...others.map((c) => guess(c.id, 'no')), guess('zebra', 'yes')], 'win'));
    const budget = reward.score(
      game(
        'zebra',
        domain.candidates
          .filter((c) => c.id !== 'zebra')
          .slice(0, 20)
          .map((c) => guess(c.id, 'no')),
        'loss',
      ),
    );
    const silent = reward.score(
      game(
        'zebra',
        Array.from({ length: 20 }, () => invalid),
        'loss',
      ),
    );
    // a guess at the first question is no better a decision than the odds: its regret is 1 + 89/90 V(rest) - V(all)
    expect(lucky).toBeLessThan(0);
    expect(Math.min(lucky, late)).toBeGreaterThan(Math.max(budget, silent));
    expect(silent).toBeCloseTo(-40, 12);
  });

  it('follows kb with unknown: coin when told so, and refuses a game the answers of which the table cannot give', async () => {
    const coin = await factory.create('reward', { use: 'regret', with: { unknown: 'coin' } });
    const games = await playGames(specs, {
      domain,
      rules,
      policy: await factory.create('policy', { use: 'optimal', with: { unknown: 'coin' } }),
      answerer: await factory.create('answerer', { use: 'kb', with: { unknown: 'coin' } }),
      policyLabel: 'p',
    });
    for (const g of games) expect(coin.score(g)).toBe(0);
    const say = await factory.create('reward', 'regret');
    const contradiction = game(
      'zebra',
      [
        { move: { kind: 'question', text: 'Is it a fish?', attribute: 'fish' }, answer: 'yes' },
        { move: { kind: 'question', text: 'Is it a mammal?', attribute: 'mammal' }, answer: 'yes' },
      ],
      'loss',
    );
    expect(() => say.score(contradiction)).toThrow(/deterministic answerer \(kb with unknown: say or coin\)/);
  });
});
