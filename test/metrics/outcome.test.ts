import { describe, expect, it } from 'vitest';
import { OutcomeAccumulator, efficiency, packSummaries, wilson } from '../../framework/metrics/outcome.js';

describe('Wilson interval', () => {
  it('matches published values', () => {
    // 5/10: the textbook example (Newcombe 1998): 0.2366 to 0.7634
    const [lo, hi] = wilson(5, 10);
    expect(lo).toBeCloseTo(0.2366, 4);
    expect(hi).toBeCloseTo(0.7634, 4);
    // 0/10: 0 to 0.2775; 10/10: 0.7225 to 1
    expect(wilson(0, 10)[0]).toBe(0);
    expect(wilson(0, 10)[1]).toBeCloseTo(0.2775, 4);
    expect(wilson(10, 10)[0]).toBeCloseTo(0.7225, 4);
    expect(wilson(10, 10)[1]).toBe(1);
    // 81/263 (Newcombe's example 5): 0.2553 to 0.3662
    expect(wilson(81, 263)[0]).toBeCloseTo(0.2553, 4);
    expect(wilson(81, 263)[1]).toBeCloseTo(0.3662, 4);
    // 900/900: the lower end is 1 - z^2/(n + z^2) = 0.99575
    expect(wilson(900, 900)[0]).toBeCloseTo(0.99575, 5);
  });

  it('is the whole range with no games', () => {
    expect(wilson(0, 0)).toEqual([0, 1]);
  });
});

describe('outcome metrics', () => {
  it('computes efficiency as success x (1 - avg questions / budget)', () => {
    expect(efficiency(1, 624 / 90, 20)).toBeCloseTo(0.653333, 6);
    expect(efficiency(0.5, 10, 20)).toBe(0.25);
  });

  it('counts a lost game as the whole budget, and averages wins on their own', () => {
    const acc = new OutcomeAccumulator(20, ['cat', 'dog']);
    acc.add({ game: 0, target: 'cat', win: true, questions: 6, invalid: 0, reward: 0.7 });
    acc.add({ game: 1, target: 'cat', win: true, questions: 8, invalid: 1, reward: 0.6 });
    acc.add({ game: 2, target: 'dog', win: false, questions: 3, invalid: 0, reward: -0.5 }); // lost early (wrong_guess: lose)
    acc.add({ game: 3, target: 'dog', win: true, questions: 10, invalid: 2, reward: 0.5 });
    const m = acc.metrics();
    expect(m.games).toBe(4);
    expect(m.wins).toBe(3);
    expect(m.success).toBe(0.75);
    expect(m.avg_questions).toBe((6 + 8 + 20 + 10) / 4);
    expect(m.avg_questions_wins).toBe(8);
    expect(m.efficiency).toBeCloseTo(0.75 * (1 - 11 / 20), 12);
    expect(m.invalid_rate).toBeCloseTo(3 / 27, 12);
    expect(m.avg_reward).toBeCloseTo(0.325, 12);
    expect(m.per_candidate).toEqual({
      cat: { games: 2, wins: 2, avg_questions: 7 },
      dog: { games: 2, wins: 1, avg_questions: 15 },
    });
    expect(m.success_ci).toEqual(wilson(3, 4));
  });

  it('reads packed summaries as the workers send them', () => {
    const games = [
      { game: 0, target: 'dog', win: true, questions: 5, invalid: 0, reward: 0.75 },
      { game: 1, target: 'cat', win: false, questions: 20, invalid: 4, reward: -0.5 },
    ];
    const packed = packSummaries(games, (id) => ['cat', 'dog'].indexOf(id));
    const a = new OutcomeAccumulator(20, ['cat', 'dog']);
    a.addPacked(packed);
    const b = new OutcomeAccumulator(20, ['cat', 'dog']);
    for (const g of games) b.add(g);
    expect(a.metrics()).toEqual(b.metrics());
    expect(a.metrics().per_candidate.dog).toEqual({ games: 1, wins: 1, avg_questions: 5 });
  });

  it('reports no average over wins when nothing was won', () => {
    const acc = new OutcomeAccumulator(20, ['cat', 'dog']);
    acc.add({ game: 0, target: 'cat', win: false, questions: 20, invalid: 0, reward: -0.5 });
    expect(acc.metrics()).toMatchObject({ success: 0, avg_questions: 20, avg_questions_wins: null, efficiency: 0 });
  });
});
