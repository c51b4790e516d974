import { describe, expect, it } from 'vitest';
import { gameSpecs } from '../../framework/run/games.js';
import { animals90 } from '../helpers.js';

const domain = animals90();
const count = (specs: { target: string }[]) => specs.reduce<Record<string, number>>((m, s) => ((m[s.target] = (m[s.target] ?? 0) + 1), m), {});

describe('game specs', () => {
  it('gives every animal its games per animal, the candidates in turn', () => {
    const specs = gameSpecs(1, 'x', { games_per_animal: 3 }, domain);
    expect(specs).toHaveLength(270);
    expect(specs.slice(0, 3).map((s) => s.target)).toEqual(['dog', 'cat', 'horse']);
    expect(new Set(Object.values(count(specs)))).toEqual(new Set([3]));
    expect(specs.map((s) => s.game)).toEqual([...Array(270).keys()]);
    expect(new Set(specs.map((s) => s.seed)).size).toBe(270);
  });

  it('scales each animal by its weight: 0 leaves it out', () => {
    const c = count(gameSpecs(1, 'x', { games_per_animal: 4 }, domain, { giraffe: 0, zebra: 0.5, lion: 2 }));
    expect(c.giraffe).toBeUndefined();
    expect(c.zebra).toBe(2);
    expect(c.lion).toBe(8);
    expect(c.dog).toBe(4);
    expect(Object.keys(c)).toHaveLength(89);
  });

  it('draws targets in proportion to the weights when the total is given', () => {
    const c = count(gameSpecs(1, 'x', { games: 9000 }, domain, { giraffe: 0, lion: 10 }));
    expect(c.giraffe).toBeUndefined();
    // lion weighs 10 of 98: about 918 of 9000 games
    expect(c.lion).toBeGreaterThan(800);
    expect(c.lion).toBeLessThan(1040);
    expect(() => gameSpecs(1, 'x', { games: 5 }, domain, Object.fromEntries(domain.candidates.map((x) => [x.id, 0])))).toThrow(/every weight is 0/);
  });

  it('refuses more games than a stage may play, before making any', () => {
    expect(() => gameSpecs(1, 'x', { games_per_animal: 10 }, domain, { giraffe: 1e308 })).toThrow(/stage x: infinitely many games is more than the limit of 10,000,000 games per stage/);
    expect(() => gameSpecs(1, 'x', { games: 1e12 }, domain)).toThrow(/1,000,000,000,000 games is more than the limit/);
  });

  it('depends on the seed and the stage name, not on anything else', () => {
    expect(gameSpecs(1, 'a', { games: 10 }, domain)).toEqual(gameSpecs(1, 'a', { games: 10 }, domain));
    expect(gameSpecs(1, 'a', { games: 10 }, domain)[0]!.seed).not.toBe(gameSpecs(1, 'b', { games: 10 }, domain)[0]!.seed);
    expect(gameSpecs(1, 'a', { games: 10 }, domain)[0]!.seed).not.toBe(gameSpecs(2, 'a', { games: 10 }, domain)[0]!.seed);
  });
});
