import { describe, expect, it } from 'vitest';
import type { Move, Trajectory, Turn } from '../../framework/game/types.js';
import { Belief, informationGain, informationGain3, split, truthMasks } from '../../framework/game/belief.js';
import { PluginFactory } from '../../framework/plugins/factory.js';
import { answeredThreeWay, buildPairs, divergencePairs, gameScore } from '../../plugins/strategies/dpo.js';
import { weightGames } from '../../plugins/strategies/weighted-sft.js';
import { collect } from '../../framework/data/games.js';
import { isSet, type SftSet } from '../../framework/data/dataset.js';
import { auditGames, auditSummary } from '../../framework/metrics/audit.js';
import { animals90 } from '../helpers.js';

const rules = { max_questions: 20, wrong_guess: 'continue' as const };
const domain = animals90();
const factory = new PluginFactory(domain, rules, process.cwd());

const q = (attribute: string): Move => ({ kind: 'question', text: domain.attributes[domain.attributeIndexOf(attribute)!]!.question, attribute });
const g = (candidate: string): Move => ({ kind: 'guess', text: `Is it a ${candidate}?`, candidate });

/** A game as the engine would write it: answers from the truth table, guesses settled by identity. */
function game(id: number, target: string, moves: Move[], outcome?: 'win' | 'loss'): Trajectory {
  const t = domain.candidateIndexOf(target)!;
  const turns: Turn[] = moves.map((move) => ({
    move,
    answer: move.kind === 'guess' ? (move.candidate === target ? 'yes' : 'no') : domain.fact(t, domain.attributeIndexOf((move as { attribute: string }).attribute)!),
  }));
  const won = outcome ? outcome === 'win' : turns.at(-1)?.answer === 'yes' && moves.at(-1)?.kind === 'guess';
  return { game: id, seed: 1000 + id, policy: 'test', target, turns, outcome: won ? 'win' : 'loss', questions: turns.length, invalid: 0 };
}

const pad = (n: number) => Array.from({ length: n }, (_, i) => q(domain.attributes[i]!.id));

describe('weighted-sft', () => {
  const games = [
    game(0, 'zebra', [...pad(5), g('zebra')]), // win in 6: efficient
    game(1, 'zebra', [...pad(8), g('zebra')]), // win in 9: not efficient
    game(2, 'zebra', [...pad(19), g('horse')], 'loss'), // loss
    game(3, 'lion', [...pad(7), g('lion')]), // win in 8: efficient (at the limit)
  ];

  const weighted = async (o: Parameters<typeof weightGames>[1]) => {
    const { rows, stats } = await weightGames(() => games, o);
    return { rows: await collect(rows), stats };
  };

  it('copies efficient wins factor times, other wins once, losses never', async () => {
    const { rows, stats } = await weighted({ win_within: 8, factor: 5, include_losses: false, min_per_animal: 0 });
    expect(rows.map((r) => [r.game.game, r.copies])).toEqual([
      [0, 5],
      [1, 1],
      [3, 5],
    ]);
    expect(stats).toMatchObject({ games: 4, wins: 3, efficient_wins: 2, selected_games: 3, rows: 11, rebalanced_rows: 0, animals: 2 });
  });

  it('is plain SFT with factor 1, and keeps losses once when asked', async () => {
    const { rows } = await weighted({ win_within: 8, factor: 1, include_losses: true, min_per_animal: 0 });
    expect(rows.map((r) => [r.game.game, r.copies])).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });

  it('tops up animals below min_per_animal with their best games first', async () => {
    const { rows, stats } = await weighted({ win_within: 8, factor: 5, include_losses: false, min_per_animal: 8 });
    // zebra had 5 + 1 = 6: two more copies, both to its best game (6 questions) then its next (9)
    // lion had 5: three more copies of its one game
    expect(rows.map((r) => [r.game.game, r.copies])).toEqual([
      [0, 6],
      [1, 2],
      [3, 8],
    ]);
    expect(stats).toMatchObject({ rows: 16, rebalanced_rows: 5, rows_per_animal_min: 8 });
  });

  it('copies only the efficient wins with other_wins 0, topping up an animal that has none from its other wins', async () => {
    const only = await weighted({ win_within: 8, factor: 5, other_wins: 0, include_losses: false, min_per_animal: 0 });
    expect(only.rows.map((r) => [r.game.game, r.copies])).toEqual([
      [0, 5],
      [3, 5],
    ]);
    expect(only.stats).toMatchObject({ wins: 3, efficient_wins: 2, selected_games: 2, rows: 10, animals: 2 });
    // within 6, lion's one win (8 questions) is no longer efficient: left out, it still tops lion up to 3
    const topped = await weighted({ win_within: 6, factor: 5, other_wins: 0, include_losses: false, min_per_animal: 3 });
    expect(topped.rows.map((r) => [r.game.game, r.copies])).toEqual([
      [0, 5],
      [3, 3],
    ]);
    expect(topped.stats).toMatchObject({ selected_games: 1, rows: 8, rebalanced_rows: 3, animals: 2, rows_per_animal_min: 3 });
  });

  it('writes each copy as a row of the TRL export', async () => {
    const strategy = await factory.create('strategy', { use: 'weighted-sft', with: { win_within: 8, factor: 3 } });
    const set = await strategy.build(() => games);
    expect(set.kind).toBe('sft');
    if (isSet<SftSet>(set, 'sft')) expect((await collect(set.rows)).reduce((s, r) => s + r.copies, 0)).toBe(3 + 1 + 3);
  });
});

