import { describe, expect, it } from 'vitest';
import { clustered, compare, largestDifferences, mcnemarExact, pairGames, PairingError, winsOnlyText, type GameRecord } from '../../framework/metrics/paired.js';
import { wilson } from '../../framework/metrics/outcome.js';

const game = (target: string, win: boolean, questions: number, signature = `${target}/${win}/${questions}`): GameRecord => ({ target, win, questions: win ? questions : 20, signature });
const targets = Array.from({ length: 90 }, (_, i) => `t${i}`);

describe('clustered intervals', () => {
  it("count a deterministic policy's 900 games as the 90 distinct games they are", () => {
    const games = [...Array(10)].flatMap(() => targets.map((t) => game(t, true, 5)));
    const c = clustered(games);
    expect(c.distinct_games).toBe(90);
    expect(c.effective_games).toBe(90);
    // 90 of 90: 95.9-100%, not the 99.6-100% of 900 independent games
    expect(c.success_ci[0]).toBeCloseTo(0.959, 3);
    expect(wilson(900, 900)[0]).toBeCloseTo(0.9957, 3);
    // a policy whose 900 winning games all differ is worth more than 90
    const varied = clustered([...Array(10)].flatMap((_, k) => targets.map((t) => game(t, true, 5, `${t}/${k}`))));
    expect(varied.effective_games).toBe(900);
  });

  it("give plain SFT's 95.6% about 89.1-98.3% when its losses repeat by target", () => {
    // 4 animals always lost, 86 always won, 10 times each
    const games = [...Array(10)].flatMap(() => targets.map((t, i) => game(t, i >= 4, 7)));
    const c = clustered(games);
    expect(c.effective_games).toBeCloseTo(90, 9);
    expect(c.success_ci[0]).toBeCloseTo(0.891, 3);
    expect(c.success_ci[1]).toBeCloseTo(0.983, 3);
    // the mean's interval widens with the clustering too
    // (iid: 2 x 1.96 x 2.68 / sqrt(900) = 0.35; clustered: about sqrt(10) times that)
    expect(c.avg_questions_ci[1] - c.avg_questions_ci[0]).toBeGreaterThan(1);
  });

  it('treat independent games as independent', () => {
    // each target: 5 wins of 10, spread evenly: no clustering at all
    const games = targets.flatMap((t) => [...Array(10)].map((_, k) => game(t, k % 2 === 0, 6, `${t}/${k}`)));
    const c = clustered(games);
    expect(c.effective_games).toBe(900);
    expect(c.distinct_games).toBe(900);
    expect(c.success_ci).toEqual(wilson(450, 900));
  });
});

describe('paired comparisons', () => {
  it('McNemar exact: the binomial tail, two-sided', () => {
    expect(mcnemarExact(0, 0)).toBe(1);
    // 0 : 6 -> 2 x (1/2)^6
    expect(mcnemarExact(0, 6)).toBeCloseTo(2 / 64, 12);
    // 1 : 9 -> 2 x (1 + 10) / 1024
    expect(mcnemarExact(9, 1)).toBeCloseTo(22 / 1024, 12);
    expect(mcnemarExact(5, 5)).toBe(1);
    expect(mcnemarExact(2000, 2100)).toBeGreaterThan(0.1);
  });

  it('pairs by target and game, with a seeded cluster bootstrap of the difference in questions', () => {
    const base = [...Array(10)].flatMap(() => targets.map((t) => game(t, true, 7)));
    const better = [...Array(10)].flatMap(() => targets.map((t, i) => game(t, i !== 0, i % 2 === 0 ? 5 : 6)));
    const c = compare(better, base, 42);
    expect(c.pairs).toBe(900);
    expect(c.wins_only_baseline).toBe(10);
    expect(c.wins_only_policy).toBe(0);
    // ten repeats of one lost target are one target, not ten independent games: McNemar over targets
    expect([c.targets_only_policy, c.targets_only_baseline]).toEqual([0, 1]);
    expect(c.mcnemar_p).toBe(1);
    expect(c.questions_diff).toBeCloseTo((10 * (13 + 44 * -2 + 45 * -1)) / 900, 12);
    expect(c.questions_diff_ci[0]).toBeLessThan(c.questions_diff);
    expect(c.questions_diff_ci[1]).toBeGreaterThan(c.questions_diff);
    expect(c.questions_diff_ci[1]).toBeLessThan(0);
    expect(compare(better, base, 42)).toEqual(c);
    expect(compare(better, base, 43).questions_diff_ci).not.toEqual(c.questions_diff_ci);
    const most = largestDifferences(better, base, 2);
    expect(most[0]).toEqual({ target: 't0', games: 10, questions_diff: 13, wins_diff: -10 });
    expect(most[1]!.questions_diff).toBe(-2);
  });

  it("McNemar over targets: one game a target is the games' test; several games a target count once, for the side that won more of them", () => {
    // one game a target: 9 targets won only by the policy, 1 only by the baseline
    const base1 = targets.map((t, i) => game(t, i >= 9, 6));
    const pol1 = targets.map((t, i) => game(t, i !== 9, 6));
    const one = compare(pol1, base1, 1);
    expect([one.wins_only_policy, one.wins_only_baseline, one.targets_only_policy, one.targets_only_baseline]).toEqual([9, 1, 9, 1]);
    expect(one.mcnemar_p).toBeCloseTo(mcnemarExact(9, 1), 12);
    // five sampled games a target: the policy wins 4 of 5 where the baseline wins 1 on targets t0-t5, the
    // baseline 4 of 5 against 1 on t6-t7, the rest tie: games 18 : 6, targets 6 : 2
    const won = (k: number) => (j: number) => j < k;
    const base5 = [...Array(5)].flatMap((_, j) => targets.map((t, i) => game(t, i < 6 ? won(1)(j) : i < 8 ? won(4)(j) : true, 6)));
    const pol5 = [...Array(5)].flatMap((_, j) => targets.map((t, i) => game(t, i < 6 ? won(4)(j) : i < 8 ? won(1)(j) : true, 6)));
    const five = compare(pol5, base5, 1);
    expect([five.targets_only_policy, five.targets_only_baseline]).toEqual([6, 2]);
    expect([five.wins_only_policy, five.wins_only_baseline]).toEqual([18, 6]);
    expect(five.mcnemar_p).toBeCloseTo(mcnemarExact(6, 2), 12);
    expect(five.mcnemar_p).toBeGreaterThan(mcnemarExact(five.wins_only_policy, five.wins_only_baseline));
    expect(winsOnlyText(five)).toBe('18:6 (targets 6:2)');
    expect(winsOnlyText(one)).toBe('9:1');
    // a comparison recorded before the targets were counted shows its games only
    expect(winsOnlyText({ wins_only_policy: 58, wins_only_baseline: 16 })).toBe('58:16');
  });

  it('refuses games that did not play the same targets, saying where', () => {
    expect(() => pairGames([game('a', true, 3), game('b', true, 3)], [game('a', true, 3)], ['expert', 'grpo'])).toThrow(PairingError);
    expect(() => pairGames([game('a', true, 3)], [game('a', true, 3), game('a', true, 3)], ['expert', 'grpo'])).toThrow(/a: 1 games in expert, 2 in grpo/);
  });
});
