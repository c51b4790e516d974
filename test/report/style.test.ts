import { describe, expect, it } from 'vitest';
import { bagOf, ranks, spearman, styleScore, tokenF1 } from '../../framework/report/style.js';

describe('style score', () => {
  it('token F1 counts shared words with multiplicity, as SQuAD does', () => {
    const a = bagOf(['Does it have fur?', 'Is it a dog?']);
    const b = bagOf(['Does it fly?']);
    // a: does it have fur is it a dog (8 words); b: does it fly (3); shared: does, it -> 2
    const p = 2 / 8;
    const r = 2 / 3;
    expect(tokenF1(a, b)).toBeCloseTo((2 * p * r) / (p + r), 12);
    expect(tokenF1(a, a)).toBe(1);
    expect(tokenF1(bagOf(['Colour grey?']), bagOf(['color gray']))).toBe(1);
    expect(tokenF1(bagOf([]), bagOf(['x']))).toBe(0);
  });

  it('a game scores its best match among the references; none without references', () => {
    const game = bagOf(['Does it have fur?']);
    expect(styleScore(game, [bagOf(['Does it fly?']), bagOf(['Does it have fur?'])])).toBe(1);
    expect(styleScore(game, [])).toBeUndefined();
  });
});

describe('Spearman rank correlation', () => {
  it('averages tied ranks and matches Pearson on ranks', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // 1 - 6 sum d^2 / (n (n^2 - 1)) without ties: d = (0, -2, 1, 1) -> 1 - 6*6/60 = 0.4
    expect(spearman([1, 2, 3, 4], [1, 4, 2, 3])).toBeCloseTo(0.4, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});