describe('dpo', () => {
  it('pairs the moves where two games of the same target diverge, the better game chosen', () => {
    const games = [
      game(0, 'zebra', [q('mammal'), q('stripes'), g('zebra')]), // 3
      game(1, 'zebra', [q('mammal'), q('fur'), q('hooves'), q('stripes'), g('zebra')]), // 5
      game(2, 'zebra', [q('bird'), q('mammal'), q('fur'), q('stripes'), g('tiger'), g('zebra')]), // 6
      game(3, 'lion', [q('bird'), g('lion')]), // another target: never paired with zebra
    ];
    const pairs = divergencePairs(games.slice(0, 3), rules, 2);
    // at the root: mammal (best 3) vs bird (best 6): gap 3 >= 2; after "mammal: yes": stripes (3) vs fur (5): gap 2
    expect(pairs.map((p) => [p.history.length, p.chosen.text, p.rejected.text, p.source.chosen_game, p.source.rejected_game])).toEqual([
      [0, 'Is it a mammal?', 'Is it a bird?', 0, 2],
      [1, 'Does it have stripes?', 'Does it have fur?', 0, 1],
    ]);
    expect(divergencePairs(games.slice(0, 3), rules, 3).map((p) => p.history.length)).toEqual([0]);
  });

  it('ranks a loss below every win', () => {
    const lost = game(1, 'zebra', [q('bird'), ...pad(19).slice(1)], 'loss');
    expect(gameScore(lost, rules)).toBe(21);
    const pairs = divergencePairs([game(0, 'zebra', [...pad(18).slice(2), q('mammal'), q('stripes'), g('zebra')]), lost], rules, 1);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]!.source).toMatchObject({ chosen_game: 0, rejected_game: 1, rejected_score: 21 });
  });

  it('on real teacher data: same target, chosen better by the margin, identical history', async () => {
    const { playGames } = await import('../../framework/game/engine.js');
    const { deriveSeed } = await import('../../framework/util/rng.js');
    const specs = Array.from({ length: 900 }, (_, i) => ({ game: i, seed: deriveSeed(11, i), target: domain.candidates[i % 90]!.id }));
    const games = await playGames(specs, {
      domain,
      rules,
      policy: await factory.create('policy', { use: 'infogain', with: { epsilon: 0.3, temperature: 0.5 } }),
      answerer: await factory.create('answerer', { use: 'noisy', with: { p: 0.05 } }),
      policyLabel: 'teacher',
    });
    const { pairs, stats } = buildPairs(games, domain, rules, { kinds: ['divergence', 'information'], margin: 2, max_pairs_per_target: 0, information_per_game: 1, min_gain_gap: 0.5, unknown: 'auto' });
    expect(stats.three_way, 'a noisy answerer: unknown read two ways').toBe(0);
    expect(stats.divergence_pairs).toBeGreaterThan(100);
    expect(stats.information_pairs).toBeGreaterThan(100);
    const byId = new Map(games.map((x) => [x.game, x]));
    const masks = truthMasks(domain);
    for (const p of pairs) {
      if (p.kind === 'divergence') {
        const chosen = byId.get(p.source.chosen_game!)!;
        const rejected = byId.get(p.source.rejected_game!)!;
        expect(chosen.target).toBe(p.target);
        expect(rejected.target).toBe(p.target);
        expect(gameScore(chosen, rules) + 2).toBeLessThanOrEqual(gameScore(rejected, rules));
        const k = p.history.length;
        expect(chosen.turns.slice(0, k)).toEqual(p.history);
        expect(rejected.turns.slice(0, k)).toEqual(p.history);
        expect(chosen.turns[k]!.move).toEqual(p.chosen);
        expect(rejected.turns[k]!.move).toEqual(p.rejected);
        expect(p.chosen).not.toEqual(p.rejected);
      } else {
        // the gains recorded are the gains at that state, and the chosen one is the best there is
        const belief = new Belief(domain).update(p.history);
        const { set, count } = belief.consistent();
        const gain = (m: Move) => {
          const s = split(masks, set, count, domain.attributeIndexOf((m as { attribute: string }).attribute)!);
          return informationGain(count, s.yes, s.no, s.unknown);
        };
        expect(gain(p.chosen)).toBeCloseTo(p.source.chosen_gain!, 12);
        expect(gain(p.rejected)).toBeCloseTo(p.source.rejected_gain!, 12);
        expect(p.source.chosen_gain! - p.source.rejected_gain!).toBeGreaterThanOrEqual(0.5);
        for (let a = 0; a < domain.attributes.length; a++) {
          if (belief.asked[a]) continue;
          const s = split(masks, set, count, a);
          expect(informationGain(count, s.yes, s.no, s.unknown)).toBeLessThanOrEqual(p.source.chosen_gain! + 1e-12);
        }
        const source = games.find((x) => x.target === p.target && p.history.every((t, i) => x.turns[i] === t));
        expect(source, 'an information pair starts from a state of a real game').toBeDefined();
      }
    }
  });

  it('information pairs read unknown three ways when kb answered the games (unknown: say), as the expert that played them', async () => {
    const { playGames } = await import('../../framework/game/engine.js');
    const specs = domain.candidates.map((c, i) => ({ game: i, seed: i + 1, target: c.id }));
    const players = { domain, rules, policy: await factory.create('policy', 'infogain'), answerer: await factory.create('answerer', 'kb'), policyLabel: 'expert' };
    const games = await playGames(specs, players);
    expect(answeredThreeWay(games, domain)).toBe(true);
    const { pairs, stats } = buildPairs(games, domain, rules, { kinds: ['information'], margin: 1, max_pairs_per_target: 0, information_per_game: 0, min_gain_gap: 0.5, unknown: 'auto' });
    expect(stats.three_way).toBe(1);
    expect(pairs.length).toBeGreaterThan(100);
    const masks = truthMasks(domain);
    for (const p of pairs) {
      const belief = new Belief(domain, true).update(p.history);
      const { set, count } = belief.consistent();
      const gain = (a: number) => {
        const s = split(masks, set, count, a);
        return informationGain3(count, s.yes, s.no, s.unknown);
      };
      expect(gain(domain.attributeIndexOf((p.chosen as { attribute: string }).attribute)!)).toBeCloseTo(p.source.chosen_gain!, 12);
      for (let a = 0; a < domain.attributes.length; a++) if (!belief.asked[a]) expect(gain(a)).toBeLessThanOrEqual(p.source.chosen_gain! + 1e-12);
      // the chosen question is the one the expert asked there, when it asked a question
      const source = games.find((x) => x.target === p.target)!;
      const next = source.turns[p.history.length]!.move;
      if (next.kind === 'question') expect(p.chosen.text).toBe(next.text);
    }
    // an answer that is not the table's fact (a coin, noise) makes it two-way
    const flipped = games.map((g) => ({ ...g, turns: g.turns.map((t) => (t.answer === 'unknown' ? { ...t, answer: 'no' as const } : t)) }));
    expect(answeredThreeWay(flipped, domain)).toBe(false);
  });

  it('keeps at most max_pairs_per_target per target and kind, the clearest first', () => {
    const games = [
      game(0, 'zebra', [q('mammal'), q('stripes'), g('zebra')]),
      game(1, 'zebra', [q('mammal'), q('fur'), q('hooves'), q('stripes'), g('zebra')]),
      game(2, 'zebra', [q('bird'), q('mammal'), q('fur'), q('stripes'), g('tiger'), g('zebra')]),
    ];
    const { pairs } = buildPairs(games, domain, rules, { kinds: ['divergence'], margin: 1, max_pairs_per_target: 1, information_per_game: 0, min_gain_gap: 0.5, unknown: 'auto' });
    expect(pairs).toHaveLength(1);
    expect(pairs[0]!.source).toMatchObject({ chosen_game: 0, rejected_game: 2 });
  });
});

