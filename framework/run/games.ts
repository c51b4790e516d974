import type { GameCount } from '../config/types.js';
import type { Domain } from '../game/domain.js';
import type { GameSpec } from '../game/engine.js';
import { Rng, deriveSeed } from '../util/rng.js';

/**
 * The games of a stage. Game i gets its own seed, derived from the experiment seed, the stage name and
 * i; so the same experiment plays the same games however many workers share them, and every policy of
 * a stage plays the same games (paired comparisons).
 *
 * Targets: with games_per_animal, each candidate gets round(games_per_animal x weight) games (weight 1
 * unless given), taken in turn over the candidates; with games, the candidates take turns, or with
 * weights each game's target is drawn in proportion to them.
 */
export function gameSpecs(seed: number, stage: string, count: GameCount, domain: Domain, weights?: Readonly<Record<string, number>>): GameSpec[] {
  const weight = domain.candidates.map((c) => weights?.[c.id] ?? 1);
  const targets: string[] = [];
  if (count.games_per_animal !== undefined) {
    const per = weight.map((w) => Math.round(count.games_per_animal * w));
    const rounds = Math.max(0, ...per);
    for (let r = 0; r < rounds; r++) domain.candidates.forEach((c, i) => r < per[i]! && targets.push(c.id));
  } else if (weights === undefined) {
    for (let i = 0; i < count.games; i++) targets.push(domain.candidates[i % domain.size]!.id);
  } else {
    if (!weight.some((w) => w > 0)) throw new Error(`stage ${stage}: every weight is 0, no target can be drawn`);
    for (let i = 0; i < count.games; i++) targets.push(domain.candidates[new Rng(deriveSeed(seed, stage, i, 'target')).weighted(weight)]!.id);
  }
  return targets.map((target, i) => ({ game: i, seed: deriveSeed(seed, stage, i), target }));
}
