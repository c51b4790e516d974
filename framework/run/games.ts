import type { GameCount } from '../config/types.js';
import type { Domain } from '../game/domain.js';
import type { GameSpec } from '../game/engine.js';
import { deriveSeed } from '../util/rng.js';

export function gameTotal(count: GameCount, domain: Domain): number {
  return count.games ?? count.games_per_animal * domain.size;
}

/**
 * The games of a stage. Game i gets its own seed, derived from the experiment seed, the stage name and
 * i, and the targets take the candidates in turn; so the same experiment plays the same games however
 * many workers share them, and every policy of a stage plays the same games (paired comparisons).
 */
export function gameSpecs(seed: number, stage: string, count: GameCount, domain: Domain): GameSpec[] {
  const total = gameTotal(count, domain);
  const specs: GameSpec[] = new Array(total);
  for (let i = 0; i < total; i++) {
    specs[i] = { game: i, seed: deriveSeed(seed, stage, i), target: domain.candidates[i % domain.size]!.id };
  }
  return specs;
}
