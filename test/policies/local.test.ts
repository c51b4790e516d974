import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { playGames } from '../../framework/game/engine.js';
import type { GameView, Rules, Trajectory } from '../../framework/game/types.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { Rng, deriveSeed } from '../../framework/util/rng.js';
import { LocalPolicy } from '../../plugins/policies/local/index.js';
import { StateEncoder } from '../../plugins/policies/local/encode.js';
import { groupAdvantages, groupSpread } from '../../plugins/strategies/grpo.js';
import { weightGames } from '../../plugins/strategies/weighted-sft.js';
import { collect } from '../../framework/data/games.js';
import { animals90, smallAnimals } from '../helpers.js';

const rules: Rules = { max_questions: 20, wrong_guess: 'continue' };
const tmp = () => mkdtempSync(join(tmpdir(), 'twentyq-local-'));
const view = (turns: GameView['turns'], seed = 1): GameView => ({ turns, rules, rng: new Rng(seed), memo: new Map() });

async function outcome(domain: ReturnType<typeof smallAnimals>, policy: LocalPolicy, perAnimal = 5) {
  const factory = new PluginFactory(domain, rules, process.cwd());
  const specs = Array.from({ length: domain.size * perAnimal }, (_, i) => ({ game: i, seed: deriveSeed(99, i), target: domain.candidates[i % domain.size]!.id }));
  const games = await playGames(specs, { domain, rules, policy, answerer: await factory.create('answerer', 'kb'), policyLabel: 'local' });
  const wins = games.filter((g) => g.outcome === 'win').length;
  return { success: wins / games.length, avg: games.reduce((s, g) => s + (g.outcome === 'win' ? g.questions : 20), 0) / games.length, games };
}

describe('state encoding', () => {
  const encoder = new StateEncoder(animals90());
  it('turns answers, wrong guesses and the budget into sparse inputs, and masks what was done', () => {
    const { x, legal } = encoder.encode(
      [
        { move: { kind: 'question', text: 'Is it a mammal?', attribute: 'mammal' }, answer: 'yes' },
        { move: { kind: 'question', text: 'Is it brown?', attribute: 'brown' }, answer: 'unknown' },
        { move: { kind: 'guess', text: 'Is it a dog?', candidate: 'dog' }, answer: 'no' },
        { move: { kind: 'question', text: 'Does it purr?' }, answer: 'unknown' },
      ],
      rules,
    );
    const mammal = encoder.domain.attributeIndexOf('mammal')!;
    const brown = encoder.domain.attributeIndexOf('brown')!;
    expect([...x.index]).toEqual([3 * mammal, 3 * brown + 2, 3 * 71 + 0, 3 * 71 + 90]);
    expect([...x.value]).toEqual([1, 1, 1, 4 / 20]);
    expect(legal[mammal]).toBe(0);
    expect(legal[brown]).toBe(0);
    expect(legal[71 + 0]).toBe(0); // the dog was guessed
    expect(legal.reduce((s, v) => s + v, 0)).toBe(161 - 3);
    expect(encoder.inputs).toBe(3 * 71 + 90 + 2);
  });

  it('maps moves to actions and back', () => {
    for (const a of [0, 70, 71, 160]) expect(encoder.action(encoder.move(a))).toBe(a);
    expect(encoder.action({ kind: 'invalid', text: '?', reason: 'x' })).toBeUndefined();
  });
});

