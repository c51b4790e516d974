import { median, type DataStats, type SftRow } from '../../framework/data/dataset.js';
import type { Trajectory } from '../../framework/game/types.js';
import { definePlugin } from '../../framework/plugins/types.js';

export interface WeightedSftOptions {
  win_within: number;
  factor: number;
  include_losses: boolean;
  min_per_animal: number;
}

/**
 * Copies of each game: `factor` for an efficient win (at most `win_within` questions), 1 for another
 * win, 1 for a loss when losses are included, none otherwise. Then every animal with fewer than
 * `min_per_animal` rows gets more copies of its own games, fewest questions first, until it has them.
 */
export function weightGames(games: readonly Trajectory[], o: WeightedSftOptions): { rows: SftRow[]; stats: DataStats } {
  const rows: SftRow[] = [];
  let efficient = 0;
  for (const game of games) {
    const win = game.outcome === 'win';
    const copies = win ? (game.questions <= o.win_within ? o.factor : 1) : o.include_losses ? 1 : 0;
    if (win && game.questions <= o.win_within) efficient++;
    if (copies > 0) rows.push({ game, copies });
  }
  const byAnimal = new Map<string, SftRow[]>();
  for (const row of rows) {
    const list = byAnimal.get(row.game.target) ?? [];
    list.push(row);
    byAnimal.set(row.game.target, list);
  }
  let added = 0;
  for (const list of byAnimal.values()) {
    let total = list.reduce((s, r) => s + r.copies, 0);
    if (total >= o.min_per_animal) continue;
    const best = [...list].sort((a, b) => score(a) - score(b) || a.game.game - b.game.game);
    for (let i = 0; total < o.min_per_animal; i++, total++, added++) best[i % best.length]!.copies++;
  }
  const perAnimal = [...byAnimal.values()].map((list) => list.reduce((s, r) => s + r.copies, 0));
  const stats = {
    games: games.length,
    wins: games.filter((g) => g.outcome === 'win').length,
    efficient_wins: efficient,
    selected_games: rows.length,
    rows: rows.reduce((s, r) => s + r.copies, 0),
    rebalanced_rows: added,
    animals: byAnimal.size,
    rows_per_animal_min: perAnimal.length > 0 ? Math.min(...perAnimal) : 0,
    rows_per_animal_median: median(perAnimal) ?? 0,
  };
  return { rows, stats };
}

/** A loss ranks after every win. */
function score(row: SftRow): number {
  return row.game.outcome === 'win' ? row.game.questions : Number.MAX_SAFE_INTEGER;
}

export default definePlugin<'strategy', WeightedSftOptions>({
  kind: 'strategy',
  name: 'weighted-sft',
  description:
    'Supervised fine-tuning data where efficient games count more: a win in at most win_within questions is copied factor times, other wins once, losses only with include_losses; min_per_animal tops up thin animals. Plain SFT is factor: 1.',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      win_within: { type: 'integer', minimum: 1, default: 8, description: 'A win in at most this many questions is efficient.' },
      factor: { type: 'integer', minimum: 1, default: 5, description: 'Copies of an efficient win (1: plain SFT).' },
      include_losses: { type: 'boolean', default: false, description: 'Keep lost games (once each).' },
      min_per_animal: { type: 'integer', minimum: 0, default: 0, description: 'Copy an animal\'s best games until it has at least this many rows.' },
    },
  },
  create: (options) => ({
    build(games) {
      const { rows, stats } = weightGames(games, options);
      return { kind: 'sft', rows, stats };
    },
  }),
});
