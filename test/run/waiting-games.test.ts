import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_RULES, type GameView, type Move } from '../../framework/game/types.js';
import type { GameSpec } from '../../framework/game/engine.js';
import type { Answerer, Policy } from '../../framework/plugins/types.js';
import { concurrencyOf, playWaiting } from '../../framework/run/waiting.js';
import type { PlayResult } from '../../framework/run/worker.js';
import { tinyDomain } from '../helpers.js';

const domain = tinyDomain();
const ids = domain.candidates.map((c) => c.id);
const specs: GameSpec[] = Array.from({ length: 20 }, (_, i) => ({ game: i, seed: i, target: ids[i % ids.length]! }));
const answerer: Answerer = { answer: () => 'no' };
const guessInTurn = (view: GameView): Move => ({ kind: 'guess', text: `Is it a ${ids[view.turns.length]}?`, candidate: ids[view.turns.length]! });
const gamesOf = (results: PlayResult[]) =>
  results.flatMap((r) =>
    new TextDecoder()
      .decode(r.jsonl)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { game: number }),
  );

function options(policy: Policy, results: PlayResult[], concurrency = 4) {
  return {
    stage: 's',
    players: { domain, rules: DEFAULT_RULES, policy, answerer, policyLabel: 'p', answererLabel: 'a' },
    reward: { score: () => 1 },
    rewardName: 'reward r',
    concurrency,
    tolerate: { policy: true, answerer: false },
    onResult: (r: PlayResult) => void results.push(r),
  };
}

describe('the executor of waiting plugins', () => {
  it('a slow game holds up no other, and the games are still reported in game order', async () => {
    let slow = true;
    let during = 0;
    let waiting = false;
    const policy: Policy = {
      async act(views) {
        if (slow) {
          slow = false;
          waiting = true;
          await sleep(300);
          waiting = false;
        } else {
          if (waiting) during++;
          await sleep(2);
        }
        return views.map(guessInTurn);
      },
    };
    const results: PlayResult[] = [];
    expect(await playWaiting(specs, options(policy, results))).toBe(true);
    // the 19 other games (2.5 moves each on average) were all played while the first one waited
    expect(during).toBe(specs.slice(1).reduce((n, s) => n + ids.indexOf(s.target) + 1, 0));
    expect(gamesOf(results).map((g) => g.game)).toEqual(specs.map((s) => s.game));
  });

  it('a failure of a player it does not tolerate fails the whole set, naming the stage, the player and the game', async () => {
    const policy: Policy = { act: (views) => views.map(guessInTurn) };
    const grumpy: Answerer = {
      answer: () => {
        throw new Error('boom');
      },
    };
    const ask: Policy = { act: (views) => views.map(() => ({ kind: 'question', text: 'Is it big?', attribute: 'big' })) };
    const results: PlayResult[] = [];
    await expect(playWaiting(specs, { ...options(ask, results), players: { ...options(ask, results).players, answerer: grumpy } })).rejects.toThrow(
      /^s: answerer a failed in game \d+ \(target \w+, seed \d+\): boom \(at test\/run\/waiting-games\.test\.ts:\d+:\d+\)$/,
    );
    expect(await playWaiting(specs, options(policy, results))).toBe(true);
  });

  it('starts no game once stopped', async () => {
    let acts = 0;
    const policy: Policy = { act: (views) => (acts++, views.map(guessInTurn)) };
    const results: PlayResult[] = [];
    expect(await playWaiting(specs, { ...options(policy, results), stop: AbortSignal.abort() })).toBe(false);
    expect([acts, results.length]).toEqual([0, 0]);
  });

  it('plays as many games at once as the least of its waiting players asks for, 64 when none says', () => {
    const players = { ...options({ act: () => [] }, []).players };
    expect(concurrencyOf('s', { policy: true, answerer: false }, players)).toBe(64);
    expect(concurrencyOf('s', { policy: true, answerer: true }, { ...players, policy: { act: () => [], concurrency: 200 }, answerer: { ...answerer, concurrency: 8 } })).toBe(8);
    expect(concurrencyOf('s', { policy: true, answerer: false }, { ...players, answerer: { ...answerer, concurrency: 8 } })).toBe(64);
    expect(() => concurrencyOf('s', { policy: true, answerer: false }, { ...players, policy: { act: () => [], concurrency: 0 } })).toThrow(/^s: policy p asks for concurrency 0; it must be a whole number of games of at least 1$/);
  });
});
