import { describe, expect, it } from 'vitest';
import { boundEfficiency, optimalBound, optimalMeans } from '../../framework/game/bounds.js';

describe('optimal bound', () => {
  it('is 624/90 questions for 90 animals when a wrong guess continues', () => {
    const b = optimalBound(90, 'continue');
    expect(b.total).toBe(624);
    expect(b.mean).toBeCloseTo(624 / 90, 12);
    expect(boundEfficiency(b, 20)).toBeCloseTo(1 - 624 / 90 / 20, 12);
    expect(boundEfficiency(b, 20)).toBeCloseTo(0.6533, 4);
    // Several strategies reach 624 (2/30/30/28 animals at 5/6/7/8 questions is another); on a tie the
    // programme splits rather than guesses, which keeps the worst case short: 32 at 6, 32 at 7, 26 at 8.
    expect(b.histogram.slice(6)).toEqual([32, 32, 26]);
    expect(b.histogram.reduce((s, n) => s + n, 0)).toBe(90);
    expect(b.histogram.reduce((s, n, q) => s + n * q, 0)).toBe(624);
    expect(b.worst).toBe(8);
  });

  it('is 682/90 when a wrong guess loses: identify, then guess', () => {
    const b = optimalBound(90, 'lose');
    expect(b.total).toBe(682);
    expect(b.mean).toBeCloseTo(7.578, 3);
    expect(boundEfficiency(b, 20)).toBeCloseTo(0.621, 3);
    expect(b.histogram.slice(7)).toEqual([38, 52]);
  });

  it('matches small cases worked by hand', () => {
    // one candidate: guess it. Two: guess one (1 question) or the other (2): 3 in all.
    expect(optimalBound(1, 'continue').total).toBe(1);
    expect(optimalBound(2, 'continue').total).toBe(3);
    // two under lose: a question splits them, then one guess each: 4.
    expect(optimalBound(2, 'lose').total).toBe(4);
    expect(optimalBound(3, 'continue').total).toBe(6);
    // four: split 2/2, then guess in each pair: 2 + 3 + 2 + 3 = 10 (guessing one by one also makes 10, worst case 4)
    expect(optimalBound(4, 'continue')).toMatchObject({ total: 10, worst: 3, histogram: [0, 0, 2, 2] });
    // powers of two average k + 1/2 questions
    for (const k of [2, 3, 4, 7]) expect(optimalBound(2 ** k, 'continue').mean).toBeCloseTo(k + 0.5, 12);
    expect(optimalBound(50, 'continue').total).toBe(304);
    expect(optimalBound(100, 'continue').total).toBe(708);
  });

  it('never beats the entropy floor', () => {
    for (let n = 2; n <= 200; n++) expect(optimalBound(n, 'continue').mean).toBeGreaterThanOrEqual(Math.log2(n));
  });

  it('gives the optimal mean for every smaller number of candidates', () => {
    const means = optimalMeans(90, 'continue');
    expect(means[90]).toBeCloseTo(624 / 90, 12);
    expect(means[2]).toBe(1.5);
    expect(means[1]).toBe(1);
  });

  it('rejects nonsense', () => {
    expect(() => optimalBound(0, 'continue')).toThrow(/positive integer/);
  });
});
