import type { Domain } from '../game/domain.js';
import type { GameSpec } from '../game/engine.js';
import { Rng, deriveSeed } from '../util/rng.js';

/** How many games a stage plays: so many per candidate, or so many in all. */
export type GameCount = { games_per_animal: number; games?: undefined } | { games: number; games_per_animal?: undefined };

/**
 * The most games one stage plays (each policy of an evaluate stage counted). A stage holds its games'
 * specs in memory: far beyond this, V8 ran out of heap after a minute instead of saying why.
 */
export const MAX_STAGE_GAMES = 10_000_000;

export function tooMany(total: number): string {
  return `${Number.isFinite(total) ? total.toLocaleString('en-US') : 'infinitely many'} games is more than the limit of ${MAX_STAGE_GAMES.toLocaleString('en-US')} games per stage; split the work into several stages or runs`;
}

function perCandidate(gamesPerAnimal: number, weight: readonly number[]): number[] {
  return weight.map((w) => Math.round(gamesPerAnimal * w));
}

/** How many games a stage's count and weights make (for one policy), without making them. */
export function stageGames(count: GameCount, domain: Domain, weights?: Readonly<Record<string, number>>): number {
  if (count.games_per_animal === undefined) return count.games;
  return perCandidate(
    count.games_per_animal,
    domain.candidates.map((c) => weights?.[c.id] ?? 1),
  ).reduce((a, b) => a + b, 0);
}

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
  const total = stageGames(count, domain, weights);
  if (total > MAX_STAGE_GAMES) throw new Error(`stage ${stage}: ${tooMany(total)}`);
  const targets: string[] = [];
  if (count.games_per_animal !== undefined) {
    const per = perCandidate(count.games_per_animal, weight);
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