describe('local policy', () => {
  it('plays only legal moves, greedy at temperature 0 and reproducibly sampled above it', async () => {
    const domain = animals90();
    const greedy = new LocalPolicy(domain, rules, 0, { inputs: 305, hidden: [16], outputs: 161 }, undefined, 3);
    const [a] = greedy.act([view([])]);
    expect(greedy.act([view([], 2)])[0]).toEqual(a);
    const hot = new LocalPolicy(domain, rules, 1, { inputs: 305, hidden: [16], outputs: 161 }, undefined, 3);
    const samples = Array.from({ length: 20 }, (_, s) => JSON.stringify(hot.act([view([], s)])[0]));
    expect(new Set(samples).size).toBeGreaterThan(5);
    expect(Array.from({ length: 20 }, (_, s) => JSON.stringify(hot.act([view([], s)])[0]))).toEqual(samples);
    const { games } = await outcome(smallAnimals(90), hot, 1);
    for (const g of games) {
      const asked = g.turns.filter((t) => t.move.kind === 'question').map((t) => (t.move as { attribute: string }).attribute);
      expect(new Set(asked).size).toBe(asked.length);
    }
  });

  it('saves a checkpoint and loads it back, and refuses one made for another domain', async () => {
    const domain = animals90();
    const policy = new LocalPolicy(domain, rules, 0, { inputs: 305, hidden: [8, 8], outputs: 161 }, undefined, 5);
    const dir = tmp();
    const file = join(dir, 'p.ckpt.json');
    policy.save(file, { note: 'test' });
    const factory = new PluginFactory(domain, rules, dir);
    const loaded = (await factory.create('policy', { use: 'local', with: { checkpoint: 'p.ckpt.json' } })) as LocalPolicy;
    expect(loaded.params).toEqual(policy.params);
    expect(loaded.net.shape.hidden).toEqual([8, 8]);
    const small = smallAnimals(10);
    await expect(new PluginFactory(small, rules, dir).create('policy', { use: 'local', with: { checkpoint: 'p.ckpt.json' } })).rejects.toThrow(
      /checkpoint .*p\.ckpt\.json was trained on domain animals90 with 90 candidates and 71 attributes; it does not fit animals10/,
    );
    writeFileSync(join(dir, 'bad.json'), '{"format":"other"}');
    await expect(factory.create('policy', { use: 'local', with: { checkpoint: 'bad.json' } })).rejects.toThrow(/not a twentyq local policy checkpoint/);
  });

  it('learns to play a few animals from the expert by supervised fine-tuning: 100% success within half a question of the expert', async () => {
    const domain = smallAnimals(12);
    const factory = new PluginFactory(domain, rules, process.cwd());
    const kb = await factory.create('answerer', 'kb');
    const specs = Array.from({ length: 12 * 20 }, (_, i) => ({ game: i, seed: deriveSeed(5, i), target: domain.candidates[i % 12]!.id }));
    const teacher = await playGames(specs, { domain, rules, policy: await factory.create('policy', { use: 'infogain', with: { epsilon: 0.2 } }), answerer: kb, policyLabel: 'teacher' });
    const expert = await outcome(domain, (await factory.create('policy', 'infogain')) as never);
    const policy = new LocalPolicy(domain, rules, 0, { inputs: 3 * 71 + 12 + 2, hidden: [32], outputs: 71 + 12 }, undefined, 1);
    const before = await outcome(domain, policy);
    const { rows } = await weightGames(() => teacher, { win_within: 8, factor: 1, include_losses: false, min_per_animal: 0 });
    const figures = await policy.train({ kind: 'sft', rows: await collect(rows), options: { epochs: 30, lr: 0.01, batch_size: 32, seed: 1, target_weight: 0.5 } });
    const after = await outcome(domain, policy);
    expect(figures.accuracy).toBeGreaterThan(0.75);
    expect(before.success).toBeLessThan(0.9);
    expect(after.success).toBe(1);
    expect(after.avg).toBeLessThanOrEqual(expert.avg + 0.5);
  });

  it('training yields to the event loop between batches and stops there when told (what Ctrl-C relies on)', async () => {
    const domain = smallAnimals(6);
    const factory = new PluginFactory(domain, rules, process.cwd());
    const specs = Array.from({ length: 6 * 4 }, (_, i) => ({ game: i, seed: deriveSeed(8, i), target: domain.candidates[i % 6]!.id }));
    const teacher = await playGames(specs, { domain, rules, policy: await factory.create('policy', 'infogain'), answerer: await factory.create('answerer', 'kb'), policyLabel: 'teacher' });
    const rows = teacher.map((game) => ({ game, copies: 1 }));
    const policy = new LocalPolicy(domain, rules, 0, { inputs: 3 * 71 + 6 + 2, hidden: [8], outputs: 77 }, undefined, 1);
    const stop = new AbortController();
    let epochs = 0;
    // after the first epoch, a timer stops the training: it can only fire if the loop lets the event loop run
    const onEpoch = () => void (++epochs === 1 && setTimeout(() => stop.abort(), 0));
    await policy.train({ kind: 'sft', rows, options: { epochs: 5_000, lr: 0.01, batch_size: 4, seed: 1, target_weight: 0, stop: stop.signal, onEpoch } });
    expect(stop.signal.aborted).toBe(true);
    expect(epochs).toBeGreaterThan(0);
    expect(epochs).toBeLessThan(5_000);
  });

  it('improves its reward with GRPO from scratch on a few animals', async () => {
    const domain = smallAnimals(6);
    const factory = new PluginFactory(domain, rules, process.cwd());
    const kb = await factory.create('answerer', 'kb');
    const reward = await factory.create('reward', 'efficiency');
    const policy = new LocalPolicy(domain, rules, 1, { inputs: 3 * 71 + 6 + 2, hidden: [32], outputs: 77 }, undefined, 2);
    const reference = policy.exportState();
    const meanReward = (games: Trajectory[]) => games.reduce((s, g) => s + (g.reward ?? 0), 0) / games.length;
    const rollout = async (iteration: number) => {
      const specs = domain.candidates.flatMap((c, t) => Array.from({ length: 8 }, (_, k) => ({ game: t * 8 + k, seed: deriveSeed(3, iteration, t * 8 + k), target: c.id })));
      const games = await playGames(specs, { domain, rules, policy, answerer: kb, policyLabel: 'local' });
      for (const g of games) g.reward = reward.score(g);
      return games;
    };
    const first = meanReward(await rollout(0));
    for (let iteration = 1; iteration <= 40; iteration++) {
      const games = await rollout(iteration);
      await policy.train({
        kind: 'grpo',
        games,
        advantages: groupAdvantages(
          games.map((g) => g.reward!),
          8,
        ),
        reference,
        options: { lr: 0.01, epsilon: 0.2, beta: 0, temperature: 1, epochs: 1, batch_size: 64, seed: iteration, session: 'test' },
      });
    }
    const last = meanReward(await rollout(1000));
    expect(last).toBeGreaterThan(first + 0.2);
    expect(last).toBeGreaterThan(0.6);
  });
});

