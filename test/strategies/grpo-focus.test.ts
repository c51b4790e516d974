import { describe, expect, it } from 'vitest';
import type { Trajectory } from '../../framework/plugin.js';
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
