import { describe, expect, it } from 'vitest';
import type { Trajectory } from '../../framework/plugin.js';
import { DEFAULT_RULES } from '../../framework/game/types.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { focusedTargets } from '../../plugins/strategies/grpo.js';

function game(target: string, outcome: Trajectory['outcome']): Trajectory {
  return { game: 0, seed: 0, policy: 'p', target, turns: [], outcome, questions: 20, invalid: 0, reward: 0 };
}

async function* stream(games: Trajectory[]): AsyncIterable<Trajectory> {
  for (const g of games) yield g;
}

describe('grpo focus (a curriculum over the targets an evaluation lost)', () => {
  const all = ['cat', 'dog', 'eel', 'fox'];

  it('draws each lost target 1 + focus times and every other target once', async () => {
    const games = [game('cat', 'win'), game('dog', 'loss'), game('eel', 'win'), game('fox', 'loss'), game('fox', 'win')];
    const { targets, focused } = await focusedTargets(all, 3, () => stream(games));
    expect(focused).toBe(2);
    const count = (id: string) => targets.filter((t) => t === id).length;
    expect([count('cat'), count('dog'), count('eel'), count('fox')]).toEqual([1, 4, 1, 4]);
  });

  it('counts a game that failed as lost, and a target with no game as not', async () => {
    const { targets } = await focusedTargets(all, 1, () => stream([game('eel', 'error')]));
    expect(targets.toSorted()).toEqual(['cat', 'dog', 'eel', 'eel', 'fox']);
  });

  it('reads no games when focus is 0', async () => {
    const { targets, focused } = await focusedTargets(all, 0, () => {
      throw new Error('read');
    });
    expect({ targets, focused }).toEqual({ targets: all, focused: 0 });
  });
});

describe('grpo move_regret (per-move credit)', () => {
  it('is refused, saying why, by a backend that takes one advantage per game (local)', async () => {
    const factory = await PluginFactory.forDomain('animals90', DEFAULT_RULES, process.cwd());
    const strategy = await factory.create('strategy', { use: 'grpo', with: { move_regret: 0.5, iterations: 1 } });
    const local = await factory.create('policy', 'local');
    const env = { games: () => stream([]), stop: new AbortController().signal, seed: 1, stage: 'grpo' };
    await expect(strategy.train(local as never, env as never)).rejects.toThrow("grpo: move_regret needs a backend whose own trainer plays the games (trl); this policy's backend takes one advantage per game: set move_regret: 0");
  });
});