describe('GRPO group normalisation', () => {
  it('centres and scales each group on its own (n - 1 standard deviation)', () => {
    // group 1: rewards 1, 0.5, 0, -0.5: mean 0.25, std sqrt(((0.75)^2 + 0.25^2 + 0.25^2 + 0.75^2) / 3) = sqrt(1.25/3)
    const std = Math.sqrt(1.25 / 3);
    const a = groupAdvantages([1, 0.5, 0, -0.5, 0.7, 0.7, 0.7, 0.7], 4);
    expect([...a.slice(0, 4)].map((x) => Number(x.toFixed(6)))).toEqual([0.75, 0.25, -0.25, -0.75].map((x) => Number((x / (std + 1e-4)).toFixed(6))));
    // group 2: all equal: nothing to learn
    expect([...a.slice(4)]).toEqual([0, 0, 0, 0]);
    expect(() => groupAdvantages([1, 2, 3], 2)).toThrow(/do not make groups of 2/);
  });

  it("scales by the batch's standard deviation, or not at all, when told (TRL's scale_rewards)", () => {
    const rewards = [1, 0.5, 0, -0.5, 0.7, 0.7, 0.7, 0.8];
    const mean = rewards.reduce((s, x) => s + x, 0) / 8;
    const batch = Math.sqrt(rewards.reduce((s, x) => s + (x - mean) ** 2, 0) / 7);
    const b = groupAdvantages(rewards, 4, 'batch');
    expect(b[0]).toBeCloseTo(0.75 / (batch + 1e-4), 12);
    expect(b[7]).toBeCloseTo((0.8 - 0.725) / (batch + 1e-4), 12);
    const n = groupAdvantages(rewards, 4, 'none');
    expect([...n].map((x) => Number(x.toFixed(9)))).toEqual([0.75, 0.25, -0.25, -0.75, -0.025, -0.025, -0.025, 0.075]);
    // a group whose games differ a little weighs little unless scaled by its own spread
    expect(Math.abs(groupAdvantages(rewards, 4, 'group')[7]!)).toBeGreaterThan(1);
    expect(Math.abs(b[7]!)).toBeLessThan(0.2);
  });

  it('says how many groups can teach nothing, and how far rewards spread within a group', () => {
    const { zero_spread, reward_spread } = groupSpread([1, 0.5, 0, -0.5, 0.7, 0.7, 0.7, 0.7], 4);
    expect(zero_spread).toBe(0.5);
    expect(reward_spread).toBeCloseTo(Math.sqrt(1.25 / 3) / 2, 12);
    expect(groupSpread([0.2, 0.2, 0.9, 0.9], 2)).toEqual({ zero_spread: 1, reward_spread: 0 });
  });
});