describe('failed games (outcome error)', () => {
  // a game a waiting plugin gave up on after two questions: neither a win nor a loss
  const failed: Trajectory = { ...game(9, 'zebra', pad(2)), outcome: 'error', error: 'gen: policy api failed in game 9: 503' };
  const won = game(0, 'zebra', [...pad(3), g('zebra')]);

  it('are in no training set: weighted-sft copies them never, not even with losses or to top an animal up', async () => {
    const { rows } = await weightGames(() => [failed, won], { win_within: 8, factor: 2, include_losses: true, min_per_animal: 5 });
    expect((await collect(rows)).map((r) => [r.game.game, r.copies])).toEqual([[0, 5]]);
  });

  it('are in no preference pair', async () => {
    const dpo = await factory.create('strategy', { use: 'dpo', with: { margin: 1 } });
    const lost = game(1, 'zebra', [...pad(19), g('horse')], 'loss');
    const withFailed = await dpo.build(() => [won, lost, { ...failed, turns: [...won.turns.slice(0, 2), { move: g('lion'), answer: 'no' }] }]);
    const without = await dpo.build(() => [won, lost]);
    expect(withFailed).toEqual(without);
  });

  it('are counted apart by the audit and left out of its games and wins', async () => {
    const report = await auditGames([failed, won], domain, 1);
    expect(report).toMatchObject({ games: 1, wins: 1, errors: 1 });
    expect(report.animals.find((a) => a.target === 'zebra')).toMatchObject({ games: 1, wins: 1 });
    expect(auditSummary(report)).toContain('failed games (outcome error, left out): 1');
  });
});
